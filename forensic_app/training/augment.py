"""Manipulations applied identically to both halves of a (fake, real) pair.

``MANIPULATIONS[name](x, sr, rng) -> x`` draws its parameters from ``rng``; calling it twice
with generators seeded alike gives identical processing, which is how a pair is augmented.
Shapes: ``x`` is mono float32 (n,); the output has the same length except for
``time_stretch`` (n / rate). ``reverb`` is kept OUT of training (``UNSEEN_MANIPULATIONS``)
so evaluation can test robustness to a manipulation the detectors never saw.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from typing import Callable

import numpy as np
import soundfile as sf
from scipy.signal import fftconvolve, sosfilt

Manipulation = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]

_CODECS = {  # name: (ffmpeg encoder, container extension, bitrates kbps)
    "mp3": ("libmp3lame", "mp3", (64, 96, 128, 192, 256, 320)),
    "aac": ("aac", "m4a", (64, 96, 128, 192, 256)),
    "opus": ("libopus", "ogg", (64, 96, 128, 160)),
    "vorbis": ("libvorbis", "ogg", (64, 96, 128, 160, 192)),  # mono Vorbis tops out near 200k
}


def lossy_reencode(x: np.ndarray, sr: int, codec: str, kbps: int) -> np.ndarray:
    """Encode with ffmpeg and decode back to ``sr`` mono; same length (codec delay trimmed by ffmpeg)."""
    encoder, ext, _ = _CODECS[codec]
    with tempfile.TemporaryDirectory(prefix="fa-aug-") as tmp:
        src, enc = os.path.join(tmp, "in.wav"), os.path.join(tmp, f"enc.{ext}")
        sf.write(src, np.clip(x, -1, 1), sr, subtype="FLOAT")
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", src, "-c:a", encoder, "-b:a", f"{kbps}k", enc],
            check=True,
            capture_output=True,
        )
        out = subprocess.run(
            ["ffmpeg", "-v", "error", "-i", enc, "-ac", "1", "-ar", str(sr), "-f", "f32le", "-"],
            check=True,
            capture_output=True,
        ).stdout
    y = np.frombuffer(out, np.float32)
    return (y[: len(x)] if len(y) >= len(x) else np.pad(y, (0, len(x) - len(y)))).astype(np.float32)


def _codec_manipulation(codec: str) -> Manipulation:
    def apply(x: np.ndarray, sr: int, rng: np.random.Generator) -> np.ndarray:
        return lossy_reencode(x, sr, codec, int(rng.choice(_CODECS[codec][2])))

    apply.__name__ = codec
    return apply


def gain(x: np.ndarray, sr: int, rng: np.random.Generator) -> np.ndarray:
    """-12..+3 dB, then soft-limited so nothing clips."""
    y = x * 10 ** (rng.uniform(-12, 3) / 20)
    peak = float(np.max(np.abs(y))) if len(y) else 0.0
    return (y / peak * 0.99 if peak > 0.99 else y).astype(np.float32)


def pitch_shift(x: np.ndarray, sr: int, rng: np.random.Generator) -> np.ndarray:
    import librosa

    return librosa.effects.pitch_shift(x, sr=sr, n_steps=float(rng.uniform(-2, 2))).astype(np.float32)


def time_stretch(x: np.ndarray, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Tempo 80..120 % (output length n / rate)."""
    import librosa

    return librosa.effects.time_stretch(x, rate=float(rng.uniform(0.8, 1.2))).astype(np.float32)


def eq(x: np.ndarray, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Two random peaking filters (+-9 dB) and an optional gentle low-pass."""
    y = x.astype(np.float64)
    for _ in range(2):
        y = sosfilt(_peaking_sos(rng.uniform(80, 8000), rng.uniform(-9, 9), rng.uniform(0.5, 2.0), sr), y)
    if rng.uniform() < 0.3:
        from scipy.signal import butter

        y = sosfilt(butter(2, rng.uniform(8000, 16000), fs=sr, output="sos"), y)
    return y.astype(np.float32)


def _peaking_sos(f0: float, gain_db: float, q: float, sr: int) -> np.ndarray:
    a = 10 ** (gain_db / 40)
    w = 2 * np.pi * f0 / sr
    alpha = np.sin(w) / (2 * q)
    b = np.array([1 + alpha * a, -2 * np.cos(w), 1 - alpha * a])
    den = np.array([1 + alpha / a, -2 * np.cos(w), 1 - alpha / a])
    return np.r_[b / den[0], den / den[0]][None]


def add_noise(x: np.ndarray, sr: int, rng: np.random.Generator) -> np.ndarray:
    """White or pink noise at 25..50 dB SNR."""
    noise = rng.standard_normal(len(x))
    if rng.uniform() < 0.5:  # pink: 1/f power
        spec = np.fft.rfft(noise)
        spec /= np.sqrt(np.maximum(np.arange(len(spec)), 1))
        noise = np.fft.irfft(spec, len(x))
    snr_db = rng.uniform(25, 50)
    p_sig = np.mean(np.square(x, dtype=np.float64)) + 1e-12
    noise *= np.sqrt(p_sig / 10 ** (snr_db / 10) / (np.mean(noise**2) + 1e-20))
    return (x + noise).astype(np.float32)


def reverb(x: np.ndarray, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Synthetic room: exponentially decaying noise impulse response, RT60 0.3..2 s, 10..50 % wet."""
    rt60 = rng.uniform(0.3, 2.0)
    n = int(rt60 * sr)
    ir = rng.standard_normal(n) * np.exp(-6.9 * np.arange(n) / n)
    ir /= np.sqrt(np.sum(ir**2))
    wet = fftconvolve(x, ir)[: len(x)]
    mix = rng.uniform(0.1, 0.5)
    return ((1 - mix) * x + mix * wet * (np.std(x) / (np.std(wet) + 1e-12))).astype(np.float32)


MANIPULATIONS: dict[str, Manipulation] = {
    "mp3": _codec_manipulation("mp3"),
    "aac": _codec_manipulation("aac"),
    "opus": _codec_manipulation("opus"),
    "vorbis": _codec_manipulation("vorbis"),
    "gain": gain,
    "pitch_shift": pitch_shift,
    "time_stretch": time_stretch,
    "eq": eq,
    "noise": add_noise,
    "reverb": reverb,
}
CODEC_MANIPULATIONS = ["mp3", "aac", "opus", "vorbis"]
TRAIN_MANIPULATIONS = ["mp3", "aac", "opus", "vorbis", "gain", "pitch_shift", "time_stretch", "eq", "noise"]
UNSEEN_MANIPULATIONS = ["reverb"]


def sample_chain(rng: np.random.Generator, *, p_none: float = 0.35) -> list[str]:
    """A training chain: maybe one signal edit, maybe one lossy codec, gain last-but-codec.

    Codecs go last because that is what happens to music uploaded after editing.
    """
    if rng.uniform() < p_none:
        return []
    chain: list[str] = []
    if rng.uniform() < 0.5:
        chain.append(str(rng.choice(["pitch_shift", "time_stretch", "eq", "noise"])))
    if rng.uniform() < 0.5:
        chain.append("gain")
    if rng.uniform() < 0.6 or not chain:
        chain.append(str(rng.choice(CODEC_MANIPULATIONS)))
    return chain


def apply_chain(x: np.ndarray, sr: int, chain: list[str], seed: int) -> np.ndarray:
    """Deterministic in ``seed``: the same call on the twin gives identical processing."""
    rng = np.random.default_rng(seed)
    for name in chain:
        x = MANIPULATIONS[name](x, sr, rng)
    return x
