"""A tiny dataset shaped like the real corpus: 10-s segments, real and 'decoded' twins, three splits."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from forensic_app.training.synth import music_like

RATE = 44100
FIELDS = [
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
]


def fake_of(x: np.ndarray, period: int) -> np.ndarray:
    """A crude 'decoder': zero-order hold every ``period`` samples leaves lines at RATE/period."""
    held = np.repeat(x[::period], period)[: x.size]
    return (0.7 * x + 0.3 * held).astype(np.float32)


@pytest.fixture(scope="module")
def mini_dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("mini_dataset")
    rows = []
    k = 0
    for split, n_pairs in (("train", 4), ("val", 3), ("test", 2)):
        for i in range(n_pairs):
            x = music_like(10.0, RATE, seed=100 + k)
            for label, y in (("real", x), ("fake", fake_of(x, 8))):
                rid = f"{label}-{split}-{i}"
                rel = f"segments/{rid}.flac"
                (root / "segments").mkdir(exist_ok=True)
                sf.write(str(root / rel), y, RATE, subtype="PCM_16")
                rows.append(
                    {
                        "id": rid,
                        "path": rel,
                        "label": label,
                        "family": "tconv" if label == "fake" else "real",
                        "generator": "hold8" if label == "fake" else "original",
                        "pair_id": f"p{k}",
                        "source_package": f"pkg-{split}-{i % 2}",
                        "split": split,
                        "augment": "",
                        "heldout": "0",
                        "duration_s": "10.0",
                    }
                )
            k += 1
    with open(root / "index.csv", "w", newline="") as f:
        w = csv.DictWriter(f, FIELDS)
        w.writeheader()
        w.writerows(rows)
    return root
