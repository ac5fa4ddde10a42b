"""Build the training / calibration dataset: 10-s real and content-matched fake segments.

``build_dataset(cache_dir)`` writes 16-bit FLAC (44.1 kHz mono) under
``cache_dir/segments/<split>/<family>/`` and one ``index.csv`` row per segment. It is
resumable: items whose rows are already in ``index.csv`` are skipped, files are written to
a temp name and renamed, and rows are appended (and flushed) as each item finishes.
Run ``python -m forensic_app.training.build --help`` (or ``forensic-app data build``).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

import numpy as np
import soundfile as sf

from ..core.progress import CancelToken, Progress, ProgressCallback, check
from . import augment, corpus, generators
from .corpus import SPLITS, Track
from .generators import GeneratorSpec

SR = 44100
SEGMENT_S = 10.0
MARGIN_S = 1.0  # each side: room for alignment, edge effects and a 120 % time stretch
WINDOW_S = SEGMENT_S + 2 * MARGIN_S
INDEX_FIELDS = ["id", "path", "label", "family", "generator", "pair_id", "source_package", "split",
                "augment", "heldout", "duration_s", "track", "start_s"]


@dataclass(frozen=True)
class SubsetConfig:
    """How much to build. Counts are segments (pairs for fakes) per split."""

    real_per_source: dict  # split -> plain real segments per source package
    fakes_per_generator: dict  # split -> pairs per generator
    family_scale: dict  # family -> multiplier on fakes_per_generator (slow families get fewer)
    cap_minutes_per_source: float
    generators: Optional[tuple[str, ...]] = None  # None: the whole catalogue
    # family -> split -> extra pairs per generator, planned AFTER everything else (drawn
    # from the other end of each source's windows) so adding them never renames old items
    extra_fakes: Optional[dict] = None
    # real segments per source package whose split is pinned (corpus.PINNED_SPLITS)
    pinned_real_per_source: int = 0
    # split -> extra real segments per source (every source, pinned ones too), from the
    # windows after the first cap_minutes_per_source; planned last, so adding them never
    # renames old items. Real music is cheap to add and the learned detector's main failure
    # is false positives on unfamiliar real music: these widen training, calibration and the
    # false-positive measurement without more fakes.
    extra_real_per_source: Optional[dict] = None


FULL = SubsetConfig(
    real_per_source={"train": 20, "val": 24, "test": 24},  # val/test: per-source false-positive rates
    fakes_per_generator={"train": 14, "val": 4, "test": 4},
    family_scale={"lyra": 3.0, "hifigan": 1.5, "griffinlim": 0.5, "tconv": 1.0, "upsample": 1.0},
    cap_minutes_per_source=12.0,
    extra_fakes={"griffinlim": {"train": 10, "val": 3, "test": 3}},
    pinned_real_per_source=60,
    extra_real_per_source={"train": 40, "val": 40, "test": 60},
)
SMALL = SubsetConfig(
    real_per_source={"train": 1, "val": 1, "test": 1},
    fakes_per_generator={"train": 1, "val": 1, "test": 1},
    family_scale={f: 1.0 for f in generators.FAMILIES},
    cap_minutes_per_source=1.0,
    generators=("lyra-6kbps", "tconv-s8.5.4.2-24k", "tconv-s6.5.4.2-24k", "upsample-nearest-s8.5.4.2-24k"),
)
# Seconds of one core per item, for the ETA (measured: see generators.measure_speed).
_COST_S = {"real": 0.4, "lyra": 1.0, "hifigan": 7.0, "griffinlim": 33.0, "tconv": 4.0, "upsample": 1.5}


@dataclass(frozen=True)
class Item:
    """One unit of work: a plain real segment, or a (fake, real twin) pair."""

    item_id: str
    track: Track
    start_s: float
    split: str
    generator: Optional[GeneratorSpec]
    augment: tuple[str, ...]
    seed: int

    @property
    def family(self) -> str:
        return self.generator.family if self.generator else "real"


def _seed(text: str) -> int:
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


# ---------------------------------------------------------------- sources

def synthetic_music(seed: int, duration_s: float, sr: int = SR) -> np.ndarray:
    """Stand-in 'real' music for the small subset: chords, bass, noise drums, (n,) float32."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * sr)
    t = np.arange(n) / sr
    x = np.zeros(n)
    beat = 60.0 / rng.uniform(80, 140)
    root = rng.uniform(45, 60)
    for i, start in enumerate(np.arange(0, duration_s, 4 * beat)):
        chord = root + rng.choice([0, 3, 5, 7, 8, 10]) + np.array([0, 4 if rng.uniform() < 0.5 else 3, 7, 12])
        seg = (t >= start) & (t < start + 4 * beat)
        env = np.exp(-(t[seg] - start) / rng.uniform(0.5, 2.0))
        for midi in chord:
            f = 440 * 2 ** ((midi - 69) / 12)
            for k in range(1, 6):
                if k * f < sr / 2:
                    x[seg] += 0.1 / k * env * np.sin(2 * np.pi * k * f * t[seg] + rng.uniform(0, 6.3))
        fb = 440 * 2 ** ((chord[0] - 12 - 69) / 12)
        x[seg] += 0.2 * env * np.sin(2 * np.pi * fb * t[seg])
    for start in np.arange(0, duration_s, beat):
        i0 = int(start * sr)
        m = min(n - i0, int(0.15 * sr))
        x[i0:i0 + m] += 0.3 * rng.standard_normal(m) * np.exp(-np.arange(m) / (0.03 * sr))
    return (0.5 * x / (np.max(np.abs(x)) + 1e-9)).astype(np.float32)


def synthetic_tracks(directory: Path, n_sources: int = 5, duration_s: float = 26.0) -> list[Track]:
    directory.mkdir(parents=True, exist_ok=True)
    tracks = []
    for i in range(n_sources):
        path = directory / f"synthetic-{i}.flac"
        if not path.exists():
            _write_flac(path, synthetic_music(1000 + i, duration_s))
        tracks.append(Track(f"synthetic-{i}", (str(path),), duration_s, "generated in code (no licence needed)"))
    return tracks


def _cached_tracks(corpus_dir: Path, log: Callable[[str], None]) -> list[Track]:
    """The real corpus track list, cached as JSON (listing durations takes a minute)."""
    cache = corpus_dir / "tracks.json"
    if cache.exists():
        tracks = [Track(**{**d, "stems": tuple(d["stems"])}) for d in json.loads(cache.read_text())]
        have = {t.source_package for t in tracks}
        # a package with no listed tracks that was never unpacked was skipped or failed to download
        missing = [p for p in corpus.PACKAGES
                   if p.name not in have and not (corpus_dir / "pkgs" / p.name / ".extracted").exists()]
        if not missing:
            return tracks
        if all(p.pinned_split for p in missing):
            # pinned packages added to the catalogue after this corpus was listed: appended,
            # so the items already built keep their ids
            tracks += corpus.collect_tracks(corpus_dir, packages=missing, include_real_cc=False, log=log)
        else:
            # a listing made while downloads failed: list everything again
            tracks = corpus.collect_tracks(corpus_dir, log=log)
    else:
        tracks = corpus.collect_tracks(corpus_dir, log=log)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps([asdict(t) for t in tracks], indent=0))
    tmp.replace(cache)
    return tracks


# ---------------------------------------------------------------- the plan

# Item ids (and so each item's augmentation draw) hash the track's path. Paths under the corpus
# folder are hashed as if that folder were ID_ROOT, where the shipped corpus was first listed,
# so a corpus built under any cache folder plans the same items with the same ids.
ID_ROOT = "/work/cache/dataset/corpus"


def _id_path(stem: str, corpus_dir: Optional[Path]) -> str:
    if corpus_dir is not None:
        try:
            return f"{ID_ROOT}/{Path(stem).relative_to(corpus_dir).as_posix()}"
        except ValueError:
            pass
    return stem


def plan_items(tracks: Sequence[Track], config: SubsetConfig, *, families: Optional[Sequence[str]] = None,
               seed: int = 1234, corpus_dir: Optional[Path] = None) -> tuple[list[Item], dict[str, str]]:
    """Deterministic list of work items and the source -> split map.

    ``corpus_dir``: the folder the tracks were unpacked under; ids do not depend on where it is.
    """
    all_sources = sorted({t.source_package for t in tracks})
    pinned = {s: corpus.PINNED_SPLITS[s] for s in all_sources if s in corpus.PINNED_SPLITS}
    sources = [s for s in all_sources if s not in pinned]
    split_of = corpus.assign_splits(sources, low_bitrate=[t.source_package for t in tracks if t.low_bitrate],
                                    seed=seed)
    cap = int(config.cap_minutes_per_source * 60 // SEGMENT_S)
    windows: dict[str, list[tuple[Track, float]]] = {}
    for src in sources:
        src_tracks = [t for t in tracks if t.source_package == src]
        windows[src] = corpus.choose_excerpts(src_tracks, cap, WINDOW_S, seed=_seed(src) ^ seed,
                                              skip_s=2.0 if src.startswith("synthetic") else 5.0)
    specs = [g for g in generators.all_generators()
             if (config.generators is None or g.name in config.generators)
             and (families is None or g.family in families) and generators.is_available(g)]
    items: list[Item] = []

    def make(track: Track, start: float, split: str, gen: Optional[GeneratorSpec]) -> Item:
        stems = tuple(_id_path(st, corpus_dir) for st in track.stems)
        key = f"{corpus._slug(track.source_package)}-{zlib.crc32(f'{stems}|{start:.2f}'.encode()):08x}"
        item_id = f"{gen.name if gen else 'real'}-{key}"
        rng = np.random.default_rng(_seed(item_id) ^ seed)
        return Item(item_id, track, start, split, gen, tuple(augment.sample_chain(rng)), _seed(item_id + "aug"))

    for split in SPLITS:
        split_sources = [s for s in sources if split_of[s] == split and windows[s]]
        for src in split_sources:
            for track, start in windows[src][: config.real_per_source[split]]:
                items.append(make(track, start, split, None))
    # fakes: round-robin over the split's sources with a cursor that carries across generators,
    # so excerpts are spread evenly and different generators mostly get different content
    per_gen: dict[str, list[Item]] = defaultdict(list)
    for split in SPLITS:
        split_sources = [s for s in sources if split_of[s] == split and windows[s]]
        if not split_sources:
            continue
        cursor = Counter()
        turn = 0
        for gen in specs:
            if gen.heldout and split == "train":
                continue
            n = int(round(config.fakes_per_generator[split] * config.family_scale.get(gen.family, 1.0)))
            if gen.heldout:
                n = max(n, config.fakes_per_generator["test"])
            for _ in range(n):
                src = split_sources[turn % len(split_sources)]
                turn += 1
                track, start = windows[src][cursor[src] % len(windows[src])]
                cursor[src] += 1
                per_gen[gen.name].append(make(track, start, split, gen))
    # interleave generators so a build cut short still holds every family
    queues = [per_gen[g.name] for g in specs if per_gen[g.name]]
    for r in range(max((len(q) for q in queues), default=0)):
        items.extend(q[r] for q in queues if r < len(q))
    extra: dict[str, list[Item]] = defaultdict(list)
    for split in SPLITS:
        split_sources = [s for s in sources if split_of[s] == split and windows[s]]
        turn, cursor = 0, Counter()
        for gen in specs:
            n = ((config.extra_fakes or {}).get(gen.family) or {}).get(split, 0)
            if gen.heldout and split == "train":
                n = 0
            for _ in range(n):
                src = split_sources[turn % len(split_sources)]
                turn += 1
                track, start = windows[src][-1 - cursor[src] % len(windows[src])]
                cursor[src] += 1
                extra[gen.name].append(make(track, start, split, gen))
    queues = [extra[g.name] for g in specs if extra[g.name]]
    for r in range(max((len(q) for q in queues), default=0)):
        items.extend(q[r] for q in queues if r < len(q))
    for src, split in sorted(pinned.items()):  # real only, after everything else
        src_tracks = [t for t in tracks if t.source_package == src]
        wins = corpus.choose_excerpts(src_tracks, cap, WINDOW_S, seed=_seed(src) ^ seed)
        for track, start in wins[: config.pinned_real_per_source]:
            items.append(make(track, start, split, None))
    split_of = {**split_of, **pinned}
    for split in SPLITS:  # extra real segments, after everything else
        n_extra = (config.extra_real_per_source or {}).get(split, 0)
        for src in all_sources:
            if n_extra <= 0 or split_of.get(src) != split:
                continue
            src_tracks = [t for t in tracks if t.source_package == src]
            skip = 2.0 if src.startswith("synthetic") and src not in pinned else 5.0
            # the same seed as the first windows: choose_excerpts' first `cap` windows are
            # exactly those, so the extras never overlap a window already used
            wins = corpus.choose_excerpts(src_tracks, cap + n_extra, WINDOW_S, seed=_seed(src) ^ seed, skip_s=skip)
            for track, start in wins[cap:]:
                items.append(make(track, start, split, None))
    seen: set[str] = set()  # a source with few windows can yield the same pair twice
    items = [it for it in items if not (it.item_id in seen or seen.add(it.item_id))]
    return items, split_of


# ---------------------------------------------------------------- writing

def _write_flac(path: Path, x: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    sf.write(str(tmp), np.clip(x, -1.0, 1.0), SR, subtype="PCM_16", format="FLAC")
    os.replace(tmp, path)


def _center(x: np.ndarray, n: int) -> np.ndarray:
    if len(x) < n:
        return np.pad(x, (0, n - len(x)))
    start = (len(x) - n) // 2
    return x[start:start + n]


def read_index(cache_dir: Path) -> list[dict]:
    """Rows of ``index.csv`` (a half-written last line from a crash is dropped)."""
    path = Path(cache_dir) / "index.csv"
    if not path.exists():
        return []
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [r for r in rows if None not in r.values() and r.get(INDEX_FIELDS[-1]) not in (None, "")]


class _Index:
    def __init__(self, cache_dir: Path):
        self.path = cache_dir / "index.csv"
        rows = read_index(cache_dir)
        labels = defaultdict(set)
        for r in rows:
            labels[r["pair_id"]].add(r["label"])
        # a pair counts as done only with both rows; a torn or half pair is redone
        rows = [r for r in rows if not r["pair_id"] or labels[r["pair_id"]] == {"fake", "real"}]
        self.done = {r["pair_id"] or r["id"] for r in rows}
        tmp = self.path.with_suffix(".tmp")  # rewrite cleanly: drops torn lines and half pairs
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, INDEX_FIELDS)
            w.writeheader()
            w.writerows(rows)
        os.replace(tmp, self.path)
        self._f = open(self.path, "a", newline="")
        self._w = csv.DictWriter(self._f, INDEX_FIELDS)

    def append(self, rows: Iterable[dict]) -> None:
        self._w.writerows(rows)
        self._f.flush()
        os.fsync(self._f.fileno())

    def close(self) -> None:
        self._f.close()


def _process(item: Item, cache_dir: Path, model_dir: Path, timings: dict) -> list[dict]:
    x = corpus.load_excerpt(item.track, item.start_s, WINDOW_S)
    n_out = int(SEGMENT_S * SR)
    common = {"source_package": item.track.source_package, "split": item.split, "augment": "+".join(item.augment),
              "duration_s": f"{SEGMENT_S:.2f}", "track": item.track.name, "start_s": f"{item.start_s + MARGIN_S:.2f}"}
    folder = cache_dir / "segments" / item.split / item.family
    if item.generator is None:
        real = _center(augment.apply_chain(x, SR, list(item.augment), item.seed), n_out)
        real *= min(1.0, 0.99 / (float(np.max(np.abs(real))) + 1e-9))
        path = folder / f"{item.item_id}.flac"
        _write_flac(path, real)
        return [{**common, "id": item.item_id, "path": str(path.relative_to(cache_dir)), "label": "real",
                 "family": "real", "generator": "original", "pair_id": "", "heldout": 0}]
    gen = item.generator
    t0 = time.perf_counter()
    fake, real = generators.make_pair_fn(gen, model_dir=model_dir)(x, np.random.default_rng(item.seed))
    t_gen = time.perf_counter() - t0
    acc = timings.setdefault(gen.name, [0.0, 0.0])
    acc[0] += t_gen
    acc[1] += len(x) / SR
    fake = _center(augment.apply_chain(fake, SR, list(item.augment), item.seed), n_out)
    real = _center(augment.apply_chain(real, SR, list(item.augment), item.seed), n_out)
    scale = min(1.0, 0.99 / (max(float(np.max(np.abs(fake))), float(np.max(np.abs(real)))) + 1e-9))
    rows = []
    for label, y in (("fake", fake), ("real", real)):
        path = folder / f"{item.item_id}-{label}.flac"
        _write_flac(path, y * scale)
        rows.append({**common, "id": f"{item.item_id}-{label}", "path": str(path.relative_to(cache_dir)),
                     "label": label, "family": gen.family, "generator": gen.name, "pair_id": item.item_id,
                     "heldout": int(gen.heldout)})
    return rows


def _fmt_s(s: float) -> str:
    s = int(max(s, 0))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def build_dataset(cache_dir: Optional[Path] = None, *, subset: str = "full", families: Optional[Sequence[str]] = None,
                  corpus_dir: Optional[Path] = None, on_progress: Optional[ProgressCallback] = None,
                  cancel: Optional[CancelToken] = None, log: Callable[[str], None] = lambda m: print(m, file=sys.stderr, flush=True)) -> Path:
    """Build (or resume) the dataset; returns the path of ``index.csv``.

    ``subset='small'`` uses synthetic music and four generators (well under a minute);
    ``'full'`` fetches the Debian music packages into ``corpus_dir`` (default
    ``cache_dir/corpus``) and runs the whole generator catalogue.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else corpus.default_cache_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    if subset not in ("small", "full"):
        raise ValueError(f"subset must be 'small' or 'full', not {subset!r}")
    if families:
        unknown = set(families) - set(generators.FAMILIES)
        if unknown:
            raise ValueError(f"unknown families {sorted(unknown)}; choose from {', '.join(generators.FAMILIES)}")
    config = SMALL if subset == "small" else FULL
    corpus_root = (Path(corpus_dir) if corpus_dir else cache_dir / "corpus").resolve()
    if subset == "small":
        tracks = synthetic_tracks(cache_dir / "synthetic")
    else:
        tracks = _cached_tracks(corpus_root, log)
    items, split_of = plan_items(tracks, config, families=families, corpus_dir=corpus_root)
    _write_sources(cache_dir, tracks, split_of, items)
    index = _Index(cache_dir)
    todo = [it for it in items if it.item_id not in index.done]
    log(f"data build ({subset}): {len(items)} items planned, {len(items) - len(todo)} already done, "
        f"{len(todo)} to go -> {cache_dir}")
    total_cost = sum(_COST_S[it.family] for it in todo) or 1.0
    done_cost, t_start, timings, last_print = 0.0, time.perf_counter(), {}, 0.0
    model_dir = cache_dir / "models"
    try:
        for i, item in enumerate(todo):
            check(cancel)
            try:
                rows = _process(item, cache_dir, model_dir, timings)
            except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as err:  # one bad file must not stop a 1-h build
                log(f"data build: skipped {item.item_id}: {err}")
                rows = []
            index.append(rows)
            done_cost += _COST_S[item.family]
            elapsed = time.perf_counter() - t_start
            eta = elapsed / done_cost * (total_cost - done_cost)
            if on_progress is not None:
                on_progress(Progress(done_cost / total_cost, f"Building dataset: {item.family}"))
            if elapsed - last_print >= 5 or i + 1 == len(todo):
                last_print = elapsed
                log(f"[data build] {i + 1}/{len(todo)} items ({100 * done_cost / total_cost:.0f}%), "
                    f"elapsed {_fmt_s(elapsed)}, ETA {_fmt_s(eta)} - {item.item_id}")
    finally:
        index.close()
        _write_speeds(cache_dir, timings, log)
    log(summarize(cache_dir))
    return cache_dir / "index.csv"


def _write_sources(cache_dir: Path, tracks: Sequence[Track], split_of: dict, items: Sequence[Item]) -> None:
    """tracks.csv: per-track source package, licence note, split, minutes used."""
    used = Counter(it.track.stems for it in items)
    tmp = cache_dir / "tracks.csv.tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["track", "source_package", "split", "licence", "low_bitrate", "duration_s", "planned_items", "files"])
        for t in tracks:
            w.writerow([t.name, t.source_package, split_of.get(t.source_package, ""), t.licence, int(t.low_bitrate),
                        f"{t.duration_s:.1f}", used.get(t.stems, 0), ";".join(t.stems)])
    os.replace(tmp, cache_dir / "tracks.csv")


def _write_speeds(cache_dir: Path, timings: dict, log: Callable[[str], None]) -> None:
    if not timings:
        return
    path = cache_dir / "speeds.json"
    speeds = json.loads(path.read_text()) if path.exists() else {}
    for name, (t, audio_s) in timings.items():
        speeds[name] = {"x_real_time": round(audio_s / max(t, 1e-9), 2), "audio_s": round(audio_s, 1)}
        log(f"speed {name}: {speeds[name]['x_real_time']}x real time (one core, {audio_s:.0f} s of audio)")
    path.write_text(json.dumps(speeds, indent=1, sort_keys=True))


def summarize(cache_dir: Path) -> str:
    """Counts per family / generator / split / label and minutes per source."""
    rows = read_index(cache_dir)
    by_gen = Counter((r["family"], r["generator"], r["split"], r["label"]) for r in rows)
    lines = [f"index: {Path(cache_dir) / 'index.csv'} ({len(rows)} segments)"]
    for (fam, gen, split, label), n in sorted(by_gen.items()):
        lines.append(f"  {fam:10s} {gen:34s} {split:5s} {label:4s} {n}")
    minutes = Counter()
    for r in rows:
        minutes[(r["source_package"], r["split"])] += float(r["duration_s"]) / 60
    lines.append("minutes per source (all segments):")
    for (src, split), m in sorted(minutes.items()):
        lines.append(f"  {src:60s} {split:5s} {m:6.1f}")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    import argparse

    from .commands import add_build_arguments, run_build

    parser = argparse.ArgumentParser(prog="python -m forensic_app.training.build", description=__doc__.splitlines()[0])
    add_build_arguments(parser)
    return run_build(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
