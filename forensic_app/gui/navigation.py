"""How the mouse and the keyboard move a time-frequency view.

Mouse (:class:`EvidenceViewBox`): the wheel zooms time, Shift/Ctrl+wheel frequency, a drag pans,
Shift+drag selects a time range. Keys (:func:`navigate_by_key`): +/- zoom time (Ctrl: frequency),
Left/Right pan time, Up/Down pan frequency (Ctrl: zoom it), 0/Home fit the whole track, Esc clears
the selection.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6 import QtCore


class EvidenceViewBox(pg.ViewBox):
    """Wheel zooms time (Shift/Ctrl+wheel: frequency); Shift+drag selects a time range."""

    sigSelectionDragged = QtCore.Signal(float, float, bool)  # start_s, end_s, finished

    def wheelEvent(self, ev, axis=None):
        mods = ev.modifiers()
        freq = bool(mods & (QtCore.Qt.KeyboardModifier.ShiftModifier | QtCore.Qt.KeyboardModifier.ControlModifier))
        super().wheelEvent(ev, axis=1 if freq else 0)

    def mouseDragEvent(self, ev, axis=None):
        if (
            ev.button() == QtCore.Qt.MouseButton.LeftButton
            and ev.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier
        ):
            ev.accept()
            a = self.mapSceneToView(ev.buttonDownScenePos()).x()
            b = self.mapSceneToView(ev.scenePos()).x()
            self.sigSelectionDragged.emit(min(a, b), max(a, b), ev.isFinish())
            return
        super().mouseDragEvent(ev, axis)


def navigate_by_key(view: Any, key: int, modifiers: Any) -> bool:
    """Move ``view`` (zoom_time, zoom_freq, pan_time, pan_freq, reset_zoom, clear_selection) for a
    navigation key; False when ``key`` is not one."""
    ctrl = bool(modifiers & QtCore.Qt.KeyboardModifier.ControlModifier)
    K = QtCore.Qt.Key
    if key in (K.Key_Plus, K.Key_Equal):
        (view.zoom_freq if ctrl else view.zoom_time)(0.5)
    elif key == K.Key_Minus:
        (view.zoom_freq if ctrl else view.zoom_time)(2.0)
    elif key == K.Key_Left:
        view.pan_time(-0.25)
    elif key == K.Key_Right:
        view.pan_time(0.25)
    elif key == K.Key_Up:
        (view.zoom_freq(0.5) if ctrl else view.pan_freq(0.25))
    elif key == K.Key_Down:
        (view.zoom_freq(2.0) if ctrl else view.pan_freq(-0.25))
    elif key in (K.Key_0, K.Key_Home):
        view.reset_zoom()
    elif key == K.Key_Escape:
        view.clear_selection()
    else:
        return False
    return True
