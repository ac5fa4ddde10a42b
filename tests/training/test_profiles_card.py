"""evaluate's generator-profiles part: per shipped profile, detection held out and after each re-encoding,
and all profiles together per real test source and kind, from the study's figures."""

from __future__ import annotations

from forensic_app.training.evaluation_card import profiles_markdown, profiles_summary


def test_only_shipped_profiles_are_reported_with_every_figure_the_issue_names():
    row = {
        "generator": "gen-a",
        "n_files": 12,
        "detection_logo": 0.95,
        "detection_mp3-128k": 0.9,
        "detection_aac-128k": 0.9,
        "detection_opus-64k": 0.85,
        "kept_after_mp3_128k": 0.94,
        "kept_after_opus_64k": 0.9,
        "fp_test_sources_max": 0.0,
        "fp_reference_loso_max": 0.01,
    }
    study = {
        "builtin": [row, dict(row, generator="gen-b", detection_logo=0.3)],
        "together": {"drascula-music": [0, 15, 0, 60]},
        "kinds": {"held_out": [{"group": "synth", "kind": "saw drone", "n": 8, "any": 1}]},
        "done_when": ["Taught from 5 examples: 9 of 12"],
    }
    s = profiles_summary(study, {"gen-a"})
    assert [r["generator"] for r in s["profiles"]] == ["gen-a"]
    text = "\n".join(profiles_markdown(s))
    assert "| gen-a | 12 | 95.0 % | 90.0 % | 90.0 % | 85.0 % | 94.0 % | 90.0 % | 0.0 % | 1.0 % |" in text
    assert "gen-b" not in text
    assert "| drascula-music | 0 of 15 | 0 of 60 |" in text and "| kind: saw drone | | 1 of 8 |" in text
    assert "- Taught from 5 examples: 9 of 12" in text
