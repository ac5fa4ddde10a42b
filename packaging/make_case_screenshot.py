"""The README's case screenshots: four stems (the vocals through HiFi-GAN) in the case window, and
page 1 of their case report; with ``--log``, the same case on the log-frequency scale scrolled to
the bass lane (case-log.png) instead.

    QT_QPA_PLATFORM=offscreen python packaging/make_case_screenshot.py [OUT_DIR] [--log]   (default resources/screenshots)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    from PySide6 import QtCore

    from forensic_app.gui.app import SCREENSHOT_SIZE, ensure_app
    from forensic_app.gui.case_window import CaseWindow
    from tests.stems import write_stems

    args = [a for a in sys.argv[1:] if a != "--log"]
    log = "--log" in sys.argv[1:]
    out_dir = Path(args[0] if args else ROOT / "resources" / "screenshots")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["FORENSIC_APP_CONFIG_DIR"] = tmp
        stems = write_stems(Path(tmp) / "stems")
        app = ensure_app()
        win = CaseWindow()
        win.show()
        win.resize(*SCREENSHOT_SIZE)  # as the window fills a laptop screen
        win.size_panel()

        def ready_log() -> None:
            win.set_freq_scale("log")  # View > Log frequency scale
            bass = win.lanes[2]
            win.annotate(bass.lane_id, 1.0, 3.0, "bass notes, 55-104 Hz", 45.0, 130.0)
            win.split.widget(0).ensureWidgetVisible(bass, 0, 0)
            win.show_spectrum(bass.lane_id, 2.2)
            QtCore.QTimer.singleShot(600, finish_log)

        def finish_log() -> None:
            win.grab().save(str(out_dir / "case-log.png"))
            win.dirty = False
            win.close()
            app.quit()

        def ready() -> None:
            if log:
                ready_log()
                return
            vocals = win.lanes[0]
            vocals.separated.setChecked(True)
            win.annotate(vocals.lane_id, 3.0, 6.0, "decoder texture up to 12 kHz", 2000.0, 12000.0)
            panel = win.panel
            panel.decision.setCurrentIndex(panel.decision.findData("escalate"))
            panel.reviewer.setText("A&R review")
            panel.reason.setPlainText("Vocal stem shows decoder lines; ask the artist for the session files.")
            win.show_spectrum(vocals.lane_id, 4.5)
            QtCore.QTimer.singleShot(600, finish)

        def finish() -> None:
            win.grab().save(str(out_dir / "case.png"))
            pdf = Path(tmp) / "case.pdf"
            from forensic_app.case.report import write_case_report

            write_case_report(win.case, pdf)
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    "70",
                    "-f",
                    "1",
                    "-l",
                    "1",
                    "-singlefile",
                    str(pdf),
                    str(out_dir / "case-report"),
                ],
                check=True,
            )
            win.dirty = False
            win.close()
            app.quit()

        win.case_ready.connect(ready)
        win.add_files([str(stems[k]) for k in ("vocals", "drums", "bass", "other")])
        app.exec()
    wrote = ["case-log.png"] if log else ["case.png", "case-report.png"]
    print("wrote " + " and ".join(str(out_dir / name) for name in wrote))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
