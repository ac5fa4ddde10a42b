"""The waveform lane: per-channel min/max band with the RMS band inside, under a shared time axis.

It only draws the :class:`~forensic_app.core.waveform.WaveformEnvelope` it is given: an
overview of the whole file (``set_overview``) and, when zoomed in, a finer envelope of part
of it (``set_detail``), which replaces the overview over its time range. It says when its
visible range changed (``x_range_changed``, debounced) and how many columns it would like
there (``detail_columns``); reading the audio is the owner's job, off the GUI thread.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from ..core.waveform import WaveformEnvelope
from . import colours
from .axes import TimeAxisItem, fit_title
from .scales import format_time

CHANNEL_PITCH = 2.2  # vertical distance between stacked channels (each spans -1..1)
DEBOUNCE_MS = 150  # wait for the wheel/drag to settle before saying the range changed
DETAIL_MIN_GAIN = 1.5  # ask for detail only when it would bring 1.5x the columns drawn now
SILENT_DB = -120.0


def channel_names(channels: int) -> list[str]:
    if channels == 1:
        return ["mono"]
    if channels == 2:
        return ["L", "R"]
    return [f"ch {c + 1}" for c in range(channels)]


def _db(amplitude: float) -> str:
    return "silent" if amplitude <= 10 ** (SILENT_DB / 20) else f"{20 * np.log10(amplitude):.1f} dBFS"


def _steps(edges: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column values as a staircase: (n+1,) edges and (n,) values -> (2n,) x and y."""
    return np.repeat(edges, 2)[1:-1], np.repeat(values, 2)


def splice(overview: Optional[WaveformEnvelope], detail: Optional[WaveformEnvelope]):
    """The columns to draw: the overview with ``detail`` in place of its time range.

    Returns ``(edges_s (n+1,), minimum, maximum, rms (channels, n))`` or None when there is
    nothing to draw. Overview columns cut by the detail's ends keep their values.
    """
    if overview is None and detail is None:
        return None
    base = overview if overview is not None else detail
    parts = [base.time_edges_s, base.minimum, base.maximum, base.rms]
    if overview is None or detail is None or detail.channels != overview.channels:
        return tuple(np.asarray(p) for p in parts)
    e = overview.time_edges_s
    a = int(np.searchsorted(e[:-1], detail.start_s, side="left"))  # columns starting before the detail
    b = int(np.searchsorted(e[1:], detail.end_s, side="right"))  # first column ending after it
    edges = np.concatenate([e[:a], detail.time_edges_s, e[b + 1 :]])
    cols = [
        np.concatenate([v[:, :a], d, v[:, b:]], axis=1)
        for v, d in ((overview.minimum, detail.minimum), (overview.maximum, detail.maximum), (overview.rms, detail.rms))
    ]
    return (edges, *cols)


class _ChannelBands:
    """The items that draw one channel: zero line, min/max band, RMS band (outlined, so a
    one-column click stays visible when the band is narrower than a pixel)."""

    def __init__(self, plot: pg.PlotItem, offset: float):
        self.offset = offset
        self.zero = pg.InfiniteLine(pos=offset, angle=0, pen=pg.mkPen(colours.WAVEFORM_AXIS, width=1))
        plot.addItem(self.zero, ignoreBounds=True)
        self.curves = []
        for z, colour in ((1, colours.WAVEFORM_PEAK), (3, colours.WAVEFORM_RMS)):
            hi, lo = (pg.PlotCurveItem(pen=pg.mkPen(colour, width=1)) for _ in range(2))
            fill = pg.FillBetweenItem(hi, lo, brush=pg.mkBrush(colour))
            for item, dz in ((fill, 0), (hi, 0.5), (lo, 0.5)):
                item.setZValue(z + dz)
                plot.addItem(item)
            self.curves.append((hi, lo, fill))

    def draw(self, edges, minimum, maximum, rms) -> None:
        rms_hi = np.minimum(rms, maximum)
        rms_lo = np.maximum(-rms, minimum)
        for (hi, lo, _), (top, bottom) in zip(self.curves, ((maximum, minimum), (rms_hi, rms_lo))):
            x, y = _steps(edges, np.clip(top, -1.05, 1.05))
            hi.setData(x, y + self.offset)
            x, y = _steps(edges, np.clip(bottom, -1.05, 1.05))
            lo.setData(x, y + self.offset)

    def remove(self, plot: pg.PlotItem) -> None:
        plot.removeItem(self.zero)
        for triple in self.curves:
            for item in triple:
                plot.removeItem(item)


class WaveformPlot(pg.PlotItem):
    """A waveform lane: channels stacked top to bottom (L above R), amplitudes in full scale.

    Put it in the same ``GraphicsLayoutWidget`` as the spectrogram so the left axes line up,
    and ``link_x`` it to the spectrogram's plot. Signals: ``x_range_changed(start_s, end_s)``
    after the visible time range settles (clipped to the file).
    """

    x_range_changed = QtCore.Signal(float, float)

    def __init__(self, *, axis_width_px: int = 78, debounce_ms: int = DEBOUNCE_MS):
        super().__init__(axisItems={"bottom": TimeAxisItem()})
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setMouseEnabled(x=True, y=False)
        self.getAxis("left").setWidth(axis_width_px)
        self.getAxis("left").setStyle(hideOverlappingLabels=False)
        self.setLabel("left", "Waveform")
        fit_title(self.getAxis("left"), ("Waveform", "Wave"))
        self.setLabel("bottom", "Time (m:ss)")
        self.vb.setDefaultPadding(0.0)
        self._overview: Optional[WaveformEnvelope] = None
        self._detail: Optional[WaveformEnvelope] = None
        self._drawn = None
        self._bands: list[_ChannelBands] = []
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(colours.PLAYHEAD, width=1.5))
        self.cursor.setZValue(30)
        self.cursor.hide()
        self.addItem(self.cursor, ignoreBounds=True)
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self._emit_range)
        self.vb.sigXRangeChanged.connect(lambda *_: self._timer.start())
        self._set_channels(1)

    # ------------------------------------------------------------------ data
    def set_overview(self, envelope: Optional[WaveformEnvelope]) -> None:
        """The whole file's envelope (None: empty lane); drops any detail and shows the whole file."""
        self._overview, self._detail = envelope, None
        if envelope is not None:
            self._set_channels(envelope.channels)
            self.vb.setLimits(xMin=0.0, xMax=envelope.end_s, minXRange=min(0.01, envelope.end_s))
            self.setXRange(0.0, envelope.end_s, padding=0)
        self._redraw()

    def set_detail(self, envelope: Optional[WaveformEnvelope]) -> None:
        """A finer envelope of part of the file, drawn in place of the overview over its range."""
        self._detail = envelope
        if envelope is not None and self._overview is None:
            self._set_channels(envelope.channels)
        self._redraw()

    def clear_detail(self) -> None:
        self.set_detail(None)

    @property
    def overview(self) -> Optional[WaveformEnvelope]:
        return self._overview

    @property
    def detail(self) -> Optional[WaveformEnvelope]:
        return self._detail

    # ------------------------------------------------------------------ view
    def set_cursor(self, t_s: Optional[float]) -> None:
        """Show the playhead/cursor line at ``t_s`` seconds (None hides it)."""
        if t_s is None:
            self.cursor.hide()
            return
        self.cursor.setValue(float(t_s))
        self.cursor.show()

    def cursor_s(self) -> Optional[float]:
        return float(self.cursor.value()) if self.cursor.isVisible() else None

    def link_x(self, view_box) -> None:
        """Share the time axis with another ViewBox or PlotItem (zoom and pan move both)."""
        self.setXLink(view_box)

    def time_range(self) -> tuple[float, float]:
        x0, x1 = self.vb.viewRange()[0]
        end = self._overview.end_s if self._overview is not None else x1
        return max(0.0, float(x0)), min(float(end), float(x1))

    def detail_columns(self, start_s: float, end_s: float) -> int:
        """Columns worth asking ``envelope_from_reader`` for over this range; 0 when what is drawn suffices.

        Asks for two columns per screen pixel (never more than the range has frames) when
        that is at least 1.5x the columns drawn there now.
        """
        if self._drawn is None or end_s <= start_s:
            return 0
        edges = self._drawn[0]
        drawn = int(np.searchsorted(edges, end_s, side="left") - np.searchsorted(edges, start_s, side="right") + 1)
        rate = (self._overview or self._detail).rate
        wanted = int(min(2 * max(1, int(self.vb.width())), round((end_s - start_s) * rate)))
        return wanted if wanted > DETAIL_MIN_GAIN * drawn else 0

    def readout_at(self, t_s: float) -> str:
        """'0:12.34 · L peak -3.1 dBFS, RMS -14.2 dBFS · R ...' for the column under ``t_s``."""
        parts = [format_time(t_s, 0.01)]
        if self._drawn is not None:
            edges, mins, maxs, rms = self._drawn
            k = int(np.searchsorted(edges, t_s, side="right")) - 1
            if 0 <= k < mins.shape[1]:
                for name, lo, hi, r in zip(channel_names(mins.shape[0]), mins[:, k], maxs[:, k], rms[:, k]):
                    parts.append(f"{name} peak {_db(max(abs(float(lo)), abs(float(hi))))}, RMS {_db(float(r))}")
        return "   \u00b7   ".join(parts)

    # ------------------------------------------------------------------ drawing
    def _set_channels(self, channels: int) -> None:
        if len(self._bands) == channels:
            return
        for band in self._bands:
            band.remove(self)
        offsets = [-CHANNEL_PITCH * c for c in range(channels)]
        self._bands = [_ChannelBands(self, off) for off in offsets]
        self.getAxis("left").setTicks([list(zip(offsets, channel_names(channels))), []])
        self.vb.setLimits(yMin=offsets[-1] - 1.1, yMax=1.1)
        self.setYRange(offsets[-1] - 1.05, 1.05, padding=0)

    def _redraw(self) -> None:
        self._drawn = splice(self._overview, self._detail)
        empty = np.zeros((len(self._bands), 0), np.float32)
        edges, mins, maxs, rms = self._drawn if self._drawn is not None else (np.zeros(1), empty, empty, empty)
        for c, band in enumerate(self._bands):
            band.draw(edges, mins[c], maxs[c], rms[c])

    def _emit_range(self) -> None:
        if self._drawn is not None:
            self.x_range_changed.emit(*self.time_range())
