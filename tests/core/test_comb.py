"""Comb evidence on generated audio: a random-initialised transposed-convolution decoder
mixed faintly into music-like audio is found; music alone, nearest-upsampling decoders and
low-passed inputs are not."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.ndimage import median_filter
import soxr
from scipy.signal import welch

from forensic_app.core.detectors.comb import (
    CombAnalyzer,
    CombReference,
    analyze_comb,
    comb_locked,
    comb_recipe,
    fit_reference,
)
from forensic_app.core.detectors.comb.catalogue import DEFAULT_CATALOGUE, Architecture, candidate_combs
from forensic_app.core.errors import ModelError
from forensic_app.core.scoring import clipped_comb_z
from forensic_app.training.synth import music_like

torch = pytest.importorskip("torch")

RATE = 44100
DUR_S = 20.0
DECODER_RATE = 24000
STRIDES = (8, 5, 4, 2)  # finest comb 24000 / 320 = 75 Hz
NO_COMB_Z = 4.0  # best-of-catalogue z of comb-free audio stays below this (measured <= 3.7)
COMB_Z = 5.0


def harmonic_notes(seconds: float, rate: int = RATE, seed: int = 0) -> np.ndarray:
    """Decaying harmonic notes (equal temperament, A=440) over pink-ish noise, peak 0.5."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    y = np.zeros(n)
    for _ in range(int(seconds * 2)):
        f = 440.0 * 2 ** ((rng.integers(33, 85) - 69) / 12)
        i0 = int(rng.uniform(0, seconds) * rate)
        tt = np.arange(min(n - i0, int(rng.uniform(0.5, 2.0) * rate))) / rate
        env = np.exp(-tt / rng.uniform(0.2, 1.0)) * np.minimum(1.0, tt / 0.01)
        note = sum(np.sin(2 * np.pi * k * f * tt + rng.uniform(0, 6.3)) / k for k in range(1, 9) if k * f < rate / 2.5)
        y[i0 : i0 + tt.size] += 10 ** (rng.uniform(-15, 0) / 20) * env * note
    spec = np.fft.rfft(rng.standard_normal(n))
    spec[1:] /= np.sqrt(np.fft.rfftfreq(n, 1 / rate)[1:] / 100.0)
    spec[0] = 0
    pink = np.fft.irfft(spec, n)
    y = y / np.abs(y).max() + 0.02 * pink / pink.std()
    return (0.5 * y / np.abs(y).max()).astype(np.float32)


def random_decoder(seconds: float, *, upsampling: str = "transposed", seed: int = 0) -> np.ndarray:
    """Output of a random-initialised upsampling decoder at 24 kHz, resampled to 44.1 kHz, unit RMS.

    soxr's steep anti-alias filter removes the line at the decoder's Nyquist (12 kHz), as
    real resamplers do, so what is left to find are the multiples of 24000/8 = 3000 Hz.
    """
    torch.manual_seed(seed)
    layers, ch = [], 32
    for s in STRIDES:
        nxt = max(4, ch // 2)
        if upsampling == "transposed":
            layers += [torch.nn.ConvTranspose1d(ch, nxt, 2 * s, stride=s, padding=s // 2)]
        else:
            layers += [torch.nn.Upsample(scale_factor=s, mode=upsampling), torch.nn.Conv1d(ch, nxt, 7, padding=3)]
        layers += [torch.nn.LeakyReLU(0.1)]
        ch = nxt
    net = torch.nn.Sequential(*layers, torch.nn.Conv1d(ch, 1, 7, padding=3), torch.nn.Tanh())
    n_out = int(seconds * DECODER_RATE)
    with torch.no_grad():
        y = net(torch.randn(1, 32, n_out // math.prod(STRIDES) + 2))[0, 0].numpy().astype(np.float64)[:n_out]
    y = soxr.resample(y - y.mean(), DECODER_RATE, RATE, quality="HQ")[: int(seconds * RATE)]
    return (y / y.std()).astype(np.float32)


@pytest.fixture(scope="module")
def music() -> np.ndarray:
    return harmonic_notes(DUR_S, seed=1)


@pytest.fixture(scope="module")
def faint_fake(music) -> np.ndarray:
    """Music plus the decoder 50 dB below it: its lines stand 1-6 dB above the floor."""
    return (music + 10 ** (-50 / 20) * music.std() * random_decoder(DUR_S)).astype(np.float32)


def line_prominence_db(x: np.ndarray, freqs_hz) -> np.ndarray:
    """Independent check of how faint the lines are (Welch spectrum, median floor)."""
    f, p = welch(x, RATE, nperseg=16384)
    level = 10 * np.log10(p + 1e-20)
    resid = level - median_filter(level, 75, mode="reflect")
    return np.array([resid[np.argmin(np.abs(f - fl)) - 1 : np.argmin(np.abs(f - fl)) + 2].max() for fl in freqs_hz])


# ------------------------------------------------------------------------- catalogue


def test_partial_products_are_counted_from_the_output_end():
    arch = Architecture("test", "t", (8, 5, 4, 2), 44100, 44100)
    assert arch.partial_products() == (2, 8, 40, 320)
    assert arch.comb_f0s_hz() == (22050.0, 5512.5, 1102.5, 137.8125)


def test_candidates_are_deduplicated_and_have_two_lines_in_band():
    cands = candidate_combs(max_freq_hz=16000.0)
    f0s = [c.f0_hz for c in cands]
    assert len(f0s) == len(set(round(f, 4) for f in f0s))
    assert 22050.0 not in f0s and 12000.0 not in f0s  # first line / second line beyond 16 kHz
    for c in cands:
        assert min(16000.0, c.max_freq_hz) // c.f0_hz >= 2
    by_f0 = {round(c.f0_hz, 4): c for c in cands}
    # 44100/8 is explained by several models (DAC 44.1k partial 8, HiFi-GAN 22.05k partial 4, ...)
    assert len(by_f0[5512.5].explains) >= 3
    assert "MusicGen" in by_f0[50.0].describe(max_names=10)  # 32000 / 640
    assert any(a.run_rate_hz != a.native_rate_hz for a in DEFAULT_CATALOGUE)  # wrong-rate use listed


# ------------------------------------------------------------------------- detection


def test_faint_transposed_conv_comb_is_found(faint_fake):
    # the decoder's lines (multiples of 24000/8 Hz) stand only a few dB out
    prom = line_prominence_db(faint_fake, [3000, 6000, 9000])
    assert 2.0 < prom.max() < 8.0, prom

    ev = analyze_comb(faint_fake, RATE)
    assert ev is not None
    assert ev.z_score > COMB_Z
    # the spacing of one of the decoder's partial stride products: 24000 / (2, 8, 40, 320)
    assert min(abs(ev.f0_hz - DECODER_RATE / p) for p in (2, 8, 40, 320)) < 1e-6, ev.f0_hz
    assert "24 kHz" in ev.architecture and "8·5·4·2" in ev.architecture
    assert ev.lines_found_hz.size >= 1
    assert set(np.round(ev.lines_found_hz, 3)) <= set(np.round(ev.expected_lines_hz, 3))
    assert 1.0 < ev.strength_db < 8.0
    # ... and it is there in every 10-s segment
    assert [(s["start_s"], s["end_s"]) for s in ev.segments] == [(0.0, 10.0), (10.0, 20.0)]
    assert all(s["z_score"] > 3.0 for s in ev.segments)
    assert clipped_comb_z(ev.z_score) == pytest.approx(min(ev.z_score, 20.0))


def test_music_alone_shows_no_comb(music):
    ev = analyze_comb(music, RATE)
    assert ev is not None
    assert ev.z_score < NO_COMB_Z
    assert ev.lines_found_hz.size == 0


def test_nearest_upsampling_decoder_leaves_no_comb(music):
    # 14 dB louder than the transposed-convolution decoder that is found above
    fake = music + 10 ** (-36 / 20) * music.std() * random_decoder(DUR_S, upsampling="nearest")
    ev = analyze_comb(fake.astype(np.float32), RATE)
    assert ev.z_score < NO_COMB_Z
    assert ev.lines_found_hz.size == 0


def test_lowpassed_input_makes_no_lines(music):
    # an MP3-like brick wall at 12 kHz; the floor drops > 60 dB at the edge
    spec = np.fft.rfft(music)
    spec[np.fft.rfftfreq(music.size, 1 / RATE) > 12000] *= 1e-4
    lowpassed = np.fft.irfft(spec, music.size).astype(np.float32)
    for band in (12000.0, None):  # told by the caller, or found in the spectrum
        ev = analyze_comb(lowpassed, RATE, max_freq_hz=band)
        assert ev.freqs_hz[-1] <= 12000.0
        assert ev.expected_lines_hz.max() < 12000.0
        assert ev.z_score < NO_COMB_Z
        assert ev.lines_found_hz.size == 0


# ------------------------------------------------------------------------- streaming, edge cases


def test_streaming_in_odd_blocks_matches_one_block(faint_fake):
    whole = analyze_comb(faint_fake, RATE)
    comb = CombAnalyzer(RATE)
    rng = np.random.default_rng(0)
    i = 0
    while i < faint_fake.size:
        n = int(rng.choice([0, 1, 7, 1000, 8191, 8193, 40000]))
        comb.add(faint_fake[i : i + n])
        i += n
    streamed = comb.finish()
    assert streamed.f0_hz == whole.f0_hz
    assert streamed.z_score == pytest.approx(whole.z_score, abs=1e-6)
    assert np.allclose(streamed.residual_db, whole.residual_db, atol=1e-4)
    assert [s["start_s"] for s in streamed.segments] == [s["start_s"] for s in whole.segments]


def test_short_tail_joins_the_last_segment(music):
    ev = analyze_comb(np.concatenate([music, music[: 4 * RATE]]), RATE)  # 24 s
    assert [(s["start_s"], s["end_s"]) for s in ev.segments] == [(0.0, 10.0), (10.0, 24.0)]


def test_silence_and_short_input_give_no_evidence(music):
    assert analyze_comb(np.zeros(15 * RATE, np.float32), RATE) is None
    assert analyze_comb(music[: 2 * RATE], RATE) is None
    comb = CombAnalyzer(RATE)
    assert comb.finish() is None
    with pytest.raises(ValueError):
        comb.add(np.zeros((2, 100), np.float32))


def test_plot_arrays_are_bounded_and_keep_peaks():
    rng = np.random.default_rng(0)
    t = np.arange(12 * RATE) / RATE
    tone_in_noise = (0.1 * rng.standard_normal(t.size) + 0.01 * np.sin(2 * np.pi * 5000.0 * t)).astype(np.float32)
    ev = analyze_comb(tone_in_noise, RATE, n_fft=65536)  # 24k bins below 16 kHz
    assert ev.freqs_hz.shape == ev.residual_db.shape
    assert ev.residual_db.size <= 8192
    assert np.all(np.diff(ev.freqs_hz) > 0)
    # the tone survives max-pooling at its own frequency and height
    assert abs(ev.freqs_hz[np.argmax(ev.residual_db)] - 5000.0) < 1.0
    assert ev.residual_db.max() > 10.0


# ------------------------------------------------------------------------- reference


def test_reference_turns_z_into_false_positive_rate(tmp_path, faint_fake):
    ref = fit_reference({"game-music": [0.5, 1.0, 2.0, 3.0], "cc": [1.5, 60.0, float("nan")]})
    path = tmp_path / "comb_reference.json"
    ref.to_json(path)
    loaded = CombReference.from_json(path)
    assert loaded.n_tracks == 6
    assert loaded.fp_rate(2.0) == pytest.approx(3 / 6)
    assert loaded.fp_rate_by_source(2.0) == {"cc": 0.5, "game-music": 0.5}
    assert loaded.fp_rate(loaded.threshold_for_fp_rate(0.2)) <= 0.2

    comb = CombAnalyzer(RATE, reference=loaded)
    comb.add(faint_fake)
    ev = comb.finish()
    assert ev.real_fp_rate == pytest.approx(loaded.fp_rate(ev.z_score))
    assert analyze_comb(faint_fake, RATE).real_fp_rate is None


def test_reference_from_other_settings_is_refused(tmp_path):
    ref = fit_reference({"a": [1.0]}, settings=comb_recipe(n_fft=8192))
    with pytest.raises(ModelError):
        CombAnalyzer(RATE, reference=ref)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ModelError):
        CombReference.from_json(tmp_path / "bad.json")


def test_comb_feature_without_evidence_is_neutral():
    assert clipped_comb_z(None) == 0.0


def test_findings_never_call_chance_lines_evidence():
    from forensic_app.core.detectors.comb import Z_STRONG, Z_WEAK, comb_finding, comb_grade
    from forensic_app.core.result import CombEvidence

    def ev(z):
        e = np.zeros(0)
        return CombEvidence("EnCodec-style 24 kHz", 75.0, 1.0, z, None, e, e, e, e)

    assert comb_grade(ev(2.4)) == "none" and comb_finding(ev(2.4)).startswith("No regular line pattern stands out")
    assert comb_grade(ev((Z_WEAK + Z_STRONG) / 2)) == "weak" and "suggestive at most" in comb_finding(ev(4.5))
    assert comb_grade(ev(Z_STRONG + 3)) == "strong" and "stand out" in comb_finding(ev(9.0))
    # a strong comb is called a decoder's mark only when its lines sit where a decoder puts them
    import dataclasses

    assert "Too few of its lines" in comb_finding(ev(9.0))
    assert "not the mark of a decoder" in comb_finding(dataclasses.replace(ev(9.0), line_offset_bins=0.8))
    assert "exactly where a decoder puts them" in comb_finding(dataclasses.replace(ev(9.0), line_offset_bins=0.05))


def test_the_vectorised_null_statistics_give_the_nan_aware_recipe_s_z():
    """Without gaps in the null the scorer takes vectorised medians and quantiles; they must
    give the z of the nan-aware recipe (which it keeps for nulls with gaps)."""
    from forensic_app.core.detectors.comb.scoring import CombScorer, line_prominence

    rng = np.random.default_rng(3)
    df = RATE / 16384
    scorer = CombScorer(candidate_combs(max_freq_hz=16000.0), df, 16000.0)
    prom = line_prominence(rng.standard_normal(int(16000 / df) + 8))
    z, _, _ = scorer.score(prom)

    sums = np.bincount(scorer.grp, weights=prom[scorer.idx], minlength=scorer.n_tests * scorer.n_spacings)
    s = (sums / scorer.counts).reshape(scorer.n_tests, scorer.n_spacings)
    null = s[:, 1:]
    assert not np.isnan(null).any()  # this null has no gaps: the vectorised path ran
    med = np.nanmedian(null, axis=1)
    scale = np.maximum(
        np.maximum(
            1.4826 * np.nanmedian(np.abs(null - med[:, None]), axis=1),
            (np.nanquantile(null, 0.8, axis=1) - med) / 0.8416,
        ),
        0.01,
    )
    z_ref = (s[:, 0] - med) / scale
    best = {}
    for t, ci in enumerate(scorer.test_cand):
        best[ci] = max(best.get(ci, -np.inf), z_ref[t])
    assert np.allclose([z[ci] for ci in best], list(best.values()))


def _line_series(offset_hz_max: float, seed: int) -> np.ndarray:
    """20 s of music with faint lines at k * 344.53 Hz (44100/128), each moved by up to +-offset_hz_max."""
    rate = 44100
    t = np.arange(20 * rate) / rate
    rng = np.random.default_rng(seed)
    lines = np.zeros_like(t)
    f0 = rate / 128
    for k in range(1, int(15000 / f0)):
        lines += np.sin(2 * np.pi * (k * f0 + rng.uniform(-offset_hz_max, offset_hz_max)) * t + rng.uniform(0, 6.28))
    return (music_like(20.0, rate, seed=3) + 10 ** (-40 / 20) * lines).astype(np.float32)


def test_decoder_lines_are_locked_to_their_spacing_and_scattered_partials_are_not():
    """A decoder's lines sit exactly at k*rate/P; partials near those frequencies (here moved by up to
    2.6 Hz, under one 2.7-Hz bin, so the comb's z cannot tell them apart) scatter around them.
    (With few lines chance can still line them up: 5 scattered lines pass the lock about 1 time in 10.)"""
    exact = analyze_comb(_line_series(0.0, seed=1), 44100)
    scattered = analyze_comb(_line_series(2.6, seed=0), 44100)
    assert exact.z_score > 20 and scattered.z_score > 20  # the z alone sees both as a strong comb
    assert exact.line_offset_bins is not None and exact.line_offset_bins < 0.05
    assert comb_locked(exact)
    assert scattered.line_offset_bins is not None and scattered.line_offset_bins > 0.4
    assert not comb_locked(scattered)
