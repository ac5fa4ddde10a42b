"""The third-party fakeprint detector: our implementation of its published contract."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf
import soxr

from forensic_app.core.analysis import analyze
from forensic_app.core.errors import ModelError
from forensic_app.core.fakeprint import RATE_HZ, FakeprintModel, FakeprintStream, score_fakeprint
from forensic_app.core.weights import default_weights_dir, load_model
from forensic_app.training.kinds import room_tone
from forensic_app.training.synth import music_like

N = 20 * RATE_HZ
T = np.arange(N) / RATE_HZ


@pytest.fixture(scope="module")
def model() -> FakeprintModel:
    fp = load_model().fakeprint
    assert fp is not None, "the shipped manifest lists the fakeprint model"
    return fp


@pytest.mark.parametrize(
    "make, logit",
    [
        (lambda: 0.1 * np.random.default_rng(0).standard_normal(N), -23.065),
        (
            lambda: (
                0.1 * np.random.default_rng(1).standard_normal(N)
                + 0.002 * sum(np.cos(2 * np.pi * 500 * k * T) for k in range(2, 16))
            ),
            -7.866,
        ),
        (
            lambda: (
                sum(0.1 * np.sin(2 * np.pi * f * T) for f in (220, 277.18, 329.63, 440, 554.37))
                + 0.01 * np.random.default_rng(2).standard_normal(N)
            ),
            -14.874,
        ),
    ],
)
def test_reproduces_the_authors_reference_logits(model, make, logit):
    ev = score_fakeprint(make(), model)
    assert ev.measured
    assert ev.logit == pytest.approx(logit, abs=0.05)


def test_quiet_input_is_not_measured_rather_than_called_ai(model):
    x = soxr.resample(
        room_tone(0, 60.0), 44100, RATE_HZ
    )  # the trap: an all-zero fakeprint gives the bias, "AI" at 99 %
    ev = score_fakeprint(x, model)
    assert not ev.measured and ev.logit is None and "quiet" in ev.reason


def test_shorter_than_one_frame_is_not_measured(model):
    ev = score_fakeprint(np.ones(3000) * 0.1, model)
    assert not ev.measured and "shorter" in ev.reason


def test_streaming_blocks_equal_one_pass(model):
    x = music_like(40.0, 44100, 9)
    stream = FakeprintStream(44100)
    for i in range(0, x.size, 44100 * 7):
        stream.add(x[i : i + 44100 * 7])
    ev = stream.finish(model)
    one = score_fakeprint(soxr.resample(x, 44100, RATE_HZ, quality="HQ"), model)
    assert ev.logit == pytest.approx(one.logit, abs=0.05)
    assert ev.top_bins and all(c > 0 for _, c in ev.top_bins)


def test_shipped_with_its_licence_and_verified(tmp_path):
    d = default_weights_dir()
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    assert "fakeprint" in manifest["files"] and "fakeprint_licence" in manifest["files"]
    assert "MIT License" in (d / manifest["files"]["fakeprint_licence"]["path"]).read_text(encoding="utf-8")
    third = {t["key"]: t for t in manifest["third_party"]}["fakeprint"]
    assert third["licence"] == "MIT" and "lofcz" in third["source"]
    copy = tmp_path / "weights"
    shutil.copytree(d, copy)
    with np.load(copy / "fakeprint_lofcz.npz") as z:
        w, b = z["weights"].copy(), z["bias"].copy()
    np.savez(copy / "fakeprint_lofcz.npz", weights=w * 1.01, bias=b)  # an edited weight file
    with pytest.raises(ModelError, match="does not match its manifest"):
        load_model(copy)


def test_analysis_shows_its_evidence(tmp_path):
    p = tmp_path / "music-44100-2-16.wav"
    x = music_like(20.0, 44100, 4)
    sf.write(p, np.stack([x, 0.9 * x], axis=1), 44100, subtype="PCM_16")
    r = analyze(p)
    det = {d.name: d for d in r.detectors}["fakeprint"]
    assert det.score == pytest.approx(r.fakeprint.logit)
    assert "threshold" in det.summary
    j = r.to_json_dict()["fakeprint"]
    assert j["measured"] and len(j["top_bins"]) > 0
    assert r.fakeprint.fakeprint.shape == (3585,)
