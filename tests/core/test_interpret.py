"""The verdict, cap and note rules, tested on Measurements built directly: no audio is decoded.

``core.analysis.interpret`` is pure: what a streaming pass measured goes in, the result users see
comes out. These tests build the measurements of situations that are hard to make from audio.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import pytest

from forensic_app.core.analysis import Measurements, interpret
from forensic_app.core.result import Spectrogram
from tests.factories import make_info
from forensic_app.core.weights import load_model

N_ROWS, CELL_S = 16, 0.75  # the shipped model's heatmap rows; a cell is about 0.75 s


@pytest.fixture(scope="module")
def model():
    return load_model()


def measured(
    *,
    seconds: float = 60.0,
    cnn: float = -2.0,
    rate: int = 44100,
    bandwidth_hz: float = 20000.0,
    stationarity: Optional[float] = 0.5,
    content_s: Optional[float] = None,
) -> Measurements:
    """Measurements of a ``seconds``-long mono file whose every patch reads ``cnn``."""
    n_cols = max(1, int(seconds / CELL_S))
    info = make_info("/music/song.wav", seconds, rate)
    return Measurements(
        path=Path(info.path),
        info=info,
        fake_map=np.full((N_ROWS, n_cols), cnn, np.float32),
        family_map=np.zeros((5, N_ROWS, n_cols), np.float32),
        time_edges_s=np.arange(n_cols + 1) * CELL_S,
        freq_edges_hz=np.linspace(0, 16000, N_ROWS + 1),
        overview=Spectrogram(np.zeros((4, 4), np.float32), np.linspace(0, seconds, 5), np.linspace(0, 22050, 5)),
        comb=None,
        fakeprint=None,
        content_s=seconds if content_s is None else content_s,
        silent_share=0.0,
        stationarity=stationarity,
        bandwidth_hz=bandwidth_hz,
    )


def test_an_ordinary_full_band_song_has_no_traces(model):
    r = interpret(measured(cnn=-2.0), model)
    assert r.verdict == "no_traces_found" and r.held is None


def test_a_cnn_beyond_every_real_line_on_a_whole_full_band_track_is_likely_ai(model):
    r = interpret(measured(cnn=6.0), model)
    assert r.verdict == "likely_fake" and r.probability_fake >= model.calibration.threshold_fake


def test_a_high_cnn_within_the_band_limited_line_is_held_below_likely_ai(model):
    """A short 22.05 kHz clip whose CNN reads 1.5 (beyond the full-band line, within what band-limited
    real singing reaches): the learned fusion carries that reading and is capped with the CNN."""
    r = interpret(measured(seconds=6.0, cnn=1.5, rate=22050, bandwidth_hz=10700.0), model)
    assert r.verdict != "likely_fake"
    codes = {n.code for n in r.notes}
    assert {"short_clip", "band_limited"} <= codes


def test_a_held_tone_is_never_evidence_however_high_the_cnn(model):
    r = interpret(measured(cnn=9.0, stationarity=0.99), model)
    assert r.verdict == "inconclusive" and r.held == "held_tone"
    assert max(w.probability_fake for w in r.windows) <= 0.3  # nothing painted as evidence


def test_no_content_is_inconclusive_whatever_the_readings(model):
    r = interpret(measured(cnn=9.0, content_s=1.0), model)
    assert r.verdict == "inconclusive" and r.held == "no_content"


def test_the_result_says_what_it_measured(model):
    r = interpret(measured(cnn=-2.0), model, command="forensic-app analyze song.wav --json")
    s = r.provenance.settings
    assert r.provenance.command == "forensic-app analyze song.wav --json"
    assert s["effective_bandwidth_hz"] == 20000.0 and s["cnn_bandwidth_shift_logit"] == 0.0
    assert len(r.windows) == len(range(0, r.heatmap.logits.shape[1], 4))
