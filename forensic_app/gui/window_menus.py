"""The main window's actions, menus, toolbar and status bar, and which actions are enabled.

A mixin of :class:`~.main_window.MainWindow`: the actions call the window's slots, and
``_update_enabled`` reads what the window's :class:`~.track_controller.TrackController` says
can be done now (``can_*``), giving a disabled action the reason as its tooltip.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from PySide6 import QtGui, QtWidgets

from .. import resources


class WindowMenus:
    """Builds ``act_*``, the menus, the toolbar and the status bar widgets on the window."""

    def _action(
        self, text: str, slot: Callable, shortcut: Any = None, *, checkable: bool = False, tip: str = ""
    ) -> QtGui.QAction:
        act = QtGui.QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QtGui.QKeySequence(shortcut))
        act.setCheckable(checkable)
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        act.triggered.connect(slot)
        self.addAction(act)
        return act

    def _build_chrome(self) -> None:
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()

    def _build_actions(self) -> None:
        SK = QtGui.QKeySequence.StandardKey
        self.act_open = self._action("&Open\u2026", self._on_open, SK.Open, tip="Open an audio file to analyse")
        self.act_export_png = self._action("Export view as &PNG\u2026", self._on_export_png, "Ctrl+E")
        self.act_export_report = self._action("Export &report\u2026", self._on_export_report, "Ctrl+R")
        self.act_export_pack = self._action(
            "Export &dispute pack\u2026",
            self._on_export_pack,
            tip="A zip for a platform: the PDF report, the analysis (JSON) and a README on how to verify them",
        )
        self.act_verify = self._action(
            "&Verify a report\u2026",
            self._on_verify_report,
            tip="Check that a report's pages and its embedded analysis agree, untouched",
        )
        self.act_queue = self._action(
            "&Queue\u2026",
            self.show_queue,
            "Ctrl+Shift+Q",
            tip="Analyse many files or a folder in the background and review the verdicts",
        )
        self.act_quit = self._action("&Quit", self.close, SK.Quit)
        self.act_cancel = self._action("Cancel analysis", self.cancel_analysis, "Ctrl+.")
        self.act_robustness = self._action(
            "Check &robustness",
            self.check_robustness,
            "Ctrl+K",
            tip="Analyse re-encoded and manipulated copies (MP3, Opus, level, pitch, speed, noise) "
            "to see how far the score moves; takes several times as long as the analysis",
        )
        self.act_teach = self._action(
            "&Teach a generator\u2026",
            lambda: self.teach_generator(),
            "Ctrl+Shift+T",
            tip="Make a generator profile from a few example files of a generator the app does not cover yet "
            "(or from the rows selected in the Queue); it is checked against real music before it is kept",
        )
        self.act_play = self._action("&Play / pause", self._on_play_pause, "Space")
        self.act_stop = self._action("&Stop", self._on_stop, "Shift+Space")
        self.act_play_sel = self._action("Play s&election", self._on_play_selection, "Ctrl+Space")
        self.act_loop = self._action("&Loop", self._on_loop_toggled, "Ctrl+L", checkable=True)
        self.act_fit = self._action("&Fit whole track", lambda: self.view.reset_zoom(), "Ctrl+0")
        self.act_zoom_in = self._action("Zoom &in (time)", lambda: self.view.zoom_time(0.5), "Ctrl+=")
        self.act_zoom_out = self._action("Zoom &out (time)", lambda: self.view.zoom_time(2.0), "Ctrl+-")
        self.act_zoom_in_f = self._action("Zoom in (frequency)", lambda: self.view.zoom_freq(0.5), "Ctrl+Shift+=")
        self.act_zoom_out_f = self._action("Zoom out (frequency)", lambda: self.view.zoom_freq(2.0), "Ctrl+Shift+-")

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addAction(self.act_open)
        self.recent_menu = m.addMenu("Open &recent")
        m.addSeparator()
        m.addAction(self.act_export_png)
        m.addAction(self.act_export_report)
        m.addAction(self.act_export_pack)
        m.addSeparator()
        m.addAction(self.act_queue)
        m.addAction("&New case (stems or versions)…", self._on_new_case, QtGui.QKeySequence("Ctrl+Shift+N"))
        m.addAction("Open &case…", self._on_open_case, QtGui.QKeySequence("Ctrl+Shift+O"))
        m.addSeparator()
        m.addAction(self.act_quit)
        m = mb.addMenu("&View")
        self.controls.add_to_menu(m)
        m.addSeparator()
        m.addAction(self.instruments.act_waveform)
        m.addAction(self.instruments.act_pane)
        m.addSeparator()
        for act in (self.act_fit, self.act_zoom_in, self.act_zoom_out, self.act_zoom_in_f, self.act_zoom_out_f):
            m.addAction(act)
        m = mb.addMenu("&Playback")
        for act in (self.act_play, self.act_stop, self.act_play_sel, self.act_loop):
            m.addAction(act)
        m = mb.addMenu("&Analysis")
        m.addAction(self.instruments.act_annotate)
        m.addAction(self.act_robustness)
        m.addAction(self.act_cancel)
        m.addSeparator()
        m.addAction(self.act_teach)
        m = mb.addMenu("&Help")
        m.addAction("&How to read the results", self._on_help)
        m.addAction(self.act_verify)
        self.act_demo = m.addAction("Open the &demo track", self.open_demo)
        self.act_demo.setEnabled(resources.demo_track() is not None)
        m.addSeparator()
        m.addAction("&About forensic_app", self.show_about)
        for menu in mb.findChildren(QtWidgets.QMenu):
            menu.setToolTipsVisible(True)  # disabled actions say why (no audio device, no report yet)
        self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_files:
            act = self.recent_menu.addAction(os.path.basename(path) or path)
            act.setToolTip(path)
            act.setStatusTip(path)
            act.triggered.connect(lambda _=False, p=path: self.open_file(p))
        self.recent_menu.setEnabled(bool(self.settings.recent_files))

    def _build_toolbar(self) -> None:
        tb = self.addToolBar("Main")
        tb.setObjectName("main-toolbar")
        tb.setMovable(False)
        tb.addAction(self.act_open)
        tb.addSeparator()
        for act in (self.act_play, self.act_stop, self.act_play_sel, self.act_loop):
            tb.addAction(act)
        tb.addSeparator()
        self.controls.add_to_toolbar(tb)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.readout_label = QtWidgets.QLabel("")
        self.readout_label.setMinimumWidth(200)
        sb.addWidget(self.readout_label, 1)
        self.stage_label = QtWidgets.QLabel("")
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFixedWidth(220)
        self.progress.setTextVisible(False)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_analysis)
        for wdg in (self.stage_label, self.progress, self.cancel_button):
            sb.addPermanentWidget(wdg)
        player = self.controller.player
        self.audio_label = QtWidgets.QLabel("No audio output")
        self.audio_label.setStyleSheet("color: #707080;")
        self.audio_label.setToolTip(player.unavailable_reason)
        self.audio_label.setVisible(not player.available)
        sb.addPermanentWidget(self.audio_label)
        self._on_busy_changed()

    def _update_enabled(self) -> None:
        c = self.controller
        why = c.playback_blocked
        for act, ok, tip in (
            (self.act_play, c.can_play, "Play or pause (Space)"),
            (self.act_stop, c.can_stop, "Stop (Shift+Space)"),
            (self.act_play_sel, c.can_play_selection, "Play the selected range (Ctrl+Space)"),
            (self.act_loop, c.can_loop, "Loop playback"),
        ):
            act.setEnabled(ok)
            act.setToolTip(why if (why and not ok) else tip)
        self.act_export_png.setEnabled(c.can_export_view)
        self.instruments.update_enabled()
        self.act_robustness.setEnabled(c.can_check_robustness)
        self.act_export_pack.setEnabled(c.can_export_report)
        if c.write_report is None:
            self.act_export_report.setEnabled(False)
            self.act_export_report.setToolTip(c.report_unavailable)
            self.act_export_report.setStatusTip(c.report_unavailable)
        else:
            self.act_export_report.setEnabled(c.can_export_report)
            self.act_export_report.setToolTip(
                "Write a PDF report of this analysis"
                if c.result is not None
                else "Available when the analysis has finished."
            )
