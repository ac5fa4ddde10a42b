"""Teaching a generator profile from a few examples, against a small real-like reference made here.

The "generator" is a stand-in for a neural decoder: whatever it plays, it leaves faint lines at the
multiples of 24000/40 Hz (a transposed-convolution decoder of hop 40 at 24 kHz, a lattice of the comb
catalogue). Real-like material is ``music_like`` (decaying harmonic notes), one seed range per source.
"""

from __future__ import annotations

import numpy as np
import pytest

from forensic_app.core.fakeprint import measure_fakeprint
from forensic_app.training.profiles import (
    Refused,
    TeachRules,
    chain_evidence,
    fit_profile_model,
    teach,
)
from forensic_app.training.synth import music_like

RATE = 16000
LINE_HZ = 24000 / 40  # 600 Hz


def decoder_output(seed: int, seconds: float = 12.0) -> np.ndarray:
    x = music_like(seconds, RATE, seed=seed)
    t = np.arange(x.size) / RATE
    lines = sum(np.sin(2 * np.pi * k * LINE_HZ * t + k) for k in range(2, 14))
    return (0.9 * x + 0.004 * lines).astype(np.float32)


def fp(x: np.ndarray) -> np.ndarray:
    f, _, why = measure_fakeprint(x)
    assert f is not None, why
    return f


@pytest.fixture(scope="module")
def reference():
    X, sources = [], []
    for s in range(6):
        for i in range(6):
            X.append(fp(music_like(12.0, RATE, seed=1000 + 100 * s + i)))
            sources.append(f"source-{s}")
    return np.asarray(X), sources


@pytest.fixture(scope="module")
def generator_fps():
    return np.asarray([fp(decoder_output(seed)) for seed in range(15)])


def test_taught_from_five_outputs_it_flags_the_others_and_no_real_track(reference, generator_fps):
    X_ref, sources = reference
    taught = generator_fps[:5]
    p = teach("toy-decoder", taught, taught, list(range(5)), X_ref, sources)
    assert p.n_examples == 5 and p.kind == "user" and p.validation["cv_detection"] >= 0.8
    others = p.score_many(generator_fps[5:]) >= p.threshold_logit
    assert others.mean() >= 0.85
    held_out_real = np.asarray([fp(music_like(12.0, RATE, seed=5000 + i)) for i in range(10)])
    assert not np.any(p.score_many(held_out_real) >= p.threshold_logit)
    # the evidence sits on the decoder's lattice (its spacing or a multiple of it)
    chain = chain_evidence(p.weights, taught)
    assert chain["lattice_enrichment"] > 2
    assert chain["lattice_f0_hz"] / LINE_HZ == pytest.approx(round(chain["lattice_f0_hz"] / LINE_HZ))


def test_real_songs_taught_by_mistake_are_refused(reference):
    X_ref, sources = reference
    songs = np.asarray([fp(music_like(12.0, RATE, seed=7000 + i)) for i in range(5)])
    with pytest.raises(Refused, match="cannot be told apart from real music"):
        teach("my-songs", songs, songs, list(range(5)), X_ref, sources)


def test_fewer_than_three_examples_are_refused(reference, generator_fps):
    X_ref, sources = reference
    with pytest.raises(Refused, match="at least 3"):
        teach("two", generator_fps[:2], generator_fps[:2], [0, 1], X_ref, sources)


def test_threshold_is_above_every_cross_validated_real_reading(reference, generator_fps):
    X_ref, sources = reference
    fit = fit_profile_model(generator_fps[:5], [str(i) for i in range(5)], X_ref, sources)
    assert fit.threshold == pytest.approx(fit.cv_real.max() + 1.0)
    assert set(fit.fp_loso) == set(sources) and max(fit.fp_loso.values()) <= 0.01


def test_a_fingerprint_off_every_decoder_lattice_is_refused_as_a_production_chain(reference, generator_fps):
    """The chain rule: a taught profile whose evidence does not gather on one upsampling lattice k*rate/P
    of the comb catalogue more than single real sources' did is refused (the decoder stand-in passes a
    realistic limit and is refused by an impossible one)."""
    X_ref, sources = reference
    taught = generator_fps[:5]
    ok = teach(
        "toy",
        taught,
        taught,
        list(range(5)),
        X_ref,
        sources,
        rules=TeachRules(chain_key="lattice_enrichment", chain_min=4.13),
    )
    assert ok.validation["chain"]["lattice_enrichment"] > 4.13
    with pytest.raises(Refused, match="production chain"):
        teach(
            "toy",
            taught,
            taught,
            list(range(5)),
            X_ref,
            sources,
            rules=TeachRules(chain_key="lattice_enrichment", chain_min=1e6),
        )
