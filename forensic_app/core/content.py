"""What kind of content a track is, as far as the detectors' trust depends on it.

The patch CNN reads any sustained, perfectly periodic tone (a single sawtooth or square note, a
detuned pad holding a chord, a vocoder over a held carrier) as decoder texture: on single
square notes its mean logit reaches 10, beyond most decoder output. Such content is easy to
recognise: its fine spectral structure (the partials, once the smooth envelope is removed)
is the same from one second to the next, while music's partials move with the notes, and
decoder output of music moves with the music.

``stationarity`` is the median, over consecutive one-second spectra, of the correlation of
their fine structure (dB minus a 25-bin median envelope, 100 Hz-16 kHz). Measured here: single
saw/square notes 0.996-1.000, a detuned pad 0.993, a vocoder on a held chord 0.983; real game
music 0.43-0.73, a chiptune 0.68, a saw arpeggio 0.82, decoder output of real music (Lyra,
HiFi-GAN, Griffin-Lim, transposed-convolution decoders) 0.45-0.65.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from scipy.ndimage import median_filter

F_LO_HZ, F_HI_HZ = 100.0, 16000.0
ENVELOPE_BINS = 25
STATIC_THRESHOLD = 0.95  # at or above: a held tone; the CNN's score is no evidence for it


class Stationarity:
    """Streaming: feed dB STFT frames (n_bins, n) in order; ``value`` after the last one."""

    def __init__(self, n_bins: int, bin_hz: float, frames_per_s: float):
        freqs = np.arange(n_bins) * bin_hz
        inside = np.flatnonzero((freqs >= F_LO_HZ) & (freqs <= F_HI_HZ))
        self._band = slice(int(inside[0]), int(inside[-1]) + 1)  # a view, not a copy of every frame
        self._per_s = max(1, int(round(frames_per_s)))
        self._acc = np.zeros(self._band.stop - self._band.start)
        self._n = 0
        self._prev: Optional[np.ndarray] = None
        self._corr: list[float] = []

    def add(self, db: np.ndarray) -> None:
        """dB frames (n_bins, n)."""
        self.add_power(np.power(10.0, db.astype(np.float64) / 10.0))

    def add_power(self, power: np.ndarray) -> None:
        """The same frames as linear power (n_bins, n), when the caller has them already."""
        power = power[self._band]
        i = 0
        while i < power.shape[1]:
            take = min(self._per_s - self._n, power.shape[1] - i)
            self._acc += power[:, i : i + take].sum(axis=1, dtype=np.float64)
            self._n += take
            i += take
            if self._n == self._per_s:
                self._second(self._acc / self._n)
                self._acc[:] = 0.0
                self._n = 0

    def _second(self, mean_power: np.ndarray) -> None:
        d = 10 * np.log10(mean_power + 1e-12)
        fine = d - median_filter(d, size=ENVELOPE_BINS, mode="nearest")
        if self._prev is not None:
            a, b = fine - fine.mean(), self._prev - self._prev.mean()
            den = float(np.sqrt((a * a).sum() * (b * b).sum()))
            if den > 0:
                self._corr.append(float((a * b).sum() / den))
        self._prev = fine

    @property
    def value(self) -> Optional[float]:
        """Median correlation of consecutive seconds; None with fewer than three seconds."""
        return float(np.median(self._corr)) if len(self._corr) >= 2 else None


SILENT_DBFS = -60.0  # a 0.1-s stretch below this RMS level counts as silence
SILENCE_STEP_S = 0.1


class ContentMeter:
    """Streaming: how much of a signal rises above ``SILENT_DBFS``, in 0.1-s stretches.

    ``add`` takes mono blocks (n,) at ``rate`` in order; each block's last partial stretch
    is left out (blocks are long, so this is a few milliseconds per 10 s). A stretch's level is
    measured around its own mean: a constant offset (DC, a stuck converter, a file of one
    repeated sample value) is no sound, however far from zero it sits.
    """

    def __init__(self, rate: int):
        self.rate = int(rate)
        self.step = max(1, int(SILENCE_STEP_S * self.rate))
        self.silent = 0
        self.total = 0

    def add(self, mono: np.ndarray) -> None:
        m = mono.size // self.step * self.step
        if m:
            rms = np.sqrt(np.var(mono[:m].reshape(-1, self.step), axis=1) + 1e-20)
            self.silent += int(np.count_nonzero(20 * np.log10(rms) < SILENT_DBFS))
            self.total += rms.size

    @property
    def content_s(self) -> float:
        """Seconds of audio above the silence level."""
        return (self.total - self.silent) * self.step / self.rate

    @property
    def silent_share(self) -> float:
        return self.silent / max(self.total, 1)
