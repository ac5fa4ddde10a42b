"""`data build --subset small`: content-matched pairs, package splits, resume, comb evidence.

One small build (synthetic music, ~20 s on one core) is shared by the module; it is first
cancelled after two items and then resumed through the CLI entry point, so the resume
path is what produces the data every other test reads.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from forensic_app.core.errors import Cancelled
from forensic_app.core.progress import CancelToken
from forensic_app.training import (
    augment,
    build,
    commands,
    corpus,
    decoder_pairs,
    kinds,
    pair_signal,
    plan,
    synth,
    toy_codecs,
)
from forensic_app.training.train import BalancedSampler

SR = 44100


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    cache = tmp_path_factory.mktemp("dataset")
    token, fractions = CancelToken(), []

    def on_progress(p):
        fractions.append(p.fraction)
        if len(fractions) == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        build.build_dataset(cache, subset="small", on_progress=on_progress, cancel=token, log=lambda m: None)
    rows_after_cancel = build.read_index(cache)

    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["data", "build", "--subset", "small", "--cache-dir", str(cache)])
    assert args.func(args) == 0
    return cache, rows_after_cancel, fractions


def _pairs(rows):
    pairs = defaultdict(dict)
    for r in rows:
        if r["pair_id"]:
            pairs[r["pair_id"]][r["label"]] = r
    return pairs


def test_cancel_keeps_finished_items_and_resume_completes(small):
    cache, rows_after_cancel, fractions = small
    rows = build.read_index(cache)
    assert len(rows_after_cancel) == 2  # two plain real segments finished before the cancel
    assert {r["id"] for r in rows_after_cancel} <= {r["id"] for r in rows}
    assert len(rows) > 20
    assert fractions == sorted(fractions) and 0 < fractions[0] < 1


def test_every_fake_has_an_aligned_real_twin_of_equal_length(small):
    cache, _, _ = small
    rows = build.read_index(cache)
    assert {r["label"] for r in rows} == {"real", "fake"}
    pairs = _pairs(rows)
    assert pairs and all(set(p) == {"fake", "real"} for p in pairs.values())
    for p in pairs.values():
        fake, real = (sf.read(cache / p[k]["path"], dtype="float32")[0] for k in ("fake", "real"))
        assert sf.info(str(cache / p["fake"]["path"])).samplerate == SR
        assert fake.ndim == 1 and len(fake) == len(real) == 10 * SR
        assert p["fake"]["split"] == p["real"]["split"] and p["fake"]["augment"] == p["real"]["augment"]
        assert not np.allclose(fake, real, atol=1e-4)  # the fake really differs


def test_splits_are_by_source_package_and_heldout_never_trains(small):
    cache, _, _ = small
    rows = build.read_index(cache)
    split_of = defaultdict(set)
    for r in rows:
        if not r["source_package"].startswith(kinds.KIND_SOURCE_PREFIX):  # kinds: own test below
            split_of[r["source_package"]].add(r["split"])
    assert all(len(s) == 1 for s in split_of.values()), split_of
    assert {next(iter(s)) for s in split_of.values()} == {"train", "val", "test"}
    heldout = [r for r in rows if r["heldout"] == "1"]
    assert heldout and all(r["split"] != "train" for r in heldout)
    assert {r["family"] for r in heldout} == {"tconv"}


def test_kinds_are_real_segments_of_train_and_val_made_from_their_own_split(small):
    cache, _, _ = small
    rows = build.read_index(cache)
    kind_rows = [r for r in rows if r["source_package"].startswith(kinds.KIND_SOURCE_PREFIX)]
    assert {r["source_package"] for r in kind_rows} == {kinds.KIND_SOURCE_PREFIX + k for k in plan.SMALL.kinds}
    assert {r["label"] for r in kind_rows} == {"real"} and {r["family"] for r in kind_rows} == {"real"}
    assert sorted(r["split"] for r in kind_rows) == ["train", "train", "val", "val"]  # test holds none
    with open(cache / "tracks.csv", newline="") as f:
        split_of_track = {t["track"]: t["split"] for t in csv.DictReader(f)}
    for r in kind_rows:
        y = sf.read(cache / r["path"], dtype="float32")[0]
        assert y.size == 10 * SR and np.sqrt(np.mean(y**2)) > 0.01  # not silence
        if r["source_package"].endswith("bitcrusher x4 8-bit"):  # made from music of its own split only
            assert split_of_track[r["track"]] == r["split"]
    # a saw note is a line spectrum (time-stretched or not): its strongest bins stand far above the median bin
    for saw in [r for r in kind_rows if r["source_package"].endswith("saw note")]:
        spec = np.abs(np.fft.rfft(sf.read(cache / saw["path"], dtype="float32")[0]))
        assert np.sort(spec)[-20] > 100 * np.median(spec), saw["augment"]


def test_adding_kinds_keeps_every_earlier_item_and_plans_them_last():
    tracks = [
        corpus.Track(f"pkg-{i}", (f"/music/pkg-{i}/song-{j}.ogg",), 300.0, "test") for i in range(6) for j in range(2)
    ]
    base = dict(
        real_per_source={"train": 2, "val": 2, "test": 2},
        fakes_per_generator={"train": 1, "val": 1, "test": 1},
        family_scale={},
        cap_minutes_per_source=4.0,
        generators=("tconv-s8.5.4.2-24k",),
    )
    before, _ = plan.plan_items(tracks, plan.SubsetConfig(**base))
    after, split_of = plan.plan_items(tracks, plan.SubsetConfig(**base, kind_seeds={"train": 3, "val": 2, "test": 0}))
    assert [(it.item_id, it.augment) for it in after[: len(before)]] == [(it.item_id, it.augment) for it in before]
    added = after[len(before) :]
    # kinds held back for the test split (KIND_SPLITS) get no train/val seeds
    n_kinds = len(
        [k for k in (*kinds.SOLO_KINDS, *kinds.DERIVED_KINDS) if "train" in kinds.KIND_SPLITS.get(k, ("train",))]
    )
    assert n_kinds < len(kinds.SOLO_KINDS) + len(kinds.DERIVED_KINDS)
    assert len(added) == 5 * n_kinds and len({it.item_id for it in added}) == len(added)
    assert all(it.kind and it.generator is None and it.split in ("train", "val") for it in added)
    for it in added:
        if it.kind in kinds.DERIVED_KINDS:
            assert split_of[it.track.source_package] == it.split
    # the studies that set the thresholds fit and measure on kind seeds 0-2: training never sees them
    assert min(it.kind_seed for it in added) >= 100


def test_a_kind_family_is_drawn_as_often_as_one_source_package():
    rows = [
        {"label": "real", "source_package": p, "family": "real", "heldout": "0"}
        for p in ("pkg-a", "pkg-b", "kind/synth: saw note", "kind/synth: chiptune", "kind/lo-fi: tape preset")
    ]
    rows += [{"label": "fake", "source_package": "pkg-a", "family": "tconv", "heldout": "0"}]
    sampler = BalancedSampler(rows, [], np.random.default_rng(0))
    assert set(sampler.real_by_source) == {"pkg-a", "pkg-b", "kind/synth", "kind/lo-fi"}
    assert sorted(len(v) for v in sampler.real_by_source.values()) == [1, 1, 1, 2]


def test_rerun_adds_nothing_and_repairs_a_torn_index(small):
    cache, _, _ = small
    index = cache / "index.csv"
    before = index.read_text()
    build.build_dataset(cache, subset="small", log=lambda m: None)
    assert index.read_text() == before

    # simulate a crash: the last pair's twin row never got written and a line is torn
    rows = list(csv.DictReader(before.splitlines()))
    last_twin = [r["id"] for r in rows if r["pair_id"] and r["label"] == "real"][-1]
    kept = [ln for ln in before.splitlines(keepends=True) if not ln.startswith(last_twin + ",")]
    assert len(kept) == len(rows)  # header + all rows but one
    index.write_text("".join(kept) + "torn,row")
    build.build_dataset(cache, subset="small", log=lambda m: None)
    assert sorted(r["id"] for r in build.read_index(cache)) == sorted(r["id"] for r in rows)


def test_tconv_fake_shows_comb_at_rate_over_stride_that_its_twin_lacks():
    x = synth.synthetic_music(7, 12.0)
    params = dict(strides=(8, 5, 4, 2), run_rate=24000, seed=100)
    fake, real = toy_codecs.codec_pair(x, np.random.default_rng(0), upsample="tconv", **params)
    assert len(fake) == len(real) == len(x)
    # lines at multiples of 24000 / 40 = 600 Hz (partial product 5*4*2 of the strides)
    excess = pair_signal.comb_strength_db(fake, SR, 600.0, band_hz=11000) - pair_signal.comb_strength_db(
        real, SR, 600.0, band_hz=11000
    )
    assert 0.5 < excess < 15
    # nearest-neighbour upsampling at the same strides leaves no comb
    fake_nn, real_nn = toy_codecs.codec_pair(x, np.random.default_rng(0), upsample="nearest", **params)
    assert pair_signal.comb_excess_db(fake_nn, real_nn, SR, params["strides"], 24000) < 0.5


def test_lyra_fake_is_time_aligned_with_its_twin():
    pytest.importorskip("ai_edge_litert")
    if not (decoder_pairs.DECODERS_DIR / "lyra").is_dir():
        pytest.skip("Lyra decoders not available")
    x = synth.synthetic_music(11, 6.0)
    fake, real = decoder_pairs.lyra_pair(x, np.random.default_rng(0), num_quantizers=30)
    assert len(fake) == len(real) == len(x)
    corr = float(np.dot(fake, real) / np.sqrt(np.dot(fake, fake) * np.dot(real, real)))
    assert corr > 0.5
    # Lyra's latency was removed at 16 kHz: at most one 16-kHz sample (2.76 at 44.1 kHz) remains
    assert abs(pair_signal.find_lag(fake, real, 2000)) <= 3
    assert pair_signal.rms(fake) == pytest.approx(pair_signal.rms(real), rel=1e-3)


def test_manipulations_are_deterministic_and_reverb_is_unseen():
    assert "reverb" in augment.UNSEEN_MANIPULATIONS and "reverb" not in augment.TRAIN_MANIPULATIONS
    assert set(augment.TRAIN_MANIPULATIONS + augment.UNSEEN_MANIPULATIONS) == set(augment.MANIPULATIONS)
    x = synth.synthetic_music(3, 1.5)
    for name in ("mp3", "eq", "noise", "reverb", "gain"):
        a = augment.apply_chain(x, SR, [name], seed=5)
        b = augment.apply_chain(x, SR, [name], seed=5)
        assert a.dtype == np.float32 and len(a) == len(x) and np.isfinite(a).all()
        assert np.array_equal(a, b), name
        assert not np.allclose(a, x), name


def test_a_package_added_later_keeps_every_earlier_item_and_gets_real_segments_only(monkeypatch):
    # plan_items only needs Track metadata (no audio is read while planning)
    tracks = [
        corpus.Track(f"pkg-{i}", (f"/music/pkg-{i}/song-{j}.ogg",), 300.0, "test") for i in range(6) for j in range(2)
    ]
    config = plan.SubsetConfig(
        real_per_source={"train": 2, "val": 2, "test": 2},
        fakes_per_generator={"train": 1, "val": 1, "test": 1},
        family_scale={},
        cap_minutes_per_source=4.0,
        generators=("tconv-s8.5.4.2-24k", "upsample-nearest-s8.5.4.2-24k"),
        pinned_real_per_source=5,
    )
    before, split_before = plan.plan_items(tracks, config)
    monkeypatch.setitem(corpus.PINNED_SPLITS, "late-pkg", "val")
    late = [corpus.Track("late-pkg", (f"/music/late/song-{j}.ogg",), 200.0, "test") for j in range(3)]
    after, split_after = plan.plan_items(tracks + late, config)

    old = {(it.item_id, it.split, it.augment) for it in before}
    assert old <= {(it.item_id, it.split, it.augment) for it in after}
    assert {k: v for k, v in split_after.items() if k != "late-pkg"} == split_before
    added = [it for it in after if it.track.source_package == "late-pkg"]
    assert len(added) == 5 and all(it.generator is None and it.split == "val" for it in added)
    assert len(after) == len(before) + 5


def test_item_ids_do_not_depend_on_where_the_corpus_was_unpacked():
    def tracks_under(root):
        return [
            corpus.Track(f"pkg-{i}", (f"{root}/pkgs/pkg-{i}/music/song-{j}.ogg",), 300.0, "test")
            for i in range(6)
            for j in range(2)
        ]

    config = plan.SubsetConfig(
        real_per_source={"train": 2, "val": 2, "test": 2},
        fakes_per_generator={"train": 1, "val": 1, "test": 1},
        family_scale={},
        cap_minutes_per_source=4.0,
        generators=("tconv-s8.5.4.2-24k",),
    )
    here, _ = plan.plan_items(
        tracks_under("/home/ann/.cache/forensic_app/corpus"),
        config,
        corpus_dir=Path("/home/ann/.cache/forensic_app/corpus"),
    )
    there, _ = plan.plan_items(tracks_under("/mnt/big/fa/corpus"), config, corpus_dir=Path("/mnt/big/fa/corpus"))
    shipped, _ = plan.plan_items(tracks_under(plan.ID_ROOT), config)  # the shipped build's own paths
    assert [(it.item_id, it.augment, it.seed) for it in here] == [(it.item_id, it.augment, it.seed) for it in there]
    assert [it.item_id for it in here] == [it.item_id for it in shipped]


def test_extra_real_segments_keep_every_earlier_item_and_never_reuse_a_window(monkeypatch):
    tracks = [
        corpus.Track(f"pkg-{i}", (f"/music/pkg-{i}/song-{j}.ogg",), 400.0, "test") for i in range(6) for j in range(2)
    ]
    tracks += [corpus.Track("pinned-pkg", (f"/music/pinned/song-{j}.ogg",), 400.0, "test") for j in range(2)]
    monkeypatch.setitem(corpus.PINNED_SPLITS, "pinned-pkg", "test")
    base = dict(
        real_per_source={"train": 2, "val": 2, "test": 2},
        fakes_per_generator={"train": 1, "val": 1, "test": 1},
        family_scale={},
        cap_minutes_per_source=2.0,
        generators=("tconv-s8.5.4.2-24k",),
        pinned_real_per_source=3,
    )
    before, _ = plan.plan_items(tracks, plan.SubsetConfig(**base))
    after, split_of = plan.plan_items(
        tracks, plan.SubsetConfig(**base, extra_real_per_source={"train": 4, "val": 0, "test": 3})
    )

    assert [it.item_id for it in after[: len(before)]] == [it.item_id for it in before]
    extra = after[len(before) :]
    per_source = defaultdict(int)
    for it in extra:
        assert it.generator is None and it.split == split_of[it.track.source_package]
        per_source[it.track.source_package] += 1
    assert per_source["pinned-pkg"] == 3 and not any(split_of[s] == "val" for s in per_source)
    assert {per_source[s] for s in per_source if split_of[s] == "train"} == {4}
    # an extra window never overlaps a window that any earlier item (real or fake) reads
    for it in extra:
        for old in before:
            if old.track == it.track:
                assert abs(old.start_s - it.start_s) >= plan.WINDOW_S


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs Debian's dpkg-deb")
def test_a_downloaded_package_unpacks_into_a_fresh_cache(tmp_path):
    # a fresh machine has no pkgs/ folder yet: dpkg-deb -x must still get somewhere to write
    src = tmp_path / "src"
    (src / "DEBIAN").mkdir(parents=True)
    (src / "DEBIAN" / "control").write_text(
        "Package: tiny-music\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@t.invalid>\nDescription: t\n"
    )
    music = src / "usr" / "share" / "games" / "tiny" / "music"
    music.mkdir(parents=True)
    sf.write(music / "theme.ogg", 0.1 * np.sin(np.arange(SR) * 2 * np.pi * 440 / SR), SR)
    cache = tmp_path / "corpus"
    (cache / "debs").mkdir(parents=True)
    subprocess.run(
        ["dpkg-deb", "-b", str(src), str(cache / "debs" / "tiny-music_1.0_all.deb")], check=True, capture_output=True
    )
    spec = corpus.PackageSpec("tiny-music", "test")
    root = corpus.fetch_package(spec, cache)
    assert root is not None and (root / "usr/share/games/tiny/music/theme.ogg").is_file()


def test_a_track_list_made_while_downloads_failed_is_listed_again(monkeypatch, tmp_path):
    specs = [corpus.PackageSpec("pkg-a", "test"), corpus.PackageSpec("pkg-b", "test")]
    monkeypatch.setattr(corpus, "PACKAGES", specs)
    reachable, calls = {"pkg-a"}, []

    def collect(corpus_dir, *, packages=specs, include_real_cc=True, log=print):
        calls.append([p.name for p in packages])
        for p in packages:
            if p.name in reachable:
                (corpus_dir / "pkgs" / p.name).mkdir(parents=True, exist_ok=True)
                (corpus_dir / "pkgs" / p.name / ".extracted").touch()
        return [corpus.Track(p.name, (f"/m/{p.name}.ogg",), 60.0, "test") for p in packages if p.name in reachable]

    monkeypatch.setattr(corpus, "collect_tracks", collect)
    first = build._cached_tracks(tmp_path, log=lambda m: None)  # pkg-b's download fails
    assert {t.source_package for t in first} == {"pkg-a"}
    reachable.add("pkg-b")
    second = build._cached_tracks(tmp_path, log=lambda m: None)
    assert {t.source_package for t in second} == {"pkg-a", "pkg-b"}
    third = build._cached_tracks(tmp_path, log=lambda m: None)
    assert [t.source_package for t in third] == [t.source_package for t in second]
    assert len(calls) == 2  # the complete list is reused, not listed a third time


def test_a_pinned_package_unpacked_after_the_track_list_was_made_is_appended(monkeypatch, tmp_path):
    # e.g. a study fetched the package into the corpus before the next data build: it is unpacked
    # (".extracted") but the cached list does not name it, and the build must still plan it
    specs = [corpus.PackageSpec("pkg-a", "test"), corpus.PackageSpec("pkg-late", "test", pinned_split="test")]
    monkeypatch.setattr(corpus, "PACKAGES", specs)
    listed = []

    def collect(corpus_dir, *, packages=specs, include_real_cc=True, log=print):
        listed.append([p.name for p in packages])
        return [corpus.Track(p.name, (f"/m/{p.name}.ogg",), 60.0, "test") for p in packages]

    monkeypatch.setattr(corpus, "collect_tracks", collect)
    (tmp_path / "tracks.json").write_text(
        '[{"source_package": "pkg-a", "stems": ["/m/pkg-a.ogg"], '
        '"duration_s": 60.0, "licence": "test", "low_bitrate": false}]'
    )
    for name in ("pkg-a", "pkg-late"):
        (tmp_path / "pkgs" / name).mkdir(parents=True)
        (tmp_path / "pkgs" / name / ".extracted").touch()
    tracks = build._cached_tracks(tmp_path, log=lambda m: None)
    assert [t.source_package for t in tracks] == ["pkg-a", "pkg-late"] and listed == [["pkg-late"]]
    assert [t.source_package for t in build._cached_tracks(tmp_path, log=lambda m: None)] == ["pkg-a", "pkg-late"]
    assert listed == [["pkg-late"]]  # listed once, then read from the cache
