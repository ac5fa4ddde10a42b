"""What the Queue shows of each batch row, which rows it shows and in which order: headless.

The Qt table (``gui/queue_panel.py``) only asks this module: the words of every cell and its
tooltip (:func:`cell_words`, :func:`cell_tooltip`), the value a column sorts by
(:func:`sort_value`, flagged files first), whether a row passes the filters
(:class:`TriageFilter`) and which part of a track Space plays (:func:`play_range`). Rows are
the dicts of :meth:`~.store.Store.iter_rows`; decisions those of :class:`~.decisions.DecisionLog`.

Paths are shown relative to the folder the rows have in common (:func:`common_folder`), so eight
``000002.mp3`` from different folders read ``a/000002.mp3``, ``b/000002.mp3`` ...; the full path
stays in the tooltip and in every export.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

from ..core.detectors.declared import AI_SOURCE_TYPES
from ..core.vocabulary import (
    EVIDENCE_MEANING,
    EVIDENCE_SHORT,
    HELD_WORDS,
    VERDICT_SHORT,
    format_probability,
    TOO_SHORT,
    TOO_SHORT_WORDS,
    headline_verdict,
    printed_held,
    probability_text,
)
from .decisions import DECISION_WORDS, DECISIONS, Decision

COLUMNS = ("file", "verdict", "probability", "evidence", "where", "decision", "reason")
TITLES = {
    "file": "File",
    "verdict": "Verdict",
    "probability": "Probability",
    "evidence": "Evidence",
    "where": "Where",
    "decision": "Reviewer",
    "reason": "Reason",
}
NO_DECISION = "none"  # the decision filter's value for files nobody has decided yet
DECISION_FILTER_WORDS = {
    NO_DECISION: "No decision yet",
    "likely_ai": "Reviewer: likely AI",
    "human_made": "Reviewer: human-made",
    "undecided": "Reviewer: undecided",
}
NOTE_MARK = "\u270e"  # a pencil after the decision: the file has a note (the tooltip shows it)
PLAY_WITHOUT_WINDOW_S = 10.0  # what Space plays of a track where no window stands out: its start


def common_folder(paths: Iterable[str]) -> str:
    """The deepest folder that holds every path ("" for none; the filesystem root when they share nothing else)."""
    folders = [os.path.dirname(os.path.abspath(p)) for p in paths]
    if not folders:
        return ""
    try:
        return os.path.commonpath(folders)
    except ValueError:  # Windows: paths on different drives
        return ""


def relative_name(path: str, root: str) -> str:
    """``path`` as seen from ``root`` (the path itself when it is not under ``root``)."""
    if not root:
        return path
    rel = os.path.relpath(os.path.abspath(path), root) if os.path.isabs(root) else path
    return path if rel.startswith(os.pardir) else rel


def format_clock(seconds: float) -> str:
    """m:ss (h:mm:ss from an hour on)."""
    s = int(max(seconds, 0.0))
    hours, rest = divmod(s, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def where_words(row: Mapping[str, Any]) -> str:
    """The strongest window as m:ss\u2013m:ss (start rounded down, end up: the window lies inside); "" for none."""
    window = row.get("strongest_window_s")
    if not window:
        return ""
    return f"{format_clock(math.floor(window[0]))}\u2013{format_clock(math.ceil(window[1]))}"


def declares_ai(row: Mapping[str, Any]) -> bool:
    """The file itself declares an AI origin: its ``declared_generator`` column is set, or its
    ``declared_source_type`` is an AI one (a Content Credential or XMP ``trainedAlgorithmicMedia`` ...). A claim
    anyone can write or strip, beside the verdict (core.detectors.declared); its absence says nothing."""
    own = row.get("columns") or {}
    return bool(own.get("declared_generator")) or own.get("declared_source_type") in AI_SOURCE_TYPES


def evidence_words(row: Mapping[str, Any]) -> str:
    key = row.get("deciding_evidence")
    return EVIDENCE_SHORT.get(key, key.replace("_", " ")) if key else ""


def reason_words(row: Mapping[str, Any], root: str = "") -> str:
    """Why a row has no verdict (unusable, error, pending) or where its verdict comes from (a duplicate)."""
    status = row.get("status")
    if row.get("error"):
        return f"{(status or 'error').capitalize()}: {row['error']}"
    if row.get("duplicate_of"):
        return f"Same bytes as {relative_name(row['duplicate_of'], root)}"
    if status == "pending":
        return "Pending: not analysed yet"
    return ""


def decision_words(decision: Optional[Decision], row: Optional[Mapping[str, Any]] = None) -> str:
    """ "Reviewer: likely AI", with a pencil when there is a note ("Note \u270e" alone: a note, no decision
    yet); "" when nobody has decided or noted."""
    if decision is None:
        return ""
    words = DECISION_WORDS.get(decision.decision or "", "")
    if decision.note:
        words = f"{words or 'Note'} {NOTE_MARK}"
    if row is not None and decision.about_other_bytes(row.get("sha256")):
        words += " (file changed since)"
    return words


def cell_words(column: str, row: Mapping[str, Any], decision: Optional[Decision] = None, root: str = "") -> str:
    p = row.get("probability_fake")
    if column == "file":
        return relative_name(row["path"], root)
    if column == "verdict":
        v = row.get("verdict")
        if v and headline_verdict(v, float(row.get("duration_s") or math.inf)) == TOO_SHORT:
            return TOO_SHORT_WORDS  # the one short-clip policy (core.vocabulary.headline_verdict)
        return VERDICT_SHORT.get(v, v.replace("_", " ").capitalize()) if v else ""
    if column == "probability":
        return "" if p is None else format_probability(p)
    if column == "evidence":
        return evidence_words(row)
    if column == "where":
        return where_words(row)
    if column == "decision":
        return decision_words(decision, row)
    if column == "reason":
        return reason_words(row, root)
    raise KeyError(column)


def cell_tooltip(column: str, row: Mapping[str, Any], decision: Optional[Decision] = None, root: str = "") -> str:
    """The full text behind a cell: the path, the reason uncut, the range, what the evidence is, the note."""
    if column == "probability" and row.get("probability_fake") is not None:
        held = printed_held(row.get("notes") or [], row.get("deciding_evidence") or "none")
        if held:
            return HELD_WORDS[held]
        lo, hi = row.get("interval") or (None, None)
        return "" if lo is None else probability_text(row["probability_fake"], (lo, hi))
    if column == "evidence" and row.get("deciding_evidence"):
        text = EVIDENCE_MEANING.get(row["deciding_evidence"], "")
        if row.get("comb_spacing_hz"):
            arch = f", closest to {row['comb_architecture']}" if row.get("comb_architecture") else ""
            text += f" The comb found lines every {row['comb_spacing_hz']:.1f} Hz{arch}."
        return text.strip()
    if column == "where":
        window = row.get("strongest_window_s")
        if window:
            return f"The window that scores highest: {window[0]:.1f}\u2013{window[1]:.1f} s. Space plays it."
        return "No window stands out." if row.get("verdict") else ""
    if column == "decision" and decision is not None:
        lines = [f"{decision.words}, by {decision.reviewer or 'an unnamed reviewer'}, {decision.decided_at} (UTC)"]
        if decision.note:
            lines.append(f"Note: {decision.note}")
        if decision.about_other_bytes(row.get("sha256")):
            lines.append(
                "The file has changed since: the decision was made on other bytes "
                f"(sha256 {decision.sha256[:12]}\u2026)."
            )
        return "\n".join(lines)
    if column == "reason":
        return reason_words(row, root)
    return row["path"]


def sort_value(column: str, row: Mapping[str, Any], decision: Optional[Decision] = None, root: str = "") -> Any:
    """What a column sorts by: numbers as numbers, rows without one below every row with one (descending)."""
    if column == "probability":
        p = row.get("probability_fake")
        return -1.0 if p is None else float(p)
    if column == "where":
        window = row.get("strongest_window_s")
        return -1.0 if not window else float(window[0])
    if column == "decision":
        if decision is None or decision.decision is None:
            return -1.0
        return float(len(DECISIONS) - DECISIONS.index(decision.decision))  # likely AI first, descending
    return cell_words(column, row, decision, root).lower()


def ordered(
    rows: Iterable[Mapping[str, Any]],
    decisions: Optional[Mapping[str, Decision]] = None,
    *,
    column: str = "probability",
    descending: bool = True,
) -> list[Mapping[str, Any]]:
    """The rows in the table's order: by default the highest probability first and unscored files last."""
    decisions = decisions or {}
    return sorted(rows, key=lambda r: sort_value(column, r, decisions.get(r["path"])), reverse=descending)


def play_range(row: Mapping[str, Any]) -> Optional[tuple[float, float]]:
    """What Space plays: the strongest window; the track's start where none stands out; None for a row without
    audio to play (unusable, error, pending)."""
    window = row.get("strongest_window_s")
    if window:
        return float(window[0]), float(window[1])
    if row.get("verdict") is None:
        return None
    duration = row.get("duration_s") or PLAY_WITHOUT_WINDOW_S
    return 0.0, float(min(duration, PLAY_WITHOUT_WINDOW_S))


@dataclass(frozen=True)
class TriageFilter:
    """Which rows the table shows. ``text``: every word must appear in the row's file name (relative or full
    path), verdict, evidence, where, reason or decision, or in its note or reviewer; ``verdict``, ``evidence``
    (a ``deciding_evidence`` key) and ``decision`` (one of DECISIONS or :data:`NO_DECISION`): None takes all;
    ``declared_ai``: only the files that declare an AI origin themselves (:func:`declares_ai`)."""

    text: str = ""
    verdict: Optional[str] = None
    evidence: Optional[str] = None
    decision: Optional[str] = None
    declared_ai: bool = False

    def accepts(self, row: Mapping[str, Any], decision: Optional[Decision] = None, root: str = "") -> bool:
        if self.verdict is not None and row.get("verdict") != self.verdict:
            return False
        if self.evidence is not None and row.get("deciding_evidence") != self.evidence:
            return False
        if self.declared_ai and not declares_ai(row):
            return False
        if self.decision is not None:
            current = decision.decision if decision is not None else None
            if (current or NO_DECISION) != self.decision:
                return False
        terms = self.text.lower().split()
        if not terms:
            return True
        haystack = " ".join(
            [
                row["path"],
                *(cell_words(c, row, decision, root) for c in COLUMNS),
                decision.note if decision else "",
                decision.reviewer if decision else "",
            ]
        ).lower()
        return all(t in haystack for t in terms)
