"""The Queue panel: many files in the background, a table to triage them with the keyboard, flagged ones first.

A thin shell over the headless batch runner (forensic_app.batch): a job on the panel's own
:class:`~.jobs.JobRunner` thread runs ``run_batch`` into a store in the user config folder, so files analysed
before (same bytes, same model) come back at once. Rows arrive through queued signals; the
table (:mod:`.queue_model`) shows what :mod:`forensic_app.batch.triage` says of each row, sorted by
probability, highest first, filtered by text (notes too), verdict, evidence and decision. With the table
focused, J/K move (the track view follows after a pause), Space asks the window to play the row's strongest
window, F/R/U record the reviewer's decision and N a note, in the store's append-only ``decisions`` table
(:class:`~forensic_app.batch.decisions.DecisionLog`). Double-click opens a track in the main view.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any, Callable, Optional

from PySide6 import QtCore, QtGui, QtWidgets

from ..batch import triage
from ..batch.decisions import Decision, DecisionLog, default_reviewer
from ..core.vocabulary import VERDICT_SHORT
from .jobs import Job, JobRunner
from .elided_label import ElidedLabel
from .queue_model import COLUMNS, KEYS_HINT, PATH_ROLE, ROW_ROLE, NoteDialog, QueueFilter, QueueModel, QueueTable

ALL = "All verdicts"
ALL_EVIDENCE = "All evidence"
ALL_DECISIONS = "All decisions"
MIN_ROWS_SHOWN = 3  # the table's share of the window never drops below this many rows
FOLLOW_MS = 250  # the track view opens the selected row once J/K (or the mouse) rests on it this long
# starting widths at 1280 px (the Reason column takes the rest; the File column grows to its names, up to a limit)
COLUMN_WIDTHS = {"file": 240, "verdict": 135, "probability": 95, "evidence": 90, "where": 85, "decision": 165}
FILE_COLUMN_MAX = 340


def verdict_words(verdict: Optional[str]) -> str:
    """Words for a verdict; one the GUI has not heard of yet is shown as it comes."""
    if not verdict:
        return ""
    return VERDICT_SHORT.get(verdict, verdict.replace("_", " ").capitalize())


def batch_job(inputs: list, store_path: str, options: Any) -> Callable[[Job], Any]:
    """Run the batch into the store at ``store_path``; sends ("started", number of files), then
    ("settled", row) once per input file and ("refreshed", row) for a row that learnt more (a
    duplicate's verdict); returns (run id, whether it was cancelled, the files that folders held but that
    are not audio: how many and the first few paths)."""

    def run(job: Job) -> Any:
        from ..batch import Store, run_batch
        from ..batch.discover import Skipped

        job.what = "running the queue"
        skipped = Skipped(options.extensions or ())
        with Store(store_path) as store:

            def on_file(event) -> None:
                row = store.file_row(store.current_run, event.path)
                if row is not None:
                    job.send(("settled", row))

            run_id = run_batch(
                inputs,
                store,
                options,
                on_started=lambda total: job.send(("started", total)),
                on_file=on_file,
                cancel=job.token,
                skipped=skipped,
            )
            for row in store.iter_rows(run_id):  # duplicates now know their verdict
                if row.get("duplicate_of"):
                    job.send(("refreshed", row))
        return run_id, job.token.cancelled, skipped.count, list(skipped.paths)

    return run


def skipped_words(count: int, paths: list[str]) -> str:
    """ "Left out 2 files that are not audio: cover.jpg, notes.txt." ("" for none)."""
    if not count:
        return ""
    names = ", ".join(os.path.basename(p) for p in paths) + (", \u2026" if count > len(paths) else "")
    return f"Left out {'1 file that is' if count == 1 else f'{count} files that are'} not audio: {names}."


class QueuePanel(QtWidgets.QWidget):
    open_requested = QtCore.Signal(str)  # path: double-click
    row_selected = QtCore.Signal(str)  # path: the selection rested on a row (J/K, a click); the track view follows
    play_requested = QtCore.Signal(str, float, float)  # path, start_s, end_s: Space on a row
    reviewer_changed = QtCore.Signal(str)  # the name typed in the Reviewer field ("" = the default)
    batch_finished = QtCore.Signal(int)  # run id (also when cancelled)
    teach_requested = QtCore.Signal(list)  # the selected rows' paths: teach a generator from them
    close_requested = QtCore.Signal()  # the close button: the window hides the panel (a running batch goes on)

    def __init__(
        self,
        *,
        store_path: Path,
        weights_dir: Optional[str] = None,
        jobs: int = 1,
        reviewer: str = "",
        parent: Optional[QtWidgets.QWidget] = None,
    ):
        super().__init__(parent)
        self.store_path, self.weights_dir, self.jobs = Path(store_path), weights_dir, jobs
        self.run_id: Optional[int] = None
        self._waiting: list[str] = []  # inputs added while a batch runs
        self._job: Optional[int] = None  # the running batch
        self._done = self._total = 0
        self._skipped = ""
        self.note_dialog: Optional[NoteDialog] = None
        self.runner = JobRunner("forensic-queue", self)
        self.runner.yielded.connect(self._on_yielded)
        self.runner.succeeded.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)

        try:
            self.decisions = DecisionLog(self.store_path)  # beside the batch's results, in the same file
            kept = ""
        except (sqlite3.Error, OSError) as err:  # an unwritable settings folder: decide anyway, for this session
            self.decisions = DecisionLog(":memory:")
            kept = f"Decisions cannot be kept in {self.store_path} ({err}); they last until the window closes."
        self.model = QueueModel(self)
        self.model.set_decisions(self.decisions.current())
        self.proxy = QueueFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QueueTable()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COLUMNS.index("probability"), QtCore.Qt.SortOrder.DescendingOrder)  # flagged first
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        # Ctrl/Shift+click select several rows (Teach a generator from them); the triage keys act on the current row
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(QtCore.Qt.TextElideMode.ElideMiddle)  # a path keeps its folder and its name
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)  # more rows in view
        self.table.horizontalHeader().setStretchLastSection(True)
        for col, key in enumerate(COLUMNS):
            if key in COLUMN_WIDTHS:
                self.table.setColumnWidth(col, COLUMN_WIDTHS[key])
        self.table.setToolTip(KEYS_HINT)
        self.table.doubleClicked.connect(self._on_double_clicked)
        self.act_teach = QtGui.QAction("Teach a generator from the selected files\u2026", self.table)
        self.act_teach.setToolTip("Make a generator profile from these files (at least 3 outputs of one generator)")
        self.act_teach.triggered.connect(lambda: self.teach_requested.emit(self.selected_paths()))
        self.table.addAction(self.act_teach)
        self.table.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.command.connect(self._on_command)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self._follow = QtCore.QTimer(self)
        self._follow.setSingleShot(True)
        self._follow.setInterval(FOLLOW_MS)
        self._follow.timeout.connect(self._on_follow)
        rows = self.table.verticalHeader().defaultSectionSize()
        self.table.setMinimumHeight(
            self.table.horizontalHeader().sizeHint().height() + MIN_ROWS_SHOWN * rows + 2 * self.table.frameWidth()
        )

        self.add_files_button = QtWidgets.QPushButton("Add f&iles\u2026")
        self.add_files_button.clicked.connect(self._on_add_files)
        self.add_folder_button = QtWidgets.QPushButton("Add fol&der\u2026")
        self.add_folder_button.setToolTip("Analyse the audio files of a folder and its subfolders (Alt+D)")
        self.add_folder_button.clicked.connect(self._on_add_folder)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.export_button = QtWidgets.QPushButton("Export &CSV\u2026")
        self.export_button.setToolTip(
            "Save the rows shown (as filtered and sorted), with the reviewer's decisions, as CSV (Alt+C)"
        )
        self.export_button.clicked.connect(self._on_export)
        self.export_log_button = QtWidgets.QPushButton("Export decisions (audit &log)\u2026")
        self.export_log_button.setToolTip(
            "Save every decision and note made in this Queue, oldest first, with who made it and when, as CSV (Alt+L)"
        )
        self.export_log_button.clicked.connect(self._on_export_log)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setFormat("%v / %m files")
        self.status_label = ElidedLabel(grows=False)  # a long line ends in an ellipsis rather than widen the window
        self._say(kept or "Add files or a folder to analyse them in the background.")
        self.keys_label = QtWidgets.QLabel(KEYS_HINT)
        self.keys_label.setStyleSheet("color: #707080;")
        self.filter_edit = QtWidgets.QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by name, folder, reason or note")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(lambda text: self.proxy.set_filter(text=text))
        self.verdict_combo = QtWidgets.QComboBox()
        self.verdict_combo.addItem(ALL, None)
        self.verdict_combo.currentIndexChanged.connect(
            lambda _i: self.proxy.set_filter(verdict=self.verdict_combo.currentData())
        )
        self.evidence_combo = QtWidgets.QComboBox()
        self.evidence_combo.addItem(ALL_EVIDENCE, None)
        self.evidence_combo.setToolTip("Show the files whose probability one line of evidence gave")
        self.evidence_combo.currentIndexChanged.connect(
            lambda _i: self.proxy.set_filter(evidence=self.evidence_combo.currentData())
        )
        self.decision_combo = QtWidgets.QComboBox()
        self.decision_combo.addItem(ALL_DECISIONS, None)
        for key, words in triage.DECISION_FILTER_WORDS.items():
            self.decision_combo.addItem(words, key)
        self.decision_combo.currentIndexChanged.connect(
            lambda _i: self.proxy.set_filter(decision=self.decision_combo.currentData())
        )
        self.declared_check = QtWidgets.QCheckBox("Declared AI origin")
        self.declared_check.setToolTip(
            "Show only the files whose own tags or Content Credentials say they were made "
            "with an AI generator (a claim anyone can write or strip; its absence says "
            "nothing)"
        )
        self.declared_check.toggled.connect(lambda on: self.proxy.set_filter(declared_ai=bool(on)))
        self.reviewer_edit = QtWidgets.QLineEdit(reviewer)
        self.reviewer_edit.setPlaceholderText(default_reviewer() or "your name")
        self.reviewer_edit.setToolTip(
            "Your name, recorded with every decision and note (empty: the computer's user name)"
        )
        self.reviewer_edit.setMaximumWidth(140)
        self.reviewer_edit.editingFinished.connect(
            lambda: self.reviewer_changed.emit(self.reviewer_edit.text().strip())
        )

        title = QtWidgets.QLabel("Queue")
        title.setStyleSheet("font-weight: bold;")
        self.close_button = QtWidgets.QToolButton()
        self.close_button.setIcon(self.style().standardIcon(QtWidgets.QStyle.StandardPixmap.SP_TitleBarCloseButton))
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Hide the Queue (File \u25b8 Queue\u2026 shows it again; a running batch goes on)")
        self.close_button.clicked.connect(self.close_requested)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(title)
        for w in (self.add_files_button, self.add_folder_button, self.cancel_button, self.progress):
            top.addWidget(w)
        top.addWidget(self.export_button)
        top.addWidget(self.export_log_button)
        top.addStretch(1)
        top.addWidget(self.close_button)
        status = QtWidgets.QHBoxLayout()
        status.addWidget(self.status_label, 1)
        status.addWidget(self.keys_label)
        filters = QtWidgets.QHBoxLayout()
        filters.addWidget(self.filter_edit, 1)
        for w in (self.verdict_combo, self.evidence_combo, self.decision_combo, self.declared_check):
            filters.addWidget(w)
        filters.addWidget(QtWidgets.QLabel("Reviewer:"))
        filters.addWidget(self.reviewer_edit)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(4)
        lay.addLayout(top)
        lay.addLayout(status)
        lay.addLayout(filters)
        lay.addWidget(self.table, 1)
        self._set_running(False)

    # ------------------------------------------------------------ running
    @property
    def running(self) -> bool:
        return self._job is not None

    @property
    def reviewer(self) -> str:
        """Who decides: the name in the Reviewer field, else the computer's user name."""
        return self.reviewer_edit.text().strip() or default_reviewer()

    def add_paths(self, paths: list[str]) -> None:
        """Queue files or folders; they start at once, or when the running batch ends."""
        self._waiting.extend(str(p) for p in paths)
        if not self.running:
            self._start_next()

    def _start_next(self) -> None:
        if not self._waiting:
            return
        from ..batch import BatchOptions
        from ..core.formats import AUDIO_EXTENSIONS

        inputs, self._waiting = self._waiting, []
        # resume: the store keeps earlier results, so a file seen before is not analysed again; a folder gives
        # its audio files only (as `batch`), a file added by name is always taken
        options = BatchOptions(jobs=self.jobs, weights_dir=self.weights_dir, resume=True, extensions=AUDIO_EXTENSIONS)
        self._done = 0
        self._say("Looking for files\u2026")
        self._set_running(True)
        self._job = self.runner.submit(batch_job(inputs, str(self.store_path), options), "running the queue")

    def cancel(self) -> None:
        self._waiting.clear()
        if self._job is not None:
            self.runner.cancel(self._job)
            self._say("Cancelling\u2026")
            self.cancel_button.setEnabled(False)

    def shutdown(self) -> None:
        """Cancel and wait for the thread (the window is closing)."""
        self.cancel()
        self.runner.shutdown()
        self._follow.stop()
        self.decisions.close()

    def _set_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running)

    # ------------------------------------------------------------ job signals
    def _on_yielded(self, _job: int, event: tuple[str, Any]) -> None:
        kind, value = event
        {"started": self._on_started, "settled": self._on_settled, "refreshed": self._on_refreshed}[kind](value)

    def _on_started(self, total: int) -> None:
        self._total = total
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(0)
        self._say(f"Analysing {total} files\u2026")

    def _on_settled(self, row: dict) -> None:
        self._on_refreshed(row)
        self._done += 1
        self.progress.setValue(self._done)
        self._say(f"{self._done} of {self._total} files: {self.summary()}")

    def _on_refreshed(self, row: dict) -> None:
        self.model.upsert(row)
        v = row.get("verdict")
        if v and self.verdict_combo.findData(v) < 0:
            self.verdict_combo.addItem(verdict_words(v), v)
        e = row.get("deciding_evidence")
        if e and self.evidence_combo.findData(e) < 0:
            self.evidence_combo.addItem(f"Evidence: {triage.evidence_words(row)}", e)

    def decided_count(self) -> int:
        """How many of the rows have a reviewer's decision (a note alone is not one)."""
        return sum(1 for d in self.model.decisions.values() if d.decision and self.model.row_of(d.path) is not None)

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for r in self.model.rows:
            key = verdict_words(r["verdict"]) if r.get("verdict") else r["status"]
            counts[key] = counts.get(key, 0) + 1
        decided = self.decided_count()
        text = ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
        return f"{text}; {decided} of {len(self.model.rows)} decided" if self.model.rows else text

    def _on_finished(self, _job: int, outcome: tuple) -> None:
        run, cancelled, n_skipped, skipped = outcome
        self.run_id = run
        self._job = None
        self._set_running(False)
        self._skipped = skipped_words(n_skipped, skipped)
        self._say(
            ("Cancelled. " if cancelled else "Done. ")
            + self.summary()
            + (f". {self._skipped}" if self._skipped else "")
        )
        self._fit_file_column()
        self.batch_finished.emit(run)
        self._start_next()

    def _on_cancelled(self, _job: int) -> None:  # run_batch itself returns when cancelled: seldom seen
        self._job = None
        self._set_running(False)
        self._say("Cancelled. " + self.summary())
        self.batch_finished.emit(-1)

    def _on_failed(self, _job: int, message: str, _stage: str) -> None:
        self._job = None
        self._set_running(False)
        self._say(message)
        self.batch_finished.emit(-1)

    def _fit_file_column(self) -> None:
        col = COLUMNS.index("file")
        metrics = self.table.fontMetrics()
        widest = max(
            (metrics.horizontalAdvance(triage.cell_words("file", r, None, self.model.root)) for r in self.model.rows),
            default=0,
        )
        self.table.setColumnWidth(col, min(max(widest + 16, COLUMN_WIDTHS["file"]), FILE_COLUMN_MAX))

    # ------------------------------------------------------------ the selected row and the triage keys
    def current_row(self) -> Optional[dict[str, Any]]:
        """The selected row the triage keys act on (the current one when several are selected), or None."""
        selected = self.table.selectionModel().selectedRows()
        if not selected:
            return None
        current = self.table.currentIndex()
        if current.isValid() and self.table.selectionModel().isRowSelected(current.row(), QtCore.QModelIndex()):
            return self.proxy.data(self.proxy.index(current.row(), 0), ROW_ROLE)
        return self.proxy.data(selected[0], ROW_ROLE)

    def selected_paths(self) -> list[str]:
        """The paths of every selected row, in the table's order (Teach a generator from them)."""
        rows = sorted(self.table.selectionModel().selectedRows(), key=lambda i: i.row())
        return [r["path"] for r in (self.proxy.data(i, ROW_ROLE) for i in rows) if r and r.get("path")]

    def select_path(self, path: str) -> bool:
        """Make the row of ``path`` the current one (False when it is not shown)."""
        i = self.model.row_of(path)
        index = self.proxy.mapFromSource(self.model.index(i, 0)) if i is not None else QtCore.QModelIndex()
        if not index.isValid():
            return False
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)
        return True

    def _on_selection_changed(self, *_args: Any) -> None:
        if self.current_row() is not None:
            self._follow.start()  # J held down does not open every track it passes

    def _on_follow(self) -> None:
        row = self.current_row()
        if row is not None:
            self.row_selected.emit(row["path"])

    def _on_command(self, command: str) -> None:
        row = self.current_row()
        if row is None:
            self._say("Select a row first: J moves to the next one.")
            return
        if command == "play":
            self._play(row)
        elif command == "note":
            self.open_note_dialog()
        else:
            self.decide(command)

    def _name(self, row: dict[str, Any]) -> str:
        return triage.relative_name(row["path"], self.model.root)

    def _play(self, row: dict[str, Any]) -> None:
        span = triage.play_range(row)
        if span is None:
            reason = triage.reason_words(row)
            self._say(f"Nothing to play in {self._name(row)}: {reason[:1].lower()}{reason[1:]}")
            return
        what = "the strongest window" if row.get("strongest_window_s") else "the start (no window stands out)"
        self._say(
            f"Playing {what} of {self._name(row)}, {triage.format_clock(span[0])}\u2013"
            f"{triage.format_clock(span[1] + 0.999)}"
        )
        self.play_requested.emit(row["path"], span[0], span[1])

    def show_message(self, text: str) -> None:
        """A line from the window about the Queue's request (playback unavailable ...)."""
        self._say(text)

    def _say(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_label.setToolTip(text)  # whole, where the line is cut

    def decide(
        self, decision: Optional[str], note: Optional[str] = None, *, path: Optional[str] = None
    ) -> Optional[Decision]:
        """Record ``decision`` (and ``note``; None keeps the current note) for the row of ``path`` (the current
        row when None), by the reviewer; returns the new log row (None when nothing changed or it could not be
        recorded). The row stays current, unless the filters now hide it: then the row that took its place is."""
        if path is None:
            row = self.current_row()
        else:
            i = self.model.row_of(path)
            row = None if i is None else self.model.rows[i]
        if row is None:
            return None
        old = self.model.decisions.get(row["path"])
        note = (old.note if old else "") if note is None else note.strip()
        if old is not None and (old.decision, old.note, old.reviewer) == (decision, note, self.reviewer):
            return None  # the log says so already
        try:
            new = self.decisions.record(row["path"], row.get("sha256"), decision, note=note, reviewer=self.reviewer)
        except sqlite3.Error as err:
            self._say(f"Could not record the decision in {self.store_path}: {err}.")
            return None
        self.model.set_decision(new)
        if not self.select_path(row["path"]) and self.table.currentIndex().isValid():
            self.table.selectRow(self.table.currentIndex().row())
        words = new.words if decision else "Note saved"
        decided = self.decided_count()
        self._say(
            f"{self._name(row)}: {words} (by {new.reviewer or 'an unnamed reviewer'}); "
            f"{decided} of {len(self.model.rows)} decided"
        )
        return new

    def open_note_dialog(self) -> Optional[NoteDialog]:
        """N: a note on the current row (Enter saves it with the decision as it stands, Esc cancels)."""
        row = self.current_row()
        if row is None:
            return None
        path = row["path"]
        old = self.model.decisions.get(path)
        dialog = NoteDialog(self._name(row), old.note if old else "", self)

        def saved() -> None:
            current = self.model.decisions.get(path)
            self.decide(current.decision if current else None, dialog.note, path=path)

        def closed(_result: int) -> None:
            self.note_dialog = None
            self.window().activateWindow()  # the keys go back to the table at once (J for the next row)
            self.table.setFocus()
            dialog.deleteLater()

        dialog.accepted.connect(saved)
        dialog.finished.connect(closed)
        self.note_dialog = dialog
        dialog.open()
        return dialog

    # ------------------------------------------------------------ user actions
    def _on_add_files(self) -> None:
        paths, _ = QtWidgets.QFileDialog.getOpenFileNames(self, "Add files to the queue")
        if paths:
            self.add_paths(paths)

    def _on_add_folder(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Add a folder to the queue")
        if folder:
            self.add_paths([folder])
            self.table.setFocus()  # the triage keys work at once

    def _on_double_clicked(self, index: QtCore.QModelIndex) -> None:
        path = self.proxy.data(index, PATH_ROLE)
        if path:
            self.open_requested.emit(path)

    def shown_rows(self) -> list[dict[str, Any]]:
        """The rows the table shows, filtered and in its order."""
        return [
            self.model.rows[self.proxy.mapToSource(self.proxy.index(i, 0)).row()] for i in range(self.proxy.rowCount())
        ]

    def _on_export(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export the queue as CSV", "queue.csv", "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def _on_export_log(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Export the decisions (audit log) as CSV", "decisions.csv", "CSV (*.csv)"
        )
        if path:
            self.export_decisions(path)

    def export_csv(self, path: str) -> bool:
        """The rows the table shows (filter and order as on screen), with the columns of ``batch -o`` and the
        current decision of each (decision, decision_note, decided_by, decided_at)."""
        from ..batch.export import write_rows_csv

        rows = self.shown_rows()
        return self._write(
            lambda: write_rows_csv(rows, path, decisions=self.model.decisions),
            path,
            f"Exported {len(rows)} rows to {path}",
        )

    def export_decisions(self, path: str) -> bool:
        """Every decision and note recorded in this Queue's store, oldest first (the audit log)."""
        from ..batch.export import write_decisions_csv

        log = self.decisions.history()
        return self._write(
            lambda: write_decisions_csv(log, path, inputs=[r["path"] for r in self.model.rows]),
            path,
            f"Exported {len(log)} decisions and notes to {path}",
        )

    def _write(self, write: Callable[[], None], path: str, done: str) -> bool:
        from ..core.errors import ForensicError

        try:
            write()
        except OSError as err:
            self._say(f"Could not write {path}: {err.strerror or err}.")
            return False
        except ForensicError as err:  # the file chosen is one of the rows' audio files
            self._say(str(err))
            return False
        self._say(done)
        return True
