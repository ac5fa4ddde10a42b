"""Does a narrower patch CNN keep the accuracy? Train each width for the same steps, compare.

Usage: python benchmarks/width_study.py [--cache-dir DIR] [--steps 600] [--widths 4,8,16,16,32,32 ...]
                                         [--out reports/evaluation/width.md]
Trains (resumably, under CACHE/runs/width-...) one model per width on the train split, then
prints the patch-CNN AUC (track score vs real music) per decoder family on the validation
and test splits, the parameter count, multiply-adds and CPU seconds of the network for a 3-minute
track. Not a test: it takes minutes per width; figures depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

from forensic_app.core.model import count_flops_per_frame, fuse_for_inference  # noqa: E402
from forensic_app.core.spectrogram import FeatureContract  # noqa: E402
from forensic_app.training.corpus import default_cache_dir  # noqa: E402
from forensic_app.training.evaluate import auc_by_family  # noqa: E402
from forensic_app.training.features import FeatureStore, build_features  # noqa: E402
from forensic_app.training.scoring import score_store  # noqa: E402
from forensic_app.training.train import FAMILIES, TrainConfig, train, width_tag  # noqa: E402

DEFAULT_WIDTHS = ["4,8,16,16,32,32", "8,16,32,32,64,64", "16,32,64,64,128,128"]


def family_aucs(net, store: FeatureStore) -> dict[str, float | None]:
    return auc_by_family(score_store(net, store)["track_logit"], store.rows[: len(store)])


def cnn_seconds_per_3min(net, contract: FeatureContract, repeat: int = 2) -> float:
    frames = int(180 * contract.sample_rate / contract.hop)
    x = torch.zeros(1, contract.n_bins, frames)
    fused = fuse_for_inference(net.eval())
    best = float("inf")
    with torch.inference_mode():
        for _ in range(repeat + 1):
            t = time.perf_counter()
            fused(x)
            best = min(best, time.perf_counter() - t)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache-dir", default=str(default_cache_dir()))
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--widths", nargs="+", default=DEFAULT_WIDTHS)
    ap.add_argument("--out", default=None, help="also write the table as Markdown here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cache, contract = Path(args.cache_dir), FeatureContract()
    features = build_features(cache, contract)
    val, test = FeatureStore(features, "val"), FeatureStore(features, "test")
    lines = [
        f"Patch-CNN width study: {args.steps} training steps each, same data, seed and schedule; "
        f"AUC of the track score against real music ({platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} threads).",
        "",
        "| widths | params | G mult-adds / 3 min | CNN s / 3 min | "
        + " | ".join(f"val {f}" for f in FAMILIES)
        + " | "
        + " | ".join(f"test {f}" for f in FAMILIES)
        + " |",
        "|" + "---|" * (4 + 2 * len(FAMILIES)),
    ]
    for w in args.widths:
        cfg = TrainConfig(channels=[int(c) for c in w.split(",")], steps=args.steps, threads=args.threads)
        net = train(features, cache / "runs" / f"width-{width_tag(cfg.channels)}-s{args.steps}", cfg, contract)
        params = sum(p.numel() for p in net.parameters())
        gflop = count_flops_per_frame(net) * 180 * contract.sample_rate / contract.hop / 1e9
        secs = cnn_seconds_per_3min(net, contract)
        va, te = family_aucs(net, val), family_aucs(net, test)
        fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
        lines.append(
            f"| {w} | {params:,} | {gflop:.1f} | {secs:.2f} | "
            + " | ".join(fmt(va[f]) for f in FAMILIES)
            + " | "
            + " | ".join(fmt(te[f]) for f in FAMILIES)
            + " |"
        )
        print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
