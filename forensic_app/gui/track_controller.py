"""The open track and everything that runs for it, without a widget: the main window binds to this.

:class:`TrackController` owns the current track (its path, its decoded copy on disk, its
analysis, the annotations made on it this session), the jobs that work on it (decode +
analysis, the spectrogram drawn at the chosen FFT size, zoomed-in detail of the spectrogram
and the waveform, the robustness check and which result it belongs to, report export), its
playback, and what the window may offer now (the ``can_*`` properties, read again on
``state_changed``; Sonic Visualiser's ``MainWindowBase`` keeps the document apart from the window
the same way). It asks nothing
and draws nothing: the window shows what its signals say and brings the user's answers.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Callable, Optional

from PySide6 import QtCore

from ..case.document import Annotation
from ..core.result import AnalysisResult
from ..core.spectrogram import DISPLAY_N_FFT
from ..core.spectrum import Spectrum, spectrum_at
from .jobs import JobRunner
from .playback import Player
from .workers import Backend, analysis_job, detail_job, overview_job, report_job, robustness_job, waveform_detail_job


def _report_writer() -> tuple[Optional[Callable[..., Any]], str]:
    try:
        from ..report import write_report
    except ImportError as err:
        return None, f"Report export is not available in this installation ({err})."
    return write_report, ""


class TrackController(QtCore.QObject):
    loaded = QtCore.Signal(object)  # DecodedAudio: its overview can be drawn, the analysis runs on
    progressed = QtCore.Signal(float, str)  # the running job's fraction 0..1 and stage words
    busy_changed = QtCore.Signal()  # busy_stage or cancelling changed
    analysed = QtCore.Signal(object)  # AnalysisResult
    analysis_failed = QtCore.Signal(str, str, str)  # file name, message, stage ("load" | "analysis", + "-input")
    analysis_cancelled = QtCore.Signal()
    detail_ready = QtCore.Signal(object)  # a finer Spectrogram of part of the track
    overview_ready = QtCore.Signal(object)  # the whole-track Spectrogram at the chosen FFT size
    waveform_detail_ready = QtCore.Signal(object)  # a finer WaveformEnvelope of part of the track
    annotations_changed = QtCore.Signal()
    robustness_started = QtCore.Signal()
    robustness_finished = QtCore.Signal(object, bool)  # rows; whether they belong to the result shown
    robustness_cancelled = QtCore.Signal(bool)  # whether it was for the result shown
    robustness_failed = QtCore.Signal(str, bool)  # message; whether it was for the result shown
    report_written = QtCore.Signal(str)  # path
    report_failed = QtCore.Signal(str)  # message
    state_changed = QtCore.Signal()  # what can be done now may have changed

    def __init__(self, backend: Backend, parent: Optional[QtCore.QObject] = None):
        super().__init__(parent)
        self.backend = backend
        self.path: Optional[str] = None
        self.audio: Any = None  # the open file decoded to disk (core.decoded.DecodedAudio)
        self.result: Optional[AnalysisResult] = None
        self.selection: Optional[tuple[float, float]] = None  # the view's, for playback
        self.display_n_fft = DISPLAY_N_FFT  # frame length of the spectrogram drawn (never the analysis's)
        self._annotations: dict[str, list[Annotation]] = {}  # path -> its annotations, for this session
        self.busy_stage: Optional[str] = None  # what the progress bar shows; None when idle
        self.cancelling = False
        self.write_report, self.report_unavailable = _report_writer()

        self.analysis = JobRunner("forensic-analysis", self, latest_only=True)  # opening a file supersedes
        self.analysis.yielded.connect(self._on_loaded)
        self.analysis.progressed.connect(self._on_analysis_progressed)
        self.analysis.succeeded.connect(self._on_analysed)
        self.analysis.failed.connect(self._on_analysis_failed)
        self.analysis.cancelled.connect(self._on_analysis_cancelled)
        self.detail = JobRunner("forensic-detail", self, latest_only=True)  # only the newest view counts
        self.detail.succeeded.connect(self._on_detail)
        self.display = JobRunner("forensic-display", self, latest_only=True)  # the spectrogram at another FFT size
        self.display.succeeded.connect(self._on_overview)
        self.waveform = JobRunner("forensic-waveform", self, latest_only=True)  # the waveform zoomed in
        self.waveform.succeeded.connect(self._on_waveform_detail)
        self.tasks = JobRunner("forensic-tasks", self)  # robustness check and reports, one after another
        self.tasks.progressed.connect(self._on_task_progressed)
        self.tasks.succeeded.connect(self._on_task_succeeded)
        self.tasks.failed.connect(self._on_task_failed)
        self.tasks.cancelled.connect(self._on_task_cancelled)
        self._robust: Optional[tuple[int, AnalysisResult]] = None  # the running check: job id, the result it is for
        self._reports: dict[int, str] = {}  # report job id -> path
        self._pending_play: Optional[tuple[float, float]] = None  # asked for before the track was decoded
        self.player = Player(self)
        self.player.state_changed.connect(self._on_play_state)

    # ================================================================ what can be done now
    @property
    def working(self) -> bool:
        """A job the progress bar shows is running and not being cancelled."""
        return self.busy_stage is not None and not self.cancelling

    @property
    def playback_blocked(self) -> str:
        """Why playback cannot be used now ("" when it can)."""
        if not self.player.available:
            return self.player.unavailable_reason
        return "" if self.player.has_audio else "Open a track first."

    @property
    def can_play(self) -> bool:
        return self.player.available and self.player.has_audio

    @property
    def can_stop(self) -> bool:
        return self.can_play and self.player.state != "stopped"

    @property
    def can_play_selection(self) -> bool:
        return self.can_play and self.selection is not None

    @property
    def can_loop(self) -> bool:
        return self.player.available

    @property
    def can_export_view(self) -> bool:
        return self.path is not None

    @property
    def can_check_robustness(self) -> bool:
        return self.result is not None and self._robust is None and not self.working

    @property
    def can_export_report(self) -> bool:
        return self.write_report is not None and self.result is not None

    # ================================================================ the track
    def open(self, path: str) -> None:
        """Forget the shown track and decode and analyse ``path`` (cancels what ran for the last one)."""
        self.player.stop()
        self.player.set_source(None)
        self.detail.discard()
        self.display.discard()
        self.waveform.discard()
        if self._robust is not None:
            self.tasks.cancel(self._robust[0])  # its rows belong to the previous track
        self.audio = None
        self.result = None
        self.path = path
        self._pending_play = None
        self.analysis.submit(analysis_job(self.backend, path), "analysing the file")
        self._set_busy("Decoding")

    def cancel(self) -> None:
        """Cancel the analysis or robustness check the progress bar shows."""
        if self.busy_stage is None:
            return
        self.analysis.cancel()
        if self._robust is not None:
            self.tasks.cancel(self._robust[0])
        self.cancelling = True
        self.busy_changed.emit()
        self.state_changed.emit()

    def request_detail(self, start_s: float, end_s: float, n_cols: int) -> None:
        """Ask for a finer spectrogram of [start_s, end_s] in ``n_cols`` columns (``detail_ready``)."""
        if self.audio is not None:
            self.detail.submit(
                detail_job(self.audio, float(start_s), float(end_s), int(n_cols), self.display_n_fft),
                "drawing the zoomed-in spectrogram",
            )

    def set_display_n_fft(self, n_fft: int) -> None:
        """Draw the spectrogram with ``n_fft``-sample frames (``overview_ready``); the analysis is untouched."""
        self.display_n_fft = int(n_fft)
        if self.audio is not None:
            self._draw_overview()

    def _draw_overview(self) -> None:
        if self.display_n_fft == DISPLAY_N_FFT:  # the overview made while decoding
            self.display.discard()
            self.overview_ready.emit(self.audio.overview)
        else:
            self.display.submit(overview_job(self.audio, self.display_n_fft), "drawing the spectrogram")

    def request_waveform_detail(self, start_s: float, end_s: float, n_cols: int) -> None:
        """Ask for a finer waveform envelope of [start_s, end_s] in ``n_cols`` columns (``waveform_detail_ready``)."""
        if self.audio is not None:
            self.waveform.submit(
                waveform_detail_job(self.audio, float(start_s), float(end_s), int(n_cols)),
                "drawing the zoomed-in waveform",
            )

    def spectrum_at(self, time_s: float) -> Optional[Spectrum]:
        """The spectrum at ``time_s`` (core.spectrum.spectrum_at: a few frames read from the decoded copy)."""
        a = self.audio
        if a is None:
            return None
        return spectrum_at(a.read, a.rate, a.n_frames, min(max(0.0, float(time_s)), a.n_frames / a.rate))

    # ================================================================ annotations
    @property
    def annotations(self) -> list[Annotation]:
        """The open track's annotations, oldest first (kept for the session, per file)."""
        return list(self._annotations.get(self.path or "", []))

    def annotate(
        self, start_s: float, end_s: float, text: str, low_hz: Optional[float] = None, high_hz: Optional[float] = None
    ) -> Optional[Annotation]:
        """Mark ``start_s``..``end_s`` (optionally only ``low_hz``..``high_hz``) with ``text``."""
        if self.path is None or not text.strip():
            return None
        a = Annotation(
            start_s=float(min(start_s, end_s)),
            end_s=float(max(start_s, end_s)),
            text=text.strip(),
            low_hz=low_hz,
            high_hz=high_hz,
        )
        self._annotations.setdefault(self.path, []).append(a)
        self.annotations_changed.emit()
        return a

    def remove_annotation(self, index: int) -> None:
        marks = self._annotations.get(self.path or "", [])
        if 0 <= index < len(marks):
            del marks[index]
            self.annotations_changed.emit()

    def shutdown(self) -> None:
        """Stop playback, cancel every job and wait for the threads (the window is closing)."""
        if self._robust is not None:
            self.tasks.cancel(self._robust[0])  # do not keep the window waiting for a check nobody will see
        self.player.stop()
        self.analysis.shutdown()
        self.detail.shutdown()
        self.display.shutdown()
        self.waveform.shutdown()
        self.tasks.shutdown()

    def _set_busy(self, stage: Optional[str]) -> None:
        self.busy_stage, self.cancelling = stage, False
        self.busy_changed.emit()
        self.state_changed.emit()

    def _on_loaded(self, _job: int, audio: Any) -> None:
        self.audio = audio
        self.player.set_source(audio)
        self.loaded.emit(audio)
        if self.display_n_fft != DISPLAY_N_FFT:
            self._draw_overview()
        self.annotations_changed.emit()
        self.state_changed.emit()
        if self._pending_play is not None:
            span, self._pending_play = self._pending_play, None
            self.player.play(*span)

    def _on_analysis_progressed(self, _job: int, fraction: float, stage: str) -> None:
        if self.working:
            self.progressed.emit(fraction, stage)

    def _on_analysed(self, _job: int, result: AnalysisResult) -> None:
        self.result = result
        self._set_busy(None)
        self.analysed.emit(result)

    def _on_analysis_failed(self, _job: int, message: str, stage: str) -> None:
        name = os.path.basename(self.path or "")
        if stage.startswith("load"):  # nothing of the file to show
            self.audio = None
            self.path = None
            self._pending_play = None
        self._set_busy(None)
        self.analysis_failed.emit(name, message, stage)

    def _on_analysis_cancelled(self, _job: int) -> None:
        self._set_busy(None)
        self.analysis_cancelled.emit()

    def _on_detail(self, _job: int, spec: Any) -> None:
        if spec is not None and self.audio is not None:
            self.detail_ready.emit(spec)

    def _on_overview(self, _job: int, spec: Any) -> None:
        if spec is not None and self.audio is not None:
            self.overview_ready.emit(spec)

    def _on_waveform_detail(self, _job: int, envelope: Any) -> None:
        if envelope is not None and self.audio is not None:
            self.waveform_detail_ready.emit(envelope)

    # ================================================================ robustness check
    def check_robustness(self) -> Optional[int]:
        """Start the robustness check of the shown result on the task thread; returns its job id."""
        if self.result is None or self._robust is not None or self.audio is None:
            return None
        job = self.tasks.submit(robustness_job(self.backend, self.audio), "checking robustness")
        self._robust = (job, self.result)
        self._set_busy("Robustness check")
        self.robustness_started.emit()
        return job

    def _is_robust(self, job_id: int) -> bool:
        return self._robust is not None and self._robust[0] == job_id

    def _end_robust(self) -> bool:
        """Forget the running check; True when the result it was for is still the one shown."""
        assert self._robust is not None
        _, result = self._robust
        self._robust = None
        current = self.result is result
        if current:
            self._set_busy(None)
        else:
            self.state_changed.emit()
        return current

    # ================================================================ report
    def export_report(self, path: str, overwrite: bool) -> Optional[int]:
        """Write the report of the shown result on the task thread; returns the job id, or None."""
        if self.result is None or self.write_report is None:
            return None
        job = self.tasks.submit(report_job(self.write_report, self.result, path, overwrite), "writing the report")
        self._reports[job] = path
        return job

    def export_pack(self, path: str, overwrite: bool) -> Optional[int]:
        """Write the dispute pack (report, analysis JSON, README) of the shown result on the task thread."""
        if self.result is None or self.write_report is None:
            return None
        from ..report.pack import write_pack

        job = self.tasks.submit(report_job(write_pack, self.result, path, overwrite), "writing the dispute pack")
        self._reports[job] = path
        return job

    # ================================================================ task signals
    def _on_task_progressed(self, job_id: int, fraction: float, stage: str) -> None:
        if self._is_robust(job_id) and self._robust[1] is self.result and self.working:
            self.progressed.emit(fraction, stage)

    def _on_task_cancelled(self, job_id: int) -> None:
        if self._is_robust(job_id):
            self.robustness_cancelled.emit(self._end_robust())
        else:
            self._reports.pop(job_id, None)

    def _on_task_succeeded(self, job_id: int, value: Any) -> None:
        if self._is_robust(job_id):
            result = self._robust[1]
            current = self._end_robust()
            if current:
                self.result = dataclasses.replace(result, robustness=value)
            self.robustness_finished.emit(value, current)
            return
        self.report_written.emit(self._reports.pop(job_id, ""))

    def _on_task_failed(self, job_id: int, message: str, _stage: str) -> None:
        if self._is_robust(job_id):
            self.robustness_failed.emit(message, self._end_robust())
            return
        self._reports.pop(job_id, None)
        self.report_failed.emit(message)

    # ================================================================ playback
    def set_selection(self, selection: Optional[tuple[float, float]]) -> None:
        self.selection = selection
        self.state_changed.emit()

    def play_pause(self) -> None:
        """Pause, resume, or play from the selection's start (the track's start without one)."""
        if self.player.state == "playing":
            self.player.pause()
        elif self.player.state == "paused":
            self.player.play()
        else:
            sel = self.selection
            self.player.play(sel[0] if sel else 0.0, None)

    def play_range(self, start_s: float, end_s: float) -> str:
        """Play [start_s, end_s] of the open track, now or as soon as it is decoded (the Queue's Space: a row's
        strongest window); returns why it cannot ("" when asked)."""
        if not self.player.available:
            return self.player.unavailable_reason
        if self.path is None:
            return "Open a track first."
        if self.audio is None:
            self._pending_play = (float(start_s), float(end_s))
        else:
            self.player.play(float(start_s), float(end_s))
        return ""

    def play_selection(self) -> None:
        if self.selection is not None:
            self.player.play(*self.selection)

    def stop(self) -> None:
        self.player.stop()

    def set_loop(self, loop: bool) -> None:
        self.player.set_loop(loop)

    def _on_play_state(self, _state: str) -> None:
        self.state_changed.emit()
