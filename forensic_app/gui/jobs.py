"""The one job type for every background task of the window: decode and analyse, zoomed-in
detail, robustness check, report, case alignment, the Queue's batch.

A :class:`JobRunner` (a GUI-thread QObject) owns one worker thread and runs jobs on it one
after another. ``submit(fn, what)`` gives the job an id and its own
:class:`~forensic_app.core.progress.CancelToken`; ``fn(job)`` runs on the worker thread with a
:class:`Job` (its id, its token, progress and intermediate values) and never touches a widget.
Every runner speaks the same signals, each carrying the job id, re-emitted on the GUI thread:

- ``progressed(id, fraction, stage)`` at most every PROGRESS_INTERVAL_S (always on a new stage);
- ``yielded(id, value)`` an intermediate value (the decoded track before its analysis; a batch row);
- then exactly one of ``succeeded(id, value)`` (``fn`` returned), ``cancelled(id)`` (``fn`` raised
  :class:`~forensic_app.core.errors.Cancelled`, or the job was cancelled before it started) or
  ``failed(id, message, stage)`` (anything else, in words; ``stage`` is what ``fn`` set in
  ``job.stage``, + "-input" when the input itself is unusable).

One cancel scheme: ``cancel(id)`` (or ``cancel()``: every job) sets the job's token; core code
checks it between chunks and raises Cancelled. A runner made ``latest_only`` keeps just its
newest job: ``submit`` cancels every earlier one and ``discard()`` cancels them all, and whatever
a superseded or discarded job still sends is dropped here, so stale results never reach the
window (napari's histogram worker; svcore's ModelTransformer). ``shutdown()`` cancels every
job and waits for the thread (the window is closing).
"""

from __future__ import annotations

import sys
import time
import traceback
import weakref
from typing import Any, Callable, Optional

from PySide6 import QtCore

from ..core.errors import Cancelled, ForensicError, UnusableInputError
from ..core.progress import CancelToken, Progress

_THREADS: list[weakref.ref] = []
PROGRESS_INTERVAL_S = 0.05  # at most ~20 progress signals a second reach the GUI


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


def describe_unexpected(err: BaseException, what: str) -> str:
    """One line for the user; the traceback goes to stderr for whoever reports the bug."""
    traceback.print_exception(type(err), err, err.__traceback__, file=sys.stderr)
    return f"Unexpected problem while {what}: {type(err).__name__}: {err}. Please report this with the file you used."


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


class JobFailed(Exception):
    """Raised by a job function with a message for the user, shown as it is."""


def file_errors_in_words(fn: Callable[["Job"], Any]) -> Callable[["Job"], Any]:
    """``fn`` with an OSError said as the file it could not write (report, case report, alignment,
    robustness check: the one-off tasks)."""

    def run(job: "Job") -> Any:
        try:
            return fn(job)
        except FileExistsError as err:
            raise JobFailed(f"{err.filename or err} already exists; choose another name.") from err
        except OSError as err:
            raise JobFailed(f"Could not write {err.filename or 'the file'}: {err.strerror or err}.") from err

    return run


class Job:
    """What a job function gets on the worker thread."""

    def __init__(self, job_id: int, token: CancelToken, worker: "JobWorker", what: str):
        self.id, self.token, self._worker = job_id, token, worker
        self.what = what  # "writing the report": words for an unexpected failure
        self.stage = ""  # the job's own name for where it is, sent with a failure ("load", "analysis")

    def progress(self, fraction: float, stage: str) -> None:
        """Report progress now (unthrottled)."""
        self._worker.progressed.emit(self.id, float(fraction), str(stage))

    def reporter(self, start: float = 0.0, end: float = 1.0) -> Callable[[Progress], None]:
        """A core ``on_progress`` for one part of the job: its fraction lands in [start, end]
        of the whole, at most every PROGRESS_INTERVAL_S (always on a new stage and at the end)."""
        return throttled_progress(lambda fraction, words: self.progress(start + (end - start) * fraction, words))

    def send(self, value: Any) -> None:
        """Hand an intermediate value to the GUI (``yielded``)."""
        self._worker.yielded.emit(self.id, value)


class JobWorker(QtCore.QObject):
    """Lives on the runner's thread; runs one job at a time and says how it ended."""

    progressed = QtCore.Signal(int, float, str)
    yielded = QtCore.Signal(int, object)
    succeeded = QtCore.Signal(int, object)
    failed = QtCore.Signal(int, str, str)
    cancelled = QtCore.Signal(int)

    @QtCore.Slot(int, object, object, str)
    def run(self, job_id: int, fn: Callable[[Job], Any], token: CancelToken, what: str) -> None:
        if token.cancelled:  # superseded or cancelled while queued
            self.cancelled.emit(job_id)
            return
        job = Job(job_id, token, self, what)
        try:
            value = fn(job)
        except Cancelled:
            self.cancelled.emit(job_id)
        except JobFailed as err:
            self.failed.emit(job_id, str(err), job.stage)
        except ForensicError as err:
            # "-input": the user's file cannot be used (the CLI's exit 2), not a fault of the app
            self.failed.emit(job_id, str(err), job.stage + ("-input" if isinstance(err, UnusableInputError) else ""))
        except Exception as err:  # noqa: BLE001 - a bug must not kill the thread or the window
            self.failed.emit(job_id, describe_unexpected(err, job.what), job.stage)
        else:
            self.succeeded.emit(job_id, value)


class JobRunner(QtCore.QObject):
    """GUI-side handle on one worker thread; see the module's docstring."""

    progressed = QtCore.Signal(int, float, str)  # job id, fraction 0..1, stage words
    yielded = QtCore.Signal(int, object)  # job id, an intermediate value
    succeeded = QtCore.Signal(int, object)  # job id, what the job function returned
    failed = QtCore.Signal(int, str, str)  # job id, message, the job's stage (+ "-input")
    cancelled = QtCore.Signal(int)  # job id
    _requested = QtCore.Signal(int, object, object, str)

    def __init__(self, name: str, parent: Optional[QtCore.QObject] = None, *, latest_only: bool = False):
        super().__init__(parent)
        self.latest_only = latest_only
        self.worker = JobWorker()
        self.thread = QtCore.QThread()
        self.thread.setObjectName(name)
        self.worker.moveToThread(self.thread)
        self.thread.start()
        _THREADS.append(weakref.ref(self.thread))
        # worker -> runner: queued onto the GUI thread, into slots bound to this QObject
        self._requested.connect(self.worker.run)
        self.worker.progressed.connect(self._on_progressed)
        self.worker.yielded.connect(self._on_yielded)
        self.worker.succeeded.connect(self._on_succeeded)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self._next_id = 0
        self._latest = 0  # latest_only: the one job whose signals pass (0: none)
        self._tokens: dict[int, CancelToken] = {}  # jobs not yet ended

    def submit(self, fn: Callable[[Job], Any], what: str) -> int:
        """Queue ``fn(job)`` on the worker thread; returns the job id. A ``latest_only`` runner
        cancels (and drops) every earlier job first."""
        if self.latest_only:
            self.discard()
        self._next_id += 1
        token = CancelToken()
        self._tokens[self._next_id] = token
        self._latest = self._next_id
        self._requested.emit(self._next_id, fn, token, str(what))
        return self._next_id

    def cancel(self, job_id: Optional[int] = None) -> None:
        """Ask the job (None: every job) to stop; it still ends with one of the final signals.
        Thread-safe: only sets tokens."""
        for jid, token in list(self._tokens.items()):
            if job_id is None or jid == job_id:
                token.cancel()

    def discard(self) -> None:
        """Cancel every job and drop whatever they still send (``latest_only`` runners)."""
        self.cancel()
        self._latest = 0

    def shutdown(self) -> None:
        """Cancel every job and wait for the thread: called when the window closes."""
        self.discard()
        self.thread.quit()
        self.thread.wait()

    # --------------------------------------------------------- worker signals, on the GUI thread
    def _passes(self, job_id: int) -> bool:
        return not self.latest_only or job_id == self._latest

    @QtCore.Slot(int, float, str)
    def _on_progressed(self, job_id: int, fraction: float, stage: str) -> None:
        if self._passes(job_id):
            self.progressed.emit(job_id, fraction, stage)

    @QtCore.Slot(int, object)
    def _on_yielded(self, job_id: int, value: Any) -> None:
        if self._passes(job_id):
            self.yielded.emit(job_id, value)

    @QtCore.Slot(int, object)
    def _on_succeeded(self, job_id: int, value: Any) -> None:
        self._tokens.pop(job_id, None)
        if self._passes(job_id):
            self.succeeded.emit(job_id, value)

    @QtCore.Slot(int, str, str)
    def _on_failed(self, job_id: int, message: str, stage: str) -> None:
        self._tokens.pop(job_id, None)
        if self._passes(job_id):
            self.failed.emit(job_id, message, stage)

    @QtCore.Slot(int)
    def _on_cancelled(self, job_id: int) -> None:
        self._tokens.pop(job_id, None)
        if self._passes(job_id):
            self.cancelled.emit(job_id)
