"""What runs a case lane's jobs: the saved-analysis backend (worker thread) and the lane's
analysis and detail jobs, brought back to the GUI thread in the lane's terms."""

from __future__ import annotations

from typing import Any, Optional

from PySide6 import QtCore

from .case_lane import LaneWidget, detail_in_lane_time, spectrogram_in_case_time
from .jobs import JobRunner
from .workers import Backend, analysis_job, detail_job


class SavedAnalysis(Backend):
    """The lane's saved analysis when its file and the model are what they were; else a new one.

    Runs on the lane's worker thread: ``note`` (words for the lane's status, read by the GUI
    when the result arrives) is all it leaves behind; it never touches a widget.
    """

    def __init__(self, backend: Backend, saved: Any, model_ok: bool):
        super().__init__(backend.weights_dir)
        self._backend, self._saved, self._model_ok = backend, saved, model_ok
        self.note = ""

    def load(self, path, cancel=None, on_fraction=None):
        return self._backend.load(path, cancel, on_fraction)

    def analyze(self, audio, *, on_progress, cancel):
        saved = self._saved
        if saved is not None and audio.info.file_sha256 == saved.input.file_sha256 and self._model_ok:
            self.note = "saved analysis (file and model unchanged)"
            return saved
        if saved is not None:
            self.note = (
                "the file changed since the case was saved: analysed again"
                if audio.info.file_sha256 != saved.input.file_sha256
                else "the model changed since the case was saved: analysed again"
            )
        return self._backend.analyze(audio, on_progress=on_progress, cancel=cancel)


class LaneJobs(QtCore.QObject):
    """One lane's jobs, each on its own :class:`~.jobs.JobRunner`: decode and analyse its file (the
    saved analysis when the file and the model are unchanged) and the zoomed-in detail. Brings
    their results to the window on the GUI thread, in the lane's terms."""

    loaded = QtCore.Signal(object, object)  # LaneWidget, DecodedAudio
    analysed = QtCore.Signal(object, object)  # LaneWidget, AnalysisResult
    failed = QtCore.Signal(object, str)  # LaneWidget, message

    def __init__(self, parent: QtCore.QObject, widget: LaneWidget, backend: Backend, saved: Any, model_ok: bool):
        super().__init__(parent)
        self.widget = widget
        self.backend = SavedAnalysis(backend, saved, model_ok)  # its note says what was reused
        self.analysis = JobRunner("forensic-analysis", self, latest_only=True)
        self.analysis.yielded.connect(self._on_loaded)
        self.analysis.progressed.connect(self._on_progressed)
        self.analysis.succeeded.connect(self._on_analysed)
        self.analysis.failed.connect(self._on_failed)
        self.detail = JobRunner("forensic-detail", self, latest_only=True)
        self.n_fft: Optional[int] = None  # the detail's frame length (None: the overview's own)
        self.detail.succeeded.connect(self._on_detail)
        widget.view.detail_wanted.connect(self._on_detail_wanted)

    def start(self, path: str) -> None:
        """Decode and analyse ``path`` (cancels what ran for the lane before)."""
        self.analysis.submit(analysis_job(self.backend, path), "analysing the file")

    def shutdown(self) -> None:
        self.analysis.shutdown()
        self.detail.shutdown()

    def _on_loaded(self, _job: int, audio: Any) -> None:
        self.loaded.emit(self.widget, audio)

    def _on_progressed(self, _job: int, fraction: float, stage: str) -> None:
        if self.widget.result is None:
            self.widget.set_status(f"{stage} {int(100 * fraction)} %")

    def _on_analysed(self, _job: int, result: Any) -> None:
        self.analysed.emit(self.widget, result)

    def _on_failed(self, _job: int, message: str, _stage: str) -> None:
        self.failed.emit(self.widget, message)

    def _on_detail_wanted(self, start_s: float, end_s: float, n_cols: int) -> None:
        w = self.widget
        if w.audio is not None:
            lane_start, lane_end = detail_in_lane_time(start_s, end_s, w.offset_s)
            self.detail.submit(
                detail_job(w.audio, lane_start, lane_end, n_cols, self.n_fft), "drawing the zoomed-in spectrogram"
            )

    def _on_detail(self, _job: int, spec: Any) -> None:
        if spec is not None:
            self.widget.view.set_detail(spectrogram_in_case_time(spec, self.widget.offset_s))
