"""Decode, display spectrogram, analysis and report writing off the GUI thread.

One worker QObject lives in one QThread; the GUI talks to it only through queued signals and
a thread-safe :class:`CancelToken`. A new request cancels the running one (napari's
histogram worker pattern); every signal carries the job id so stale results are dropped.
No widget is touched here.
"""

from __future__ import annotations

import sys
import time
import traceback
import weakref
from typing import Any, Callable, Optional

from PySide6 import QtCore

from ..core.errors import Cancelled, ForensicError
from ..core.progress import CancelToken, Progress

_THREADS: list[weakref.ref] = []
PROGRESS_INTERVAL_S = 0.05  # at most ~20 progress signals a second reach the GUI
LOAD_SHARE = 0.1  # part of the progress bar for decoding + display spectrogram


def running_threads() -> list[QtCore.QThread]:
    """Worker threads still running (tests fail when one leaks)."""
    alive = []
    for ref in list(_THREADS):
        t = ref()
        try:
            if t is not None and t.isRunning():
                alive.append(t)
        except RuntimeError:  # C++ object already deleted
            pass
    return alive


def _start_thread(name: str, worker: QtCore.QObject) -> QtCore.QThread:
    thread = QtCore.QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.start()
    _THREADS.append(weakref.ref(thread))
    return thread


def describe_unexpected(err: BaseException, what: str) -> str:
    """One line for the user; the traceback goes to stderr for whoever reports the bug."""
    traceback.print_exception(type(err), err, err.__traceback__, file=sys.stderr)
    return f"Unexpected problem while {what}: {type(err).__name__}: {err}. Please report this with the file you used."


DETAIL_BLOCK_FRAMES = 1 << 20  # the detail view reads the decoded copy in blocks this long (bounded memory)


def throttled_progress(emit: Callable[[float, str], None]) -> Callable[[Progress], None]:
    """A core ``on_progress`` that passes (fraction, stage words) on at most every
    PROGRESS_INTERVAL_S, and always on a new stage or the end. Runs on the worker thread."""
    last = [0.0, ""]

    def on_progress(p: Progress) -> None:
        now = time.monotonic()
        if p.stage != last[1] or now - last[0] >= PROGRESS_INTERVAL_S or p.fraction >= 1.0:
            last[0], last[1] = now, p.stage
            emit(float(p.fraction), str(p.stage))

    return on_progress


class Backend:
    """The core functions the window needs. Tests replace it with a fake of the same shape."""

    def __init__(self, weights_dir: Optional[str] = None):
        self.weights_dir = weights_dir

    def load(self, path: str, cancel: Optional[CancelToken] = None,
             on_fraction: Optional[Callable[[float], None]] = None):
        """The file decoded once to disk (:class:`~forensic_app.core.decoded.DecodedAudio`), with its overview."""
        from ..core.decoded import decode_to_disk

        return decode_to_disk(path, cancel, on_fraction)

    def analyze(self, audio: Any, *, on_progress, cancel):
        from ..core.analysis import analyze

        return analyze(audio, weights_dir=self.weights_dir, on_progress=on_progress, cancel=cancel)

    def check_robustness(self, audio: Any, *, on_progress, cancel):
        from ..core.robustness import check_robustness

        return check_robustness(audio, weights_dir=self.weights_dir, on_progress=on_progress, cancel=cancel)


class AnalysisWorker(QtCore.QObject):
    loaded = QtCore.Signal(int, object, object)  # job id, DecodedAudio, its overview Spectrogram
    progressed = QtCore.Signal(int, float, str)  # job id, fraction 0..1, stage words
    succeeded = QtCore.Signal(int, object)  # job id, AnalysisResult
    failed = QtCore.Signal(int, str, str)  # job id, message, "load" | "analysis", + "-input" for unusable input
    cancelled = QtCore.Signal(int)

    def __init__(self, backend: Backend):
        super().__init__()
        self._backend = backend

    @QtCore.Slot(int, str, object)
    def run(self, job_id: int, path: str, cancel: CancelToken) -> None:
        if cancel.cancelled:  # superseded while queued
            self.cancelled.emit(job_id)
            return
        stage = "load"
        try:
            self.progressed.emit(job_id, 0.0, "Decoding")
            decoding = throttled_progress(lambda fraction, words: self.progressed.emit(job_id, LOAD_SHARE * fraction, words))
            audio = self._backend.load(path, cancel, lambda f: decoding(Progress(f, "Decoding")))
            cancel.raise_if_cancelled()
            self.loaded.emit(job_id, audio, audio.overview)
            stage = "analysis"
            on_progress = throttled_progress(
                lambda fraction, words: self.progressed.emit(job_id, LOAD_SHARE + (1.0 - LOAD_SHARE) * fraction, words))
            result = self._backend.analyze(audio, on_progress=on_progress, cancel=cancel)
            cancel.raise_if_cancelled()
            self.succeeded.emit(job_id, result)
        except Cancelled:
            self.cancelled.emit(job_id)
        except ForensicError as err:
            from ..core.errors import UnusableInputError

            # "-input": the user's file cannot be used (the CLI's exit 2), not a fault of the app
            self.failed.emit(job_id, str(err), stage + ("-input" if isinstance(err, UnusableInputError) else ""))
        except MemoryError:
            self.failed.emit(job_id, "Not enough memory to analyse this file. Close other programs or try a shorter excerpt.", stage)
        except Exception as err:  # noqa: BLE001 - a bug must not kill the thread or the window
            what = "reading the file" if stage == "load" else "analysing the file"
            self.failed.emit(job_id, describe_unexpected(err, what), stage)


class AnalysisRunner(QtCore.QObject):
    """GUI-side handle: ``start(path)`` cancels any running job and queues the new one."""

    requested = QtCore.Signal(int, str, object)

    def __init__(self, backend: Backend, parent: Optional[QtCore.QObject] = None):
        super().__init__(parent)
        self.worker = AnalysisWorker(backend)
        self.thread = _start_thread("forensic-analysis", self.worker)
        self.requested.connect(self.worker.run)
        self._job_id = 0
        self._token: Optional[CancelToken] = None

    @property
    def current_job(self) -> int:
        return self._job_id

    def is_current(self, job_id: int) -> bool:
        return job_id == self._job_id

    def start(self, path: str) -> int:
        self.cancel()
        self._job_id += 1
        self._token = CancelToken()
        self.requested.emit(self._job_id, str(path), self._token)
        return self._job_id

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()

    def shutdown(self) -> None:
        """Cancel and wait for the thread: called when the window closes."""
        self.cancel()
        self.thread.quit()
        self.thread.wait()


class DetailWorker(QtCore.QObject):
    """Finer spectrograms of a time range for zoomed-in views. Only the newest request counts."""

    ready = QtCore.Signal(int, object)  # request id, Spectrogram with absolute time edges

    def __init__(self) -> None:
        super().__init__()
        self.latest = 0  # written by the GUI thread; an int store is atomic under the GIL

    @QtCore.Slot(int, object, float, float, int)
    def run(self, request_id: int, audio: Any, start_s: float, end_s: float, n_cols: int) -> None:
        if request_id != self.latest:
            return  # superseded while queued
        try:
            from ..core.spectrogram import DISPLAY_N_FFT, StreamingDisplaySpectrogram

            rate = audio.rate
            s0 = int(max(0.0, start_s) * rate)
            s1 = int(min(audio.n_frames, end_s * rate))
            if s1 - s0 < DISPLAY_N_FFT:
                return
            stream = StreamingDisplaySpectrogram(rate, s1 - s0, n_fft=DISPLAY_N_FFT, max_columns=max(n_cols, 16), min_hop=64)
            for start in range(s0, s1, DETAIL_BLOCK_FRAMES):  # bounded memory however long the range
                if request_id != self.latest:
                    return
                stream.push(audio.mono(start, min(DETAIL_BLOCK_FRAMES, s1 - start)))
            spec = stream.result()
            spec = type(spec)(db=spec.db, time_edges_s=spec.time_edges_s + s0 / rate, freq_edges_hz=spec.freq_edges_hz)
        except Exception as err:  # noqa: BLE001 - detail is a nicety: never take the window down
            describe_unexpected(err, "drawing the zoomed-in spectrogram")
            return
        if request_id == self.latest:
            self.ready.emit(request_id, spec)


class DetailRunner(QtCore.QObject):
    requested = QtCore.Signal(int, object, float, float, int)

    def __init__(self, parent: Optional[QtCore.QObject] = None):
        super().__init__(parent)
        self.worker = DetailWorker()
        self.thread = _start_thread("forensic-detail", self.worker)
        self.requested.connect(self.worker.run)
        self._next = 0

    def request(self, audio: Any, start_s: float, end_s: float, n_cols: int) -> int:
        """Ask for a finer spectrogram of [start_s, end_s] of ``audio`` (a DecodedAudio) in ``n_cols`` columns."""
        self._next += 1
        self.worker.latest = self._next
        self.requested.emit(self._next, audio, float(start_s), float(end_s), int(n_cols))
        return self._next

    def is_current(self, request_id: int) -> bool:
        return request_id == self._next

    def invalidate(self) -> None:
        """Drop queued and running requests (a new file was opened)."""
        self._next += 1
        self.worker.latest = self._next

    def shutdown(self) -> None:
        self.invalidate()
        self.thread.quit()
        self.thread.wait()


class TaskWorker(QtCore.QObject):
    succeeded = QtCore.Signal(int, object)
    failed = QtCore.Signal(int, str)
    progressed = QtCore.Signal(int, float, str)  # task id, fraction 0..1, stage words
    cancelled = QtCore.Signal(int)

    @QtCore.Slot(int, object, str)
    def run(self, task_id: int, fn: Callable[[Callable[[Progress], None]], Any], what: str) -> None:
        on_progress = throttled_progress(lambda fraction, words: self.progressed.emit(task_id, fraction, words))
        try:
            self.succeeded.emit(task_id, fn(on_progress))
        except Cancelled:
            self.cancelled.emit(task_id)
        except ForensicError as err:
            self.failed.emit(task_id, str(err))
        except FileExistsError as err:
            self.failed.emit(task_id, f"{err.filename or err} already exists; choose another name.")
        except OSError as err:
            self.failed.emit(task_id, f"Could not write {err.filename or 'the file'}: {err.strerror or err}.")
        except Exception as err:  # noqa: BLE001
            self.failed.emit(task_id, describe_unexpected(err, what))


class TaskRunner(QtCore.QObject):
    """Runs one-off jobs (report export, robustness check) on a second thread, one after another.

    ``submit(fn, what)``: ``fn(on_progress)`` runs on the task thread; its return value
    arrives in ``worker.succeeded``, progress in ``worker.progressed``, a raised Cancelled
    in ``worker.cancelled`` and any other error, in words, in ``worker.failed``.
    """

    requested = QtCore.Signal(int, object, str)

    def __init__(self, parent: Optional[QtCore.QObject] = None):
        super().__init__(parent)
        self.worker = TaskWorker()
        self.thread = _start_thread("forensic-tasks", self.worker)
        self.requested.connect(self.worker.run)
        self._next = 0

    def submit(self, fn: Callable[[Callable[[Progress], None]], Any], what: str) -> int:
        self._next += 1
        self.requested.emit(self._next, fn, what)
        return self._next

    def shutdown(self) -> None:
        self.thread.quit()
        self.thread.wait()
