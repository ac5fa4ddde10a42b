"""Long-window spectral-comb evidence of transposed-convolution upsampling.

Decoders that upsample with transposed convolutions leave faint spectral lines at the
multiples of ``run_rate / P`` (``P`` a partial product of the strides, see
:mod:`forensic_app.core.detectors.comb.catalogue`). A few dB is invisible in one short frame but
stands out in a spectrum averaged over tens of seconds. The recipe:

1. average power spectrum (Hann window, ``n_fft`` bins, 50 % overlap) over the track and
   over each ``segment_s`` segment, streaming: memory does not grow with duration;
2. residual = log spectrum minus its median-filtered floor (``FLOOR_WIDTH_HZ`` wide: wide
   enough to pass over a line, narrow enough to follow the music's envelope);
3. comb score of a spacing ``f0`` = mean line prominence at ``k * f0`` for the lines inside
   the analysed band; a line's prominence is the residual's max over +-1 bin minus the
   mean of its flanks 4..6 bins away (when positive), so that the broad partials of music
   count less than the window-narrow lines of an upsampler;
4. z-score against the same score at jittered spacings ``f0 * (1 + d)`` (median, and the
   larger of the MAD and the 80th-percentile spread as scale), skipping ratios close to
   small fractions, where the jittered comb would share lines with the true one;
5. each spacing is scored on all its lines in the band and, for spacings >= 200 Hz, also on
   its lines above 4 and above 8 kHz only (music buries the low lines; the top of the band
   is often where an upsampler's lines show); its z is the best of these;
6. best z over the catalogue's spacings.

The best z of real music is not 0: it is the maximum over some 36 spacings, and music has
harmonic partials. ``CombReference`` holds the distribution of best z over real tracks
(fitted by the training code, per source) and turns a z into a false-positive rate.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Optional, Sequence

import numpy as np
import scipy.fft
from scipy.ndimage import median_filter

from .catalogue import (
    CATALOGUE_VERSION,
    Architecture,
    candidate_combs,
    catalogue_fingerprint,
)
from .reference import CombReference  # noqa: F401 - re-exported: the public comb API
from .reference import fit_reference as _fit_reference
from .scoring import (  # noqa: F401 - the recipe's constants are part of the public comb API
    FLOOR_WIDTH_HZ,
    JITTERS,
    MIN_LINE_HZ,
    SUB_BAND_LO_HZ,
    SUB_BAND_MIN_F0_HZ,
    SUB_BAND_MIN_LINES,
    CombScorer,
    Scores,
    line_prominence,
    scorer_for,
)
from .reading import (  # noqa: F401 - re-exported: the public comb API
    FEATURE_CLIP,
    LOCK_MAX_OFFSET_BINS,
    LOCK_MIN_LINES,
    Z_STRONG,
    Z_WEAK,
    comb_finding,
    comb_grade,
    comb_locked,
    line_offsets_bins,
)
from ...errors import ModelError
from ...result import CombEvidence

COMB_VERSION = "2"  # bump when the recipe below changes: stored references become invalid

DEFAULT_BAND_HZ = 16000.0  # above this, lossy codecs' low-pass and noise shaping dominate
MIN_AUDIO_S = 3.0  # less than this gives too few frames to average
MAX_PLOT_POINTS = 8192  # residual_db / freqs_hz are max-pooled down to at most this
CLIFF_DB = 20.0  # a floor drop this large within 4 floor widths is a low-pass edge
SILENCE_MS = 1e-12  # mean square below this (-120 dBFS) is treated as silence
LINE_MIN_DB = 1.5  # a line must stand at least this far above the floor to be "found"
LINE_NULL_QUANTILE = 0.95  # ... and above this quantile of jittered-line prominences
FOUND_LINES_MIN_Z = Z_WEAK  # below this z no line is reported as found (they would be chance)


def fit_reference(
    z_scores_by_source: dict[str, Sequence[float]], *, settings: Optional[dict[str, Any]] = None
) -> CombReference:
    """:func:`.comb_reference.fit_reference` with the default analyser's :func:`comb_recipe` as ``settings``."""
    return _fit_reference(z_scores_by_source, settings=comb_recipe() if settings is None else settings)


def comb_recipe(
    rate_hz: int = 44100, n_fft: int = 16384, catalogue: Optional[Iterable[Architecture]] = None
) -> dict[str, Any]:
    """The settings a z-score depends on; stored with a :class:`CombReference`."""
    return {
        "comb_version": COMB_VERSION,
        "rate_hz": int(rate_hz),
        "n_fft": int(n_fft),
        "floor_width_hz": FLOOR_WIDTH_HZ,
        "min_line_hz": MIN_LINE_HZ,
        "n_jitters": int(JITTERS.size),
        "sub_bands_hz": list(SUB_BAND_LO_HZ),
        "sub_band_min_f0_hz": SUB_BAND_MIN_F0_HZ,
        "catalogue_version": CATALOGUE_VERSION,
        "catalogue": catalogue_fingerprint(catalogue),
    }


def _log_spectrum(power: np.ndarray) -> np.ndarray:
    floor = max(float(power.max()) * 1e-13, 1e-30)
    return 10.0 * np.log10(power + floor)


def _find_band_edge(level_db: np.ndarray, df_hz: float, hi_bin: int, width: int) -> int:
    """Highest usable bin: below the first low-pass edge in ``level_db``, else ``hi_bin``.

    An edge is a drop of the floor by CLIFF_DB within 4 floor widths (800 Hz): music falls
    a few dB per octave up there, resamplers and lossy codecs fall tens of dB. Lines just
    below such an edge would sit on a floor that the median filter cannot follow.
    """
    ahead = 3 * width
    stop = min(level_db.size, hi_bin + ahead + width + 1)
    floor = median_filter(level_db[:stop], size=width, mode="nearest")
    start = max(width, int(2000.0 / df_hz))
    if stop - ahead <= start:
        return hi_bin
    i = np.arange(start, stop - ahead)
    drop = floor[i - width] - floor[i + ahead]
    hit = np.nonzero(drop > CLIFF_DB)[0]
    if hit.size == 0:
        return hi_bin
    return int(min(hi_bin, i[hit[0]]))


class CombAnalyzer:
    """Streaming comb analysis of one mono track.

    Usage::

        comb = CombAnalyzer(44100, max_freq_hz=clip_band_limit_hz)
        for block in blocks:          # (n,) float32 mono at rate_hz, any n, in order
            comb.add(block)
        evidence = comb.finish()      # CombEvidence, or None for < MIN_AUDIO_S / silence

    Memory is O(n_fft) whatever the duration: only the running spectra of the whole track,
    the current and previous segment are kept, plus a few floats per finished segment.

    ``max_freq_hz`` is the real band limit of the ORIGINAL input (its Nyquist before any
    resampling, or a lossy codec's low-pass); the band analysed is
    ``[MIN_LINE_HZ, min(max_freq_hz, 16 kHz, rate_hz / 2)]``, further cut below any
    low-pass cliff found in the spectrum itself.
    """

    def __init__(
        self,
        rate_hz: int = 44100,
        *,
        n_fft: int = 16384,
        segment_s: float = 10.0,
        max_freq_hz: Optional[float] = None,
        catalogue: Optional[Iterable[Architecture]] = None,
        reference: Optional[CombReference] = None,
    ):
        if n_fft < 1024 or n_fft % 2:
            raise ValueError("n_fft must be even and >= 1024")
        self.rate_hz = int(rate_hz)
        self.n_fft = int(n_fft)
        self.hop = self.n_fft // 2
        self.segment_s = float(segment_s)
        self.df_hz = self.rate_hz / self.n_fft
        band = min(DEFAULT_BAND_HZ, self.rate_hz / 2.0)
        if max_freq_hz is not None:
            band = min(band, float(max_freq_hz))
        self.band_hi_hz = band
        self._catalogue = None if catalogue is None else tuple(catalogue)
        self.candidates = candidate_combs(self._catalogue, max_freq_hz=band, min_line_hz=MIN_LINE_HZ)
        self.reference = reference
        if reference is not None:
            want = comb_recipe(self.rate_hz, self.n_fft, self._catalogue)
            if reference.settings != want:
                raise ModelError(
                    "The comb reference was fitted with other settings "
                    f"({reference.settings}) than this analysis ({want}); use the matching reference file."
                )
        self._width = int(round(FLOOR_WIDTH_HZ / self.df_hz)) | 1  # odd, in bins
        self._window = _hann(self.n_fft)
        self._win_power = float(np.sum(self._window.astype(np.float64) ** 2))
        self._seg_len = max(1, int(round(self.segment_s * self.rate_hz)))
        n_bins = self.n_fft // 2 + 1
        self._buf = np.zeros(0, np.float32)
        self._buf_pos = 0  # absolute sample index of _buf[0] == start of the next frame
        self._n_seen = 0
        self._track = np.zeros(n_bins)
        self._track_frames = 0
        self._cur = np.zeros(n_bins)  # running sum of the current segment
        self._cur_frames = 0
        self._cur_idx = 0
        self._pending: Optional[tuple[np.ndarray, int, int]] = None  # last complete segment
        # finished segments: start_s, end_s, (z, strength_db) per candidate or None if silent
        self._done: list[tuple[float, float, Optional[tuple[np.ndarray, np.ndarray]]]] = []

    # -- streaming

    @property
    def duration_s(self) -> float:
        return self._n_seen / self.rate_hz

    def add(self, block: np.ndarray) -> None:
        """Feed the next ``(n,)`` mono block at ``rate_hz`` (float; any length, even 0)."""
        x = np.asarray(block, dtype=np.float32)
        if x.ndim != 1:
            raise ValueError(f"CombAnalyzer.add expects a mono (n,) block, got shape {x.shape}")
        if x.size == 0:
            return
        if not np.all(np.isfinite(x)):
            x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
        self._n_seen += x.size
        self._buf = np.concatenate([self._buf, x]) if self._buf.size else x.copy()
        n_frames = 0 if self._buf.size < self.n_fft else (self._buf.size - self.n_fft) // self.hop + 1
        chunk = 64  # frames per FFT call: 4 MiB of float32
        for f0 in range(0, n_frames, chunk):
            f1 = min(n_frames, f0 + chunk)
            view = np.lib.stride_tricks.sliding_window_view(self._buf, self.n_fft)[
                f0 * self.hop : (f1 - 1) * self.hop + 1 : self.hop
            ]
            spec = scipy.fft.rfft(view * self._window, axis=1, workers=1)
            power = np.square(spec.real, dtype=np.float64)
            power += np.square(spec.imag, dtype=np.float64)
            starts = self._buf_pos + np.arange(f0, f1) * self.hop
            self._accumulate(power, starts)
        if n_frames:
            self._buf = self._buf[n_frames * self.hop :].copy()
            self._buf_pos += n_frames * self.hop

    def _accumulate(self, power: np.ndarray, starts: np.ndarray) -> None:
        """Add (n_frames, n_bins) power frames starting at sample ``starts`` (ascending) to the
        track's and their segments' sums (each segment a run of rows: slices, no copies)."""
        self._track_frames += power.shape[0]
        seg = starts // self._seg_len
        cuts = np.flatnonzero(np.diff(seg)) + 1
        for a, b in zip(np.r_[0, cuts], np.r_[cuts, seg.size]):
            if seg[a] != self._cur_idx:
                self._close_segment(int(seg[a]))
            rows = power[a:b].sum(axis=0)
            self._track += rows
            self._cur += rows
            self._cur_frames += b - a

    def _close_segment(self, next_idx: int) -> None:
        if self._cur_frames:
            if self._pending is not None:
                self._done.append(
                    self._score_segment(*self._pending, end_sample=(self._pending[2] + 1) * self._seg_len)
                )
            self._pending = (self._cur.copy(), self._cur_frames, self._cur_idx)
        self._cur[:] = 0.0
        self._cur_frames = 0
        self._cur_idx = next_idx

    def _score_segment(
        self, power_sum: np.ndarray, n_frames: int, idx: int, *, end_sample: int, start_idx: Optional[int] = None
    ) -> tuple[float, float, Optional[tuple[np.ndarray, np.ndarray]]]:
        first = idx if start_idx is None else start_idx
        start_s = first * self._seg_len / self.rate_hz
        end_s = min(end_sample, self._n_seen) / self.rate_hz
        sc = self._score(power_sum / n_frames)
        return start_s, end_s, None if sc is None else (sc.z, sc.strength_db)  # not the residual: O(1) per segment

    # -- analysis

    def _mean_square(self, mean_power: np.ndarray) -> float:
        return float(2.0 * mean_power.sum() / (self.n_fft * self._win_power))

    def _scorer(self, hi_bin: int) -> CombScorer:
        return scorer_for(tuple(self.candidates), self.df_hz, hi_bin * self.df_hz)

    def _score(self, mean_power: np.ndarray) -> Optional[Scores]:
        """Scores of all candidates on one averaged ``(n_fft//2+1,)`` power spectrum."""
        if self._mean_square(mean_power) < SILENCE_MS:
            return None
        level = _log_spectrum(mean_power)
        hi_bin = int(math.floor(self.band_hi_hz / self.df_hz))
        hi_bin = min(hi_bin, level.size - 2)  # never the Nyquist bin
        edge_bin = _find_band_edge(level, self.df_hz, hi_bin, self._width)
        if edge_bin < hi_bin:  # coarse steps, so that segments share precomputed scorers
            hi_bin = edge_bin - edge_bin % 32
        band = level[: hi_bin + 1]
        residual = band - median_filter(band, size=self._width, mode="reflect")
        r3 = line_prominence(residual)
        z, strength, test = self._scorer(hi_bin).score(r3)
        return Scores(z=z, strength_db=strength, test=test, band_hi_hz=hi_bin * self.df_hz, residual=residual)

    def finish(self) -> Optional[CombEvidence]:
        """Comb evidence for everything added so far (does not consume the state).

        The evidence is the catalogue spacing with the highest z over the whole track:

        - ``z_score``: robust z of its comb score against jittered spacings; ``strength_db``:
          its comb score minus the median jittered score (dB a line stands out on average,
          beyond what random spacings give, so ~0 for comb-free audio);
        - ``freqs_hz`` / ``residual_db``: (n,) n <= MAX_PLOT_POINTS, the track's log spectrum
          minus its floor from 0 Hz to the analysed band limit, max-pooled so lines survive;
        - ``expected_lines_hz``: (k,) multiples of ``f0_hz`` that were scored (band, >= MIN_LINE_HZ);
          ``lines_found_hz``: (m,) those standing > max(LINE_MIN_DB, the 95th percentile of
          jittered lines) above the floor, only reported when z >= FOUND_LINES_MIN_Z;
        - ``segments``: per ``segment_s`` segment (a short tail joins the last one; silent
          segments are left out): start_s, end_s, z_score and strength_db of the SAME
          spacing, plus best_f0_hz / best_z_score, the segment's own best spacing;
        - ``real_fp_rate``: share of reference real tracks with best z >= this z (None
          without a reference).

        Returns None when less than MIN_AUDIO_S of audio was added, when it is silent, or
        when the band is too narrow for any catalogue comb to have two lines in it. The last
        partial frame (< n_fft samples) is not analysed.
        """
        if self._n_seen < MIN_AUDIO_S * self.rate_hz or self._track_frames < 2 or not self.candidates:
            return None
        track = self._score(self._track / self._track_frames)
        if track is None or not np.any(np.isfinite(track.z)):
            return None
        best = int(np.nanargmax(track.z))
        cand = self.candidates[best]
        scorer = self._scorer(int(round(track.band_hi_hz / self.df_hz)))
        expected_bins = scorer.lines[best]
        r3 = line_prominence(track.residual)
        z = float(track.z[best])
        found = np.zeros(0)
        if z >= FOUND_LINES_MIN_Z and expected_bins.size:
            null = r3[scorer.null_lines(int(track.test[best]))]
            thr = max(LINE_MIN_DB, float(np.quantile(null, LINE_NULL_QUANTILE)) if null.size else LINE_MIN_DB)
            hit = r3[expected_bins] > thr
            found = _line_freqs(expected_bins[hit], cand.f0_hz, self.df_hz)
        offsets = line_offsets_bins(track.residual, found, self.df_hz)
        freqs, resid = _max_pool(np.arange(track.residual.size) * self.df_hz, track.residual, MAX_PLOT_POINTS)
        real_fp = self.reference.fp_rate(z) if self.reference is not None else None
        return CombEvidence(
            architecture=cand.describe(),
            f0_hz=float(cand.f0_hz),
            strength_db=float(track.strength_db[best]),
            z_score=z,
            real_fp_rate=real_fp,
            freqs_hz=freqs,
            residual_db=resid,
            expected_lines_hz=_line_freqs(expected_bins, cand.f0_hz, self.df_hz),
            lines_found_hz=found,
            segments=self._segments(best),
            line_offset_bins=float(np.median(offsets)) if offsets.size >= LOCK_MIN_LINES else None,
        )

    def _segments(self, best: int) -> list[dict[str, float]]:
        done = list(self._done)
        pending, cur = self._pending, (self._cur, self._cur_frames, self._cur_idx)
        cur_len = self._n_seen - self._cur_idx * self._seg_len
        if cur[1] and (pending is None or cur_len >= self._seg_len):
            if pending is not None:
                done.append(self._score_segment(*pending, end_sample=(pending[2] + 1) * self._seg_len))
            done.append(self._score_segment(cur[0], cur[1], cur[2], end_sample=self._n_seen))
        elif pending is not None:
            # a short tail joins the previous segment so every segment is >= segment_s
            merged = pending[0] + cur[0]
            done.append(
                self._score_segment(merged, pending[1] + cur[1], cur[2], end_sample=self._n_seen, start_idx=pending[2])
            )
        out = []
        for start_s, end_s, sc in done:
            if sc is None or not np.isfinite(sc[0][best]):
                continue  # silent segment or band too narrow: no evidence either way
            z, strength = sc
            j = int(np.nanargmax(z))
            out.append(
                {
                    "start_s": round(start_s, 3),
                    "end_s": round(end_s, 3),
                    "z_score": round(float(z[best]), 3),
                    "strength_db": round(float(strength[best]), 3),
                    "best_f0_hz": round(float(self.candidates[j].f0_hz), 4),
                    "best_z_score": round(float(z[j]), 3),
                }
            )
        return out


def _hann(n: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)).astype(np.float32)


def _line_freqs(bins: np.ndarray, f0_hz: float, df_hz: float) -> np.ndarray:
    """Exact multiples of f0 for the given line bins."""
    if bins.size == 0:
        return np.zeros(0)
    return np.rint(bins * df_hz / f0_hz) * f0_hz


def _max_pool(freqs: np.ndarray, values: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep at most ``max_points``: the largest value (and its frequency) of each group."""
    if values.size <= max_points:
        return freqs.astype(np.float64), values.astype(np.float32)
    g = int(math.ceil(values.size / max_points))
    n = int(math.ceil(values.size / g)) * g
    v: np.ndarray = np.full(n, -np.inf)  # (n,), then (groups, g)
    v[: values.size] = values
    v = v.reshape(-1, g)
    arg = np.argmax(v, axis=1) + np.arange(v.shape[0]) * g
    return freqs[arg].astype(np.float64), values[arg].astype(np.float32)


def analyze_comb(samples: np.ndarray, rate_hz: int, **kwargs: Any) -> Optional[CombEvidence]:
    """One-shot helper: ``(n,)`` mono samples -> CombEvidence or None. kwargs go to CombAnalyzer."""
    analyzer = CombAnalyzer(rate_hz, **kwargs)
    analyzer.add(samples)
    return analyzer.finish()
