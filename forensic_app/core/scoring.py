"""score_track(): what the detectors measured on a track -> probability, interval and verdict.

The ONE scoring path: ``analyze()`` calls it on a whole file, ``forensic-app evaluate`` on
each test segment, the calibration fit uses its learned features. Train = infer rests on
these few functions, so they live here and nowhere else:

- :func:`window_logits_from_map`: the patch CNN's cell logits -> window logits (mean patch
  logit per window of ``WINDOW_CELLS`` columns); the track logit is their mean;
- :func:`learned_features`: the learned fusion's inputs (CNN track logit, comb term);
- :func:`score_track`: the learned probability with its bootstrap interval over windows,
  then :func:`~.fusion.decide` over all three lines of evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from .calibration import Calibration, bootstrap_interval
from .detectors.comb import FEATURE_CLIP
from .fusion import Decision, EvidenceRules, decide

WINDOW_CELLS = 4  # heatmap columns per window (about 3 s)


def window_logits_from_map(fake_map: np.ndarray) -> np.ndarray:
    """(F', T') per-cell logits -> (ceil(T' / WINDOW_CELLS),) window logits (mean patch logit)."""
    col = fake_map.mean(axis=0)
    return np.array([col[s : s + WINDOW_CELLS].mean() for s in range(0, col.size, WINDOW_CELLS)])


def clipped_comb_z(z: Any) -> Any:
    """The comb's best z as fusion reads it: clipped to FEATURE_CLIP; 0 when not measured
    (None or not finite). A scalar gives a float, an array (n,) an array."""
    if z is None:
        return 0.0
    a = np.asarray(z, float)
    v = np.where(np.isfinite(a), np.clip(a, *FEATURE_CLIP), 0.0)
    return float(v) if v.ndim == 0 else v


def learned_features(track_logit: float, comb_z: Optional[float], cal: Calibration) -> dict[str, float]:
    """The learned fusion's inputs: the CNN's mean window logit and the calibration's comb term."""
    return {"cnn_mean_logit": float(track_logit), "comb_z": float(cal.comb_input(clipped_comb_z(comb_z)))}


@dataclass(frozen=True)
class Readings:
    """What the detectors and content measures read on one track or segment.

    ``window_logits``: (n_windows,) from :func:`window_logits_from_map`; ``comb_z``: the best
    comb z (raw; None when the comb found no candidate, e.g. silence) and ``comb_offset_bins`` how
    tightly its lines sit at k*f0 (None: too few lines); ``fakeprint_logit``:
    None when not measured (too quiet, too short); ``content_s`` of ``duration_s`` seconds
    rise above -60 dBFS; ``stationarity``: content.Stationarity (None: under 3 s);
    ``bandwidth_hz``: the highest frequency with real content (Hz; None: full band).
    """

    window_logits: np.ndarray
    comb_z: Optional[float]
    fakeprint_logit: Optional[float]
    content_s: float
    stationarity: Optional[float]
    duration_s: float
    comb_offset_bins: Optional[float] = None  # CombEvidence.line_offset_bins: how tightly its lines are locked
    bandwidth_hz: Optional[float] = None  # effective bandwidth (meters.effective_bandwidth_hz); None: full band

    @property
    def track_logit(self) -> float:
        return float(np.mean(self.window_logits)) if len(self.window_logits) else 0.0


@dataclass(frozen=True)
class TrackScore:
    """The verdict (``decision``) and the learned fusion's own probability and interval before any cap."""

    decision: Decision
    learned_p: float
    learned_interval: tuple[float, float]
    track_logit: float  # the CNN's mean window logit, shifted to the input's bandwidth (fusion.CnnReference)
    cnn_shift: float = 0.0  # logits subtracted from the CNN's readings for the input's bandwidth


def score_track(
    cal: Calibration,
    rules: EvidenceRules,
    r: Readings,
    *,
    n_boot: int = 200,
    extra_lines: Optional[dict[str, Optional[float]]] = None,
) -> TrackScore:
    """Readings -> TrackScore. ``n_boot``: bootstrap resamples of the windows for the interval;
    ``extra_lines``: further sources' probabilities on the verdict's scale (fusion.decide).

    On band-limited input the CNN's window logits are first shifted by how much real music of the
    same bandwidth rises (``rules.cnn_reference``); everything after reads the shifted values."""
    shift = rules.cnn_reference.shift_logit(r.bandwidth_hz)
    window_logits = np.asarray(r.window_logits, float) - shift
    track_logit = float(np.mean(window_logits)) if window_logits.size else 0.0

    comb = learned_features(0.0, r.comb_z, cal)["comb_z"]  # the comb's term: the same for every resample

    def features(mean_logit: Any) -> dict[str, Any]:  # learned_features, for one mean or the resamples' (n_boot,)
        return {"cnn_mean_logit": mean_logit, "comb_z": comb}

    p = cal.track_probability(features(track_logit))
    lo, hi = bootstrap_interval(window_logits, features, cal, n_boot=n_boot, vectorized=True)
    interval = (min(lo, p), max(hi, p))
    decision = decide(
        cal,
        rules,
        learned_p=p,
        learned_interval=interval,
        cnn_logit=track_logit,
        comb_z=None if r.comb_z is None else clipped_comb_z(r.comb_z),
        fakeprint_logit=r.fakeprint_logit,
        content_s=r.content_s,
        stationarity=r.stationarity,
        duration_s=r.duration_s,
        comb_offset_bins=r.comb_offset_bins,
        cnn_line=rules.cnn_line(r.bandwidth_hz, r.duration_s),
        extra_lines=extra_lines,
    )
    return TrackScore(decision, p, interval, track_logit, shift)
