"""Analysis > Teach a generator…: a generator profile from a few of the user's own examples.

The dialog gathers example files (at least 3; from the Open dialog, or the rows selected in the
Queue), a name and notes, and runs the same teaching as ``forensic-app profile add``
(:func:`forensic_app.profile_command.teach_from_files`) as one job of a
:class:`~.jobs.JobRunner`, with progress and Cancel. It says the outcome in words: the validation
of a profile that was made and saved in the user's profile folder, or why none was (fewer than 3
readable examples, real music, a production chain rather than a generator, above the
false-positive budget). After a success the window can analyse its track again, with the new
profile applied.
"""

from __future__ import annotations

import html
import os
from typing import Any, Callable, Optional, Sequence

from PySide6 import QtCore, QtWidgets

from .. import profile_command
from .file_routing import AUDIO_FILTER
from .jobs import JobRunner
from .verdict_panel import breakable
from .workers import teach_job

MIN_EXAMPLES = 3
INTRO = (
    "Teach the app a generator it does not know yet from a few of its outputs (at least 3; 5 or more from "
    "different prompts is better). The examples' decoder fingerprint is fitted against the app's real-music "
    "reference and checked before it is kept: real songs, tracks that share a production chain (one artist's "
    "catalogue, one mastering chain) and profiles that would flag real music are refused. The profile is "
    "saved on this computer and applied to every analysis from then on."
)


class TeachDialog(QtWidgets.QDialog):
    """Non-modal: ``show()`` it. ``teach`` replaces the teaching function (tests); by default
    ``profile_command.teach_from_files``, looked up when the job starts."""

    taught = QtCore.Signal(object)  # the saved Profile
    reanalyse_requested = QtCore.Signal()

    def __init__(
        self,
        parent: Optional[QtWidgets.QWidget] = None,
        *,
        files: Sequence[str] = (),
        teach: Optional[Callable[..., Any]] = None,
        can_reanalyse: bool = False,
    ):
        super().__init__(parent)
        self.setWindowTitle("Teach a generator")
        self._teach = teach
        self._job: Optional[int] = None
        self._can_reanalyse = can_reanalyse
        self.outcome: Any = None
        self.runner = JobRunner("forensic-teach", self, latest_only=True)
        self.runner.progressed.connect(self._on_progressed)
        self.runner.succeeded.connect(self._on_succeeded)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)

        intro = QtWidgets.QLabel(INTRO)
        intro.setWordWrap(True)
        intro.setStyleSheet("color: #505060;")
        self.name_edit = QtWidgets.QLineEdit()
        self.name_edit.setPlaceholderText("e.g. my-generator v2")
        self.name_edit.setToolTip("1-64 letters, digits, spaces, '.', '_', '+' or '-'")
        self.notes_edit = QtWidgets.QLineEdit()
        self.notes_edit.setPlaceholderText("where the examples come from, which version, which settings")
        self.file_list = QtWidgets.QListWidget()
        self.file_list.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
        self.file_list.setMinimumHeight(110)
        self.add_button = QtWidgets.QPushButton("Add files\u2026")
        self.add_button.clicked.connect(self._on_add)
        self.remove_button = QtWidgets.QPushButton("Remove")
        self.remove_button.clicked.connect(self._on_remove)
        self.count_label = QtWidgets.QLabel()
        self.count_label.setStyleSheet("color: #505060;")
        buttons = QtWidgets.QVBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        files_row = QtWidgets.QHBoxLayout()
        files_row.addWidget(self.file_list, 1)
        files_row.addLayout(buttons)

        form = QtWidgets.QFormLayout()
        form.addRow("Name:", self.name_edit)
        form.addRow("Notes:", self.notes_edit)
        form.addRow("Examples:", files_row)
        form.addRow("", self.count_label)

        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.stage_label = QtWidgets.QLabel("")
        self.stage_label.setStyleSheet("color: #505060;")
        self.result_label = QtWidgets.QLabel("")
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.result_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.hide()

        self.teach_button = QtWidgets.QPushButton("Teach")
        self.teach_button.setDefault(True)
        self.teach_button.clicked.connect(self.start)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.reanalyse_button = QtWidgets.QPushButton("Analyse the current track again")
        self.reanalyse_button.setToolTip("With the new profile applied")
        self.reanalyse_button.clicked.connect(self._on_reanalyse)
        self.reanalyse_button.hide()
        self.close_button = QtWidgets.QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        bottom = QtWidgets.QHBoxLayout()
        bottom.addWidget(self.reanalyse_button)
        bottom.addStretch(1)
        for b in (self.teach_button, self.cancel_button, self.close_button):
            bottom.addWidget(b)

        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addLayout(form)
        lay.addWidget(self.progress)
        lay.addWidget(self.stage_label)
        lay.addWidget(self.result_label)
        lay.addLayout(bottom)
        self.setMinimumWidth(640)
        self.name_edit.textChanged.connect(self._update_enabled)
        self.add_files(files)
        self._set_running(False)

    # ------------------------------------------------------------------ the form
    def files(self) -> list[str]:
        return [self.file_list.item(i).data(QtCore.Qt.ItemDataRole.UserRole) for i in range(self.file_list.count())]

    def add_files(self, paths: Sequence[str]) -> None:
        have = set(self.files())
        for p in paths:
            p = os.path.abspath(str(p))
            if p in have:
                continue
            have.add(p)
            item = QtWidgets.QListWidgetItem(os.path.basename(p))
            item.setData(QtCore.Qt.ItemDataRole.UserRole, p)
            item.setToolTip(p)
            self.file_list.addItem(item)
        self._update_enabled()

    def _on_add(self) -> None:
        paths, _ = QtWidgets.QFileDialog.getOpenFileNames(self, "Examples of one generator", "", AUDIO_FILTER)
        self.add_files(paths)

    def _on_remove(self) -> None:
        for item in self.file_list.selectedItems():
            self.file_list.takeItem(self.file_list.row(item))
        self._update_enabled()

    def problem(self) -> str:
        """Why Teach is not possible yet ("" when it is)."""
        n = len(self.files())
        if n < MIN_EXAMPLES:
            return f"{n} example{'s' if n != 1 else ''}: add at least {MIN_EXAMPLES}."
        name = self.name_edit.text().strip()
        if not name:
            return "Give the generator a name."
        return profile_command.check_new_name(name)

    def _update_enabled(self) -> None:
        n = len(self.files())
        why = self.problem()
        self.count_label.setText(why or f"{n} examples.")
        self.teach_button.setEnabled(not why and self._job is None)
        self.teach_button.setToolTip(why)
        self.remove_button.setEnabled(n > 0 and self._job is None)

    def _set_running(self, running: bool) -> None:
        for w in (self.name_edit, self.notes_edit, self.file_list, self.add_button):
            w.setEnabled(not running)
        self.progress.setVisible(running)
        self.stage_label.setVisible(running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        self._update_enabled()

    # ------------------------------------------------------------------ the job
    def start(self) -> Optional[int]:
        """Teach from the form on the worker thread; returns the job id (None: the form is not ready)."""
        if self.problem() or self._job is not None:
            return None
        teach = self._teach or profile_command.teach_from_files
        self.result_label.hide()
        self.reanalyse_button.hide()
        self.outcome = None
        self.progress.setValue(0)
        self.stage_label.setText("Starting\u2026")
        self._job = self.runner.submit(
            teach_job(teach, self.name_edit.text().strip(), self.files(), self.notes_edit.text().strip()),
            "teaching the generator profile",
        )
        self._set_running(True)
        return self._job

    def cancel(self) -> None:
        if self._job is not None:
            self.runner.cancel(self._job)
            self.stage_label.setText("Cancelling\u2026")
            self.cancel_button.setEnabled(False)

    def _on_progressed(self, _job: int, fraction: float, stage: str) -> None:
        self.progress.setValue(int(round(1000 * min(max(fraction, 0.0), 1.0))))
        self.stage_label.setText(stage)

    def _finish(self, text: str, colour: str) -> None:
        self._job = None
        self._set_running(False)
        self.result_label.setText(text)
        self.result_label.setStyleSheet(f"color: {colour};")
        self.result_label.show()

    def _on_succeeded(self, _job: int, outcome: Any) -> None:
        self.outcome = outcome
        self._finish(*outcome_html(outcome))
        if outcome.ok:
            self.reanalyse_button.setVisible(self._can_reanalyse)
            self._update_enabled()  # the name is taken now
            self.taught.emit(outcome.profile)

    def _on_failed(self, _job: int, message: str, _stage: str) -> None:
        self._finish(f"<b>No profile was made.</b> {html.escape(message)}", "#c0392b")

    def _on_cancelled(self, _job: int) -> None:
        self._finish("Cancelled; no profile was saved.", "#505060")

    def _on_reanalyse(self) -> None:
        self.reanalyse_requested.emit()
        self.close()

    def closeEvent(self, ev: Any) -> None:  # noqa: N802 - Qt's name
        self.runner.shutdown()
        super().closeEvent(ev)

    def reject(self) -> None:  # Esc: close, with the job cancelled and the thread joined
        self.close()


def outcome_html(outcome: Any) -> tuple[str, str]:
    """(rich text, colour) of a TeachOutcome: the validation in words, or the refusal's reason."""
    warnings = "".join(f"<br>Warning: {html.escape(w)}" for w in outcome.warnings)
    if outcome.ok:
        p = outcome.profile
        v = p.validation
        where = f" in {html.escape(str(outcome.path.parent))}" if outcome.path is not None else ""
        return (
            f"<b>Taught and saved{where}.</b> '{html.escape(p.generator)}' from {p.n_examples} examples: held out "
            f"one at a time, {v.get('cv_detection', 0):.0%} of them were recognised; on the real-music reference "
            f"({v.get('n_reference_sources', 0)} sources) at most {v.get('fp_leave_one_source_out_max', 0):.1%} of "
            f"a source it never saw would be flagged. It applies to every analysis from now on "
            f"(<code>forensic-app profile list</code> lists it, <code>profile remove</code> removes it). sha256 "
            f"{html.escape(breakable(p.sha256))}{warnings}",
            "#1e6b2e",
        )
    head = "Refused" if outcome.refused else "Not possible"
    reason = outcome.reason if outcome.reason.endswith((".", "?", "!")) else outcome.reason + "."
    return f"<b>{head}:</b> {html.escape(reason)}{warnings}", "#c0392b"
