"""Window size and place: fit the screen the window opens on, remembered per screen.

A geometry saved on a 2560x1440 monitor must not open a window larger than a 1024x700
laptop screen, and the first start must not assume a big screen. Sizes are remembered under
a key naming the screen and its size, so each monitor gets its own.
"""

from __future__ import annotations

from typing import Optional

from PySide6 import QtCore, QtGui, QtWidgets

PREFERRED_SIZE = (1440, 880)  # what the layout was drawn for
SCREEN_FRACTION = 0.92  # first start: leave a margin around the window


def screen_of(window: QtWidgets.QWidget) -> Optional[QtGui.QScreen]:
    return window.screen() or QtGui.QGuiApplication.primaryScreen()


def screen_key(screen: Optional[QtGui.QScreen]) -> str:
    """ "name WxH" of the screen, the settings key its window geometry is kept under."""
    if screen is None:
        return "no-screen"
    size = screen.size()
    return f"{screen.name() or 'screen'} {size.width()}x{size.height()}"


def default_rect(avail: QtCore.QRect) -> QtCore.QRect:
    """The preferred size, shrunk to a fraction of the available area, centred in it."""
    w = min(PREFERRED_SIZE[0], int(avail.width() * SCREEN_FRACTION))
    h = min(PREFERRED_SIZE[1], int(avail.height() * SCREEN_FRACTION))
    rect = QtCore.QRect(0, 0, w, h)
    rect.moveCenter(avail.center())
    return rect


def clamp_to_screen(window: QtWidgets.QWidget, avail: Optional[QtCore.QRect] = None) -> None:
    """Shrink and move ``window`` so that its frame lies inside ``avail`` (default: its screen's)."""
    if avail is None:
        screen = screen_of(window)
        if screen is None:
            return
        avail = screen.availableGeometry()
    if window.isMaximized() or window.isFullScreen():
        return
    frame, inner = window.frameGeometry(), window.geometry()
    dw, dh = max(frame.width() - inner.width(), 0), max(frame.height() - inner.height(), 0)
    w = min(inner.width(), avail.width() - dw)
    h = min(inner.height(), avail.height() - dh)
    if (w, h) != (inner.width(), inner.height()):
        window.setMinimumSize(min(window.minimumWidth(), w), min(window.minimumHeight(), h))
        window.resize(w, h)
    # move() places the frame's top-left corner
    x = min(max(frame.x(), avail.left()), avail.left() + avail.width() - (window.width() + dw))
    y = min(max(frame.y(), avail.top()), avail.top() + avail.height() - (window.height() + dh))
    window.move(max(x, avail.left()), max(y, avail.top()))


def size_to_screen(window: QtWidgets.QWidget, preferred: tuple[int, int]) -> None:
    """Resize ``window`` (a dialog) to ``preferred``, or to the same fraction of a smaller screen as a main window."""
    screen = screen_of(window)
    if screen is None:
        window.resize(*preferred)
        return
    avail = screen.availableGeometry()
    window.resize(
        min(preferred[0], int(avail.width() * SCREEN_FRACTION)),
        min(preferred[1], int(avail.height() * SCREEN_FRACTION)),
    )


def place_window(window: QtWidgets.QMainWindow, saved_by_screen: dict[str, str], saved_last: str = "") -> None:
    """Restore the geometry saved for this screen (else the last one, else a default), then clamp."""
    screen = screen_of(window)
    if screen is None:
        window.resize(*PREFERRED_SIZE)
        return
    avail = screen.availableGeometry()
    restored = False
    for saved in (saved_by_screen.get(screen_key(screen)), saved_last):
        if saved:
            try:
                restored = window.restoreGeometry(QtCore.QByteArray.fromBase64(saved.encode("ascii")))
            except (ValueError, UnicodeEncodeError):
                restored = False
            if restored:
                break
    if not restored:
        window.setGeometry(default_rect(avail))
    clamp_to_screen(window)  # again on first show, when the frame's size is known


def saved_geometry(window: QtWidgets.QMainWindow) -> tuple[str, str]:
    """(screen key, base64 geometry) to store."""
    return screen_key(screen_of(window)), bytes(window.saveGeometry().toBase64()).decode("ascii")
