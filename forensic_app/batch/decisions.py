"""The reviewers' decisions on Queue rows: an append-only audit log beside the batch's results.

A ``decisions`` table in the Queue's SQLite store (the same file as :class:`~.store.Store`, its own
connection, so the window can record a decision while a batch writes results on another thread).
Every mark and every note is a new row (path, the file's sha256 when it was judged, decision, note,
reviewer, time); nothing is ever updated or deleted (triggers refuse it), so the table is the audit
trail, and the latest row of a path is that file's current decision.

    >>> log = DecisionLog(":memory:")
    >>> _ = log.record("/inbox/a.wav", "ab12", "likely_ai", reviewer="kim")
    >>> log.current()["/inbox/a.wav"].words
    'Reviewer: likely AI'
"""

from __future__ import annotations

import datetime as _dt
import getpass
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

DECISIONS = ("likely_ai", "human_made", "undecided")
DECISION_WORDS = {
    "likely_ai": "Reviewer: likely AI",
    "human_made": "Reviewer: human-made",
    "undecided": "Reviewer: undecided",
}
NO_DECISION_WORDS = "No decision yet"
# the columns Export CSV adds to the Queue's rows, and those of the audit log's CSV
DECISION_COLUMNS = ["decision", "decision_note", "decided_by", "decided_at"]
LOG_COLUMNS = ["decided_at", "path", "sha256", "decision", "note", "reviewer"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT NOT NULL, sha256 TEXT, decision TEXT,
    note TEXT NOT NULL DEFAULT '', reviewer TEXT NOT NULL, decided_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS decisions_path ON decisions (path, id);
CREATE TRIGGER IF NOT EXISTS decisions_append_only_update BEFORE UPDATE ON decisions
    BEGIN SELECT RAISE(ABORT, 'decisions are an audit log: add a row, never change one'); END;
CREATE TRIGGER IF NOT EXISTS decisions_append_only_delete BEFORE DELETE ON decisions
    BEGIN SELECT RAISE(ABORT, 'decisions are an audit log: add a row, never delete one'); END;
"""


def default_reviewer() -> str:
    """The operating system's user name; "" where there is none (a container without a passwd entry)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return ""


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Decision:
    """One row of the log. ``decision``: one of :data:`DECISIONS`, or None (a note on a file not decided yet);
    ``sha256``: the file's content when it was judged (None for a file that could not be read)."""

    path: str
    sha256: Optional[str]
    decision: Optional[str]
    note: str
    reviewer: str
    decided_at: str

    @property
    def words(self) -> str:
        return DECISION_WORDS.get(self.decision or "", NO_DECISION_WORDS)

    def about_other_bytes(self, sha256: Optional[str]) -> bool:
        """The file at this path now holds other bytes than the ones judged."""
        return bool(self.sha256 and sha256 and self.sha256 != sha256)


class DecisionLog:
    """The ``decisions`` table of the SQLite file at ``path`` (created when missing). Use from one thread."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        if self.path != ":memory:":
            self.db.execute("PRAGMA journal_mode=WAL")  # as the batch's Store: a batch may be writing beside us
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "DecisionLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def record(
        self, path: str, sha256: Optional[str], decision: Optional[str], *, note: str = "", reviewer: str
    ) -> Decision:
        """Append a decision (or a note: the decision as it stands, with the new note); returns the row.
        Raises ValueError for a decision that is not one of :data:`DECISIONS`."""
        if decision is not None and decision not in DECISIONS:
            raise ValueError(f"unknown decision {decision!r}; one of {', '.join(DECISIONS)}")
        row = Decision(str(path), sha256, decision, note.strip(), reviewer.strip(), _now())
        self.db.execute(
            "INSERT INTO decisions (path, sha256, decision, note, reviewer, decided_at) VALUES (?, ?, ?, ?, ?, ?)",
            (row.path, row.sha256, row.decision, row.note, row.reviewer, row.decided_at),
        )
        return row

    def current(self, paths: Optional[Iterable[str]] = None) -> dict[str, Decision]:
        """path -> the latest row of that path (of ``paths`` only, when given)."""
        query = (
            "SELECT path, sha256, decision, note, reviewer, decided_at FROM decisions d WHERE id = "
            "(SELECT MAX(id) FROM decisions e WHERE e.path = d.path)"
        )
        rows = [Decision(*r) for r in self.db.execute(query)]
        wanted = None if paths is None else set(map(str, paths))
        return {r.path: r for r in rows if wanted is None or r.path in wanted}

    def history(self) -> list[Decision]:
        """Every row, oldest first: the audit log."""
        return [
            Decision(*r)
            for r in self.db.execute(
                "SELECT path, sha256, decision, note, reviewer, decided_at FROM decisions ORDER BY id"
            )
        ]
