"""The spectrum at one moment of a track (a spectrum-at-cursor plot), Welch-style. Pure numpy.

Method: ``n_average`` frames of ``n_fft`` samples, each weighted by a periodic Hann window,
hop ``n_fft // 2`` (50 % overlap), centred on the requested time; their power spectra are
averaged and shown as an amplitude level in dBFS, where a full-scale sine (peak 1.0) lying
on a bin reads 0 dB and a DC offset of ``a`` reads ``20 log10 a``. Between bins the Hann
window reads a sine up to 1.42 dB low (its scalloping loss). Channels are mixed to mono with
:func:`core.mono.to_mono` (so a polarity-inverted channel does not cancel the music).

At the start and end of a file the frames are moved inside it rather than zero-padded, so the
level stays true; only a file shorter than one frame is zero-padded (and then reads low by the
share of padding). :class:`Spectrum` records the time span actually averaged.

:func:`nearest_peak` reads a peak's true frequency and level between the bins: a parabola
through the peak bin and its two neighbours (in dB), which for this Hann window places a
steady sine within 0.02 bin of its frequency and reads its level at most 0.35 dB high.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .mono import to_mono
from .waveform import Reader

FLOOR_DB = -160.0  # digital silence reads here instead of -inf


@dataclass(frozen=True)
class Spectrum:
    """An averaged spectrum; arrays are read-only.

    frequencies_hz: (n_fft // 2 + 1,) bin centres, 0 Hz to Nyquist.
    level_db: same shape, dBFS (full-scale sine on a bin = 0 dB), floored at ``FLOOR_DB``.
    start_s, end_s: the stretch of audio averaged; n_averaged: frames averaged;
    n_fft: frame length in samples; rate: sample rate (Hz).
    """

    frequencies_hz: np.ndarray
    level_db: np.ndarray
    start_s: float
    end_s: float
    n_averaged: int
    n_fft: int
    rate: int

    @property
    def bin_hz(self) -> float:
        return self.rate / self.n_fft

    def level_at(self, freq_hz: float) -> float:
        """Level (dBFS) of the bin nearest ``freq_hz`` (clipped to 0 Hz .. Nyquist)."""
        k = int(np.clip(round(freq_hz / self.bin_hz), 0, self.level_db.size - 1))
        return float(self.level_db[k])


@dataclass(frozen=True)
class Peak:
    """A spectral peak: ``freq_hz`` and ``level_db`` (dBFS) interpolated between the bins, and
    ``bin`` the index of the highest bin under it."""

    freq_hz: float
    level_db: float
    bin: int


def interpolated_peak(level_db: np.ndarray, k: int, bin_hz: float) -> Peak:
    """The parabola through bins ``k - 1``, ``k``, ``k + 1`` of ``level_db`` (n,), at its vertex.

    The vertex lies within half a bin of ``k`` when ``k`` is a local maximum; at either end of
    the array (or on a flat top) the bin itself is returned.
    """
    k = int(k)
    level = float(level_db[k])
    if k <= 0 or k >= len(level_db) - 1:
        return Peak(k * bin_hz, level, k)
    a, b, c = (float(v) for v in level_db[k - 1 : k + 2])
    curvature = a - 2.0 * b + c
    if curvature >= 0.0:  # not a maximum: nothing to interpolate
        return Peak(k * bin_hz, level, k)
    p = float(np.clip(0.5 * (a - c) / curvature, -0.5, 0.5))
    return Peak((k + p) * bin_hz, b - 0.25 * (a - c) * p, k)


def nearest_peak(
    spectrum: "Spectrum", freq_hz: float, *, low_hz: Optional[float] = None, high_hz: Optional[float] = None
) -> Optional[Peak]:
    """The spectral peak nearest ``freq_hz``, interpolated (:func:`interpolated_peak`).

    A peak is a bin above its upper neighbour and not below its lower one. With ``low_hz`` and
    ``high_hz``, the highest peak in that range is taken when there is one (a readout that
    snaps to what is near the mouse); otherwise the peak closest to ``freq_hz``. None when the
    spectrum has no peak at all (digital silence).
    """
    level = spectrum.level_db
    if level.size < 3:
        return None
    inner = (level[1:-1] >= level[:-2]) & (level[1:-1] > level[2:])
    peaks = np.flatnonzero(inner) + 1
    if peaks.size == 0:
        return None
    if low_hz is not None and high_hz is not None:
        lo, hi = sorted((low_hz / spectrum.bin_hz, high_hz / spectrum.bin_hz))
        near = peaks[(peaks >= lo) & (peaks <= hi)]
        if near.size:
            return interpolated_peak(level, int(near[np.argmax(level[near])]), spectrum.bin_hz)
    k = int(peaks[np.argmin(np.abs(peaks - freq_hz / spectrum.bin_hz))])
    return interpolated_peak(level, k, spectrum.bin_hz)


def loudest_peak(spectrum: "Spectrum") -> Optional[Peak]:
    """The highest peak of the spectrum above DC, interpolated; None for digital silence."""
    level = spectrum.level_db
    if level.size < 3 or float(np.ptp(level[1:])) == 0.0:
        return None
    return interpolated_peak(level, 1 + int(np.argmax(level[1:])), spectrum.bin_hz)


def _hann(n_fft: int) -> np.ndarray:
    return np.hanning(n_fft + 1)[:-1]  # periodic: the overlapped frames sum to a constant


def spectrum_at(
    read: Reader, rate: int, n_frames: int, time_s: float, n_fft: int = 8192, n_average: int = 8
) -> Spectrum:
    """Average spectrum of ``n_average`` half-overlapping frames centred on ``time_s``.

    read(start_frame, n_frames) -> (n, channels) or (n,) float32, as for
    :func:`core.waveform.envelope_from_reader`; it is called once for
    ``n_fft * (n_average + 1) / 2`` frames at most. ``n_frames``: the file's length in frames.
    Raises ValueError when ``n_fft`` is not an even number >= 16, ``n_average`` < 1,
    ``rate`` <= 0, or the file is empty.
    """
    if n_fft < 16 or n_fft % 2 or n_average < 1 or rate <= 0:
        raise ValueError("n_fft must be an even number >= 16, n_average >= 1 and rate > 0")
    if n_frames <= 0:
        raise ValueError("the file has no audio to take a spectrum of")
    hop = n_fft // 2
    n_avg = max(1, min(int(n_average), 1 + (n_frames - n_fft) // hop)) if n_frames >= n_fft else 1
    span = n_fft + (n_avg - 1) * hop
    start = int(round(time_s * rate)) - span // 2
    start = max(0, min(start, n_frames - span))  # inside the file when the file is long enough
    got = np.asarray(read(start, min(span, n_frames - start)), np.float32)
    mono = np.zeros(span, np.float32)
    mono[: got.shape[0]] = to_mono(got)[:span]
    window = _hann(n_fft)
    frames = np.lib.stride_tricks.sliding_window_view(mono, n_fft)[::hop][:n_avg]
    power = np.mean(np.abs(np.fft.rfft(frames * window, axis=1)) ** 2, axis=0)
    scale = np.full(power.size, (2.0 / window.sum()) ** 2)
    scale[0] = scale[-1] = (1.0 / window.sum()) ** 2  # DC and Nyquist have no mirror image
    level = 10.0 * np.log10(np.maximum(power * scale, 10.0 ** (FLOOR_DB / 10.0)))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    for a in (freqs, level):
        a.flags.writeable = False
    return Spectrum(
        frequencies_hz=freqs,
        level_db=level.astype(np.float64),
        start_s=start / rate,
        end_s=(start + span) / rate,
        n_averaged=n_avg,
        n_fft=int(n_fft),
        rate=int(rate),
    )


def peak_lines(spectrum: Spectrum, spacing_hz: float, max_hz: Optional[float] = None) -> tuple[np.ndarray, np.ndarray]:
    """Where a comb's lines ``k * spacing_hz`` (k = 1, 2, ...) fall, and the level there.

    Returns ``(freqs_hz, level_db)``, both (n_lines,): lines up to ``max_hz`` (default and
    at most Nyquist); the level is the highest bin within one bin of each line, so a line
    that falls between bins is not read low. Raises ValueError for spacing_hz <= 0.
    """
    if spacing_hz <= 0:
        raise ValueError("spacing_hz must be positive")
    top = spectrum.frequencies_hz[-1] if max_hz is None else min(float(max_hz), spectrum.frequencies_hz[-1])
    freqs = np.arange(1, int(np.floor(top / spacing_hz + 1e-9)) + 1) * float(spacing_hz)
    k = np.rint(freqs / spectrum.bin_hz).astype(np.int64)
    last = spectrum.level_db.size - 1
    near = np.stack([np.clip(k + d, 0, last) for d in (-1, 0, 1)])
    return freqs, spectrum.level_db[near].max(axis=0)
