"""Reopening a case analyses nothing on its own: it says which lanes changed, and finds moved files by content."""

from __future__ import annotations

import shutil

import soundfile as sf

from forensic_app.case import load_case, new_case, reconcile, refresh_case, relink, save_case


def _case(paths, **kwargs):
    return new_case(
        [paths[k] for k in ("vocals", "drums", "bass", "other")], labels={str(p): k for k, p in paths.items()}, **kwargs
    )


def test_an_unchanged_case_is_ok_and_nothing_is_analysed(stem_case, tmp_path, count_analyze):
    path = save_case(stem_case, tmp_path / "c.facase")
    calls = count_analyze
    statuses = reconcile(load_case(path))
    assert [s.state for s in statuses] == ["ok"] * 4
    assert not any(s.needs_analysis for s in statuses)
    assert calls == []


def test_a_file_changed_after_saving_is_reported_and_only_it_is_analysed_again(own_stems, tmp_path, count_analyze):
    path = save_case(_case(own_stems), tmp_path / "c.facase")
    x, rate = sf.read(own_stems["bass"], dtype="float32")
    sf.write(own_stems["bass"], x * 0.5, rate, subtype="PCM_16")  # same length, same size, other bytes
    case = load_case(path)
    statuses = reconcile(case)
    assert [s.state for s in statuses] == ["ok", "ok", "changed", "ok"]
    bass = statuses[2]
    assert bass.needs_analysis
    assert bass.message.startswith("bass: bass.wav changed since it was analysed")
    assert "must be analysed again" in bass.message
    calls = count_analyze
    calls.clear()
    old_sha = case.lanes[2].sha256
    refresh_case(case, statuses=statuses)
    assert calls == [str(own_stems["bass"])]
    assert case.lanes[2].sha256 == bass.current_sha256 != old_sha
    assert [s.state for s in reconcile(case)] == ["ok"] * 4


def test_a_moved_file_is_relinked_by_its_hash(own_stems, tmp_path):
    case = _case(own_stems)
    path = save_case(case, tmp_path / "c.facase")
    elsewhere = tmp_path / "archive" / "2026" / "takes"
    elsewhere.mkdir(parents=True)
    moved = shutil.move(str(own_stems["drums"]), elsewhere / "drums-final.wav")
    # a decoy of exactly the same size but other content, found first: it must not be taken
    x, rate = sf.read(moved, dtype="float32")
    sf.write(tmp_path / "archive" / "a-decoy.wav", -x, rate, subtype="PCM_16")
    case = load_case(path)
    statuses = reconcile(case)
    assert statuses[1].state == "missing" and not statuses[1].needs_analysis
    assert "drums.wav is no longer at" in statuses[1].message and "Relink" in statuses[1].message
    found = relink(case, tmp_path / "archive")
    assert found == {case.lanes[1].lane_id: str(elsewhere / "drums-final.wav")}
    assert case.lanes[1].path == str(elsewhere / "drums-final.wav")
    assert [s.state for s in reconcile(case)] == ["ok"] * 4


def test_a_case_made_with_another_model_says_so(own_stems, tiny_weights):
    case = new_case([own_stems["drums"]], weights_dir=tiny_weights)
    (status,) = reconcile(case)  # the shipped model
    assert status.state == "model_changed" and status.needs_analysis
    assert "tiny" in status.message.lower() or case.lanes[0].result.provenance.model.name in status.message
    assert "Analyse it again" in status.message
    assert reconcile(case, tiny_weights)[0].state == "ok"
