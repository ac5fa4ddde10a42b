"""The main window: layout, menus and dialogs over a :class:`~.track_controller.TrackController`.

The controller holds the track and runs its jobs; the window asks the user (file dialogs,
"replace?"), hands the answers to the controller, and draws what the controller's signals say:
spectrogram, heatmap, verdict, progress, banner and which actions are enabled. Under the
spectrogram, :mod:`.track_instruments` adds the waveform lane, the spectrum at the cursor and
annotations, as the case window has them. Its actions and menus are built in
:mod:`.window_menus`; files dropped in bulk go to a case window or the Queue (:mod:`.file_routing`).
"""

from __future__ import annotations

import os
from typing import Any, Optional

from PySide6 import QtCore, QtGui, QtWidgets

from .. import resources
from ..core.result import AnalysisResult
from . import geometry
from . import settings as settings_mod
from .banner import Banner
from .file_routing import AUDIO_FILTER, FileRouting
from .profile_lane import profile_evidence
from .scales import format_time
from .spectrogram_view import AnalysisView
from .track_controller import TrackController
from .track_instruments import PANE_HIDDEN_WORDS, PANE_MIN_HEIGHT_PX, TrackInstruments
from .verdict_panel import VerdictPanel
from .view_controls import ViewControls
from .window_menus import WindowMenus
from .workers import Backend

APP_TITLE = "forensic_app"
TRACK_MIN_HEIGHT_PX = 280  # the spectrogram, the timeline and their axis titles stay readable above the Queue
PANE_HEIGHT_PX = 220  # the spectrum / annotations pane under the track view, at most, at first
PANE_SHARE = 0.25  # of the track column's height for that pane, on a smaller screen


class MainWindow(WindowMenus, FileRouting, QtWidgets.QMainWindow):
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
        self.queue_panel = None  # made on first use (it has its own thread), under the track in ``track_split``

        self.banner = Banner()
        self.view = AnalysisView()
        self.verdict = VerdictPanel()
        self.instruments = TrackInstruments(self, self.view, c, self.settings)
        self.spectrum = self.instruments.spectrum
        self.track_column = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)  # the view above its instruments' pane
        self.track_column.addWidget(self.view)
        self.track_column.addWidget(self.instruments.pane)
        self.track_column.setCollapsible(0, False)
        self.track_column.setStretchFactor(0, 1)
        self.track_column.setStretchFactor(1, 0)
        self.view.spec_plot.hideAxis("bottom")  # one time axis, under the lanes below it (as a case lane)
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.track_column)
        self.splitter.addWidget(self.verdict)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([1000, 380])
        self.view.setMinimumHeight(TRACK_MIN_HEIGHT_PX)
        self.track_split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)  # the track above, the Queue below
        self.track_split.addWidget(self.splitter)
        self.track_split.setCollapsible(0, False)
        central = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.banner)
        lay.addWidget(self.track_split, 1)
        self.setCentralWidget(central)
        self.view.cursor_moved.connect(self._on_cursor_moved)
        self.view.selection_changed.connect(self._on_selection_changed)
        self.view.detail_wanted.connect(c.request_detail)

        self.controls = ViewControls(self, self.view, self.settings, self.spectrum)
        c.display_n_fft = self.settings.fft_size
        self.controls.fft_size_changed.connect(c.set_display_n_fft)
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
        if (
            self.settings.demo_offered
            or self.current_path is not None
            or resources.demo_track() is None
            or self.banner.isVisible()
        ):  # a message about the settings file comes first; offer next time
            return False
        self.settings.demo_offered = True
        self.banner.show_message(
            "Welcome. New to forensic_app? Open the demo track (a real song with vocals, 30 s) to see an "
            "analysis, or open your own file with File > Open or by dropping it here.",
            "info",
            action=("Open demo track", self.open_demo),
        )
        return True

    def open_demo(self) -> None:
        track = resources.demo_track()
        if track is None:
            self.show_error("This installation has no demo track. Open one of your own files with File > Open.")
        else:
            self.open_file(str(track))

    # ================================================================ controller signals: drawing
    def _on_loaded(self, audio: Any) -> None:
        self.view.set_spectrogram(audio.overview, float(audio.info.duration_s))
        self.verdict.show_waiting("Analysing\u2026 the spectrogram is ready to explore meanwhile.")
        self.verdict.set_input(audio.info)
        self.instruments.on_loaded(audio)
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
        self.view.set_profile_evidence(profile_evidence(result))
        self.verdict.set_result(result)
        self.instruments.on_analysed(result)
        self.statusBar().showMessage(f"Analysis finished: {result.verdict_words}.", 6000)
        self.analysis_finished.emit(result)

    def _on_analysis_failed(self, name: str, message: str, stage: str) -> None:
        self.failure_exit_code = 2 if stage.endswith("-input") else 1  # what `gui --screenshot` exits with
        if stage.startswith("load"):
            self.view.clear_track()
            self.setWindowTitle(APP_TITLE)
            self.verdict.show_waiting("No track open.")
            # core messages already start with the file name and say what to do
            self.show_error(
                f"Could not open the file. {message}" if name in message else f"Could not open {name}: {message}"
            )
        else:
            self.verdict.show_waiting("The analysis did not complete; the spectrogram is still shown.")
            self.show_error(
                f"The analysis did not finish. {message}"
                if name in message
                else f"The analysis of {name} did not finish: {message}"
            )
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
            self.statusBar().showMessage(
                f"Selected {format_time(a, 0.1)}\u2013{format_time(b, 0.1)} ({b - a:.1f} s). Esc clears.", 5000
            )
        self.controller.set_selection(sel)

    def show_about(self) -> QtWidgets.QDialog:
        from .about_dialog import AboutDialog

        dialog = AboutDialog(self, weights_dir=getattr(self.backend, "weights_dir", None))
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()  # non-modal: tests and screenshots never block on it
        geometry.clamp_to_screen(dialog)  # centred on the window, it could reach past a small screen's edge
        self._about = dialog
        return dialog

    def teach_generator(self, files: Optional[list[str]] = None) -> QtWidgets.QDialog:
        """Analysis > Teach a generator…: the dialog, with ``files`` (default: the rows selected in the
        Queue, when it is shown). Non-modal, like About: tests and screenshots never block on it."""
        from .teach_dialog import TeachDialog

        if files is None:
            q = self.queue_panel
            files = q.selected_paths() if q is not None and q.isVisible() else []
        dialog = TeachDialog(self, files=files, can_reanalyse=self.current_path is not None)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.taught.connect(
            lambda p: self.statusBar().showMessage(
                f"Generator profile '{p.generator}' saved: it applies to every analysis from now on.", 8000
            )
        )
        dialog.reanalyse_requested.connect(lambda: self.current_path and self.open_file(self.current_path))
        dialog.show()
        geometry.clamp_to_screen(dialog)
        self._teach = dialog
        return dialog

    def _on_help(self) -> None:
        QtWidgets.QMessageBox.information(
            self,
            "How to read the results",
            (
                "The heatmap colours a time-frequency patch only where the patch detector's reading is unusual "
                "for real music: fewer than 1 in 100 real-music patches reach it (blue-amber), down to 1 in "
                "10,000 or fewer (red). Uncoloured patches read like ordinary music; a coloured patch is a place "
                "to listen, not a verdict.\n\n"
                "The timeline shows the detector's calibrated probability per time window; click a bar to select it, Shift+drag on the "
                "spectrogram to select any range.\n\nThe verdict is a calibrated estimate with a plausible "
                "range, never proof. Read the notes beside it: they say when the estimate is less reliable.\n\n"
                "Navigation: mouse wheel zooms time, Shift+wheel zooms frequency, drag pans, "
                "arrow keys pan, +/- zoom, 0 fits the whole track."
            ),
        )

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
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Export view as PNG", f"{base}-view.png", "PNG image (*.png)"
        )
        if path:
            self.export_view_png(path)

    def export_view_png(self, path: str) -> bool:
        ok = self.view.grab().save(path, "PNG")
        if ok:
            self.statusBar().showMessage(f"View saved to {path}", 6000)
        else:
            self.show_error(f"Could not save the image to {path}. Check the folder exists and is writable.")
        return ok

    def _ask_export_path(self, title: str, suffix: str, file_filter: str) -> str:
        """A save dialog for an export of the open result, starting beside the track as ``<name><suffix>``
        (the writers ask before overwriting); "" when cancelled or when there is nothing to export."""
        if not self.controller.can_export_report:
            return ""
        base = os.path.splitext(self.result.input.file_name)[0]
        start = os.path.join(os.path.dirname(self.current_path or ""), f"{base}{suffix}")
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, title, start, file_filter, options=QtWidgets.QFileDialog.Option.DontConfirmOverwrite
        )
        return path

    def _on_export_report(self) -> None:
        path = self._ask_export_path("Export report", "-forensic-report.pdf", "PDF report (*.pdf)")
        if path:
            self.export_report_to(path)

    def _on_export_pack(self) -> None:
        path = self._ask_export_path("Export dispute pack", "-dispute-pack.zip", "Zip archive (*.zip)")
        if path:
            self.export_pack_to(path)

    def export_pack_to(self, path: str) -> Optional[int]:
        """Write the dispute pack on the task thread (report_written / report_failed say how it went)."""
        if not self.controller.can_export_report:
            return None
        overwrite = os.path.exists(path)
        if overwrite and not self.confirm_overwrite(path):
            return None
        job = self.controller.export_pack(path, overwrite)
        self.statusBar().showMessage(f"Writing dispute pack to {path}\u2026")
        return job

    def _on_verify_report(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Verify a report", os.path.dirname(self.current_path or ""), "PDF report (*.pdf)"
        )
        if path:
            self.verify_report_file(path)

    def verify_report_file(self, path: str) -> QtWidgets.QMessageBox:
        """report.verify on ``path`` (and, when the open track is the report's file, against its analysis: no
        second analysis); the one-line answer in a message box, every check under "Show Details"."""
        from ..core.errors import ForensicError
        from ..report.verify import check_report, verify_report

        try:
            v = check_report(path)
            r = self.result
            if (
                v.payload
                and r is not None
                and self.current_path
                and r.input.file_sha256 == v.payload["analysis"].get("sha256")
            ):
                v = verify_report(path, self.current_path, result_now=r)
            icon = QtWidgets.QMessageBox.Icon.Information if v.ok else QtWidgets.QMessageBox.Icon.Warning
            line, details = v.line, v.text()
        except ForensicError as err:
            icon, line, details = QtWidgets.QMessageBox.Icon.Warning, str(err), ""
        box = QtWidgets.QMessageBox(icon, "Verify a report", line, QtWidgets.QMessageBox.StandardButton.Ok, self)
        if details:
            box.setDetailedText(details)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()  # non-modal, as the About box: tests and screenshots never block on it
        self._verify_box = box
        return box

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
            self.size_pane()

    def show_queue(self):
        """The Queue under the track (:class:`FileRouting`); on a low screen the spectrum pane makes way."""
        panel = super().show_queue()
        QtWidgets.QApplication.processEvents()  # the splitters share the height out
        if self.instruments.make_room():
            self.statusBar().showMessage(PANE_HIDDEN_WORDS, 8000)
        return panel

    def size_pane(self) -> None:
        """Give the spectrum / annotations pane its share of the track column (the spectrogram keeps the most)."""
        total = sum(self.track_column.sizes()) or self.track_column.height()
        pane = min(PANE_HEIGHT_PX, max(PANE_MIN_HEIGHT_PX, int(total * PANE_SHARE)))
        self.track_column.setSizes([total - pane, pane])

    def closeEvent(self, ev: QtGui.QCloseEvent) -> None:
        self.controller.shutdown()
        self.save_settings()
        if self.queue_panel is not None:
            self.queue_panel.shutdown()
        super().closeEvent(ev)
