"""Four stems of one generated "track" for case tests and the README screenshot: the vocals are
the bundled demo's HiFi-GAN-decoded excerpt, drums, bass and other are clean signals made here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from forensic_app.resources import data_dir
from forensic_app.training.synth import music_like

RATE = 44100
SECONDS = 10.0
DECODED_DEMO = "karissa_hobbs-lets_go_fishin-excerpt-through-hifigan.flac"


def drums(seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    """Noise hits every 0.5 s with a fast decay: (n,) float32."""
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.exp(-(t % 0.5) * 30) * np.random.default_rng(seed).standard_normal(t.size)).astype(np.float32)


def bass(seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    """Low sine notes (55-104 Hz), one every 0.5 s: (n,) float32."""
    n = int(seconds * rate)
    t = np.arange(n) / rate
    f = 55.0 * 2 ** (np.random.default_rng(seed).integers(0, 12, size=int(seconds * 2) + 1) / 12)
    return (0.5 * np.sin(2 * np.pi * np.repeat(f, n // f.size + 1)[:n] * t) * np.exp(-(t % 0.5) * 3)).astype(np.float32)


def write_stems(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    decoded, rate = sf.read(data_dir("demo") / DECODED_DEMO, dtype="float32", frames=int(SECONDS * RATE))
    assert rate == RATE
    stems = {
        "vocals": decoded,
        "drums": drums(SECONDS, RATE),
        "bass": bass(SECONDS, RATE),
        "other": music_like(SECONDS, RATE, 1),
    }
    paths = {}
    for name, x in stems.items():
        paths[name] = folder / f"{name}.wav"
        sf.write(str(paths[name]), x, RATE, subtype="PCM_16")
    return paths
