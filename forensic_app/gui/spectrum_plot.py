"""The spectrum at the cursor: level (dBFS) against frequency, with the comb's lines marked.

It draws one :class:`~forensic_app.core.spectrum.Spectrum` (computed by the owner with
``core.spectrum.spectrum_at``). Frequency runs linear or log (the checkbox). The readout names a
peak's true frequency and level, interpolated between the bins (``core.spectrum.nearest_peak``),
and the comb line it sits on: the loudest peak, or while the mouse is over the plot the highest
peak within a few pixels of it (else the nearest one). Its owner may put it on the spectrogram's
scale (``set_freq_scale``: linear, log or mel). The track view and the case window both
show their spectrum through :meth:`SpectrumPlot.show_at`, so both mark comb lines by one rule.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ..core.detectors.comb.reading import comb_grade
from ..core.result import CombEvidence
from ..core.spectrum import Peak, Spectrum, loudest_peak, nearest_peak, peak_lines
from . import colours
from .axes import FrequencyAxisItem
from .scales import FrequencyScale, format_hz, format_time

PROFILE_TOLERANCE_HZ = 2.0  # the fakeprint's bins are 1.95 Hz apart
SNAP_PX = 4  # the readout takes the highest peak this close to the mouse, so a peak is easy to hit
COMB_LINES_SHOWN = 40  # the comb's first lines only: hundreds across the band would hide the spectrum
COMB_COLOUR = colours.probability_hex(0.9)  # as the verdict panel marks a comb's lines
EMPTY_TITLE = "Spectrum at the cursor"


class SpectrumPlot(QtWidgets.QWidget):
    """A small spectrum plot with a log-frequency switch and a hover readout.

    Signals: ``hovered(text)``, the readout under the mouse ("" when it leaves the plot).
    """

    hovered = QtCore.Signal(str)
    titled = QtCore.Signal(str)  # the title changed (compact: the owner shows it, e.g. as a tab's text)

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None, *, compact: bool = False):
        """``compact``: no title over the plot and no axis title under it (the ticks say kHz), for a
        low pane; the owner shows ``title()`` where it likes (``titled``)."""
        super().__init__(parent)
        self._compact = compact
        self._title = EMPTY_TITLE
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
        if not compact:
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
    def set_spectrum(
        self,
        spectrum: Spectrum,
        time_s: float,
        comb_f0_hz: Optional[float] = None,
        *,
        comb_max_hz: Optional[float] = None,
    ) -> None:
        """Show ``spectrum``, titled with the time it was taken at; with ``comb_f0_hz``, faint
        dashed lines at k x f0 up to ``comb_max_hz`` (default Nyquist) and a dot where each
        line meets the spectrum."""
        self._spectrum = spectrum
        self._comb_f0_hz = comb_f0_hz
        self.set_title(f"Spectrum at {format_time(time_s, 0.1)}")
        self.plot.setToolTip(
            f"Average of {spectrum.n_averaged} Hann-windowed frames of {spectrum.n_fft} samples (50 % overlap) "
            f"over {format_time(spectrum.start_s, 0.01)}\u2013{format_time(spectrum.end_s, 0.01)}; bins "
            f"{spectrum.bin_hz:.2f} Hz apart. 0 dBFS is a full-scale sine."
            + (f" Dashed: multiples of {format_hz(comb_f0_hz, 1.0)} (the comb)." if comb_f0_hz else "")
        )
        self._comb_freqs, self._comb_levels = (
            peak_lines(spectrum, comb_f0_hz, comb_max_hz) if comb_f0_hz else (np.zeros(0), np.zeros(0))
        )
        self._draw()
        self.readout.setText(self.resting_readout())

    def show_at(
        self, spectrum: Spectrum, time_s: float, comb: Optional[CombEvidence], *, label: str = "", profile: Any = None
    ) -> None:
        """Show ``spectrum`` taken at ``time_s`` for a track whose comb reading is ``comb``, titled with
        ``label`` (a case lane's name) when given. Comb lines are marked only where the comb found a
        pattern: a best candidate within what real music shows (grade "none") is not evidence, and
        marking it would read as if it were. ``profile``: a matched generator profile's evidence
        (profile_lane.ProfileEvidence): the readout says when a peak sits on one of its peaks."""
        self._profile = profile
        f0 = comb.f0_hz if comb is not None and comb_grade(comb) != "none" else None
        top = None if f0 is None else min(spectrum.rate / 2, f0 * COMB_LINES_SHOWN)
        self.set_spectrum(spectrum, time_s, comb_f0_hz=f0, comb_max_hz=top)
        lines = f" \u00b7 dashed: comb lines every {f0:.1f} Hz" if f0 else ""  # short: the plot can be narrow
        self.set_title(f"{label + ': ' if label else ''}{self.title()}{lines}")

    def clear(self) -> None:
        self._spectrum, self._comb_f0_hz = None, None
        self._comb_freqs = self._comb_levels = np.zeros(0)
        self.curve.setData([], [])
        self.comb_lines.setData([], [])
        self.comb_marks.setData([], [])
        self.set_title(EMPTY_TITLE)
        self.plot.setToolTip("")
        self.readout.setText("")

    @property
    def spectrum(self) -> Optional[Spectrum]:
        return self._spectrum

    def title(self) -> str:
        return self._title if self._compact else self.plot.getPlotItem().titleLabel.text

    def set_title(self, text: str) -> None:
        self._title = text
        if not self._compact:
            self.plot.getPlotItem().setTitle(text, color=colours.SPECTRUM_LINE, size="10pt")
        self.titled.emit(text)

    # ------------------------------------------------------------------ appearance
    def set_log_frequency(self, on: bool) -> None:
        """Log (from 20 Hz) or linear frequency axis; keeps the checkbox in step."""
        self.set_freq_scale("log" if on else "linear")

    def set_freq_scale(self, name: str) -> None:
        """The frequency axis on one of the spectrograms' scales (``scales.SCALE_NAMES``): the owner
        keeps it with its spectrogram's; the checkbox says whether it is log."""
        self._scale = FrequencyScale(name)
        self.log_box.blockSignals(True)
        self.log_box.setChecked(name == "log")
        self.log_box.blockSignals(False)
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
    def peak_near(self, freq_hz: float, snap_hz: tuple[float, float] | None = None) -> Optional[Peak]:
        """The peak the readout names for the mouse at ``freq_hz``: the highest in ``snap_hz`` =
        (low, high) when there is one, else the nearest (None without a spectrum or a peak)."""
        if self._spectrum is None:
            return None
        lo, hi = snap_hz if snap_hz is not None else (None, None)
        return nearest_peak(self._spectrum, freq_hz, low_hz=lo, high_hz=hi)

    def describe_peak(self, peak: Peak) -> str:
        """'1000.7 Hz: -6.0 dBFS', and with a comb, the line the peak sits on (within a bin)."""
        level = f"{peak.level_db + 0.0:.1f}".replace("-0.0", "0.0")
        text = f"{peak.freq_hz:.1f} Hz: {level} dBFS"
        s = self._spectrum
        if s is not None and self._comb_f0_hz and self._comb_freqs.size:
            j = int(np.argmin(np.abs(self._comb_freqs - peak.freq_hz)))
            if abs(self._comb_freqs[j] - peak.freq_hz) <= s.bin_hz:
                text += f"   (comb line {j + 1} \u00d7 {self._comb_f0_hz:.1f} Hz)"
        prof = getattr(self, "_profile", None)
        if s is not None and prof is not None and prof.peaks_hz:
            near = min(prof.peaks_hz, key=lambda f: abs(f - peak.freq_hz))
            if abs(near - peak.freq_hz) <= max(s.bin_hz, PROFILE_TOLERANCE_HZ):
                text += f"   (a peak of the {prof.name} fingerprint, {near:.1f} Hz)"
        return text

    def readout_at(self, freq_hz: float, snap_hz: tuple[float, float] | None = None) -> str:
        """'Peak 1000.7 Hz: -6.0 dBFS' for the peak nearest ``freq_hz`` (or the highest in
        ``snap_hz`` = (low, high)), at its interpolated frequency and level; with a comb, says
        which line it sits on. Without a peak (silence), the level of the nearest bin."""
        s = self._spectrum
        if s is None:
            return ""
        peak = self.peak_near(freq_hz, snap_hz)
        if peak is None:
            return f"{freq_hz:.1f} Hz: {s.level_at(freq_hz):.1f} dBFS"
        return "Peak " + self.describe_peak(peak)

    def resting_readout(self) -> str:
        """What the readout says while the mouse is elsewhere: the loudest peak."""
        peak = loudest_peak(self._spectrum) if self._spectrum is not None else None
        return "" if peak is None else "Loudest peak " + self.describe_peak(peak)

    def _on_mouse_moved(self, scene_pos: QtCore.QPointF) -> None:
        vb = self.plot.getPlotItem().vb
        if self._spectrum is None or not vb.sceneBoundingRect().contains(scene_pos):
            self.readout.setText(self.resting_readout())
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
