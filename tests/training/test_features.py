"""The training feature cache grows with the dataset instead of being recomputed."""

from __future__ import annotations

import csv

import numpy as np
import soundfile as sf

from forensic_app.core.spectrogram import FeatureContract
from forensic_app.training import features
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


def _write_index(root, n):
    rows = []
    for i in range(n):
        rel = f"segments/real-{i}.flac"
        if not (root / rel).exists():
            (root / "segments").mkdir(exist_ok=True)
            sf.write(str(root / rel), music_like(10.0, RATE, seed=i), RATE, subtype="PCM_16")
        rows.append(
            {
                "id": f"real-{i}",
                "path": rel,
                "label": "real",
                "family": "real",
                "generator": "original",
                "pair_id": "",
                "source_package": f"pkg-{i % 2}",
                "split": "val",
                "augment": "",
                "heldout": "0",
                "duration_s": "10.0",
            }
        )
    with open(root / "index.csv", "w", newline="") as f:
        w = csv.DictWriter(f, FIELDS)
        w.writeheader()
        w.writerows(rows)


def test_segments_appended_by_the_builder_are_added_without_recomputing_the_rest(tmp_path, monkeypatch):
    contract = FeatureContract()
    _write_index(tmp_path, 3)
    out = features.build_features(tmp_path, contract, splits=("val",))
    first = np.array(features.FeatureStore(out, "val").x)

    computed = []
    real_compute = features.compute_features
    monkeypatch.setattr(features, "compute_features", lambda y, c: computed.append(1) or real_compute(y, c))
    _write_index(tmp_path, 5)
    features.build_features(tmp_path, contract, splits=("val",))
    store = features.FeatureStore(out, "val")

    assert len(computed) == 2  # only the two new segments
    assert len(store) == 5 and [r["id"] for r in store.rows] == [f"real-{i}" for i in range(5)]
    assert np.array_equal(np.asarray(store.x[:3]), first)
    fresh = real_compute(features.load_segment(tmp_path, store.rows[4], contract), contract)
    k = min(fresh.shape[1], store.x.shape[2])
    assert np.allclose(np.asarray(store.x[4, :, :k], np.float32), fresh[:, :k], atol=1e-2)
    assert not list(out.glob("*.old"))
