"""Fitting and validating generator profiles (``core.profiles.Profile``) against the real reference.

A profile is a logistic regression (scikit-learn, L2, classes balanced) over the fakeprint, fitted
on the examples of one generator (each read as it is and re-encoded: MP3 128k, AAC 128k, Opus 64k)
against the real reference (every source through the rates and codecs the examples come in:
``training.profile_data``). Its threshold is set against real music with a leave-one-source-out
margin:

- every real reading is scored by a model fitted without its source (``GroupKFold`` over sources:
  ``cv_real``); the threshold is the highest of these plus ``MARGIN_LOGIT``;
- the false positives it would give a source it never saw: for each source, the share of its
  readings at or above (highest cross-validated score of the OTHER sources + margin). The budget
  is 1 % per source (``FP_BUDGET``).

Teaching (``teach``) is the same fit from a user's few examples, with the refusals of issue #24:
fewer than ``MIN_EXAMPLES`` readable examples; examples the reference cannot be told apart from
(held out one at a time, fewer than ``MIN_CV_DETECTION`` of them reach the threshold); a
production chain rather than a generator (``chain_evidence``: see there); a profile above the
false-positive budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..core.detectors.comb.catalogue import candidate_combs
from ..core.fakeprint import BAND, FREQS_HZ
from ..core.profiles import Profile, today

C_REG = 1.0
MARGIN_LOGIT = 1.0
FP_BUDGET = 0.01
MIN_EXAMPLES = 3
MIN_CV_DETECTION = 0.6
N_FOLDS = 4


@dataclass
class Fit:
    """A fitted model and its cross-validated readings. ``cv_real``: (n_real,) logits, each from a
    model fitted without that reading's source; ``cv_examples``: (n_pos,) logits, each from a model
    fitted without that reading's example group (NaN where not cross-validated)."""

    weights: np.ndarray
    bias: float
    threshold: float
    cv_real: np.ndarray
    cv_examples: np.ndarray
    fp_loso: dict[str, float] = field(default_factory=dict)


def _lr(X: np.ndarray, y: np.ndarray, C: float = C_REG):
    """L2 logistic regression, classes balanced, fitted from zero. Every fit starts there, the fold fits of
    the cross-validation too: started from the full fit (which saw the held-out rows), lbfgs stops at once
    within its tolerance and the "held-out" reading is the in-sample one."""
    from sklearn.linear_model import LogisticRegression

    m = LogisticRegression(C=C, class_weight="balanced", max_iter=300, tol=1e-3)
    m.fit(X, y)
    return m.coef_[0].astype(np.float64), float(m.intercept_[0])


def _folds(groups: Sequence[str], k: int) -> list[np.ndarray]:
    """Up to ``k`` index sets, each a whole set of groups (deterministic: groups sorted, dealt round robin)."""
    names = sorted(set(groups))
    k = max(1, min(k, len(names)))
    fold_of = {g: i % k for i, g in enumerate(names)}
    g = np.array([fold_of[x] for x in groups])
    return [np.flatnonzero(g == i) for i in range(k)]


def fit_profile_model(
    X_pos: np.ndarray,
    pos_groups: Sequence[str],
    X_real: np.ndarray,
    real_sources: Sequence[str],
    *,
    k: int = N_FOLDS,
    cv_examples: bool = True,
    k_examples: int | None = None,
    margin: float = MARGIN_LOGIT,
) -> Fit:
    """Fit on all rows; cross-validate the real rows by source and the examples by group.

    X_pos: (n_pos, 3585) example readings, ``pos_groups`` their groups (a file, a demo table);
    X_real: (n_real, 3585) reference readings, ``real_sources`` their sources. Real rows are cross-validated
    in ``k`` folds of whole sources, examples in ``k_examples`` folds of whole groups (default: up to 6).
    """
    if len(set(real_sources)) < 2:
        raise ValueError("the real reference needs at least 2 sources to cross-validate a threshold")
    X_pos, X_real = np.asarray(X_pos, np.float64), np.asarray(X_real, np.float64)
    y = np.r_[np.ones(len(X_pos)), np.zeros(len(X_real))]
    w, b = _lr(np.vstack([X_pos, X_real]), y)
    cv_real = np.empty(len(X_real))
    for idx in _folds(list(real_sources), k):
        keep = np.ones(len(X_real), bool)
        keep[idx] = False
        wf, bf = _lr(np.vstack([X_pos, X_real[keep]]), np.r_[np.ones(len(X_pos)), np.zeros(keep.sum())])
        cv_real[idx] = X_real[idx] @ wf + bf
    cv_pos = np.full(len(X_pos), np.nan)
    if cv_examples and len(set(pos_groups)) > 1:
        n_ex = k_examples if k_examples is not None else max(k, min(len(set(pos_groups)), 6))
        for idx in _folds(list(pos_groups), n_ex):
            keep = np.ones(len(X_pos), bool)
            keep[idx] = False
            wf, bf = _lr(np.vstack([X_pos[keep], X_real]), np.r_[np.ones(keep.sum()), np.zeros(len(X_real))])
            cv_pos[idx] = X_pos[idx] @ wf + bf
    threshold = float(cv_real.max() + margin)
    return Fit(w, b, threshold, cv_real, cv_pos, fp_leave_one_source_out(cv_real, real_sources, margin))


def fp_leave_one_source_out(
    cv_real: np.ndarray, sources: Sequence[str], margin: float = MARGIN_LOGIT
) -> dict[str, float]:
    """Per source: the share of its cross-validated readings at or above the threshold the other
    sources alone would have set (their highest cross-validated reading + margin)."""
    src = np.asarray(sources)
    out = {}
    for s in sorted(set(sources)):
        mine = src == s
        if mine.all():
            out[s] = 0.0
            continue
        thr = cv_real[~mine].max() + margin
        out[s] = float(np.mean(cv_real[mine] >= thr))
    return out


# ---- production chain or generator? ----------------------------------------------------------

_FREQS = FREQS_HZ[BAND]


def _lattices(min_f0_hz: float = 100.0, tol_bins: int = 0) -> list[tuple[float, np.ndarray]]:
    """(f0, boolean mask over the fakeprint's bins within ``tol_bins`` of k*f0) for the catalogue's combs."""
    step = _FREQS[1] - _FREQS[0]
    out = []
    for c in candidate_combs(max_freq_hz=8000.0):
        if c.f0_hz < min_f0_hz:
            continue
        k = np.arange(np.ceil(_FREQS[0] / c.f0_hz), np.floor(_FREQS[-1] / c.f0_hz) + 1)
        if k.size < 3:
            continue
        idx = np.round((k * c.f0_hz - _FREQS[0]) / step).astype(int)
        mask = np.zeros(_FREQS.size, bool)
        for d in range(-tol_bins, tol_bins + 1):
            j = idx + d
            mask[j[(j >= 0) & (j < mask.size)]] = True
        out.append((c.f0_hz, mask))
    return out


_LATTICES: list[tuple[float, np.ndarray]] | None = None


def lattice_enrichment(weights: np.ndarray, X_examples: np.ndarray) -> tuple[float, float]:
    """How much of the profile's positive evidence on its examples lies on one upsampling lattice
    k*rate/P of the comb catalogue: max over combs of (share of the positive contribution
    ``max(w, 0) * mean fakeprint`` on the lattice) / (share of bins on it). Returns (enrichment, f0 Hz)."""
    global _LATTICES
    if _LATTICES is None:
        _LATTICES = _lattices()
    v = np.maximum(np.asarray(weights), 0) * np.asarray(X_examples, np.float64).mean(axis=0)
    total = v.sum()
    if total <= 0:
        return 0.0, 0.0
    best, best_f0 = 0.0, 0.0
    for f0, mask in _LATTICES:
        e = (v[mask].sum() / total) / mask.mean()
        if e > best:
            best, best_f0 = float(e), float(f0)
    return best, best_f0


def coherence(X_examples: np.ndarray) -> float:
    """Mean pairwise correlation of the examples' fakeprints (one row per example, as read):
    a decoder's peaks sit at the same bins in every output, whatever is played."""
    X = np.asarray(X_examples, np.float64)
    if len(X) < 2:
        return 0.0
    Z = X - X.mean(axis=1, keepdims=True)
    Z /= np.linalg.norm(Z, axis=1, keepdims=True) + 1e-12
    C = Z @ Z.T
    n = len(X)
    return float((C.sum() - n) / (n * (n - 1)))


def peak_consensus(X_examples: np.ndarray, q: float = 0.2) -> float:
    """Share of the fakeprint bins where (nearly) every example has a peak: the ``q``-quantile over
    examples of each bin's residue, summed over bins, over the mean example's residue sum. A peak
    that every output of one decoder carries counts; a peak of one song does not."""
    X = np.asarray(X_examples, np.float64)
    low = np.quantile(X, q, axis=0)
    return float(low.sum() / (X.mean(axis=0).sum() + 1e-12))


def chain_evidence(weights: np.ndarray, X_examples: np.ndarray) -> dict[str, float]:
    """The readings that tell a generator from a production chain (measured in the study)."""
    enr, f0 = lattice_enrichment(weights, X_examples)
    return {
        "lattice_enrichment": enr,
        "lattice_f0_hz": f0,
        "coherence": coherence(X_examples),
        "peak_consensus": peak_consensus(X_examples),
    }


# ---- teaching ------------------------------------------------------------------------------


class Refused(ValueError):
    """A profile that must not be made; ``str()`` is the one-line reason."""


@dataclass(frozen=True)
class TeachRules:
    """The limits a taught profile is held to. ``chain_*``: the production-chain test (a taught
    profile must exceed the highest value that single real sources of the reference reached, fitted
    in the study); ``None`` leaves a test out."""

    min_examples: int = MIN_EXAMPLES
    min_cv_detection: float = MIN_CV_DETECTION
    fp_budget: float = FP_BUDGET
    chain_key: str | None = None
    chain_min: float | None = None


def teach(
    name: str,
    X_orig: np.ndarray,
    X_rows: np.ndarray,
    row_example: Sequence[int],
    X_real: np.ndarray,
    real_sources: Sequence[str],
    *,
    rules: TeachRules = TeachRules(),
    version: str = "",
    architecture: str = "",
    notes: str = "",
    sources: Sequence[dict] = (),
    k: int = N_FOLDS,
    kind: str = "user",
) -> Profile:
    """A user profile from examples, or :class:`Refused` with the reason.

    X_orig: (n_examples, 3585) one reading per readable example as it is; X_rows: every reading of
    the examples (as they are and re-encoded), ``row_example`` the example each row belongs to; the
    first row of each example must be the example as it is.
    """
    n = len(X_orig)
    if n < rules.min_examples:
        raise Refused(
            f"only {n} readable example{'s' if n != 1 else ''}: a profile needs at least "
            f"{rules.min_examples} (files between 1 and 8 kHz loud enough, longer than 0.5 s)"
        )
    fit = fit_profile_model(X_rows, [str(i) for i in row_example], X_real, real_sources, k=k)
    ex = np.asarray(row_example)
    # judged on each example as it is (its first row): a re-encoded copy can score high for its codec alone
    per_example = np.array(
        [fit.cv_examples[np.flatnonzero(ex == i)[0]] if np.any(ex == i) else np.nan for i in range(n)]
    )
    detected = float(np.nanmean(per_example >= fit.threshold))
    if detected < rules.min_cv_detection:
        raise Refused(
            f"the examples cannot be told apart from real music: held out one at a time, {detected:.0%} "
            f"of them reach the threshold set on the real reference (needs {rules.min_cv_detection:.0%}); "
            "are these real recordings?"
        )
    chain = chain_evidence(fit.weights, X_orig)
    if rules.chain_key is not None and rules.chain_min is not None and chain[rules.chain_key] < rules.chain_min:
        raise Refused(
            f"the examples share a production chain rather than a generator's fingerprint: "
            f"{rules.chain_key.replace('_', ' ')} {chain[rules.chain_key]:.2f}, where single real sources of "
            f"the reference reach up to {rules.chain_min:.2f}"
        )
    worst = max(fit.fp_loso.items(), key=lambda kv: kv[1]) if fit.fp_loso else ("", 0.0)
    if worst[1] > rules.fp_budget:
        raise Refused(
            f"above the false-positive budget: {worst[1]:.1%} of the real source {worst[0]} would be "
            f"flagged (budget {rules.fp_budget:.0%} per source)"
        )
    validation = {
        "cv_detection": round(detected, 3),
        "n_reference": len(X_real),
        "n_reference_sources": len(set(real_sources)),
        "fp_leave_one_source_out_max": round(worst[1], 4),
        "chain": {k2: round(v, 4) for k2, v in chain.items()},
    }
    return Profile(
        generator=name,
        version=version,
        architecture=architecture,
        weights=fit.weights,
        bias=fit.bias,
        threshold_logit=fit.threshold,
        n_examples=n,
        sources=tuple(sources),
        validation=validation,
        created=today(),
        notes=notes,
        kind=kind,
    )
