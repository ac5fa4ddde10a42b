"""One lane of a case: a file's spectrogram, heatmap, timeline, optional waveform and verdict.

A lane shows its file on the case's time axis: a file that runs ``offset_s`` later than the
reference lane is drawn ``offset_s`` earlier, so the same music lines up across lanes. The
lane holds its analysis, its display overview and a handle on its decoded copy on disk
(:class:`~forensic_app.core.decoded.DecodedAudio`), never the decoded samples themselves, so
many long lanes stay within bounded memory. :class:`MixSource` mixes the audible lanes for
playback, reading each from disk.
"""

from __future__ import annotations

import html
import os

import dataclasses
from typing import Any, Optional

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ..core.result import AnalysisResult, Spectrogram
from ..core.vocabulary import VERDICT_COLOURS, format_offset, format_probability, probability_text
from ..core.waveform import WaveformOverview, envelope_from_reader
from . import colours
from .elided_label import ElidedLabel
from .spectrogram_view import AnalysisView, Mark
from .waveform_view import WaveformPlot
from .profile_lane import profile_evidence

LANE_HEIGHT_PX = 250
WAVEFORM_HEIGHT_PX = 150
PROFILE_HEIGHT_PX = 70  # a matched generator profile's per-window lane
WAVEFORM_BLOCK_FRAMES = 1 << 20
WAVEFORM_DETAIL_MAX_S = 600.0  # finer envelopes are read (on the GUI thread) for views up to this long


def shifted(item: Any, by_s: float) -> Any:
    """A Spectrogram, Heatmap or list of WindowScore moved ``by_s`` seconds on the time axis."""
    if by_s == 0.0 or item is None:
        return item
    if isinstance(item, list):
        return [dataclasses.replace(w, start_s=w.start_s + by_s, end_s=w.end_s + by_s) for w in item]
    return dataclasses.replace(item, time_edges_s=np.asarray(item.time_edges_s) + by_s)


VERDICT_SHARE, VERDICT_MIN_PX = 0.4, 140  # the most of a lane's header width the verdict chip may take


class LaneWidget(QtWidgets.QFrame):
    """Header (label, verdict, separated-stem flag, mute/solo, status) above an AnalysisView.

    Signals carry case time (seconds on the shared axis). ``lane_id`` names the case lane.
    """

    mute_toggled = QtCore.Signal()
    separated_toggled = QtCore.Signal(str, bool)  # lane id, flag
    clicked_at = QtCore.Signal(str, float)  # lane id, case time: the spectrum-at-cursor plot follows it
    hovered_at = QtCore.Signal(float)  # case time, or -1 when the pointer leaves
    selection_made = QtCore.Signal(str, object)  # lane id, (start, end) in case time or None

    def __init__(self, lane_id: str, label: str, file_name: str, parent: Optional[QtWidgets.QWidget] = None):
        super().__init__(parent)
        self.lane_id, self.label, self.file_name = lane_id, label, file_name
        self.offset_s = 0.0
        self.audio: Any = None
        self.overview: Optional[Spectrogram] = None  # drawn now: the decode's, or one at another FFT size
        self.result: Optional[AnalysisResult] = None
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.setObjectName(f"lane-{lane_id}")

        self.title = QtWidgets.QLabel()
        self.title.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.title.setMinimumWidth(80)  # long names give way to the verdict, never push it off screen
        self.title.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.title.installEventFilter(self)
        self.verdict_chip = ElidedLabel("waiting")
        self.verdict_chip.setStyleSheet("padding: 1px 8px; border-radius: 6px; background: #3a3a44; color: white;")
        self.status = QtWidgets.QLabel()
        self.status.setStyleSheet("color: #9a9aa8;")
        self.separated = QtWidgets.QCheckBox("separated stem")
        self.separated.setToolTip(
            "Tick when this stem was made by a source separator rather than exported from the "
            "project: a separator leaves artefacts of its own, which the report then points out."
        )
        self.separated.toggled.connect(lambda on: self.separated_toggled.emit(self.lane_id, on))
        self.mute = self._toggle("M", "Mute this lane in playback")
        self.solo = self._toggle("S", "Solo: play only the soloed lanes")
        header = QtWidgets.QHBoxLayout()
        header.setContentsMargins(6, 3, 6, 0)
        # the verdict takes what it needs up to a share of the lane (resizeEvent), the title the rest, each
        # eliding its own text: a long file name never hides the verdict, a long verdict never hides the file
        header.addWidget(self.title, 3)
        header.addWidget(self.verdict_chip)
        header.addStretch(1)
        self.status.setWordWrap(True)  # its own row: what was reused, re-analysed or went wrong, in full
        self.status.setContentsMargins(8, 0, 6, 0)
        self.status.hide()
        for w in (self.separated, self.mute, self.solo):
            header.addWidget(w)

        self.view = AnalysisView()
        self.view.placeholder.setText("Decoding\u2026")
        self.view.setMinimumHeight(LANE_HEIGHT_PX - 40)
        self.view.spec_plot.hideAxis("bottom")  # the window-evidence strip below carries the time axis
        self.view.ci.layout.setRowStretchFactor(0, 3)
        self.waveform: Optional[WaveformPlot] = None
        self.view.selection_changed.connect(lambda sel: self.selection_made.emit(self.lane_id, sel))
        self.view.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.view.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.cursor_line = pg.InfiniteLine(
            angle=90, movable=False, pen=pg.mkPen(colours.SPECTRUM_MARK, width=1, style=QtCore.Qt.PenStyle.DashLine)
        )
        self.cursor_line.setZValue(25)
        self.cursor_line.hide()
        self.view.spec_plot.addItem(self.cursor_line, ignoreBounds=True)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.status)
        layout.addWidget(self.view, 1)
        self.setMinimumHeight(LANE_HEIGHT_PX)
        self._refresh_title()

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt's name
        """As low as allowed: lanes share the height evenly and scroll, rather than growing to the view's hint."""
        return QtCore.QSize(super().sizeHint().width(), self.minimumHeight())

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        return False  # the wrapped status line would otherwise make the lane ask for its view's full hint

    def _toggle(self, text: str, tip: str) -> QtWidgets.QToolButton:
        b = QtWidgets.QToolButton()
        b.setText(text)
        b.setCheckable(True)
        b.setToolTip(tip)
        b.setAccessibleName(tip)
        b.toggled.connect(lambda _on: self.mute_toggled.emit())
        return b

    def _refresh_title(self) -> None:
        """Label, file name and offset; a name too long for the room loses its middle, not its end (versions
        of one track differ at the end: "...-excerpt-spliced"), and the tooltip keeps it whole."""
        shift = "" if self.offset_s == 0 else f"(shifted {format_offset(-self.offset_s)} to line up)"
        bold = QtGui.QFont(self.title.font())
        bold.setBold(True)
        plain, strong = self.title.fontMetrics(), QtGui.QFontMetrics(bold)
        room = self.title.width() - 12 - (plain.horizontalAdvance(" " + shift) if shift else 0)
        middle = QtCore.Qt.TextElideMode.ElideMiddle
        grey = "<span style='color:#9a9aa8'>{}</span>"
        if os.path.splitext(self.file_name)[0] == self.label:  # the default label is the file's name: say it once
            label, name = strong.elidedText(self.label, middle, max(room, 60)), ""
        else:
            label = strong.elidedText(self.label, middle, max(room // 2, 60))  # the label takes at most half
            name = plain.elidedText(self.file_name, middle, max(room - strong.horizontalAdvance(label + " "), 40))
        self.title.setText(
            f"<b>{html.escape(label)}</b>"
            + (f" {grey.format(html.escape(name))}" if name else "")
            + (" " + grey.format(shift) if shift else "")
        )
        self.title.setToolTip(f"{self.label}: {self.file_name}" + (f" {shift}" if shift else ""))

    def resizeEvent(self, ev: QtGui.QResizeEvent) -> None:  # noqa: N802 - Qt's name
        self.verdict_chip.setMaximumWidth(max(VERDICT_MIN_PX, int(self.width() * VERDICT_SHARE)))
        super().resizeEvent(ev)

    def eventFilter(self, obj: QtCore.QObject, ev: QtCore.QEvent) -> bool:  # noqa: N802 - Qt's name
        if obj is self.title and ev.type() == QtCore.QEvent.Type.Resize:
            self._refresh_title()  # the room for the file name changed
        return False

    # ------------------------------------------------------------------ data
    def set_label(self, label: str) -> None:
        self.label = label
        self._refresh_title()

    def set_offset(self, offset_s: float) -> None:
        """Draw the lane ``offset_s`` earlier (its content runs that much later than the reference's)."""
        self.offset_s = float(offset_s)
        self._refresh_title()
        if self.audio is not None:
            self.view.set_spectrogram(shifted(self.overview, -self.offset_s), self.duration_s)
            self.view.clear_detail()
        if self.result is not None:
            self._draw_result()
        if self.waveform is not None and self.audio is not None:
            self.waveform.set_overview(self._waveform_envelope())

    @property
    def duration_s(self) -> float:
        return float(self.audio.info.duration_s) if self.audio is not None else 0.0

    def set_audio(self, audio: Any) -> None:
        self.audio = audio
        self.overview = audio.overview
        self.view.set_spectrogram(shifted(audio.overview, -self.offset_s), audio.info.duration_s - self.offset_s)
        if self.waveform is not None:
            self.waveform.set_overview(self._waveform_envelope())

    def set_overview(self, spec: Spectrogram) -> None:
        """The whole file's spectrogram at another FFT size (lane time): zoom and pan stay."""
        self.overview = spec
        self.view.set_overview(shifted(spec, -self.offset_s))

    def set_result(self, result: AnalysisResult) -> None:
        self.result = result
        self._draw_result()

    def _draw_result(self) -> None:
        r = self.result
        self.view.set_heatmap(shifted(r.heatmap, -self.offset_s))
        self.view.set_windows(shifted(list(r.windows), -self.offset_s))
        # a matched generator profile: its peaks across the spectrogram, its ~10 s readings under the timeline
        self.view.set_profile_evidence(profile_evidence(r, offset_s=self.offset_s))
        self._fit_height()
        self.verdict_chip.setText(f"{r.verdict_words} \u00b7 {format_probability(r.probability_fake)}")
        self.verdict_chip.setToolTip(f"{r.verdict_words}: {probability_text(r.probability_fake, r.interval, r.held)}")
        self.verdict_chip.setStyleSheet(
            "padding: 1px 8px; border-radius: 6px; color: white; "
            f"background: {VERDICT_COLOURS.get(r.verdict, '#3a3a44')};"
        )

    def set_status(self, text: str, *, problem: bool = False) -> None:
        self.status.setText(text)
        self.status.setToolTip(text)
        self.status.setStyleSheet("color: #e08080;" if problem else "color: #9a9aa8;")
        self.status.setVisible(bool(text))

    def set_failed(self, message: str) -> None:
        """The file could not be read and there is no saved analysis to show."""
        self.verdict_chip.setText("not analysed")
        self.verdict_chip.setStyleSheet("padding: 1px 8px; border-radius: 6px; background: #5a2a2a; color: white;")
        self.view.placeholder.setText("")
        self.set_status(message, problem=True)

    def show_saved_only(self, result: AnalysisResult, message: str) -> None:
        """The file is gone but the case holds its analysis: show that (no playback, no zoom detail)."""
        self.view.set_spectrogram(shifted(result.overview, -self.offset_s), result.input.duration_s - self.offset_s)
        self.set_result(result)
        self.set_status(message, problem=True)

    # ------------------------------------------------------------------ waveform lane
    def _waveform_envelope(self):
        envelope = getattr(self.audio, "waveform", None)  # made while decoding
        if envelope is None:
            builder = WaveformOverview(self.audio.rate, self.audio.channels)
            for start in range(0, self.audio.n_frames, WAVEFORM_BLOCK_FRAMES):
                builder.push(self.audio.read(start, WAVEFORM_BLOCK_FRAMES))
            envelope = builder.result()
        return shifted(envelope, -self.offset_s)

    def show_waveform(self, on: bool) -> None:
        had = self.waveform is not None
        self.waveform = self.view.show_waveform(on)
        if self.waveform is not None and not had:
            self.waveform.x_range_changed.connect(self._on_waveform_range)
            if self.audio is not None:
                self.waveform.set_overview(self._waveform_envelope())
        self._fit_height()

    def _fit_height(self) -> None:
        """Room for what the lane draws: the spectrogram and timeline, the waveform lane when shown, and a
        matched profile's per-window lane, so that no lane's titles run into another's."""
        self.setMinimumHeight(
            LANE_HEIGHT_PX
            + (WAVEFORM_HEIGHT_PX if self.waveform is not None else 0)
            + (PROFILE_HEIGHT_PX if self.view.profile_lane is not None else 0)
        )

    def _on_waveform_range(self, start_s: float, end_s: float) -> None:
        """Zoomed in: a finer envelope of the visible range, read from the decoded copy."""
        if self.waveform is None or self.audio is None or end_s - start_s > WAVEFORM_DETAIL_MAX_S:
            return
        n = self.waveform.detail_columns(start_s, end_s)
        if n:
            a = self.audio
            lo, hi = detail_in_lane_time(start_s, end_s, self.offset_s)
            lo, hi = max(0.0, lo), min(hi, a.n_frames / a.rate)
            if hi > lo:
                self.waveform.set_detail(
                    shifted(envelope_from_reader(a.read, a.rate, a.n_frames, lo, hi, n), -self.offset_s)
                )

    # ------------------------------------------------------------------ cursor, annotations
    def set_cursor(self, t_case: Optional[float]) -> None:
        if t_case is None or t_case < 0:
            self.cursor_line.hide()
        else:
            self.cursor_line.setValue(t_case)
            self.cursor_line.show()
        if self.waveform is not None:
            self.waveform.set_cursor(None if t_case is None or t_case < 0 else t_case)

    def _on_mouse_moved(self, pos) -> None:
        if self.view.spec_box.sceneBoundingRect().contains(pos):
            self.hovered_at.emit(float(self.view.spec_box.mapSceneToView(pos).x()))
        else:
            self.hovered_at.emit(-1.0)

    def _on_mouse_clicked(self, ev) -> None:
        pos = ev.scenePos()
        if self.view.spec_box.sceneBoundingRect().contains(pos) and not ev.double():
            self.clicked_at.emit(self.lane_id, float(self.view.spec_box.mapSceneToView(pos).x()))

    def set_annotations(self, marks: list[Mark]) -> None:
        """Draw (text, start, end, low_hz, high_hz) regions, times on the case axis."""
        self.view.set_annotations(marks)


class MixSource:
    """The audible lanes mixed for playback, on the case time axis, read from disk as played.

    ``read(start, n)`` -> (n, channels) float32 at ``rate``: the sum of each lane's frames at
    case time (start / rate) (lane time = case time + the lane's offset), clipped to ±1. Lanes
    at another sample rate than the first audible one are left out (``left_out`` names them).
    """

    def __init__(self, lanes: list[LaneWidget]):
        ready = [lane for lane in lanes if lane.audio is not None]
        soloed = [lane for lane in ready if lane.solo.isChecked()]
        audible = soloed or [lane for lane in ready if not lane.mute.isChecked()]
        self.rate = audible[0].audio.rate if audible else 44100
        self.lanes = [lane for lane in audible if lane.audio.rate == self.rate]
        self.left_out = [lane.label for lane in audible if lane.audio.rate != self.rate]
        self.channels = max([lane.audio.channels for lane in self.lanes] + [1])
        self.channels = min(self.channels, 2)
        ends = [lane.audio.n_frames - int(round(lane.offset_s * self.rate)) for lane in self.lanes]
        self.n_frames = max(ends + [0])

    def read(self, start: int, n: int) -> np.ndarray:
        n = max(0, min(int(n), self.n_frames - int(start)))
        out = np.zeros((n, self.channels), np.float32)
        for lane in self.lanes:
            s = int(start) + int(round(lane.offset_s * self.rate))
            skip = max(0, -s)
            block = lane.audio.read(max(0, s), n - skip)
            if block.shape[0] == 0:
                continue
            block = (
                block[:, : self.channels]
                if block.shape[1] >= self.channels
                else np.repeat(block[:, :1], self.channels, axis=1)
            )
            out[skip : skip + block.shape[0]] += block
        np.clip(out, -1.0, 1.0, out=out)
        return out


def detail_in_lane_time(start_s: float, end_s: float, offset_s: float) -> tuple[float, float]:
    """A case-time range as the lane's own time range (what its decoded copy is read at)."""
    return start_s + offset_s, end_s + offset_s


def spectrogram_in_case_time(spec: Spectrogram, offset_s: float) -> Spectrogram:
    return shifted(spec, -offset_s)
