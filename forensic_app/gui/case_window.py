"""The case window: several files (stems, versions) as lanes on one time axis.

Each lane decodes its file once to disk and is analysed on its own thread (the model runs
one analysis at a time); a reopened case reuses each saved analysis when the file's hash and
the model are unchanged, and otherwise analyses again and says why. Zoom and pan are shared,
the cursor is drawn in every lane, playback mixes the audible lanes (mute/solo), a click
shows the spectrum at that moment, and the side panel holds the finding, the per-lane
table, annotations and the reviewer's decision. The case is saved as a ``.facase`` file
(:mod:`.case_files`: open, save, relink, report); each lane's jobs are in :mod:`.case_jobs`.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Optional

from PySide6 import QtCore, QtGui, QtWidgets

from ..case.document import Annotation, Case, CaseFile
from ..core.spectrum import spectrum_at
from ..core.spectrogram import DISPLAY_N_FFT
from . import geometry
from . import settings as settings_mod
from .case_files import CaseFiles
from .case_jobs import LaneJobs
from .case_lane import LaneWidget, MixSource
from .case_panel import AnnotationDialog, CasePanel
from .jobs import JobRunner
from .playback import Player
from .scales import SCALE_NAMES
from .profile_lane import profile_evidence
from .spectrum_plot import SpectrumPlot
from .view_controls import fft_size_actions, scale_actions
from .workers import Backend, overview_job

PANEL_SHARE = 0.45  # of the window's width for the side panel (finding, table, decision); the lanes get the rest
PANEL_MAX_PX = 600


class CaseWindow(CaseFiles, QtWidgets.QMainWindow):
    case_ready = QtCore.Signal()  # every lane has a result or an error

    def __init__(
        self,
        *,
        backend: Optional[Backend] = None,
        weights_dir: Optional[str] = None,
        settings: Optional[settings_mod.Settings] = None,
    ):
        """``settings``: the main window's, when it opens this window (they are saved together); else read here."""
        super().__init__()
        self.backend = backend or Backend(weights_dir)
        settings_problem = None
        if settings is None:
            settings, settings_problem = settings_mod.load_settings()
        self.settings = settings
        self.case = Case()
        self.case_path: Optional[str] = None
        self.dirty = False
        self.lanes: list[LaneWidget] = []
        self._jobs: dict[str, LaneJobs] = {}  # lane id -> its analysis and detail jobs
        self._pending: set[str] = set()
        self._failed: set[str] = set()  # lane ids whose file could not be read
        self._selection: Optional[tuple[str, tuple[float, float]]] = None
        self.tasks = JobRunner("forensic-tasks", self)  # alignment and reports, one after another
        self.tasks.succeeded.connect(self._on_task_done)
        self.tasks.failed.connect(self._on_task_failed)
        self.tasks.cancelled.connect(self._on_task_cancelled)
        self._task_done: dict[int, Callable[[Any], None]] = {}
        self.display = JobRunner("forensic-display", self)  # the lanes' spectrograms at another FFT size
        self.display.succeeded.connect(self._on_overview)
        self.display.failed.connect(lambda job, *_: self._overviews.pop(job, None))
        self.display.cancelled.connect(lambda job: self._overviews.pop(job, None))
        self._overviews: dict[int, tuple[str, int]] = {}  # display job id -> lane id, FFT size
        self.player = Player(self)
        self.player.position_changed.connect(self._on_play_position)

        self.lane_box = QtWidgets.QWidget()
        self.lane_layout = QtWidgets.QVBoxLayout(self.lane_box)
        self.lane_layout.setContentsMargins(0, 0, 0, 0)
        self.lane_layout.addStretch(1)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.lane_box)
        self.spectrum = SpectrumPlot()
        self.spectrum.setMinimumHeight(160)
        self.spectrum.set_freq_scale(settings.case_freq_scale)
        self.spectrum.plot.setTitle("Spectrum: click a lane to see its spectrum at that moment")
        self.spectrum.plot.setXRange(0, 22050, padding=0)
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        split.addWidget(scroll)
        split.addWidget(self.spectrum)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        split.setSizes([720, 200])
        self.split = split
        self.setCentralWidget(split)
        self.panel = CasePanel()
        self.panel.changed.connect(self._on_case_edited)
        self.panel.annotation_activated.connect(self.zoom_to_annotation)
        dock = QtWidgets.QDockWidget("Case", self)
        dock.setObjectName("case-panel")
        dock.setWidget(self.panel)
        dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        dock.setTitleBarWidget(QtWidgets.QWidget())  # the panel's headings say what it is: the height goes to it
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.dock = dock
        self._build_menus()
        self.setAcceptDrops(True)
        self._placed_after_show = False
        geometry.place_window(self, settings.case_window_geometries, settings.case_window_geometry)
        self.panel.set_case(self.case)
        self._update_title()
        if settings_problem:
            self.statusBar().showMessage(settings_problem)

    # ------------------------------------------------------------------ menus
    def _act(
        self, menu: QtWidgets.QMenu, text: str, slot: Callable, shortcut: Any = None, *, checkable: bool = False
    ) -> QtGui.QAction:
        act = menu.addAction(text)
        if shortcut is not None:
            act.setShortcut(QtGui.QKeySequence(shortcut))
        act.setCheckable(checkable)
        act.triggered.connect(slot)
        return act

    def _build_menus(self) -> None:
        SK = QtGui.QKeySequence.StandardKey
        bar = self.menuBar()
        m = bar.addMenu("&File")
        self.act_add = self._act(m, "&Add files\u2026", self._on_add_files, SK.Open)
        self.act_open = self._act(m, "Open &case\u2026", self._on_open_case, "Ctrl+Shift+O")
        self.act_save = self._act(m, "&Save case", self.save, SK.Save)
        self.act_save_as = self._act(m, "Save case &as\u2026", lambda: self.save(ask=True), SK.SaveAs)
        self.act_relink = self._act(m, "&Relink missing files\u2026", self._on_relink)
        self.act_report = self._act(m, "Export case &report\u2026", self._on_export_report, "Ctrl+R")
        m.addSeparator()
        self._act(m, "&Close", self.close, SK.Close)
        m = bar.addMenu("&Case")
        self.act_annotate = self._act(m, "Annotate &selection\u2026", self._on_annotate, "Ctrl+M")
        self.act_align = self._act(m, "&Align lanes to the first (cross-correlation)", self._on_align)
        m = bar.addMenu("&View")
        self.act_waveform = self._act(m, "&Waveform lanes", self._on_waveform, "Ctrl+W", checkable=True)
        m.addSeparator()
        self.scale_group, self.scale_actions = scale_actions(self, self.set_freq_scale)
        for act in self.scale_actions.values():
            m.addAction(act)
        self.scale_actions[self.settings.case_freq_scale].setChecked(True)
        self.fft_group, self.fft_actions = fft_size_actions(self, self.set_fft_size)
        m.addMenu("FFT &size (spectrograms)").addActions(list(self.fft_actions.values()))
        self.fft_actions[self.settings.fft_size].setChecked(True)
        m.addSeparator()
        self._act(m, "&Fit whole case", lambda: self.lanes and self.lanes[0].view.reset_zoom(), "Ctrl+0")
        m = bar.addMenu("&Playback")
        self.act_play = self._act(m, "&Play / pause", self._on_play_pause, "Space")
        self._act(m, "&Stop", self.player.stop, "Shift+Space")

    # ------------------------------------------------------------------ lanes
    def add_files(self, paths: list[str]) -> None:
        """Add each file as a lane (labelled from its name), decode and analyse it."""
        from ..case.build import default_label

        for p in paths:
            lane = CaseFile(
                lane_id=self.case.new_lane_id(),
                path=os.path.abspath(p),
                sha256="",
                size_bytes=0,
                label=default_label(p),
            )
            self.case.lanes.append(lane)
            self._start_lane(lane, None, True)
        self._on_case_edited()

    def _start_lane(self, lane: CaseFile, saved: Any, model_ok: bool) -> None:
        widget = LaneWidget(lane.lane_id, lane.label, os.path.basename(lane.path))
        widget.separated.setChecked(lane.separated)
        widget.offset_s = lane.offset_s
        widget.mute_toggled.connect(self._rebuild_mix)
        widget.separated_toggled.connect(self._on_separated)
        widget.clicked_at.connect(self.show_spectrum)
        widget.hovered_at.connect(self._on_hover)
        widget.selection_made.connect(self._on_selection)
        if self.lanes:
            widget.view.spec_plot.setXLink(self.lanes[0].view.spec_plot)
        widget.view.set_freq_scale(self.settings.case_freq_scale)
        widget.show_waveform(self.act_waveform.isChecked())
        self.lane_layout.insertWidget(self.lane_layout.count() - 1, widget)
        self.lanes.append(widget)
        jobs = LaneJobs(self, widget, self.backend, saved, model_ok)
        jobs.n_fft = self.settings.fft_size
        jobs.loaded.connect(self._on_loaded)
        jobs.analysed.connect(self._on_result)
        jobs.failed.connect(self._on_lane_failed)
        self._jobs[lane.lane_id] = jobs
        self._pending.add(lane.lane_id)
        jobs.start(lane.path)

    def _lane(self, widget: LaneWidget) -> CaseFile:
        return self.case.lane(widget.lane_id)

    def _on_loaded(self, widget: LaneWidget, audio: Any) -> None:
        widget.set_audio(audio)
        if self.settings.fft_size != DISPLAY_N_FFT:
            self._redraw_overview(widget)
        self._draw_annotations()
        self._rebuild_mix()

    def _on_result(self, widget: LaneWidget, result: Any) -> None:
        widget.set_result(result)
        lane = self._lane(widget)
        if lane.result is not result:
            lane.result, lane.sha256, lane.size_bytes = result, result.input.file_sha256, result.input.file_size_bytes
            self.dirty = True
            self._update_title()
        widget.set_status(self._jobs[widget.lane_id].backend.note)
        self._lane_settled(widget)

    def _on_lane_failed(self, widget: LaneWidget, message: str) -> None:
        lane = self._lane(widget)
        message = message.rstrip(". ") + "."
        relink = (
            " File \u25b8 Relink missing files\u2026 finds it by its hash." if not os.path.exists(lane.path) else ""
        )
        if lane.result is not None:  # a saved case: its analysis still stands for the bytes it was made from
            widget.show_saved_only(
                lane.result, f"{message} Showing the saved analysis (no playback, no zoomed detail).{relink}"
            )
        else:
            widget.set_failed(message + relink)
        self._failed.add(widget.lane_id)
        self._lane_settled(widget)

    def failed_lanes(self) -> list[str]:
        """Labels of the lanes whose file could not be read (with or without a saved analysis)."""
        return [w.label for w in self.lanes if w.lane_id in self._failed]

    def _lane_settled(self, widget: LaneWidget) -> None:
        self._pending.discard(widget.lane_id)
        self.panel.refresh()
        if not self._pending:
            failed = self.failed_lanes()
            self.statusBar().showMessage(
                f"Could not read: {', '.join(failed)} (see the lane)." if failed else "Every lane is ready.",
                0 if failed else 5000,
            )
            if self.spectrum.spectrum is None:
                self.show_strongest_evidence()
            self.case_ready.emit()

    def show_strongest_evidence(self) -> None:
        """The spectrum of the lane with the highest probability, in the middle of its strongest window."""
        analysed = [w for w in self.lanes if w.result is not None and w.audio is not None and w.result.windows]
        if analysed:
            w = max(analysed, key=lambda lane: lane.result.probability_fake)
            top = max(w.result.windows, key=lambda win: win.probability_fake)
            self.show_spectrum(w.lane_id, (top.start_s + top.end_s) / 2 - w.offset_s)

    def _clear_lanes(self) -> None:
        self.player.set_source(None)
        self.display.cancel()
        for jobs in self._jobs.values():
            jobs.shutdown()
        self._jobs.clear()
        self._failed.clear()
        self._pending.clear()
        for w in self.lanes:
            w.view.close()
            w.deleteLater()
        self.lanes = []

    # ------------------------------------------------------------------ interaction
    def _on_hover(self, t: float) -> None:
        for w in self.lanes:
            w.set_cursor(t if t >= 0 else None)

    def show_spectrum(self, lane_id: str, t_case: float) -> None:
        w = next((w for w in self.lanes if w.lane_id == lane_id), None)
        if w is None or w.audio is None:
            return
        a = w.audio
        spec = spectrum_at(a.read, a.rate, a.n_frames, max(0.0, t_case + w.offset_s))
        self.spectrum.show_at(
            spec,
            t_case,
            w.result.comb if w.result is not None else None,
            label=w.label,
            profile=profile_evidence(w.result),
        )

    def _on_selection(self, lane_id: str, sel: Any) -> None:
        self._selection = (lane_id, sel) if sel else None

    def _on_annotate(self) -> None:
        if self._selection is None:
            self.show_error("Select a time range first: Shift+drag across a lane.")
            return
        lane_id, (a, b) = self._selection
        dialog = AnnotationDialog(self, nyquist_hz=self._nyquist(lane_id))
        if dialog.exec() and dialog.text():
            self.annotate(lane_id, a, b, dialog.text(), *dialog.band_hz())

    def _nyquist(self, lane_id: str) -> float:
        w = next((w for w in self.lanes if w.lane_id == lane_id), None)
        return w.audio.rate / 2 if w is not None and w.audio is not None else 22050.0

    def annotate(
        self,
        lane_id: Optional[str],
        start_case_s: float,
        end_case_s: float,
        text: str,
        low_hz: Optional[float] = None,
        high_hz: Optional[float] = None,
    ) -> Annotation:
        """Add an annotation over a case-time range of one lane (None: the whole case), optionally
        limited to ``low_hz``..``high_hz``."""
        offset = self.case.lane(lane_id).offset_s if lane_id else 0.0
        a = Annotation(
            start_s=start_case_s + offset,
            end_s=end_case_s + offset,
            text=text,
            lane=lane_id,
            low_hz=low_hz,
            high_hz=high_hz,
        )
        self.panel.add_annotation(a)
        return a

    def _draw_annotations(self) -> None:
        numbered = list(enumerate(self.case.annotations, 1))
        for w in self.lanes:
            marks = []
            for n, a in numbered:
                if a.lane in (None, w.lane_id):
                    shift = w.offset_s if a.lane else 0.0
                    marks.append((f"{n}. {a.text}", a.start_s - shift, a.end_s - shift, a.low_hz, a.high_hz))
            w.set_annotations(marks)

    def zoom_to_annotation(self, index: int) -> None:
        if 0 <= index < len(self.case.annotations) and self.lanes:
            a = self.case.annotations[index]
            shift = self.case.lane(a.lane).offset_s if a.lane else 0.0
            pad = max(0.5, 0.2 * (a.end_s - a.start_s))
            self.lanes[0].view.spec_box.setXRange(a.start_s - shift - pad, a.end_s - shift + pad, padding=0)

    def _on_separated(self, lane_id: str, on: bool) -> None:
        self.case.lane(lane_id).separated = on
        self._on_case_edited()

    def _on_case_edited(self) -> None:
        self.dirty = True
        self._draw_annotations()
        self.panel.refresh()
        self._update_title()

    def set_freq_scale(self, name: str) -> None:
        """Linear, log or mel frequency in every lane (a bass stem wants log: below 250 Hz it is a line in linear)."""
        if name not in SCALE_NAMES:
            return
        self.settings.case_freq_scale = name
        self.scale_actions[name].setChecked(True)
        for w in self.lanes:
            w.view.set_freq_scale(name)
        self.spectrum.set_freq_scale(name)

    def set_fft_size(self, n_fft: int) -> None:
        """Frame length of the lanes' spectrograms (what is drawn; the analysis keeps the model's)."""
        self.settings.fft_size = int(n_fft)
        self.fft_actions[int(n_fft)].setChecked(True)
        self.display.cancel()
        for w in self.lanes:
            self._jobs[w.lane_id].n_fft = int(n_fft)
            if w.audio is not None:
                self._redraw_overview(w)

    def _redraw_overview(self, widget: LaneWidget) -> None:
        n_fft = self.settings.fft_size
        if n_fft == DISPLAY_N_FFT:  # the one made while decoding
            widget.set_overview(widget.audio.overview)
            return
        job = self.display.submit(overview_job(widget.audio, n_fft), "drawing the spectrogram")
        self._overviews[job] = (widget.lane_id, n_fft)

    def _on_overview(self, job: int, spec: Any) -> None:
        lane_id, n_fft = self._overviews.pop(job, ("", 0))
        w = next((w for w in self.lanes if w.lane_id == lane_id), None)
        if w is not None and spec is not None and n_fft == self.settings.fft_size:
            w.set_overview(spec)

    def _on_waveform(self, on: bool) -> None:
        for w in self.lanes:
            w.show_waveform(on)

    def _on_align(self) -> None:
        from ..case.build import align_lanes

        case = self.case

        def done(words: dict[str, str]) -> None:
            for w in self.lanes:
                w.set_offset(case.lane(w.lane_id).offset_s)
                w.set_status(words.get(w.lane_id, "reference lane" if w is self.lanes[0] else ""))
            self._on_case_edited()
            self._rebuild_mix()

        self._submit(lambda _job: align_lanes(case), "aligning the lanes", done)
        self.statusBar().showMessage("Aligning the lanes by cross-correlation\u2026")

    # ------------------------------------------------------------------ playback
    def _rebuild_mix(self) -> None:
        at = self.player.position_s if self.player.state == "playing" else None
        mix = MixSource(self.lanes)
        self.player.set_source(mix if mix.lanes else None)
        if mix.left_out:
            self.statusBar().showMessage(
                f"Not in the mix (another sample rate; solo to listen): {', '.join(mix.left_out)}", 8000
            )
        if at is not None:
            self.player.play(at)

    def _on_play_pause(self) -> None:
        self.player.toggle()

    def _on_play_position(self, t: float) -> None:
        for w in self.lanes:
            w.view.set_playhead(t if t >= 0 else None)

    # ------------------------------------------------------------------ files
    # ------------------------------------------------------------------ window
    def _update_title(self) -> None:
        name = os.path.basename(self.case_path) if self.case_path else "Untitled case"
        self.setWindowTitle(
            f"{name}{' *' if self.dirty else ''} \u2014 forensic_app case ({len(self.case.lanes)} files)"
        )

    def show_error(self, message: str) -> None:
        QtWidgets.QMessageBox.warning(self, "forensic_app", message)

    def showEvent(self, ev: QtGui.QShowEvent) -> None:
        super().showEvent(ev)
        if not self._placed_after_show:  # the frame's size is known only once the window is shown
            self._placed_after_show = True
            geometry.clamp_to_screen(self)
            self.size_panel()

    def size_panel(self) -> None:
        """Give the side panel its share of the window's width (a resized window keeps the panel's width)."""
        width = min(max(int(self.width() * PANEL_SHARE), self.panel.minimumWidth()), PANEL_MAX_PX)
        self.resizeDocks([self.dock], [width], QtCore.Qt.Orientation.Horizontal)

    def save_geometry(self) -> None:
        """Remember the window's size and place for this screen (with the main window's settings)."""
        s = self.settings
        key, s.case_window_geometry = geometry.saved_geometry(self)
        s.case_window_geometries[key] = s.case_window_geometry
        settings_mod.save_settings(s)  # a failure costs only the size: not worth a message on closing

    def closeEvent(self, ev: QtGui.QCloseEvent) -> None:
        if not self.confirm_discard():
            ev.ignore()
            return
        self.save_geometry()
        self._clear_lanes()
        self.player.stop()
        self.tasks.shutdown()
        self.display.shutdown()
        super().closeEvent(ev)
