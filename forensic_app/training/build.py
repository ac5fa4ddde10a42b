"""Build the training / calibration dataset: 10-s real and content-matched fake segments.

``build_dataset(cache_dir)`` writes 16-bit FLAC (44.1 kHz mono) under
``cache_dir/segments/<split>/<family>/`` and one ``index.csv`` row per segment. It is
resumable: items whose rows are already in ``index.csv`` are skipped, files are written to
a temp name and renamed, and rows are appended (and flushed) as each item finishes. What
to build is :func:`.plan.plan_items`'s; the small subset's music is :mod:`.synth`'s.
Run it with ``forensic-app data build`` (options: ``forensic-app data build --help``).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

import numpy as np
import soundfile as sf

from ..core.progress import CancelToken, Progress, ProgressCallback, check
from . import augment, corpus, generators, kinds
from .corpus import Track
from .plan import FULL, MARGIN_S, SEGMENT_S, SMALL, WINDOW_S, Item, plan_items
from .synth import synthetic_music

SR = 44100
INDEX_FIELDS = [
    "id",
    "path",
    "label",
    "family",
    "generator",
    "pair_id",
    "source_package",
    "split",
    "augment",
    "heldout",
    "duration_s",
    "track",
    "start_s",
]
# Seconds of one core per item, for the ETA (measured: see generators.measure_speed).
_COST_S = {"real": 0.4, "lyra": 1.0, "hifigan": 7.0, "griffinlim": 33.0, "tconv": 4.0, "upsample": 1.5}


# ---------------------------------------------------------------- sources


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
        # a package with no listed tracks that was never unpacked was skipped or failed to download;
        # a pinned one may also have been unpacked after this list was made (by a study): list it
        missing = [
            p
            for p in corpus.PACKAGES
            if p.name not in have and (p.pinned_split or not (corpus_dir / "pkgs" / p.name / ".extracted").exists())
        ]
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
    return x[start : start + n]


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
    source = item.track.source_package
    if item.kind is None:
        x = corpus.load_excerpt(item.track, item.start_s, WINDOW_S)
    else:  # a kind of human-made sound (training.kinds), rendered here; derived ones from the track's window
        music = corpus.load_excerpt(item.track, item.start_s, WINDOW_S) if item.kind in kinds.DERIVED_KINDS else None
        x = kinds.render(item.kind, item.kind_seed, WINDOW_S, music)
        source = kinds.KIND_SOURCE_PREFIX + item.kind
    n_out = int(SEGMENT_S * SR)
    common = {
        "source_package": source,
        "split": item.split,
        "augment": "+".join(item.augment),
        "duration_s": f"{SEGMENT_S:.2f}",
        "track": item.track.name,
        "start_s": f"{item.start_s + MARGIN_S:.2f}",
    }
    folder = cache_dir / "segments" / item.split / item.family
    if item.generator is None:
        real = _center(augment.apply_chain(x, SR, list(item.augment), item.seed), n_out)
        real *= min(1.0, 0.99 / (float(np.max(np.abs(real))) + 1e-9))
        path = folder / f"{item.item_id}.flac"
        _write_flac(path, real)
        return [
            {
                **common,
                "id": item.item_id,
                "path": str(path.relative_to(cache_dir)),
                "label": "real",
                "family": "real",
                "generator": "original",
                "pair_id": "",
                "heldout": 0,
            }
        ]
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
        rows.append(
            {
                **common,
                "id": f"{item.item_id}-{label}",
                "path": str(path.relative_to(cache_dir)),
                "label": label,
                "family": gen.family,
                "generator": gen.name,
                "pair_id": item.item_id,
                "heldout": int(gen.heldout),
            }
        )
    return rows


def _fmt_s(s: float) -> str:
    s = int(max(s, 0))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def build_dataset(
    cache_dir: Optional[Path] = None,
    *,
    subset: str = "full",
    families: Optional[Sequence[str]] = None,
    corpus_dir: Optional[Path] = None,
    on_progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
    log: Callable[[str], None] = lambda m: print(m, file=sys.stderr, flush=True),
) -> Path:
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
    log(
        f"data build ({subset}): {len(items)} items planned, {len(items) - len(todo)} already done, "
        f"{len(todo)} to go -> {cache_dir}"
    )
    total_cost = sum(_COST_S[it.family] for it in todo) or 1.0
    done_cost, t_start, timings, last_print = 0.0, time.perf_counter(), {}, 0.0
    model_dir = cache_dir / "models"
    try:
        for i, item in enumerate(todo):
            check(cancel)
            try:
                rows = _process(item, cache_dir, model_dir, timings)
            except (
                OSError,
                RuntimeError,
                ValueError,
                subprocess.SubprocessError,
            ) as err:  # one bad file must not stop a 1-h build
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
                log(
                    f"[data build] {i + 1}/{len(todo)} items ({100 * done_cost / total_cost:.0f}%), "
                    f"elapsed {_fmt_s(elapsed)}, ETA {_fmt_s(eta)} - {item.item_id}"
                )
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
        w.writerow(
            ["track", "source_package", "split", "licence", "low_bitrate", "duration_s", "planned_items", "files"]
        )
        for t in tracks:
            w.writerow(
                [
                    t.name,
                    t.source_package,
                    split_of.get(t.source_package, ""),
                    t.licence,
                    int(t.low_bitrate),
                    f"{t.duration_s:.1f}",
                    used.get(t.stems, 0),
                    ";".join(t.stems),
                ]
            )
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
