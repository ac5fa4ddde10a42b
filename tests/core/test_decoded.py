"""The window's decoded copy: one decode, bounded memory, ranges read back exactly, nothing left on disk."""

from __future__ import annotations

import os
import tempfile
import tracemalloc
from collections import namedtuple

import numpy as np
import pytest
import soundfile as sf

from forensic_app.core import decoded as decoded_mod
from forensic_app.core.analysis import analyze
from forensic_app.core.decoded import ArraySource, decode_to_disk
from forensic_app.core.errors import UnusableInputError
from forensic_app.core.spectrogram import display_spectrogram


def test_ranges_read_back_exactly_and_the_overview_matches_the_one_shot_spectrogram(make_wav):
    path = make_wav("music", 12.0, 48000, 2, subtype="FLOAT")
    x, rate = sf.read(str(path), dtype="float32", always_2d=True)
    with decode_to_disk(path) as audio:
        assert (audio.rate, audio.channels, audio.n_frames) == (48000, 2, len(x))
        assert np.array_equal(audio.read(0, audio.n_frames), x)
        assert np.array_equal(audio.read(123_457, 4_000), x[123_457:127_457])
        assert audio.read(len(x) - 10, 100).shape == (10, 2)  # short at the end, nothing past it
        assert audio.read(len(x) + 5, 100).shape == (0, 2)
        assert np.allclose(audio.mono(1000, 500), x[1000:1500].mean(axis=1), atol=1e-7)
        one_shot = display_spectrogram(x.mean(axis=1), rate)
        # the same bins and time span; the streamed overview is max-pooled to about a screen wide
        assert audio.overview.db.shape[0] == one_shot.db.shape[0]
        assert abs(audio.overview.time_edges_s[-1] - 12.0) < 0.1
        loud = int(np.argmax(one_shot.db.max(axis=1)))
        assert abs(int(np.argmax(audio.overview.db.max(axis=1))) - loud) <= 1
        assert audio.info.file_sha256 and audio.info.pcm_sha256


def test_analysing_the_decoded_copy_or_an_array_gives_what_analysing_the_file_gives(make_wav, tiny_weights):
    path = make_wav("music", 6.0, 44100, 2)
    from_file = analyze(path, weights_dir=tiny_weights)
    with decode_to_disk(path) as audio:
        from_copy = analyze(audio, weights_dir=tiny_weights)
    x, rate = sf.read(str(path), dtype="float32", always_2d=True)
    from_array = analyze(ArraySource(x, rate, path), weights_dir=tiny_weights)
    assert from_copy.probability_fake == from_file.probability_fake == from_array.probability_fake
    assert from_copy.verdict == from_file.verdict
    assert from_copy.input == from_file.input  # same hashes, length and format in the report
    assert np.array_equal(from_copy.heatmap.logits, from_file.heatmap.logits)
    assert np.array_equal(from_copy.heatmap.real_share, from_file.heatmap.real_share)


def test_decoding_holds_one_block_not_the_file_and_leaves_no_named_temporary_file(make_wav, tmp_path):
    path = make_wav("noise", 330.0, 48000, 2, subtype="PCM_16")  # 127 MB decoded as float32
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    tracemalloc.start()
    try:
        audio = decode_to_disk(path, temp_dir=str(scratch))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    decoded_mb = audio.n_frames * audio.channels * 4 / 1e6
    assert decoded_mb > 120
    assert peak / 1e6 < 40, f"decoding peaked at {peak / 1e6:.0f} MB for {decoded_mb:.0f} MB of audio"
    if os.name == "posix":
        assert list(scratch.iterdir()) == []  # the copy has no name: a killed app leaves nothing
    audio.close()
    with pytest.raises(ValueError):
        audio.read(0, 10)


def test_not_enough_disk_for_the_copy_is_said_before_decoding(make_wav, monkeypatch):
    path = make_wav("music", 3.0, 44100, 2)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(decoded_mod.shutil, "disk_usage", lambda _where: usage(10**9, 10**9, 1000))
    with pytest.raises(UnusableInputError) as err:
        decode_to_disk(path)
    msg = str(err.value)
    assert "not enough free disk space" in msg and "TMPDIR" in msg and tempfile.gettempdir() in msg


def test_a_file_replaced_while_it_is_decoded_is_refused(make_wav, monkeypatch):
    path = make_wav("music", 4.0, 44100, 1)
    real_blocks = decoded_mod.AudioSource.blocks

    def blocks_then_touch(self, *a, **k):
        for i, b in enumerate(real_blocks(self, *a, **k)):
            yield b
        with open(path, "ab") as f:  # another program appends while we read
            f.write(b"\0" * 4096)

    monkeypatch.setattr(decoded_mod.AudioSource, "blocks", blocks_then_touch)
    with pytest.raises(UnusableInputError, match="changed while it was being read"):
        decode_to_disk(path)


def test_the_decode_also_makes_the_waveform_lane_s_envelope_of_every_channel(tmp_path):
    rate = 44100
    x = np.zeros((3 * rate, 2), np.float32)
    x[:, 0] = 0.25 * np.sin(2 * np.pi * 220 * np.arange(3 * rate) / rate)
    x[2 * rate, 1] = -0.9  # a click in the right channel at 2.0 s
    path = tmp_path / "44100-2-f32.wav"
    sf.write(str(path), x, rate, subtype="FLOAT")
    with decode_to_disk(path) as audio:
        env = audio.waveform
        assert env.channels == 2 and env.end_s == pytest.approx(3.0)
        assert float(env.maximum[0].max()) == pytest.approx(0.25, abs=1e-3)
        k = env.column_at(2.0)
        assert float(env.minimum[1, k]) == pytest.approx(-0.9) and float(np.delete(env.minimum[1], k).min()) == 0.0
