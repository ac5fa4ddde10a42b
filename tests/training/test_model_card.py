"""`evaluate --update-manifest` writes a model card that the recourse report prints in full."""

from __future__ import annotations

import json

from forensic_app.report import write_report
from forensic_app.training.evaluate import update_manifest
from tests.report._factory import make_result
from tests.report._pdfread import page_texts, words


def test_evaluated_model_card_reaches_the_report_as_percentages(tmp_path):
    weights = tmp_path / "weights"
    weights.mkdir()
    (weights / "manifest.json").write_text(json.dumps(
        {"name": "m", "model_card": {"known_failure_modes": ["Quiet tracks score high."]}}))
    res = {
        "fused": {"families": {"lyra": {"detected_likely_fake": 0.25}, "hifigan": {"detected_likely_fake": 1.0}},
                  "sources": {"ufoai-music": {"fp_likely_fake": 0.046511627906976744},
                              "drascula-music": {"fp_likely_fake": 0.0}}},
        "lofo": {"lyra": {"fused_detected": 0.0, "cnn_auc": 0.12659143518518517}},
        "robustness": [{"manipulation": "reverb", "auc": 0.8375, "unseen": True}],
        "ece": 0.07278038438472505,
    }
    update_manifest(weights, res)
    card = json.loads((weights / "manifest.json").read_text())["model_card"]
    text = words(page_texts(write_report(make_result(), tmp_path / "r.pdf", model_card=card)))
    assert "Not stated in the model card" not in text
    assert "Quiet tracks score high." in text
    assert "False-positive rates on real music, by source ufoai-music 4.7 % drascula-music 0.0 %" in text
    assert "lyra 0.0 % 0.127" in text  # held-out detection as a rate, AUC as a number
    assert "0.0465116" not in text and "0.126591" not in text
