"""The evidence view: heatmap orientation, scales, readout, timeline selection, axes."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from forensic_app.core.spectrogram import display_spectrogram
from forensic_app.gui.axes import FrequencyAxisItem, TimeAxisItem
from forensic_app.gui.scales import FrequencyScale
from forensic_app.gui.spectrogram_view import AnalysisView
from tests.factories import HOT_FREQ_HZ, HOT_TIME, make_info, make_result, stamp_heatmap as make_heatmap

DURATION_S = 8.0
RATE = 44100


@pytest.fixture
def view(qtbot):
    v = AnalysisView()
    qtbot.addWidget(v)
    v.resize(900, 600)
    v.show()
    t = np.arange(int(DURATION_S * RATE)) / RATE
    mono = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    v.set_spectrogram(display_spectrogram(mono, RATE), DURATION_S)
    v.set_heatmap(make_heatmap(DURATION_S))
    qtbot.waitExposed(v)
    return v


def _hot_and_cold_pixels(v: AnalysisView):
    img = v.heat_image.image  # row-major: [row, col]
    rows, cols = np.nonzero(img > 0.9)
    cold_rows, cold_cols = np.nonzero(img < 0.2)
    return (rows.mean(), cols.mean()), (cold_rows.mean(), cold_cols.mean())


@pytest.mark.parametrize("scale", ["linear", "log", "mel"])
def test_hot_patch_is_drawn_late_and_high(view, scale):
    view.set_freq_scale(scale)
    (hr, hc), _ = _hot_and_cold_pixels(view)
    # pixel (col, row) -> plot coordinates (seconds, scale units)
    p = view.heat_image.mapToView(QtCore.QPointF(hc + 0.5, hr + 0.5))
    freq_hz = float(view._scale.to_hz(p.y()))
    assert HOT_TIME[0] * DURATION_S < p.x() < DURATION_S
    assert HOT_FREQ_HZ[0] < freq_hz <= HOT_FREQ_HZ[1]
    # and in scene coordinates it is the top-right corner of the image item
    box = view.heat_image.sceneBoundingRect()
    s = view.heat_image.mapToScene(QtCore.QPointF(hc + 0.5, hr + 0.5))
    assert s.x() > box.center().x() and s.y() < box.center().y()


def test_hot_patch_is_red_on_screen_and_cold_patch_is_not(view, qtbot):
    view.set_overlay_opacity(1.0)
    qtbot.wait(50)
    image = view.grab().toImage()
    ratio = image.width() / view.width()

    def colour_at(t, f):
        scene = view.spec_box.mapViewToScene(QtCore.QPointF(t, float(view._scale.to_units(f))))
        pos = view.mapFromScene(scene)
        return QtGui.QColor(image.pixel(int(pos.x() * ratio), int(pos.y() * ratio)))

    hot = colour_at(DURATION_S * 0.9, 19000.0)
    cold = colour_at(DURATION_S * 0.2, 19000.0)
    assert hot.red() > 150 and hot.red() > hot.blue() + 60, hot.name()
    assert cold.red() < 120, cold.name()
    # an ordinary reading for real music is not coloured at all: the pixel is the spectrogram's
    view.set_overlay_visible(False)
    image = view.grab().toImage()
    assert colour_at(DURATION_S * 0.2, 19000.0) == cold, "a patch real music reaches was tinted"


def test_heatmap_toggle_and_fixed_levels(view):
    assert tuple(view.heat_image.levels) == (0.0, 1.0)
    view.set_overlay_visible(False)
    assert not view.heat_image.isVisible()
    view.set_overlay_visible(True)
    assert view.heat_image.isVisible()


def test_cursor_readout_names_time_frequency_level_and_probability(view):
    text = view.readout_at(DURATION_S * 0.9, 18000.0)
    assert "0:07.20" in text and "kHz" in text and "dBFS" in text
    assert "patch reached by about 1 in 50,000 real-music patches" in text
    assert "patch reached by about 1 in 5 real-music patches" in view.readout_at(1.0, 440.0)


def test_mouse_over_spectrogram_updates_readout(view, qtbot):
    seen = []
    view.cursor_moved.connect(seen.append)
    scene = view.spec_box.mapViewToScene(QtCore.QPointF(4.0, 440.0))
    view.scene().sigMouseMoved.emit(scene)
    assert seen and seen[-1].startswith("0:04") and "440 Hz" in seen[-1]


def test_zoom_and_pan_change_the_visible_range(view):
    view.zoom_time(0.25)
    (x0, x1), _ = view.spec_box.viewRange()
    assert x1 - x0 == pytest.approx(DURATION_S / 4, rel=0.05)
    view.pan_time(0.5)
    assert view.spec_box.viewRange()[0][0] > x0
    view.reset_zoom()
    assert view.spec_box.viewRange()[0] == pytest.approx([0.0, DURATION_S], abs=1e-3)
    assert view.timeline.vb.viewRange()[0] == pytest.approx([0.0, DURATION_S], abs=1e-3)  # linked


def test_clicking_a_timeline_window_selects_its_time_range(view, qtbot):
    result = make_result(make_info(duration_s=DURATION_S))
    view.set_windows(result.windows)
    target = result.windows[6]
    scene = view.timeline.vb.mapViewToScene(QtCore.QPointF((target.start_s + target.end_s) / 2, 0.05))
    pos = view.mapFromScene(scene)
    with qtbot.waitSignal(view.selection_changed, timeout=2000) as sig:
        qtbot.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)
    assert sig.args[0] == pytest.approx((target.start_s, target.end_s))
    assert view.regions[0].isVisible() and view.regions[0].getRegion() == pytest.approx((target.start_s, target.end_s))


def test_axes_speak_minutes_and_kilohertz():
    t = TimeAxisItem()
    assert t.tickStrings([0, 65, 600], 1, 5) == ["0:00", "1:05", "10:00"]
    assert t.tickStrings([1.5], 1, 0.5) == ["0:01.5"]
    f = FrequencyAxisItem()
    assert f.tickStrings([500, 5000, 12500], 1, 2500) == ["500 Hz", "5 kHz", "12.5 kHz"]
    f.set_scale(FrequencyScale("log"))
    ticks = f.tickValues(np.log10(20), np.log10(22050), 400)[0][1]
    labels = f.tickStrings(ticks, 1, 1)
    assert "100 Hz" in labels and "1 kHz" in labels and "10 kHz" in labels


def test_keyboard_zooms_and_pans(view, qtbot):
    view.setFocus()
    qtbot.keyClick(view, QtCore.Qt.Key.Key_Plus)
    (x0, x1), _ = view.spec_box.viewRange()
    assert x1 - x0 == pytest.approx(DURATION_S / 2, rel=0.05)
    qtbot.keyClick(view, QtCore.Qt.Key.Key_Right)
    assert view.spec_box.viewRange()[0][0] > x0
    qtbot.keyClick(view, QtCore.Qt.Key.Key_Up, modifier=QtCore.Qt.KeyboardModifier.ControlModifier)
    _, (y0, y1) = view.spec_box.viewRange()
    assert y1 - y0 < 0.6 * 22050
    qtbot.keyClick(view, QtCore.Qt.Key.Key_0)
    assert view.spec_box.viewRange()[0] == pytest.approx([0.0, DURATION_S], abs=1e-3)


def test_shift_drag_selects_a_time_range(view, qtbot):
    got = []
    view.selection_changed.connect(got.append)
    view.spec_box.sigSelectionDragged.emit(2.0, 3.5, True)
    assert got[-1] == pytest.approx((2.0, 3.5))
    qtbot.keyClick(view, QtCore.Qt.Key.Key_Escape)
    assert view.selection() is None and got[-1] is None


@pytest.mark.parametrize("share, odds", [(0.012, "about 1 track in 83"), (0.4, None)])
def test_comb_rarity_in_words_uses_odds_only_for_rare_combs(share, odds):
    import dataclasses

    from forensic_app.gui.verdict_panel import comb_sentence

    comb = dataclasses.replace(make_result(make_info(duration_s=4.0)).comb, real_fp_rate=share)
    text = comb_sentence(comb)
    assert f"about {round(share * 100)}" in text
    if odds:
        assert odds in text
    else:
        assert "1 track in" not in text  # 40 % is not "1 track in 2"


def test_panel_never_prints_0_or_100_percent_and_names_the_coverage(qtbot):
    from forensic_app.gui.verdict_panel import VerdictPanel
    from tests.factories import make_info, make_result

    panel = VerdictPanel()
    qtbot.addWidget(panel)
    panel.set_result(make_result(make_info(duration_s=30.0), probability=0.003, verdict="no_traces_found"))
    doc = QtGui.QTextDocument()
    doc.setHtml(panel.probability_label.text())
    text = " ".join(doc.toPlainText().replace("\u202f", " ").replace("\xa0", " ").split())
    assert ": < 1 % (range up to 8 %)" in text and " 0 %" not in text
    assert panel.verdict_label.text() == "No traces of the AI generators this app covers"
    assert "Covered:" in panel.coverage_label.text() and "Not covered:" in panel.coverage_label.text()
    assert "(this detector alone: &lt;" in panel.detectors_label.text()


def test_windows_without_evidence_still_show_as_bars(qtbot):
    from forensic_app.core.result import WindowScore
    from forensic_app.gui.timeline import MIN_BAR, TimelinePlot

    plot = TimelinePlot(axis_width_px=60)
    plot.set_windows([WindowScore(0.0, 3.0, 0.0), WindowScore(3.0, 6.0, 0.7)])
    heights = plot._bars.opts["y1"]
    assert heights[0] == pytest.approx(MIN_BAR) and heights[1] == pytest.approx(0.7)


def test_heatmap_colour_bar_says_what_the_colours_mean(view, qtbot):
    from forensic_app.core.vocabulary import HEAT_LABEL, HEAT_TICKS

    axis = view.heat_bar.axis
    assert view.heat_bar.getAxis("left").labelText == HEAT_LABEL
    image = QtGui.QImage(200, 800, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    try:
        _, _, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    # every tick is drawn (pyqtgraph silently drops a label that overflows the axis)
    assert sorted(t for _, _, t in texts) == sorted(t for _, t in HEAT_TICKS)


def test_a_long_calibration_version_wraps_instead_of_widening_the_panel(qtbot):
    # a refitted calibration's version grows ("cal-...+evidence-...+heatmap-..."): one long word
    # in the panel pushed its text past the window's edge
    import dataclasses

    from forensic_app.gui.verdict_panel import VerdictPanel
    from tests.factories import make_info, make_result

    r = make_result(make_info())
    model = dataclasses.replace(
        r.provenance.model, calibration_version="cal-20261127-1134+evidence-20261130-1644+heatmap-20261130-1751"
    )
    r = dataclasses.replace(r, provenance=dataclasses.replace(r.provenance, model=model))
    panel = VerdictPanel()
    qtbot.addWidget(panel)
    panel.set_result(r)
    assert panel.widget().minimumSizeHint().width() <= panel.minimumWidth()


def test_the_fakeprint_line_names_each_peak_frequency_once(qtbot):
    """A tone at 7.4 kHz lights two neighbouring bins of the fakeprint; the panel read '7.40 kHz, 7.40 kHz'."""
    import dataclasses
    import html

    import numpy as np

    from forensic_app.core.fakeprint import RATE_HZ, score_fakeprint
    from forensic_app.core.weights import load_model
    from forensic_app.gui.verdict_panel import VerdictPanel
    from tests.factories import make_info, make_result

    t = np.arange(10 * RATE_HZ) / RATE_HZ
    x = 0.1 * np.random.default_rng(0).standard_normal(t.size) + 0.05 * np.sin(2 * np.pi * 7400 * t)
    ev = score_fakeprint(x, load_model().fakeprint)
    assert sum(7390 < f < 7410 for f, _ in ev.top_bins) >= 2  # the case this is about: one peak, two bins
    panel = VerdictPanel()
    qtbot.addWidget(panel)
    panel.set_result(dataclasses.replace(make_result(make_info()), fakeprint=ev))
    text = html.unescape(panel.fakeprint_label.text())
    listed = text.split("towards 'AI' here: ")[1].rstrip(".").split(", ")
    assert listed[0] == "7.40 kHz" and len(listed) == len(set(listed)) == 5, text
