"""The batch's SQLite store: one row per input file, one result per distinct file content.

Only the main process writes (workers return plain rows), every result lands in one
transaction together with its evidence, and the database runs in WAL mode, so a batch that
is interrupted, even with ``kill -9``, leaves either a whole result or none. ``--resume``
then skips every content (sha256) that already has a result.

Tables:
  files     path -> run, ord (discovery order in that run), sha256, size, reason (set when the
            file could not even be read: not found, permission denied ...)
  results   sha256 -> outcome (analysed | unusable | error), verdict, probability, interval,
            notes, model, report, reason, timing and the worker that did it; which evidence decided
            and where (deciding_evidence, the strongest window, the comb's spacing and architecture)
  evidence  (sha256, detector) -> score, probability_fake: one row per detector in the result
  source_columns  (sha256, name) -> value, ord: each evidence source's own batch columns (declared_generator,
            c2pa ..., profile_match), in the registry's order (task.source_columns)
  readings  sha256 -> what the verdict was scored from (batch/readings.py: window logits, comb, fakeprint
            logit, content, bandwidth, the float16 fakeprint ...), for ``batch --rescore``
  runs      one row per start of ``batch`` (arguments, start and end time)
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import socket
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from .discover import Entry

SCHEMA_VERSION = "3"  # 2: where the evidence is (results.deciding_evidence ... comb_architecture)
# 3: the sources' own columns (source_columns), the readings kept for --rescore (readings), results.rescored_at
OUTCOMES = ("analysed", "unusable", "error")
# what a file row is in the exported table: the result's outcome, or "pending" when none
STATUSES = (*OUTCOMES, "pending")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, args TEXT);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, run INTEGER NOT NULL, ord INTEGER NOT NULL,
    sha256 TEXT, size_bytes INTEGER, reason TEXT);
CREATE INDEX IF NOT EXISTS files_run_ord ON files (run, ord);
CREATE INDEX IF NOT EXISTS files_run_sha ON files (run, sha256, ord);
CREATE TABLE IF NOT EXISTS results (
    sha256 TEXT PRIMARY KEY, path TEXT NOT NULL, outcome TEXT NOT NULL, run INTEGER NOT NULL,
    verdict TEXT, probability_fake REAL, interval_low REAL, interval_high REAL, duration_s REAL,
    note_codes TEXT, model_name TEXT, model_version TEXT, model_sha256 TEXT, calibration_version TEXT,
    report_path TEXT, reason TEXT, elapsed_s REAL, worker TEXT, peak_rss_mb REAL, finished_at TEXT NOT NULL,
    deciding_evidence TEXT, window_start_s REAL, window_end_s REAL, comb_spacing_hz REAL, comb_architecture TEXT);
CREATE TABLE IF NOT EXISTS evidence (
    sha256 TEXT NOT NULL, detector TEXT NOT NULL, score REAL, probability_fake REAL,
    PRIMARY KEY (sha256, detector));
CREATE TABLE IF NOT EXISTS source_columns (
    sha256 TEXT NOT NULL, name TEXT NOT NULL, ord INTEGER NOT NULL, value, PRIMARY KEY (sha256, name));
CREATE TABLE IF NOT EXISTS readings (
    sha256 TEXT PRIMARY KEY, window_logits BLOB NOT NULL, comb_z REAL, comb_offset_bins REAL, fakeprint_logit REAL,
    content_s REAL NOT NULL, stationarity REAL, duration_s REAL NOT NULL, bandwidth_hz REAL, fakeprint BLOB,
    other_lines TEXT);
"""


_ADDED_COLUMNS = (
    ("deciding_evidence", "TEXT"),
    ("window_start_s", "REAL"),
    ("window_end_s", "REAL"),
    ("comb_spacing_hz", "REAL"),
    ("comb_architecture", "TEXT"),
    ("rescored_at", "TEXT"),
)  # schema 3: when batch --rescore last changed the result


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class StoreInUseError(Exception):
    """The store already holds a batch and neither resume nor a new store was asked for, or another batch
    is running on it right now."""


LOCK_SUFFIX = "-lock"


def _try_lock(f) -> None:
    """An exclusive, non-blocking lock on the open file ``f``; OSError when someone else holds it.
    The operating system drops it when its holder dies, so a killed batch never leaves it behind."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # per open file: a second Store here is refused too


class Store:
    """A batch store at ``path`` (created when missing). Use from one thread of one process."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit mode: transactions are opened explicitly in transaction()
        self.db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30.0)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # in WAL: durable against a killed process
        self.db.executescript(_SCHEMA)
        self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        self._add_missing_columns()
        self.current_run: Optional[int] = None  # set by begin_run
        self._lock: Any = None  # the open lock file while this store runs a batch

    def _add_missing_columns(self) -> None:
        """A store from an earlier version gets the columns (and tables, in _SCHEMA) added since (empty for its
        results: no source columns, no readings, so --rescore reports those files and leaves them), so --resume
        goes on in it."""
        have = {r[1] for r in self.db.execute("PRAGMA table_info(results)")}
        missing = [(name, kind) for name, kind in _ADDED_COLUMNS if name not in have]
        if missing:
            with self.transaction():
                for name, kind in missing:
                    self.db.execute(f"ALTER TABLE results ADD COLUMN {name} {kind}")
                self.db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))

    def lock_for_batch(self) -> None:
        """Hold the store for the batch this object runs, until :meth:`close`: one store, one running batch.

        Another batch on the same store (another process, or another Store object) would take over its
        files, so it raises StoreInUseError instead. The lock is the operating system's, on ``<store>-lock``."""
        if self._lock is not None:
            return
        f = open(str(self.path) + LOCK_SUFFIX, "a+", encoding="utf-8")
        try:
            _try_lock(f)
        except OSError:
            try:
                f.seek(0)
                holder = f.read(200).strip()
            except OSError:
                holder = ""
            f.close()
            raise StoreInUseError(
                f"{self.path} is in use by another batch{f' ({holder})' if holder else ''}: wait "
                "until it has finished, or give this batch its own --store"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"process {os.getpid()} on {socket.gethostname()}, since {_now()}")
        f.flush()
        self._lock = f

    def close(self) -> None:
        self.db.close()
        if self._lock is not None:
            self._lock.close()  # closing the file releases the lock
            self._lock = None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ------------------------------------------------------------------ runs and files
    def is_empty(self) -> bool:
        return self.db.execute("SELECT 1 FROM files LIMIT 1").fetchone() is None

    def begin_run(self, args: Any = None) -> int:
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO runs (started_at, args) VALUES (?, ?)", (_now(), json.dumps(args, ensure_ascii=False))
            )
        self.current_run = int(cur.lastrowid)
        return self.current_run

    def end_run(self, run: int) -> None:
        with self.transaction():
            self.db.execute("UPDATE runs SET finished_at = ? WHERE id = ?", (_now(), run))

    def add_files(self, run: int, entries: Iterable[Entry], chunk: int = 500) -> int:
        """Record the run's inputs in discovery order; returns how many. A path listed by an
        earlier run is taken over and hashed again (its results stay, keyed by content)."""
        n, buf = 0, []

        def flush() -> None:
            with self.transaction():
                self.db.executemany(
                    "INSERT INTO files (path, run, ord, reason) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(path) DO UPDATE SET run = excluded.run, ord = excluded.ord, reason = excluded.reason, "
                    "sha256 = NULL, size_bytes = NULL",
                    buf,
                )
            buf.clear()

        for e in entries:
            buf.append((e.path, run, n, e.reason))
            n += 1
            if len(buf) >= chunk:
                flush()
        if buf:
            flush()
        return n

    def iter_files(self, run: int, page: int = 256) -> Iterator[sqlite3.Row]:
        """The run's files in order, a page at a time (safe to write between pages)."""
        last = -1
        while True:
            rows = self.db.execute(
                "SELECT path, ord, reason FROM files WHERE run = ? AND ord > ? ORDER BY ord LIMIT ?", (run, last, page)
            ).fetchall()
            if not rows:
                return
            yield from rows
            last = rows[-1]["ord"]

    def set_hash(
        self, path: str, sha256: Optional[str], size_bytes: Optional[int], reason: Optional[str] = None
    ) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE files SET sha256 = ?, size_bytes = ?, reason = ? WHERE path = ?",
                (sha256, size_bytes, reason, path),
            )

    def first_path(self, run: int, sha256: str) -> Optional[str]:
        """The run's first file with this content (the others are its duplicates)."""
        row = self.db.execute(
            "SELECT path FROM files WHERE run = ? AND sha256 = ? ORDER BY ord LIMIT 1", (run, sha256)
        ).fetchone()
        return None if row is None else row["path"]

    # ------------------------------------------------------------------ results
    def result(self, sha256: str) -> Optional[sqlite3.Row]:
        return self.db.execute("SELECT * FROM results WHERE sha256 = ?", (sha256,)).fetchone()

    def save_result(self, run: int, row: dict[str, Any]) -> None:
        """One worker row (see task.analyse_file) -> results + evidence, in one transaction."""
        model = row.get("model") or {}
        interval = row.get("interval") or (None, None)
        window = row.get("strongest_window") or (None, None)
        with self.transaction():
            for table in ("evidence", "source_columns", "readings"):
                self.db.execute(f"DELETE FROM {table} WHERE sha256 = ?", (row["sha256"],))
            self.db.execute(
                "INSERT OR REPLACE INTO results (sha256, path, outcome, run, verdict, probability_fake, interval_low, "
                "interval_high, duration_s, note_codes, model_name, model_version, model_sha256, calibration_version, "
                "report_path, reason, elapsed_s, worker, peak_rss_mb, finished_at, deciding_evidence, window_start_s, "
                "window_end_s, comb_spacing_hz, comb_architecture) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row["sha256"],
                    row["path"],
                    row["outcome"],
                    run,
                    row.get("verdict"),
                    row.get("probability_fake"),
                    interval[0],
                    interval[1],
                    row.get("duration_s"),
                    ";".join(row.get("notes") or []),
                    model.get("name"),
                    model.get("version"),
                    model.get("sha256"),
                    model.get("calibration_version"),
                    row.get("report"),
                    row.get("reason"),
                    row.get("elapsed_s"),
                    row.get("worker"),
                    row.get("peak_rss_mb"),
                    _now(),
                    row.get("deciding_evidence"),
                    window[0],
                    window[1],
                    row.get("comb_spacing_hz"),
                    row.get("comb_architecture"),
                ),
            )
            self.db.executemany(
                "INSERT INTO evidence (sha256, detector, score, probability_fake) VALUES (?, ?, ?, ?)",
                [
                    (row["sha256"], d["name"], d.get("score"), d.get("probability_fake"))
                    for d in row.get("detectors") or []
                ],
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO source_columns (sha256, name, ord, value) VALUES (?, ?, ?, ?)",
                [(row["sha256"], name, i, value) for i, (name, value) in enumerate(row.get("columns") or [])],
            )
            r = row.get("readings")
            if r:
                self.db.execute(
                    "INSERT INTO readings (sha256, window_logits, comb_z, comb_offset_bins, fakeprint_logit, content_s, "
                    "stationarity, duration_s, bandwidth_hz, fakeprint, other_lines) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        row["sha256"],
                        r["window_logits"],
                        r["comb_z"],
                        r["comb_offset_bins"],
                        r["fakeprint_logit"],
                        r["content_s"],
                        r["stationarity"],
                        r["duration_s"],
                        r["bandwidth_hz"],
                        r["fakeprint"],
                        r.get("other_lines"),
                    ),
                )

    # ------------------------------------------------------------------ reading back
    def detector_names(self, run: int) -> list[str]:
        rows = self.db.execute(
            "SELECT DISTINCT e.detector FROM evidence e JOIN files f ON f.sha256 = e.sha256 WHERE f.run = ? "
            "ORDER BY e.detector",
            (run,),
        ).fetchall()
        return [r[0] for r in rows]

    def column_names(self, run: int) -> list[str]:
        """The sources' own columns the run's results carry, in the registry's order (then by name)."""
        rows = self.db.execute(
            "SELECT c.name, MIN(c.ord) AS o FROM source_columns c WHERE c.sha256 IN "
            "(SELECT sha256 FROM files WHERE run = ? AND sha256 IS NOT NULL) GROUP BY c.name ORDER BY o, c.name",
            (run,),
        ).fetchall()
        return [r[0] for r in rows]

    def latest_run(self) -> Optional[int]:
        """The run that listed the store's files last (the one -o / --jsonl write), or None for an empty store."""
        row = self.db.execute("SELECT MAX(run) FROM files").fetchone()
        return None if row is None or row[0] is None else int(row[0])

    _ROW_QUERY = (
        "SELECT f.path, f.ord, f.sha256, f.size_bytes, f.reason AS file_reason, r.*, "
        "  (SELECT g.path FROM files g WHERE g.run = f.run AND g.sha256 = f.sha256 ORDER BY g.ord LIMIT 1) AS first "
        "FROM files f LEFT JOIN results r ON r.sha256 = f.sha256 "
    )

    def file_row(self, run: int, path: str) -> Optional[dict[str, Any]]:
        """One file's row, as :meth:`iter_rows` gives it."""
        r = self.db.execute(self._ROW_QUERY + "WHERE f.run = ? AND f.path = ?", (run, path)).fetchone()
        return None if r is None else self._row(r)

    def iter_rows(self, run: int, page: int = 256) -> Iterator[dict[str, Any]]:
        """The run's table, one dict per input file in discovery order (see README, "batch")."""
        last = -1
        query = self._ROW_QUERY + "WHERE f.run = ? AND f.ord > ? ORDER BY f.ord LIMIT ?"
        while True:
            rows = self.db.execute(query, (run, last, page)).fetchall()
            if not rows:
                return
            for r in rows:
                yield self._row(r)
            last = rows[-1]["ord"]

    def _row(self, r: sqlite3.Row) -> dict[str, Any]:
        path = r[0]  # files.path (results.path is the file that was analysed)
        sha = r["sha256"] if r["sha256"] is not None else None
        if r["file_reason"] is not None:
            status, reason = "unusable", r["file_reason"]
        elif r["outcome"] is None:
            status, reason = "pending", None
        else:
            status, reason = r["outcome"], r["reason"]
        evidence = {}
        if r["verdict"] is not None:
            for e in self.db.execute(
                "SELECT detector, score, probability_fake FROM evidence WHERE sha256 = ? ORDER BY detector", (sha,)
            ):
                evidence[e["detector"]] = {"score": e["score"], "probability_fake": e["probability_fake"]}
        columns = {}
        if r["verdict"] is not None:
            columns = {
                c[0]: c[1]
                for c in self.db.execute(
                    "SELECT name, value FROM source_columns WHERE sha256 = ? ORDER BY ord, name", (sha,)
                )
            }
        first = r["first"]
        analysed = r["verdict"] is not None  # also an "error" row whose report could not be written
        return {
            "path": path,
            "status": status,
            "sha256": sha,
            "duplicate_of": first if (first and first != path and r["file_reason"] is None) else None,
            "verdict": r["verdict"] if analysed else None,
            "probability_fake": r["probability_fake"] if analysed else None,
            "interval": [r["interval_low"], r["interval_high"]] if analysed else None,
            "duration_s": r["duration_s"] if analysed else None,
            "detectors": evidence,
            "notes": [c for c in (r["note_codes"] or "").split(";") if c] if analysed else [],
            "model": (
                {
                    "name": r["model_name"],
                    "version": r["model_version"],
                    "sha256": r["model_sha256"],
                    "calibration_version": r["calibration_version"],
                }
                if r["model_name"]
                else None
            ),
            "report": r["report_path"],
            "error": reason,
            "deciding_evidence": r["deciding_evidence"] if analysed else None,
            "strongest_window_s": (
                [r["window_start_s"], r["window_end_s"]] if analysed and r["window_start_s"] is not None else None
            ),
            "comb_spacing_hz": r["comb_spacing_hz"] if analysed else None,
            "comb_architecture": r["comb_architecture"] if analysed else None,
            "rescored_at": r["rescored_at"] if analysed else None,
            "columns": columns,
            "size_bytes": r["size_bytes"],
            "elapsed_s": r["elapsed_s"],
            "worker": r["worker"],
        }

    def counts(self, run: int) -> dict[str, int]:
        """Over the run's files: {status: n}, {"verdict:<v>": n}, "duplicates" (same bytes as an earlier
        file), "resumed" (result from an earlier run), "files" (all)."""
        out: dict[str, int] = {}
        q = (
            "SELECT CASE WHEN f.reason IS NOT NULL THEN 'unusable' WHEN r.outcome IS NULL THEN 'pending' "
            "ELSE r.outcome END AS status, r.verdict, COUNT(*) FROM files f LEFT JOIN results r ON r.sha256 = f.sha256 "
            "WHERE f.run = ? GROUP BY 1, 2"
        )
        for status, verdict, n in self.db.execute(q, (run,)):
            out[status] = out.get(status, 0) + n
            if status == "analysed":
                out[f"verdict:{verdict}"] = out.get(f"verdict:{verdict}", 0) + n
        dup = self.db.execute(
            "SELECT COUNT(*) FROM files f WHERE f.run = ? AND f.reason IS NULL AND f.sha256 IS NOT NULL AND EXISTS "
            "(SELECT 1 FROM files g WHERE g.run = f.run AND g.sha256 = f.sha256 AND g.ord < f.ord)",
            (run,),
        ).fetchone()[0]
        out["duplicates"] = int(dup)
        out["resumed"] = int(
            self.db.execute(
                "SELECT COUNT(*) FROM files f JOIN results r ON r.sha256 = f.sha256 WHERE f.run = ? AND r.run < f.run "
                "AND f.reason IS NULL",
                (run,),
            ).fetchone()[0]
        )
        out["files"] = sum(out.get(s, 0) for s in STATUSES)
        return out

    def audio_seconds_analysed(self, run: int) -> float:
        """Seconds of audio this run analysed (duplicates and resumed results not counted)."""
        row = self.db.execute("SELECT SUM(duration_s) FROM results WHERE run = ? AND outcome = 'analysed'", (run,))
        return float(row.fetchone()[0] or 0.0)

    def worker_stats(self, run: Optional[int] = None) -> list[dict[str, Any]]:
        """Per worker: files analysed, mean seconds per file, peak RSS (MB)."""
        where, params = ("WHERE run = ?", (run,)) if run is not None else ("", ())
        return [
            dict(r)
            for r in self.db.execute(
                f"SELECT worker, COUNT(*) AS files, AVG(elapsed_s) AS mean_s, MAX(peak_rss_mb) AS peak_rss_mb "
                f"FROM results {where} GROUP BY worker ORDER BY worker",
                params,
            )
        ]
