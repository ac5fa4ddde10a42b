"""The "fakeprint" detector for commercial generators (Suno, Udio): a third party's model.

The model is a logistic regression by Matěj Štágl (github.com/lofcz/ai-music-detector, MIT
licence, weights in ``weights/fakeprint_lofcz.npz`` with its LICENSE beside them) over the
*fakeprint* of a track: the peak residue of its average 1-8 kHz spectrum above a lower hull,
the transposed-convolution peaks of "A Fourier explanation of AI-music artifacts" (Deezer,
ISMIR 2025). This module is our own implementation of its published input contract:

1. mono, 16 kHz, at most the first 300 s;
2. power STFT, n_fft 8192, periodic Hann window, hop 4096, centred frames with reflect padding;
3. dB = 10 log10(clip(power, 1e-10, 1e6)), averaged over frames;
4. bins with frequency (linspace(0, 8000, 4097)) in [1000, 8000] Hz: 3,585 values;
5. hull = minimum filter of width 10 (edges: nearest), clipped below at -45 dB;
   residue = clip(spectrum - hull, 0, 5); fakeprint = residue / (max(residue) + 1e-6);
6. logit = fakeprint . w + b.

Its author's threshold (0.5 on FMA) is not ours: the decision threshold is fitted on our real
corpus per source and per kind (``calibration.json``, key ``fakeprint``). Where the average
spectrum lies below the -45 dB hull floor the fakeprint is (nearly) all zeros and the logit is
the bias, +4.98, "AI" at 99 %: such input is *not measured*, never evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.fft
import soxr
from scipy.ndimage import minimum_filter1d

RATE_HZ = 16000
N_FFT = 8192
HOP = 4096
MAX_S = 300.0
F_MIN_HZ, F_MAX_HZ = 1000.0, 8000.0
HULL_WIDTH = 10
HULL_FLOOR_DB = -45.0
RESIDUE_CLIP_DB = 5.0
# At least this share of the 1-8 kHz bins must lie above the hull floor for the fakeprint to
# describe the audio rather than the floor (room tone at -74 dBFS has none above it).
MIN_MEASURED_SHARE = 0.5

FREQS_HZ = np.linspace(0.0, RATE_HZ / 2, N_FFT // 2 + 1)
BAND = (FREQS_HZ >= F_MIN_HZ) & (FREQS_HZ <= F_MAX_HZ)


@dataclass(frozen=True)
class FakeprintModel:
    """weights: (3585,) float64; bias: float. Load with :meth:`load` (sha256 checked by the caller)."""

    weights: np.ndarray
    bias: float

    @classmethod
    def load(cls, path: Path) -> FakeprintModel:
        with np.load(path) as z:
            w, b = np.asarray(z["weights"], np.float64).reshape(-1), float(np.asarray(z["bias"]).reshape(-1)[0])
        if w.size != int(BAND.sum()):
            raise ValueError(f"{path.name}: {w.size} weights, expected {int(BAND.sum())}")
        return cls(w, b)


@dataclass(frozen=True)
class FakeprintEvidence:
    """What the fakeprint detector saw in one track.

    ``logit`` is None when the track could not be measured (``reason`` says why).
    ``freqs_hz``/``fakeprint``: (3585,) the residue curve the report plots; ``top_bins``:
    (frequency Hz, contribution to the logit) of the bins that weigh most, strongest first.
    """

    logit: float | None
    reason: str
    measured_share: float
    seconds_used: float
    freqs_hz: np.ndarray
    fakeprint: np.ndarray
    top_bins: tuple[tuple[float, float], ...]

    @property
    def measured(self) -> bool:
        return self.logit is not None

    def to_dict(self) -> dict:
        return {
            "logit": self.logit,
            "measured": self.measured,
            "reason": self.reason,
            "measured_share": round(self.measured_share, 4),
            "seconds_used": round(self.seconds_used, 2),
            "top_bins": [{"freq_hz": round(f, 1), "contribution": round(c, 3)} for f, c in self.top_bins],
        }


def mean_spectrum_db(mono_16k: np.ndarray) -> np.ndarray:
    """(n,) mono at 16 kHz -> (4097,) frame-averaged dB spectrum (steps 2-3). Needs n > 4096."""
    x = np.asarray(mono_16k, np.float64)
    pad = N_FFT // 2
    x = np.pad(x, pad, mode="reflect")
    n_frames = 1 + (x.size - N_FFT) // HOP
    window = np.hanning(N_FFT + 1)[:-1]  # periodic Hann, as torch.hann_window
    total = np.zeros(N_FFT // 2 + 1)
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP][:n_frames]  # a view: no copy
    for start in range(0, n_frames, 64):  # 64 frames at a time: bounded memory
        spec = scipy.fft.rfft(frames[start : start + 64] * window, axis=1)
        power = np.square(spec.real)
        power += np.square(spec.imag)
        total += (10 * np.log10(np.clip(power, 1e-10, 1e6))).sum(axis=0)
    return total / n_frames


def fakeprint_of(spectrum_db: np.ndarray) -> tuple[np.ndarray, float]:
    """(4097,) mean dB spectrum -> ((3585,) fakeprint in [0, 1], share of band bins above the hull floor)."""
    band = spectrum_db[BAND]
    hull = np.maximum(minimum_filter1d(band, HULL_WIDTH, mode="nearest"), HULL_FLOOR_DB)
    residue = np.clip(band - hull, 0.0, RESIDUE_CLIP_DB)
    return residue / (residue.max() + 1e-6), float(np.mean(band > HULL_FLOOR_DB))


def measure_fakeprint(mono_16k: np.ndarray) -> tuple[np.ndarray | None, float, str]:
    """(n,) mono 16 kHz samples (first 300 s used) -> ((3585,) fakeprint or None, measured share, reason).

    The fakeprint is None when the audio is shorter than one frame or too quiet between 1 and
    8 kHz to describe anything but the hull floor; ``reason`` then says why (else ""). Every
    model over the fakeprint (the third-party one, generator profiles) reads it through here.
    """
    x = np.asarray(mono_16k)[: int(MAX_S * RATE_HZ)]
    if x.size <= N_FFT // 2:
        return None, 0.0, f"the audio is shorter than one analysis frame ({N_FFT / RATE_HZ:.2f} s)"
    fp, share = fakeprint_of(mean_spectrum_db(x))
    if share < MIN_MEASURED_SHARE or fp.max() < 0.5:
        return (
            None,
            share,
            (
                "the audio between 1 and 8 kHz is too quiet for this detector: only "
                f"{share:.0%} of it lies above its -45 dB floor"
            ),
        )
    return fp, share, ""


def score_fakeprint(mono_16k: np.ndarray, model: FakeprintModel, n_top: int = 8) -> FakeprintEvidence:
    """The detector on (n,) mono 16 kHz samples (only the first 300 s are used)."""
    x = np.asarray(mono_16k)[: int(MAX_S * RATE_HZ)]
    freqs = FREQS_HZ[BAND]
    fp, share, reason = measure_fakeprint(x)
    if fp is None:
        curve = fakeprint_of(mean_spectrum_db(x))[0] if x.size > N_FFT // 2 else np.zeros(freqs.size)
        return FakeprintEvidence(None, reason, share, x.size / RATE_HZ, freqs, curve, ())
    contrib = fp * model.weights
    order = np.argsort(-contrib)[:n_top]
    top = tuple((float(freqs[i]), float(contrib[i])) for i in order if contrib[i] > 0)
    return FakeprintEvidence(float(contrib.sum() + model.bias), "", share, x.size / RATE_HZ, freqs, fp, top)


WINDOW_S = 10.0  # the per-window readings of the timeline (profiles): about as long as the CNN's windows


def fakeprint_windows(
    mono_16k: np.ndarray, window_s: float = WINDOW_S
) -> tuple[tuple[float, float, np.ndarray | None], ...]:
    """(n,) mono 16 kHz (first 300 s) -> ((start_s, end_s, (3585,) float32 fakeprint or None), ...) over
    consecutive ``window_s`` windows; a last window under half as long joins the one before. None: the
    window is too quiet to measure (:func:`measure_fakeprint`). For display: a window's fakeprint is
    noisier than the track's, and never decides."""
    x = np.asarray(mono_16k)[: int(MAX_S * RATE_HZ)]
    step = int(window_s * RATE_HZ)
    starts = list(range(0, x.size, step))
    if len(starts) > 1 and x.size - starts[-1] < step // 2:
        starts.pop()
    out = []
    for i, a in enumerate(starts):
        b = starts[i + 1] if i + 1 < len(starts) else x.size
        fp = measure_fakeprint(x[a:b])[0]
        out.append((a / RATE_HZ, b / RATE_HZ, None if fp is None else fp.astype(np.float32)))
    return tuple(out)


class FakeprintStream:
    """Collects mono blocks at the file's rate as 16 kHz samples (first 300 s only: 19 MB at most)."""

    def __init__(self, in_rate: int):
        self._resampler = (
            None if in_rate == RATE_HZ else soxr.ResampleStream(in_rate, RATE_HZ, 1, dtype="float32", quality="HQ")
        )
        self._parts: list[np.ndarray] = []
        self._n = 0
        self._limit = int(MAX_S * RATE_HZ)

    def add(self, mono: np.ndarray, last: bool = False) -> None:
        if self._n >= self._limit:
            return
        y = np.ascontiguousarray(mono, np.float32)
        if self._resampler is not None:
            y = self._resampler.resample_chunk(y, last=last)
        y = y[: self._limit - self._n]
        self._parts.append(y)
        self._n += y.size

    @property
    def full(self) -> bool:
        """True once 300 s have been collected (later blocks are ignored)."""
        return self._n >= self._limit

    def samples(self) -> np.ndarray:
        """Flush the resampler and return the collected (n,) float32 16 kHz samples (call once)."""
        if self._resampler is not None and self._n < self._limit:
            self.add(np.zeros(0, np.float32), last=True)
        x = np.concatenate(self._parts) if self._parts else np.zeros(0, np.float32)
        self._parts = []
        return x

    def finish(self, model: FakeprintModel) -> FakeprintEvidence:
        return score_fakeprint(self.samples(), model)
