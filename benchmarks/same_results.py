"""Do two versions of the app give the same results? Analyse files with this checkout, or compare two runs.

Usage:
  python benchmarks/same_results.py run FILE... --out new.json [--weights DIR]
  python benchmarks/same_results.py compare old.json new.json
Run ``run`` once in a checkout of each version (e.g. a git worktree, with PYTHONPATH pointing
at it), then ``compare``: per file, whether the verdict is the same and how far the probability,
each detector's reading, the comb z, the held-tone measure and the heatmap moved. For
refactors and speed work that must not change what users see. Not a test: it needs real files.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def run(files: list[str], out: str, weights: str | None) -> int:
    from forensic_app.core.analysis import analyze

    res: dict[str, object] = {}
    for path in files:
        try:
            r = analyze(path, weights_dir=weights)
        except Exception as exc:  # noqa: BLE001 - an unusable file is a result too (the same message is expected)
            res[path] = {"error": str(exc)}
            continue
        s = r.provenance.settings
        res[path] = {
            "verdict": r.verdict,
            "probability": r.probability_fake,
            "interval": list(r.interval),
            "by_detector": s["probability_by_detector"],
            "stationarity": s.get("stationarity"),
            "content_s": s.get("content_s"),
            "comb_z": r.comb.z_score if r.comb else None,
            "heatmap_mean": float(r.heatmap.logits.mean()),
        }
        print(f"{r.verdict:16s} {r.probability_fake:.4f}  {path}", file=sys.stderr)
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    return 0


def _diff(a, b) -> float:
    if a is None or b is None:
        return 0.0 if a is b else float("inf")
    return abs(float(a) - float(b))


def compare(old_path: str, new_path: str) -> int:
    with open(old_path) as f:
        old = json.load(f)
    with open(new_path) as f:
        new = json.load(f)
    worst: dict[str, float] = {}
    same = 0
    for path, a in old.items():
        b = new.get(path)
        if b is None:
            print(f"only in {old_path}: {path}")
            continue
        if "error" in a or "error" in b:
            ok = a.get("error") == b.get("error")
            same += ok
            print(f"{'same' if ok else 'DIFFERENT'} error: {path}")
            continue
        same += a["verdict"] == b["verdict"]
        if a["verdict"] != b["verdict"]:
            print(f"DIFFERENT verdict {a['verdict']} -> {b['verdict']}: {path}")
        pairs = {
            "probability": (a["probability"], b["probability"]),
            "comb_z": (a["comb_z"], b["comb_z"]),
            "stationarity": (a["stationarity"], b["stationarity"]),
            "content_s": (a["content_s"], b["content_s"]),
            "heatmap_mean": (a["heatmap_mean"], b["heatmap_mean"]),
        }
        pairs.update({f"{d} alone": (a["by_detector"].get(d), b["by_detector"].get(d)) for d in a["by_detector"]})
        for k, (x, y) in pairs.items():
            worst[k] = max(worst.get(k, 0.0), _diff(x, y))
    print(f"{same} of {len(old)} files: same verdict (or the same error)")
    for k, v in worst.items():
        print(f"  largest change in {k}: {v:.2g}")
    return 0 if same == len(old) else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("files", nargs="+")
    r.add_argument("--out", required=True)
    r.add_argument("--weights", default=None)
    c = sub.add_parser("compare")
    c.add_argument("old")
    c.add_argument("new")
    args = ap.parse_args()
    return run(args.files, args.out, args.weights) if args.cmd == "run" else compare(args.old, args.new)


if __name__ == "__main__":
    sys.exit(main())
