"""Progress reporting and cooperative cancellation for long work.

``on_progress`` callbacks receive a :class:`Progress` and may be called from any
thread; GUI code must marshal to its own thread (signals), the CLI just prints.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Optional, Protocol

from .errors import Cancelled


@dataclass(frozen=True)
class Progress:
    fraction: float  # 0..1 overall
    stage: str  # short human words: "Decoding", "Detector: patch CNN", ...


ProgressCallback = Callable[[Progress], None]


class EventLike(Protocol):
    """What CancelToken needs of an event: threading.Event, a multiprocessing Event, ..."""

    def set(self) -> None: ...

    def is_set(self) -> bool: ...


class CancelToken:
    """Thread-safe flag checked between chunks of work."""

    def __init__(self, event: Optional[EventLike] = None) -> None:
        """``event``: any object with set()/is_set(), e.g. a multiprocessing Event shared with
        worker processes (the batch); a new threading.Event by default."""
        self._event: EventLike = event if event is not None else threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


def check(cancel: Optional[CancelToken]) -> None:
    if cancel is not None:
        cancel.raise_if_cancelled()


class StageReporter:
    """Maps the progress of one stage onto a slice [start, end] of the whole job."""

    def __init__(self, on_progress: Optional[ProgressCallback], start: float, end: float, stage: str):
        self._cb, self._start, self._end, self.stage = on_progress, start, end, stage

    def __call__(self, fraction: float) -> None:
        if self._cb is not None:
            f = min(max(fraction, 0.0), 1.0)
            self._cb(Progress(self._start + (self._end - self._start) * f, self.stage))
