"""Held tones are recognised, so the patch CNN's reaction to them is not taken as evidence."""

from __future__ import annotations

import numpy as np
import pytest

from forensic_app.core.content import STATIC_THRESHOLD, Stationarity
from forensic_app.core.spectrogram import stft_db
from forensic_app.training import kinds
from forensic_app.training.synth import music_like

SR, N_FFT, HOP = 44100, 2048, 512


def stationarity_of(x: np.ndarray, block_s: float = 3.3) -> float:
    st = Stationarity(N_FFT // 2 + 1, SR / N_FFT, SR / HOP)
    db = stft_db(np.asarray(x, np.float32), N_FFT, HOP, None, -120.0)
    step = int(block_s * SR / HOP)
    for i in range(0, db.shape[1], step):  # streaming in uneven blocks gives the same answer
        st.add(db[:, i : i + step])
    return st.value


@pytest.mark.parametrize(
    "make", [lambda: kinds.saw_note(3, 8.0), lambda: kinds.square_note(4, 8.0), lambda: kinds.detuned_pad(5, 16.0)]
)
def test_held_tones_are_static(make):
    assert stationarity_of(make()) >= STATIC_THRESHOLD


@pytest.mark.parametrize(
    "make", [lambda: music_like(16.0, SR, 6), lambda: kinds.chiptune(7, 16.0), lambda: kinds.saw_arpeggio(8, 16.0)]
)
def test_music_that_moves_is_not(make):
    assert stationarity_of(make()) < STATIC_THRESHOLD


def test_too_short_to_tell():
    assert stationarity_of(kinds.saw_note(3, 2.0)) is None
