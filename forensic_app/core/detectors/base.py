"""What an evidence source declares, and what it is given when it speaks.

A source (one module, or a package for the comb) is an :class:`EvidenceSource` listed by
:mod:`.registry`. Everything downstream iterates over the registry or over the rows
(:class:`~forensic_app.core.result.DetectorEvidence`) the sources wrote: the JSON, the
report's detector table, the window's detector list, the CLI and the batch CSV columns
(``score_<name>``). A source declares:

- :meth:`EvidenceSource.meter`: what it measures on the stream (mono blocks at the file's
  rate), or None when it reads what others measured (the profiles read the fakeprint);
- :meth:`EvidenceSource.read_file`: what it reads from the file itself rather than the audio
  (tags, Content Credentials), or None;
- :meth:`EvidenceSource.lines`: its probability on the verdict's scale, placed against its
  real-music reference (its threshold lands on the "likely AI" line); the strongest line of
  all decides (:func:`~forensic_app.core.fusion.decide`). The patch CNN, the comb and the
  third-party fakeprint model keep their rules (caps, locks) in ``fusion``; a source that
  must never move the verdict (declared provenance) returns no line;
- :meth:`EvidenceSource.rows`: its typed reading in words: one row per source, with the
  ``details`` a plot or table needs (``details["columns"]``: {name: text or number} the batch CSV
  adds as columns of their own);
- :meth:`EvidenceSource.coverage`: the phrases of the coverage line (what it recognises).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Protocol

import numpy as np

from ..result import DetectorEvidence


class StreamMeter(Protocol):
    """Measures a track block by block: :meth:`push` mono (n,) float32 at the file's rate, in
    order; :meth:`finish` once after the last block, returning the source's reading."""

    def push(self, mono: np.ndarray) -> None: ...

    def finish(self) -> Any: ...


@dataclass(frozen=True)
class Interpretation:
    """What a source's :meth:`~EvidenceSource.rows` reads, after the verdict is known.

    ``m``: the :class:`~forensic_app.core.analysis.Measurements`; ``model``: the
    :class:`~forensic_app.core.weights.LoadedModel`; ``rules``: fusion.EvidenceRules;
    ``scored``: scoring.TrackScore (``scored.decision.by_detector`` holds every line);
    ``shown``: what is drawn of the patch CNN (heatmap, windows, their probabilities, the
    display cap); ``profiles``: every generator profile applied (built-in, then the user's).
    """

    m: Any
    model: Any
    rules: Any
    scored: Any
    shown: Any
    profiles: tuple[Any, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


class EvidenceSource:
    """One evidence source. Subclasses set ``name`` (stable id: JSON ``detectors[].name``, CSV
    ``score_<name>``) and ``title`` (words), and override what they do."""

    name: str = ""
    title: str = ""

    def meter(self, model: Any, rate: int) -> Optional[StreamMeter]:
        """A streaming meter for a file at ``rate`` Hz, or None (the source measures nothing itself)."""
        return None

    def read_file(self, path: Any) -> Optional[Any]:
        """What the source reads from the file at ``path`` (not its audio), or None; ``Measurements.extra[name]``."""
        return None

    def lines(self, m: Any, model: Any, rules: Any, profiles: tuple[Any, ...]) -> dict[str, Optional[float]]:
        """{line name: probability on the verdict's scale, or None where it is no evidence}; ``rules``:
        fusion.EvidenceRules of the model's calibration."""
        return {}

    def rows(self, it: Interpretation) -> list[DetectorEvidence]:
        """The source's rows in the result (usually one; none when it has nothing to say)."""
        return []

    def notes(self, it: Interpretation) -> list[Any]:
        """Notes (core.result.Note) the source adds for this input, after the others (e.g. unreadable metadata)."""
        return []

    def coverage(self, model: Any, profiles: tuple[Any, ...]) -> list[str]:
        """Phrases naming what this source recognises, for the coverage line."""
        return []
