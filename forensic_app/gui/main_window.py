"""The main window: layout, menus and dialogs over a :class:`~.track_controller.TrackController`.

The controller holds the track and runs its jobs; the window asks the user (file dialogs,
"replace?"), hands the answers to the controller, and draws what the controller's signals say:
spectrogram, heatmap, verdict, progress, banner and which actions are enabled.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Optional

from PySide6 import QtCore, QtGui, QtWidgets

from .. import resources
from ..core.result import AnalysisResult
from . import geometry
from . import settings as settings_mod
from .banner import Banner
from .queue_panel import QueuePanel
from .scales import format_time
from .spectrogram_view import AnalysisView
from .track_controller import TrackController
from .verdict_panel import VerdictPanel
from .view_controls import ViewControls
from .workers import Backend

APP_TITLE = "forensic_app"
CASE_MAX_DROP = 8  # more dropped files than this go to the Queue without asking
AUDIO_FILTER = "Audio files (*.wav *.flac *.ogg *.oga *.opus *.mp3 *.m4a *.aac *.aif *.aiff);;All files (*)"


class MainWindow(QtWidgets.QMainWindow):
    spectrogram_shown = QtCore.Signal()
    analysis_finished = QtCore.Signal(object)  # AnalysisResult
    analysis_failed = QtCore.Signal(str)
    analysis_cancelled = QtCore.Signal()
    report_written = QtCore.Signal(str)  # path
    report_failed = QtCore.Signal(str)  # message
    robustness_finished = QtCore.Signal(object)  # the rows; also when cancelled or failed: None

    def __init__(self, *, backend: Optional[Backend] = None, weights_dir: Optional[str] = None):
        super().__init__()
        self.setWindowTitle(APP_TITLE)
        self.setAcceptDrops(True)
        self.settings, settings_problem = settings_mod.load_settings()
        self.backend = backend or Backend(weights_dir)
        self.controller = c = TrackController(self.backend, self)
        self.player = c.player
        self.queue_panel: Optional[QueuePanel] = None  # made on first use (it has its own thread)
        self.queue_dock: Optional[QtWidgets.QDockWidget] = None

        self.banner = Banner()
        self.view = AnalysisView()
        self.verdict = VerdictPanel()
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.verdict)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([1000, 380])
        central = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.banner)
        lay.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.view.cursor_moved.connect(self._on_cursor_moved)
        self.view.selection_changed.connect(self._on_selection_changed)
        self.view.detail_wanted.connect(c.request_detail)

        self.controls = ViewControls(self, self.view, self.settings)
        self._build_chrome()
        self._bind_controller()
        self._apply_settings()
        self._update_enabled()
        self._restore_geometry()
        if settings_problem:
            self.show_info(settings_problem)

    def _bind_controller(self) -> None:
        c = self.controller
        c.loaded.connect(self._on_loaded)
        c.progressed.connect(self._on_progressed)
        c.busy_changed.connect(self._on_busy_changed)
        c.analysed.connect(self._on_analysed)
        c.analysis_failed.connect(self._on_analysis_failed)
        c.analysis_cancelled.connect(self._on_analysis_cancelled)
        c.detail_ready.connect(self.view.set_detail)
        c.robustness_started.connect(self.verdict.show_robustness_running)
        c.robustness_finished.connect(self._on_robustness_finished)
        c.robustness_cancelled.connect(self._on_robustness_cancelled)
        c.robustness_failed.connect(self._on_robustness_failed)
        c.report_written.connect(self._on_report_written)
        c.report_failed.connect(self._on_report_failed)
        c.state_changed.connect(self._update_enabled)
        c.player.position_changed.connect(self._on_play_position)
        c.player.state_changed.connect(self._on_play_state)
        c.player.error.connect(self.show_error)

    # ================================================================ building
    def _action(self, text: str, slot: Callable, shortcut: Any = None, *, checkable: bool = False,
                tip: str = "") -> QtGui.QAction:
        act = QtGui.QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QtGui.QKeySequence(shortcut))
        act.setCheckable(checkable)
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        act.triggered.connect(slot)
        self.addAction(act)
        return act

    def _build_chrome(self) -> None:
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()

    def _build_actions(self) -> None:
        SK = QtGui.QKeySequence.StandardKey
        self.act_open = self._action("&Open\u2026", self._on_open, SK.Open, tip="Open an audio file to analyse")
        self.act_export_png = self._action("Export view as &PNG\u2026", self._on_export_png, "Ctrl+E")
        self.act_export_report = self._action("Export &report\u2026", self._on_export_report, "Ctrl+R")
        self.act_queue = self._action("&Queue\u2026", self.show_queue, "Ctrl+Shift+Q",
                                      tip="Analyse many files or a folder in the background and review the verdicts")
        self.act_quit = self._action("&Quit", self.close, SK.Quit)
        self.act_cancel = self._action("Cancel analysis", self.cancel_analysis, "Ctrl+.")
        self.act_robustness = self._action(
            "Check &robustness", self.check_robustness, "Ctrl+K",
            tip="Analyse re-encoded and manipulated copies (MP3, Opus, level, pitch, speed, noise) "
                "to see how far the score moves; takes several times as long as the analysis")
        self.act_play = self._action("&Play / pause", self._on_play_pause, "Space")
        self.act_stop = self._action("&Stop", self._on_stop, "Shift+Space")
        self.act_play_sel = self._action("Play s&election", self._on_play_selection, "Ctrl+Space")
        self.act_loop = self._action("&Loop", self._on_loop_toggled, "Ctrl+L", checkable=True)
        self.act_fit = self._action("&Fit whole track", lambda: self.view.reset_zoom(), "Ctrl+0")
        self.act_zoom_in = self._action("Zoom &in (time)", lambda: self.view.zoom_time(0.5), "Ctrl+=")
        self.act_zoom_out = self._action("Zoom &out (time)", lambda: self.view.zoom_time(2.0), "Ctrl+-")
        self.act_zoom_in_f = self._action("Zoom in (frequency)", lambda: self.view.zoom_freq(0.5), "Ctrl+Shift+=")
        self.act_zoom_out_f = self._action("Zoom out (frequency)", lambda: self.view.zoom_freq(2.0), "Ctrl+Shift+-")

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addAction(self.act_open)
        self.recent_menu = m.addMenu("Open &recent")
        m.addSeparator()
        m.addAction(self.act_export_png)
        m.addAction(self.act_export_report)
        m.addSeparator()
        m.addAction(self.act_queue)
        m.addAction("&New case (stems or versions)…", self._on_new_case, QtGui.QKeySequence("Ctrl+Shift+N"))
        m.addAction("Open &case…", self._on_open_case, QtGui.QKeySequence("Ctrl+Shift+O"))
        m.addSeparator()
        m.addAction(self.act_quit)
        m = mb.addMenu("&View")
        self.controls.add_to_menu(m)
        m.addSeparator()
        for act in (self.act_fit, self.act_zoom_in, self.act_zoom_out, self.act_zoom_in_f, self.act_zoom_out_f):
            m.addAction(act)
        m = mb.addMenu("&Playback")
        for act in (self.act_play, self.act_stop, self.act_play_sel, self.act_loop):
            m.addAction(act)
        m = mb.addMenu("&Analysis")
        m.addAction(self.act_robustness)
        m.addAction(self.act_cancel)
        m = mb.addMenu("&Help")
        m.addAction("&How to read the results", self._on_help)
        self.act_demo = m.addAction("Open the &demo track", self.open_demo)
        self.act_demo.setEnabled(resources.demo_track() is not None)
        m.addSeparator()
        m.addAction("&About forensic_app", self.show_about)
        for menu in mb.findChildren(QtWidgets.QMenu):
            menu.setToolTipsVisible(True)  # disabled actions say why (no audio device, no report yet)
        self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_files:
            act = self.recent_menu.addAction(os.path.basename(path) or path)
            act.setToolTip(path)
            act.setStatusTip(path)
            act.triggered.connect(lambda _=False, p=path: self.open_file(p))
        self.recent_menu.setEnabled(bool(self.settings.recent_files))

    def _build_toolbar(self) -> None:
        tb = self.addToolBar("Main")
        tb.setObjectName("main-toolbar")
        tb.setMovable(False)
        tb.addAction(self.act_open)
        tb.addSeparator()
        for act in (self.act_play, self.act_stop, self.act_play_sel, self.act_loop):
            tb.addAction(act)
        tb.addSeparator()
        self.controls.add_to_toolbar(tb)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.readout_label = QtWidgets.QLabel("")
        self.readout_label.setMinimumWidth(200)
        sb.addWidget(self.readout_label, 1)
        self.stage_label = QtWidgets.QLabel("")
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFixedWidth(220)
        self.progress.setTextVisible(False)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_analysis)
        for wdg in (self.stage_label, self.progress, self.cancel_button):
            sb.addPermanentWidget(wdg)
        player = self.controller.player
        self.audio_label = QtWidgets.QLabel("No audio output")
        self.audio_label.setStyleSheet("color: #707080;")
        self.audio_label.setToolTip(player.unavailable_reason)
        self.audio_label.setVisible(not player.available)
        sb.addPermanentWidget(self.audio_label)
        self._on_busy_changed()

    def _update_enabled(self) -> None:
        c = self.controller
        why = c.playback_blocked
        for act, ok, tip in ((self.act_play, c.can_play, "Play or pause (Space)"),
                             (self.act_stop, c.can_stop, "Stop (Shift+Space)"),
                             (self.act_play_sel, c.can_play_selection, "Play the selected range (Ctrl+Space)"),
                             (self.act_loop, c.can_loop, "Loop playback")):
            act.setEnabled(ok)
            act.setToolTip(why if (why and not ok) else tip)
        self.act_export_png.setEnabled(c.can_export_view)
        self.act_robustness.setEnabled(c.can_check_robustness)
        if c.write_report is None:
            self.act_export_report.setEnabled(False)
            self.act_export_report.setToolTip(c.report_unavailable)
            self.act_export_report.setStatusTip(c.report_unavailable)
        else:
            self.act_export_report.setEnabled(c.can_export_report)
            self.act_export_report.setToolTip("Write a PDF report of this analysis" if c.result is not None
                                              else "Available when the analysis has finished.")

    # ================================================================ the track, as the controller has it
    @property
    def result(self) -> Optional[AnalysisResult]:
        return self.controller.result

    @property
    def current_path(self) -> Optional[str]:
        return self.controller.path

    # ================================================================ settings
    def _apply_settings(self) -> None:
        self.act_loop.setChecked(self.settings.loop)
        self.controller.set_loop(self.settings.loop)

    def _restore_geometry(self) -> None:
        s = self.settings
        self._clamped_after_show = False
        geometry.place_window(self, s.window_geometries, s.window_geometry)
        try:
            if s.splitter_state:
                self.splitter.restoreState(QtCore.QByteArray.fromBase64(s.splitter_state.encode("ascii")))
        except (ValueError, UnicodeEncodeError):
            pass

    def save_settings(self) -> None:
        s = self.settings
        key, s.window_geometry = geometry.saved_geometry(self)
        s.window_geometries[key] = s.window_geometry
        s.splitter_state = bytes(self.splitter.saveState().toBase64()).decode("ascii")
        problem = settings_mod.save_settings(s)
        if problem:
            self.statusBar().showMessage(problem, 8000)

    def set_freq_scale(self, name: str) -> None:
        self.controls.set_freq_scale(name)

    def set_colour_map(self, name: str) -> None:
        self.controls.set_colour_map(name)

    # ================================================================ opening
    def _on_open(self) -> None:
        start = os.path.dirname(self.current_path) if self.current_path else ""
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open a track", start, AUDIO_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str) -> None:
        """Show the spectrogram as soon as it is decoded, then run the analysis (cancels any running one)."""
        path = os.path.abspath(str(path))
        self.controller.open(path)
        self.banner.hide()
        self.view.clear_track()
        self.verdict.show_waiting(f"Reading {os.path.basename(path)}\u2026")
        self.setWindowTitle(f"{os.path.basename(path)} \u2014 {APP_TITLE}")
        if os.path.isfile(path):  # a missing file is not a recent file (its error shows in the panel)
            self.settings.add_recent(path)
            self._rebuild_recent_menu()

    def cancel_analysis(self) -> None:
        self.controller.cancel()

    def check_robustness(self) -> Optional[int]:
        """Start the robustness check of the shown result; returns its job id (None: not now)."""
        return self.controller.check_robustness()

    def offer_demo(self) -> bool:
        """First start without a file: offer the demo track in the banner (once; non-blocking)."""
        if (self.settings.demo_offered or self.current_path is not None or resources.demo_track() is None
                or self.banner.isVisible()):  # a message about the settings file comes first; offer next time
            return False
        self.settings.demo_offered = True
        self.banner.show_message(
            "Welcome. New to forensic_app? Open the demo track (a real song with vocals, 30 s) to see an "
            "analysis, or open your own file with File > Open or by dropping it here.", "info",
            action=("Open demo track", self.open_demo))
        return True

    def open_demo(self) -> None:
        track = resources.demo_track()
        if track is None:
            self.show_error("This installation has no demo track. Open one of your own files with File > Open.")
        else:
            self.open_file(str(track))

    # ================================================================ files for a case or the Queue
    def dragEnterEvent(self, ev: QtGui.QDragEnterEvent) -> None:
        if self._dropped_path(ev.mimeData()):
            ev.acceptProposedAction()
        else:
            ev.ignore()

    def dragMoveEvent(self, ev: QtGui.QDragMoveEvent) -> None:
        if self._dropped_path(ev.mimeData()):
            ev.acceptProposedAction()

    def dropEvent(self, ev: QtGui.QDropEvent) -> None:
        path = self._dropped_path(ev.mimeData())
        if path:
            ev.acceptProposedAction()
            paths = [u.toLocalFile() for u in ev.mimeData().urls() if u.isLocalFile()]
            if os.path.isdir(path) or len(paths) > CASE_MAX_DROP:  # a folder or many files: the Queue
                self.show_queue().add_paths(paths)
            elif len(paths) > 1:  # a few files: stems or versions side by side, or the queue
                choice = self.ask_case_or_queue(len(paths))
                if choice == "case":
                    self.open_case_window(paths)
                elif choice == "queue":
                    self.show_queue().add_paths(paths)
            elif path.endswith(".facase"):
                self.open_case_window(case_path=path)
            else:
                self.open_file(path)

    def ask_case_or_queue(self, n: int) -> str:
        """"case", "queue" or "" (cancelled): what to do with several dropped files."""
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Question, "Several files",
                                    f"Open the {n} files side by side as one case (stems or versions of a track), "
                                    "or add them to the Queue to review each on its own?", parent=self)
        case = box.addButton("Open as a case", QtWidgets.QMessageBox.ButtonRole.AcceptRole)
        queue = box.addButton("Add to the Queue", QtWidgets.QMessageBox.ButtonRole.ActionRole)
        box.addButton(QtWidgets.QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(case)
        box.exec()
        return "case" if box.clickedButton() is case else "queue" if box.clickedButton() is queue else ""

    def open_case_window(self, paths: Optional[list[str]] = None, case_path: Optional[str] = None):
        """A case window (lanes side by side) on ``paths`` or a saved ``case_path``; returns it."""
        from .case_window import CaseWindow

        win = CaseWindow(backend=self.backend)
        self._case_windows = [w for w in getattr(self, "_case_windows", []) if w.isVisible()] + [win]
        win.show()
        if case_path:
            win.open_case(case_path)
        elif paths:
            win.add_files(paths)
        return win

    def _on_new_case(self) -> None:
        paths, _ = QtWidgets.QFileDialog.getOpenFileNames(self, "New case: choose the stems or versions", "", AUDIO_FILTER)
        if paths:
            self.open_case_window(paths)

    def _on_open_case(self) -> None:
        from .case_window import CASE_FILTER

        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open case", "", CASE_FILTER)
        if path:
            self.open_case_window(case_path=path)

    @staticmethod
    def _dropped_path(mime: QtCore.QMimeData) -> Optional[str]:
        if mime is None or not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile():
                return url.toLocalFile()
        return None

    def show_queue(self) -> QueuePanel:
        """Show the Queue panel (a dock under the view), making it on first use."""
        if self.queue_panel is None:
            self.queue_panel = QueuePanel(store_path=settings_mod.config_dir() / "queue.sqlite",
                                          weights_dir=getattr(self.backend, "weights_dir", None))
            self.queue_panel.open_requested.connect(self.open_file)
            self.queue_dock = QtWidgets.QDockWidget("Queue", self)
            self.queue_dock.setObjectName("queue-dock")
            self.queue_dock.setWidget(self.queue_panel)
            self.addDockWidget(QtCore.Qt.DockWidgetArea.BottomDockWidgetArea, self.queue_dock)
        self.queue_dock.show()
        self.queue_dock.raise_()
        return self.queue_panel

    # ================================================================ controller signals: drawing
    def _on_loaded(self, audio: Any) -> None:
        self.view.set_spectrogram(audio.overview, float(audio.info.duration_s))
        self.verdict.show_waiting("Analysing\u2026 the spectrogram is ready to explore meanwhile.")
        self.verdict.set_input(audio.info)
        self.spectrogram_shown.emit()

    def _on_busy_changed(self) -> None:
        c = self.controller
        if c.cancelling:  # the bar stays where it was until the job has stopped
            self.stage_label.setText("Cancelling\u2026")
            self.cancel_button.setEnabled(False)
            return
        busy = c.busy_stage is not None
        self.progress.setValue(0)
        self.stage_label.setText(c.busy_stage or "")
        for wdg in (self.stage_label, self.progress, self.cancel_button):
            wdg.setVisible(busy)
        self.cancel_button.setEnabled(busy)
        self.act_cancel.setEnabled(busy)

    def _on_progressed(self, fraction: float, stage: str) -> None:
        self.progress.setValue(int(round(1000 * min(max(fraction, 0.0), 1.0))))
        self.stage_label.setText(stage)

    def _on_analysed(self, result: AnalysisResult) -> None:
        self.view.set_heatmap(result.heatmap)
        self.view.set_windows(result.windows)
        self.verdict.set_result(result)
        self.statusBar().showMessage(f"Analysis finished: {result.verdict_words}.", 6000)
        self.analysis_finished.emit(result)

    def _on_analysis_failed(self, name: str, message: str, stage: str) -> None:
        self.failure_exit_code = 2 if stage.endswith("-input") else 1  # what `gui --screenshot` exits with
        if stage.startswith("load"):
            self.view.clear_track()
            self.setWindowTitle(APP_TITLE)
            self.verdict.show_waiting("No track open.")
            # core messages already start with the file name and say what to do
            self.show_error(f"Could not open the file. {message}" if name in message
                            else f"Could not open {name}: {message}")
        else:
            self.verdict.show_waiting("The analysis did not complete; the spectrogram is still shown.")
            self.show_error(f"The analysis did not finish. {message}" if name in message
                            else f"The analysis of {name} did not finish: {message}")
        self.analysis_failed.emit(message)

    def _on_analysis_cancelled(self) -> None:
        self.verdict.show_waiting("Analysis cancelled. Open the file again to analyse it.")
        self.statusBar().showMessage("Analysis cancelled.", 6000)
        self.analysis_cancelled.emit()

    def _on_robustness_finished(self, rows: Any, current: bool) -> None:
        if current:
            self.verdict.set_result(self.result)
            self.statusBar().showMessage("Robustness check finished: see the panel and the report.", 8000)
        self.robustness_finished.emit(rows)

    def _on_robustness_cancelled(self, current: bool) -> None:
        if current:
            self.verdict.set_result(self.result)
            self.statusBar().showMessage("Robustness check cancelled.", 6000)
        self.robustness_finished.emit(None)

    def _on_robustness_failed(self, message: str, current: bool) -> None:
        if current:
            self.verdict.set_result(self.result)
            self.show_error(f"The robustness check did not finish: {message}")
        self.robustness_finished.emit(None)

    # ================================================================ messages
    def show_error(self, message: str) -> None:
        self.banner.show_message(message, "error")

    def show_info(self, message: str) -> None:
        self.banner.show_message(message, "info")

    def _on_cursor_moved(self, text: str) -> None:
        self.readout_label.setText(text)

    def _on_selection_changed(self, sel: Optional[tuple[float, float]]) -> None:
        if sel is not None:
            a, b = sel
            self.statusBar().showMessage(f"Selected {format_time(a, 0.1)}\u2013{format_time(b, 0.1)} "
                                         f"({b - a:.1f} s). Esc clears.", 5000)
        self.controller.set_selection(sel)

    def show_about(self) -> QtWidgets.QDialog:
        from .about_dialog import AboutDialog

        dialog = AboutDialog(self, weights_dir=getattr(self.backend, "weights_dir", None))
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()  # non-modal: tests and screenshots never block on it
        self._about = dialog
        return dialog

    def _on_help(self) -> None:
        QtWidgets.QMessageBox.information(self, "How to read the results", (
            "The heatmap colours each time-frequency patch by the detector's probability that it was "
            "produced by an AI music generator (blue: unlikely, red: likely).\n\n"
            "The timeline shows the same per time window; click a bar to select it, Shift+drag on the "
            "spectrogram to select any range.\n\nThe verdict is a calibrated estimate with a plausible "
            "range, never proof. Read the notes beside it: they say when the estimate is less reliable.\n\n"
            "Navigation: mouse wheel zooms time, Shift+wheel zooms frequency, drag pans, "
            "arrow keys pan, +/- zoom, 0 fits the whole track."))

    # ================================================================ playback
    def _on_play_pause(self) -> None:
        self.controller.play_pause()

    def _on_stop(self) -> None:
        self.controller.stop()

    def _on_play_selection(self) -> None:
        self.controller.play_selection()

    def _on_loop_toggled(self, checked: bool) -> None:
        self.settings.loop = bool(checked)
        self.controller.set_loop(bool(checked))

    def _on_play_position(self, t: float) -> None:
        self.view.set_playhead(None if t < 0 else t)

    def _on_play_state(self, state: str) -> None:
        self.act_play.setText("&Pause" if state == "playing" else "&Play")

    # ================================================================ export
    def _on_export_png(self) -> None:
        base = os.path.splitext(os.path.basename(self.current_path or "view"))[0]
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export view as PNG", f"{base}-view.png", "PNG image (*.png)")
        if path:
            self.export_view_png(path)

    def export_view_png(self, path: str) -> bool:
        ok = self.view.grab().save(path, "PNG")
        if ok:
            self.statusBar().showMessage(f"View saved to {path}", 6000)
        else:
            self.show_error(f"Could not save the image to {path}. Check the folder exists and is writable.")
        return ok

    def _on_export_report(self) -> None:
        if not self.controller.can_export_report:
            return
        base = os.path.splitext(self.result.input.file_name)[0]
        start = os.path.join(os.path.dirname(self.current_path or ""), f"{base}-forensic-report.pdf")
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Export report", start, "PDF report (*.pdf)",
            options=QtWidgets.QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.export_report_to(path)

    def confirm_overwrite(self, path: str) -> bool:
        answer = QtWidgets.QMessageBox.question(self, "Replace file?", f"{path} already exists. Replace it?")
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

    def export_report_to(self, path: str) -> Optional[int]:
        """Write the report on the task thread; returns the job id, or None if nothing was started."""
        if not self.controller.can_export_report:
            return None
        overwrite = os.path.exists(path)
        if overwrite and not self.confirm_overwrite(path):
            return None
        job = self.controller.export_report(path, overwrite)
        self.statusBar().showMessage(f"Writing report to {path}\u2026")
        return job

    def _on_report_written(self, path: str) -> None:
        self.statusBar().showMessage(f"Report saved to {path}", 8000)
        self.report_written.emit(path)

    def _on_report_failed(self, message: str) -> None:
        self.statusBar().clearMessage()
        self.show_error(f"The report could not be written: {message}")
        self.report_failed.emit(message)

    # ================================================================ window
    def showEvent(self, ev: QtGui.QShowEvent) -> None:
        super().showEvent(ev)
        if not self._clamped_after_show:  # the frame's size is known only once the window is shown
            self._clamped_after_show = True
            geometry.clamp_to_screen(self)

    def closeEvent(self, ev: QtGui.QCloseEvent) -> None:
        self.controller.shutdown()
        self.save_settings()
        if self.queue_panel is not None:
            self.queue_panel.shutdown()
        super().closeEvent(ev)
