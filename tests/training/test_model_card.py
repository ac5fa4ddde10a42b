"""`evaluate --update-manifest` writes a model card that the recourse report prints in full."""

from __future__ import annotations

import json

import pytest

from forensic_app.report import write_report
from forensic_app.training.evaluation_card import failure_modes, update_manifest
from tests.factories import make_result
from tests.report._pdfread import page_texts, words


def _evaluation(*, fp_all: float, n_real: int) -> dict:
    fam = lambda det: {"detected_likely_fake": det, "called_no_traces_found": 0.0, "mean_p": 0.5, "auc_vs_real": 0.9}  # noqa: E731
    rob = lambda m, p_real, fp, unseen=False: {
        "manipulation": m,
        "auc": 0.8375,
        "unseen": unseen,
        "n_pairs": 40,  # noqa: E731
        "real_fp": fp,
        "mean_p_real": p_real,
    }
    return {
        "fused": {
            "families": {"lyra": fam(0.25), "hifigan": fam(1.0)},
            "sources": {
                "ufoai-music": {"fp_likely_fake": 0.046511627906976744},
                "drascula-music": {"fp_likely_fake": 0.0},
            },
            "all_real": {"n": n_real, "fp_likely_fake": fp_all},
        },
        "lofo": {
            "lyra": {"fused_detected": 0.0, "cnn_auc": 0.12659143518518517},
            "hifigan": {"fused_detected": 0.5, "cnn_auc": 0.69},
        },
        "robustness": [
            rob("none", 0.19, 0.0),
            rob("mp3", 0.19, 0.0),
            rob("pitch_shift", 0.27, 0.05),
            rob("reverb", 0.40, 0.1, unseen=True),
        ],
        "ece": 0.07278038438472505,
    }


def test_failure_modes_follow_the_figures():
    over = failure_modes(_evaluation(fp_all=0.0135, n_real=296))
    under = failure_modes(_evaluation(fp_all=0.005, n_real=600))
    assert "more often than the 1 % aimed at" in over[0] and "(4 of 296)" in over[0]
    assert "within the 1 % aimed at" in under[0] and "(3 of 600;" in under[0]
    text = " ".join(under)
    assert "only 25.0 % of Lyra test fakes were called likely AI-generated" in text  # below half: said
    assert "HiFi-GAN test fakes" not in text
    assert "a model that never saw Lyra rated its output more real than real music (AUC 0.13)" in text
    assert "Pitch shift and reverb move real music towards fake (mean probability 0.19 clean, 0.27-0.40" in text
    assert "MP3" not in text  # did not move real music
    assert "after it 4 of 40 real test excerpts" in text  # reverb is the unseen manipulation


def test_evaluated_model_card_reaches_the_report_as_percentages(tmp_path):
    weights = tmp_path / "weights"
    weights.mkdir()
    (weights / "manifest.json").write_text(
        json.dumps(
            {
                "name": "m",
                "model_card": {
                    "known_failure_modes": ["Quiet tracks score high."],
                    "measured_with_the_evidence_rules": {"real tracks called likely AI": "0 of 118"},
                },
            }
        )
    )
    res = _evaluation(fp_all=0.0135, n_real=296)
    update_manifest(weights, res)
    card = json.loads((weights / "manifest.json").read_text())["model_card"]
    # the evidence study's figures for these weights (benchmarks/evidence_fit.py) survive an evaluation
    assert card["measured_with_the_evidence_rules"] == {"real tracks called likely AI": "0 of 118"}
    text = words(page_texts(write_report(make_result(), tmp_path / "r.pdf", model_card=card)))
    assert "Not stated in the model card" not in text
    # the failure modes are written from the figures, not carried over from older weights
    assert "Quiet tracks score high." not in text
    assert (
        "more often than the 1 % aimed at: 1.4 % of test-split real segments (4 of 296), up to 4.7 % for "
        "one source, ufoai-music"
    ) in text
    # the per-source and per-family tables are internals (#26): in the embedded analysis, not on the pages
    embedded = _embedded_card(tmp_path / "r.pdf")
    assert embedded["false_positive_rates_by_source"]["ufoai-music"] == pytest.approx(0.047, abs=5e-4)
    assert embedded["false_positive_rates_by_source"]["drascula-music"] == 0.0
    assert "lyra" in embedded["detection_rate_by_family"] and "ufoai-music 4.7 %" not in text


def test_the_card_states_what_the_app_calls_not_what_the_fusion_alone_would(tmp_path):
    # the evidence rules hold back much that the learned fusion alone would call likely AI: the card
    # must give the app's verdicts (all three detectors, evidence rules) when the evaluation has them
    res = _evaluation(fp_all=0.005, n_real=600)
    row = lambda lf: {"n": 10, "likely_fake": lf, "inconclusive": 0.5, "no_traces_found": 0.5}  # noqa: E731
    res["verdicts"] = {
        "families": {"lyra": row(0.0), "hifigan": row(0.5)},
        "sources": {"ufoai-music": row(0.0), "drascula-music": row(0.0)},
        "all_real": {**row(0.0), "n": 600},
        "kinds": {"synth: saw note": row(0.0), "lo-fi: bitcrusher x4 8-bit": row(0.25)},
    }
    text = " ".join(failure_modes(res))
    assert "No held-out real segment was called likely AI-generated (0 of 600 test-split real segments)" in text
    assert "up to about 0.5 % (95 % bound)" in text and "not zero, and" not in text
    assert "only 0.0 % of Lyra test fakes were called likely AI-generated" in text
    weights = tmp_path / "weights"
    weights.mkdir()
    (weights / "manifest.json").write_text(json.dumps({"name": "m"}))
    update_manifest(weights, res)
    card = json.loads((weights / "manifest.json").read_text())["model_card"]
    assert (
        card["false_positive_rates_by_source"]["ufoai-music"] == 0.0 and card["detection_rate_by_family"]["lyra"] == 0.0
    )
    # the kinds' false positives reach the recourse report as rates, under their own heading
    assert card["false_positive_rates_by_kind"] == {"synth: saw note": 0.0, "lo-fi: bitcrusher x4 8-bit": 0.25}
    text = words(page_texts(write_report(make_result(), tmp_path / "k.pdf", model_card=card)))
    assert "lo-fi: bitcrusher x4 8-bit 25.0 %" not in text  # internals: in the embedded analysis (#26)
    assert _embedded_card(tmp_path / "k.pdf")["false_positive_rates_by_kind"]["lo-fi: bitcrusher x4 8-bit"] == 0.25


def _embedded_card(pdf):
    """The model card the report embeds (its analysis.json attachment, what `forensic-app verify` reads)."""
    from forensic_app.report.verify import read_attachment

    raw, _reader = read_attachment(pdf)
    return json.loads(raw)["analysis"]["model_card"]
