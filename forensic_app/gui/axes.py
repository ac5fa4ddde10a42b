"""Axis items that speak the user's units: m:ss for time, Hz/kHz for frequency on any scale."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui

from .scales import FrequencyScale, format_hz, format_time, nice_hz_ticks

TITLE_GAP_PX = 6  # room a title leaves at each end, so the titles of stacked lanes never run together


def fit_title(axis: pg.AxisItem, titles: Sequence[str]) -> None:
    """Title the vertical ``axis`` with the first of ``titles`` (longest first) that fits along it, now and
    whenever the axis is resized; the first, in full, is the axis's tooltip.

    pyqtgraph centres a title on its axis whatever its length: a title longer than the axis runs past its
    ends, over the title of the plot above or out of the view. A title must also leave ``TITLE_GAP_PX``
    at each end, so the titles of lanes stacked one above the other never read as one word. The last
    title is kept when none fits.
    """
    titles = tuple(titles)
    axis.setToolTip(titles[0])

    def refit() -> None:
        if axis.label is None:  # closed
            return
        room = axis.size().height()
        metrics = QtGui.QFontMetricsF(axis.label.font())
        margin = 2 * axis.label.document().documentMargin()
        # pyqtgraph draws "text (units)": with no units, the text and a space
        choice = next(
            (t for t in titles if metrics.horizontalAdvance(t + " ") + margin + 2 * TITLE_GAP_PX <= room), titles[-1]
        )
        if choice != axis.labelText:
            axis.setLabel(choice)
            axis.resizeEvent()  # centres the new title (setLabel alone leaves it where the old one was)

    axis.geometryChanged.connect(refit)
    refit()


_TIME_STEPS_S = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1200, 3600)


class TimeAxisItem(pg.AxisItem):
    """Bottom axis in m:ss with steps that make sense on a clock (15 s, 30 s, 1 min...)."""

    def __init__(self, *args, **kwargs):
        super().__init__("bottom", *args, **kwargs)

    def tickValues(self, minVal, maxVal, size):
        span = maxVal - minVal
        if span <= 0 or size <= 0:
            return []
        max_major = max(2, int(size / 70))  # a label like 12:34.5 needs ~70 px
        major = next((s for s in _TIME_STEPS_S if span / s <= max_major), _TIME_STEPS_S[-1])
        minor_candidates = [s for s in _TIME_STEPS_S if s < major and (major / s) in (2, 3, 4, 5, 6, 10)]
        minor = minor_candidates[-1] if minor_candidates else None
        first = np.ceil(minVal / major) * major
        levels = [(major, list(np.arange(first, maxVal + major * 1e-6, major)))]
        if minor is not None and span / minor <= size / 8:
            first_m = np.ceil(minVal / minor) * minor
            ticks = [
                t for t in np.arange(first_m, maxVal + minor * 1e-6, minor) if abs(t / major - round(t / major)) > 1e-6
            ]
            levels.append((minor, ticks))
        return levels

    def tickStrings(self, values, scale, spacing):
        return [format_time(v, spacing) if v >= -1e-9 else "" for v in values]


class FrequencyAxisItem(pg.AxisItem):
    """An axis labelled in Hz / kHz (left by default); positions are in scale units (see ``scales``)."""

    def __init__(self, *args, orientation: str = "left", **kwargs):
        super().__init__(orientation, *args, **kwargs)
        self.scale_ = FrequencyScale("linear")
        # room one label needs along the axis: its height on a vertical axis, its width ("12.5 kHz") across
        self._label_px = (28, 45) if orientation in ("left", "right") else (64, 70)

    def set_scale(self, scale: FrequencyScale) -> None:
        self.scale_ = scale
        self.picture = None
        self.update()

    def tickValues(self, minVal, maxVal, size):
        if self.scale_.name == "linear":
            levels = super().tickValues(minVal, maxVal, size)
            # pyqtgraph labels minor ticks too when there is room: 22 labels at 1 kHz steps
            # is noise, so keep the minor level only while labels keep their room
            max_labels = max(2, int(size / self._label_px[1]))
            kept, count = [], 0
            for spacing, values in levels:
                count += len(values)
                if kept and count > max_labels:
                    break
                kept.append((spacing, values))
            return kept
        lo_hz, hi_hz = (float(x) for x in self.scale_.to_hz([minVal, maxVal]))
        ticks_hz = nice_hz_ticks(self.scale_, lo_hz, hi_hz, max(2, int(size / self._label_px[0])))
        return [(1.0, [float(self.scale_.to_units(f)) for f in ticks_hz])]

    def tickStrings(self, values, scale, spacing):
        if self.scale_.name == "linear":
            return [format_hz(v, spacing) if v >= -1e-6 else "" for v in values]
        hz = self.scale_.to_hz(np.asarray(values, dtype=np.float64))
        return [format_hz(round(float(f), 3)) for f in hz]
