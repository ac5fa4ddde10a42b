"""ElidedLabel: one line of text that ends in an ellipsis where its room ends (the case lanes' verdict chips,
the Queue's status line)."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets


class ElidedLabel(QtWidgets.QLabel):
    """A one-line label that ends in an ellipsis when it is narrower than its text; ``text()`` and the size hint
    (the room it asks for) keep the whole text, the caller puts it in the tooltip. ``grows`` False: it asks for
    no width at all (a status line that must never widen its window). A style sheet background (a chip) is
    drawn as QLabel would."""

    MIN_WIDTH_PX = 60

    def __init__(self, text: str = "", parent: QtWidgets.QWidget | None = None, *, grows: bool = True):
        super().__init__(text, parent)
        if not grows:
            self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt's name
        return QtCore.QSize(self.MIN_WIDTH_PX, super().minimumSizeHint().height())

    def paintEvent(self, _ev: QtGui.QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QtGui.QPainter(self)
        option = QtWidgets.QStyleOption()
        option.initFrom(self)
        self.style().drawPrimitive(QtWidgets.QStyle.PrimitiveElement.PE_Widget, option, painter, self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), QtCore.Qt.TextElideMode.ElideRight, rect.width())
        self.style().drawItemText(
            painter, rect, int(self.alignment()), self.palette(), self.isEnabled(), text, self.foregroundRole()
        )
