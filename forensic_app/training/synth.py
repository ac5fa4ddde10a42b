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
        seg = t[s:s + int(note_s * 2 * rate)] - t[s]
        env = np.exp(-seg * 4)
        tone = sum(np.sin(2 * np.pi * f0 * h * seg) / h for h in range(1, 12) if f0 * h < rate / 2)
        out[s:s + seg.size] += 0.15 * env * tone
    out += 0.003 * rng.standard_normal(n)
    return (out / max(1e-9, np.abs(out).max()) * 0.7).astype(np.float32)
