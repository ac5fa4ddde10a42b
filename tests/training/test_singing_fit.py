"""The conditioned CNN reference (#29) is fitted from paired readings, leave-one-source-out."""

from __future__ import annotations

import numpy as np

from forensic_app.core.fusion import CnnReference, EvidenceRules
from forensic_app.core.weights import load_model
from forensic_app.training import singing


def _rows(source: str, n: int, rise: float, seed: int) -> list[dict]:
    """Readings of ``n`` recordings: band-limited variants read ``rise`` logits (per knot) above the 44.1 kHz one."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        base = rng.normal(-1.0, 0.3)
        for rate, bw, up in ((16000, 7800.0, rise), (22050, 10700.0, rise), (44100, 20000.0, 0.0)):
            w = list(base + up + rng.normal(0, 0.05, 4))
            out.append(
                {
                    "id": f"{source}|{i}|{rate}",
                    "kind": "singing",
                    "source": source,
                    "file": f"{i}.wav",
                    "rate": rate,
                    "clip_s": None,
                    "window_logits": w,
                    "comb": 2.0,
                    "comb_offset": None,
                    "fakeprint": None,
                    "stationarity": 0.5,
                    "content_s": 8.0,
                    "duration_s": 8.0,
                    "bandwidth_hz": bw,
                }
            )
    return out


def test_the_shift_is_the_median_paired_rise_and_the_line_sits_above_what_real_rows_reach():
    rules = EvidenceRules.from_calibration(load_model().calibration)
    rows = _rows("a", 12, 1.0, 0) + _rows("b", 12, 1.0, 1)
    ref = singing.fit_reference(rows, singing.with_reference(rules, CnnReference()))
    assert [round(s, 1) for _, s in ref.shift_knots] == [1.0, 1.0]
    shifted_max = max(np.mean(r["window_logits"]) - ref.shift_logit(r["bandwidth_hz"]) for r in rows)
    assert ref.limited_confound_logit >= max(shifted_max + singing.CNN_MARGIN, rules.cnn_confound_logit) - 1e-3


def test_a_left_out_source_is_scored_with_a_reference_fitted_without_it():
    cal = load_model().calibration
    rules = EvidenceRules.from_calibration(cal)
    rows = _rows("gtsinger", 10, 1.0, 0) + _rows("m4singer", 10, 1.0, 1) + _rows("music", 10, 0.9, 2)
    res = singing.evaluate_rows(rows, cal, rules)
    assert set(res["left_out_references"]) == {"gtsinger", "m4singer", "music"}
    assert res["singing"]["n"] == 60 and res["singing"]["likely_fake"] == 0
    assert set(res["singing"]["by_rate"]) == {"16 kHz", "22.05 kHz", "44.1 kHz"}
    card = singing.model_card_figures(res)
    assert card["by_source"]["gtsinger"]["n"] == 30
    text = singing.markdown(res)
    assert "| gtsinger | 30 |" in text and "leave-one-source-out" in text
