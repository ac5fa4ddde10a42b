"""Time ``forensic-app batch`` on generated 3-minute tracks with --jobs 1 and --jobs 2.

Usage: python benchmarks/bench_batch.py [--tracks 20] [--minutes 3] [--jobs 1 2] [--weights DIR]

Each run is the real command in a fresh process with a fresh store (start-up, model load and
worker spawn included), as a moderator would start it. Prints, per --jobs: wall seconds, files
per hour, x real time, the warm per-track time measured inside the workers, each worker's
peak RSS, and the CPU seconds the batch used (which, unlike wall time, hardly depends on what
else runs on the machine). The tracks are distinct (no duplicates): four generated songs, each varied in level
and offset. Not a test: figures depend on the machine and on what else runs on it (the load
average is printed).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from forensic_app.training.synth import music_like  # noqa: E402

RATE = 44100


def make_tracks(folder: Path, n: int, minutes: float) -> float:
    """``n`` distinct stereo 16-bit WAVs of ``minutes`` each; returns the total audio seconds."""
    seconds = minutes * 60
    bases = [music_like(seconds, RATE, seed=s).astype(np.float32) for s in range(min(4, n))]
    for i in range(n):
        mono = np.roll(bases[i % len(bases)], 4410 * (i // len(bases))) * (0.9 - 0.03 * i)
        sf.write(
            str(folder / f"track{i:02d}-44100-2-16.wav"), np.stack([mono, 0.8 * mono], axis=1), RATE, subtype="PCM_16"
        )
    return n * seconds


def run_batch(folder: Path, jobs: int, weights: str | None, work: Path) -> dict:
    store = work / f"jobs{jobs}.sqlite"
    cmd = [
        sys.executable,
        "-m",
        "forensic_app.cli",
        "batch",
        str(folder),
        "--jobs",
        str(jobs),
        "--store",
        str(store),
        "-o",
        str(work / f"jobs{jobs}.csv"),
        "--no-progress",
    ]
    if weights:
        cmd += ["--weights", weights]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the batch and its workers, once all have exited
    cpu_s = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"batch --jobs {jobs} failed ({proc.returncode}):\n{proc.stderr}")
    db = sqlite3.connect(str(store))
    workers = db.execute(
        "SELECT worker, COUNT(*), AVG(elapsed_s), MAX(peak_rss_mb) FROM results GROUP BY worker"
    ).fetchall()
    warm = db.execute("SELECT elapsed_s FROM results ORDER BY finished_at").fetchall()
    db.close()
    return {"wall_s": wall, "cpu_s": cpu_s, "workers": workers, "per_track_s": [w[0] for w in warm]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tracks", type=int, default=20)
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--weights", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        folder = work / "tracks"
        folder.mkdir()
        t0 = time.perf_counter()
        audio_s = make_tracks(folder, args.tracks, args.minutes)
        print(f"generated {args.tracks} tracks of {args.minutes:g} min in {time.perf_counter() - t0:.0f} s")
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, load average before: "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        for jobs in args.jobs:
            r = run_batch(folder, jobs, args.weights, work)
            wall = r["wall_s"]
            # the first file of each worker pays for the model load and first-call warm-up
            warm = sorted(r["per_track_s"])[: max(1, len(r["per_track_s"]) - jobs)]
            print(
                f"--jobs {jobs}: {wall:.1f} s wall for {args.tracks} tracks ({audio_s / 60:.0f} min of audio): "
                f"{3600 * args.tracks / wall:,.0f} files/hour, {audio_s / wall:.0f}x real time; "
                f"warm per-track {np.mean(warm):.2f} s (median {np.median(warm):.2f} s) inside the worker"
            )
            cpu_per_track = r["cpu_s"] / args.tracks
            print(
                f"    CPU time {r['cpu_s']:.0f} s in all ({cpu_per_track:.2f} CPU-s per track, start-up included); "
                f"what the CPU time alone allows on {os.cpu_count()} idle cores: "
                f"{3600 * os.cpu_count() / cpu_per_track:,.0f} files/hour, "
                f"{os.cpu_count() * audio_s / args.tracks / cpu_per_track:.0f}x real time"
            )
            for worker, n, mean_s, rss in r["workers"]:
                print(f"    worker {worker}: {n} files, {mean_s:.2f} s each, peak RSS {rss:.0f} MB")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
