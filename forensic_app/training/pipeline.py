"""`forensic-app train`: features -> patch CNN -> calibration -> comb reference -> weights/.

Everything is resumable: features and comb scores are cached next to the dataset, training
checkpoints every 100 steps. The written manifest records seed, config, data counts, the
dataset index sha256 and wall time.
"""

from __future__ import annotations

import argparse
import collections
import datetime as _dt
import hashlib
import json
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path


from ..core.spectrogram import FeatureContract
from ..core.model import PatchCNN
from ..core.weights import ModelManifest, default_weights_dir, replace_calibration, save_model_bundle
from .features import build_features, read_index
from .corpus import default_cache_dir
from .scoring import comb_scores, fit_comb_reference, fit_on_val_rows
from .train import FAMILIES, TrainConfig, train, width_tag

MODEL_NAME = "forensic-patchcnn-comb"


def data_summary(cache_dir: Path) -> dict:
    rows = read_index(cache_dir)
    by = collections.Counter((r["split"], r["label"], r["family"] or "real") for r in rows)
    gens = collections.Counter((r["split"], r["generator"]) for r in rows if r["label"] == "fake")
    src = collections.Counter((r["split"], r["source_package"]) for r in rows if r["label"] == "real")
    idx_sha = hashlib.sha256((cache_dir / "index.csv").read_bytes()).hexdigest()
    return {
        "index_sha256": idx_sha,
        "segments": len(rows),
        "segment_s": 10.0,
        "by_split_family": {f"{s}/{f}": n for (s, lab, f), n in sorted(by.items())},
        "by_split_generator": {f"{s}/{g}": n for (s, g), n in sorted(gens.items())},
        "real_by_split_source": {f"{s}/{p}": n for (s, p), n in sorted(src.items())},
        "heldout_generators": sorted(
            {r["generator"] for r in rows if r.get("heldout", "").lower() in {"1", "true", "yes"}}
        ),
    }


def run_train(args) -> int:
    cache = Path(args.cache_dir)
    out = Path(args.out)
    contract = FeatureContract()
    t0 = time.time()
    features_dir = build_features(cache, contract)
    scores = comb_scores(cache, contract)
    cfg = TrainConfig(steps=args.steps, threads=args.threads, seed=args.seed, batch=args.batch)
    if args.channels:
        cfg.channels = [int(c) for c in args.channels.split(",")]
    # one folder per configuration: a finished run is never resumed with other settings
    run_dir = cache / "runs" / (args.run or f"main-{width_tag(cfg.channels)}-s{cfg.steps}-seed{cfg.seed}")
    net = train(features_dir, run_dir, cfg, contract)
    version = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d-%H%M")
    cal = fit_on_val_rows(net, features_dir, scores, exclude=[], version=f"cal-{version}")
    ref = fit_comb_reference(cache, contract, scores)
    out.mkdir(parents=True, exist_ok=True)
    ref_path = out / "comb_reference.json"
    ref.to_json(ref_path)
    hist = json.loads((run_dir / "train_history.json").read_text())
    manifest = {
        "name": MODEL_NAME,
        "version": f"1.{version}",
        "trained": True,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "input": contract.to_dict(),
        "labels": ["real", "fake"],
        "families": FAMILIES,
        "architecture": cfg.architecture(),
        "training": {
            "config": asdict(cfg),
            "seed": cfg.seed,
            "train_wall_s": hist["wall_s"],
            "pipeline_wall_s": round(time.time() - t0, 1),
            "final": hist["history"][-1] if hist["history"] else None,
            "data": data_summary(cache),
            "recipe": "forensic-app data build; forensic-app train; forensic-app evaluate",
        },
    }
    old = out / "manifest.json"
    if old.exists():  # keep the evaluation/model card of an earlier run only if it was for these weights
        manifest["previous_version"] = json.loads(old.read_text()).get("version")
    for stale in ("patch_cnn.pt", "calibration.json"):
        (out / stale).unlink(missing_ok=True)
    extra = {"comb_reference": ref_path}
    shipped = default_weights_dir()
    shipped_manifest = json.loads((shipped / "manifest.json").read_text(encoding="utf-8"))
    for key in ("fakeprint", "fakeprint_licence"):  # the third-party detector travels with every new bundle
        entry = shipped_manifest.get("files", {}).get(key)
        if entry and (shipped / entry["path"]).is_file() and shipped.resolve() != out.resolve():
            shutil.copy2(shipped / entry["path"], out / entry["path"])
        if entry:
            extra[key] = out / entry["path"]
    if shipped_manifest.get("third_party"):
        manifest["third_party"] = shipped_manifest["third_party"]
    carried = carried_evidence(shipped)
    if carried:
        cal["evidence"] = carried
    save_model_bundle(out, network=net, manifest=manifest, calibration=cal, extra_files=extra)
    print(f"weights written to {out} (calibration {cal['version']}, thresholds {cal['thresholds']})")
    return 0


CARRIED_CALIBRATION_KEYS = ("evidence", "patch_null")  # fitted on the weights' readings, not on the fusion
# Evidence thresholds that read the patch CNN: they mean nothing for other weights.
CNN_EVIDENCE_KEYS = ("cnn_confound_logit", "cnn_weights_sha256", "cnn_reference")


def carried_evidence(weights_dir: Path) -> dict:
    """The evidence rules of ``weights_dir``'s calibration that new weights can keep.

    The comb's and the fakeprint's thresholds do not depend on the patch CNN: a retrained bundle
    keeps them (the defaults would let a comb of z 9 decide alone, which real music reaches).
    The CNN's own threshold is dropped, so the CNN cannot decide alone until
    ``benchmarks/evidence_study.py`` has been run on the new weights. {} when there is nothing to carry.
    """
    try:
        man = json.loads((weights_dir / "manifest.json").read_text(encoding="utf-8"))
        cal = json.loads((weights_dir / man["files"]["calibration"]["path"]).read_text(encoding="utf-8"))
    except (OSError, KeyError, ValueError):
        return {}
    evidence = {k: v for k, v in (cal.get("evidence") or {}).items() if k not in CNN_EVIDENCE_KEYS}
    if evidence:
        evidence["rule"] = (
            str(evidence.get("rule", "")) + "; carried to retrained weights without the patch "
            "CNN's threshold (the CNN cannot decide alone until the evidence study is run on them)"
        )
    return evidence


def run_calibrate(args) -> int:
    """Refit calibration and the comb reference of existing weights on the current val split."""
    import torch

    cache, out = Path(args.cache_dir), Path(args.weights)
    manifest = ModelManifest.load(out)
    contract = manifest.contract
    net = PatchCNN.from_architecture(manifest.architecture, contract.n_bins, len(manifest.families))
    net.load_state_dict(torch.load(manifest.verified_path("weights"), map_location="cpu", weights_only=True))
    features_dir = build_features(cache, contract)
    scores = comb_scores(cache, contract)
    version = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d-%H%M")
    cal = fit_on_val_rows(net.eval(), features_dir, scores, exclude=[], version=f"cal-{version}")
    # The evidence rules and the heatmap's real-music reference were fitted on these same weights'
    # readings (benchmarks/evidence_study.py, patch_null_study.py); a refit of the fusion on the
    # validation split must not drop them (the defaults would let a weaker comb decide alone).
    try:
        previous = json.loads((out / manifest.files["calibration"]["path"]).read_text(encoding="utf-8"))
    except (OSError, KeyError, ValueError):
        previous = {}
    cal.update({k: previous[k] for k in CARRIED_CALIBRATION_KEYS if k in previous})
    fit_comb_reference(cache, contract, scores).to_json(out / "comb_reference.json")
    replace_calibration(out, cal, refreshed=["comb_reference"])
    print(
        f"calibration {cal['version']} written to {out} (thresholds {cal['thresholds']}, "
        f"{cal['fit']['n_val_real']} validation real segments)"
    )
    return 0


def register(sub) -> None:
    t = sub.add_parser("train", help="train the patch CNN, fit calibration and the comb reference, write weights/")
    t.add_argument("--cache-dir", default=str(default_cache_dir()))
    t.add_argument("--out", default="weights")
    t.add_argument("--steps", type=int, default=TrainConfig.steps)
    t.add_argument("--batch", type=int, default=16)
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--seed", type=int, default=1234)
    t.add_argument("--run", default=None, help="run folder name under CACHE/runs (default: from the settings)")
    t.add_argument("--channels", help="comma-separated conv widths, e.g. 8,16,32,64,128,128")
    t.set_defaults(func=run_train)
    c = sub.add_parser("calibrate", help="refit calibration and comb reference of existing weights on the val split")
    c.add_argument("--cache-dir", default=str(default_cache_dir()))
    c.add_argument("--weights", default="weights", help="weights folder to recalibrate in place")
    c.set_defaults(func=run_calibrate)
    from .evaluate import register as register_eval

    register_eval(sub)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="forensic_app.training.pipeline")
    sub = p.add_subparsers(dest="command", required=True)
    register(sub)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
