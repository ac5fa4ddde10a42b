"""Synthetic audio for tests, benchmarks and the small data subset (no real music needed)."""

from __future__ import annotations

import numpy as np


def music_like(seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    """Decaying harmonic notes plus a little noise: (n,) float32, peak 0.7."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    out = np.zeros(n, np.float64)
    note_s = 0.5
    for k in range(int(np.ceil(seconds / note_s))):
        f0 = 110.0 * 2 ** (rng.integers(0, 24) / 12)
        s = int(k * note_s * rate)
        seg = t[s : s + int(note_s * 2 * rate)] - t[s]
        env = np.exp(-seg * 4)
        tone = sum(np.sin(2 * np.pi * f0 * h * seg) / h for h in range(1, 12) if f0 * h < rate / 2)
        out[s : s + seg.size] += 0.15 * env * tone
    out += 0.003 * rng.standard_normal(n)
    return (out / max(1e-9, np.abs(out).max()) * 0.7).astype(np.float32)


def synthetic_music(seed: int, duration_s: float, sr: int = 44100) -> np.ndarray:
    """Stand-in 'real' music for the small subset: chords, bass, noise drums, (n,) float32."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * sr)
    t = np.arange(n) / sr
    x = np.zeros(n)
    beat = 60.0 / rng.uniform(80, 140)
    root = rng.uniform(45, 60)
    for i, start in enumerate(np.arange(0, duration_s, 4 * beat)):
        chord = root + rng.choice([0, 3, 5, 7, 8, 10]) + np.array([0, 4 if rng.uniform() < 0.5 else 3, 7, 12])
        seg = (t >= start) & (t < start + 4 * beat)
        env = np.exp(-(t[seg] - start) / rng.uniform(0.5, 2.0))
        for midi in chord:
            f = 440 * 2 ** ((midi - 69) / 12)
            for k in range(1, 6):
                if k * f < sr / 2:
                    x[seg] += 0.1 / k * env * np.sin(2 * np.pi * k * f * t[seg] + rng.uniform(0, 6.3))
        fb = 440 * 2 ** ((chord[0] - 12 - 69) / 12)
        x[seg] += 0.2 * env * np.sin(2 * np.pi * fb * t[seg])
    for start in np.arange(0, duration_s, beat):
        i0 = int(start * sr)
        m = min(n - i0, int(0.15 * sr))
        x[i0 : i0 + m] += 0.3 * rng.standard_normal(m) * np.exp(-np.arange(m) / (0.03 * sr))
    return (0.5 * x / (np.max(np.abs(x)) + 1e-9)).astype(np.float32)
