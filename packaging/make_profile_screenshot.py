"""The README's generator-profile screenshots, at a laptop screen's size (1280x800):

- ``profile-match.png``: the window on the demo song through HiFi-GAN, which the built-in ACE-Step v1
  profile matches: its peak frequencies across the spectrogram, its per-window lane under the timeline,
  and the verdict panel scrolled to the profile the verdict rests on;
- ``teach.png``: Analysis > Teach a generator… taught from the three demo files (one real song, as it is,
  spliced and through HiFi-GAN): refused, in words. The teaching is the real one
  (``profile_command.teach_from_files``), into a throwaway data folder.

    QT_QPA_PLATFORM=offscreen python packaging/make_profile_screenshot.py [OUT_DIR]   (default resources/screenshots)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DEMO = ROOT / "resources" / "demo"
MATCHED = DEMO / "karissa_hobbs-lets_go_fishin-excerpt-through-hifigan.flac"


def main() -> int:
    from PySide6 import QtCore

    from forensic_app.gui.app import SCREENSHOT_SIZE, ensure_app
    from forensic_app.gui.main_window import MainWindow

    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "resources" / "screenshots")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["FORENSIC_APP_CONFIG_DIR"] = tmp
        os.environ["FORENSIC_APP_DATA_DIR"] = tmp  # a profile taught here is not the user's
        app = ensure_app()
        win = MainWindow()
        win.show()
        win.resize(*SCREENSHOT_SIZE)

        def analysed(_result) -> None:
            QtCore.QTimer.singleShot(600, grab_window)

        def grab_window() -> None:
            panel = win.verdict
            panel.verticalScrollBar().setValue(
                panel.profiles_label.parentWidget().mapTo(panel.widget(), panel.profiles_label.pos()).y() - 40
            )
            app.processEvents()
            win.grab().save(str(out_dir / "profile-match.png"))
            dialog = win.teach_generator(sorted(str(p) for p in DEMO.glob("*.flac")))
            dialog.name_edit.setText("demo-song")
            dialog.notes_edit.setText("three versions of the bundled demo song")
            dialog.runner.succeeded.connect(lambda *_: QtCore.QTimer.singleShot(300, lambda: grab_dialog(dialog)))
            dialog.runner.failed.connect(lambda *_: QtCore.QTimer.singleShot(300, lambda: grab_dialog(dialog)))
            dialog.start()

        def grab_dialog(dialog) -> None:
            dialog.adjustSize()
            app.processEvents()
            dialog.grab().save(str(out_dir / "teach.png"))
            print(dialog.result_label.text())
            dialog.close()
            win.close()
            app.quit()

        win.analysis_finished.connect(analysed)
        win.open_file(str(MATCHED))
        app.exec()
    print(f"wrote {out_dir / 'profile-match.png'} and {out_dir / 'teach.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
