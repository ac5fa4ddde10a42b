"""The spectrum at the cursor: level (dBFS) against frequency, with the comb's lines marked.

It draws one :class:`~forensic_app.core.spectrum.Spectrum` (computed by the owner, off the
GUI thread, with ``core.spectrum.spectrum_at``). Frequency runs linear or log (the checkbox);
hovering reads out "f Hz: L dBFS" of the highest bin within a few pixels of the mouse.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ..core.spectrum import Spectrum, peak_lines
from . import colours
from .axes import FrequencyAxisItem
from .scales import FrequencyScale, format_hz, format_time

SNAP_PX = 4  # the readout takes the highest bin this close to the mouse, so a peak is easy to hit
COMB_COLOUR = colours.probability_hex(0.9)  # as the verdict panel marks a comb's lines
EMPTY_TITLE = "Spectrum at the cursor"


class SpectrumPlot(QtWidgets.QWidget):
    """A small spectrum plot with a log-frequency switch and a hover readout.

    Signals: ``hovered(text)``, the readout under the mouse ("" when it leaves the plot).
    """

    hovered = QtCore.Signal(str)

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None):
        super().__init__(parent)
        self._spectrum: Optional[Spectrum] = None
        self._comb_f0_hz: Optional[float] = None
        self._comb_freqs = self._comb_levels = np.zeros(0)
        self._scale = FrequencyScale("linear")
        self._db_range = (-120.0, 0.0)

        self.freq_axis = FrequencyAxisItem(orientation="bottom")
        self.plot = pg.PlotWidget(background=colours.PLOT_BACKGROUND, axisItems={"bottom": self.freq_axis})
        pi = self.plot.getPlotItem()
        pi.setMenuEnabled(False)
        pi.hideButtons()
        pi.setMouseEnabled(x=True, y=False)
        pi.setLabel("left", "Level (dBFS)")
        pi.getAxis("left").setTickSpacing(20, 10)  # dB in 20s: -20, -40 ... as a level meter reads
        pi.setLabel("bottom", "Frequency")
        pi.showGrid(x=False, y=True, alpha=0.15)
        pi.vb.setDefaultPadding(0.0)
        self.curve = pi.plot(pen=pg.mkPen(colours.SPECTRUM_LINE, width=1))
        self.curve.setDownsampling(auto=True, method="peak")
        self.curve.setClipToView(True)
        faint = pg.mkColor(COMB_COLOUR)
        faint.setAlpha(110)
        comb_pen = pg.mkPen(faint, width=1, style=QtCore.Qt.PenStyle.DashLine)
        self.comb_lines = pg.PlotCurveItem(pen=comb_pen, connect="pairs")
        self.comb_marks = pg.ScatterPlotItem(size=6, pen=None, brush=pg.mkBrush(COMB_COLOUR))
        for item, z in ((self.comb_lines, -1), (self.comb_marks, 5)):
            item.setZValue(z)
            pi.addItem(item, ignoreBounds=True)

        self.log_box = QtWidgets.QCheckBox("Log frequency")
        self.log_box.setToolTip("Frequency axis on a log scale (from 20 Hz), as musical pitch is heard")
        self.log_box.toggled.connect(self.set_log_frequency)
        self.readout = QtWidgets.QLabel("")
        self.readout.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        self.readout.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(4, 0, 4, 0)
        row.addWidget(self.log_box)
        row.addWidget(self.readout, 1)  # takes the rest of the row, so a long readout is never cut
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.plot, 1)
        lay.addLayout(row)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.set_db_range(*self._db_range)
        self.clear()

    # ------------------------------------------------------------------ data
    def set_spectrum(self, spectrum: Spectrum, time_s: float, comb_f0_hz: Optional[float] = None, *,
                     comb_max_hz: Optional[float] = None) -> None:
        """Show ``spectrum``, titled with the time it was taken at; with ``comb_f0_hz``, faint
        dashed lines at k x f0 up to ``comb_max_hz`` (default Nyquist) and a dot where each
        line meets the spectrum."""
        self._spectrum = spectrum
        self._comb_f0_hz = comb_f0_hz
        self.plot.getPlotItem().setTitle(f"Spectrum at {format_time(time_s, 0.1)}", color=colours.SPECTRUM_LINE,
                                         size="10pt")
        self.plot.setToolTip(
            f"Average of {spectrum.n_averaged} Hann-windowed frames of {spectrum.n_fft} samples (50 % overlap) "
            f"over {format_time(spectrum.start_s, 0.01)}\u2013{format_time(spectrum.end_s, 0.01)}; bins "
            f"{spectrum.bin_hz:.2f} Hz apart. 0 dBFS is a full-scale sine."
            + (f" Dashed: multiples of {format_hz(comb_f0_hz, 1.0)} (the comb)." if comb_f0_hz else ""))
        self._comb_freqs, self._comb_levels = (peak_lines(spectrum, comb_f0_hz, comb_max_hz) if comb_f0_hz
                                               else (np.zeros(0), np.zeros(0)))
        self._draw()

    def clear(self) -> None:
        self._spectrum, self._comb_f0_hz = None, None
        self._comb_freqs = self._comb_levels = np.zeros(0)
        self.curve.setData([], [])
        self.comb_lines.setData([], [])
        self.comb_marks.setData([], [])
        self.plot.getPlotItem().setTitle(EMPTY_TITLE, color=colours.SPECTRUM_LINE, size="10pt")
        self.plot.setToolTip("")
        self.readout.setText("")

    @property
    def spectrum(self) -> Optional[Spectrum]:
        return self._spectrum

    def title(self) -> str:
        return self.plot.getPlotItem().titleLabel.text

    # ------------------------------------------------------------------ appearance
    def set_log_frequency(self, on: bool) -> None:
        """Log (from 20 Hz) or linear frequency axis; keeps the checkbox in step."""
        self._scale = FrequencyScale("log" if on else "linear")
        if self.log_box.isChecked() != bool(on):
            self.log_box.setChecked(bool(on))  # re-enters here once, harmlessly
        self.freq_axis.set_scale(self._scale)
        self._draw()

    def is_log_frequency(self) -> bool:
        return self._scale.name == "log"

    def set_db_range(self, floor_db: float, ceiling_db: float) -> None:
        """Fixed level range, so moving the cursor does not make the axis jump."""
        self._db_range = (float(floor_db), float(ceiling_db))
        vb = self.plot.getPlotItem().vb
        vb.setLimits(yMin=floor_db - 3, yMax=ceiling_db + 8)
        vb.setYRange(floor_db, ceiling_db + 6, padding=0)  # room for the top label

    # ------------------------------------------------------------------ readout
    def readout_at(self, freq_hz: float, snap_hz: tuple[float, float] | None = None) -> str:
        """'1002.0 Hz: -0.0 dBFS' for the bin nearest ``freq_hz`` (or the highest bin in
        ``snap_hz`` = (low, high)); with a comb, says which line the bin sits on."""
        s = self._spectrum
        if s is None:
            return ""
        k = int(np.clip(round(freq_hz / s.bin_hz), 0, s.level_db.size - 1))
        if snap_hz is not None:
            lo, hi = (int(np.clip(round(f / s.bin_hz), 0, s.level_db.size - 1)) for f in snap_hz)
            if hi > lo:
                k = lo + int(np.argmax(s.level_db[lo:hi + 1]))
        f, level = float(s.frequencies_hz[k]), float(s.level_db[k])
        text = f"{f:.1f} Hz: {level + 0.0:.1f} dBFS".replace("-0.0 dBFS", "0.0 dBFS")
        if self._comb_f0_hz and self._comb_freqs.size:
            j = int(np.argmin(np.abs(self._comb_freqs - f)))
            if abs(self._comb_freqs[j] - f) <= s.bin_hz:
                text += f"   (comb line {j + 1} \u00d7 {self._comb_f0_hz:.1f} Hz)"
        return text

    def _on_mouse_moved(self, scene_pos: QtCore.QPointF) -> None:
        vb = self.plot.getPlotItem().vb
        if self._spectrum is None or not vb.sceneBoundingRect().contains(scene_pos):
            self.readout.setText("")
            self.hovered.emit("")
            return
        u = vb.mapSceneToView(scene_pos).x()
        per_px = (vb.viewRange()[0][1] - vb.viewRange()[0][0]) / max(1.0, vb.width())
        lo, hi = (float(self._scale.to_hz(u + d * SNAP_PX * per_px)) for d in (-1, 1))
        text = self.readout_at(float(self._scale.to_hz(u)), (lo, hi))
        self.readout.setText(text)
        self.hovered.emit(text)

    # ------------------------------------------------------------------ drawing
    def _draw(self) -> None:
        s = self._spectrum
        if s is None:
            return
        lo_hz = 20.0 if self._scale.name == "log" else 0.0
        keep = s.frequencies_hz >= lo_hz
        self.curve.setData(self._scale.to_units(s.frequencies_hz[keep]), s.level_db[keep])
        lo_u, hi_u = self._scale.unit_range(lo_hz, float(s.frequencies_hz[-1]))
        vb = self.plot.getPlotItem().vb
        vb.setLimits(xMin=lo_u, xMax=hi_u)
        vb.setXRange(lo_u, hi_u, padding=0)
        shown = self._comb_freqs >= lo_hz
        u = self._scale.to_units(self._comb_freqs[shown])
        self.comb_lines.setData(np.repeat(u, 2), np.tile([-1000.0, 1000.0], u.size))
        self.comb_marks.setData(u, self._comb_levels[shown])
