"""Formats load, long audio streams in bounded memory, tiled inference equals one-shot."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import soundfile as sf
import torch

from forensic_app.core.analysis import analyze
from forensic_app.core.audio import load_audio
from forensic_app.core.spectrogram import compute_features
from forensic_app.core.weights import load_model


@pytest.mark.parametrize(
    "fmt,subtype,lossy",
    [
        ("WAV", "PCM_24", False),
        ("FLAC", "PCM_16", False),
        ("OGG", "VORBIS", True),
        ("OGG", "OPUS", True),
        ("MP3", "MPEG_LAYER_III", True),
    ],
)
def test_formats_decode_with_facts(make_wav, tiny_weights, fmt, subtype, lossy):
    rate = 48000 if subtype == "OPUS" else 44100
    p = make_wav("music", 4.0, rate=rate, channels=2, subtype=subtype, fmt=fmt)
    r = analyze(p, weights_dir=tiny_weights)
    assert r.input.channels == 2 and r.input.sample_rate == rate
    assert r.input.is_lossy is lossy
    assert abs(r.input.duration_s - 4.0) < 0.1
    assert len(r.input.file_sha256) == 64 and len(r.input.pcm_sha256) == 64
    assert ("lossy_container" in {n.code for n in r.notes}) is lossy


def test_pcm_hash_ignores_container(tmp_path):
    pcm = (np.random.default_rng(0).standard_normal((44100 * 2, 2)) * 3000).astype(np.int16)
    sf.write(str(tmp_path / "a.wav"), pcm, 44100, subtype="PCM_16")
    sf.write(str(tmp_path / "b.flac"), pcm, 44100, subtype="PCM_16")
    a, b = load_audio(tmp_path / "a.wav"), load_audio(tmp_path / "b.flac")
    assert a.info.file_sha256 != b.info.file_sha256
    assert a.info.pcm_sha256 == b.info.pcm_sha256  # same decoded audio, different files


def test_tiled_heatmap_equals_one_shot(make_wav, tiny_weights):
    p = make_wav("music", 70.0)  # > 2 tiles of 32 columns
    r = analyze(p, weights_dir=tiny_weights)
    model = load_model(tiny_weights)
    x, _ = sf.read(str(p), dtype="float32")
    feats = compute_features(x, model.manifest.contract)
    with torch.inference_mode():
        logits, _ = model.network(torch.from_numpy(feats)[None])
    expect = logits[0].numpy()
    assert r.heatmap.logits.shape == expect.shape
    np.testing.assert_allclose(r.heatmap.logits, expect, atol=1e-4)


def test_long_audio_streams_in_bounded_memory(tmp_path, tiny_weights):
    # 20 minutes at 8 kHz: loading it whole at 44.1 kHz plus its features would take ~1.2 GB.
    rate, minutes = 8000, 20
    p = tmp_path / "8000-1-16-long.wav"
    rng = np.random.default_rng(1)
    with sf.SoundFile(str(p), "w", rate, 1, "PCM_16") as f:
        for _ in range(minutes):
            f.write((0.1 * rng.standard_normal(rate * 60)).astype(np.float32))
    tracemalloc.start()
    r = analyze(p, weights_dir=tiny_weights)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert abs(r.input.duration_s - minutes * 60) < 0.01
    assert r.windows[-1].end_s > minutes * 60 - 5
    assert r.overview.db.shape[1] <= 3000
    assert peak < 250e6, f"peak traced memory {peak / 1e6:.0f} MB"
