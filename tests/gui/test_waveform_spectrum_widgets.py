"""The waveform lane and the spectrum-at-cursor plot, offscreen, on generated audio.

Screenshots go to /tmp/widgets_*.png for a person to look at.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore

from forensic_app.core.spectrum import spectrum_at
from forensic_app.core.waveform import WaveformOverview, envelope_of
from forensic_app.gui import colours
from forensic_app.gui.spectrum_plot import SpectrumPlot
from forensic_app.gui.waveform_view import WaveformPlot

RATE = 44100


def stereo_track(seconds: float = 20.0) -> np.ndarray:
    """A swelling 220 Hz tone on the left, quieter noise bursts on the right, a click at 12.5 s on the right."""
    n = int(RATE * seconds)
    t = np.arange(n) / RATE
    left = 0.8 * np.sin(2 * np.pi * 220 * t) * np.minimum(1.0, t / (seconds / 2))
    bursts = (np.floor(t) % 4 == 1).astype(np.float64)
    right = 0.3 * np.random.default_rng(0).standard_normal(n) * bursts
    right[int(12.5 * RATE)] = 0.95
    return np.stack([left, right], axis=1).astype(np.float32)


def overview_of(x: np.ndarray):
    ov = WaveformOverview(RATE, x.shape[1], target_columns=1024)
    for start in range(0, x.shape[0], 65536):
        ov.push(x[start : start + 65536])
    return ov.result()


@pytest.fixture
def lane(qtbot):
    win = pg.GraphicsLayoutWidget()
    win.setBackground(colours.PLOT_BACKGROUND)  # as the evidence view it joins
    win.resize(900, 220)
    plot = WaveformPlot(axis_width_px=78, debounce_ms=20)
    win.addItem(plot)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win, plot


def test_waveform_lane_draws_both_channels_with_the_click_and_a_cursor(lane, qtbot):
    win, plot = lane
    x = stereo_track()
    plot.set_overview(overview_of(x))
    plot.set_cursor(7.0)
    qtbot.wait(50)
    win.grab().save("/tmp/widgets_waveform.png")
    assert plot.getAxis("left")._tickLevels[0] == [(0.0, "L"), (-2.2, "R")]
    assert plot.cursor.isVisible() and plot.cursor_s() == pytest.approx(7.0)
    x_px = plot.vb.mapViewToScene(QtCore.QPointF(7.0, 0)).x()
    assert abs(x_px - plot.vb.sceneBoundingRect().left() - plot.vb.width() * 7.0 / 20.0) < 1.5
    text = plot.readout_at(12.5)
    assert text.startswith("0:12.50") and "R peak -0.4 dBFS" in text  # 0.95 = -0.45 dBFS
    assert "L peak" in plot.readout_at(19.9) and "L peak -1.9 dBFS" in plot.readout_at(19.9)  # 0.8
    plot.set_cursor(None)
    assert not plot.cursor.isVisible()


def test_zooming_asks_for_detail_and_the_detail_replaces_the_overview_there(lane, qtbot):
    win, plot = lane
    x = stereo_track()
    plot.set_overview(overview_of(x))
    assert plot.detail_columns(0.0, 20.0) == 0  # 1024+ columns for ~800 px: enough
    with qtbot.waitSignal(plot.x_range_changed, timeout=2000) as sig:
        plot.setXRange(12.45, 12.55, padding=0)
    a, b = sig.args
    assert a == pytest.approx(12.45) and b == pytest.approx(12.55)
    n = plot.detail_columns(a, b)
    assert n > 0
    detail = envelope_of(x, RATE, a, b, n)
    plot.set_detail(detail)
    qtbot.wait(50)
    win.grab().save("/tmp/widgets_waveform_zoomed.png")
    assert plot.detail_columns(a, b) == 0
    edges = plot._drawn[0]
    assert np.all(np.diff(edges) > 0) and edges[0] == 0.0 and edges[-1] == pytest.approx(20.0)
    assert "0:12.45" in plot.readout_at(12.451)


def test_linked_lanes_move_together(lane, qtbot):
    win, plot = lane
    other = win.addPlot(row=1, col=0)
    other.getAxis("left").setWidth(78)  # as the spectrogram's: the link maps screen x to screen x
    plot.set_overview(overview_of(stereo_track()))
    plot.link_x(other)
    qtbot.wait(50)  # let the layout place the new row
    other.setXRange(1.0, 2.0, padding=0)
    assert plot.vb.viewRange()[0] == pytest.approx([1.0, 2.0])


def test_mono_lane_has_one_row():
    x = np.sin(np.arange(RATE) * 0.01).astype(np.float32)
    plot = WaveformPlot()
    plot.set_overview(envelope_of(x, RATE, 0.0, 1.0, 500))
    assert plot.getAxis("left")._tickLevels[0] == [(0.0, "mono")]


def _sine_spectrum(freq_hz: float, comb: bool = False):
    n = RATE * 3
    t = np.arange(n) / RATE
    x = np.sin(2 * np.pi * freq_hz * t)
    x += 0.001 * np.random.default_rng(1).standard_normal(n)  # a noise floor near -70 dBFS per bin
    if comb:
        for k in range(1, 15):
            x += 0.003 * np.sin(2 * np.pi * k * 1378.125 * t)
    x = x.astype(np.float32)
    return spectrum_at(lambda s, m: x[s : s + m], RATE, n, 83.4)


@pytest.fixture
def spectrum_widget(qtbot):
    w = SpectrumPlot()
    w.resize(560, 300)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_spectrum_plot_titles_reads_out_and_marks_the_comb(spectrum_widget, qtbot):
    w = spectrum_widget
    assert w.title() == "Spectrum at the cursor"
    f = 161 * RATE / 8192  # 866.75 Hz, on a bin
    w.set_spectrum(_sine_spectrum(f, comb=True), 83.4, comb_f0_hz=1378.125, comb_max_hz=16000.0)
    assert w.title() == "Spectrum at 1:23.4"
    assert w.readout_at(f) == "Peak 866.7 Hz: 0.0 dBFS"
    # the mouse 2 px beside the peak still reads the peak (snap)
    vb = w.plot.getPlotItem().vb
    qtbot.wait(50)
    pos = vb.mapViewToScene(QtCore.QPointF(f, -50.0)) + QtCore.QPointF(2.0, 0.0)
    with qtbot.waitSignal(w.hovered) as sig:
        w.plot.scene().sigMouseMoved.emit(pos)
    assert sig.args == ["Peak 866.7 Hz: 0.0 dBFS"]
    assert w.readout.text() == "Peak 866.7 Hz: 0.0 dBFS"
    assert "comb line 3" in w.readout_at(3 * 1378.125)
    xs, _ = w.comb_lines.getData()
    assert len(xs) == 2 * 11  # 11 lines up to 16 kHz
    w.grab().save("/tmp/widgets_spectrum.png")


def test_log_frequency_switch_changes_the_axis(spectrum_widget, qtbot):
    w = spectrum_widget
    w.set_spectrum(_sine_spectrum(1000.0), 5.0)
    vb = w.plot.getPlotItem().vb
    assert vb.viewRange()[0] == pytest.approx([0.0, RATE / 2])
    w.log_box.setChecked(True)
    assert w.is_log_frequency() and w.freq_axis.scale_.name == "log"
    assert vb.viewRange()[0] == pytest.approx([np.log10(20.0), np.log10(RATE / 2)])
    labels = w.freq_axis.tickStrings([np.log10(100.0), 3.0], 1.0, 1.0)
    assert labels == ["100 Hz", "1 kHz"]
    qtbot.wait(50)
    w.grab().save("/tmp/widgets_spectrum_log.png")
    w.set_log_frequency(False)
    assert not w.log_box.isChecked() and vb.viewRange()[0] == pytest.approx([0.0, RATE / 2])
