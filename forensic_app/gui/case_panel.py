"""The case side panel: the finding in one sentence, the per-lane summary table, annotations, decision.

It shows what :func:`forensic_app.case.summary.summarize` says and edits the case's
annotations and reviewer decision in place; the window saves the case.
"""

from __future__ import annotations

from typing import Optional

from PySide6 import QtCore, QtGui, QtWidgets

from ..case.document import DECISION_WORDS, DECISIONS, Annotation, Case, now_iso
from ..case.summary import summarize
from ..core.vocabulary import VERDICT_COLOURS
from .scales import format_time

COLUMNS = ("Lane", "Verdict", "Probability", "Range", "Patch CNN", "Comb", "Fakeprint")
MIN_COLUMN_PX = 40  # a cut column still shows a few characters and its ellipsis
MAX_ROWS_SHOWN = 6  # the table grows with the lanes up to this many rows, then scrolls
NOTES_MIN_LINES = 3  # the notes scroll rather than push the decision off a small screen


def share_width(wanted: list[int], room: int, minimum: int = MIN_COLUMN_PX) -> list[int]:
    """Column widths that fill ``room`` px: each column gets what it ``wanted`` when everything fits; otherwise
    the narrow ones keep theirs and the wide ones share the rest equally (never below ``minimum``)."""
    if not wanted:
        return []
    widths = list(wanted)
    if sum(wanted) <= room:
        widths[-1] += room - sum(wanted)  # the last column takes the slack, as a stretched last section would
        return widths
    left, n_left = room, len(wanted)
    cap = max(wanted)
    for w in sorted(wanted):
        if w * n_left <= left:
            left, n_left = left - w, n_left - 1
        else:
            cap = left // n_left
            break
    return [max(min(w, cap), minimum) for w in wanted]


class SummaryTable(QtWidgets.QTableWidget):
    """The per-lane table, its columns always sharing its width so that none is out of sight. A cell with
    more text than its column's share wraps onto a second line, then ends in an ellipsis; each cell's
    tooltip holds its full text."""

    CELL_PADDING_PX = 14  # the delegate's margins around a cell's text

    def _text_width(self, text: str) -> int:
        return self.fontMetrics().horizontalAdvance(text) + self.CELL_PADDING_PX

    def fit_columns(self) -> None:
        header = self.horizontalHeader()
        cells = [
            max([self._text_width(self.item(r, c).text()) for r in range(self.rowCount()) if self.item(r, c)] or [0])
            for c in range(self.columnCount())
        ]
        wanted = [max(cell, header.sectionSizeHint(c)) for c, cell in enumerate(cells)]
        widths = share_width(wanted, self.viewport().width())
        for c, width in enumerate(widths):
            header.resizeSection(c, width)
        lines = 2 if any(cell > width for cell, width in zip(cells, widths)) else 1
        self.verticalHeader().setDefaultSectionSize(lines * self.fontMetrics().lineSpacing() + 10)
        self.fit_height()

    def fit_height(self) -> None:
        """Tall enough for every row up to MAX_ROWS_SHOWN (no empty space under them, no scroll bar)."""
        rows = max(1, min(self.rowCount(), MAX_ROWS_SHOWN))
        height = (
            self.horizontalHeader().sizeHint().height()
            + rows * self.verticalHeader().defaultSectionSize()
            + 2 * self.frameWidth()
        )
        if (self.minimumHeight(), self.maximumHeight()) != (height, height):
            self.setFixedHeight(height)

    def resizeEvent(self, ev: QtGui.QResizeEvent) -> None:  # noqa: N802 - Qt's name; the viewport's size too
        super().resizeEvent(ev)
        self.fit_columns()


class AnnotationDialog(QtWidgets.QDialog):
    """The note for a selected region and, optionally, the frequency band it concerns (Hz)."""

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None, nyquist_hz: float = 22050.0):
        super().__init__(parent)
        self.setWindowTitle("Annotate selection")
        self.note = QtWidgets.QLineEdit()
        self.note.setPlaceholderText('What you see here, e.g. "lines every 86 Hz during the chorus"')
        self.band = QtWidgets.QCheckBox("Only a frequency band")
        self.low, self.high = QtWidgets.QDoubleSpinBox(), QtWidgets.QDoubleSpinBox()
        for box, value in ((self.low, 4000.0), (self.high, min(12000.0, nyquist_hz))):
            box.setRange(0.0, nyquist_hz)
            box.setDecimals(0)
            box.setSuffix(" Hz")
            box.setValue(value)
            box.setEnabled(False)
            self.band.toggled.connect(box.setEnabled)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QtWidgets.QFormLayout(self)
        form.addRow("Note", self.note)
        form.addRow(self.band)
        form.addRow("From", self.low)
        form.addRow("To", self.high)
        form.addRow(buttons)
        self.resize(460, self.sizeHint().height())

    def text(self) -> str:
        return self.note.text().strip()

    def band_hz(self) -> tuple[Optional[float], Optional[float]]:
        """(low, high) in Hz, or (None, None) when the note is about all frequencies."""
        if not self.band.isChecked():
            return None, None
        lo, hi = sorted((self.low.value(), self.high.value()))
        return (lo, hi) if hi > lo else (None, None)


class CasePanel(QtWidgets.QWidget):
    """``changed`` fires when the user edits the decision or removes an annotation."""

    changed = QtCore.Signal()
    annotation_activated = QtCore.Signal(int)  # index into case.annotations: the window zooms to it

    def __init__(self, parent: Optional[QtWidgets.QWidget] = None):
        super().__init__(parent)
        self.case: Optional[Case] = None
        self.finding = QtWidgets.QLabel("Add files to the case: File \u25b8 Add files\u2026")
        self.finding.setWordWrap(True)
        self.finding.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.finding.setStyleSheet("font-size: 11pt; padding: 4px;")
        self.table = SummaryTable(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for j, name in enumerate(COLUMNS):
            self.table.horizontalHeaderItem(j).setToolTip(name)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.setTextElideMode(QtCore.Qt.TextElideMode.ElideRight)
        self.table.horizontalHeader().setTextElideMode(QtCore.Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Fixed)
        self.table.fit_height()
        self.notes = QtWidgets.QLabel()
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("font-size: 9pt;")
        self.notes.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft)
        self.notes_scroll = QtWidgets.QScrollArea()
        self.notes_scroll.setWidget(self.notes)
        self.notes_scroll.setWidgetResizable(True)
        self.notes_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.notes_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.notes_scroll.setMinimumHeight(NOTES_MIN_LINES * self.notes.fontMetrics().lineSpacing() + 4)

        self.annotations = QtWidgets.QListWidget()
        self.annotations.itemActivated.connect(lambda item: self.annotation_activated.emit(self.annotations.row(item)))
        self.remove_button = QtWidgets.QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected annotation")
        self.remove_button.clicked.connect(self.remove_selected_annotation)
        hint = QtWidgets.QLabel("Shift+drag on a lane to select, then Case \u25b8 Annotate selection (Ctrl+M).")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #9a9aa8;")

        self.decision = QtWidgets.QComboBox()
        for key in DECISIONS:
            self.decision.addItem(DECISION_WORDS.get(key, key), key)
        self.reviewer = QtWidgets.QLineEdit()
        self.reviewer.setPlaceholderText("Reviewer")
        self.reason = QtWidgets.QPlainTextEdit()
        self.reason.setPlaceholderText("Why (kept in the case file and printed in the case report)")
        self.reason.setMaximumHeight(60)
        self.decided = QtWidgets.QLabel()
        self.decided.setStyleSheet("color: #9a9aa8;")
        self.decision.activated.connect(self._on_decision_edited)
        self.reviewer.editingFinished.connect(self._on_decision_edited)
        self.reason.textChanged.connect(self._on_decision_edited)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self._heading("Finding"))
        layout.addWidget(self.finding)
        layout.addWidget(self.table)
        layout.addWidget(self.notes_scroll, 2)
        layout.addWidget(self._heading("Annotations"))
        self.annotations.setMinimumHeight(3 * self.annotations.fontMetrics().lineSpacing() + 8)
        layout.addWidget(self.annotations, 1)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(hint, 1)
        row.addWidget(self.remove_button)
        layout.addLayout(row)
        layout.addWidget(self._heading("Reviewer decision"))
        form = QtWidgets.QFormLayout()
        form.addRow("Decision", self.decision)
        form.addRow("Reviewer", self.reviewer)
        form.addRow("Reason", self.reason)
        layout.addLayout(form)
        layout.addWidget(self.decided)
        self._loading = False
        self.setMinimumWidth(340)

    @staticmethod
    def _heading(text: str) -> QtWidgets.QLabel:
        label = QtWidgets.QLabel(text)
        label.setStyleSheet("font-weight: bold; margin-top: 6px;")
        return label

    def set_case(self, case: Case) -> None:
        self.case = case
        self._loading = True
        try:
            d = case.decision
            self.decision.setCurrentIndex(max(0, self.decision.findData(d.status)))
            self.reviewer.setText(d.reviewer)
            self.reason.setPlainText(d.text)
        finally:
            self._loading = False
        self.refresh()

    def refresh(self) -> None:
        """Redraw the finding, the table and the annotation list from the case."""
        case = self.case
        if case is None:
            return
        if case.lanes:
            summary = summarize(case)
            self.finding.setText(summary.sentence)
            self.notes.setText("\n\n".join(summary.notes))
            self.table.setRowCount(len(summary.rows))
            for i, row in enumerate(summary.rows):
                values = (
                    f"{row.label}{' (separated)' if row.separated else ''}",
                    row.verdict_clause,
                    row.probability,
                    row.interval or row.probability,
                    row.cnn,
                    row.comb,
                    row.fakeprint,
                )
                for j, value in enumerate(values):
                    item = QtWidgets.QTableWidgetItem(value)
                    item.setToolTip(f"{row.file_name} \u00b7 {COLUMNS[j]}: {value}")  # the full text of a cut cell
                    if j == 1 and row.verdict in VERDICT_COLOURS:
                        item.setForeground(QtGui.QBrush(QtGui.QColor("white")))
                        item.setBackground(QtGui.QBrush(QtGui.QColor(VERDICT_COLOURS[row.verdict])))
                    self.table.setItem(i, j, item)
            self.table.fit_columns()
        labels = {lane.lane_id: lane.label for lane in case.lanes}
        self.annotations.clear()
        for a in case.annotations:
            where = labels.get(a.lane, "whole case") if a.lane else "whole case"
            freq = f", {a.low_hz:.0f}-{a.high_hz:.0f} Hz" if a.low_hz is not None and a.high_hz is not None else ""
            self.annotations.addItem(
                f"{where} {format_time(a.start_s, 0.1)}-{format_time(a.end_s, 0.1)}{freq}: {a.text}"
            )
        self.remove_button.setEnabled(bool(case.annotations))
        d = case.decision
        self.decided.setText(f"Decided {d.decided_at}" if d.decided_at else "")

    def add_annotation(self, annotation: Annotation) -> None:
        if self.case is not None:
            self.case.annotations.append(annotation)
            self.refresh()
            self.changed.emit()

    def remove_selected_annotation(self) -> None:
        row = self.annotations.currentRow()
        if self.case is not None and 0 <= row < len(self.case.annotations):
            del self.case.annotations[row]
            self.refresh()
            self.changed.emit()

    def _on_decision_edited(self, *_args) -> None:
        if self._loading or self.case is None:
            return
        d = self.case.decision
        status, text, reviewer = self.decision.currentData(), self.reason.toPlainText(), self.reviewer.text().strip()
        if (status, text, reviewer) == (d.status, d.text, d.reviewer):
            return
        d.status, d.text, d.reviewer, d.decided_at = status, text, reviewer, now_iso()
        self.decided.setText(f"Decided {d.decided_at}")
        self.changed.emit()
