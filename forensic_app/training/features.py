"""Feature cache for training: the engine's own feature function over every dataset segment.

Features of all segments of a split are stored in one float16 memmap
``features/<split>.f16`` of shape (n_segments, n_bins, n_frames) plus ``<split>.json`` with
the index rows in the same order. Building resumes where it stopped.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from ..core.spectrogram import FeatureContract, compute_features, to_model_rate

SEGMENT_S = 10.0


def read_index(cache_dir: Path) -> list[dict[str, str]]:
    path = Path(cache_dir) / "index.csv"
    if not path.exists():
        raise FileNotFoundError(f"No dataset index at {path}: run `forensic-app data build` first")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    seen, out = set(), []
    for r in rows:  # the builder appends; keep the last row per id
        if r["id"] in seen:
            continue
        seen.add(r["id"])
        out.append(r)
    return out


def load_segment(cache_dir: Path, row: dict[str, str], contract: FeatureContract) -> np.ndarray:
    """(n,) float32 mono at the contract rate."""
    p = Path(row["path"])
    if not p.is_absolute():
        p = Path(cache_dir) / p
    x, rate = sf.read(str(p), dtype="float32", always_2d=True)
    return to_model_rate(x, rate, contract)


def n_frames_for(contract: FeatureContract, seconds: float = SEGMENT_S) -> int:
    n = int(round(seconds * contract.sample_rate))
    return 1 + (n - contract.n_fft) // contract.hop


class FeatureStore:
    """float16 features of one split, memory-mapped."""

    def __init__(self, directory: Path, split: str):
        meta = json.loads((directory / f"{split}.json").read_text())
        self.rows: list[dict[str, str]] = meta["rows"]
        shape = tuple(meta["shape"])
        self.x = np.memmap(directory / f"{split}.f16", dtype=np.float16, mode="r", shape=shape)
        self.n_done = int(meta["n_done"])

    def __len__(self) -> int:
        return self.n_done


def build_features(cache_dir: Path, contract: FeatureContract, *, splits=("train", "val", "test"), log=None) -> Path:
    cache_dir = Path(cache_dir)
    out = cache_dir / "features"
    out.mkdir(exist_ok=True)
    rows = read_index(cache_dir)
    n_frames = n_frames_for(contract)
    for split in splits:
        srows = [r for r in rows if r["split"] == split]
        meta_path = out / f"{split}.json"
        shape = (len(srows), contract.n_bins, n_frames)
        start, grown_from = 0, None
        if meta_path.exists():
            meta = json.loads(meta_path.read_text())
            old_ids, new_ids = [r["id"] for r in meta["rows"]], [r["id"] for r in srows]
            if meta["shape"] == list(shape) and old_ids == new_ids:
                start = int(meta["n_done"])
            elif meta["shape"][1:] == list(shape[1:]) and new_ids[: len(old_ids)] == old_ids:
                # the builder appended segments: keep the features already computed
                start, grown_from = int(meta["n_done"]), tuple(meta["shape"])
        if start >= len(srows) and srows:
            continue
        if not srows:
            continue
        path = out / f"{split}.f16"
        if grown_from is not None and start and path.exists():
            old_path = path.with_suffix(".f16.old")
            path.replace(old_path)
            old_x = np.memmap(old_path, dtype=np.float16, mode="r", shape=grown_from)
            x = np.memmap(path, dtype=np.float16, mode="w+", shape=shape)
            for i in range(0, start, 256):
                x[i : min(start, i + 256)] = old_x[i : min(start, i + 256)]
            x.flush()
            del old_x
            meta_path.write_text(json.dumps({"shape": list(shape), "n_done": start, "rows": srows}))
            old_path.unlink()
        else:
            mode = "r+" if start and path.exists() else "w+"
            x = np.memmap(path, dtype=np.float16, mode=mode, shape=shape)
        t0 = time.time()
        for i in range(start, len(srows)):
            y = load_segment(cache_dir, srows[i], contract)
            f = compute_features(y, contract)
            k = min(n_frames, f.shape[1])
            x[i, :, :k] = f[:, :k]
            if k < n_frames:
                x[i, :, k:] = (contract.db_floor - contract.norm_offset_db) / contract.norm_scale_db
            if (i + 1) % 200 == 0 or i + 1 == len(srows):
                x.flush()
                meta_path.write_text(json.dumps({"shape": list(shape), "n_done": i + 1, "rows": srows}))
                rate = (i + 1 - start) / max(time.time() - t0, 1e-9)
                print(f"features {split}: {i + 1}/{len(srows)} ({rate:.1f}/s)", file=log or sys.stderr, flush=True)
        del x
    return out
