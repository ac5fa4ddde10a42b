"""The robustness check: manipulated copies analysed with the same model, the file left alone."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from forensic_app.core import robustness
from forensic_app.core.errors import Cancelled
from forensic_app.core.progress import CancelToken
from forensic_app.core.result import VERDICTS

RATE = 44100


def test_manipulated_copies_are_analysed_and_the_file_is_left_alone(make_wav, tiny_weights):
    wav = make_wav("music", 6.0, channels=2)
    before = hashlib.sha256(wav.read_bytes()).hexdigest()
    fractions = []
    rows = robustness.check_robustness(
        wav, weights_dir=tiny_weights, on_progress=lambda p: fractions.append(p.fraction)
    )
    assert [r["manipulation"] for r in rows] == [m.label for m in robustness.MANIPULATIONS]
    for r in rows:
        if r["probability_fake"] is None:  # only where ffmpeg is missing
            assert "ffmpeg" in r["note"]
        else:
            assert 0.0 <= r["probability_fake"] <= 1.0 and r["verdict"] in VERDICTS
    assert sum(r["probability_fake"] is not None for r in rows) >= 4
    assert hashlib.sha256(wav.read_bytes()).hexdigest() == before
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def _peak_hz(x: np.ndarray) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.argmax(spec) * RATE / x.size)


def test_each_manipulation_does_what_its_label_says():
    t = np.arange(2 * RATE) / RATE
    x = (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    by_label = {m.label: m for m in robustness.MANIPULATIONS}
    rms = lambda y: float(np.sqrt(np.mean(np.square(y, dtype=np.float64))))  # noqa: E731

    up = by_label["Pitch shifted up 1 semitone"].apply(x, RATE)
    assert abs(_peak_hz(up) - 440.0 * 2 ** (1 / 12)) < 3.0 and up.size == x.size
    slow = by_label["Slowed down to 96 % speed (pitch kept)"].apply(x, RATE)
    assert abs(slow.size / x.size - 1.04) < 0.01 and abs(_peak_hz(slow) - 440.0) < 3.0
    quiet = by_label["Level 6 dB lower"].apply(x, RATE)
    assert abs(20 * np.log10(rms(quiet) / rms(x)) + 6.0) < 0.01
    noisy = by_label["White noise 40 dB below the music"].apply(x, RATE)
    assert abs(20 * np.log10(rms(x) / rms(noisy - x)) - 40.0) < 0.5
    if robustness.ffmpeg_path() is not None:
        for label in ("MP3 round trip at 128 kbps", "Opus round trip at 96 kbps (as streaming sites use)"):
            y = by_label[label].apply(x, RATE)
            assert y.size == x.size and not np.array_equal(y, x)
            assert abs(_peak_hz(y) - 440.0) < 3.0


def test_without_ffmpeg_the_codec_rows_say_why_and_the_rest_still_run(make_wav, tiny_weights, monkeypatch):
    monkeypatch.setattr(robustness, "ffmpeg_path", lambda: None)
    rows = robustness.check_robustness(make_wav("music", 4.0), weights_dir=tiny_weights)
    codec = [r for r in rows if "round trip" in r["manipulation"]]
    assert len(codec) == 2 and all(
        r["probability_fake"] is None and r["note"] == "not run: ffmpeg is not installed" for r in codec
    )
    assert all(r["probability_fake"] is not None for r in rows if r not in codec)


def test_a_long_track_is_checked_on_an_excerpt_with_its_own_reference(make_wav, tiny_weights, monkeypatch):
    monkeypatch.setattr(robustness, "MAX_CHECK_S", 4.0)
    gain = next(m for m in robustness.MANIPULATIONS if m.label == "Level 6 dB lower")
    rows = robustness.check_robustness(make_wav("music", 9.0), weights_dir=tiny_weights, manipulations=(gain,))
    assert len(rows) == 2 and rows[0].get("reference") and "reference" not in rows[1]
    assert all(r["probability_fake"] is not None and r["note"].startswith("first") for r in rows)


def test_the_check_can_be_cancelled(make_wav, tiny_weights):
    token = CancelToken()

    def on_progress(p):
        if p.fraction > 0.1:
            token.cancel()

    with pytest.raises(Cancelled):
        robustness.check_robustness(
            make_wav("music", 4.0), weights_dir=tiny_weights, on_progress=on_progress, cancel=token
        )
