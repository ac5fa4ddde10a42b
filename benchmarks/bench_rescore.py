"""Time ``forensic-app batch --rescore`` on a store of 10,000 finished files (issue #24, target < 10 s).

Usage: python benchmarks/bench_rescore.py [--files 10000] [--windows 60] [--jobs 1 2] [--weights DIR] [--keep DIR]

Fills a fresh store with synthetic results as a batch of 3-minute tracks leaves them (60 window
logits, comb, fakeprint and content readings, a (3585,) float16 fakeprint each, the declared
columns), written through ``Store.save_result`` exactly as a batch writes them, for the shipped
model bundle; then times the real command (``forensic-app batch --rescore --store ... -o ... --jobs N``,
once per --jobs; the later runs re-score what the first wrote, the same work) in a fresh process, start-up and model load included, with the bundle's built-in profiles and one user
profile (FORENSIC_APP_DATA_DIR points at a temporary folder). The fakeprints are the shipped real-music
reference's (weights/profile_reference.npz) plus a little noise; a tenth carry the user profile's peaks,
so those files' verdicts change. Prints the seconds, files per
second, the CPU seconds the command used (which, unlike wall time, hardly depends on what else runs),
how many verdicts changed, and the machine's load. Not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def fill(store_path: Path, n: int, windows: int, weights: str | None, profile_weights: np.ndarray) -> None:
    from forensic_app.batch.discover import Entry
    from forensic_app.batch.store import Store
    from forensic_app.core.weights import load_model

    model = load_model(weights)
    rng = np.random.default_rng(0)
    # real fakeprints: the shipped real-music reference the profiles are validated against (built-in profiles
    # flag none of them), with noise so that no two files are alike
    real = np.load(Path(model.manifest.directory) / "profile_reference.npz", allow_pickle=False)["X"]
    info = {
        "name": model.manifest.name,
        "version": model.manifest.version,
        "sha256": model.weights_sha256,
        "calibration_version": model.calibration.version,
    }
    with Store(store_path) as store:
        run = store.begin_run({"inputs": ["synthetic"], "jobs": 1, "scheduler": None})
        paths = [f"/music/{i // 1000:02d}/track{i:05d}.mp3" for i in range(n)]
        store.add_files(run, (Entry(p) for p in paths))
        with store.transaction():
            store.db.executemany(
                "UPDATE files SET sha256 = ?, size_bytes = ? WHERE path = ?",
                [(hashlib.sha256(p.encode()).hexdigest(), 5_000_000, p) for p in paths],
            )
        for i, p in enumerate(paths):
            fp = real[i % len(real)].astype(np.float64) + rng.normal(0.0, 0.01, 3585)
            if i % 10 == 0:  # carries the user profile's peaks
                fp = fp + 1.0 * (profile_weights > 0)
            logits = rng.normal(-3.0, 1.5, windows)
            p_fake = float(rng.uniform(0.01, 0.3))
            store.save_result(
                run,
                {
                    "path": p,
                    "sha256": hashlib.sha256(p.encode()).hexdigest(),
                    "outcome": "analysed",
                    "verdict": "no_traces_found",
                    "probability_fake": p_fake,
                    "interval": [p_fake / 2, p_fake],
                    "duration_s": 180.0,
                    "notes": ["uncovered_generators"],
                    "model": info,
                    "worker": "bench",
                    "detectors": [{"name": "patch_cnn", "score": float(logits.mean()), "probability_fake": p_fake}],
                    "deciding_evidence": "patch_cnn",
                    "strongest_window": None,
                    "columns": [
                        ["profile_match", ""],
                        ["declared_generator", None],
                        ["declared_source_type", None],
                        ["c2pa", "absent"],
                        ["isrc", None],
                        ["encoder", "LAME3.100"],
                    ],
                    "readings": {
                        "window_logits": logits.astype("<f8").tobytes(),
                        "comb_z": float(rng.normal(0, 1.5)),
                        "comb_offset_bins": float(rng.uniform(0, 0.5)),
                        "fakeprint_logit": float(rng.normal(-4, 1)),
                        "content_s": 178.0,
                        "stationarity": float(rng.uniform(0, 0.3)),
                        "duration_s": 180.0,
                        "bandwidth_hz": 16000.0 if i % 3 == 0 else None,
                        "fakeprint": fp.astype("<f2").tobytes(),
                        "other_lines": None,
                    },
                },
            )
        store.end_run(run)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--windows", type=int, default=60, help="window logits per file (60: a 3-minute track)")
    ap.add_argument("--weights", default=None)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="scoring processes, one run each")
    ap.add_argument("--keep", default=None, help="build the store in this folder and keep it")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from forensic_app.core.profiles import save_profile, user_profiles_dir
    from tests.core.test_registry import toy_profile

    folder = Path(args.keep or tempfile.mkdtemp(prefix="bench_rescore_"))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["FORENSIC_APP_DATA_DIR"] = str(folder / "data")
    profile = save_profile(toy_profile("Bench Gen"), user_profiles_dir(create=True) / "bench.json")
    store = folder / "batch.sqlite"
    store.unlink(missing_ok=True)
    t0 = time.perf_counter()
    fill(store, args.files, args.windows, args.weights, profile.weights)
    print(f"filled {args.files} results in {time.perf_counter() - t0:.1f} s; store {store.stat().st_size / 1e6:.1f} MB")
    for jobs in args.jobs:
        cmd = [
            sys.executable,
            "-m",
            "forensic_app.cli",
            "batch",
            "--rescore",
            "--store",
            str(store),
            "-o",
            str(folder / "rescored.csv"),
            "--jobs",
            str(jobs),
        ] + (["--weights", args.weights] if args.weights else [])
        t0, ru0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ))
        wall, ru1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        print(r.stdout.strip() or r.stderr.strip())
        if r.returncode != 0:
            print(r.stderr, file=sys.stderr)
            return r.returncode
        print(
            f"batch --rescore --jobs {jobs}: {wall:.1f} s wall for {args.files} files ({args.files / wall:,.0f} files/s), "
            f"start-up and CSV included; {cpu:.1f} CPU seconds (hardly depends on the load); {os.cpu_count()} cores, "
            f"load {os.getloadavg()[0]:.1f}, {platform.processor() or platform.machine()}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
