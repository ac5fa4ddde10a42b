"""Scoring one averaged spectrum against every comb of the catalogue (see :mod:`.comb`, steps 3-5).

A comb's score is the mean narrow-line prominence at its lines ``k * f0``; its z is taken
against the same score at jittered spacings (the null), on the whole band and on the lines
above each sub-band edge, and the best test counts. Everything here is a pure function of
the residual spectrum and the candidate list, so it is shared by the streaming analyser and
the training code's reference fitting.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse
from scipy.ndimage import maximum_filter1d

from .catalogue import CombCandidate

FLOOR_WIDTH_HZ = 200.0  # median filter that gives the spectral floor
MIN_LINE_HZ = 200.0  # lines below this sit among bass partials and window leakage from DC
SUB_BAND_LO_HZ = (4000.0, 8000.0)  # each comb is also tested on its lines above these only
SUB_BAND_MIN_LINES = 3  # ... when at least this many lines lie there
SUB_BAND_MIN_F0_HZ = 200.0  # ... and the comb is not dense


def _jitters() -> np.ndarray:
    """Relative spacing offsets for the null distribution (fixed, so results repeat).

    Offsets within 0.4 % of a ratio p/q with q <= 6 are skipped: such a comb shares every
    q-th line with the true one.
    """
    d = np.concatenate([np.linspace(-0.22, -0.02, 80), np.linspace(0.02, 0.22, 80)])
    ratios = sorted({p / q for q in range(1, 7) for p in range(1, 2 * q + 1)})
    keep = np.array([all(abs((1 + x) - r) > 0.004 for r in ratios) for x in d])
    return d[keep]


JITTERS = _jitters()


@dataclass(frozen=True)
class Scores:
    """Comb scores of every candidate on one averaged spectrum."""

    z: np.ndarray  # (n_cand,) robust z against jittered spacings (best sub-band); nan when untestable
    strength_db: np.ndarray  # (n_cand,) score minus median jittered score, same sub-band
    test: np.ndarray  # (n_cand,) index of the scorer test (candidate, sub-band) that gave z
    band_hi_hz: float
    residual: np.ndarray  # (n_bins_in_band,) dB


class CombScorer:
    """Precomputed line indices of all candidates and their jittered spacings for one band.

    Each candidate is tested on its lines in the whole band and, where enough lines lie
    there, on the lines above each of SUB_BAND_LO_HZ only: music buries the low lines of
    a comb and the upper ones may be all that shows (the average over all lines would
    drown them). The candidate's z is the best of its tests.
    """

    def __init__(self, candidates: Sequence[CombCandidate], df_hz: float, band_hi_hz: float):
        self.candidates = candidates
        idx_parts, grp_parts = [], []
        self.lines: list[np.ndarray] = []  # true-line bins per candidate, whole band
        self.test_cand: list[int] = []  # per test: candidate index
        self.test_lo_hz: list[float] = []  # per test: lowest line frequency
        n_spacings = 1 + JITTERS.size
        top_bin = int(math.floor(band_hi_hz / df_hz)) - 1  # +-1 bin tolerance must stay in band
        for ci, cand in enumerate(candidates):
            hi = min(band_hi_hz, cand.max_freq_hz - 2 * FLOOR_WIDTH_HZ)
            spacings = cand.f0_hz * np.concatenate([[1.0], 1.0 + JITTERS])
            k = np.arange(1, max(1, int(hi // spacings.min())) + 1)
            freqs = spacings[:, None] * k[None, :]  # (n_spacings, n_k)
            bins = np.rint(freqs / df_hz).astype(np.int64)
            in_band = (freqs <= hi) & (bins >= 1) & (bins <= top_bin)
            self.lines.append(bins[0][in_band[0] & (freqs[0] >= MIN_LINE_HZ)])
            # dense combs have jittered nulls that overlap their own lines: whole band only
            sub_bands = SUB_BAND_LO_HZ if cand.f0_hz >= SUB_BAND_MIN_F0_HZ else ()
            for lo in (MIN_LINE_HZ, *sub_bands):
                keep = in_band & (freqs >= lo)
                n_true = int(keep[0].sum())
                if n_true < (2 if lo == MIN_LINE_HZ else SUB_BAND_MIN_LINES):
                    continue
                if lo != MIN_LINE_HZ and n_true == self.lines[ci].size:
                    continue  # same lines as the whole-band test
                t = len(self.test_cand)
                self.test_cand.append(ci)
                self.test_lo_hz.append(float(lo))
                grp = (t * n_spacings + np.arange(n_spacings))[:, None] + np.zeros_like(bins)
                idx_parts.append(bins[keep])
                grp_parts.append(grp[keep])
        self.n_spacings = n_spacings
        self.n_tests = len(self.test_cand)
        self.idx = np.concatenate(idx_parts) if idx_parts else np.zeros(0, np.int64)
        self.grp = np.concatenate(grp_parts) if grp_parts else np.zeros(0, np.int64)
        self.counts = np.bincount(self.grp, minlength=self.n_tests * n_spacings).astype(float)
        # every spacing's mean line prominence is one sparse row: (n_tests * n_spacings, bins) @ prominence,
        # 5x faster than gathering and bincounting the lines on each call
        with np.errstate(divide="ignore"):
            weights = 1.0 / self.counts[self.grp]
        self._n_cols = int(self.idx.max()) + 1 if self.idx.size else 0
        self._mean = scipy.sparse.csr_matrix(
            (weights, (self.grp, self.idx)), shape=(self.n_tests * n_spacings, self._n_cols)
        )
        self._empty = self.counts == 0

    def null_lines(self, test: int) -> np.ndarray:
        """Bins of all jittered lines of one test (pooled)."""
        g0 = test * self.n_spacings
        return self.idx[(self.grp > g0) & (self.grp < g0 + self.n_spacings)]

    def score(self, prominence: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per candidate: best z over its tests, the strength and the test index."""
        n_c = len(self.candidates)
        z_c = np.full(n_c, np.nan)
        strength_c = np.full(n_c, np.nan)
        test_c = np.full(n_c, -1)
        if self.n_tests == 0:
            return z_c, strength_c, test_c
        means = self._mean @ prominence[: self._n_cols]
        means[self._empty] = np.nan
        with np.errstate(invalid="ignore", divide="ignore"):
            s = means.reshape(self.n_tests, self.n_spacings)
            s0, null = s[:, 0], s[:, 1:]
            # the nan-aware reductions loop row by row; nulls without gaps (the usual case) take
            # the vectorised ones, which give the same numbers
            median, quantile = (np.nanmedian, np.nanquantile) if np.isnan(null).any() else (np.median, np.quantile)
            med = median(null, axis=1)
            # scale: the larger of the MAD and the 80th-percentile spread (both sigma for a
            # normal null). The MAD alone ignores a heavy upper tail, which music with a
            # forest of partials has (up to 20 % of random combs hit several of them); the
            # quantile still ignores the rare jittered combs that cross a decoder's other combs.
            mad = 1.4826 * median(np.abs(null - med[:, None]), axis=1)
            q80 = (quantile(null, 0.8, axis=1) - med) / 0.8416
            scale = np.maximum(np.maximum(mad, q80), 0.01)
            z = (s0 - med) / scale
        for t, ci in enumerate(self.test_cand):
            if np.isfinite(z[t]) and not z[t] <= z_c[ci]:
                z_c[ci], strength_c[ci], test_c[ci] = z[t], s0[t] - med[t], t
        return z_c, strength_c, test_c


def line_prominence(residual: np.ndarray) -> np.ndarray:
    """Height of a NARROW line at each bin: max over +-1 bin minus the mean of its flanks.

    Upsampling lines are exact and stationary, so they are as narrow as the window's main
    lobe (+-2 bins); music partials averaged over seconds are broadened by vibrato and
    pitch changes and have raised flanks. Flanks: 4..6 bins either side (clear of the
    main lobe, inside the closest comb spacing of 8 bins).
    """
    peak = maximum_filter1d(residual, size=3, mode="nearest")
    kernel = np.zeros(13)
    kernel[[0, 1, 2, 10, 11, 12]] = 1.0 / 6.0
    flank = np.convolve(np.pad(residual, 6, mode="reflect"), kernel, mode="valid")
    flank_env = np.maximum(flank, 0.0)
    return peak - flank_env


@functools.lru_cache(maxsize=8)  # ~15 MB each; one per band edge seen, shared by every analysis of the process
def scorer_for(candidates: tuple[CombCandidate, ...], df_hz: float, band_hi_hz: float) -> CombScorer:
    """The (cached) :class:`CombScorer` of these candidates on this band."""
    return CombScorer(candidates, df_hz, band_hi_hz)
