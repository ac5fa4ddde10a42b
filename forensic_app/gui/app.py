"""Start the desktop window: ``run_gui(path, screenshot=..., weights_dir=...) -> exit code``."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Optional, Sequence

from PySide6 import QtCore, QtGui, QtWidgets

_FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSansMono.ttf")
SCREENSHOT_TIMEOUT_MS = 10 * 60 * 1000
SCREENSHOT_SIZE = (1280, 800)  # offscreen, the window is grabbed at a common laptop screen's size


def bundled_font_dir() -> Optional[Path]:
    """matplotlib's DejaVu fonts (a dependency), found without importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"
    return folder if folder.is_dir() else None


def install_fonts(app: QtWidgets.QApplication) -> Optional[str]:
    """Register DejaVu Sans and make it the application font; return the family used.

    Machines with few fonts (and Qt's offscreen platform) otherwise draw boxes for glyphs.
    """
    folder = bundled_font_dir()
    family = None
    if folder is not None:
        for name in _FONT_FILES:
            fid = QtGui.QFontDatabase.addApplicationFont(str(folder / name))
            if fid >= 0 and name == "DejaVuSans.ttf":
                families = QtGui.QFontDatabase.applicationFontFamilies(fid)
                family = families[0] if families else None
    if family:
        font = QtGui.QFont(family)
        font.setPointSizeF(9.5)
        app.setFont(font)
    return family


_QUIET_QT_MESSAGES = ("propagateSizeHints",)  # offscreen-plugin chatter, not a problem


def _qt_message_handler(mode, context, message: str) -> None:
    if any(m in message for m in _QUIET_QT_MESSAGES):
        return
    print(message, file=sys.stderr)


def ensure_app() -> QtWidgets.QApplication:
    app = QtWidgets.QApplication.instance()
    if app is None:
        QtCore.QCoreApplication.setApplicationName("forensic_app")
        QtCore.QCoreApplication.setOrganizationName("forensic_app")
        app = QtWidgets.QApplication(sys.argv[:1])
    install_fonts(app)
    return app


class ExceptionHook:
    """Show unexpected errors as a message in the window, print the traceback to stderr.

    A bug in a slot must not take the window (and the user's unsaved view) down.
    """

    def __init__(self, window) -> None:
        self._window = window
        self._previous = sys.excepthook

    def __call__(self, exc_type, exc, tb) -> None:
        traceback.print_exception(exc_type, exc, tb, file=sys.stderr)
        if issubclass(exc_type, KeyboardInterrupt):
            QtWidgets.QApplication.quit()
            return
        try:
            self._window.show_error(
                f"Unexpected problem: {exc_type.__name__}: {exc}. The window is still usable; "
                "details were printed to the terminal. Please report this."
            )
        except Exception:  # noqa: BLE001 - the window may already be gone
            pass

    def install(self) -> None:
        sys.excepthook = self

    def uninstall(self) -> None:
        if sys.excepthook is self:
            sys.excepthook = self._previous


HEADLESS_PLATFORMS = ("offscreen", "minimal")


def splash_pixmap(app: QtWidgets.QApplication) -> QtGui.QPixmap:
    """The start-up card, drawn (no image file to lose)."""
    from .. import __version__

    ratio = app.primaryScreen().devicePixelRatio() if app.primaryScreen() else 1.0
    pixmap = QtGui.QPixmap(int(440 * ratio), int(170 * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(QtGui.QColor("#1d2433"))
    painter = QtGui.QPainter(pixmap)
    painter.setPen(QtGui.QColor("#f0f0f5"))
    title = QtGui.QFont(app.font())
    title.setPointSizeF(20)
    title.setBold(True)
    painter.setFont(title)
    painter.drawText(QtCore.QRectF(24, 22, 400, 40), "forensic_app")
    small = QtGui.QFont(app.font())
    small.setPointSizeF(10)
    painter.setFont(small)
    painter.setPen(QtGui.QColor("#b8c0d8"))
    painter.drawText(QtCore.QRectF(24, 64, 400, 24), f"Offline analyzer for AI-generated music \u00b7 {__version__}")
    painter.end()
    return pixmap


class Splash(QtWidgets.QLabel):
    """The start-up card in a frameless window, with a one-line status under the title.

    Not QSplashScreen: its show() blocked for its full 1-s exposure timeout here (Qt 6.11 on
    xcb under Xvfb, and offscreen), although a plain window is exposed within milliseconds.
    """

    def __init__(self, pixmap: QtGui.QPixmap) -> None:
        flags = (
            QtCore.Qt.WindowType.SplashScreen
            | QtCore.Qt.WindowType.FramelessWindowHint
            | QtCore.Qt.WindowType.WindowStaysOnTopHint
        )
        super().__init__(None, flags)
        self._base = pixmap
        self.setPixmap(pixmap)
        screen = QtGui.QGuiApplication.primaryScreen()
        if screen is not None:
            size = pixmap.deviceIndependentSize().toSize()
            self.move(screen.availableGeometry().center() - QtCore.QPoint(size.width() // 2, size.height() // 2))

    def show_message(self, text: str) -> None:
        pixmap = QtGui.QPixmap(self._base)
        painter = QtGui.QPainter(pixmap)
        painter.setPen(QtGui.QColor("#f0f0f5"))
        size = pixmap.deviceIndependentSize()
        painter.drawText(
            QtCore.QRectF(24, size.height() - 36, size.width() - 48, 24),
            int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter),
            text,
        )
        painter.end()
        self.setPixmap(pixmap)
        self.repaint()
        QtWidgets.QApplication.processEvents()

    def finish(self, window: QtWidgets.QWidget) -> None:
        self.close()
        self.deleteLater()


def show_splash(app: QtWidgets.QApplication) -> Optional[Splash]:
    """Show the start-up card while the window's modules load; None where nobody can see it."""
    if app.platformName() in HEADLESS_PLATFORMS:
        return None
    splash = Splash(splash_pixmap(app))
    splash.show()
    deadline = time.monotonic() + 0.3  # let it be mapped and painted before the imports block the thread
    while splash.windowHandle() is not None and not splash.windowHandle().isExposed() and time.monotonic() < deadline:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
    splash.show_message("Starting\u2026")
    return splash


def splash_message(splash: Optional[Splash], text: str) -> None:
    if splash is not None:
        splash.show_message(text)


def seconds_since_process_start() -> Optional[float]:
    """Wall time since this process started (Linux: from /proc), for start-up timings; else None."""
    try:
        with open("/proc/self/stat", "rb") as f:
            start_ticks = int(f.read().rsplit(b")", 1)[1].split()[19])
        with open("/proc/uptime", "rb") as f:
            uptime_s = float(f.read().split()[0])
        return uptime_s - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _log_startup(what: str) -> None:
    """With FORENSIC_APP_DEBUG set, say on stderr when each start-up step was reached."""
    if os.environ.get("FORENSIC_APP_DEBUG"):
        t = seconds_since_process_start()
        print(
            f"forensic-app: {what} at {t:.2f} s after the process started"
            if t is not None
            else f"forensic-app: {what}",
            file=sys.stderr,
        )


def _save_screenshot(window, out: str) -> bool:
    QtWidgets.QApplication.processEvents()
    pixmap = window.grab()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    return pixmap.save(out, "PNG")


def _screenshot_finisher(window, screenshot: str, outcome: dict):
    """``finish(code, message="", grab=False)``: once only, grab ``window`` to ``screenshot`` (when code is 0, or ``grab``),
    record the exit code in ``outcome["code"]`` and close the window (a case saves nothing, asks nothing)."""

    def finish(code: int, message: str = "", grab: bool = False) -> None:
        if outcome.get("done"):
            return
        outcome["done"] = True
        if message:
            print(f"forensic-app: {message}", file=sys.stderr)
        if (code == 0 or grab) and not _save_screenshot(window, screenshot):
            print(f"forensic-app: could not write {screenshot}", file=sys.stderr)
            code = 1
        outcome["code"] = code
        window.dirty = False
        window.close()

    return finish


def _run_case(paths: list[str], *, screenshot: Optional[str], weights_dir: Optional[str]) -> int:
    """The case window on several files or one saved case (see :func:`run_gui`)."""
    if weights_dir:
        os.environ.setdefault("FORENSIC_APP_WEIGHTS", str(weights_dir))
    if paths[0].endswith(".facase"):
        from ..case.document import CaseFileError, load_case

        try:
            load_case(paths[0])
        except CaseFileError as err:
            print(f"forensic-app: {err}", file=sys.stderr)
            return 2
    app = ensure_app()
    splash = show_splash(app)
    splash_message(splash, "Loading the case window\u2026")
    from .case_window import CaseWindow
    from .workers import Backend

    window = CaseWindow(backend=Backend(weights_dir))
    hook = ExceptionHook(window)
    hook.install()
    outcome = {"code": 0}
    try:
        window.show()
        if splash is not None:
            splash.finish(window)
        if screenshot:
            finish = _screenshot_finisher(window, screenshot, outcome)
            if app.platformName() == "offscreen":  # an imaginary screen: grab at a real one's size
                window.resize(*SCREENSHOT_SIZE)
                window.size_panel()

            def ready() -> None:
                failed = window.failed_lanes()
                if failed:  # the grab shows each lane's message; the exit code says it
                    QtCore.QTimer.singleShot(
                        300,
                        lambda: finish(
                            2,
                            f"could not read {', '.join(failed)}: see the lane's message in the screenshot",
                            grab=True,
                        ),
                    )
                    return
                QtCore.QTimer.singleShot(300, lambda: finish(0))

            window.case_ready.connect(ready)
            QtCore.QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, lambda: finish(1, "timed out waiting for the analysis"))
        if paths[0].endswith(".facase"):
            if not window.open_case(paths[0]):
                return 2
        else:
            window.add_files(paths)
        app.exec()
    finally:
        hook.uninstall()
        if window.isVisible():
            window.dirty = False
            window.close()
    return outcome["code"]


def run_gui(
    path: "Optional[str] | Sequence[str]" = None, *, screenshot: Optional[str] = None, weights_dir: Optional[str] = None
) -> int:
    """Open the window (optionally on ``path``; several paths or a ``.facase`` open the case
    window; a folder opens the window with the Queue on the folders and files given). With ``screenshot``:
    load, wait for the analysis (or the Queue's batch), save a grab of the whole window to that PNG and
    return 0 (nonzero on failure)."""
    paths = [path] if isinstance(path, str) else list(path or [])
    queued: list[str] = []
    if any(os.path.isdir(p) for p in paths):  # as when a folder is dropped on the window: the Queue takes it all
        queued, paths = paths, []
    if len(paths) > 1 or (paths and paths[0].endswith(".facase")):
        return _run_case(paths, screenshot=screenshot, weights_dir=weights_dir)
    path = paths[0] if paths else None
    if screenshot and not path and not queued:
        print("forensic-app: --screenshot needs a FILE to analyse.", file=sys.stderr)
        return 2
    if weights_dir:
        os.environ.setdefault("FORENSIC_APP_WEIGHTS", str(weights_dir))
    app = ensure_app()
    previous_handler = QtCore.qInstallMessageHandler(_qt_message_handler)
    # the window's modules (pyqtgraph, scipy, the core) take seconds on a cold start: show a sign of life
    splash = show_splash(app)
    _log_startup("splash shown" if splash is not None else "no splash on this platform")
    splash_message(splash, "Loading the window\u2026")
    from .main_window import MainWindow

    window = MainWindow(weights_dir=weights_dir)
    hook = ExceptionHook(window)
    hook.install()
    outcome = {"code": 0}
    try:
        window.show()
        if screenshot and app.platformName() == "offscreen":
            window.resize(*SCREENSHOT_SIZE)  # the offscreen "screen" is imaginary: grab at a real one's size
        if splash is not None:
            splash.finish(window)
        _log_startup("window shown")
        if not path and not queued:
            window.offer_demo()
        if screenshot:
            finish = _screenshot_finisher(window, screenshot, outcome)
            # let the last repaint (heatmap, panel) happen before grabbing
            window.analysis_finished.connect(lambda _r: QtCore.QTimer.singleShot(300, lambda: finish(0)))
            window.analysis_failed.connect(lambda msg: finish(getattr(window, "failure_exit_code", 1), msg))
            window.analysis_cancelled.connect(lambda: finish(1, "analysis was cancelled"))
            QtCore.QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, lambda: finish(1, "timed out waiting for the analysis"))
        if queued:  # File > Queue, then its Add folder
            panel = window.show_queue()
            if screenshot:
                panel.batch_finished.connect(
                    lambda run: QtCore.QTimer.singleShot(
                        300, lambda: finish(0) if run >= 0 else finish(1, panel.status_label.text())
                    )
                )
            panel.add_paths(queued)
        if path:
            window.open_file(path)
        app.exec()
    finally:
        hook.uninstall()
        QtCore.qInstallMessageHandler(previous_handler)
        if window.isVisible():
            window.close()
    return outcome["code"]
