"""Time to first spectrogram for a generated track, the longest GUI-thread stall, peak memory.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui_open.py [--seconds 180] [--rate 44100] [--weights DIR]

Without --weights the analysis step is a stand-in that returns at once (so the numbers are
the GUI's: decode, display spectrogram, drawing); with --weights the real pipeline runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import soundfile as sf


def synth_track(path: Path, seconds: float, rate: int = 44100) -> None:
    """Decaying harmonic notes and a little noise, stereo 16-bit WAV, written 10 s at a time
    (so making a long track does not count in this process' peak memory)."""
    rng = np.random.default_rng(0)
    note = int(0.25 * rate)
    t = np.arange(2 * note) / rate
    env = np.exp(-t * 6).astype(np.float32)
    block = 40 * note
    n = int(seconds * rate)
    with sf.SoundFile(str(path), "w", rate, 2, "PCM_16") as f:
        tail = np.zeros(note, np.float32)
        for b0 in range(0, n, block):
            out = np.zeros(block + 2 * note, np.float32)
            out[:note] += tail
            for start in range(0, block, note):
                f0 = 110.0 * 2 ** (rng.integers(0, 30) / 12)
                tone = sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 10) if f0 * h < rate / 2)
                out[start : start + 2 * note] += (0.05 * env * tone).astype(np.float32)
            out += 0.002 * rng.standard_normal(out.size).astype(np.float32)
            tail = out[block : block + note].copy()
            m = min(block, n - b0)
            f.write(np.stack([out[:m], 0.8 * out[:m]], axis=1).clip(-1, 1))


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--rate", type=int, default=44100)
    ap.add_argument("--weights", default=None, help="weights dir: run the real analysis")
    ap.add_argument("--verbose", action="store_true", help="list stalls over 50 ms")
    args = ap.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    from PySide6 import QtCore

    from forensic_app.core.spectrogram import display_spectrogram
    from forensic_app.gui.app import ensure_app
    from forensic_app.gui.main_window import MainWindow
    from forensic_app.gui.workers import Backend

    class StandIn(Backend):
        def analyze(self, audio, *, on_progress, cancel):
            from tests.gui.helpers import make_result

            return make_result(audio.info)

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["FORENSIC_APP_CONFIG_DIR"] = tmp
        track = Path(tmp) / f"music-{int(args.seconds)}s-{args.rate}-2-16.wav"
        synth_track(track, args.seconds, args.rate)
        rss_before = peak_rss_mb()
        app = ensure_app()
        backend = Backend(args.weights) if args.weights else StandIn()
        win = MainWindow(backend=backend)
        win.resize(1440, 880)
        win.show()
        app.processEvents()

        # warm the numpy / scipy code paths once, off the clock
        display_spectrogram(np.zeros(44100, np.float32), 44100)
        marks: dict[str, float] = {}
        beats: list[float] = []
        heartbeat = QtCore.QTimer()
        heartbeat.setInterval(5)
        heartbeat.timeout.connect(lambda: beats.append(time.perf_counter()))

        class PaintWatch(QtCore.QObject):
            """Marks the end of the first paint of the view after the spectrogram was set."""

            def eventFilter(self, obj, ev):
                if ev.type() == QtCore.QEvent.Type.Paint and "spectrogram_set" in marks and "paint_start" not in marks:
                    marks["paint_start"] = time.perf_counter()
                    QtCore.QTimer.singleShot(0, lambda: marks.setdefault("painted", time.perf_counter()))
                return False

        watch = PaintWatch()
        win.view.viewport().installEventFilter(watch)
        win.spectrogram_shown.connect(lambda: marks.__setitem__("spectrogram_set", time.perf_counter()))
        win.analysis_finished.connect(
            lambda r: (marks.__setitem__("finished", time.perf_counter()), QtCore.QTimer.singleShot(200, app.quit))
        )
        win.analysis_failed.connect(lambda m: (print("analysis failed:", m), app.quit()))
        heartbeat.start()
        t0 = time.perf_counter()
        beats.append(t0)
        win.open_file(str(track))
        app.exec()
        heartbeat.stop()
        gaps = np.diff(np.array(beats)) * 1000.0
        win.close()
        print(
            f"track: {args.seconds:.0f} s stereo {args.rate / 1000:g} kHz WAV; analysis: {'real' if args.weights else 'stand-in'}"
        )
        print(
            f"peak memory (RSS) of the app: {peak_rss_mb():.0f} MB (before opening the track: {rss_before:.0f} MB; "
            f"the decoded track alone would be {args.seconds * args.rate * 2 * 4 / 1e6:.0f} MB)"
        )
        print(f"time to first spectrogram (data on screen): {marks['painted'] - t0:.3f} s")
        print(f"  first paint of the image (GUI thread):    {(marks['painted'] - marks['paint_start']) * 1000:.0f} ms")
        if "finished" in marks:
            print(f"time to verdict:                            {marks['finished'] - t0:.3f} s")
        print(
            f"longest GUI-thread stall (5 ms heartbeat):  {gaps.max():.0f} ms; "
            f"stalls > 100 ms: {int((gaps > 100).sum())}"
        )
        if args.verbose:
            beats_rel = np.array(beats[1:]) - t0
            for k in np.nonzero(gaps > 50)[0]:
                print(f"  stall {gaps[k]:.0f} ms ending at {beats_rel[k]:.3f} s")
            print("  marks:", {k: round(v - t0, 3) for k, v in marks.items() if True})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
