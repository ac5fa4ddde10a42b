"""The Queue's table: a model of the batch rows and their decisions, the filter, the keys of triage.

Every word a cell shows, every tooltip, sort value and filter decision comes from the headless
:mod:`forensic_app.batch.triage`; this module only hands them to Qt. :class:`QueueTable` turns the
triage keys (J/K, Space, F/R/U, N) into :attr:`QueueTable.command` signals while it has the focus,
ahead of the window's own shortcuts (Space plays the whole track there).
"""

from __future__ import annotations

from typing import Any, Optional

from PySide6 import QtCore, QtGui, QtWidgets

from ..batch import triage
from ..batch.decisions import Decision

COLUMNS = triage.COLUMNS
SORT_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1
PATH_ROLE = QtCore.Qt.ItemDataRole.UserRole + 2
ROW_ROLE = QtCore.Qt.ItemDataRole.UserRole + 3  # the row dict
# the triage keys, without modifiers, while the table has the focus
KEYS = {
    QtCore.Qt.Key.Key_J: "next",
    QtCore.Qt.Key.Key_K: "previous",
    QtCore.Qt.Key.Key_Space: "play",
    QtCore.Qt.Key.Key_F: "likely_ai",
    QtCore.Qt.Key.Key_R: "human_made",
    QtCore.Qt.Key.Key_U: "undecided",
    QtCore.Qt.Key.Key_N: "note",
}
KEYS_HINT = (
    "J/K next/previous \u00b7 Space listen \u00b7 F likely AI \u00b7 R human-made \u00b7 U undecided \u00b7 N note"
)


class QueueModel(QtCore.QAbstractTableModel):
    """One row per input file: the batch's row dicts (see Store.iter_rows), updated in place, with the current
    decision of each path and the folder the rows share (file names are shown relative to it)."""

    def __init__(self, parent: Optional[QtCore.QObject] = None):
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []
        self.decisions: dict[str, Decision] = {}
        self.root = ""
        self._index: dict[str, int] = {}

    def rowCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=QtCore.Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != QtCore.Qt.Orientation.Horizontal:
            return None
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return triage.TITLES[COLUMNS[section]]
        if role == QtCore.Qt.ItemDataRole.ToolTipRole and COLUMNS[section] == "file" and self.root:
            return f"Paths relative to {self.root}"
        return None

    def row_of(self, path: str) -> Optional[int]:
        return self._index.get(path)

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
        root = triage.common_folder(r["path"] for r in self.rows)
        if root != self.root:  # every name (and "same bytes as ...") reads from the new common folder
            self.root = root
            self.headerDataChanged.emit(QtCore.Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
            if self.rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(COLUMNS) - 1))

    def set_decisions(self, decisions: dict[str, Decision]) -> None:
        self.beginResetModel()
        self.decisions = dict(decisions)
        self.endResetModel()

    def set_decision(self, decision: Decision) -> None:
        self.decisions[decision.path] = decision
        i = self._index.get(decision.path)
        if i is not None:
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    def clear(self) -> None:
        self.beginResetModel()
        self.rows, self._index, self.root = [], {}, ""
        self.endResetModel()

    def data(self, index: QtCore.QModelIndex, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r, col = self.rows[index.row()], COLUMNS[index.column()]
        decision = self.decisions.get(r["path"])
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return triage.cell_words(col, r, decision, self.root)
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            return triage.cell_tooltip(col, r, decision, self.root) or None
        if role == SORT_ROLE:
            return triage.sort_value(col, r, decision, self.root)
        if role == PATH_ROLE:
            return r["path"]
        if role == ROW_ROLE:
            return r
        return None


class QueueFilter(QtCore.QSortFilterProxyModel):
    """The rows a :class:`~forensic_app.batch.triage.TriageFilter` accepts, sorted by SORT_ROLE."""

    def __init__(self, parent: Optional[QtCore.QObject] = None):
        super().__init__(parent)
        self.filter = triage.TriageFilter()
        self.setSortRole(SORT_ROLE)

    def set_filter(self, **changes: Any) -> None:
        """Change some of the filter's fields (text, verdict, evidence, decision, declared_ai)."""
        fields = {**vars(self.filter), **changes}
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.10; invalidateFilter() is deprecated there
            self.beginFilterChange()
            self.filter = triage.TriageFilter(**fields)
            self.endFilterChange(QtCore.QSortFilterProxyModel.Direction.Rows)
        else:
            self.filter = triage.TriageFilter(**fields)
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QtCore.QModelIndex) -> bool:  # noqa: N802
        model = self.sourceModel()
        row = model.rows[source_row]
        return self.filter.accepts(row, model.decisions.get(row["path"]), model.root)

    def lessThan(self, left: QtCore.QModelIndex, right: QtCore.QModelIndex) -> bool:  # noqa: N802
        """By SORT_ROLE; equal values keep the order the files were found in, whichever way the column sorts,
        so a decision never moves its row among equals (J would then skip or repeat a row)."""
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if a != b:
            return a < b
        descending = self.sortOrder() == QtCore.Qt.SortOrder.DescendingOrder
        return left.row() > right.row() if descending else left.row() < right.row()


class QueueTable(QtWidgets.QTableView):
    """The table, with the triage keys: ``command`` says "next", "previous", "play", "likely_ai",
    "human_made", "undecided" or "note"."""

    command = QtCore.Signal(str)

    @staticmethod
    def _command_of(ev: QtGui.QKeyEvent) -> Optional[str]:
        mods = ev.modifiers() & ~QtCore.Qt.KeyboardModifier.KeypadModifier
        if mods != QtCore.Qt.KeyboardModifier.NoModifier:
            return None
        return KEYS.get(QtCore.Qt.Key(ev.key()))

    def event(self, ev: QtCore.QEvent) -> bool:
        if ev.type() == QtCore.QEvent.Type.ShortcutOverride and self._command_of(ev):
            ev.accept()  # the key is ours while the table has the focus (the window's Space plays the whole track)
            return True
        return super().event(ev)

    def keyPressEvent(self, ev: QtGui.QKeyEvent) -> None:  # noqa: N802
        command = self._command_of(ev)
        if command is None:
            super().keyPressEvent(ev)
            return
        ev.accept()
        if command in ("next", "previous"):
            self.step(1 if command == "next" else -1)
        else:
            self.command.emit(command)

    def step(self, by: int) -> None:
        """Select the row ``by`` rows down (up when negative), staying within the table."""
        n = self.model().rowCount()
        if n == 0:
            return
        current = self.currentIndex()
        if not current.isValid():
            row = 0 if by > 0 else n - 1
        elif not self.selectionModel().isRowSelected(current.row(), QtCore.QModelIndex()):
            row = current.row()  # focus made the top row current without showing it: J shows it first
        else:
            row = min(max(current.row() + by, 0), n - 1)
        index = self.model().index(row, max(current.column(), 0))
        self.setCurrentIndex(index)  # with whole-row selection: the row is selected too
        self.scrollTo(index)


class NoteDialog(QtWidgets.QDialog):
    """A one-line note on one file: Enter saves, Esc cancels. Non-modal for the caller (``open()``)."""

    def __init__(self, name: str, note: str, parent: Optional[QtWidgets.QWidget] = None):
        super().__init__(parent)
        self.setWindowTitle("Note")
        self.edit = QtWidgets.QLineEdit(note)
        self.edit.setPlaceholderText("What you heard or checked, for the next reviewer")
        self.edit.setMinimumWidth(420)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Save | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QtWidgets.QVBoxLayout(self)
        label = QtWidgets.QLabel(f"Note on {name}:")
        label.setWordWrap(True)
        lay.addWidget(label)
        lay.addWidget(self.edit)
        lay.addWidget(buttons)

    @property
    def note(self) -> str:
        return self.edit.text().strip()
