"""The evidence sources, in the order their rows appear. Adding a source = one module + one entry here
(or :func:`registered` for a plug-in or a test). Everything downstream iterates over :func:`sources`."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from .base import EvidenceSource
from .comb.source import Comb
from .declared.source import Declared
from .fakeprint import Fakeprint
from .patch_cnn import PatchCnn
from .profiles import Profiles

_LOCK = threading.Lock()
_SOURCES: list[EvidenceSource] = [PatchCnn(), Fakeprint(), Comb(), Profiles(), Declared()]


def sources() -> tuple[EvidenceSource, ...]:
    """Every registered source, in row order."""
    with _LOCK:
        return tuple(_SOURCES)


def register(source: EvidenceSource) -> None:
    """Add a source (its ``name`` must be new)."""
    with _LOCK:
        if any(s.name == source.name for s in _SOURCES):
            raise ValueError(f"an evidence source named {source.name!r} is already registered")
        _SOURCES.append(source)


def unregister(name: str) -> None:
    with _LOCK:
        _SOURCES[:] = [s for s in _SOURCES if s.name != name]


@contextmanager
def registered(source: EvidenceSource) -> Iterator[EvidenceSource]:
    """``with registered(MySource()):`` the source takes part in every analysis inside the block."""
    register(source)
    try:
        yield source
    finally:
        unregister(source.name)
