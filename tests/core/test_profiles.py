"""Generator profiles as files: one small sealed JSON each, a linear score over the fakeprint."""

from __future__ import annotations

import json

import numpy as np
import pytest

from forensic_app.core.profiles import (
    N_BINS,
    Profile,
    ProfileError,
    load_profile,
    load_profiles,
    profile_path,
    save_profile,
    user_profiles_dir,
    valid_name,
)


def _profile(**kw) -> Profile:
    rng = np.random.default_rng(0)
    base = {
        "generator": "toy-gen",
        "version": "1",
        "architecture": "transposed convolutions, hop 40 at 24 kHz",
        "weights": rng.normal(size=N_BINS),
        "bias": -3.0,
        "threshold_logit": 2.5,
        "n_examples": 5,
        "sources": ({"file": "a.wav", "sha256": "0" * 64},),
        "validation": {"cv_detection": 1.0},
        "created": "2026-01-01",
    }
    base.update(kw)
    return Profile(**base)


def test_score_is_the_linear_model_over_the_fakeprint():
    p = _profile()
    fp = np.linspace(0, 1, N_BINS)
    assert p.score(fp) == pytest.approx(float(fp @ p.weights - 3.0))
    assert p.score_many(np.stack([fp, fp]))[1] == pytest.approx(p.score(fp))
    assert p.matches(fp) == (p.score(fp) >= 2.5)
    with pytest.raises(ValueError):
        p.score(np.zeros(10))


def test_save_load_round_trip_keeps_model_and_seal(tmp_path):
    p = _profile()
    saved = save_profile(p, tmp_path / "toy.json")
    back = load_profile(tmp_path / "toy.json")
    assert back.sha256 == saved.sha256 and len(back.sha256) == 64
    assert np.array_equal(back.weights, p.weights) and back.threshold_logit == 2.5
    assert back.sources[0]["file"] == "a.wav" and back.validation == {"cv_detection": 1.0}
    assert (tmp_path / "toy.json").stat().st_size < 60_000  # one small file


def test_a_changed_file_breaks_its_seal(tmp_path):
    save_profile(_profile(), tmp_path / "toy.json")
    data = json.loads((tmp_path / "toy.json").read_text())
    data["threshold_logit"] = -10.0  # someone lowers the threshold by hand
    (tmp_path / "toy.json").write_text(json.dumps(data))
    with pytest.raises(ProfileError, match="seal"):
        load_profile(tmp_path / "toy.json")
    (tmp_path / "other.json").write_text("{not json")
    profiles, problems = load_profiles(tmp_path)
    assert profiles == [] and len(problems) == 2


def test_wrong_length_and_names():
    with pytest.raises(ProfileError):
        _profile(weights=np.zeros(12))
    assert valid_name("Suno v5") and valid_name("ace-step_1.5")
    assert not valid_name("../evil") and not valid_name("") and not valid_name(" x")
    assert profile_path(user_profiles_dir(), "Suno v5").name == "Suno_v5.json"


def test_user_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FORENSIC_APP_DATA_DIR", str(tmp_path))
    assert user_profiles_dir(create=True) == tmp_path / "profiles"
    assert (tmp_path / "profiles").is_dir()
