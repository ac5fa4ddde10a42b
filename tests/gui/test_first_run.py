"""First run: the window fits the screen it opens on, remembers its size per screen, offers the demo,
and Help > About names versions and licences."""

from __future__ import annotations

import json

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from forensic_app import resources
from forensic_app.gui import geometry
from forensic_app.gui import settings as settings_mod

SMALL = QtCore.QRect(0, 0, 1024, 700)


@pytest.fixture
def small_screen(monkeypatch):
    """Every screen reports a 1024x700 available area (a small laptop with a panel)."""
    monkeypatch.setattr(QtGui.QScreen, "availableGeometry", lambda self: QtCore.QRect(SMALL))
    return SMALL


def _fits(win: QtWidgets.QWidget, avail: QtCore.QRect) -> bool:
    return avail.contains(win.frameGeometry())


def test_first_start_fits_a_small_screen(small_screen, make_window):
    win = make_window()
    assert _fits(win, small_screen), (win.frameGeometry(), small_screen)
    assert win.width() >= 800  # still uses most of it


def test_geometry_saved_on_a_big_screen_is_clamped_on_a_small_one(small_screen, make_window, qtbot):
    big = QtWidgets.QMainWindow()
    qtbot.addWidget(big)
    big.setGeometry(50, 40, 2400, 1300)
    saved = bytes(big.saveGeometry().toBase64()).decode("ascii")
    st = settings_mod.Settings(window_geometry=saved)
    st.window_geometries[geometry.screen_key(QtGui.QGuiApplication.primaryScreen())] = saved
    settings_mod.save_settings(st)
    win = make_window()
    assert _fits(win, small_screen), (win.frameGeometry(), small_screen)


def test_size_is_remembered_per_screen(make_window):
    win = make_window()
    win.resize(700, 500)
    win.move(10, 20)
    win.close()
    key = geometry.screen_key(win.screen())
    screen = win.screen()
    assert screen.name() in key and f"{screen.size().width()}x{screen.size().height()}" in key
    stored, _ = settings_mod.load_settings()
    assert key in stored.window_geometries
    again = make_window()
    assert (again.width(), again.height()) == (700, 500)


def test_first_start_without_a_file_offers_the_demo_once(make_window, qtbot):
    assert resources.demo_track() is not None, "the demo track ships with the app"
    win = make_window()
    assert win.offer_demo()
    assert win.banner.isVisible() and win.banner.action_button.isVisible()
    assert "demo" in win.banner.action_button.text().lower()
    with qtbot.waitSignal(win.analysis_finished, timeout=60000):
        qtbot.mouseClick(win.banner.action_button, QtCore.Qt.MouseButton.LeftButton)
    assert win.current_path == str(resources.demo_track())
    assert not win.banner.isVisible()
    win.close()
    assert not make_window().offer_demo()  # once is enough


def test_about_names_model_calibration_and_licences(make_window):
    win = make_window()
    dialog = win.show_about()
    text = dialog.text.toPlainText()
    manifest = json.loads((resources.weights_dir() / "manifest.json").read_text())
    calibration = json.loads((resources.weights_dir() / manifest["files"]["calibration"]["path"]).read_text())
    assert manifest["version"] in text and calibration["version"] in text
    assert "GPL-3.0-or-later" in text
    assert "Creative Commons Attribution 3.0" in text and "Karissa Hobbs" in text
    assert "Where to get the app" in text
    dialog.close()


def test_about_lists_a_third_party_model_from_the_manifest(tmp_path, make_window):
    from forensic_app.gui.about_dialog import AboutDialog

    weights = tmp_path / "weights"
    weights.mkdir()
    (weights / "LICENSE-tinycodec.txt").write_text("MIT License ...")
    manifest = json.loads((resources.weights_dir() / "manifest.json").read_text())
    manifest["third_party"] = [
        {
            "name": "TinyCodec detector",
            "license": "MIT",
            "source": "https://example.org/tc",
            "license_file": "LICENSE-tinycodec.txt",
        }
    ]
    (weights / "manifest.json").write_text(json.dumps(manifest))
    dialog = AboutDialog(make_window(), weights_dir=str(weights))
    text = dialog.text.toPlainText()
    assert "TinyCodec detector" in text and "MIT" in text and "LICENSE-tinycodec.txt" in text
    assert "missing" not in text
    assert "calibration" in text.lower()  # no calibration file here: said, not crashed
    dialog.close()


def test_splash_shows_before_the_heavy_modules_load(tmp_path):
    """run_gui puts the splash up before pyqtgraph, scipy, torch and the window's modules are imported."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, forensic_app.gui.app as a\n"
        "def fake(app):\n"
        "    heavy = [m for m in ('pyqtgraph', 'scipy', 'torch', 'forensic_app.gui.main_window') if m in sys.modules]\n"
        "    print('HEAVY:', *heavy); sys.exit(0)\n"
        "a.show_splash = fake\n"
        "a.run_gui(None)\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FORENSIC_APP_CONFIG_DIR=str(tmp_path))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("HEAVY:", 1)[1].split() == []
