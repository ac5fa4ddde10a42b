"""The Queue's headless side: the decisions log (append-only, latest per file, kept in the store) and what
the table shows of a row, which rows pass the filters and in which order. No Qt."""

from __future__ import annotations

import csv
import sqlite3

import pytest

from forensic_app.batch.decisions import DecisionLog
from forensic_app.batch.export import write_decisions_csv, write_rows_csv
from forensic_app.batch.store import Store
from forensic_app.batch.triage import (
    NO_DECISION,
    TriageFilter,
    cell_tooltip,
    cell_words,
    common_folder,
    ordered,
    play_range,
)


def row(
    path,
    *,
    p=None,
    verdict=None,
    evidence=None,
    window=None,
    status="analysed",
    error=None,
    sha="s" * 64,
    duplicate_of=None,
    notes=(),
    duration_s=30.0,
):
    return {
        "path": path,
        "status": status,
        "sha256": sha,
        "duplicate_of": duplicate_of,
        "verdict": verdict,
        "probability_fake": p,
        "interval": None if p is None else [max(p - 0.1, 0.0), min(p + 0.1, 1.0)],
        "duration_s": duration_s if verdict else None,
        "detectors": {},
        "notes": list(notes),
        "model": None,
        "report": None,
        "error": error,
        "deciding_evidence": evidence,
        "strongest_window_s": window,
        "comb_spacing_hz": None,
        "comb_architecture": None,
    }


ROWS = [
    row("/up/a/000002.mp3", p=0.95, verdict="likely_fake", evidence="comb", window=[12.0, 22.0]),
    row("/up/b/000002.mp3", p=0.08, verdict="no_traces_found", evidence="patch_cnn", window=[65.5, 75.5]),
    row("/up/b/deep/song.flac", p=0.52, verdict="inconclusive", evidence="patch_cnn"),
    row(
        "/up/a/cover.mp3",
        status="unusable",
        error="cover.mp3 is not a readable audio file: it holds no audio "
        "stream that ffmpeg can decode; check that the upload finished",
        sha=None,
    ),
]


def test_paths_read_relative_to_the_folder_the_rows_share():
    root = common_folder(r["path"] for r in ROWS)
    assert root == "/up"
    names = [cell_words("file", r, root=root) for r in ROWS]
    assert names == ["a/000002.mp3", "b/000002.mp3", "b/deep/song.flac", "a/cover.mp3"]  # the two 000002.mp3 differ
    assert cell_tooltip("file", ROWS[0], root=root) == "/up/a/000002.mp3"  # the full path stays in the tooltip
    assert common_folder(["/up/b/x.wav"]) == "/up/b" and common_folder([]) == ""


def test_every_column_in_words():
    root = "/up"
    first, second, third, unusable = ROWS
    assert [cell_words(c, first, root=root) for c in ("verdict", "probability", "evidence", "where", "reason")] == [
        "Likely AI-generated",
        "95\u202f%",
        "Comb",
        "0:12\u20130:22",
        "",
    ]
    assert cell_words("where", second) == "1:05\u20131:16"  # the window lies within what is shown
    assert cell_words("where", third) == "" and cell_tooltip("where", third) == "No window stands out."
    assert (
        cell_tooltip("probability", first) == "95\u202f% (range 85\u202f% and above)"
    )  # core.vocabulary.probability_text
    assert "comb" in cell_tooltip("evidence", first).lower()
    reason = cell_words("reason", unusable, root=root)
    assert reason.startswith("Unusable: cover.mp3 is not a readable audio file")
    assert cell_tooltip("reason", unusable).endswith("check that the upload finished")  # the whole text
    dup = row("/up/c/copy.wav", p=0.95, verdict="likely_fake", duplicate_of="/up/a/000002.mp3")
    assert cell_words("reason", dup, root=root) == "Same bytes as a/000002.mp3"


def test_flagged_files_come_first_and_unscored_last():
    paths = [r["path"] for r in ordered(ROWS)]
    assert paths == ["/up/a/000002.mp3", "/up/b/deep/song.flac", "/up/b/000002.mp3", "/up/a/cover.mp3"]


def test_space_plays_the_strongest_window_or_the_start():
    assert play_range(ROWS[0]) == (12.0, 22.0)
    assert play_range(ROWS[2]) == (0.0, 10.0)  # no window stands out: the first 10 s
    assert play_range(row("/up/short.wav", p=0.2, verdict="no_traces_found", duration_s=4.0)) == (0.0, 4.0)
    assert play_range(ROWS[3]) is None  # nothing to play in an unusable file


def test_decisions_are_an_append_only_log_whose_latest_row_counts(tmp_path):
    store_path = tmp_path / "queue.sqlite"
    with Store(store_path):  # the batch's own tables live in the same file
        pass
    with DecisionLog(store_path) as log:
        log.record("/up/a/000002.mp3", "s" * 64, "undecided", reviewer="kim")
        log.record("/up/a/000002.mp3", "s" * 64, "likely_ai", note="comb lines, listen at 0:12", reviewer="kim")
        log.record("/up/b/000002.mp3", "s" * 64, None, note="ask the label", reviewer="ana")
        with pytest.raises(sqlite3.DatabaseError, match="audit log"):
            log.db.execute("UPDATE decisions SET decision = 'human_made'")
        with pytest.raises(sqlite3.DatabaseError, match="audit log"):
            log.db.execute("DELETE FROM decisions")
        with pytest.raises(ValueError):
            log.record("/up/a/000002.mp3", None, "cleared", reviewer="kim")
    with DecisionLog(store_path) as log:  # closed and reopened: all there
        current = log.current()
        assert [(d.decision, d.reviewer) for d in log.history()] == [
            ("undecided", "kim"),
            ("likely_ai", "kim"),
            (None, "ana"),
        ]
    a, b = current["/up/a/000002.mp3"], current["/up/b/000002.mp3"]
    assert a.decision == "likely_ai" and a.note == "comb lines, listen at 0:12"
    assert cell_words("decision", ROWS[0], a) == "Reviewer: likely AI \u270e"
    assert "Note: comb lines, listen at 0:12" in cell_tooltip("decision", ROWS[0], a)
    assert cell_words("decision", ROWS[1], b) == "Note \u270e"  # a note, no decision yet
    other_bytes = dict(ROWS[0], sha256="u" * 64)
    assert cell_words("decision", other_bytes, a).endswith("(file changed since)")


def test_filters_by_verdict_evidence_decision_and_text_in_notes(tmp_path):
    with DecisionLog(tmp_path / "q.sqlite") as log:
        log.record("/up/a/000002.mp3", "s" * 64, "likely_ai", note="Comb lines at 0:12", reviewer="kim")
        log.record("/up/b/000002.mp3", "s" * 64, "human_made", note="the artist sent the stems", reviewer="kim")
        current = log.current()

    def shown(f):
        return [r["path"] for r in ROWS if f.accepts(r, current.get(r["path"]), "/up")]

    assert shown(TriageFilter(evidence="patch_cnn")) == ["/up/b/000002.mp3", "/up/b/deep/song.flac"]
    assert shown(TriageFilter(verdict="likely_fake")) == ["/up/a/000002.mp3"]
    assert shown(TriageFilter(decision=NO_DECISION)) == ["/up/b/deep/song.flac", "/up/a/cover.mp3"]
    assert shown(TriageFilter(decision="human_made")) == ["/up/b/000002.mp3"]
    assert shown(TriageFilter(text="STEMS")) == ["/up/b/000002.mp3"]  # the note is searched
    assert shown(TriageFilter(text="b/ 000002")) == ["/up/b/000002.mp3"]  # every word must match
    assert shown(TriageFilter(text="not a readable")) == ["/up/a/cover.mp3"]
    assert shown(TriageFilter(text="likely ai", evidence="patch_cnn")) == []


def test_the_declared_ai_origin_filter_and_the_sources_columns_in_the_queue_csv(tmp_path):
    """Rows whose file declares an AI origin (declared_generator set, or an AI declared_source_type) pass the
    "declared AI origin" filter; the sources' own columns reach the Queue's CSV after the others."""
    rows = [dict(r) for r in ROWS]
    rows[1]["columns"] = {"declared_generator": "Suno", "c2pa": "absent"}
    rows[2]["columns"] = {"declared_generator": None, "declared_source_type": "compositeWithTrainedAlgorithmicMedia"}
    rows[0]["columns"] = {"declared_generator": "", "declared_source_type": "digitalCapture", "c2pa": "valid"}
    assert [r["path"] for r in rows if TriageFilter(declared_ai=True).accepts(r)] == [
        "/up/b/000002.mp3",
        "/up/b/deep/song.flac",
    ]
    assert [r["path"] for r in rows if TriageFilter(declared_ai=True, verdict="inconclusive").accepts(r)] == [
        "/up/b/deep/song.flac"
    ]
    out = tmp_path / "queue.csv"
    write_rows_csv(rows, out)
    with open(out, newline="") as f:
        header, *records = list(csv.reader(f))
    assert header[-4:] == ["rescored_at", "declared_generator", "declared_source_type", "c2pa"]  # first seen
    assert records[1][-3:] == ["Suno", "", "absent"] and records[3][-3:] == ["", "", ""]


def test_exports_carry_the_decisions_and_the_audit_log(tmp_path):
    with DecisionLog(tmp_path / "q.sqlite") as log:
        log.record("/up/a/000002.mp3", "s" * 64, "undecided", reviewer="kim")
        log.record("/up/a/000002.mp3", "s" * 64, "likely_ai", note="comb, 0:12", reviewer="ana")
        current, history = log.current(), log.history()
    out = tmp_path / "queue.csv"
    write_rows_csv(ROWS, out, decisions=current)
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["path"] for r in rows] == [r["path"] for r in ROWS]  # full paths
    assert (rows[0]["decision"], rows[0]["decision_note"], rows[0]["decided_by"]) == ("likely_ai", "comb, 0:12", "ana")
    assert rows[0]["decided_at"] == current["/up/a/000002.mp3"].decided_at
    assert rows[1]["decision"] == rows[1]["decided_by"] == ""
    audit = tmp_path / "decisions.csv"
    write_decisions_csv(history, audit)
    with open(audit, newline="") as f:
        log_rows = list(csv.DictReader(f))
    assert [(r["decision"], r["reviewer"], r["sha256"]) for r in log_rows] == [
        ("undecided", "kim", "s" * 64),
        ("likely_ai", "ana", "s" * 64),
    ]
    from forensic_app.core.errors import ForensicError

    with pytest.raises(ForensicError):  # never over a file that was decided on
        write_decisions_csv(history, "/up/a/000002.mp3")
