"""What runs a case lane's jobs: the saved-analysis backend (worker thread) and the relay that
brings the lane's worker signals back to the GUI thread."""

from __future__ import annotations

from typing import Any

from PySide6 import QtCore

from .case_lane import LaneWidget, detail_in_lane_time, spectrogram_in_case_time
from .workers import Backend, DetailRunner


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
            self.note = ("the file changed since the case was saved: analysed again"
                         if audio.info.file_sha256 != saved.input.file_sha256
                         else "the model changed since the case was saved: analysed again")
        return self._backend.analyze(audio, on_progress=on_progress, cancel=cancel)


class LaneRelay(QtCore.QObject):
    """Receives one lane's worker signals on the GUI thread and hands them to the window."""

    def __init__(self, window: Any, widget: LaneWidget, detail: DetailRunner):
        super().__init__(window)
        self.window, self.widget, self.detail = window, widget, detail

    @QtCore.Slot(int, object, object)
    def loaded(self, _job: int, audio: Any, _spec: Any) -> None:
        self.window._on_loaded(self.widget, audio)

    @QtCore.Slot(int, float, str)
    def progressed(self, _job: int, fraction: float, stage: str) -> None:
        if self.widget.result is None:
            self.widget.set_status(f"{stage} {int(100 * fraction)} %")

    @QtCore.Slot(int, object)
    def succeeded(self, _job: int, result: Any) -> None:
        self.window._on_result(self.widget, result)

    @QtCore.Slot(int, str, str)
    def failed(self, _job: int, message: str, _stage: str) -> None:
        self.window._on_lane_failed(self.widget, message)

    @QtCore.Slot(float, float, int)
    def detail_wanted(self, start_s: float, end_s: float, n_cols: int) -> None:
        w = self.widget
        if w.audio is not None:
            self.detail.request(w.audio, *detail_in_lane_time(start_s, end_s, w.offset_s), n_cols)

    @QtCore.Slot(int, object)
    def detail_ready(self, request_id: int, spec: Any) -> None:
        if self.detail.is_current(request_id):
            self.widget.view.set_detail(spectrogram_in_case_time(spec, self.widget.offset_s))
