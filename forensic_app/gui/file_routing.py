"""Where files given to the main window go: one track to the view, several to a case window or
the Queue, a folder or many files to the Queue, a ``.facase`` to a case window.

A mixin of :class:`~.main_window.MainWindow` (drag and drop, File > New case / Open case,
File > Queue); the one-track view itself is ``open_file``.
"""

from __future__ import annotations

import os
from typing import Optional

from PySide6 import QtCore, QtGui, QtWidgets

from . import settings as settings_mod
from .file_filters import AUDIO_FILTER, CASE_FILTER  # noqa: F401 - AUDIO_FILTER: also the main window's
from .queue_panel import QueuePanel

CASE_MAX_DROP = 8  # more dropped files than this go to the Queue without asking
QUEUE_SHARE = 0.4  # of the height the track view and the Queue share, when the Queue opens


class FileRouting:
    """Drops, case windows and the Queue of the main window."""

    def dragEnterEvent(self, ev: QtGui.QDragEnterEvent) -> None:
        if self._dropped_path(ev.mimeData()):
            ev.acceptProposedAction()
        else:
            ev.ignore()

    def dragMoveEvent(self, ev: QtGui.QDragMoveEvent) -> None:
        if self._dropped_path(ev.mimeData()):
            ev.acceptProposedAction()

    def dropEvent(self, ev: QtGui.QDropEvent) -> None:
        path = self._dropped_path(ev.mimeData())
        if path:
            ev.acceptProposedAction()
            paths = [u.toLocalFile() for u in ev.mimeData().urls() if u.isLocalFile()]
            if os.path.isdir(path) or len(paths) > CASE_MAX_DROP:  # a folder or many files: the Queue
                self.show_queue().add_paths(paths)
            elif len(paths) > 1:  # a few files: stems or versions side by side, or the queue
                choice = self.ask_case_or_queue(len(paths))
                if choice == "case":
                    self.open_case_window(paths)
                elif choice == "queue":
                    self.show_queue().add_paths(paths)
            elif path.endswith(".facase"):
                self.open_case_window(case_path=path)
            else:
                self.open_file(path)

    def ask_case_or_queue(self, n: int) -> str:
        """ "case", "queue" or "" (cancelled): what to do with several dropped files."""
        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Icon.Question,
            "Several files",
            f"Open the {n} files side by side as one case (stems or versions of a track), "
            "or add them to the Queue to review each on its own?",
            parent=self,
        )
        case = box.addButton("Open as a case", QtWidgets.QMessageBox.ButtonRole.AcceptRole)
        queue = box.addButton("Add to the Queue", QtWidgets.QMessageBox.ButtonRole.ActionRole)
        box.addButton(QtWidgets.QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(case)
        box.exec()
        return "case" if box.clickedButton() is case else "queue" if box.clickedButton() is queue else ""

    def open_case_window(self, paths: Optional[list[str]] = None, case_path: Optional[str] = None):
        """A case window (lanes side by side) on ``paths`` or a saved ``case_path``; returns it."""
        from .case_window import CaseWindow

        win = CaseWindow(backend=self.backend, settings=self.settings)
        self._case_windows = [w for w in getattr(self, "_case_windows", []) if w.isVisible()] + [win]
        win.show()
        if case_path:
            win.open_case(case_path)
        elif paths:
            win.add_files(paths)
        return win

    def _on_new_case(self) -> None:
        paths, _ = QtWidgets.QFileDialog.getOpenFileNames(
            self, "New case: choose the stems or versions", "", AUDIO_FILTER
        )
        if paths:
            self.open_case_window(paths)

    def _on_open_case(self) -> None:

        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open case", "", CASE_FILTER)
        if path:
            self.open_case_window(case_path=path)

    @staticmethod
    def _dropped_path(mime: QtCore.QMimeData) -> Optional[str]:
        if mime is None or not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile():
                return url.toLocalFile()
        return None

    def show_queue(self) -> QueuePanel:
        """Show the Queue panel under the track view (one splitter: neither squeezes the other below its
        minimum), making it on first use."""
        if self.queue_panel is None:
            self.queue_panel = QueuePanel(
                store_path=settings_mod.config_dir() / "queue.sqlite",
                weights_dir=getattr(self.backend, "weights_dir", None),
                reviewer=self.settings.reviewer,
            )
            self.queue_panel.open_requested.connect(self.open_file)
            self.queue_panel.row_selected.connect(self._on_queue_row_selected)
            self.queue_panel.play_requested.connect(self._on_queue_play)
            self.queue_panel.reviewer_changed.connect(lambda name: setattr(self.settings, "reviewer", name))
            self.queue_panel.close_requested.connect(self.queue_panel.hide)
            self.queue_panel.teach_requested.connect(self.teach_generator)
            self.queue_panel.hide()
            self.track_split.addWidget(self.queue_panel)
            self.track_split.setCollapsible(1, False)
        if self.queue_panel.isHidden():
            self.queue_panel.show()
            total = sum(self.track_split.sizes())
            track_min = self.track_split.widget(0).minimumSizeHint().height()
            queue = min(
                max(self.queue_panel.minimumSizeHint().height(), int(total * QUEUE_SHARE)), max(total - track_min, 0)
            )
            self.track_split.setSizes([total - queue, queue])
        return self.queue_panel

    def _on_queue_row_selected(self, path: str) -> None:
        """The track view follows the Queue's selection (a track already shown is not analysed again)."""
        if path != self.current_path:
            self.open_file(path)

    def _on_queue_play(self, path: str, start_s: float, end_s: float) -> None:
        """Space in the Queue: play that part of the row's track (opening it first); Space again stops."""
        c = self.controller
        if path == c.path and c.player.state == "playing":
            c.stop()
            self.queue_panel.show_message("Stopped.")
            return
        if c.player.available and path != c.path:
            self.open_file(path)
        why = c.play_range(start_s, end_s)
        if why:
            self.queue_panel.show_message(why)
