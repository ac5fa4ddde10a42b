"""A matched generator profile where its evidence lies: the peak frequencies it weighs most (drawn
on the spectrogram and marked on the verdict panel's residue plot) and its reading on each ~10 s
window, a lane under the timeline.

:func:`profile_evidence` reads what to draw from the result's "profiles" row
(core/detectors/profiles.py: ``details["top_bins"]`` and ``details["windows"]`` of the closest
profile); there is nothing to draw unless that profile matched. The per-window readings are for
display only: the verdict reads the whole track's fakeprint, and a 10 s window's fakeprint is
noisier, so a window below the threshold does not contradict a match.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from . import colours
from .axes import TimeAxisItem
from ..core.vocabulary import profile_label
from .scales import format_time

LANE_MAX_HEIGHT_PX = 62
ROOMY_PX = 24  # under this height the lane shows bars and threshold only
MERGE_HZ = 10.0  # peaks closer than this are one line (the fakeprint's bins are 2 Hz apart)
BELOW = "#5a5a68"  # a window under the profile's threshold: grey, not "no traces" blue


@dataclass(frozen=True)
class ProfileEvidence:
    """What the window draws of a matched profile: its ``name`` (with version), ``threshold_logit``,
    the peak frequencies ``peaks_hz`` (strongest first) and ``windows`` [(start_s, end_s, logit or None)]."""

    name: str
    threshold_logit: float
    peaks_hz: tuple[float, ...]
    windows: tuple[tuple[float, float, Optional[float]], ...]


def profile_evidence(result: Any, *, offset_s: float = 0.0) -> Optional[ProfileEvidence]:
    """The matched (closest) profile's evidence in ``result``, None when no profile matched; times
    shifted by ``-offset_s`` (a case lane's time)."""
    row = result.detector("profiles") if result is not None else None
    if row is None:
        return None
    d = row.details
    closest = d.get("closest")
    if not closest or closest not in (d.get("matched") or ()):
        return None
    facts = next((p for p in d.get("profiles", ()) if p.get("name") == closest), None)
    if facts is None:
        return None
    name = profile_label(closest, str(facts.get("kind", "built-in")))
    peaks: list[float] = []
    for b in d.get("top_bins", ()):  # strongest first; a neighbour bin of a peak drawn already adds nothing
        f = b.get("freq_hz")
        if f is not None and all(abs(float(f) - q) > MERGE_HZ for q in peaks):
            peaks.append(float(f))
    windows = tuple(
        (
            float(w["start_s"]) - offset_s,
            float(w["end_s"]) - offset_s,
            None if w.get("logit") is None else float(w["logit"]),
        )
        for w in d.get("windows", ())
    )
    return ProfileEvidence(name, float(facts["threshold_logit"]), tuple(peaks), windows)


class ProfileLane(pg.PlotItem):
    """One bar per ~10 s window: the profile's logit there minus its threshold (0 = the threshold)."""

    def __init__(self, *, axis_width_px: int):
        super().__init__(axisItems={"bottom": TimeAxisItem()})
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setMouseEnabled(x=True, y=False)
        self.setMaximumHeight(LANE_MAX_HEIGHT_PX)
        left = self.getAxis("left")
        left.setWidth(axis_width_px)
        left.setStyle(hideOverlappingLabels=False)
        self.setLabel("left", "Profile")
        left.setToolTip(
            "A matched generator profile's reading on each ~10 s window, against its threshold "
            "(display only: the verdict reads the whole track)"
        )
        self.setLabel("bottom", "Time (m:ss)")
        self.vb.setDefaultPadding(0.0)
        self.vb.disableAutoRange(axis=pg.ViewBox.YAxis)
        self.threshold_line = pg.InfiniteLine(
            pos=0.0, angle=0, pen=pg.mkPen("#8a8a96", width=1, style=QtCore.Qt.PenStyle.DashLine)
        )
        self.addItem(self.threshold_line, ignoreBounds=True)
        self.caption = pg.TextItem("", color="#c8c8d2", anchor=(0, 0))
        self.caption.setZValue(20)
        self.addItem(self.caption, ignoreBounds=True)
        self.vb.sigRangeChanged.connect(self._place_caption)
        self.vb.sigResized.connect(self._place_caption)  # the caption shows only where the lane has room
        self._bars: Optional[pg.BarGraphItem] = None
        self.evidence: Optional[ProfileEvidence] = None

    def set_evidence(self, ev: ProfileEvidence) -> None:
        self.evidence = ev
        if self._bars is not None:
            self.removeItem(self._bars)
            self._bars = None
        rows = [(a, b, logit - ev.threshold_logit) for a, b, logit in ev.windows if logit is not None]
        self.caption.setText(f"{ev.name}: each window's reading against the profile's threshold (dashed); display only")
        if rows:
            x0, x1, margin = (np.array(c, dtype=np.float64) for c in zip(*rows))
            brushes = [pg.mkBrush(colours.PROFILE_MARK if m >= 0 else BELOW) for m in margin]
            self._bars = pg.BarGraphItem(
                x0=x0,
                x1=x1,
                y0=np.zeros_like(margin),
                y1=margin,
                brushes=brushes,
                pen=pg.mkPen(20, 20, 26, 200, width=1),
            )
            self._bars.setZValue(5)
            self.addItem(self._bars)
            lo, hi = min(float(margin.min()), -1.0), max(float(margin.max()), 1.0)
        else:
            lo, hi = -1.0, 1.0
        pad = 0.45 * (hi - lo)  # room for the caption above the bars
        self.setYRange(lo - 0.1 * (hi - lo), hi + pad, padding=0)
        self.getAxis("left").setTicks([[(0.0, "thr.")]])
        self._place_caption()

    def window_at(self, time_s: float) -> Optional[tuple[float, float, Optional[float]]]:
        ev = self.evidence
        if ev is None:
            return None
        return next((w for w in ev.windows if w[0] <= time_s < w[1]), None)

    def readout_at(self, time_s: float) -> str:
        w = self.window_at(time_s)
        ev = self.evidence
        if w is None or ev is None:
            return format_time(time_s, 0.01)
        where = f"{format_time(time_s, 0.01)}   \u00b7   window {format_time(w[0], 0.1)}\u2013{format_time(w[1], 0.1)}"
        if w[2] is None:
            return f"{where}   \u00b7   {ev.name}: not measured in this window"
        m = w[2] - ev.threshold_logit
        side = "above" if m >= 0 else "below"
        return (
            f"{where}   \u00b7   {ev.name}: logit {w[2]:+.1f}, {abs(m):.1f} {side} its threshold "
            "(display only; the verdict reads the whole track)"
        )

    def _place_caption(self, *args: Any) -> None:
        (x0, _x1), (_y0, y1) = self.vb.viewRange()
        self.caption.setPos(x0, y1)
        # a short lane (a case lane among several) keeps its bars and threshold; the caption and the axis
        # title would run over the lanes above, so they give way (the tooltip and the readout say it all)
        roomy = self.vb.height() >= ROOMY_PX
        self.caption.setVisible(roomy)
        self.getAxis("left").showLabel(roomy)
