"""Frequency scales and resampling of time-frequency grids onto a view grid. Pure numpy.

The plot's y coordinate is in *scale units* (Hz for linear, log10(Hz) for log, mel for mel);
images are resampled so their rows are uniform in those units, then placed with
``ImageItem.setRect``. Axis labels convert back to Hz.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.vocabulary import format_clock

LOG_MIN_HZ = 20.0  # the log scale starts here: below it there is no musical detail to see
# the frequency scales every spectrogram offers (the track view and each case lane), with their words
SCALE_NAMES = ("linear", "log", "mel")
SCALE_WORDS = {"linear": "Linear", "log": "Log", "mel": "Mel"}
SCALE_TIPS = {
    "linear": "Hz evenly spaced: harmonics and comb lines at equal distances",
    "log": "Octaves evenly spaced, from 20 Hz: a bass line gets as much room as the treble",
    "mel": "Spaced as pitch is heard: linear below about 1 kHz, logarithmic above",
}


@dataclass(frozen=True)
class FrequencyScale:
    name: str  # one of SCALE_NAMES

    def to_units(self, freq_hz):
        f = np.asarray(freq_hz, dtype=np.float64)
        if self.name == "log":
            return np.log10(np.maximum(f, LOG_MIN_HZ))
        if self.name == "mel":
            return 2595.0 * np.log10(1.0 + np.maximum(f, 0.0) / 700.0)
        return f

    def to_hz(self, units):
        u = np.asarray(units, dtype=np.float64)
        if self.name == "log":
            return 10.0**u
        if self.name == "mel":
            return 700.0 * (10.0 ** (u / 2595.0) - 1.0)
        return u

    def unit_range(self, low_hz: float, high_hz: float) -> tuple[float, float]:
        lo = max(low_hz, LOG_MIN_HZ) if self.name == "log" else low_hz
        return float(self.to_units(lo)), float(self.to_units(high_hz))


def is_uniform(edges: np.ndarray) -> bool:
    d = np.diff(np.asarray(edges, dtype=np.float64))
    return d.size > 0 and bool(np.all(d > 0)) and bool(np.allclose(d, d[0], rtol=1e-3, atol=1e-9))


def cell_index(edges: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the cell ``[edges[k], edges[k+1])`` holding each centre, clipped to the grid."""
    k = np.searchsorted(edges, centres, side="right") - 1
    return np.clip(k, 0, len(edges) - 2)


def resample_rows(
    values: np.ndarray, freq_edges_hz: np.ndarray, scale: FrequencyScale, n_rows: int = 512
) -> tuple[np.ndarray, float, float]:
    """Resample ``values`` (n_freq, n_time), row 0 lowest, onto rows uniform in scale units.

    Returns ``(image, unit_low, unit_high)``; a linear scale with uniform edges is returned
    unchanged (no copy) so the common case costs nothing.
    """
    edges = np.asarray(freq_edges_hz, dtype=np.float64)
    lo_u, hi_u = scale.unit_range(edges[0], edges[-1])
    if scale.name == "linear" and is_uniform(edges):
        return values, lo_u, hi_u
    if scale.name == "linear" and len(edges) > 3 and is_uniform(edges[1:]):
        # FFT bins: the DC cell is clipped to [0, df/2); place the rows on their true bin
        # centres (k * df) and let the view limits hide the half bin below 0 Hz.
        step = edges[2] - edges[1]
        lo = edges[1] - step
        return values, float(lo), float(lo + step * values.shape[0])
    n_rows = max(int(n_rows), 2)
    step = (hi_u - lo_u) / n_rows
    centres_hz = scale.to_hz(lo_u + step * (np.arange(n_rows) + 0.5))
    return values[cell_index(edges, centres_hz)], lo_u, hi_u


def resample_cols(
    values: np.ndarray, time_edges_s: np.ndarray, n_cols: int | None = None
) -> tuple[np.ndarray, float, float]:
    """Make columns uniform in time (heatmaps may have a short last cell)."""
    edges = np.asarray(time_edges_s, dtype=np.float64)
    if is_uniform(edges):
        return values, float(edges[0]), float(edges[-1])
    widths = np.diff(edges)
    n_cols = n_cols or int(min(4096, max(values.shape[1], np.ceil((edges[-1] - edges[0]) / max(widths.min(), 1e-6)))))
    step = (edges[-1] - edges[0]) / n_cols
    centres = edges[0] + step * (np.arange(n_cols) + 0.5)
    return values[:, cell_index(edges, centres)], float(edges[0]), float(edges[-1])


def nice_hz_ticks(scale: FrequencyScale, low_hz: float, high_hz: float, max_ticks: int) -> list[float]:
    """Round frequencies to label on a log or mel axis, spread evenly in scale units.

    Candidates are taken in order of roundness (1, 10, 100... first, then 2 and 5, then whole
    kHz, then 3 and 7) and kept when far enough from those already kept.
    """
    decades = (10.0, 100.0, 1000.0, 10000.0)
    tiers = [
        [d for d in decades],
        [d * m for d in decades for m in (2, 5)],
        [1000.0 * k for k in range(1, 25)],
        [d * m for d in decades for m in (3, 7)],
    ]
    lo_u, hi_u = scale.unit_range(low_hz, high_hz)
    min_gap = (hi_u - lo_u) / max(max_ticks, 1)
    kept: list[float] = []
    kept_u: list[float] = []
    for tier in tiers:
        for f in tier:
            if not (low_hz <= f <= high_hz) or f in kept:
                continue
            u = float(scale.to_units(f))
            if all(abs(u - k) >= min_gap for k in kept_u):
                kept.append(f)
                kept_u.append(u)
    return sorted(kept)


def format_hz(freq_hz: float, spacing_hz: float | None = None) -> str:
    """'440 Hz', '2 kHz', '2.5 kHz', '12.25 kHz' — decimals only where the spacing needs them."""
    f = float(freq_hz)
    if abs(f) < 1000.0:
        if spacing_hz is not None and spacing_hz < 1.0:
            return f"{f:.1f} Hz"
        return f"{f:.0f} Hz"
    k = f / 1000.0
    if spacing_hz is not None and spacing_hz < 100:
        decimals = 2
    elif spacing_hz is not None and spacing_hz < 1000:
        decimals = 1
    else:
        decimals = 0 if abs(k - round(k)) < 1e-9 else (1 if abs(k * 10 - round(k * 10)) < 1e-6 else 2)
    return f"{k:.{decimals}f} kHz"


def format_time(seconds: float, spacing_s: float | None = None) -> str:
    """m:ss, with tenths or hundredths when the spacing is below a second (core.vocabulary.format_clock)."""
    decimals = 2 if spacing_s is not None and spacing_s < 0.1 else 1 if spacing_s is not None and spacing_s < 1.0 else 0
    return format_clock(max(float(seconds), 0.0), decimals)
