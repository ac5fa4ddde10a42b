"""GUI test setup: offscreen Qt, per-test settings, no leaked threads, no Qt warnings."""

from __future__ import annotations

import json
import os
import tempfile

# Before any Qt import. The offscreen plugin's default screen is 800x800 and the window fits
# itself to its screen: give the tests a common desktop size instead.
_SCREEN = os.path.join(tempfile.mkdtemp(prefix="forensic-qt-"), "screens.json")
with open(_SCREEN, "w") as _f:
    json.dump(
        {
            "screens": [
                {
                    "name": "test-1920x1080",
                    "x": 0,
                    "y": 0,
                    "width": 1920,
                    "height": 1080,
                    "logicalDpi": 96,
                    "logicalBaseDpi": 96,
                    "dpr": 1,
                }
            ]
        },
        _f,
    )
os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_SCREEN}"

import pytest

from forensic_app.gui import jobs

# Harmless platform chatter from the offscreen plugin and font probing.
_IGNORED_QT_MESSAGES = (
    "propagateSizeHints",
    "QFont::",
    "Populating font family aliases",
    "offscreen",
    "not accepted by receiving widget",
)  # QTest chatter: pyqtgraph accepts clicks in its scene


@pytest.fixture(autouse=True)
def no_leaked_threads():
    yield
    alive = jobs.running_threads()
    for t in alive:  # stop them so one leak does not cascade into every later test
        t.quit()
        t.wait(5000)
    assert not alive, f"worker threads left running: {[t.objectName() for t in alive]}"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    config = tmp_path / "config"
    monkeypatch.setenv("FORENSIC_APP_CONFIG_DIR", str(config))
    return config


@pytest.fixture(autouse=True)
def fail_on_qt_warnings(request, qtlog):
    yield
    from PySide6 import QtCore

    bad = [
        r.message
        for r in qtlog.records
        if r.type in (QtCore.QtMsgType.QtWarningMsg, QtCore.QtMsgType.QtCriticalMsg, QtCore.QtMsgType.QtFatalMsg)
        and not any(s in r.message for s in _IGNORED_QT_MESSAGES)
    ]
    assert not bad, f"Qt warnings: {bad}"


@pytest.fixture(scope="session", autouse=True)
def app_font(qapp):
    from forensic_app.gui.app import install_fonts

    return install_fonts(qapp)


@pytest.fixture
def make_window(qtbot):
    """make_window(backend=None) -> MainWindow, shown; closed (threads joined) after the test."""
    from forensic_app.gui.main_window import MainWindow

    made = []

    def _make(backend=None, **kwargs):
        from tests.gui.helpers import FakeBackend

        win = MainWindow(backend=backend if backend is not None else FakeBackend(), **kwargs)
        qtbot.addWidget(win)
        win.show()
        made.append(win)
        return win

    yield _make
    for win in made:
        win.close()
