"""How far apart two versions of a track run: one offset by cross-correlation.

A demo and its master, or a radio edit and the album version, often differ by lead-in: the
same music starts 1.5 s later in one of them. :func:`find_offset` reads both files block by
block (never whole at their own rate), keeps a mono copy at :data:`ALIGN_RATE_HZ` of at most
the first :data:`MAX_ANALYSED_S` seconds, and cross-correlates the two with phase-transform
weighting (GCC-PHAT: a sharp peak however differently the versions are mixed or EQ'd).

The confidence is the peak's height over the highest peak elsewhere (more than
:data:`PEAK_EXCLUSION_S` away). Unrelated audio gives ratios near 1; below
:data:`MIN_PEAK_RATIO` the offset is refused with :class:`AlignmentError`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional, Union

import numpy as np
import soxr
from scipy import fft as sfft

from forensic_app.core.audio import open_audio
from forensic_app.core.errors import ForensicError
from forensic_app.core.mono import Downmix
from forensic_app.core.progress import CancelToken, check

ALIGN_RATE_HZ = 4000
MAX_ANALYSED_S = 600.0  # 2.4 M samples per file at 4 kHz: offsets beyond the first 10 minutes are not sought
DEFAULT_MAX_OFFSET_S = 120.0
PEAK_EXCLUSION_S = 0.05
MIN_PEAK_RATIO = 2.0
BLOCK_FRAMES = 1 << 16


class AlignmentError(ForensicError):
    """No reliable alignment: the files do not share enough audio at any offset."""


@dataclass(frozen=True)
class Alignment:
    """``offset_s``: the other file's content runs this much later than the reference's
    (other(t + offset_s) ~ reference(t)); negative when it runs earlier. ``peak_ratio``: the
    confidence (correlation peak / highest other peak, >= 1). ``correlation``: Pearson
    correlation of the two mono signals (at 4 kHz) over their overlap at that offset, -1..1."""

    offset_s: float
    peak_ratio: float
    correlation: float

    @property
    def words(self) -> str:
        confidence = f"(confidence: peak {self.peak_ratio:.1f} times the next)"
        if round(abs(self.offset_s), 3) == 0.0:  # never "runs 0.000 s earlier"
            return f"runs in time with the reference {confidence}"
        later = "later" if self.offset_s >= 0 else "earlier"
        return f"runs {abs(self.offset_s):.3f} s {later} than the reference {confidence}"


def read_mono(
    path: Union[str, os.PathLike],
    *,
    rate_hz: int = ALIGN_RATE_HZ,
    max_s: float = MAX_ANALYSED_S,
    cancel: Optional[CancelToken] = None,
) -> np.ndarray:
    """The first ``max_s`` seconds of ``path`` as (n,) float32 mono at ``rate_hz``, read in
    blocks. Raises UnusableInputError, Cancelled."""
    with open_audio(path, cancel) as src:
        downmix = Downmix(src.channels)
        resampler = soxr.ResampleStream(src.sample_rate, rate_hz, 1, dtype="float32", quality="HQ")
        limit = int(max_s * rate_hz)
        parts, n = [], 0
        for block in src.blocks(BLOCK_FRAMES, cancel):
            check(cancel)
            y = resampler.resample_chunk(np.ascontiguousarray(downmix(block)))
            parts.append(y[: limit - n])
            n += parts[-1].size
            if n >= limit:
                break
        else:
            parts.append(resampler.resample_chunk(np.zeros(0, np.float32), last=True)[: limit - n])
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def _pearson_at(ref: np.ndarray, other: np.ndarray, lag: int) -> float:
    a, b = (ref, other[lag:]) if lag >= 0 else (ref[-lag:], other)
    n = min(a.size, b.size)
    if n < 2:
        return 0.0
    a, b = a[:n] - a[:n].mean(), b[:n] - b[:n].mean()
    denom = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
    return float(np.dot(a, b) / denom) if denom > 0 else 0.0


def align_signals(
    reference: np.ndarray, other: np.ndarray, rate_hz: int, *, max_offset_s: Optional[float] = DEFAULT_MAX_OFFSET_S
) -> Alignment:
    """The offset of ``other`` (n,) against ``reference`` (m,), both mono at ``rate_hz``.

    ``max_offset_s``: search only offsets within +-this (None: any overlap). Raises
    :class:`AlignmentError` when the peak is not clearly above the rest (see module doc).
    """
    ref = np.asarray(reference, np.float32)
    oth = np.asarray(other, np.float32)
    if ref.size < rate_hz or oth.size < rate_hz:
        raise AlignmentError("No reliable alignment: a file has less than one second of audio to compare.")
    n = sfft.next_fast_len(ref.size + oth.size, real=True)
    cross = np.conj(sfft.rfft(ref - ref.mean(), n)) * sfft.rfft(oth - oth.mean(), n)
    mag = np.abs(cross)
    cross /= mag + 1e-6 * float(mag.max(initial=0.0)) + 1e-30  # PHAT: keep the phase, drop the spectral colour
    corr = sfft.irfft(cross, n)
    lags = np.arange(n)
    lags[lags > n // 2] -= n  # circular index -> signed lag (other later than reference: positive)
    valid = (lags > -ref.size) & (lags < oth.size)
    if max_offset_s is not None:
        valid &= np.abs(lags) <= int(max_offset_s * rate_hz)
    score = np.where(valid, corr, -np.inf)
    k = int(np.argmax(score))
    peak = float(score[k])
    away = np.abs(lags - lags[k]) > int(PEAK_EXCLUSION_S * rate_hz)
    second = float(np.max(np.where(valid & away, corr, -np.inf), initial=-np.inf))
    ratio = peak / second if second > 0 else float("inf")
    if not np.isfinite(peak) or peak <= 0 or ratio < MIN_PEAK_RATIO:
        raise AlignmentError(
            f"No reliable alignment: no offset stands out (best peak {ratio:.1f} times the next; "
            f"{MIN_PEAK_RATIO:.1f} needed). The files may not share the same recording; set the offset by hand."
        )
    # sub-sample peak: a parabola through the peak and its neighbours
    y0, y1, y2 = (float(corr[(k + d) % n]) for d in (-1, 0, 1))
    denom = y0 - 2 * y1 + y2
    frac = 0.5 * (y0 - y2) / denom if denom < 0 else 0.0
    lag = int(lags[k])
    return Alignment(
        offset_s=(lag + float(np.clip(frac, -0.5, 0.5))) / rate_hz,
        peak_ratio=float(ratio),
        correlation=_pearson_at(ref, oth, lag),
    )


def find_offset(
    reference: Union[str, os.PathLike],
    other: Union[str, os.PathLike],
    *,
    max_offset_s: Optional[float] = DEFAULT_MAX_OFFSET_S,
    cancel: Optional[CancelToken] = None,
) -> Alignment:
    """The offset of the file ``other`` against the file ``reference`` (see :class:`Alignment`).

    Only the first :data:`MAX_ANALYSED_S` seconds of each are compared. Raises
    :class:`AlignmentError` (no reliable alignment), UnusableInputError, Cancelled.
    """
    ref = read_mono(reference, cancel=cancel)
    oth = read_mono(other, cancel=cancel)
    return align_signals(ref, oth, ALIGN_RATE_HZ, max_offset_s=max_offset_s)
