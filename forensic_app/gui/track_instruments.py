"""The track view's instruments beside the evidence: the waveform lane, the spectrum at the cursor
with its peak readout, and annotations, as the case window's lanes have them.

:class:`TrackInstruments` makes the pane under the spectrogram (a tab for the spectrum, one for the
annotation list), the actions that show them (View > Waveform lane, View > Spectrum and annotations,
Analysis > Annotate selection) and binds them to the window's :class:`~.spectrogram_view.AnalysisView`
and :class:`~.track_controller.TrackController`. It reuses the case window's widgets: the waveform
lane is ``AnalysisView.show_waveform``, the spectrum a :class:`~.spectrum_plot.SpectrumPlot` shown
through ``show_at`` (comb lines only where the comb found a pattern), the note an
:class:`~.case_panel.AnnotationDialog`, the regions ``AnalysisView.set_annotations``. A click on the
spectrogram or the waveform takes the spectrum there; after the analysis it opens on the strongest
window. Annotations live in the controller for the session; the single-track report does not
print them (a case's report does).
"""

from __future__ import annotations

from typing import Any, Optional

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ..case.document import Annotation
from . import colours
from .case_panel import AnnotationDialog
from .scales import format_time
from .settings import Settings
from .spectrogram_view import AnalysisView
from .profile_lane import profile_evidence
from .spectrum_plot import SpectrumPlot
from .track_controller import TrackController

PANE_MIN_HEIGHT_PX = 110  # tabs, a short spectrum and its readout
SPECTRUM_TAB, ANNOTATIONS_TAB = 0, 1
CLICK_FOR_SPECTRUM = "Spectrum at the cursor: click the spectrogram"
PANE_HIDDEN_WORDS = (
    "The spectrum pane is hidden to make room: View \u25b8 Spectrum and annotations shows it again "
    "(once the track view has room)."
)
ZOOM_PAD_S = 0.5  # seconds shown either side of an annotation when it is opened from the list


def annotation_words(a: Annotation) -> str:
    """'0:03.0-0:06.0, 2000-12000 Hz: decoder texture' (the case panel's form, without the lane)."""
    band = f", {a.low_hz:.0f}-{a.high_hz:.0f} Hz" if a.low_hz is not None and a.high_hz is not None else ""
    return f"{format_time(a.start_s, 0.1)}-{format_time(a.end_s, 0.1)}{band}: {a.text}"


class TrackInstruments(QtCore.QObject):
    def __init__(
        self, window: QtWidgets.QMainWindow, view: AnalysisView, controller: TrackController, settings: Settings
    ):
        super().__init__(window)
        self._window, self._view, self._controller, self._settings = window, view, controller, settings
        self._spectrum_time_s: Optional[float] = None  # where the spectrum shown was taken (None: not yet)

        self.spectrum = SpectrumPlot(compact=True)  # its title is the tab's text: the plot keeps the height
        self.annotation_list = QtWidgets.QListWidget()
        self.annotation_list.setToolTip("Double-click a note to zoom to it")
        self.annotation_list.itemActivated.connect(lambda item: self.zoom_to(self.annotation_list.row(item)))
        self.remove_button = QtWidgets.QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected annotation")
        self.remove_button.clicked.connect(self._on_remove)
        hint = QtWidgets.QLabel(
            "Shift+drag across the spectrogram to select, then Analysis \u25b8 Annotate selection "
            "(Ctrl+M). Kept while the app runs; the report does not include them."
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #8a8a98;")
        notes = QtWidgets.QWidget()
        lay = QtWidgets.QGridLayout(notes)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.annotation_list, 0, 0, 2, 1)
        lay.addWidget(self.remove_button, 0, 1)
        lay.addWidget(hint, 2, 0, 1, 2)
        lay.setColumnStretch(0, 1)
        lay.setRowStretch(1, 1)
        self.pane = QtWidgets.QTabWidget()
        self.pane.setDocumentMode(True)
        # it asks for no height of its own: the Queue, opened under the track, may take it (see make_room)
        self.pane.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Ignored)
        self.pane.addTab(self.spectrum, "")
        self.pane.addTab(notes, "Annotations")
        self.spectrum.titled.connect(lambda text: self.pane.setTabText(SPECTRUM_TAB, text))
        self.spectrum.set_title(CLICK_FOR_SPECTRUM)
        # whatever squeezes it (the Queue opening, a splitter dragged, the window made lower), a pane too
        # low to read is hidden rather than drawn as a sliver of cut labels
        self.pane.installEventFilter(self)

        # where the spectrum was taken, on the spectrogram
        self.spectrum_mark = pg.InfiniteLine(
            angle=90, movable=False, pen=pg.mkPen(colours.SPECTRUM_MARK, width=1, style=QtCore.Qt.PenStyle.DashLine)
        )
        self.spectrum_mark.setZValue(25)
        self.spectrum_mark.hide()
        view.spec_plot.addItem(self.spectrum_mark, ignoreBounds=True)

        self.act_waveform = self._action(
            "&Waveform lane",
            self.show_waveform,
            "Ctrl+W",
            checkable=True,
            tip="A min/max/RMS waveform of each channel under the spectrogram",
        )
        self.act_pane = self._action(
            "Spectrum and &annotations",
            self.show_pane,
            "Ctrl+Shift+A",
            checkable=True,
            tip="The pane under the spectrogram: the spectrum at the cursor and your notes",
        )
        self.act_annotate = self._action(
            "&Annotate selection\u2026",
            self._on_annotate,
            "Ctrl+M",
            tip="Mark the selected time range (and, if you like, a frequency band) with a note",
        )

        view.scene().sigMouseClicked.connect(self._on_clicked)
        c = controller  # loaded and analysed come through the window, after it has drawn the track
        c.overview_ready.connect(view.set_overview)
        c.waveform_detail_ready.connect(
            lambda env: self._view.waveform is not None and self._view.waveform.set_detail(env)
        )
        c.annotations_changed.connect(self._on_annotations_changed)
        c.player.position_changed.connect(self._on_play_position)
        self.show_waveform(settings.waveform_visible)
        self.show_pane(settings.spectrum_visible)
        self._on_annotations_changed()

    def _action(self, text: str, slot: Any, shortcut: str, *, checkable: bool = False, tip: str = "") -> QtGui.QAction:
        act = QtGui.QAction(text, self._window)
        act.setShortcut(QtGui.QKeySequence(shortcut))
        act.setCheckable(checkable)
        act.setToolTip(tip)
        act.setStatusTip(tip)
        act.triggered.connect(slot)
        self._window.addAction(act)
        return act

    def update_enabled(self) -> None:
        self.act_annotate.setEnabled(self._controller.audio is not None)

    # ------------------------------------------------------------------ waveform lane
    def show_waveform(self, on: bool) -> None:
        on = bool(on)
        self._settings.waveform_visible = on
        self.act_waveform.setChecked(on)
        had = self._view.waveform is not None
        lane = self._view.show_waveform(on)
        if lane is not None and not had:
            lane.x_range_changed.connect(self._on_waveform_range)
            audio = self._controller.audio
            lane.set_overview(getattr(audio, "waveform", None) if audio is not None else None)
            if audio is not None:
                self._view.reset_zoom()  # the new lane's overview shows the whole track: so do the others

    def _on_waveform_range(self, start_s: float, end_s: float) -> None:
        lane = self._view.waveform
        n = lane.detail_columns(start_s, end_s) if lane is not None else 0
        if n:
            self._controller.request_waveform_detail(start_s, end_s, n)

    def _on_play_position(self, t: float) -> None:
        if self._view.waveform is not None:
            self._view.waveform.set_cursor(t if t >= 0 else None)

    # ------------------------------------------------------------------ spectrum at the cursor
    def show_pane(self, on: bool, *, remember: bool = True) -> None:
        on = bool(on)
        if remember:
            self._settings.spectrum_visible = on
        self.act_pane.setChecked(on)
        self.pane.setVisible(on)

    def eventFilter(self, obj: QtCore.QObject, ev: QtCore.QEvent) -> bool:  # noqa: N802 (Qt API)
        if obj is self.pane and ev.type() == QtCore.QEvent.Type.Resize and self.make_room():
            self._window.statusBar().showMessage(PANE_HIDDEN_WORDS, 8000)
        return False

    def make_room(self) -> bool:
        """Hide the pane when the track column left it too low to read (the Queue opened under a
        small window); True when it was hidden. The choice saved in the settings stays."""
        if not self.pane.isVisible() or self.pane.height() >= PANE_MIN_HEIGHT_PX:
            return False
        self.show_pane(False, remember=False)
        return True

    def show_spectrum(self, time_s: float) -> bool:
        """The spectrum at ``time_s`` in the pane, with the comb's lines where the comb found a pattern."""
        spec = self._controller.spectrum_at(time_s)
        if spec is None:
            return False
        result = self._controller.result
        self._spectrum_time_s = float(time_s)
        self.spectrum.show_at(
            spec, time_s, result.comb if result is not None else None, profile=profile_evidence(result)
        )
        self.spectrum_mark.setValue(float(time_s))
        self.spectrum_mark.show()
        return True

    def _on_clicked(self, ev: Any) -> None:
        if ev.double() or ev.button() != QtCore.Qt.MouseButton.LeftButton or self._controller.audio is None:
            return
        pos = ev.scenePos()
        for box in (self._view.spec_box, self._view.waveform.vb if self._view.waveform is not None else None):
            if box is not None and box.sceneBoundingRect().contains(pos):
                self.show_spectrum(float(box.mapSceneToView(pos).x()))
                return

    def on_loaded(self, audio: Any) -> None:
        """The window has drawn the new track's spectrogram."""
        self._spectrum_time_s = None
        self.spectrum.clear()
        self.spectrum.set_title(CLICK_FOR_SPECTRUM)
        self.spectrum_mark.hide()
        if self._view.waveform is not None:
            self._view.waveform.set_overview(getattr(audio, "waveform", None))
            self._view.reset_zoom()

    def on_analysed(self, result: Any) -> None:
        """Open on the strongest window (or where the user clicked), now with the comb known."""
        t = self._spectrum_time_s
        if t is None and result.windows:
            top = max(result.windows, key=lambda w: w.probability_fake)
            t = (top.start_s + top.end_s) / 2
        if t is not None:
            self.show_spectrum(t)

    # ------------------------------------------------------------------ annotations
    def _on_annotate(self) -> None:
        c = self._controller
        sel = self._view.selection()
        if c.audio is None:
            return
        if sel is None:
            self._window.show_error("Select a time range first: Shift+drag across the spectrogram.")
            return
        dialog = AnnotationDialog(self._window, nyquist_hz=c.audio.rate / 2)
        if dialog.exec() and dialog.text():
            c.annotate(sel[0], sel[1], dialog.text(), *dialog.band_hz())
            self.pane.setCurrentIndex(ANNOTATIONS_TAB)
            self.show_pane(True)

    def _on_annotations_changed(self) -> None:
        marks = self._controller.annotations
        self.annotation_list.clear()
        for n, a in enumerate(marks, 1):
            self.annotation_list.addItem(f"{n}. {annotation_words(a)}")
        self.remove_button.setEnabled(bool(marks))
        self.pane.setTabText(ANNOTATIONS_TAB, f"Annotations ({len(marks)})" if marks else "Annotations")
        self._view.set_annotations(
            [(f"{n}. {a.text}", a.start_s, a.end_s, a.low_hz, a.high_hz) for n, a in enumerate(marks, 1)]
        )

    def _on_remove(self) -> None:
        self._controller.remove_annotation(self.annotation_list.currentRow())

    def zoom_to(self, index: int) -> None:
        marks = self._controller.annotations
        if 0 <= index < len(marks):
            a = marks[index]
            pad = max(ZOOM_PAD_S, 0.2 * (a.end_s - a.start_s))
            self._view.spec_box.setXRange(a.start_s - pad, a.end_s + pad, padding=0)
