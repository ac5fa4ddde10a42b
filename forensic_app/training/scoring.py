"""Scoring dataset segments the same way analyze() scores a track, plus calibration fitting.

Segment scores: the network's per-cell fake logits -> column means -> windows of
WINDOW_CELLS columns -> window logits; track logit = mean of window logits (exactly as in
core.analysis). Comb z-scores come from core.comb on the segment audio and are cached
(they do not depend on the network).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from ..core.analysis import window_logits_from_map
from ..core.comb import COMB_VERSION, FEATURE_CLIP, CombReference, analyze_comb, fit_reference
from ..core.model import PatchCNN, fuse_for_inference
from ..core.spectrogram import FeatureContract
from .features import FeatureStore, load_segment, read_index


def score_store(net: PatchCNN, store: FeatureStore, indices: Optional[np.ndarray] = None, batch: int = 16) -> dict:
    """Returns {"track_logit": (n,), "window_logits": list of (w,), "family_logits": (n, K)}."""
    fused = fuse_for_inference(net.eval())
    idx = np.arange(len(store)) if indices is None else np.asarray(indices)
    track, windows, fams = [], [], []
    with torch.inference_mode():
        for s in range(0, idx.size, batch):
            xb = torch.from_numpy(np.asarray(store.x[idx[s:s + batch]], dtype=np.float32))
            fake, fam = fused(xb)
            for k in range(fake.shape[0]):
                w = window_logits_from_map(fake[k].numpy())
                windows.append(w)
                track.append(float(w.mean()))
                fams.append(fam[k].mean(dim=(1, 2)).numpy())
    return {"track_logit": np.array(track), "window_logits": windows, "family_logits": np.array(fams)}


def score_features(net: PatchCNN, feats: np.ndarray) -> tuple[float, np.ndarray]:
    """One (n_bins, T) feature array -> (track logit, window logits)."""
    fused = fuse_for_inference(net.eval())
    with torch.inference_mode():
        fake, _ = fused(torch.from_numpy(np.ascontiguousarray(feats, dtype=np.float32))[None])
    w = window_logits_from_map(fake[0].numpy())
    return float(w.mean()), w


def comb_scores(cache_dir: Path, contract: FeatureContract, *, log=None) -> dict[str, float]:
    """Raw comb z for every segment id (0 when no evidence), cached in ``comb_scores.json``."""
    path = Path(cache_dir) / f"comb_scores_v{COMB_VERSION}.json"  # z-scores change with the comb recipe
    scores: dict[str, float] = json.loads(path.read_text()) if path.exists() else {}
    rows = [r for r in read_index(cache_dir) if r["id"] not in scores]
    for i, r in enumerate(rows):
        y = load_segment(cache_dir, r, contract)
        ev = analyze_comb(y, contract.sample_rate, max_freq_hz=contract.sample_rate / 2)
        scores[r["id"]] = float(ev.z_score) if ev is not None and np.isfinite(ev.z_score) else 0.0
        if (i + 1) % 200 == 0 or i + 1 == len(rows):
            path.write_text(json.dumps(scores))
            print(f"comb scores: {i + 1}/{len(rows)}", file=log or sys.stderr, flush=True)
    return scores


def comb_fusion_feature(z: np.ndarray, clip: float) -> np.ndarray:
    """The comb input to fusion, as analyze() computes it: comb_feature() then the calibration clip."""
    return np.minimum(np.clip(np.asarray(z, float), *FEATURE_CLIP), clip)


def fit_calibration(track_logit: np.ndarray, comb_z: np.ndarray, labels: np.ndarray,
                    window_logits: list[np.ndarray], *, comb_z_clip: float = 12.0, version: str) -> dict:
    """Fit window Platt scaling and the track fusion with scikit-learn on validation data."""
    from sklearn.linear_model import LogisticRegression

    wl = np.concatenate(window_logits)
    wy = np.concatenate([np.full(w.size, y) for w, y in zip(window_logits, labels)])
    wlr = LogisticRegression(C=1.0).fit(wl[:, None], wy)
    X = np.column_stack([track_logit, comb_fusion_feature(comb_z, comb_z_clip)])
    tlr = LogisticRegression(C=1.0).fit(X, labels)
    p = tlr.predict_proba(X)[:, 1]
    p_real = p[labels == 0]
    # likely_fake threshold: held-out real music must land above it at most 1 % of the time;
    # with few validation tracks take the stricter of the 99.5th percentile and 0.6.
    t_fake = float(min(0.99, max(0.6, np.quantile(p_real, 0.995) if p_real.size else 0.9)))
    t_real = float(min(0.25, t_fake - 0.2))
    return {
        "version": version,
        "method": "sklearn LogisticRegression (Platt) on validation split",
        "window": {"a": float(wlr.coef_[0, 0]), "b": float(wlr.intercept_[0])},
        "track": {"features": ["cnn_mean_logit", "comb_z"], "coef": [float(c) for c in tlr.coef_[0]],
                  "intercept": float(tlr.intercept_[0])},
        "thresholds": {"likely_fake": t_fake, "likely_real": t_real},
        "comb": {"z_clip": comb_z_clip},
        "fit": {"n_val": int(labels.size), "n_val_real": int((labels == 0).sum()),
                "val_real_fp_at_threshold": float(np.mean(p_real >= t_fake)) if p_real.size else None},
    }


def fit_comb_reference(cache_dir: Path, contract: FeatureContract, scores: dict[str, float]) -> CombReference:
    """Real-music comb z distribution by source package (train + val reals), for FP rates."""
    by_source: dict[str, list[float]] = {}
    for r in read_index(cache_dir):
        if r["label"] == "real" and r["split"] in ("train", "val") and r["id"] in scores:
            by_source.setdefault(r["source_package"], []).append(scores[r["id"]])
    return fit_reference(by_source)


def fit_on_val_rows(net: PatchCNN, features_dir: Path, scores: dict[str, float], *, exclude: list[str], version: str) -> dict:
    """Score the validation split (minus families in ``exclude``) and fit calibration on it."""
    val = FeatureStore(features_dir, "val")
    keep = np.array([i for i, r in enumerate(val.rows[: len(val)]) if r["family"] not in exclude], int)
    s = score_store(net, val, keep)
    rows = [val.rows[i] for i in keep]
    labels = np.array([1 if r["label"] == "fake" else 0 for r in rows])
    cz = np.array([scores.get(r["id"], 0.0) for r in rows])
    return fit_calibration(s["track_logit"], cz, labels, s["window_logits"], version=version)
