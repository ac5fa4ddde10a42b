"""Per-window probability under the spectrogram; clicking a window selects its time range."""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from ..core.result import WindowScore
from . import colours
from .axes import TimeAxisItem
from .scales import format_time


MIN_BAR = 0.03  # drawn height of windows whose evidence is lower (the value itself is in the tooltip)


class TimelinePlot(pg.PlotItem):
    window_clicked = QtCore.Signal(float, float)  # start_s, end_s

    def __init__(self, *, axis_width_px: int):
        super().__init__(axisItems={"bottom": TimeAxisItem()})
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setMouseEnabled(x=True, y=False)
        self.getAxis("left").setWidth(axis_width_px)
        self.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
        self.getAxis("left").setStyle(hideOverlappingLabels=False)
        self.setLabel("left", "Window evidence")
        self.setLabel("bottom", "Time (m:ss)")
        self.vb.setDefaultPadding(0.0)
        self.vb.setLimits(yMin=-0.05, yMax=1.05)
        self.setYRange(0.0, 1.0, padding=0.04)
        self.vb.disableAutoRange(axis=pg.ViewBox.YAxis)
        self._windows: list[WindowScore] = []
        self._bars: Optional[pg.BarGraphItem] = None
        self.midline = pg.InfiniteLine(
            pos=0.5, angle=0, pen=pg.mkPen("#8a8a96", width=1, style=QtCore.Qt.PenStyle.DashLine)
        )
        self.addItem(self.midline, ignoreBounds=True)
        self.empty_text = pg.TextItem(
            "Per-window scores appear here when the analysis finishes", color="#a0a0aa", anchor=(0.5, 0.5)
        )
        self.addItem(self.empty_text, ignoreBounds=True)
        self.midline.hide()
        self.empty_text.setPos(0.5, 0.5)
        self.vb.sigRangeChanged.connect(self._keep_text_centred)
        self.scene_click_connected = False

    def set_time_limits(self, duration_s: float) -> None:
        self.vb.setLimits(xMin=0.0, xMax=duration_s)
        self._keep_text_centred()

    def set_windows(self, windows: list[WindowScore]) -> None:
        self._windows = sorted(windows, key=lambda w: w.start_s)
        if self._bars is not None:
            self.removeItem(self._bars)
            self._bars = None
        self.empty_text.setVisible(not self._windows)
        self.midline.setVisible(bool(self._windows))
        if not self._windows:
            return
        starts = np.array([w.start_s for w in self._windows])
        ends = np.array([w.end_s for w in self._windows])
        # overlapping windows are drawn up to the next start so each bar is visible
        shown_ends = np.minimum(ends, np.append(starts[1:], ends[-1]))
        probs = np.array([w.probability_fake for w in self._windows])
        rgba = colours.probability_rgba(probs, with_alpha=False)
        brushes = [pg.mkBrush(*map(int, c)) for c in rgba]
        # a window with next to no evidence still shows as a low bar (a 0-height bar reads as missing data)
        heights = np.maximum(probs, MIN_BAR)
        self._bars = pg.BarGraphItem(
            x0=starts,
            x1=shown_ends,
            y0=np.zeros_like(probs),
            y1=heights,
            brushes=brushes,
            pen=pg.mkPen(20, 20, 26, 200, width=1),
        )
        self.addItem(self._bars)
        self._bars.setZValue(5)
        if not self.scene_click_connected and self.scene() is not None:
            self.scene().sigMouseClicked.connect(self._on_scene_clicked)
            self.scene_click_connected = True

    def window_at(self, time_s: float) -> Optional[WindowScore]:
        """The window whose centre is nearest ``time_s`` among those containing it."""
        inside = [w for w in self._windows if w.start_s <= time_s < w.end_s]
        if not inside:
            return None
        return min(inside, key=lambda w: abs((w.start_s + w.end_s) / 2 - time_s))

    def readout_at(self, time_s: float) -> str:
        w = self.window_at(time_s)
        if w is None:
            return format_time(time_s, 0.01)
        return (
            f"{format_time(time_s, 0.01)}   \u00b7   window {format_time(w.start_s, 0.1)}\u2013"
            f"{format_time(w.end_s, 0.1)}   \u00b7   evidence {w.probability_fake:.2f}   (click to select)"
        )

    def _on_scene_clicked(self, ev) -> None:
        if ev.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        if not self.vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        t = self.vb.mapSceneToView(ev.scenePos()).x()
        w = self.window_at(t)
        if w is not None:
            ev.accept()
            self.window_clicked.emit(w.start_s, w.end_s)

    def _keep_text_centred(self, *args) -> None:
        (x0, x1), (y0, y1) = self.vb.viewRange()
        self.empty_text.setPos((x0 + x1) / 2, 0.5)
