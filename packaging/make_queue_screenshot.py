"""The README's Queue screenshot: the window at a laptop screen's size, the demo song in the track view and
below it the Queue on a folder of uploads, highest first.

A bitcrushed beat, a held synth pad, room tone, the demo song and a re-exported copy of it, and a
cover image that is not audio (generated here; the demo song is the bundled excerpt).

    QT_QPA_PLATFORM=offscreen python packaging/make_queue_screenshot.py [OUT_DIR]   (default resources/screenshots)
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def write_folder(folder: Path) -> None:
    import numpy as np
    import soundfile as sf

    from forensic_app.training import kinds
    from forensic_app.training.synth import music_like

    folder.mkdir(parents=True)
    sr = kinds.SR
    sf.write(folder / "lofi_beat_07.flac", kinds.bitcrush(music_like(20.0, sr, 7).astype(np.float32), 4, 8), sr)
    sf.write(folder / "ambient_pad.flac", kinds.detuned_pad(31, 20.0), sr)
    sf.write(folder / "room_tone.wav", kinds.room_tone(5, 20.0), sr, subtype="PCM_16")
    demo = ROOT / "resources" / "demo" / "karissa_hobbs-lets_go_fishin-excerpt.flac"
    shutil.copy(demo, folder / "lets_go_fishin.flac")
    x, rate = sf.read(demo, dtype="float32")
    sf.write(folder / "demo_mix_final.wav", 0.8 * x, rate, subtype="PCM_16")  # a quieter re-export
    (folder / "cover.jpg").write_bytes(b"not an image either")


def main() -> int:
    from PySide6 import QtCore

    from forensic_app.gui.app import SCREENSHOT_SIZE, ensure_app
    from forensic_app.gui.main_window import MainWindow

    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "resources" / "screenshots")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["FORENSIC_APP_CONFIG_DIR"] = tmp
        folder = Path(tmp) / "uploads"
        write_folder(folder)
        app = ensure_app()
        win = MainWindow()
        win.show()
        win.resize(*SCREENSHOT_SIZE)
        waiting = {"track", "queue"}

        def done(what: str) -> None:
            waiting.discard(what)
            if not waiting:
                QtCore.QTimer.singleShot(400, finish)

        def finish() -> None:
            win.grab().save(str(out_dir / "queue.png"))
            win.close()
            app.quit()

        win.analysis_finished.connect(lambda _result: done("track"))
        win.open_file(str(folder / "lets_go_fishin.flac"))
        panel = win.show_queue()
        panel.batch_finished.connect(lambda _run: done("queue"))
        panel.add_paths([str(folder)])
        app.exec()
    print(f"wrote {out_dir / 'queue.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
