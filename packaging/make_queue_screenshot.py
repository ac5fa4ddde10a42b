"""The README's Queue screenshot: the window at a laptop screen's size, the Queue on a folder of 60 uploads in
nested folders, triaged from the top with the keyboard, and the track view above on the selected upload.

The uploads (``tests/uploads.py``): the bundled demo song and its HiFi-GAN-decoded copy cut into pieces,
generated notes, bitcrushed beats, a synth pad, room tone, one upload that is not audio, and sidecar ``.txt``
files (left out). The moderator ("Kim") walks the top 24 rows as with J and F/R/U/N, then goes back to a
the top one (K) to listen again.

    QT_QPA_PLATFORM=offscreen python packaging/make_queue_screenshot.py [OUT_DIR]   (default resources/screenshots)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

N_UPLOADS = 60
SECONDS = 12.0
N_WALKED = 24  # rows triaged from the top
DECISION_BY_VERDICT = {"likely_fake": "likely_ai", "no_traces_found": "human_made", "inconclusive": "undecided"}
NOTES = {
    0: "comb lines every 1378 Hz; decoded sound on the vocal",
    4: "same singer as the label's other uploads",
    9: "asked the uploader for the project files",
}


def main() -> int:
    from PySide6 import QtCore

    from forensic_app.gui.app import SCREENSHOT_SIZE, ensure_app
    from forensic_app.gui.main_window import MainWindow
    from tests.uploads import write_uploads

    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "resources" / "screenshots")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["FORENSIC_APP_CONFIG_DIR"] = tmp
        folder = Path(tmp) / "uploads"
        write_uploads(folder, n=N_UPLOADS, seconds=SECONDS)
        app = ensure_app()
        win = MainWindow()
        win.show()
        win.resize(*SCREENSHOT_SIZE)
        panel = win.show_queue()
        panel.reviewer_edit.setText("Kim")

        def walk(_run: int) -> None:
            panel.table.setFocus()
            for i in range(N_WALKED):
                panel.table.step(1)  # J
                row = panel.current_row()
                decision = DECISION_BY_VERDICT.get(row["verdict"] or "")
                if decision is None:
                    panel.decide(None, "not audio: ask the uploader to send the file again")  # N
                else:
                    panel.decide(decision, NOTES.get(i))  # F / R / U (and N)
            for _ in range(N_WALKED - 1):
                panel.table.step(-1)  # K back to the top upload, to listen again; the track view follows
            win.analysis_finished.connect(lambda _result: QtCore.QTimer.singleShot(600, finish))

        def finish() -> None:
            win.grab().save(str(out_dir / "queue.png"))
            win.close()
            app.quit()

        panel.batch_finished.connect(walk)
        panel.add_paths([str(folder)])
        app.exec()
    print(f"wrote {out_dir / 'queue.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
