"""Fakeprint readings of files and of re-encoded / resampled copies of them, for generator profiles.

A *reading* is one fakeprint (``core.fakeprint.measure_fakeprint``, the app's own path: the
file's mono at its own rate, soxr HQ to 16 kHz, first 300 s) with what it was read from:

- ``variant``: "orig", a codec round trip ("mp3-128k", "aac-128k", "opus-64k", ffmpeg at the
  file's rate) or a resampling ("sr16k", "sr24k", "sr32k", "sr44k", "sr48k": scipy's polyphase
  resampler to that rate, a different filter from the app's soxr; the fakeprint is then read
  from that rate, as from a file written at it);
- ``start_s`` / ``dur_s``: the excerpt the variant was made from (``dur_s`` 0: the whole file);
- ``source`` (the unit left out together: one Debian package, one CC recording, one singing
  corpus, one generator's example group) and ``label`` (a generator name, or "real").

So no profile can learn a format instead of a generator: the examples are read through the
codecs users meet, and the real reference through every rate and codec the examples come in.
Readings are cached one ``.npz`` per (file, variant) under a cache folder (resumable).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from math import gcd
from pathlib import Path

import numpy as np
import soxr

from ..core.audio import open_audio
from ..core.errors import UnusableInputError
from ..core.fakeprint import MAX_S, RATE_HZ, measure_fakeprint
from ..core.mono import to_mono

CODEC_VARIANTS = {"mp3-128k": ("mp3", 128), "aac-128k": ("aac", 128), "opus-64k": ("opus", 64)}
RATE_VARIANTS = {"sr16k": 16000, "sr24k": 24000, "sr32k": 32000, "sr44k": 44100, "sr48k": 48000}
VARIANTS = ("orig", *CODEC_VARIANTS, *RATE_VARIANTS)


@dataclass(frozen=True)
class Reading:
    path: str
    source: str
    label: str  # "real" or a generator name
    variant: str = "orig"
    start_s: float = 0.0
    dur_s: float = 0.0  # 0: the whole file (first 300 s)
    group: str = ""  # example group (generators); the source again for real music


def read_mono(path: str, *, max_s: float = MAX_S) -> tuple[np.ndarray, int]:
    """The first ``max_s`` seconds of a file as (n,) float32 mono at its own rate (the app's decoder)."""
    with open_audio(path) as src:
        rate = src.sample_rate
        limit = int(max_s * rate)
        parts, n = [], 0
        for block in src.blocks(rate * 30):
            parts.append(to_mono(block))
            n += parts[-1].size
            if n >= limit:
                break
    x = np.concatenate(parts)[:limit] if parts else np.zeros(0, np.float32)
    return x.astype(np.float32, copy=False), rate


def to_16k(x: np.ndarray, rate: int) -> np.ndarray:
    """As the app does (``FakeprintStream``): soxr HQ to 16 kHz."""
    return x if rate == RATE_HZ else soxr.resample(x, rate, RATE_HZ, quality="HQ").astype(np.float32)


def _poly(x: np.ndarray, rate: int, target: int) -> np.ndarray:
    from scipy.signal import resample_poly

    g = gcd(rate, target)
    return resample_poly(x, target // g, rate // g).astype(np.float32)


def apply_variant(x: np.ndarray, rate: int, variant: str) -> tuple[np.ndarray, int]:
    """(n,) mono at ``rate`` -> the variant's samples and rate."""
    if variant == "orig":
        return x, rate
    if variant in CODEC_VARIANTS:
        from .augment import lossy_reencode

        codec, kbps = CODEC_VARIANTS[variant]
        return lossy_reencode(x, rate, codec, kbps), rate
    if variant in RATE_VARIANTS:
        target = RATE_VARIANTS[variant]
        return (x, rate) if target == rate else (_poly(x, rate, target), target)
    raise ValueError(f"unknown variant {variant!r} (one of {', '.join(VARIANTS)})")


def fakeprint_variant(x: np.ndarray, rate: int, variant: str) -> np.ndarray | None:
    """The fakeprint of one variant of (n,) mono samples, or None when not measured."""
    y, r = apply_variant(x, rate, variant)
    fp, _, _ = measure_fakeprint(to_16k(y, r))
    return fp


def _cache_key(r: Reading) -> str:
    text = json.dumps([str(Path(r.path).resolve()), r.variant, round(r.start_s, 3), round(r.dur_s, 3)])
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def compute_readings(
    readings: Sequence[Reading], cache_dir: Path, *, cached_only: bool = False, log: Callable[[str], None] = print
) -> tuple[list[Reading], np.ndarray]:
    """Fakeprints of ``readings`` (cached): the readings that were measured and their (n, 3585) float32 rows.

    A file that cannot be decoded, and a variant too short or too quiet to measure, is left out.
    Readings of one file are made from one decode. ``cached_only``: only what the cache holds.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    by_path: dict[str, list[Reading]] = {}
    for r in readings:
        by_path.setdefault(r.path, []).append(r)
    kept: list[Reading] = []
    rows: list[np.ndarray] = []
    for i, (path, rs) in enumerate(by_path.items()):
        todo = [r for r in rs if not (cache_dir / f"{_cache_key(r)}.npz").exists()]
        if cached_only:
            rs = [r for r in rs if r not in todo]
            todo = []
        x = rate = None
        if todo:
            try:
                x, rate = read_mono(path)
            except (UnusableInputError, OSError, RuntimeError) as exc:
                log(f"profile data: {Path(path).name}: not read ({str(exc).splitlines()[0][:80]})")
                for r in todo:
                    np.savez(cache_dir / f"{_cache_key(r)}.npz", fp=np.zeros(0, np.float32))
                continue
        for r in rs:
            f = cache_dir / f"{_cache_key(r)}.npz"
            if not f.exists():
                a, b = int(r.start_s * rate), (int((r.start_s + r.dur_s) * rate) if r.dur_s else None)
                seg = x[a:b]
                try:
                    fp = fakeprint_variant(seg, rate, r.variant) if seg.size > rate else None
                except Exception as exc:  # noqa: BLE001 - one failed encode leaves out one reading
                    log(f"profile data: {Path(path).name} {r.variant}: {exc.__class__.__name__}")
                    fp = None
                tmp = f.with_suffix(".part.npz")
                np.savez(tmp, fp=np.zeros(0, np.float32) if fp is None else fp.astype(np.float32))
                tmp.replace(f)
            with np.load(f) as z:
                fp = z["fp"]
            if fp.size:
                kept.append(r)
                rows.append(fp)
        if (i + 1) % 50 == 0:
            log(f"profile data: {i + 1}/{len(by_path)} files")
    return kept, (np.stack(rows).astype(np.float32) if rows else np.zeros((0, 3585), np.float32))


def save_table(path: Path, readings: Sequence[Reading], X: np.ndarray) -> None:
    """One ``.npz``: float16 fakeprints and the readings as JSON (what a shipped reference would be)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = json.dumps([asdict(r) for r in readings])
    tmp = path.with_name(path.name + ".part.npz")
    np.savez_compressed(tmp, X=X.astype(np.float16), meta=np.frombuffer(meta.encode(), np.uint8))
    tmp.replace(path)


def load_table(path: Path) -> tuple[list[Reading], np.ndarray]:
    with np.load(path) as z:
        X = z["X"].astype(np.float32)
        meta = json.loads(bytes(z["meta"]).decode())
    return [Reading(**m) for m in meta], X


# ---- the plans: which readings of which files ------------------------------------------------

EXAMPLE_VARIANTS = ("orig", "mp3-128k", "aac-128k", "opus-64k")
_REAL_CODECS = ("mp3-128k", "opus-64k", "aac-128k")
_REAL_RATES = ("sr16k", "sr24k", "sr32k", "sr48k", "sr44k")
_EXCERPT_S = (10.0, 30.0, 60.0)


def real_plan(tracks: Iterable[tuple[str, str, float]]) -> list[Reading]:
    """Readings of real tracks ``(path, source, duration_s)``: the whole file, a 10-s excerpt as it is,
    one codec variant of a 60-s excerpt and one resampled variant of a 10/30/60-s excerpt, the
    codec and rate cycling over the tracks so every format is covered by every large source."""
    out = []
    for i, (path, source, dur) in enumerate(tracks):
        out.append(Reading(path, source, "real", group=source))
        start = 20.0 if dur >= 90 else max(0.0, dur / 2 - 30)
        if dur >= 12:
            out.append(Reading(path, source, "real", "orig", min(start, dur - 11), 10.0, group=source))
        cut = min(60.0, max(0.0, dur - start))
        if cut >= 10:
            out.append(Reading(path, source, "real", _REAL_CODECS[i % 3], start, cut, group=source))
            ex = min(_EXCERPT_S[i % 3], cut)
            out.append(Reading(path, source, "real", _REAL_RATES[i % 5], start, ex, group=source))
    return out


EXAMPLE_CODEC_S = 30.0  # re-encoded copies are made of the first 30 s (time: 2 shared cores)


def example_plan(examples: Iterable[tuple[str, str, str]]) -> list[Reading]:
    """Readings of generator examples ``(path, generator, group)``: the file (first 300 s) and its three
    re-encodings (the first ``EXAMPLE_CODEC_S`` seconds)."""
    return [
        Reading(path, group, generator, v, 0.0, 0.0 if v == "orig" else EXAMPLE_CODEC_S, group=group)
        for path, generator, group in examples
        for v in EXAMPLE_VARIANTS
    ]
