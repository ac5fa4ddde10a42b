"""The signal tools every fake generator shares: resampling to exact lengths, loudness,
alignment, and the comb-strength measurement the toy codecs' mixing targets.

All work on mono float arrays; a pair's ``real`` twin goes through the same calls as its
``fake``, so band limits and delays carry no label.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import soxr
from scipy.ndimage import median_filter
from scipy.signal import welch

SR = 44100  # every pair is mono float32 at this rate, whatever rate its generator runs at


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """soxr HQ resampling, output length exactly round(len(x) * sr_out / sr_in)."""
    if sr_in == sr_out:
        return x.astype(np.float32, copy=True)
    y = soxr.resample(x.astype(np.float32), sr_in, sr_out, quality="HQ").astype(np.float32)
    return fit_length(y, int(round(len(x) * sr_out / sr_in)))


def fit_length(x: np.ndarray, n: int) -> np.ndarray:
    return x[:n] if len(x) >= n else np.pad(x, (0, n - len(x)))


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)) + 1e-12))


def match_loudness(y: np.ndarray, ref: np.ndarray) -> np.ndarray:
    return (y * (rms(ref) / rms(y))).astype(np.float32)


def find_lag(y: np.ndarray, ref: np.ndarray, max_lag: int) -> int:
    """Lag L (samples) maximising sum y[n + L] * ref[n], |L| <= max_lag (FFT xcorr)."""
    n = len(ref) + len(y)
    nfft = 1 << (n - 1).bit_length()
    xc = np.fft.irfft(np.fft.rfft(y, nfft) * np.conj(np.fft.rfft(ref, nfft)), nfft)
    lags = np.r_[np.arange(0, max_lag + 1), np.arange(-max_lag, 0)]
    return int(lags[np.argmax(xc[lags])])


def shift(y: np.ndarray, lag: int) -> np.ndarray:
    """out[n] = y[n + lag], zero-padded, same length."""
    if lag > 0:
        return np.pad(y[lag:], (0, lag))
    if lag < 0:
        return np.pad(y[:lag], (-lag, 0))
    return y


# ---------------------------------------------------------------- comb strength


def partial_products(strides: Sequence[int]) -> list[int]:
    """Upsampling factors seen from the output: strides (8,5,4,2) -> [2, 8, 40, 320]."""
    out, p = [], 1
    for s in reversed(list(strides)):
        p *= s
        out.append(p)
    return out


def comb_strength_db(
    x: np.ndarray,
    sr: int,
    f0_hz: float,
    *,
    n_fft: int = 32768,
    max_harmonics: int = 200,
    min_harmonics: int = 3,
    band_hz: Optional[float] = None,
) -> float:
    """Mean prominence (dB) of the average spectrum at k * f0 above its median floor."""
    band = band_hz if band_hz is not None else 0.95 * sr / 2
    n_fft = min(n_fft, 1 << (len(x).bit_length() - 1))
    _, p = welch(x.astype(np.float64), fs=sr, nperseg=n_fft, noverlap=n_fft // 2, window="hann")
    # floor 70 dB under the mean density: a line in a band a lossy source left empty is
    # not "infinitely" prominent (16-bit output would bury most of it anyway)
    logp = 10 * np.log10(p + 1e-7 * np.mean(p) + 1e-20)
    floor = median_filter(logp, size=31, mode="nearest")
    df = sr / n_fft
    ks = np.arange(1, max_harmonics + 1)
    freqs = ks * f0_hz
    freqs = freqs[(freqs < band) & (freqs > 4 * df)]
    if len(freqs) < min_harmonics:  # one or two lines are not a comb
        return 0.0
    bins = np.round(freqs / df).astype(int)
    peaks = np.maximum(np.maximum(logp[bins - 1], logp[bins]), logp[bins + 1])
    return float(np.mean(peaks - floor[bins]))


def comb_excess_db(
    fake: np.ndarray, real: np.ndarray, sr: int, strides: Sequence[int], run_rate: int, band_hz: Optional[float] = None
) -> float:
    """Max over partial products P of comb strength at run_rate / P, fake minus real."""
    band = band_hz if band_hz is not None else 0.95 * min(run_rate, sr) / 2
    best = -np.inf
    for p in partial_products(strides):
        f0 = run_rate / p
        if f0 >= band or f0 < 5.0:
            continue
        best = max(best, comb_strength_db(fake, sr, f0, band_hz=band) - comb_strength_db(real, sr, f0, band_hz=band))
    return float(best) if np.isfinite(best) else 0.0
