"""The cross-validation of ``fit_profile_model`` is genuine: each fold is fitted without its held-out rows.

Synthetic readings (no audio): real sources and generator examples, small values in many dimensions
as fakeprints are, one real reading on the generator's side alone in its source. Fitted with it, the
model bends to keep it lower; held out, a model that never saw it scores it higher. A fold fit started
from the full fit (which saw it) stops there within the solver's tolerance and reads it in-sample: the
flaw this guards against (thresholds too low, detection figures optimistic).
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from forensic_app.training.profiles import C_REG, _folds, fit_profile_model

DIM, N_REAL, N_POS = 100, 400, 60


def _data(seed: int = 0):
    """Small readings in many dimensions (as fakeprints are: one held-out row moves the loss's gradient
    little); six real sources and one of a single reading on the generator's side."""
    rng = np.random.default_rng(seed)
    direction = np.zeros(DIM)
    direction[:5] = 1.0
    X_real = rng.normal(0.0, 1.0, (N_REAL, DIM))
    sources = [f"source-{i % 6}" for i in range(N_REAL)]
    X_real[0], sources[0] = 2.5 * direction, "odd"
    X_pos = rng.normal(0.0, 1.0, (N_POS, DIM)) + 2.5 * direction
    groups = [f"file-{i // 3}" for i in range(N_POS)]
    return 0.5 * X_pos, groups, 0.5 * X_real, sources


def _tight(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    m = LogisticRegression(C=C_REG, class_weight="balanced", max_iter=5000, tol=1e-10)
    m.fit(X, y)
    return m.coef_[0], float(m.intercept_[0])


def test_a_held_out_outlier_is_read_by_a_model_that_never_saw_it():
    X_pos, groups, X_real, sources = _data()
    fit = fit_profile_model(X_pos, groups, X_real, sources, k=len(set(sources)), cv_examples=False)
    in_sample = X_real @ fit.weights + fit.bias
    keep = np.arange(len(X_real)) != 0
    w, b = _tight(np.vstack([X_pos, X_real[keep]]), np.r_[np.ones(len(X_pos)), np.zeros(keep.sum())])
    held_out = X_real[0] @ w + b
    assert held_out > in_sample[0] + 0.25  # the model that saw it bent to keep it lower
    # the fold's reading is the held-out one (to the solver's tolerance), not the in-sample one: a fold fit
    # warm-started from the full fit stopped at once there and read it exactly in-sample
    assert abs(fit.cv_real[0] - held_out) < 0.2
    assert fit.cv_real[0] > in_sample[0] + 0.25
    assert fit.threshold == pytest.approx(fit.cv_real.max() + 1.0)


def test_every_fold_reads_its_rows_as_a_fit_without_them():
    X_pos, groups, X_real, sources = _data(seed=1)
    fit = fit_profile_model(X_pos, groups, X_real, sources)
    src = np.asarray(sources)
    for idx in _folds(sources, 4):
        keep = np.ones(len(X_real), bool)
        keep[idx] = False
        w, b = _tight(np.vstack([X_pos, X_real[keep]]), np.r_[np.ones(len(X_pos)), np.zeros(keep.sum())])
        assert np.abs(fit.cv_real[idx] - (X_real[idx] @ w + b)).max() < 0.5, sorted(set(src[idx]))
    for idx in _folds(groups, 6):
        keep = np.ones(len(X_pos), bool)
        keep[idx] = False
        w, b = _tight(np.vstack([X_pos[keep], X_real]), np.r_[np.ones(keep.sum()), np.zeros(len(X_real))])
        assert np.abs(fit.cv_examples[idx] - (X_pos[idx] @ w + b)).max() < 0.5
