"""The verdict rules: strongest evidence wins, but only evidence real music cannot produce."""

from __future__ import annotations

import math

import pytest

from forensic_app.core.fusion import EvidenceRules, decide
from forensic_app.core.weights import load_model

RULES = EvidenceRules(comb_threshold_z=12.0, fakeprint_threshold_logit=3.0, cnn_confound_logit=3.0)


@pytest.fixture(scope="module")
def cal():
    return load_model().calibration


def run(
    cal, *, learned=0.05, cnn=-1.0, comb=None, fp=None, content=60.0, rules=RULES, stationarity=0.5, comb_offset=0.05
):
    """``comb_offset``: how far the comb's lines sit from k*f0 (bins); 0.05 is a decoder's (locked)."""
    return decide(
        cal,
        rules,
        learned_p=learned,
        learned_interval=(learned * 0.8, min(1.0, learned * 1.2)),
        cnn_logit=cnn,
        comb_z=comb,
        fakeprint_logit=fp,
        content_s=content,
        stationarity=stationarity,
        comb_offset_bins=comb_offset,
    )


def test_cnn_alone_within_what_synths_reach_is_capped_below_the_line(cal):
    d = run(cal, learned=0.999, cnn=2.5)
    assert d.verdict == "inconclusive" and d.probability < cal.threshold_fake
    assert "cnn_confounded" in d.reasons


def test_cnn_beyond_what_synths_reach_can_call_likely_fake(cal):
    d = run(cal, learned=0.999, cnn=3.5)
    assert d.verdict == "likely_fake" and not d.reasons


@pytest.mark.parametrize("stationarity, reason", [(0.99, "held_tone"), (None, "cnn_confounded")])
def test_cnn_never_decides_on_held_tones_or_clips_too_short_to_tell(cal, stationarity, reason):
    d = run(cal, learned=0.999, cnn=9.0, stationarity=stationarity)
    assert d.verdict == "inconclusive" and reason in d.reasons
    if reason == "held_tone":  # a held tone's value sits at the bottom of the undecided band
        assert d.probability <= cal.threshold_real + 0.01


@pytest.mark.parametrize("comb, fp", [(14.0, None), (None, 6.0)])
def test_a_strong_comb_or_fakeprint_is_never_outvoted_by_a_cnn_that_saw_nothing(cal, comb, fp):
    d = run(cal, learned=0.01, cnn=-2.0, comb=comb, fp=fp)
    assert d.verdict == "likely_fake" and d.probability >= cal.threshold_fake
    assert d.interval[0] >= cal.threshold_fake - 1e-9


@pytest.mark.parametrize("offset, stationarity", [(0.6, 0.5), (None, 0.5), (0.05, 0.99), (0.05, None)])
def test_a_comb_counts_only_when_its_lines_are_locked_and_not_on_held_tones(cal, offset, stationarity):
    """Partials of music and codec artefacts scatter around k*f0 (offset 0.6), too few lines cannot be
    told (None), and a held tone's or a short clip's harmonics are a perfect comb: none of them decides."""
    d = run(cal, learned=0.01, cnn=-2.0, comb=30.0, comb_offset=offset, stationarity=stationarity)
    assert d.verdict != "likely_fake" and d.by_detector["comb"] is None
    locked = run(cal, learned=0.01, cnn=-2.0, comb=30.0, comb_offset=0.05)
    assert locked.verdict == "likely_fake"


def test_evidence_below_its_real_music_threshold_does_not_decide(cal):
    d = run(cal, learned=0.01, cnn=-2.0, comb=8.0, fp=-1.0)
    assert d.verdict != "likely_fake"


def test_probability_is_monotone_in_every_detector(cal):
    base = run(cal, learned=0.3, cnn=0.0, comb=5.0, fp=-5.0).probability
    assert run(cal, learned=0.3, cnn=0.0, comb=9.0, fp=-5.0).probability >= base
    assert run(cal, learned=0.3, cnn=0.0, comb=5.0, fp=0.0).probability >= base
    assert run(cal, learned=0.5, cnn=0.5, comb=5.0, fp=-5.0).probability >= base


def test_no_content_never_gets_a_verdict(cal):
    d = run(cal, learned=0.01, cnn=-2.0, comb=14.0, fp=6.0, content=0.4)
    assert d.verdict == "inconclusive" and "no_content" in d.reasons
    assert d.probability <= cal.threshold_real + 0.01  # not sorted above real evidence in a queue
    # nor below: low readings of nothing are no more evidence than high ones; the probability shown
    # with "inconclusive" lies in the undecided band, at the same held value
    quiet = run(cal, learned=0.01, cnn=-3.0, comb=2.0, fp=-20.0, content=0.4)
    assert quiet.verdict == "inconclusive" and quiet.interval == (quiet.probability, quiet.probability)
    assert cal.threshold_real < quiet.probability == d.probability <= cal.threshold_real + 0.01


def test_low_evidence_is_no_traces_found_not_likely_real(cal):
    d = run(cal, learned=0.02, cnn=-2.0, comb=2.0, fp=-20.0)
    assert d.verdict == "no_traces_found"


def test_shipped_calibration_has_fitted_evidence_rules():
    rules = EvidenceRules.from_calibration(load_model().calibration)
    assert math.isfinite(rules.cnn_confound_logit) and rules.rule


def test_the_vectorised_bootstrap_gives_the_same_interval_as_one_resample_at_a_time(cal):
    """score_track scores the bootstrap's resamples in one pass (batch --rescore scores 10,000 tracks in seconds);
    the interval is the very same as the per-resample loop's, to the last bit."""
    import numpy as np

    from forensic_app.core.calibration import bootstrap_interval
    from forensic_app.core.scoring import learned_features

    rng = np.random.default_rng(7)
    for i in range(200):
        logits = rng.normal(rng.normal(-1.0, 3.0), 1.5, int(rng.integers(1, 90)))
        z = None if i % 7 == 0 else float(rng.normal(2.0, 4.0))
        one_at_a_time = bootstrap_interval(logits, lambda m: learned_features(m, z, cal), cal)
        comb = learned_features(0.0, z, cal)["comb_z"]
        at_once = bootstrap_interval(logits, lambda m: {"cnn_mean_logit": m, "comb_z": comb}, cal, vectorized=True)
        assert at_once == one_at_a_time
