"""The heatmap's real-music reference: a patch's share of real patches reaching its reading."""

from __future__ import annotations

import numpy as np
import pytest

from forensic_app.core.patch_null import PatchNull, fit_patch_null
from forensic_app.core.vocabulary import heat_strength, share_words


def _maps(rng, n_maps, loc, n_rows=3, n_cols=400, scale=1.0):
    return [rng.normal(loc, scale, (n_rows, n_cols)).astype(np.float32) for _ in range(n_maps)]


def test_the_share_is_the_empirical_tail_of_the_reference():
    rng = np.random.default_rng(0)
    ref = _maps(rng, 20, 0.0)  # 8,000 patches per row from N(0, 1)
    null = fit_patch_null({"music": ref})
    x = np.array([[1.0, 2.0, 2.5, 3.0]] * 3)
    share = null.real_share(x)
    row0 = np.concatenate([m[0] for m in ref])
    expect = [np.mean(row0 >= v) for v in x[0]]  # the reference's own tail, where colours are decided
    # between table levels the share errs on the ordinary side (a patch is never painted rarer than it is)
    assert np.all(share[0] >= 0.95 * np.array(expect)) and np.all(share[0] <= 1.35 * np.array(expect)), (
        share[0],
        expect,
    )
    assert null.real_share(np.full((3, 1), -1.0)).min() > 0.5
    # more unusual readings never get a larger share; beyond every reference patch: the floor
    dense = null.real_share(np.linspace(-5, 10, 300)[None].repeat(3, 0))
    assert np.all(np.diff(dense, axis=1) <= 1e-7)
    assert dense[0, -1] == pytest.approx(null.floor) and null.floor == pytest.approx(1 / (3 * 8000 // 3 + 1))


def test_a_small_group_whose_bulk_reaches_a_reading_keeps_it_ordinary():
    # synth notes: few patches, all high. Pooled with 40x more music they would be 2 % of the
    # reference; as an equal-weight group they are half of it, so their readings stay uncoloured.
    rng = np.random.default_rng(1)
    null = fit_patch_null({"music": _maps(rng, 40, 0.0), "saw notes": _maps(rng, 1, 5.0, scale=0.3)})
    saw = null.real_share(np.full((3, 1), 5.0))
    assert saw.min() > 0.2
    assert heat_strength(saw).max() == 0.0


def test_the_margin_makes_shares_conservative_and_rows_are_separate():
    rng = np.random.default_rng(2)
    ref = [np.stack([rng.normal(0, 1, 500), rng.normal(4, 1, 500)]).astype(np.float32) for _ in range(10)]
    plain = fit_patch_null({"music": ref})
    wide = fit_patch_null({"music": ref}, margin_logit=1.0)
    x = np.array([[3.0], [3.0]])
    a, b = plain.real_share(x), wide.real_share(x)
    assert a[0, 0] < 0.01 < 0.3 < a[1, 0]  # row 1's music reads higher: the same logit is ordinary there
    assert np.all(b > a)
    np.testing.assert_allclose(wide.real_share(x + 1.0), a, rtol=1e-5)


def test_round_trip_and_errors():
    rng = np.random.default_rng(3)
    null = fit_patch_null({"a": _maps(rng, 3, 0.0), "b": _maps(rng, 3, 1.0)}, margin_logit=0.5, fitted_on="test")
    back = PatchNull.from_dict(null.to_dict())
    x = rng.normal(1, 2, (3, 50))
    np.testing.assert_allclose(back.real_share(x), null.real_share(x), rtol=1e-3)
    assert back.groups == ("a", "b") and back.fitted_on == "test"
    assert PatchNull.from_calibration({"version": "old"}) is None
    with pytest.raises(ValueError, match="rows"):
        null.real_share(np.zeros((4, 10)))
    with pytest.raises(ValueError, match="row counts"):
        fit_patch_null({"a": [np.zeros((3, 5))], "b": [np.zeros((4, 5))]})
    with pytest.raises(ValueError, match="no reference"):
        fit_patch_null({})


def test_colour_strength_and_words():
    assert heat_strength(0.5) == 0.0 and heat_strength(0.01) == 0.0
    assert heat_strength(1e-3) == pytest.approx(0.5) and heat_strength(1e-4) == 1.0 == heat_strength(1e-7)
    assert share_words(0.7) == "an ordinary reading for real music"
    assert share_words(1 / 2300) == "reached by about 1 in 2,300 real-music patches"
    assert "fewer than 1 in 100,000" in share_words(1e-6)


@pytest.mark.parametrize("seed", [1, 3])
def test_music_stays_uncoloured_with_the_shipped_reference(tmp_path, seed):
    import soundfile as sf

    from forensic_app.core.analysis import analyze
    from forensic_app.training.synth import music_like

    p = tmp_path / "music.wav"
    sf.write(p, music_like(30.0, 44100, seed=seed), 44100, subtype="FLOAT")
    r = analyze(p)
    strength = r.heatmap.strength
    assert r.heatmap.real_share.shape == r.heatmap.logits.shape
    assert (strength > 0).mean() <= 0.01 and strength.max() < 0.5  # a few faint patches at most, none red
    assert r.to_json_dict()["heatmap"]["share_of_patches_coloured"] <= 0.01
    assert r.provenance.settings["heatmap_reference"]["n_patches"] > 10_000
