"""Hand-built results and a controllable backend for GUI tests (no model needed)."""

from __future__ import annotations

import threading
from typing import Optional

import numpy as np

from forensic_app.core.progress import Progress
from forensic_app.core.result import (
    AnalysisResult,
    CombEvidence,
    DetectorEvidence,
    Heatmap,
    InputInfo,
    ModelInfo,
    Note,
    Provenance,
    WindowScore,
)
from forensic_app.core.spectrogram import display_spectrogram

# The stamp: a hot region at high frequency, late in the track (asymmetric on purpose).
HOT_TIME = (0.75, 1.0)  # fraction of the duration
HOT_FREQ_HZ = (15000.0, 22050.0)


def make_heatmap(duration_s: float, *, n_time: int = 40, n_freq: int = 16, nyquist_hz: float = 22050.0) -> Heatmap:
    time_edges = np.linspace(0.0, duration_s, n_time + 1)
    freq_edges = np.linspace(0.0, nyquist_hz, n_freq + 1)
    share = np.full((n_freq, n_time), 0.2, np.float32)  # an ordinary reading for real music
    t_centres = (time_edges[:-1] + time_edges[1:]) / 2
    f_centres = (freq_edges[:-1] + freq_edges[1:]) / 2
    hot_t = (t_centres >= HOT_TIME[0] * duration_s) & (t_centres <= HOT_TIME[1] * duration_s)
    hot_f = (f_centres >= HOT_FREQ_HZ[0]) & (f_centres <= HOT_FREQ_HZ[1])
    share[np.ix_(hot_f, hot_t)] = 2e-5  # reached by 1 real-music patch in 50,000: full red
    return Heatmap(real_share=share, time_edges_s=time_edges, freq_edges_hz=freq_edges)


def make_info(path: str = "/tmp/x.wav", duration_s: float = 4.0, rate: int = 44100) -> InputInfo:
    return InputInfo(path=path, file_name=path.rsplit("/", 1)[-1], file_size_bytes=1000, format="WAV",
                     subtype="PCM_16", is_lossy=False, sample_rate=rate, channels=1, duration_s=duration_s,
                     n_frames=int(duration_s * rate), file_sha256="ab" * 32, pcm_sha256="cd" * 32)


def make_result(info: InputInfo, *, probability: float = 0.83, verdict: str = "likely_fake",
                with_comb: bool = True) -> AnalysisResult:
    d = info.duration_s
    heatmap = make_heatmap(d, nyquist_hz=info.sample_rate / 2)
    n_win = 8
    edges = np.linspace(0.0, d, n_win + 1)
    windows = [WindowScore(float(a), float(b), 0.9 if a >= HOT_TIME[0] * d - 1e-9 else 0.15)
               for a, b in zip(edges[:-1], edges[1:])]
    comb = None
    if with_comb:
        freqs = np.linspace(0, 20000, 2000)
        f0 = 1378.125
        lines = np.arange(1, 14) * f0
        residual = 0.5 * np.random.default_rng(0).standard_normal(freqs.size)
        for f in lines:
            residual += 6.0 * np.exp(-0.5 * ((freqs - f) / 15.0) ** 2)
        comb = CombEvidence(architecture="transposed convolution, stride 32 at 44.1 kHz", f0_hz=f0, strength_db=5.8,
                            z_score=7.4, real_fp_rate=0.012, freqs_hz=freqs, residual_db=residual,
                            expected_lines_hz=lines, lines_found_hz=lines[:10])
    return AnalysisResult(
        input=info, probability_fake=probability, interval=(max(0.0, probability - 0.12), min(1.0, probability + 0.08)),
        verdict=verdict, windows=windows, heatmap=heatmap,
        overview=display_spectrogram(np.zeros(int(info.sample_rate * 0.5), np.float32), info.sample_rate),
        detectors=[DetectorEvidence("patch_cnn", "Patch CNN (time-frequency heatmap)", 1.6, probability,
                                    "Average patch score over 8 windows; the highest window scores 90%."),
                   DetectorEvidence("comb", "Spectral comb (upsampling artefacts)", 7.4, None,
                                    "Strongest regular line pattern every 1378.1 Hz.")],
        comb=comb, attribution={"tconv": 0.71, "upsample": 0.2, "lyra": 0.09},
        notes=[Note("short_clip", "caution", "This clip is short, so the estimate rests on little evidence."),
               Note("lossy", "info", "The file is lossless, so codec artefacts do not explain the score.")],
        provenance=Provenance(app_version="0.1.0", model=ModelInfo("forensic-test", "0.0.1", "ef" * 32, "cal-test"),
                              settings={}, analysed_at="2026-11-22T04:30:00Z", command="forensic-app analyze x.wav"),
    )


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
        return [{"manipulation": "MP3 round trip at 128 kbps", "probability_fake": 0.81, "verdict": "likely_fake"},
                {"manipulation": "Pitch shifted up 1 semitone", "probability_fake": 0.35, "verdict": "inconclusive"},
                {"manipulation": "Opus round trip at 96 kbps (as streaming sites use)", "probability_fake": None,
                 "verdict": None, "note": "not run: ffmpeg is not installed"}]


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
