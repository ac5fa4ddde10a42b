"""The evidence view: spectrogram with the heatmap overlay, colour bars, the timeline and, when
asked, a waveform lane; annotated regions drawn over the spectrogram.

The plots live in one ``GraphicsLayoutWidget`` so their left axes line up, and the timeline
and the waveform share the spectrogram's time axis (``setXLink``). The track view and every
case lane are this one widget, so they offer the same scales and instruments. Each layer only draws what it is given
(an ``AnalysisResult`` part); value -> colour decisions come from :mod:`.colours`, and how the
mouse and keys move the view from :mod:`.navigation`.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ..core.result import Heatmap, Spectrogram, WindowScore
from ..core.vocabulary import HEAT_LABEL, HEAT_LABEL_SHORT, HEAT_TICKS, share_words
from . import colours
from .axes import FrequencyAxisItem, TimeAxisItem, fit_title
from .navigation import EvidenceViewBox, navigate_by_key
from .profile_lane import ProfileEvidence, ProfileLane
from .scales import FrequencyScale, format_hz, format_time, resample_cols, resample_rows
from .timeline import TimelinePlot
from .waveform_view import WaveformPlot

AXIS_WIDTH_PX = 78
PLOT_BACKGROUND = "#15151a"
NON_LINEAR_ROWS = 768  # rows of the resampled image on log/mel scales
DETAIL_DEBOUNCE_MS = 150  # wait for the wheel/drag to settle before asking for detail
DETAIL_MIN_GAIN = 1.5  # ask only when the overview has < 1/1.5 column per screen pixel


# an annotated region: (text, start_s, end_s, low_hz or None, high_hz or None)
Mark = tuple[str, float, float, Optional[float], Optional[float]]


class AnalysisView(pg.GraphicsLayoutWidget):
    """Spectrogram + heatmap + colour bars on top, per-window timeline below; under it a matched
    profile's lane (row 2) and the waveform lane (row 3) when shown."""

    cursor_moved = QtCore.Signal(str)  # readout text, "" when the cursor leaves the plots
    selection_changed = QtCore.Signal(object)  # (start_s, end_s) or None
    detail_wanted = QtCore.Signal(float, float, int)  # start_s, end_s, columns: overview too coarse here

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None):
        super().__init__(parent)
        self.setBackground(PLOT_BACKGROUND)
        self.setAcceptDrops(False)  # drops go to the main window
        self.viewport().setAcceptDrops(False)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self._scale = FrequencyScale("linear")
        self._spec: Optional[Spectrogram] = None
        self._heatmap: Optional[Heatmap] = None
        self._duration_s = 0.0
        self._db_range = (-100.0, 0.0)
        self._selection: Optional[tuple[float, float]] = None
        self._closed = False
        self.waveform: Optional[WaveformPlot] = None  # the waveform lane, under the timeline (show_waveform)
        self.profile_lane: Optional[ProfileLane] = (
            None  # a matched profile's per-window readings (set_profile_evidence)
        )
        self._profile: Optional[ProfileEvidence] = None
        self.profile_items: list[Any] = []  # its peak frequencies, drawn across the spectrogram
        self._marks: list[Mark] = []
        self.annotation_items: list[Any] = []

        # --- spectrogram plot
        self.freq_axis = FrequencyAxisItem()
        self.freq_axis.setWidth(AXIS_WIDTH_PX)
        self.spec_box = EvidenceViewBox()
        self.spec_plot = pg.PlotItem(
            viewBox=self.spec_box, axisItems={"left": self.freq_axis, "bottom": TimeAxisItem()}
        )
        self.spec_plot.setMenuEnabled(False)
        self.spec_plot.hideButtons()
        self.spec_plot.setLabel("left", "Frequency")
        self.spec_box.setDefaultPadding(0.0)
        self.spec_image = pg.ImageItem(axisOrder="row-major")
        self.spec_image.setAutoDownsample(True)
        # a finer spectrogram of the visible range, computed off-thread when zoomed in
        self.detail_image = pg.ImageItem(axisOrder="row-major")
        self.detail_image.setAutoDownsample(True)
        self.detail_image.setZValue(1)
        self._detail: Optional[Spectrogram] = None
        self._detail_timer = QtCore.QTimer(self)
        self._detail_timer.setSingleShot(True)
        self._detail_timer.setInterval(DETAIL_DEBOUNCE_MS)
        self._detail_timer.timeout.connect(self._check_detail)
        self.heat_image = pg.ImageItem(axisOrder="row-major")
        self.heat_image.setZValue(10)
        self.heat_image.setLookupTable(colours.heat_lut())
        self.heat_image.setLevels((0.0, 1.0))  # fixed: colour means probability, never auto-levels
        self.spec_plot.addItem(self.spec_image)
        self.spec_plot.addItem(self.detail_image)
        self.spec_plot.addItem(self.heat_image)
        self.placeholder = pg.TextItem(
            "Open a track: File \u25b8 Open\u2026, or drop an audio file here", color="#d0d0d8", anchor=(0.5, 0.5)
        )
        self.spec_plot.addItem(self.placeholder)
        self.placeholder.setPos(0.5, 0.5)
        self.spec_box.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)

        # --- colour bars: what the colours mean
        self.heat_bar = pg.ColorBarItem(
            values=(0.0, 1.0),
            colorMap=colours.heat_colormap(),
            label=HEAT_LABEL,
            interactive=False,
            width=14,
            colorMapMenu=False,
        )
        self.heat_bar.axis.setTicks([list(HEAT_TICKS)])
        self.heat_bar.axis.setStyle(hideOverlappingLabels=False)  # the end ticks name the ends of the scale
        self.heat_bar.axis.setWidth(
            54
        )  # ColorBarItem's 45 px drops the "0.01 %" label (pyqtgraph skips labels that overflow)
        self.db_bar = pg.ColorBarItem(
            values=self._db_range,
            colorMap=colours.spectrogram_colormap("magma"),
            label="Level (dBFS)",
            interactive=False,
            width=14,
            colorMapMenu=False,
        )
        self.addItem(self.spec_plot, row=0, col=0)
        self.addItem(self.db_bar, row=0, col=1)
        self.addItem(self.heat_bar, row=0, col=2)
        # a title runs along its axis: a low view gets the shorter ones (the full one is the tooltip)
        fit_title(self.heat_bar.getAxis("left"), (HEAT_LABEL, *HEAT_LABEL_SHORT))
        fit_title(self.db_bar.getAxis("left"), ("Level (dBFS)", "dBFS"))

        # --- timeline
        self.timeline = TimelinePlot(axis_width_px=AXIS_WIDTH_PX)
        self.addItem(self.timeline, row=1, col=0)
        self.timeline.setXLink(self.spec_plot)
        fit_title(self.timeline.getAxis("left"), ("Window evidence", "Windows"))
        self.ci.layout.setRowStretchFactor(0, 5)
        self.ci.layout.setRowStretchFactor(1, 1)
        self.timeline.window_clicked.connect(self._on_window_clicked)

        # --- playhead and selection, mirrored on both plots
        pen = pg.mkPen("#ffffff", width=1.5)
        self.playheads = [pg.InfiniteLine(angle=90, movable=False, pen=pen) for _ in range(2)]
        self.regions = [
            pg.LinearRegionItem(movable=True, brush=pg.mkBrush(255, 255, 255, 40), pen=pg.mkPen("#e0e0e0", width=1))
            for _ in range(2)
        ]
        for plot, line, region in zip((self.spec_plot, self.timeline), self.playheads, self.regions):
            line.setZValue(30)
            region.setZValue(20)
            line.hide()
            region.hide()
            plot.addItem(line, ignoreBounds=True)
            plot.addItem(region, ignoreBounds=True)
            region.sigRegionChanged.connect(self._on_region_moved)
        self.spec_box.sigSelectionDragged.connect(self._on_selection_dragged)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.spec_box.sigXRangeChanged.connect(lambda *_: self._detail_timer.start())
        self.set_colour_map("magma")
        self._show_axis_values(False)

    def _show_axis_values(self, show: bool) -> None:
        for axis in (self.freq_axis, self.spec_plot.getAxis("bottom"), self.timeline.getAxis("bottom")):
            axis.setStyle(showValues=show)
        if self.profile_lane is not None:
            self.profile_lane.getAxis("bottom").setStyle(showValues=show)

    # ------------------------------------------------------------------ data
    def clear_track(self) -> None:
        """Back to the empty state. (Not ``clear``: GraphicsLayoutWidget binds that to its layout.)"""
        self._spec, self._heatmap, self._duration_s = None, None, 0.0
        self.spec_image.clear()
        self.clear_detail()
        self.heat_image.clear()
        self.timeline.set_windows([])
        self.set_annotations([])
        self.set_profile_evidence(None)
        if self.waveform is not None:
            self.waveform.set_overview(None)
        self.clear_selection()
        self.set_playhead(None)
        self.placeholder.show()
        self._show_axis_values(False)
        self.spec_box.setLimits(
            xMin=None, xMax=None, yMin=None, yMax=None, minXRange=None, maxXRange=None, minYRange=None, maxYRange=None
        )
        self.spec_box.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)

    def set_spectrogram(self, spec: Spectrogram, duration_s: float) -> None:
        self._spec = spec
        self._duration_s = float(max(duration_s, spec.time_edges_s[-1]))
        self.placeholder.hide()
        self._show_axis_values(True)
        self._draw_spectrogram()
        self._apply_limits()
        self.reset_zoom()

    def set_overview(self, spec: Spectrogram) -> None:
        """Another whole-track spectrogram of the same track (another FFT size): zoom and pan stay."""
        if self._spec is None:
            return
        view = self.spec_box.viewRange()
        self._spec = spec
        self.clear_detail()  # made with the old frame length
        self._draw_spectrogram()
        self._apply_limits()
        self.spec_box.setRange(xRange=view[0], yRange=view[1], padding=0)
        self._detail_timer.start()

    @property
    def spectrogram(self) -> Optional[Spectrogram]:
        """The whole-track spectrogram drawn now."""
        return self._spec

    def set_heatmap(self, heatmap: Optional[Heatmap]) -> None:
        self._heatmap = heatmap
        self._draw_heatmap()

    def set_windows(self, windows: list[WindowScore]) -> None:
        self.timeline.set_windows(windows)

    @property
    def heatmap(self) -> Optional[Heatmap]:
        return self._heatmap

    # ------------------------------------------------------------------ appearance
    def set_freq_scale(self, name: str) -> None:
        self._scale = FrequencyScale(name)
        self.freq_axis.set_scale(self._scale)
        self._draw_spectrogram()
        self._draw_detail()
        self._draw_heatmap()
        self._apply_limits()
        if self._spec is not None:
            self.spec_box.setYRange(*self._freq_units_range(), padding=0)
        self._draw_annotations()
        self._draw_profile_peaks()

    @property
    def freq_scale(self) -> FrequencyScale:
        return self._scale

    # ------------------------------------------------------------------ waveform lane
    def show_waveform(self, on: bool) -> Optional[WaveformPlot]:
        """Add (or remove) the waveform lane under the timeline, on the same time axis; the owner
        gives it its envelopes. Returns the lane (None when removed)."""
        if on and self.waveform is None:
            self.waveform = WaveformPlot(axis_width_px=AXIS_WIDTH_PX)
            self.addItem(self.waveform, row=3, col=0)
            self.waveform.link_x(self.spec_plot)
            self.ci.layout.setRowStretchFactor(3, 2)
        elif not on and self.waveform is not None:
            self.removeItem(self.waveform)
            self.waveform = None
            self.ci.layout.setRowStretchFactor(3, 0)
        self._place_time_axis()
        return self.waveform

    def _place_time_axis(self) -> None:
        """The time axis under the lowest lane only (timeline, profile lane, waveform)."""
        lanes = [lane for lane in (self.timeline, self.profile_lane, self.waveform) if lane is not None]
        for lane in lanes[:-1]:
            lane.hideAxis("bottom")
        lanes[-1].showAxis("bottom")

    # ------------------------------------------------------------------ a matched generator profile
    def set_profile_evidence(self, ev: Optional[ProfileEvidence]) -> None:
        """Draw a matched profile's peak frequencies across the spectrogram (thin dashed lines) and its
        per-window readings in a lane under the timeline; None removes both."""
        self._profile = ev
        windows = ev is not None and any(w[2] is not None for w in ev.windows)
        if windows and self.profile_lane is None:
            self.profile_lane = ProfileLane(axis_width_px=AXIS_WIDTH_PX)
            self.addItem(self.profile_lane, row=2, col=0)
            self.profile_lane.setXLink(self.spec_plot)
            self.ci.layout.setRowStretchFactor(2, 1)
            fit_title(self.profile_lane.getAxis("left"), ("Profile", "Prof."))
            self.profile_lane.getAxis("left").setStyle(showValues=self._spec is not None)
        elif not windows and self.profile_lane is not None:
            self.removeItem(self.profile_lane)
            self.profile_lane = None
            self.ci.layout.setRowStretchFactor(2, 0)
        if self.profile_lane is not None:
            self.profile_lane.set_evidence(ev)
            self.profile_lane.vb.setLimits(xMin=0.0, xMax=self._duration_s or None)
        self._place_time_axis()
        self._draw_profile_peaks()

    @property
    def profile_evidence(self) -> Optional[ProfileEvidence]:
        return self._profile

    def _draw_profile_peaks(self) -> None:
        for item in self.profile_items:
            self.spec_plot.removeItem(item)
        self.profile_items = []
        ev = self._profile
        if ev is None or not ev.peaks_hz:
            return
        pen = pg.mkPen(colours.PROFILE_MARK, width=1, style=QtCore.Qt.PenStyle.DashLine)
        top = max(ev.peaks_hz)
        for f in ev.peaks_hz:
            label = f"{ev.name} peaks" if f == top else None
            line = pg.InfiniteLine(
                pos=float(self._scale.to_units(f)),
                angle=0,
                movable=False,
                pen=pen,
                label=label,
                labelOpts={
                    "position": 0.99,
                    "color": colours.PROFILE_MARK,
                    "anchors": [(1, 1), (1, 1)],
                    "fill": pg.mkBrush(20, 20, 26, 170),
                },
            )
            line.setZValue(12)  # over the heatmap, under selection and annotations
            line.setToolTip(
                f"{format_hz(f, 0.1)}: one of the frequencies that weigh most for the {ev.name} "
                "generator profile, which this track matches"
            )
            self.spec_plot.addItem(line, ignoreBounds=True)
            self.profile_items.append(line)

    def profile_peak_near(self, freq_hz: float, tolerance_hz: float) -> Optional[float]:
        """The drawn profile peak within ``tolerance_hz`` of ``freq_hz`` (the readout names it), or None."""
        ev = self._profile
        if ev is None or not ev.peaks_hz:
            return None
        f = min(ev.peaks_hz, key=lambda p: abs(p - freq_hz))
        return f if abs(f - freq_hz) <= tolerance_hz else None

    # ------------------------------------------------------------------ annotations
    def set_annotations(self, marks: list[Mark]) -> None:
        """Draw (text, start_s, end_s, low_hz, high_hz) regions: the time range shaded with its note
        at the top and, with a band (``low_hz`` and ``high_hz`` not None), a box around that band
        on whatever frequency scale is shown."""
        self._marks = list(marks)
        self._draw_annotations()

    def _draw_annotations(self) -> None:
        for item in self.annotation_items:
            self.spec_plot.removeItem(item)
        self.annotation_items = []
        top_u = self._freq_units_range()[1]
        for text, a, b, lo, hi in self._marks:
            region = pg.LinearRegionItem(
                (a, b),
                movable=False,
                brush=pg.mkBrush(colours.ANNOTATION + "1c"),
                pen=pg.mkPen(colours.ANNOTATION, width=1),
            )
            region.setZValue(15)
            label = pg.TextItem(text, color=colours.ANNOTATION_TEXT, anchor=(0, 0), fill=pg.mkBrush(20, 30, 40, 170))
            label.setZValue(16)
            label.setPos(a, top_u)
            items: list[Any] = [region, label]
            if lo is not None and hi is not None:
                lo_u, hi_u = (float(self._scale.to_units(f)) for f in (lo, hi))
                box = QtWidgets.QGraphicsRectItem(a, lo_u, b - a, hi_u - lo_u)
                box.setPen(pg.mkPen(colours.ANNOTATION, width=1.5))
                box.setZValue(16)
                items.append(box)
            for item in items:
                self.spec_plot.addItem(item, ignoreBounds=True)
            self.annotation_items += items

    def set_colour_map(self, name: str) -> None:
        self.spec_image.setLookupTable(colours.spectrogram_lut(name))
        self.detail_image.setLookupTable(colours.spectrogram_lut(name))
        self.db_bar.setColorMap(colours.spectrogram_colormap(name))

    def set_db_range(self, floor_db: float, ceiling_db: float) -> None:
        self._db_range = (float(floor_db), float(ceiling_db))
        self.spec_image.setLevels(self._db_range)
        self.detail_image.setLevels(self._db_range)
        self.db_bar.setLevels(self._db_range)

    def set_overlay_opacity(self, opacity: float) -> None:
        self.heat_image.setOpacity(float(opacity))

    def set_overlay_visible(self, visible: bool) -> None:
        self.heat_image.setVisible(bool(visible))
        self.heat_bar.setVisible(bool(visible))

    def _freq_units_range(self) -> tuple[float, float]:
        if self._spec is None:
            return (0.0, 1.0)
        return self._scale.unit_range(float(self._spec.freq_edges_hz[0]), float(self._spec.freq_edges_hz[-1]))

    def _place_spectrogram(self, item: pg.ImageItem, spec: Spectrogram) -> None:
        rows, lo_u, hi_u = resample_rows(spec.db, spec.freq_edges_hz, self._scale, NON_LINEAR_ROWS)
        img, t0, t1 = resample_cols(rows, spec.time_edges_s)
        item.setImage(np.ascontiguousarray(img, dtype=np.float32), autoLevels=False, levels=self._db_range)
        item.setRect(QtCore.QRectF(t0, lo_u, t1 - t0, hi_u - lo_u))

    def _draw_spectrogram(self) -> None:
        if self._spec is not None:
            self._place_spectrogram(self.spec_image, self._spec)

    def _draw_detail(self) -> None:
        if self._detail is not None:
            self._place_spectrogram(self.detail_image, self._detail)

    # ------------------------------------------------------------------ detail on zoom
    def set_detail(self, spec: Spectrogram) -> None:
        """Show a finer spectrogram of part of the track over the overview."""
        if self._spec is None:
            return
        self._detail = spec
        self._draw_detail()
        self.detail_image.show()

    def clear_detail(self) -> None:
        self._detail = None
        self.detail_image.clear()
        self.detail_image.hide()

    def detail_range(self) -> Optional[tuple[float, float]]:
        if self._detail is None:
            return None
        return float(self._detail.time_edges_s[0]), float(self._detail.time_edges_s[-1])

    def close(self) -> bool:
        # pyqtgraph's close() deletes the scene items; stop timers that would touch them
        self._closed = True
        self._detail_timer.stop()
        return super().close()

    def _check_detail(self) -> None:
        """Ask for detail when the overview is coarser than the screen over the visible range."""
        if self._spec is None or self._closed:
            return
        x0, x1 = self.time_range()
        x0, x1 = max(0.0, x0), min(self._duration_s, x1)
        width_px = max(1, int(self.spec_box.width()))
        col_s = (self._spec.time_edges_s[-1] - self._spec.time_edges_s[0]) / max(1, self._spec.db.shape[1])
        if x1 <= x0 or (x1 - x0) / col_s * DETAIL_MIN_GAIN >= width_px:
            self.clear_detail()  # zoomed out: the overview is enough
            return
        have = self.detail_range()
        if have is not None and have[0] <= x0 and x1 <= have[1]:
            d = self._detail
            d_col_s = (d.time_edges_s[-1] - d.time_edges_s[0]) / max(1, d.db.shape[1])
            if (x1 - x0) / d_col_s >= width_px / 2:
                return  # what we have is fine enough for this view
        span = x1 - x0  # one view of margin each side so small pans need nothing new
        self.detail_wanted.emit(max(0.0, x0 - span), min(self._duration_s, x1 + span), 3 * width_px)

    def _draw_heatmap(self) -> None:
        hm = self._heatmap
        if hm is None or hm.real_share.size == 0:
            self.heat_image.clear()
            return
        rows, lo_u, hi_u = resample_rows(hm.strength, hm.freq_edges_hz, self._scale, NON_LINEAR_ROWS)
        img, t0, t1 = resample_cols(rows, hm.time_edges_s)
        self.heat_image.setImage(np.ascontiguousarray(img, dtype=np.float32), autoLevels=False, levels=(0.0, 1.0))
        self.heat_image.setRect(QtCore.QRectF(t0, lo_u, t1 - t0, hi_u - lo_u))

    def _apply_limits(self) -> None:
        if self._spec is None:
            return
        lo_u, hi_u = self._freq_units_range()
        span_u = hi_u - lo_u
        self.spec_box.setLimits(
            xMin=0.0,
            xMax=self._duration_s,
            yMin=lo_u,
            yMax=hi_u,
            minXRange=min(0.05, self._duration_s),
            maxXRange=self._duration_s,
            minYRange=span_u / 200.0,
            maxYRange=span_u,
        )
        self.timeline.set_time_limits(self._duration_s)

    # ------------------------------------------------------------------ navigation
    def reset_zoom(self) -> None:
        if self._spec is None:
            return
        self.spec_box.setRange(xRange=(0.0, self._duration_s), yRange=self._freq_units_range(), padding=0)

    def zoom_time(self, factor: float) -> None:
        """factor < 1 zooms in, about the centre of the view."""
        (x0, x1), _ = self.spec_box.viewRange()
        c, half = (x0 + x1) / 2, (x1 - x0) * factor / 2
        self.spec_box.setXRange(c - half, c + half, padding=0)

    def zoom_freq(self, factor: float) -> None:
        _, (y0, y1) = self.spec_box.viewRange()
        c, half = (y0 + y1) / 2, (y1 - y0) * factor / 2
        self.spec_box.setYRange(c - half, c + half, padding=0)

    def pan_time(self, fraction: float) -> None:
        (x0, x1), _ = self.spec_box.viewRange()
        d = (x1 - x0) * fraction
        self.spec_box.setXRange(x0 + d, x1 + d, padding=0)

    def pan_freq(self, fraction: float) -> None:
        _, (y0, y1) = self.spec_box.viewRange()
        d = (y1 - y0) * fraction
        self.spec_box.setYRange(y0 + d, y1 + d, padding=0)

    def time_range(self) -> tuple[float, float]:
        return tuple(self.spec_box.viewRange()[0])

    # ------------------------------------------------------------------ playhead / selection
    def set_playhead(self, time_s: Optional[float]) -> None:
        for line in self.playheads:
            if time_s is None:
                line.hide()
            else:
                line.setValue(float(time_s))
                line.show()

    def selection(self) -> Optional[tuple[float, float]]:
        return self._selection

    def set_selection(self, start_s: float, end_s: float) -> None:
        start_s, end_s = sorted((max(0.0, float(start_s)), min(float(end_s), self._duration_s or float(end_s))))
        if end_s - start_s <= 1e-6:
            self.clear_selection()
            return
        self._selection = (start_s, end_s)
        for region in self.regions:
            region.blockSignals(True)
            region.setRegion(self._selection)
            region.show()
            region.blockSignals(False)
        self.selection_changed.emit(self._selection)

    def clear_selection(self) -> None:
        self._selection = None
        for region in self.regions:
            region.hide()
        self.selection_changed.emit(None)

    def _on_region_moved(self, region: pg.LinearRegionItem) -> None:
        a, b = region.getRegion()
        self.set_selection(a, b)

    def _on_selection_dragged(self, start_s: float, end_s: float, finished: bool) -> None:
        self.set_selection(start_s, end_s)

    def _on_window_clicked(self, start_s: float, end_s: float) -> None:
        self.set_selection(start_s, end_s)

    # ------------------------------------------------------------------ cursor readout
    def readout_at(self, time_s: float, freq_hz: float) -> str:
        """Time, frequency, level and how unusual the heatmap patch is for real music, in words and units."""
        parts = [format_time(time_s, 0.01), format_hz(freq_hz, 1.0 if freq_hz < 1000 else 10.0)]
        spec = self._spec
        have = self.detail_range()
        if have is not None and have[0] <= time_s < have[1]:
            spec = self._detail
        if spec is not None:
            j = int(np.searchsorted(spec.time_edges_s, time_s, side="right")) - 1
            i = int(np.searchsorted(spec.freq_edges_hz, freq_hz, side="right")) - 1
            if 0 <= i < spec.db.shape[0] and 0 <= j < spec.db.shape[1]:
                parts.append(f"{float(spec.db[i, j]):.1f} dBFS")
        if self._heatmap is not None:
            share = self._heatmap.value_at(time_s, freq_hz)
            parts.append("heatmap: outside analysed area" if share is None else f"patch {share_words(share)}")
        (_y0, _y1) = self.spec_box.viewRange()[1]
        span_hz = abs(float(self._scale.to_hz(_y1)) - float(self._scale.to_hz(_y0)))
        peak = self.profile_peak_near(freq_hz, max(5.0, span_hz / 150))
        if peak is not None and self._profile is not None:
            parts.append(f"{self._profile.name} peak at {format_hz(peak, 0.1)}")
        return "   \u00b7   ".join(parts)

    def _on_mouse_moved(self, scene_pos: QtCore.QPointF) -> None:
        if self._spec is None:
            return
        if self.spec_plot.sceneBoundingRect().contains(scene_pos) and self.spec_box.sceneBoundingRect().contains(
            scene_pos
        ):
            p = self.spec_box.mapSceneToView(scene_pos)
            freq_hz = float(self._scale.to_hz(p.y()))
            self.cursor_moved.emit(self.readout_at(p.x(), freq_hz))
        elif self.timeline.vb.sceneBoundingRect().contains(scene_pos):
            t = self.timeline.vb.mapSceneToView(scene_pos).x()
            self.cursor_moved.emit(self.timeline.readout_at(t))
        elif self.profile_lane is not None and self.profile_lane.vb.sceneBoundingRect().contains(scene_pos):
            self.cursor_moved.emit(self.profile_lane.readout_at(self.profile_lane.vb.mapSceneToView(scene_pos).x()))
        elif self.waveform is not None and self.waveform.vb.sceneBoundingRect().contains(scene_pos):
            self.cursor_moved.emit(self.waveform.readout_at(self.waveform.vb.mapSceneToView(scene_pos).x()))
        else:
            self.cursor_moved.emit("")

    # ------------------------------------------------------------------ keyboard
    def keyPressEvent(self, ev: QtGui.QKeyEvent) -> None:
        if navigate_by_key(self, ev.key(), ev.modifiers()):
            ev.accept()
        else:
            super().keyPressEvent(ev)
