"""Applying calibration: detector scores -> calibrated probability, interval, verdict band.

Calibration is *fitted* in ``training/calibrate.py`` with scikit-learn on validation data
only; here its parameters are applied from JSON (no pickles). The file is bound to the
sha256 of the weights it was fitted for (checked in ``weights.load_model``).

Track probability: logistic regression over the track features (patch-CNN mean logit,
clipped comb z-score) followed by an optional isotonic map. Window probability: Platt
scaling of the window's mean patch logit. The interval is a bootstrap over windows (see
README: it says how much the finding depends on which parts of the track are examined).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Optional

import numpy as np

from .errors import ModelError
from .patch_null import PatchNull


def sigmoid(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


@dataclass(frozen=True)
class Calibration:
    version: str
    model_sha256: str
    window_a: float
    window_b: float
    track_features: tuple[str, ...]
    track_coef: tuple[float, ...]
    track_intercept: float
    isotonic_x: Optional[np.ndarray]
    isotonic_y: Optional[np.ndarray]
    threshold_fake: float  # p >= this -> likely_fake (chosen so held-out real music lands there <= 1 %)
    threshold_real: float  # p <= this (interval clear of the fake band) -> no_traces_found
    comb_z_clip: float
    raw: dict[str, Any]
    # comb z below this adds nothing to the fused score (real music often reaches z 5-8);
    # None: the clipped z enters linearly (calibrations fitted before the floor existed)
    comb_z_floor: Optional[float] = None

    @classmethod
    def load(cls, path: Path) -> "Calibration":
        try:
            d = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls.from_dict(d)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"The calibration file {path} is damaged ({exc}). Reinstall the app") from None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Calibration":
        iso = d.get("isotonic")
        return cls(
            version=str(d["version"]),
            model_sha256=str(d.get("model_sha256", "")),
            window_a=float(d["window"]["a"]),
            window_b=float(d["window"]["b"]),
            track_features=tuple(d["track"]["features"]),
            track_coef=tuple(float(c) for c in d["track"]["coef"]),
            track_intercept=float(d["track"]["intercept"]),
            isotonic_x=None if not iso else np.asarray(iso["x"], float),
            isotonic_y=None if not iso else np.asarray(iso["y"], float),
            threshold_fake=float(d["thresholds"]["likely_fake"]),
            threshold_real=float(d["thresholds"]["no_traces_found"]),
            comb_z_clip=float(d.get("comb", {}).get("z_clip", 12.0)),
            raw=d,
            comb_z_floor=None if d.get("comb", {}).get("z_floor") is None else float(d["comb"]["z_floor"]),
        )

    @cached_property
    def patch_null(self) -> Optional[PatchNull]:
        """The heatmap's real-music reference (parsed once per calibration), or None before it existed."""
        return PatchNull.from_calibration(self.raw)

    def comb_input(self, z: Any) -> Any:
        """The comb term of the track fusion from scoring.clipped_comb_z()'s z (scalar or array)."""
        return comb_term(z, clip=self.comb_z_clip, floor=self.comb_z_floor)

    def window_probability(self, logits: np.ndarray) -> np.ndarray:
        return sigmoid(self.window_a * np.asarray(logits, float) + self.window_b)

    def track_probability(self, features: dict[str, float]) -> float:
        z = self.track_intercept
        for name, c in zip(self.track_features, self.track_coef):
            z += c * float(features.get(name, 0.0))
        p = float(sigmoid(z))
        if self.isotonic_x is not None and self.isotonic_y is not None and len(self.isotonic_x) > 1:
            p = float(np.interp(p, self.isotonic_x, self.isotonic_y))
        return min(max(p, 0.0), 1.0)

    def track_probabilities(self, features: dict[str, np.ndarray]) -> np.ndarray:
        """:meth:`track_probability` over arrays of features (n,) at once: the same arithmetic, element by element
        (the bootstrap's resamples in one pass)."""
        z: Any = self.track_intercept
        for name, c in zip(self.track_features, self.track_coef):
            z = z + c * np.asarray(features.get(name, 0.0), float)
        p = sigmoid(np.asarray(z, float))
        if self.isotonic_x is not None and self.isotonic_y is not None and len(self.isotonic_x) > 1:
            p = np.interp(p, self.isotonic_x, self.isotonic_y)
        return np.minimum(np.maximum(p, 0.0), 1.0)

    def verdict(self, p: float, interval: tuple[float, float]) -> str:
        """Band the probability; an interval that reaches across bands is inconclusive."""
        lo, hi = interval
        if p >= self.threshold_fake and lo > self.threshold_real:
            return "likely_fake"
        if p <= self.threshold_real and hi < self.threshold_fake:
            return "no_traces_found"
        return "inconclusive"


def comb_term(z: Any, *, clip: float, floor: Optional[float]) -> Any:
    """min(z, clip), then minus ``floor`` and cut at 0 when a floor is set (scalar or array)."""
    v = np.minimum(np.asarray(z, float), clip)
    if floor is not None:
        v = np.maximum(v - floor, 0.0)
    return float(v) if v.ndim == 0 else v


def bootstrap_interval(
    window_logits: np.ndarray,
    make_features,
    calibration: Calibration,
    *,
    n_boot: int = 200,
    level: float = 0.9,
    seed: int = 0,
    vectorized: bool = False,
) -> tuple[float, float]:
    """Central ``level`` interval of the track probability over window resamples.

    window_logits: (n_windows,) mean patch logits; ``make_features(mean_logit) -> dict``
    rebuilds the track features with everything else (comb) held fixed. ``vectorized``:
    ``make_features`` also takes the (n_boot,) resampled means at once and returns arrays
    (:meth:`Calibration.track_probabilities`; the same values, ~50x faster).
    """
    x = np.asarray(window_logits, float)
    if x.size == 0:
        return (0.0, 1.0)
    means = x[_resamples(x.size, n_boot, seed)].mean(axis=1)
    if vectorized:
        probs = calibration.track_probabilities(make_features(means))
    else:
        probs = np.array([calibration.track_probability(make_features(m)) for m in means])
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(probs, [a, 1.0 - a])
    return (float(lo), float(hi))


@lru_cache(maxsize=8)
def _resamples(size: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, size) window indices of the bootstrap: the same for every track of ``size`` windows (a fixed
    seed), so drawn once per size (a batch re-scored, tracks of one length)."""
    idx = np.random.default_rng(seed).integers(0, size, size=(n_boot, size))
    idx.setflags(write=False)
    return idx
