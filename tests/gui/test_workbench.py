"""The track view's instruments, as the case lanes have them: waveform lane, spectrum at the cursor with
its peak readout, annotations with a frequency band, linear/log/mel scales and the display FFT size."""

from __future__ import annotations

import re

import numpy as np
import pyqtgraph as pg
import pytest
import soundfile as sf
from PySide6 import QtCore, QtWidgets

from forensic_app.gui import track_instruments
from tests.gui.helpers import CountingBackend, lit_share

WAIT_MS = 60_000
RATE = 44100


def write_sine(folder, freq_hz: float, seconds: float = 4.0, amplitude: float = 0.5, channels: int = 1):
    t = np.arange(int(seconds * RATE)) / RATE
    x = (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)
    path = folder / f"sine-{freq_hz:g}hz-{RATE}-{channels}-f32.wav"
    sf.write(str(path), np.repeat(x[:, None], channels, axis=1), RATE, subtype="FLOAT")
    return path


def analysed(make_window, qtbot, path, backend=None):
    win = make_window(backend if backend is not None else CountingBackend())
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        win.open_file(str(path))
    QtWidgets.QApplication.processEvents()
    return win


def test_the_track_view_has_a_waveform_lane_and_the_spectrum_at_the_cursor(make_window, qtbot, tmp_path):
    path = write_sine(tmp_path, 440.0, channels=2)
    win = analysed(make_window, qtbot, path)
    lane = win.view.waveform
    assert lane is not None and lane.isVisible() and lane.overview.channels == 2  # L and R, made while decoding
    assert lane.overview.end_s == pytest.approx(4.0) and float(lane.overview.maximum.max()) == pytest.approx(
        0.5, abs=0.01
    )
    assert lane.getViewBox().viewRange()[0] == pytest.approx(win.view.time_range())  # one time axis
    win.view.spec_box.setXRange(1.0, 1.05, padding=0)  # 50 ms: a finer envelope, read off the GUI thread
    qtbot.waitUntil(lambda: lane.detail is not None, timeout=WAIT_MS)
    assert lane.detail.start_s <= 1.0 + 1e-3 and lane.detail.end_s >= 1.05 - 1e-3
    assert lane.detail.n_columns / 0.05 > 10 * lane.overview.n_columns / 4.0
    seen = []
    win.view.cursor_moved.connect(seen.append)
    win.view.scene().sigMouseMoved.emit(lane.vb.mapViewToScene(QtCore.QPointF(1.02, 0.0)))
    assert seen and seen[-1].startswith("0:01.02") and "L peak" in seen[-1] and "R peak" in seen[-1]
    win.view.reset_zoom()
    pane = win.instruments.pane
    assert pane.isVisible() and win.spectrum.isVisible() and win.spectrum.spectrum is not None
    assert pane.tabText(0).startswith("Spectrum at 0:0")  # it opened on the strongest window
    rest = win.spectrum.resting_readout()
    assert rest.startswith("Loudest peak") and abs(_peak_hz(rest) - 440.0) <= 0.2 and abs(_level_db(rest) + 6.02) <= 0.4
    # a click on the spectrogram takes the spectrum there
    scene = win.view.spec_box.mapViewToScene(QtCore.QPointF(1.25, 5000.0))
    qtbot.mouseClick(win.view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=win.view.mapFromScene(scene))
    assert pane.tabText(0).startswith("Spectrum at 0:01.2") and win.instruments.spectrum_mark.value() == pytest.approx(
        1.25, abs=0.05
    )
    # the View menu takes them away and brings them back
    win.instruments.act_waveform.trigger()
    win.instruments.act_pane.trigger()
    assert win.view.waveform is None and not pane.isVisible()
    assert not win.settings.waveform_visible and not win.settings.spectrum_visible
    win.instruments.act_waveform.trigger()
    win.instruments.act_pane.trigger()
    assert win.view.waveform is not None and win.view.waveform.overview is not None and pane.isVisible()


def _peak_hz(text: str) -> float:
    return float(re.search(r"[Pp]eak ([0-9.]+) Hz", text).group(1))


def _level_db(text: str) -> float:
    return float(re.search(r"(-?[0-9.]+) dBFS", text).group(1))


def test_the_peak_readout_gives_a_sine_between_bins_its_own_frequency(make_window, qtbot, tmp_path):
    win = analysed(make_window, qtbot, write_sine(tmp_path, 1000.7))
    w = win.spectrum
    rest = w.readout.text()  # at rest: the loudest peak
    assert abs(_peak_hz(rest) - 1000.7) <= 0.5 and abs(_level_db(rest) + 6.02) <= 0.4
    vb = w.plot.getPlotItem().vb
    pos = vb.mapViewToScene(QtCore.QPointF(990.0, -50.0))  # the mouse a little below the peak
    with qtbot.waitSignal(w.hovered) as sig:
        w.plot.scene().sigMouseMoved.emit(pos)
    assert sig.args[0] == w.readout.text() and abs(_peak_hz(w.readout.text()) - 1000.7) <= 0.5
    w.log_box.setChecked(True)  # the same peak on a log axis
    pos = vb.mapViewToScene(QtCore.QPointF(float(np.log10(1001.0)), -50.0))
    w.plot.scene().sigMouseMoved.emit(pos)
    assert abs(_peak_hz(w.readout.text()) - 1000.7) <= 0.5


@pytest.mark.parametrize("comb_z, marked", [(7.4, True), (2.0, False)])
def test_the_spectrum_marks_comb_lines_only_where_the_comb_found_a_pattern(
    make_window, qtbot, tmp_path, comb_z, marked
):
    win = analysed(make_window, qtbot, write_sine(tmp_path, 1378.125), CountingBackend(comb_z=comb_z))
    w = win.spectrum
    assert (w.comb_marks.data.size > 0) == marked
    assert ("comb lines every 1378.1 Hz" in win.instruments.pane.tabText(0)) == marked
    assert ("(comb line 1 \u00d7 1378.1 Hz)" in w.resting_readout()) == marked


def test_log_scale_gives_a_60_hz_bass_tone_room_in_the_lane(make_window, qtbot, tmp_path):
    win = analysed(make_window, qtbot, write_sine(tmp_path, 60.0))
    assert win.controls.scale_combo.currentText() == "Linear"
    linear = lit_share(win.view, 2.0)
    win.controls.scale_combo.setCurrentText("Log")
    log = lit_share(win.view, 2.0)
    assert win.spectrum.is_log_frequency()  # the spectrum at the cursor on the same scale
    win.controls.scale_combo.setCurrentText("Mel")
    mel = lit_share(win.view, 2.0)
    assert linear < 0.02 and log > 0.08 and mel > 2 * linear, (linear, log, mel)
    assert win.settings.freq_scale == "mel" and win.spectrum.freq_axis.scale_.name == "mel"


def test_the_fft_size_changes_the_spectrogram_drawn_but_not_the_analysis(make_window, qtbot, tmp_path):
    backend = CountingBackend()
    win = analysed(make_window, qtbot, write_sine(tmp_path, 60.0, seconds=6.0), backend)
    result, view = win.result, win.view
    assert view.spectrogram.db.shape[0] == 2048 // 2 + 1
    win.view.spec_box.setXRange(1.0, 3.0, padding=0)
    for n_fft in (8192, 1024):
        win.controls.fft_combo.setCurrentText(str(n_fft))
        qtbot.waitUntil(lambda n=n_fft: view.spectrogram.db.shape[0] == n // 2 + 1, timeout=WAIT_MS)
        assert view.time_range() == pytest.approx((1.0, 3.0))  # the zoom stays
    assert backend.analyses == 1 and win.result is result and view.heatmap is result.heatmap
    assert result.overview.db.shape[0] == 2048 // 2 + 1  # what the report draws is the analysis's own
    assert win.controller.audio.overview.db.shape[0] == 2048 // 2 + 1
    view.spec_box.setXRange(2.0, 2.5, padding=0)  # zoomed in: the finer detail has the chosen frames too
    qtbot.waitUntil(lambda: view.detail_range() is not None and view._detail.db.shape[0] == 513, timeout=WAIT_MS)
    win.controls.fft_actions[2048].trigger()  # from the View menu: back to the decode's own
    assert view.spectrogram is win.controller.audio.overview and win.settings.fft_size == 2048


class NoteDialog:
    """Stands in for the annotation dialog: the user typed a note and ticked a band."""

    def __init__(self, parent=None, nyquist_hz: float = 22050.0):
        self.nyquist_hz = nyquist_hz

    def exec(self) -> bool:
        return True

    def text(self) -> str:
        return "lines from 2 to 4 kHz"

    def band_hz(self):
        return 2000.0, 4000.0


def _band_box(view):
    return next(item for item in view.annotation_items if isinstance(item, QtWidgets.QGraphicsRectItem))


def test_an_annotation_with_a_band_is_drawn_as_a_region_listed_and_kept_for_the_session(
    make_window, qtbot, tmp_path, monkeypatch
):
    monkeypatch.setattr(track_instruments, "AnnotationDialog", NoteDialog)
    first, second = write_sine(tmp_path, 440.0), write_sine(tmp_path, 880.0)
    win = analysed(make_window, qtbot, first)
    win.instruments.act_annotate.trigger()  # nothing selected: says what to do
    assert "Select a time range first" in win.banner.label.text() and not win.controller.annotations
    win.view.set_selection(1.0, 2.5)
    win.instruments.act_annotate.trigger()
    view = win.view
    regions = [item for item in view.annotation_items if isinstance(item, pg.LinearRegionItem)]
    assert len(regions) == 1 and regions[0].getRegion() == pytest.approx((1.0, 2.5))
    box = _band_box(view).rect()
    assert (box.left(), box.right()) == pytest.approx((1.0, 2.5))
    assert (box.top(), box.bottom()) == pytest.approx((2000.0, 4000.0))
    assert win.instruments.annotation_list.item(0).text() == "1. 0:01.0-0:02.5, 2000-4000 Hz: lines from 2 to 4 kHz"
    assert win.instruments.pane.tabText(1) == "Annotations (1)"
    win.controls.set_freq_scale("log")  # the band's box follows the scale
    box = _band_box(view).rect()
    assert (box.top(), box.bottom()) == pytest.approx((np.log10(2000.0), np.log10(4000.0)))
    # on screen the box spans 2-4 kHz of the spectrogram
    top = view.spec_box.mapViewToScene(QtCore.QPointF(1.0, np.log10(4000.0))).y()
    drawn = _band_box(view).mapRectToScene(_band_box(view).rect())
    assert drawn.top() == pytest.approx(top, abs=1.0)
    # another file has its own (none); the first one's come back when it is opened again
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        win.open_file(str(second))
    assert not view.annotation_items and win.instruments.annotation_list.count() == 0
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        win.open_file(str(first))
    assert len(view.annotation_items) == 3 and win.instruments.annotation_list.count() == 1
    win.instruments.annotation_list.setCurrentRow(0)
    win.instruments.remove_button.click()
    assert not view.annotation_items and not win.controller.annotations


def test_a_pane_squeezed_too_low_to_read_is_hidden_not_drawn_as_a_sliver(make_window, qtbot, tmp_path):
    """The Queue opened and its splitter dragged up: the spectrum pane would keep a few pixels of cut
    labels; it is hidden instead, and the status bar says how to bring it back."""
    win = analysed(make_window, qtbot, write_sine(tmp_path, 440.0))
    win.resize(1280, 800)
    pane = win.instruments.pane
    QtWidgets.QApplication.processEvents()
    assert pane.isVisible() and pane.height() >= track_instruments.PANE_MIN_HEIGHT_PX
    win.show_queue()
    total = sum(win.track_split.sizes())
    win.track_split.setSizes([int(total * 0.4), total - int(total * 0.4)])  # the Queue dragged up
    QtWidgets.QApplication.processEvents()
    assert not pane.isVisible() or pane.height() >= track_instruments.PANE_MIN_HEIGHT_PX
    assert not pane.isVisible()
    assert "View" in win.statusBar().currentMessage()
