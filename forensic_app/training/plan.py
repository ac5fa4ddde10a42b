"""The dataset's plan: which 10-s windows of which tracks become plain real segments or
(fake, real twin) pairs, through which generator, in which split, with which augmentation.

``plan_items`` is deterministic and append-only: every item's id (and so its augmentation
draw) hashes its track and window, and items added to a config (extra fakes, pinned or
extra real segments) are planned after the others, so adding them never renames an item
already built. :mod:`.build` carries the plan out.
"""

from __future__ import annotations

import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from . import augment, corpus, generators, kinds
from .corpus import SPLITS, Track
from .generators import GeneratorSpec

SEGMENT_S = 10.0
MARGIN_S = 1.0  # each side: room for alignment, edge effects and a 120 % time stretch
WINDOW_S = SEGMENT_S + 2 * MARGIN_S


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
    # split -> seeds per kind (training.kinds: synth notes, vocoder, bitcrusher, limited masters,
    # room tone...): human-made sounds that imitate decoder evidence, as real segments so the
    # patch CNN learns them as real. Planned last. Their seeds (KIND_SEED_BASE) never meet the
    # seeds the evidence and heatmap studies fit and measure on (0-2); the test split's kinds
    # (other seeds, derived ones from test music) give evaluate its false positives per kind.
    kind_seeds: Optional[dict] = None
    kinds: Optional[tuple[str, ...]] = None  # None: every kind in training.kinds


FULL = SubsetConfig(
    real_per_source={"train": 20, "val": 24, "test": 24},  # val/test: per-source false-positive rates
    fakes_per_generator={"train": 14, "val": 4, "test": 4},
    family_scale={"lyra": 3.0, "hifigan": 1.5, "griffinlim": 0.5, "tconv": 1.0, "upsample": 1.0},
    cap_minutes_per_source=12.0,
    extra_fakes={"griffinlim": {"train": 10, "val": 3, "test": 3}},
    pinned_real_per_source=60,
    extra_real_per_source={"train": 40, "val": 40, "test": 60},
    kind_seeds={"train": 8, "val": 3, "test": 4},
)
SMALL = SubsetConfig(
    real_per_source={"train": 1, "val": 1, "test": 1},
    fakes_per_generator={"train": 1, "val": 1, "test": 1},
    family_scale={f: 1.0 for f in generators.FAMILIES},
    cap_minutes_per_source=1.0,
    generators=("lyra-6kbps", "tconv-s8.5.4.2-24k", "tconv-s6.5.4.2-24k", "upsample-nearest-s8.5.4.2-24k"),
    kind_seeds={"train": 1, "val": 1},
    kinds=("synth: saw note", "lo-fi: bitcrusher x4 8-bit"),
)
KIND_SEED_BASE = {"train": 100, "val": 200, "test": 300}  # + 0..n-1: a kind clip's seed in each split


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
    kind: Optional[str] = None  # training.kinds name: the clip is rendered (from track's window when derived)
    kind_seed: int = 0

    @property
    def family(self) -> str:
        return self.generator.family if self.generator else "real"


def _seed(text: str) -> int:
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


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


def _interleave(per_gen: dict[str, list[Item]], specs: Sequence[GeneratorSpec]) -> list[Item]:
    """One item of each generator in turn (catalogue order), so a build cut short still holds every family."""
    queues = [per_gen[g.name] for g in specs if per_gen[g.name]]
    out: list[Item] = []
    for r in range(max((len(q) for q in queues), default=0)):
        out.extend(q[r] for q in queues if r < len(q))
    return out


def plan_items(
    tracks: Sequence[Track],
    config: SubsetConfig,
    *,
    families: Optional[Sequence[str]] = None,
    seed: int = 1234,
    corpus_dir: Optional[Path] = None,
) -> tuple[list[Item], dict[str, str]]:
    """Deterministic list of work items and the source -> split map.

    ``corpus_dir``: the folder the tracks were unpacked under; ids do not depend on where it is.
    """
    all_sources = sorted({t.source_package for t in tracks})
    pinned = {s: corpus.PINNED_SPLITS[s] for s in all_sources if s in corpus.PINNED_SPLITS}
    sources = [s for s in all_sources if s not in pinned]
    split_of = corpus.assign_splits(sources, low_bitrate=[t.source_package for t in tracks if t.low_bitrate], seed=seed)
    cap = int(config.cap_minutes_per_source * 60 // SEGMENT_S)
    windows: dict[str, list[tuple[Track, float]]] = {}
    for src in sources:
        src_tracks = [t for t in tracks if t.source_package == src]
        windows[src] = corpus.choose_excerpts(
            src_tracks, cap, WINDOW_S, seed=_seed(src) ^ seed, skip_s=2.0 if src.startswith("synthetic") else 5.0
        )
    specs = [
        g
        for g in generators.all_generators()
        if (config.generators is None or g.name in config.generators)
        and (families is None or g.family in families)
        and generators.is_available(g)
    ]
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
    items += _interleave(per_gen, specs)
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
    items += _interleave(extra, specs)
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
    items += _kind_items(config, sources, split_of, windows, seed)
    seen: set[str] = set()  # a source with few windows can yield the same pair twice
    items = [it for it in items if not (it.item_id in seen or seen.add(it.item_id))]
    return items, split_of


def _kind_items(
    config: SubsetConfig,
    sources: Sequence[str],
    split_of: dict[str, str],
    windows: dict[str, list[tuple[Track, float]]],
    seed: int,
) -> list[Item]:
    """Real segments of each kind (training.kinds), per split: solo kinds from their seed alone,
    derived kinds from a window of the split's own music (round-robin over its sources, taken
    from the far end of each source's windows)."""
    if not config.kind_seeds:
        return []
    names = list(config.kinds or (*kinds.SOLO_KINDS, *kinds.DERIVED_KINDS))
    items: list[Item] = []
    for split in SPLITS:
        n_seeds = config.kind_seeds.get(split, 0)
        music = [s for s in sources if split_of[s] == split and windows[s]]
        turn, cursor = 0, Counter()
        for name in names:
            if split not in kinds.KIND_SPLITS.get(name, SPLITS):
                continue
            for k in range(n_seeds):
                kind_seed = KIND_SEED_BASE[split] + k
                source = kinds.KIND_SOURCE_PREFIX + name
                if name in kinds.DERIVED_KINDS:
                    if not music:
                        continue
                    src = music[turn % len(music)]
                    turn += 1
                    track, start = windows[src][-1 - cursor[src] % len(windows[src])]
                    cursor[src] += 1
                else:
                    track, start = (
                        Track(
                            source,
                            (f"{corpus._slug(name)}-seed{kind_seed}",),
                            WINDOW_S,
                            "generated in code (no licence needed)",
                        ),
                        0.0,
                    )
                item_id = f"kind-{corpus._slug(name)}-{kind_seed}"
                rng = np.random.default_rng(_seed(item_id) ^ seed)
                items.append(
                    Item(
                        item_id,
                        track,
                        start,
                        split,
                        None,
                        tuple(augment.sample_chain(rng)),
                        _seed(item_id + "aug"),
                        kind=name,
                        kind_seed=kind_seed,
                    )
                )
    return items
