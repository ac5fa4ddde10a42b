"""The run's rows out of the store: CSV, JSON lines, and the summary table.

Rows stream from SQLite a page at a time; files are written to a temporary name beside the
target and renamed, so an interrupted export never leaves half a CSV under the real name.
Detector columns follow whatever detectors the results name (``score_<name>``), and verdict
counts whatever verdict strings appear: the core decides both. Each evidence source's own columns
(``details["columns"]`` of its row, e.g. declared_generator ... encoder, and ``profile_match``) come
last, in the registry's order, so that every column before keeps its place.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator, Mapping, Optional, Sequence

from .decisions import DECISION_COLUMNS, LOG_COLUMNS, Decision
from .store import STATUSES, Store

BASE_COLUMNS = [
    "path",
    "status",
    "verdict",
    "probability_fake",
    "interval_low",
    "interval_high",
    "sha256",
    "duplicate_of",
]
TAIL_COLUMNS = ["note_codes", "model_name", "model_version", "calibration_version", "duration_s", "report", "error"]
# which evidence decided and where (appended, so that the columns before keep their places)
EVIDENCE_COLUMNS = ["deciding_evidence", "strongest_window_s", "comb_spacing_hz", "comb_architecture"]
# when ``batch --rescore`` last changed the row (schema 3); the sources' own columns follow it
RESCORE_COLUMNS = ["rescored_at"]


@contextmanager
def _atomic_text(target: str | Path) -> Iterator[IO[str]]:
    """``-`` is stdout; anything else is written to a temporary file and renamed into place."""
    if str(target) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=str(target.parent))
    try:
        with io.open(fd, "w", encoding="utf-8", newline="") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def csv_columns(store: Store, run: int) -> list[str]:
    return (
        BASE_COLUMNS
        + [f"score_{d}" for d in store.detector_names(run)]
        + TAIL_COLUMNS
        + EVIDENCE_COLUMNS
        + RESCORE_COLUMNS
        + store.column_names(run)
    )


def _source_column_names(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The sources' own columns of rows in memory, in the order they first appear."""
    out: dict[str, None] = {}
    for r in rows:
        out.update(dict.fromkeys(r.get("columns") or {}))
    return list(out)


def _fmt(x: Any) -> Any:
    if isinstance(x, float):
        return f"{x:.6g}"
    return "" if x is None else x


def csv_record(row: Mapping[str, Any], detectors: list[str], columns: Sequence[str] = ()) -> list[Any]:
    lo, hi = row["interval"] or (None, None)
    model = row["model"] or {}
    out = [
        row["path"],
        row["status"],
        row["verdict"],
        row["probability_fake"],
        lo,
        hi,
        row["sha256"],
        row["duplicate_of"],
    ]
    out += [(row["detectors"].get(d) or {}).get("score") for d in detectors]
    out += [
        ";".join(row["notes"]),
        model.get("name"),
        model.get("version"),
        model.get("calibration_version"),
        row["duration_s"],
        row["report"],
        row["error"],
    ]
    window = row.get("strongest_window_s")
    out += [
        row.get("deciding_evidence"),
        None if not window else f"{window[0]:.2f}-{window[1]:.2f}",
        row.get("comb_spacing_hz"),
        row.get("comb_architecture"),
        row.get("rescored_at"),
    ]
    own = row.get("columns") or {}
    out += [own.get(c) for c in columns]
    return [_fmt(x) for x in out]


def write_csv(store: Store, run: int, target: str | Path) -> None:
    columns = csv_columns(store, run)
    detectors = [c[len("score_") :] for c in columns if c.startswith("score_")]
    own = columns[columns.index(RESCORE_COLUMNS[-1]) + 1 :]
    with _atomic_text(target) as f:
        w = csv.writer(f)
        w.writerow(columns)
        for row in store.iter_rows(run):
            w.writerow(csv_record(row, detectors, own))


def write_rows_csv(
    rows: list[dict[str, Any]], target: str | Path, decisions: Optional[Mapping[str, Decision]] = None
) -> None:
    """Rows already in memory (the window's table) -> the same CSV columns as :func:`write_csv`, and with
    ``decisions`` (path -> the current one) the reviewer's: decision, decision_note, decided_by, decided_at.
    Raises OutputError (and writes nothing) when ``target`` is one of the rows' files."""
    from ..core.outputs import refuse_input

    if str(target) != "-":
        refuse_input(
            target,
            [r["path"] for r in rows if r.get("path")],
            what="the table",
            suffix=".csv",
            tag="queue",
            has_force=False,
        )
    detectors = sorted({d for r in rows for d in r["detectors"]})
    own = _source_column_names(rows)
    with _atomic_text(target) as f:
        w = csv.writer(f)
        w.writerow(
            BASE_COLUMNS
            + [f"score_{d}" for d in detectors]
            + TAIL_COLUMNS
            + EVIDENCE_COLUMNS
            + RESCORE_COLUMNS
            + own
            + (DECISION_COLUMNS if decisions is not None else [])
        )
        for row in rows:
            record = csv_record(row, detectors, own)
            if decisions is not None:
                d = decisions.get(row["path"])
                record += ["", "", "", ""] if d is None else [d.decision or "", d.note, d.reviewer, d.decided_at]
            w.writerow(record)


def write_decisions_csv(log: list[Decision], target: str | Path, inputs: Sequence[str] = ()) -> None:
    """Every decision and note in the order made (the audit log): decided_at, path, sha256, decision, note, reviewer.
    Raises OutputError (and writes nothing) when ``target`` is one of ``inputs`` or of the files decided on."""
    from ..core.outputs import refuse_input

    if str(target) != "-":
        refuse_input(
            target,
            [*inputs, *{d.path for d in log}],
            what="the decisions",
            suffix=".csv",
            tag="decisions",
            has_force=False,
        )
    with _atomic_text(target) as f:
        w = csv.writer(f)
        w.writerow(LOG_COLUMNS)
        for d in log:
            w.writerow([d.decided_at, d.path, d.sha256 or "", d.decision or "", d.note, d.reviewer])


def jsonl_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row as one JSON object; the sources' own columns as keys of their own after the others."""
    keys = (
        "path",
        "status",
        "verdict",
        "probability_fake",
        "interval",
        "sha256",
        "duplicate_of",
        "detectors",
        "notes",
        "model",
        "duration_s",
        "report",
        "error",
        *EVIDENCE_COLUMNS,
        *RESCORE_COLUMNS,
    )
    out = {k: row.get(k) for k in keys}
    out.update((k, v) for k, v in (row.get("columns") or {}).items() if k not in out)
    return out


def write_jsonl(store: Store, run: int, target: str | Path) -> None:
    with _atomic_text(target) as f:
        for row in store.iter_rows(run):
            f.write(json.dumps(jsonl_record(row), ensure_ascii=False) + "\n")


def summary_lines(counts: dict[str, int], elapsed_s: float, audio_s: float | None = None) -> list[str]:
    """A plain-text table: files per verdict, then unusable / errors / pending, duplicates, speed."""
    total = counts.get("files", 0)
    rows: list[tuple[str, int]] = sorted(
        ((k[len("verdict:") :], v) for k, v in counts.items() if k.startswith("verdict:")),
        key=lambda kv: (-kv[1], kv[0]),
    )
    rows += [(s, counts[s]) for s in STATUSES if s != "analysed" and counts.get(s)]
    width = max([len(k) for k, _ in rows] + [len("files"), len("duplicates")])
    lines = [f"{'files':<{width}}  {total:>7}"]
    lines += [f"{k:<{width}}  {v:>7}  {v / max(total, 1):6.1%}" for k, v in rows]
    if counts.get("duplicates"):
        lines.append(
            f"{'duplicates':<{width}}  {counts['duplicates']:>7}  (same bytes as an earlier file; analysed once)"
        )
    if counts.get("resumed"):
        lines.append(f"{'resumed':<{width}}  {counts['resumed']:>7}  (result already in the store; not analysed again)")
    settled_now = total - counts.get("resumed", 0) - counts.get("pending", 0)
    if elapsed_s > 0 and settled_now > 0:
        speed = f"{elapsed_s:.1f} s for {settled_now} files, {3600 * settled_now / elapsed_s:,.0f} files/hour"
        if audio_s:
            speed += f", {audio_s / elapsed_s:.0f}x real time"
        lines.append(speed)
    return lines
