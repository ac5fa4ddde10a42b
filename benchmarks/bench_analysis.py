"""Time a full analysis of a generated 3-minute stereo track; print seconds, x real time, peak RSS.

Usage: python benchmarks/bench_analysis.py [--weights DIR] [--minutes 3] [--repeat 3] [--robustness]
(--robustness also times one robustness check of the same track, per manipulation.)
Not a test: figures depend on the machine. The README quotes them with the machine named.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
import torch  # noqa: E402

from forensic_app.core.analysis import analyze  # noqa: E402
from forensic_app.core.weights import default_weights_dir, load_model  # noqa: E402
from forensic_app.core.model import count_flops_per_frame  # noqa: E402
from forensic_app.training.synth import music_like  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--weights", default=None)
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--robustness", action="store_true", help="also time one robustness check")
    args = ap.parse_args()
    rate = 44100
    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench-44100-2-16.wav"
        mono = music_like(seconds, rate, seed=1)
        sf.write(str(path), np.stack([mono, 0.8 * mono], axis=1), rate, subtype="PCM_16")
        model = load_model(args.weights)
        stages: dict[str, float] = {}
        times = []
        for i in range(args.repeat + 1):  # first run warms caches (numba, allocator), not counted
            last = [time.perf_counter(), None]

            def on_progress(p):
                now = time.perf_counter()
                if last[1] is not None:
                    stages[last[1]] = stages.get(last[1], 0.0) + (now - last[0]) * (i > 0)
                last[:] = [now, p.stage]

            t0 = time.perf_counter()
            analyze(path, weights_dir=args.weights, on_progress=on_progress)
            if i:
                times.append(time.perf_counter() - t0)
        robust: dict[str, float] = {}
        if args.robustness:
            from forensic_app.core.robustness import check_robustness

            mark = [time.perf_counter(), None]

            def on_robust(p):
                now = time.perf_counter()
                if p.stage != mark[1]:
                    if mark[1] is not None:
                        robust[mark[1]] = robust.get(mark[1], 0.0) + now - mark[0]
                    mark[:] = [now, p.stage]

            t0 = time.perf_counter()
            check_robustness(path, weights_dir=args.weights, on_progress=on_robust)
            robust["total"] = time.perf_counter() - t0
    best, med = min(times), float(np.median(times))
    gflop = count_flops_per_frame(model.network) * seconds * rate / 512 / 1e9
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    print(
        f"model: {model.manifest.name} {model.manifest.version} ({args.weights or default_weights_dir()}), "
        f"patch CNN {gflop:.1f} GFLOP (multiply-adds) per {args.minutes:g} min"
    )
    print(
        f"analysis of {args.minutes:g} min stereo 44.1 kHz WAV: median {med:.2f} s, best {best:.2f} s "
        f"over {args.repeat} runs = {seconds / med:.0f}x real time"
    )
    for stage, s in stages.items():
        print(f"  {stage:<28} {s / args.repeat:.2f} s")
    if robust:
        print(f"robustness check of the same track: {robust.pop('total'):.1f} s")
        for stage, s in robust.items():
            print(f"  {stage.removeprefix('Robustness check: '):<52} {s:.1f} s")
    print(f"peak RSS: {rss_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
