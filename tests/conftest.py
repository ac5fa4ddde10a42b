"""Shared fixtures: a tiny random-weight model and audio generated in code."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import soundfile as sf

from forensic_app.training.synth import music_like

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "forensic_app" / "numba"))
# The tests run tiny random-weight bundles, which are not the released one: allowed here the documented way
# (--allow-modified-model's variable; every result says "modified model"). Tests of the refusal unset it.
os.environ.setdefault("FORENSIC_APP_ALLOW_MODIFIED_MODEL", "1")
# the user's data folder (their own generator profiles) is never the tester's: an empty one per run
os.environ.setdefault("FORENSIC_APP_DATA_DIR", tempfile.mkdtemp(prefix="forensic-app-test-data-"))


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory) -> Path:
    from forensic_app.training.tiny import write_tiny_model

    return write_tiny_model(tmp_path_factory.mktemp("tiny_weights"))


def signal(kind: str, seconds: float, rate: int, channels: int = 1, seed: int = 0) -> np.ndarray:
    n = int(round(seconds * rate))
    t = np.arange(n) / rate
    if kind == "sine":
        x = 0.5 * np.sin(2 * np.pi * 440.0 * t)
    elif kind == "noise":
        x = 0.2 * np.random.default_rng(seed).standard_normal(n)
    elif kind == "chirp":
        x = 0.5 * np.sin(2 * np.pi * (100 * t + (rate / 4 - 100) / (2 * max(seconds, 1e-9)) * t**2))
    elif kind == "music":
        x = music_like(seconds, rate, seed)
    elif kind == "silence":
        x = np.zeros(n)
    else:
        raise ValueError(kind)
    x = np.asarray(x, np.float32)
    if channels == 1:
        return x[:, None]
    return np.stack([x * (0.5 + 0.5 * c / channels) for c in range(channels)], axis=1).astype(np.float32)


@pytest.fixture
def make_wav(tmp_path) -> Callable[..., Path]:
    """make_wav(kind, seconds, rate=44100, channels=1, subtype="PCM_16", name=None) -> path.

    Files are named like ``44100-2-16.wav`` (rate-channels-bits) unless ``name`` is given.
    """

    def _make(
        kind: str = "music",
        seconds: float = 5.0,
        rate: int = 44100,
        channels: int = 1,
        subtype: str = "PCM_16",
        name: str | None = None,
        fmt: str | None = None,
    ) -> Path:
        bits = {"PCM_16": "16", "PCM_24": "24", "FLOAT": "f32"}.get(subtype, subtype.lower())
        ext = {"FLAC": "flac", "OGG": "ogg", "MP3": "mp3"}.get(fmt or "", "wav")
        path = tmp_path / (name or f"{kind}-{rate}-{channels}-{bits}.{ext}")
        sf.write(str(path), signal(kind, seconds, rate, channels), rate, subtype=subtype, format=fmt)
        return path

    return _make


@pytest.fixture
def count_analyze(monkeypatch) -> list[str]:
    """The paths core.analysis.analyze (the only scoring function of analyze, batch and case) is called
    with, in order: ``str(path)`` per call."""
    import forensic_app.core.analysis as analysis_mod

    calls: list[str] = []
    real = analysis_mod.analyze

    def counting(path, **kwargs):
        calls.append(str(path))
        return real(path, **kwargs)

    monkeypatch.setattr(analysis_mod, "analyze", counting)
    return calls
