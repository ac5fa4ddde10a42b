"""Speed of the comb detector on a 3-minute 44.1 kHz mono track (budget: well under 1 s).

    python benchmarks/bench_comb.py [--minutes 3] [--block 65536] [--repeat 3]

Prints seconds and x-real-time for streaming the track through CombAnalyzer in blocks,
split into the time spent in add() (FFT + averaging) and in finish() (scoring).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from forensic_app.core.detectors.comb import CombAnalyzer


def make_track(seconds: float, rate_hz: int = 44100, seed: int = 0) -> np.ndarray:
    """Noise with a slowly varying level: content does not change the cost, length does."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate_hz)
    t = np.arange(n, dtype=np.float32) / rate_hz
    x = 0.1 * rng.standard_normal(n).astype(np.float32) * (1.2 + np.sin(2 * np.pi * 0.1 * t))
    return x.astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--block", type=int, default=65536, help="samples per add() call")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rate = 44100
    x = make_track(args.minutes * 60, rate)
    duration_s = x.size / rate
    best = None
    for _ in range(args.repeat):
        comb = CombAnalyzer(rate)
        t0 = time.perf_counter()
        for i in range(0, x.size, args.block):
            comb.add(x[i : i + args.block])
        t1 = time.perf_counter()
        ev = comb.finish()
        t2 = time.perf_counter()
        if best is None or t2 - t0 < best[0]:
            best = (t2 - t0, t1 - t0, t2 - t1, ev)
    total, t_add, t_finish, ev = best
    print(f"track: {duration_s:.0f} s at {rate} Hz, blocks of {args.block} samples, best of {args.repeat}")
    print(
        f"add(): {t_add:.3f} s   finish(): {t_finish:.3f} s   total: {total:.3f} s   {duration_s / total:.0f}x real time"
    )
    if ev is not None:
        print(f"best comb: f0 {ev.f0_hz:.2f} Hz, z {ev.z_score:.2f}, {len(ev.segments)} segments")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
