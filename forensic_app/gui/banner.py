"""A non-modal message strip at the top of the window: errors never block the window (or tests)."""

from __future__ import annotations

from typing import Callable, Optional

from PySide6 import QtCore, QtWidgets


class Banner(QtWidgets.QFrame):
    STYLES = {
        "error": "background:#fde8e6; color:#7a1d14; border-bottom:1px solid #e0a8a0;",
        "info": "background:#e8f0fb; color:#1d3d6a; border-bottom:1px solid #a8c0e0;",
    }

    def __init__(self) -> None:
        super().__init__()
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 6, 6)
        self.label = QtWidgets.QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QtWidgets.QToolButton()
        close.setText("Dismiss")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        self.action_button = QtWidgets.QPushButton()
        self.action_button.clicked.connect(self._on_action)
        self.action_button.hide()
        lay.addWidget(self.label, 1)
        lay.addWidget(self.action_button)
        lay.addWidget(close)
        self.kind = ""
        self._action: Optional[Callable[[], None]] = None
        self.hide()

    def show_message(
        self, text: str, kind: str = "error", *, action: Optional[tuple[str, Callable[[], None]]] = None
    ) -> None:
        """Show ``text``; ``action`` = (button label, callback) adds a button that also dismisses."""
        self.kind = kind
        self.setStyleSheet(f"QFrame{{{self.STYLES[kind]}}} QLabel{{border:none;}}")
        self.label.setText(text)
        self._action = action[1] if action else None
        self.action_button.setText(action[0] if action else "")
        self.action_button.setVisible(action is not None)
        self.show()

    def _on_action(self) -> None:
        callback, self._action = self._action, None
        self.hide()
        if callback is not None:
            callback()
