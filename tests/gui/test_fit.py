"""Every window fits a 1024x700 and a 1280x800 screen with its key parts on screen and usable.

Each test places the window as on a screen of that size (every screen reports that available
area), saves a screenshot (in the test's tmp_path) and checks what a user would see: the window
inside the screen; the verdict panel, the colour bars, the case summary table with all its
columns, the reviewer's decision, the spectrum and the Queue table inside it and big enough to
use; axis titles and the colour-bar label whole and not drawn over each other.
"""

from __future__ import annotations

import pytest
import soundfile as sf
from PySide6 import QtCore, QtGui, QtWidgets

from forensic_app import resources
from forensic_app.gui.case_window import CaseWindow
from forensic_app.gui.workers import Backend
from tests.conftest import signal
from tests.stems import write_stems

WAIT_MS = 120_000
SCREENS = {"1024x700": QtCore.QRect(0, 0, 1024, 700), "1280x800": QtCore.QRect(0, 0, 1280, 800)}


@pytest.fixture(params=sorted(SCREENS))
def screen(request, monkeypatch) -> QtCore.QRect:
    """Every screen reports this available area (a laptop screen, no panel)."""
    avail = SCREENS[request.param]
    monkeypatch.setattr(QtGui.QScreen, "availableGeometry", lambda self: QtCore.QRect(avail))
    return avail


def settle(qtbot, ms: int = 300) -> None:
    QtWidgets.QApplication.processEvents()
    qtbot.wait(ms)  # layouts and pyqtgraph's deferred updates


def visible_rect(widget: QtWidgets.QWidget) -> QtCore.QRect:
    """The part of ``widget`` that its ancestors (scroll areas, splitters, the window) do not clip, in
    global coordinates; empty when it is hidden."""
    if not widget.isVisible():
        return QtCore.QRect()
    rect = QtCore.QRect(widget.mapToGlobal(QtCore.QPoint(0, 0)), widget.size())
    parent = widget.parentWidget()
    while parent is not None:
        rect = rect.intersected(QtCore.QRect(parent.mapToGlobal(QtCore.QPoint(0, 0)), parent.size()))
        parent = parent.parentWidget()
    return rect


def assert_on_screen(name: str, widget: QtWidgets.QWidget, avail: QtCore.QRect, min_w: int, min_h: int) -> None:
    shown = visible_rect(widget)
    assert avail.contains(shown) and shown.width() >= min_w and shown.height() >= min_h, (
        f"{name}: shown {shown.getRect()} of {widget.width()}x{widget.height()}, screen {avail.getRect()}, "
        f"wanted at least {min_w}x{min_h}"
    )


def assert_window_fits(window: QtWidgets.QWidget, avail: QtCore.QRect) -> None:
    assert avail.contains(window.frameGeometry()), (window.frameGeometry().getRect(), avail.getRect())


def scene_rect_of_label(axis) -> QtCore.QRectF:
    return axis.label.mapRectToScene(axis.label.boundingRect())


def assert_view_readable(view, min_spectrogram_h: int) -> None:
    """The spectrogram and the timeline have room; the axis titles and colour-bar labels are drawn whole,
    each within its own axis, none over another."""
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert view.spec_box.sceneBoundingRect().height() >= min_spectrogram_h, view.spec_box.sceneBoundingRect()
    assert view.timeline.getViewBox().sceneBoundingRect().height() >= 30, view.timeline.getViewBox().sceneBoundingRect()
    axes = {
        "frequency": view.spec_plot.getAxis("left"),
        "window evidence": view.timeline.getAxis("left"),
        "level bar": view.db_bar.getAxis("left"),
        "heat bar": view.heat_bar.getAxis("left"),
    }
    labels = {}
    for name, axis in axes.items():
        text = axis.label.toPlainText()
        assert axis.label.isVisible() and text, f"{name}: no axis title"
        rect = scene_rect_of_label(axis)
        span = axis.sceneBoundingRect()
        # the rotated title runs along the axis: it must end within the axis (1 px of rounding)
        assert shown.contains(rect) and rect.top() >= span.top() - 1 and rect.bottom() <= span.bottom() + 1, (
            f"{name} title {text!r} cut: {rect.getRect()} along an axis {span.getRect()} in a view {shown.getRect()}"
        )
        labels[name] = rect
    names = list(labels)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not labels[a].intersects(labels[b]), f"the {a} and {b} titles overlap"


def assert_table_shows_every_column(name: str, table: QtWidgets.QTableView, min_column_px: int = 30) -> None:
    header = table.horizontalHeader()
    width = table.viewport().width()
    for col in range(header.count()):
        left, size = header.sectionViewportPosition(col), header.sectionSize(col)
        title = table.model().headerData(col, QtCore.Qt.Orientation.Horizontal)
        assert 0 <= left and left + size <= width and size >= min_column_px, (
            f"{name}: column {title!r} at {left}+{size} px in a {width} px table"
        )


def main_window_on_demo(make_window, qtbot):
    win = make_window(backend=Backend(None))
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        win.open_file(str(resources.demo_track()))
    settle(qtbot)
    return win


def test_the_main_window_fits_with_its_verdict_and_colour_bars(screen, make_window, qtbot, tmp_path):
    win = main_window_on_demo(make_window, qtbot)
    win.grab().save(str(tmp_path / f"main-{screen.width()}x{screen.height()}.png"))
    assert_window_fits(win, screen)
    assert win.width() >= 0.9 * screen.width() - 100  # a small screen is used, not left empty
    assert_on_screen("verdict panel", win.verdict, screen, 280, 300)
    assert_on_screen("verdict", win.verdict.verdict_label, screen, 200, 40)
    assert_on_screen("track view", win.view, screen, 450, 350)
    assert_view_readable(win.view, min_spectrogram_h=200)
    about = win.show_about()
    settle(qtbot, 100)
    about.grab().save(str(tmp_path / f"about-{screen.width()}x{screen.height()}.png"))
    assert_window_fits(about, screen)
    assert_on_screen("About text", about.text, screen, 400, 250)


def test_opening_the_queue_keeps_the_track_view_readable(screen, make_window, qtbot, tmp_path, tiny_weights):
    win = main_window_on_demo(make_window, qtbot)
    win.show_info("A message in the banner takes height too: the track view and the Queue still fit under it.")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(6):
        sf.write(str(inbox / f"upload_{i:02d}.wav"), signal("music", 3.0, 44100, 1, seed=i), 44100, subtype="PCM_16")
    panel = win.show_queue()
    panel.weights_dir = str(tiny_weights)
    with qtbot.waitSignal(panel.batch_finished, timeout=WAIT_MS):
        panel.add_paths([str(inbox)])
    settle(qtbot)
    win.grab().save(str(tmp_path / f"queue-{screen.width()}x{screen.height()}.png"))
    assert_window_fits(win, screen)
    assert_on_screen("Queue table", panel.table, screen, 600, 100)
    rows_shown = panel.table.viewport().height() // panel.table.rowHeight(0)
    assert rows_shown >= 3, rows_shown
    assert_table_shows_every_column("Queue table", panel.table)
    assert_on_screen("track view", win.view, screen, 450, 250)
    assert_on_screen("verdict", win.verdict.verdict_label, screen, 200, 40)
    assert_view_readable(win.view, min_spectrogram_h=120)
    panel.table.setFocus()
    for key in (QtCore.Qt.Key.Key_J, QtCore.Qt.Key.Key_F):  # a decision: a long status line, a wider Reviewer cell
        qtbot.keyClick(panel.table, key)
    panel.decide("likely_ai", "a long note on what the reviewer heard in the strongest window, and why")
    settle(qtbot)
    assert "Reviewer: likely AI" in panel.status_label.text()
    win.grab().save(str(tmp_path / f"queue-decided-{screen.width()}x{screen.height()}.png"))
    assert_window_fits(win, screen)  # the status line is cut at the panel's edge, the window stays put
    assert_table_shows_every_column("Queue table", panel.table)
    shared = win.view.height()
    panel.close_button.click()  # hidden, the track view takes the height back; File > Queue shows it again
    settle(qtbot, 100)
    assert not panel.isVisible() and win.view.height() > shared
    assert win.show_queue() is panel and panel.isVisible()


@pytest.fixture(scope="module")
def four_stems(tmp_path_factory):
    return write_stems(tmp_path_factory.mktemp("stems"))


def test_the_case_window_fits_with_its_table_decision_and_spectrum(screen, four_stems, qtbot, tmp_path):
    win = CaseWindow(backend=Backend(None))
    qtbot.addWidget(win)
    win.show()
    try:
        with qtbot.waitSignal(win.case_ready, timeout=WAIT_MS):
            win.add_files([str(four_stems[k]) for k in ("vocals", "drums", "bass", "other")])
        settle(qtbot)
        win.grab().save(str(tmp_path / f"case-{screen.width()}x{screen.height()}.png"))
        assert_window_fits(win, screen)
        panel = win.panel
        assert_on_screen("case summary table", panel.table, screen, 300, 100)
        assert_table_shows_every_column("case summary table", panel.table)
        last = panel.table.rowCount() - 1
        assert panel.table.rowViewportPosition(last) + panel.table.rowHeight(last) <= panel.table.viewport().height()
        # a cut cell still says everything in its tooltip
        item = panel.table.item(0, 4)
        assert item.text() in item.toolTip() and panel.table.horizontalHeaderItem(4).text() in item.toolTip()
        for name, widget, h in (
            ("decision", panel.decision, 20),
            ("reviewer", panel.reviewer, 20),
            ("reason", panel.reason, 40),
        ):
            assert_on_screen(f"reviewer's {name}", widget, screen, 150, h)
        assert_on_screen("spectrum", win.spectrum.plot, screen, 350, 120)
        assert_on_screen("first lane", win.lanes[0].view, screen, 350, 150)
        assert_view_readable(win.lanes[0].view, min_spectrogram_h=60)
    finally:
        win.dirty = False
        win.close()


def test_the_case_window_keeps_its_size_per_screen_but_never_opens_larger_than_the_screen(qtbot, monkeypatch):
    def case_window_on(avail: QtCore.QRect) -> CaseWindow:
        monkeypatch.setattr(QtGui.QScreen, "availableGeometry", lambda self: QtCore.QRect(avail))
        win = CaseWindow(backend=Backend(None))
        qtbot.addWidget(win)
        win.show()
        return win

    big, small = QtCore.QRect(0, 0, 1920, 1080), SCREENS["1024x700"]
    first = case_window_on(big)
    assert_window_fits(first, big)
    first.setGeometry(60, 50, 1700, 980)
    first.close()  # remembers the size
    again = case_window_on(big)
    assert (again.width(), again.height()) == (1700, 980)
    again.close()
    on_a_laptop = case_window_on(small)  # the same size saved: not restored past this screen
    assert_window_fits(on_a_laptop, small)
    assert on_a_laptop.width() >= 0.9 * small.width() - 100
    on_a_laptop.close()
