"""The likely_fake threshold: conformal bound over validation real music plus a package margin."""

from __future__ import annotations

import numpy as np
import pytest

from forensic_app.core.calibration import Calibration
from forensic_app.training.scoring import conformal_threshold, fit_calibration, package_margin


def _val_set(shift_last_package: float, seed: int = 0):
    """Four real packages (one shifted towards 'fake') and fakes; CNN logits + comb z."""
    rng = np.random.default_rng(seed)
    logits, comb, labels, groups = [], [], [], []
    for g in range(4):
        n = 40
        logits.append(rng.normal(-2.0 + (shift_last_package if g == 3 else 0.0), 0.6, n))
        comb.append(rng.uniform(0.0, 7.0, n))  # real music reaches weak/moderate combs
        labels += [0] * n
        groups += [f"pkg{g}"] * n
    nf = 120
    logits.append(rng.normal(1.5, 1.0, nf))
    comb.append(np.r_[rng.uniform(0, 4, nf // 2), rng.uniform(8, 30, nf - nf // 2)])
    labels += [1] * nf
    groups += [f"pkg{i % 4}" for i in range(nf)]
    tl = np.concatenate(logits)
    windows = [np.full(3, v) + rng.normal(0, 0.2, 3) for v in tl]
    return tl, np.concatenate(comb), np.array(labels), windows, np.array(groups)


def _probs(cal: Calibration, tl, cz):
    return np.array(
        [
            cal.track_probability({"cnn_mean_logit": t, "comb_z": cal.comb_input(np.clip(z, -5, 20))})
            for t, z in zip(tl, cz)
        ]
    )


def test_conformal_threshold_bounds_the_share_of_scores_above_it():
    scores = np.random.default_rng(1).normal(size=999)
    t = conformal_threshold(scores, alpha=0.05)
    assert 0.045 <= np.mean(scores >= t) <= 0.05
    assert conformal_threshold(scores[:100], alpha=0.005) > scores[:100].max()  # few scores: above all of them


def test_package_margin_is_the_lead_of_the_worst_package():
    logits = np.array([0.0, 1.0, 3.0, 2.5, -1.0])
    groups = np.array(["a", "a", "b", "b", "c"])
    assert package_margin(logits, groups) == pytest.approx(2.0)
    assert package_margin(logits, np.array(["a"] * 5)) == 0.0


def test_no_validation_real_track_is_called_likely_fake_and_an_outlying_package_raises_the_bar():
    tl, cz, y, windows, groups = _val_set(shift_last_package=0.0)
    cal = Calibration.from_dict(fit_calibration(tl, cz, y, windows, groups=groups, version="t"))
    p = _probs(cal, tl, cz)
    assert p[y == 0].max() < cal.threshold_fake
    assert np.mean(p[y == 1] >= cal.threshold_fake) > 0.3  # still detects the clear fakes

    tl2, cz2, y2, w2, g2 = _val_set(shift_last_package=1.5)
    d2 = fit_calibration(tl2, cz2, y2, w2, groups=g2, version="t")
    assert d2["fit"]["package_margin_logit"] > 0.5
    assert "margin" in d2["thresholds"]["rule"]
    cal2 = Calibration.from_dict(d2)
    assert _probs(cal2, tl2, cz2)[y2 == 0].max() < cal2.threshold_fake


def test_a_comb_weaker_than_the_floor_adds_nothing_to_the_score():
    tl, cz, y, windows, groups = _val_set(shift_last_package=0.0)
    cal = Calibration.from_dict(fit_calibration(tl, cz, y, windows, groups=groups, version="t", comb_z_floor=5.0))
    base = cal.track_probability({"cnn_mean_logit": 0.0, "comb_z": cal.comb_input(0.0)})
    assert cal.track_probability({"cnn_mean_logit": 0.0, "comb_z": cal.comb_input(4.9)}) == base
    assert cal.track_probability({"cnn_mean_logit": 0.0, "comb_z": cal.comb_input(12.0)}) > base
    assert cal.comb_input(50.0) == cal.comb_input(12.0)  # clipped
