"""The case on disk and the case window's one-off tasks: open a saved case, save it, find moved
files again by their hash, export the case report, take dropped files and cases.

A mixin of :class:`~.case_window.CaseWindow`. Alignment and the report run on the window's task
thread (:meth:`_submit`); what they return is handed to a callback on the GUI thread.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Optional

from PySide6 import QtGui, QtWidgets

from ..case.document import CaseFileError, load_case, save_case
from .file_filters import AUDIO_FILTER, CASE_FILTER
from .jobs import file_errors_in_words


class CaseFiles:
    """Open, save, relink, report and drops of the case window."""

    def open_case(self, path: str) -> bool:
        """Show a saved case; lanes whose file or model changed are analysed again (and say so)."""
        from ..case.reopen import current_model

        try:
            case = load_case(path)
        except CaseFileError as err:
            self.show_error(str(err))
            return False
        self._clear_lanes()
        self.case, self.case_path = case, path
        try:
            now = current_model(self.backend.weights_dir)
        except Exception:  # noqa: BLE001 - a missing model shows up as each lane's analysis error
            now = None
        for lane in case.lanes:
            m = lane.result.provenance.model if lane.result is not None else None
            model_ok = (
                now is not None
                and m is not None
                and (m.sha256, m.calibration_version) == (now.sha256, now.calibration_version)
            )
            self._start_lane(lane, lane.result, model_ok)
        self.panel.set_case(case)
        self.dirty = False
        self._update_title()
        return True

    def _on_add_files(self) -> None:
        paths, _ = QtWidgets.QFileDialog.getOpenFileNames(self, "Add files to the case", "", AUDIO_FILTER)
        if paths:
            self.add_files(paths)

    def _on_open_case(self) -> None:
        if not self.confirm_discard():
            return
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open case", "", CASE_FILTER)
        if path:
            self.open_case(path)

    def save(self, ask: bool = False, path: Optional[str] = None) -> bool:
        path = path or (None if ask else self.case_path)
        if path is None:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save case", "case.facase", CASE_FILTER)
            if not path:
                return False
            if not path.endswith(".facase"):
                path += ".facase"
        try:
            save_case(self.case, path)
        except (CaseFileError, OSError) as err:
            self.show_error(f"The case could not be saved: {err}")
            return False
        self.case_path, self.dirty = path, False
        self._update_title()
        self.statusBar().showMessage(f"Case saved to {path}", 6000)
        return True

    def _on_relink(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Find moved files in this folder (by their hash)")
        if folder:
            self.relink(folder)

    def relink(self, folder: str) -> None:
        from ..case.reopen import relink

        found = relink(self.case, folder)
        if not found:
            self.show_error(f"None of the missing files is in {folder} (compared by SHA-256).")
            return
        for w in self.lanes:
            if w.lane_id in found:
                w.file_name = os.path.basename(found[w.lane_id])
                w.set_label(w.label)
                w.set_status("relinked by hash")
                self._failed.discard(w.lane_id)
                self._pending.add(w.lane_id)
                self._jobs[w.lane_id].start(found[w.lane_id])
        self._on_case_edited()

    def _on_export_report(self) -> None:
        start = os.path.splitext(self.case_path or "case")[0] + "-report.pdf"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export case report", start, "PDF report (*.pdf)")
        if path:
            self.export_report(path, overwrite=os.path.exists(path))

    def export_report(self, path: str, overwrite: bool = False) -> int:
        from ..case.report import write_case_report

        case = self.case
        return self._submit(
            lambda _job: write_case_report(case, path, overwrite=overwrite),
            "writing the case report",
            lambda out: self.statusBar().showMessage(f"Case report written to {out}", 8000),
        )

    def confirm_discard(self) -> bool:
        if not self.dirty or not self.case.lanes:
            return True
        answer = QtWidgets.QMessageBox.question(
            self,
            "Unsaved case",
            "The case has unsaved changes. Save them first?",
            QtWidgets.QMessageBox.StandardButton.Save
            | QtWidgets.QMessageBox.StandardButton.Discard
            | QtWidgets.QMessageBox.StandardButton.Cancel,
        )
        if answer == QtWidgets.QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QtWidgets.QMessageBox.StandardButton.Discard

    def dragEnterEvent(self, ev: QtGui.QDragEnterEvent) -> None:
        if ev.mimeData().hasUrls():
            ev.acceptProposedAction()

    def dropEvent(self, ev: QtGui.QDropEvent) -> None:
        paths = [u.toLocalFile() for u in ev.mimeData().urls() if u.isLocalFile()]
        if len(paths) == 1 and paths[0].endswith(".facase"):
            if self.confirm_discard():
                self.open_case(paths[0])
        elif paths:
            self.add_files(paths)

    def _submit(self, fn: Callable[[Any], Any], what: str, done: Callable[[Any], None]) -> int:
        task = self.tasks.submit(file_errors_in_words(fn), what)
        self._task_done[task] = done
        return task

    def _on_task_done(self, task: int, value: Any) -> None:
        done = self._task_done.pop(task, None)
        if done is not None:
            done(value)

    def _on_task_failed(self, task: int, message: str, _stage: str) -> None:
        self._task_done.pop(task, None)
        self.statusBar().clearMessage()
        self.show_error(message)

    def _on_task_cancelled(self, task: int) -> None:  # only when the window closes
        self._task_done.pop(task, None)
