"""Scoring dataset segments the same way analyze() scores a track, plus calibration fitting.

Segment scores: the network's per-cell fake logits -> window logits -> track logit, and the
learned fusion's inputs, through core.scoring (the functions analyze() scores a file with). Comb z-scores come from core.detectors.comb on the segment audio and are cached
(they do not depend on the network).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import numpy as np
import soundfile as sf
import torch

from ..core.calibration import Calibration, comb_term
from ..core.detectors.comb import COMB_VERSION, CombReference, analyze_comb, fit_reference
from ..core.model import PatchCNN, fuse_for_inference
from ..core.fakeprint import FakeprintModel
from ..core.meters import TrackMeters
from ..core.mono import to_mono
from ..core.scoring import Readings, clipped_comb_z, learned_features, window_logits_from_map
from ..core.spectrogram import FeatureContract
from .features import FeatureStore, load_segment, read_index
from .kinds import is_kind


def score_store(net: PatchCNN, store: FeatureStore, indices: Optional[np.ndarray] = None, batch: int = 16) -> dict:
    """Returns {"track_logit": (n,), "window_logits": list of (w,), "family_logits": (n, K)}."""
    fused = fuse_for_inference(net.eval())
    idx = np.arange(len(store)) if indices is None else np.asarray(indices)
    track, windows, fams = [], [], []
    with torch.inference_mode():
        for s in range(0, idx.size, batch):
            xb = torch.from_numpy(np.asarray(store.x[idx[s : s + batch]], dtype=np.float32))
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


def learned_probabilities(cal: Calibration, track_logit: np.ndarray, comb_z: np.ndarray) -> np.ndarray:
    """(n,) track logits and comb z -> (n,) probabilities of the learned fusion, as score_track() gives them."""
    return np.array([cal.track_probability(learned_features(t, z, cal)) for t, z in zip(track_logit, comb_z)])


READINGS_VERSION = "3"  # bump when a reading's recipe changes: cached readings become invalid


def measure_readings(x: np.ndarray, rate: int, contract: FeatureContract, fakeprint: Optional[FakeprintModel]) -> dict:
    """The readings analyze() takes besides the patch CNN, on one clip, with analyze()'s own
    core.meters.TrackMeters: (n, channels) or (n,) float32 at ``rate`` -> {"fakeprint_logit" (None:
    not measured), "content_s", "stationarity" (None: under 3 s), "duration_s", "comb_z" and
    "comb_offset_bins" (None: no comb found), "bandwidth_hz" (meters.effective_bandwidth_hz)}."""
    mono = np.ascontiguousarray(to_mono(x), np.float32)
    meters = TrackMeters(contract, rate, mono.size / rate, fakeprint=fakeprint)
    meters.push(mono)
    meters.push(np.zeros(0, np.float32), last=True)
    comb, fp = meters.finish()
    return {
        "fakeprint_logit": None if fp is None else fp.logit,
        "content_s": meters.content.content_s,
        "bandwidth_hz": meters.bandwidth_hz(),
        "stationarity": meters.stationarity.value,
        "duration_s": mono.size / rate,
        "comb_z": None if comb is None else float(comb.z_score),
        "comb_offset_bins": None if comb is None else comb.line_offset_bins,
    }


def segment_readings(
    cache_dir: Path, contract: FeatureContract, fakeprint: Optional[FakeprintModel], rows: list[dict], *, log=None
) -> dict[str, dict]:
    """:func:`measure_readings` of every segment in ``rows`` by id, cached in ``segment_readings_v*.json``."""
    path = Path(cache_dir) / f"segment_readings_v{READINGS_VERSION}.json"
    cached: dict[str, dict] = json.loads(path.read_text()) if path.exists() else {}
    todo = [r for r in rows if r["id"] not in cached]
    for i, r in enumerate(todo):
        p = Path(r["path"]) if Path(r["path"]).is_absolute() else Path(cache_dir) / r["path"]
        x, rate = sf.read(str(p), dtype="float32", always_2d=True)
        cached[r["id"]] = measure_readings(x, rate, contract, fakeprint)
        if (i + 1) % 200 == 0 or i + 1 == len(todo):
            path.write_text(json.dumps(cached))
            print(f"segment readings: {i + 1}/{len(todo)}", file=log or sys.stderr, flush=True)
    return {r["id"]: cached[r["id"]] for r in rows}


def readings_of(row_readings: dict, window_logits: np.ndarray) -> Readings:
    """A segment's :class:`~forensic_app.core.scoring.Readings`: the network's windows and :func:`measure_readings`."""
    return Readings(
        window_logits=np.asarray(window_logits),
        comb_z=row_readings["comb_z"],
        fakeprint_logit=row_readings["fakeprint_logit"],
        content_s=float(row_readings["content_s"]),
        stationarity=row_readings["stationarity"],
        duration_s=float(row_readings["duration_s"]),
        comb_offset_bins=row_readings.get("comb_offset_bins"),
        bandwidth_hz=row_readings.get("bandwidth_hz"),
    )


# Target for held-out real music called likely_fake: 1 %. Validation packages differ from the
# music users bring, so the threshold is a conformal bound at half the target plus a
# between-package margin (see fit_calibration).
FAKE_ALPHA = 0.005
COMB_Z_CLIP = 12.0
COMB_Z_FLOOR = 5.0  # Z_STRONG: weaker combs are common in real music and add nothing to the score


def conformal_threshold(scores: np.ndarray, *, alpha: float) -> float:
    """Smallest t with P(new >= t) <= alpha for a new score exchangeable with ``scores``
    (split-conformal: just above the ceil((n+1)(1-alpha))-th smallest; the maximum when n < 1/alpha - 1)."""
    p = np.sort(np.asarray(scores, float))
    if p.size == 0:
        return float("inf")
    k = min(p.size, int(np.ceil((p.size + 1) * (1 - alpha))))
    return float(np.nextafter(p[k - 1], np.inf))


def package_margin(real_logits: np.ndarray, groups: np.ndarray) -> float:
    """How far the most fake-looking package's real music stood above every other package
    (its maximum minus the largest maximum of the rest; 0 with fewer than two packages)."""
    maxima = sorted((float(np.max(real_logits[groups == g])) for g in np.unique(groups)), reverse=True)
    return max(0.0, maxima[0] - maxima[1]) if len(maxima) > 1 else 0.0


def fit_calibration(
    track_logit: np.ndarray,
    comb_z: np.ndarray,
    labels: np.ndarray,
    window_logits: list[np.ndarray],
    *,
    groups: Optional[np.ndarray] = None,
    comb_z_clip: float = COMB_Z_CLIP,
    comb_z_floor: Optional[float] = COMB_Z_FLOOR,
    version: str,
) -> dict:
    """Fit window Platt scaling and the track fusion with scikit-learn on validation data.

    likely_fake threshold, on the fused logit of the validation real segments: the conformal
    bound at FAKE_ALPHA plus package_margin() over their source packages (``groups``), so a
    new package may sit as far above the others as the worst validation package did.
    """
    from sklearn.linear_model import LogisticRegression

    wl = np.concatenate(window_logits)
    wy = np.concatenate([np.full(w.size, y) for w, y in zip(window_logits, labels)])
    wlr = LogisticRegression(C=1.0).fit(wl[:, None], wy)
    cterm = comb_term(clipped_comb_z(np.asarray(comb_z, float)), clip=comb_z_clip, floor=comb_z_floor)
    X = np.column_stack([track_logit, cterm])
    tlr = LogisticRegression(C=1.0).fit(X, labels)
    fused = tlr.decision_function(X)
    real = labels == 0
    groups = np.asarray(groups) if groups is not None else np.zeros(labels.size, int)
    t_conf = conformal_threshold(fused[real], alpha=FAKE_ALPHA)
    margin = package_margin(fused[real], groups[real]) if real.any() else 0.0
    t_fake = float(min(0.999, max(0.6, 1.0 / (1.0 + np.exp(-(t_conf + margin)))))) if real.any() else 0.9
    t_real = float(min(0.25, t_fake - 0.2))
    n_real = int(real.sum())
    return {
        "version": version,
        "method": "sklearn LogisticRegression (Platt) on validation split",
        "window": {"a": float(wlr.coef_[0, 0]), "b": float(wlr.intercept_[0])},
        "track": {
            "features": ["cnn_mean_logit", "comb_z"],
            "coef": [float(c) for c in tlr.coef_[0]],
            "intercept": float(tlr.intercept_[0]),
        },
        "thresholds": {
            "likely_fake": t_fake,
            "no_traces_found": t_real,
            "rule": f"conformal bound at {FAKE_ALPHA:.1%} over {n_real} validation real segments "
            f"plus a between-package margin of {margin:.2f} logits",
        },
        "comb": {"z_clip": comb_z_clip, "z_floor": comb_z_floor},
        "fit": {
            "n_val": int(labels.size),
            "n_val_real": n_real,
            "n_val_packages": int(np.unique(groups[real]).size),
            "package_margin_logit": margin,
            "val_real_fp_at_threshold": float(np.mean(tlr.predict_proba(X)[real, 1] >= t_fake)) if real.any() else None,
        },
    }


def fit_comb_reference(cache_dir: Path, contract: FeatureContract, scores: dict[str, float]) -> CombReference:
    """Real-music comb z distribution by source package (train + val reals), for FP rates.

    The generated kinds (training.kinds) are left out: this reference says how often real music
    reaches a comb, and a single held pulse note would speak for all of it."""
    by_source: dict[str, list[float]] = {}
    for r in read_index(cache_dir):
        if r["label"] == "real" and r["split"] in ("train", "val") and r["id"] in scores and not is_kind(r):
            by_source.setdefault(r["source_package"], []).append(scores[r["id"]])
    return fit_reference(by_source)


def fit_on_val_rows(
    net: PatchCNN, features_dir: Path, scores: dict[str, float], *, exclude: list[str], version: str, **options
) -> dict:
    """Score the validation split (minus families in ``exclude``) and fit calibration on it.

    The generated kinds (training.kinds) are left out: the probability is calibrated on real
    recordings, and the kinds are held back by the evidence rules, whose patch-CNN threshold
    ``benchmarks/evidence_study.py`` sets against them (held tones excepted, which no CNN reading
    can speak for). As packages they would set the likely_fake line from a single held note.
    """
    val = FeatureStore(features_dir, "val")
    keep = np.array(
        [i for i, r in enumerate(val.rows[: len(val)]) if r["family"] not in exclude and not is_kind(r)], int
    )
    s = score_store(net, val, keep)
    rows = [val.rows[i] for i in keep]
    labels = np.array([1 if r["label"] == "fake" else 0 for r in rows])
    cz = np.array([scores.get(r["id"], 0.0) for r in rows])
    groups = np.array([r["source_package"] for r in rows])
    return fit_calibration(s["track_logit"], cz, labels, s["window_logits"], groups=groups, version=version, **options)
