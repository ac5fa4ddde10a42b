"""The Queue panel: many files in the background, a sortable table of verdicts, flagged ones first.

A thin shell over the headless batch runner (forensic_app.batch): a job on the panel's own
:class:`~.jobs.JobRunner` thread runs ``run_batch`` into a store in the user config folder, so files analysed
before (same bytes, same model) come back at once. Rows arrive through queued signals; the
table is a plain model behind a QSortFilterProxyModel (sorted by probability, highest first;
filtered by text and verdict). Double-click opens a track in the main view.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Optional

from PySide6 import QtCore, QtWidgets

from ..core.vocabulary import VERDICT_SHORT, format_probability, format_range
from .jobs import Job, JobRunner

COLUMNS = ("File", "Verdict", "Probability", "Range", "Status", "Folder")
SORT_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1
PATH_ROLE = QtCore.Qt.ItemDataRole.UserRole + 2
ALL = "All verdicts"
MIN_ROWS_SHOWN = 3  # the table's share of the window never drops below this many rows


def verdict_words(verdict: Optional[str]) -> str:
    """Words for a verdict; one the GUI has not heard of yet is shown as it comes."""
    if not verdict:
        return ""
    return VERDICT_SHORT.get(verdict, verdict.replace("_", " ").capitalize())


class QueueModel(QtCore.QAbstractTableModel):
    """One row per input file: the batch's row dicts (see Store.iter_rows), updated in place."""

    def __init__(self, parent: Optional[QtCore.QObject] = None):
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []
        self._index: dict[str, int] = {}

    def rowCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=QtCore.Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == QtCore.Qt.Orientation.Horizontal and role == QtCore.Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def upsert(self, row: dict[str, Any]) -> None:
        i = self._index.get(row["path"])
        if i is None:
            self.beginInsertRows(QtCore.QModelIndex(), len(self.rows), len(self.rows))
            self._index[row["path"]] = len(self.rows)
            self.rows.append(row)
            self.endInsertRows()
        else:
            self.rows[i] = row
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    def clear(self) -> None:
        self.beginResetModel()
        self.rows, self._index = [], {}
        self.endResetModel()

    def data(self, index: QtCore.QModelIndex, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r, col = self.rows[index.row()], index.column()
        p = r.get("probability_fake")
        if role == PATH_ROLE:
            return r["path"]
        if role == SORT_ROLE:  # numbers sort as numbers; rows without a score sink below every score
            if col == 2:
                return -1.0 if p is None else float(p)
            return self.data(index).lower()
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            return r.get("error") or r["path"]
        if role != QtCore.Qt.ItemDataRole.DisplayRole:
            return None
        status = r["status"] if not r.get("duplicate_of") else f"duplicate of {os.path.basename(r['duplicate_of'])}"
        if r.get("error"):
            status = f"{r['status']}: {r['error']}"
        lo, hi = r.get("interval") or (None, None)
        return (os.path.basename(r["path"]), verdict_words(r.get("verdict")),
                "" if p is None else format_probability(p), "" if lo is None else format_range(lo, hi),
                status, os.path.dirname(r["path"]))[col]


class QueueFilter(QtCore.QSortFilterProxyModel):
    """Text in any column, and optionally one verdict."""

    def __init__(self, parent: Optional[QtCore.QObject] = None):
        super().__init__(parent)
        self.verdict: Optional[str] = None
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(QtCore.Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)

    def set_verdict(self, verdict: Optional[str]) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.10; invalidateFilter() is deprecated there
            self.beginFilterChange()
            self.verdict = verdict
            self.endFilterChange(QtCore.QSortFilterProxyModel.Direction.Rows)
        else:
            self.verdict = verdict
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QtCore.QModelIndex) -> bool:  # noqa: N802
        if self.verdict and self.sourceModel().rows[source_row].get("verdict") != self.verdict:
            return False
        return super().filterAcceptsRow(source_row, source_parent)


def batch_job(inputs: list, store_path: str, options: Any) -> Callable[[Job], Any]:
    """Run the batch into the store at ``store_path``; sends ("started", number of files), then
    ("settled", row) once per input file and ("refreshed", row) for a row that learnt more (a
    duplicate's verdict); returns (run id, whether it was cancelled)."""

    def run(job: Job) -> Any:
        from ..batch import Store, run_batch

        job.what = "running the queue"
        with Store(store_path) as store:
            def on_file(event) -> None:
                row = store.file_row(store.current_run, event.path)
                if row is not None:
                    job.send(("settled", row))

            run_id = run_batch(inputs, store, options, on_started=lambda total: job.send(("started", total)),
                               on_file=on_file, cancel=job.token)
            for row in store.iter_rows(run_id):  # duplicates now know their verdict
                if row.get("duplicate_of"):
                    job.send(("refreshed", row))
        return run_id, job.token.cancelled

    return run


class QueuePanel(QtWidgets.QWidget):
    open_requested = QtCore.Signal(str)  # path
    batch_finished = QtCore.Signal(int)  # run id (also when cancelled)
    close_requested = QtCore.Signal()  # the close button: the window hides the panel (a running batch goes on)

    def __init__(self, *, store_path: Path, weights_dir: Optional[str] = None, jobs: int = 1,
                 parent: Optional[QtWidgets.QWidget] = None):
        super().__init__(parent)
        self.store_path, self.weights_dir, self.jobs = Path(store_path), weights_dir, jobs
        self.run_id: Optional[int] = None
        self._waiting: list[str] = []  # inputs added while a batch runs
        self._job: Optional[int] = None  # the running batch
        self._done = self._total = 0
        self.runner = JobRunner("forensic-queue", self)
        self.runner.yielded.connect(self._on_yielded)
        self.runner.succeeded.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)

        self.model = QueueModel(self)
        self.proxy = QueueFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QtWidgets.QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(2, QtCore.Qt.SortOrder.DescendingOrder)  # flagged first
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((220, 150, 90, 100, 220)):
            self.table.setColumnWidth(col, width)
        self.table.doubleClicked.connect(self._on_double_clicked)
        rows = self.table.verticalHeader().defaultSectionSize()
        self.table.setMinimumHeight(self.table.horizontalHeader().sizeHint().height() + MIN_ROWS_SHOWN * rows
                                    + 2 * self.table.frameWidth())

        self.add_files_button = QtWidgets.QPushButton("Add files\u2026")
        self.add_files_button.clicked.connect(self._on_add_files)
        self.add_folder_button = QtWidgets.QPushButton("Add folder\u2026")
        self.add_folder_button.clicked.connect(self._on_add_folder)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.export_button = QtWidgets.QPushButton("Export CSV\u2026")
        self.export_button.setToolTip("Save the rows shown (as filtered and sorted) as CSV")
        self.export_button.clicked.connect(self._on_export)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setFormat("%v / %m files")
        self.status_label = QtWidgets.QLabel("Add files or a folder to analyse them in the background.")
        self.filter_edit = QtWidgets.QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by name, folder or reason")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.verdict_combo = QtWidgets.QComboBox()
        self.verdict_combo.addItem(ALL, None)
        self.verdict_combo.currentIndexChanged.connect(
            lambda _i: self.proxy.set_verdict(self.verdict_combo.currentData()))

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
        top.addStretch(1)
        top.addWidget(self.close_button)
        filters = QtWidgets.QHBoxLayout()
        filters.addWidget(self.filter_edit, 1)
        filters.addWidget(self.verdict_combo)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(4)
        lay.addLayout(top)
        lay.addWidget(self.status_label)
        lay.addLayout(filters)
        lay.addWidget(self.table, 1)
        self._set_running(False)

    # ------------------------------------------------------------ running
    @property
    def running(self) -> bool:
        return self._job is not None

    def add_paths(self, paths: list[str]) -> None:
        """Queue files or folders; they start at once, or when the running batch ends."""
        self._waiting.extend(str(p) for p in paths)
        if not self.running:
            self._start_next()

    def _start_next(self) -> None:
        if not self._waiting:
            return
        from ..batch import BatchOptions

        inputs, self._waiting = self._waiting, []
        # resume: the store keeps earlier results, so a file seen before is not analysed again
        options = BatchOptions(jobs=self.jobs, weights_dir=self.weights_dir, resume=True)
        self._done = 0
        self.status_label.setText("Looking for files\u2026")
        self._set_running(True)
        self._job = self.runner.submit(batch_job(inputs, str(self.store_path), options), "running the queue")

    def cancel(self) -> None:
        self._waiting.clear()
        if self._job is not None:
            self.runner.cancel(self._job)
            self.status_label.setText("Cancelling\u2026")
            self.cancel_button.setEnabled(False)

    def shutdown(self) -> None:
        """Cancel and wait for the thread (the window is closing)."""
        self.cancel()
        self.runner.shutdown()

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
        self.status_label.setText(f"Analysing {total} files\u2026")

    def _on_settled(self, row: dict) -> None:
        self._on_refreshed(row)
        self._done += 1
        self.progress.setValue(self._done)
        self.status_label.setText(f"{self._done} of {self._total} files: {self.summary()}")

    def _on_refreshed(self, row: dict) -> None:
        self.model.upsert(row)
        v = row.get("verdict")
        if v and self.verdict_combo.findData(v) < 0:
            self.verdict_combo.addItem(verdict_words(v), v)

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for r in self.model.rows:
            key = verdict_words(r["verdict"]) if r.get("verdict") else r["status"]
            counts[key] = counts.get(key, 0) + 1
        return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))

    def _on_finished(self, _job: int, outcome: tuple[int, bool]) -> None:
        run, cancelled = outcome
        self.run_id = run
        self._job = None
        self._set_running(False)
        self.status_label.setText(("Cancelled. " if cancelled else "Done. ") + self.summary())
        for col in (0, 1):
            self.table.resizeColumnToContents(col)
        self.batch_finished.emit(run)
        self._start_next()

    def _on_cancelled(self, _job: int) -> None:  # run_batch itself returns when cancelled: seldom seen
        self._job = None
        self._set_running(False)
        self.status_label.setText("Cancelled. " + self.summary())
        self.batch_finished.emit(-1)

    def _on_failed(self, _job: int, message: str, _stage: str) -> None:
        self._job = None
        self._set_running(False)
        self.status_label.setText(message)
        self.batch_finished.emit(-1)

    # ------------------------------------------------------------ user actions
    def _on_add_files(self) -> None:
        paths, _ = QtWidgets.QFileDialog.getOpenFileNames(self, "Add files to the queue")
        if paths:
            self.add_paths(paths)

    def _on_add_folder(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Add a folder to the queue")
        if folder:
            self.add_paths([folder])

    def _on_double_clicked(self, index: QtCore.QModelIndex) -> None:
        path = self.proxy.data(index, PATH_ROLE)
        if path:
            self.open_requested.emit(path)

    def _on_export(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export the queue as CSV", "queue.csv", "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path: str) -> bool:
        """The rows the table shows (filter and order as on screen), with the columns of ``batch -o``."""
        from ..batch.export import write_rows_csv

        rows = [self.model.rows[self.proxy.mapToSource(self.proxy.index(i, 0)).row()]
                for i in range(self.proxy.rowCount())]
        from ..core.errors import ForensicError

        try:
            write_rows_csv(rows, path)
        except OSError as err:
            self.status_label.setText(f"Could not write {path}: {err.strerror or err}.")
            return False
        except ForensicError as err:  # the file chosen is one of the rows' audio files
            self.status_label.setText(str(err))
            return False
        self.status_label.setText(f"Exported {len(rows)} rows to {path}")
        return True
