"""A controllable backend for GUI tests (no model needed); the results it gives come from the one
factory, :mod:`tests.factories` (re-exported here for the GUI tests' imports)."""

from __future__ import annotations

import threading
from typing import Optional

from forensic_app.core.progress import Progress
from tests.factories import HOT_FREQ_HZ, HOT_TIME, make_info, make_result, stamp_heatmap  # noqa: F401 - the one factory


class FakeBackend:
    """Real decoding and display spectrogram; analysis returns :func:`make_result`.

    ``gate``: when given, analysis waits on it (checking the cancel token) so tests can
    cancel a running job. ``fail_with``: an exception analysis raises instead.
    """

    def __init__(self, *, gate: Optional[threading.Event] = None, fail_with: Optional[BaseException] = None):
        self.gate = gate
        self.fail_with = fail_with
        self.analysis_started = threading.Event()
        self.robustness_gate: Optional[threading.Event] = None
        self.robustness_started = threading.Event()
        self.threads: set[str] = set()  # names of the threads each step ran on

    def load(self, path, cancel=None, on_fraction=None):
        self.threads.add(threading.current_thread().name)
        from forensic_app.gui.workers import Backend

        return Backend().load(path, cancel, on_fraction)

    def analyze(self, audio, *, on_progress, cancel):
        self.threads.add(threading.current_thread().name)
        self.analysis_started.set()
        on_progress(Progress(0.1, "Scoring patches"))
        if self.gate is not None:
            while not self.gate.wait(0.01):
                cancel.raise_if_cancelled()
        cancel.raise_if_cancelled()
        if self.fail_with is not None:
            raise self.fail_with
        on_progress(Progress(1.0, "Done"))
        return make_result(audio.info)

    def check_robustness(self, audio, *, on_progress, cancel):
        """Rows like core.robustness gives: the score survives a re-encode, drops after pitch shift.
        Waits on ``robustness_gate`` when one is set (checking the cancel token)."""
        self.threads.add(threading.current_thread().name)
        on_progress(Progress(0.3, "Robustness check: MP3 round trip at 128 kbps"))
        if self.robustness_gate is not None:
            self.robustness_started.set()
            while not self.robustness_gate.wait(0.01):
                cancel.raise_if_cancelled()
        cancel.raise_if_cancelled()
        on_progress(Progress(1.0, "Robustness check finished"))
        return [
            {"manipulation": "MP3 round trip at 128 kbps", "probability_fake": 0.81, "verdict": "likely_fake"},
            {"manipulation": "Pitch shifted up 1 semitone", "probability_fake": 0.35, "verdict": "inconclusive"},
            {
                "manipulation": "Opus round trip at 96 kbps (as streaming sites use)",
                "probability_fake": None,
                "verdict": None,
                "note": "not run: ffmpeg is not installed",
            },
        ]


def lit_share(view, time_s: float, min_luminance: int = 110) -> float:
    """The share of the spectrogram's height drawn bright (loud) at ``time_s`` on screen: the pixel
    column of ``view`` (an AnalysisView) at that time, from the plot's top to its bottom."""
    from PySide6 import QtCore, QtGui, QtWidgets

    QtWidgets.QApplication.processEvents()
    image = view.grab().toImage()
    ratio = image.width() / view.width()
    box = view.spec_box.sceneBoundingRect()
    x = view.mapFromScene(view.spec_box.mapViewToScene(QtCore.QPointF(time_s, 0.0))).x()
    top, bottom = (view.mapFromScene(QtCore.QPointF(box.left(), y)).y() for y in (box.top(), box.bottom()))
    rows = range(int(top * ratio) + 1, int(bottom * ratio) - 1)
    lit = sum(QtGui.QColor(image.pixel(int(x * ratio), y)).lightness() >= min_luminance for y in rows)
    return lit / max(1, len(rows))


class CountingBackend(FakeBackend):
    """A FakeBackend that counts its analyses; ``comb_z``: the comb's z-score in the results it gives
    (below 4 the comb found no pattern)."""

    def __init__(self, *, comb_z: float = 7.4, **kwargs):
        super().__init__(**kwargs)
        self.comb_z = comb_z
        self.analyses = 0

    def analyze(self, audio, *, on_progress, cancel):
        import dataclasses

        self.analyses += 1
        result = super().analyze(audio, on_progress=on_progress, cancel=cancel)
        return dataclasses.replace(result, comb=dataclasses.replace(result.comb, z_score=self.comb_z))
