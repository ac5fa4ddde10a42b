"""Offsets between versions by cross-correlation: found to a few ms, refused between unrelated audio."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import lfilter

from forensic_app.case import AlignmentError, align_signals, find_offset
from forensic_app.case.align import ALIGN_RATE_HZ
from forensic_app.training.synth import music_like

from tests.stems import bass, drums

RATE = 44100


def demo_and_master(tmp_path, lead_in_s: float):
    """A mono 44.1 kHz demo, and a 48 kHz stereo 'master' of it: lead_in_s of room tone first,
    brighter EQ, 3 dB quieter, a different end."""
    rng = np.random.default_rng(3)
    demo = music_like(20.0, RATE, 3) + drums(20.0, RATE, 4) * 0.5
    demo = (demo + 0.02 * rng.standard_normal(demo.size)).astype(np.float32)
    master = lfilter([1.0, -0.6], [1.0], demo) * 0.7
    master = np.concatenate([0.001 * rng.standard_normal(int(lead_in_s * RATE)), master])[: int(19 * RATE)]
    import soxr

    master48 = soxr.resample(master.astype(np.float32), RATE, 48000)
    sf.write(tmp_path / "demo.wav", demo, RATE, subtype="PCM_16")
    sf.write(tmp_path / "master.flac", np.stack([master48, 0.9 * master48], axis=1), 48000, subtype="PCM_24")
    return tmp_path / "demo.wav", tmp_path / "master.flac"


def test_a_known_lead_in_is_found_within_5_ms(tmp_path):
    demo, master = demo_and_master(tmp_path, 1.234)
    a = find_offset(demo, master)
    assert abs(a.offset_s - 1.234) < 0.005, a
    assert a.peak_ratio > 5 and a.correlation > 0.5
    assert "runs 1.234 s later than the reference" in a.words
    b = find_offset(master, demo)  # the other way round: earlier
    assert abs(b.offset_s + 1.234) < 0.005, b


@pytest.mark.parametrize(
    "make_other",
    [lambda n: music_like(n / RATE, RATE, 9), lambda n: bass(n / RATE, RATE, 2), lambda n: drums(n / RATE, RATE, 5)],
)
def test_unrelated_audio_is_refused(tmp_path, make_other):
    ref = music_like(15.0, RATE, 3)
    sf.write(tmp_path / "a.wav", ref, RATE)
    sf.write(tmp_path / "b.wav", make_other(ref.size), RATE)
    with pytest.raises(AlignmentError, match="No reliable alignment"):
        find_offset(tmp_path / "a.wav", tmp_path / "b.wav")


def test_too_little_audio_is_refused():
    with pytest.raises(AlignmentError, match="less than one second"):
        align_signals(np.zeros(100, np.float32), np.zeros(ALIGN_RATE_HZ * 5, np.float32), ALIGN_RATE_HZ)


def test_a_long_file_is_read_in_blocks_and_capped(tmp_path, monkeypatch):
    """Only the first MAX_ANALYSED_S at 4 kHz is held: a 40-s file with the cap at 12 s gives 12 s of samples."""
    import forensic_app.case.align as align

    x = music_like(40.0, RATE, 5)
    sf.write(tmp_path / "long.wav", x, RATE, subtype="PCM_16")
    monkeypatch.setattr(align, "BLOCK_FRAMES", 8192)
    y = align.read_mono(tmp_path / "long.wav", max_s=12.0)
    assert y.size == 12 * ALIGN_RATE_HZ and y.dtype == np.float32
