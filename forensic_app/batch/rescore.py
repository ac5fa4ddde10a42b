"""``forensic-app batch --rescore``: today's generator profiles over a finished batch, without decoding.

Each analysed result in the store keeps what its verdict was scored from (:mod:`.readings`: the
window logits, the comb, fakeprint and content readings, the measured fakeprint). Re-scoring runs
the one scoring path again on them: the profiles' line (``read_profiles`` / ``profiles_line`` over
the stored fakeprint, with the bundle's built-in profiles and the user's unless left out) goes into
``core.scoring.score_track`` beside the other lines, exactly as ``analyze`` does.

The results are **updated in place** (a result belongs to a content, sha256, not to a run: every run
listing that content reads the new verdict): verdict, probability, interval, the deciding evidence,
the verdict's note codes (near_boundary, uncovered_generators, profile_decided / user_profile_decided,
fake_meaning), the profiles' evidence row and ``profile_match``, and ``rescored_at``; the rest (the
strongest window, the comb, the declared columns, reports) stays as analysed. Each re-scoring is
logged as a row of ``runs`` (``args``: the profiles applied, by name, kind and sha256, and the counts).
A result without stored readings (a store written before schema 3) or from another model or
calibration is listed and left as it is. PDF reports written by the batch are not rewritten.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .readings import to_readings
from .store import Store, _now
from .task import PROFILE_MATCH

# the note codes that follow the verdict (core.notes.make_notes), recomputed when a result is re-scored
VERDICT_NOTE_CODES = (
    "near_boundary",
    "uncovered_generators",
    "profile_decided",
    "user_profile_decided",
    "fake_meaning",
)


@dataclass
class RescoreSummary:
    run: Optional[int]  # the batch run whose files were re-scored (the store's latest)
    rescored: int = 0  # results scored again
    changed: dict[str, int] = field(default_factory=dict)  # "old -> new" verdict: files
    missing: list[str] = field(default_factory=list)  # paths without stored readings (left as they are)
    other_model: list[str] = field(default_factory=list)  # paths analysed with another model or calibration
    profiles: list[dict[str, str]] = field(default_factory=list)  # applied: name, kind, sha256
    elapsed_s: float = 0.0

    def lines(self) -> list[str]:
        out = [
            f"re-scored {self.rescored} result(s) with {len(self.profiles)} generator profile(s) "
            f"in {self.elapsed_s:.1f} s"
        ]
        out += [f"  {k}: {v}" for k, v in sorted(self.changed.items())]
        if not self.changed and self.rescored:
            out.append("  no verdict changed")
        if self.missing:
            out.append(
                f"{len(self.missing)} result(s) have no stored readings (analysed before this version kept "
                "them) and are left as they are; analyse them again to re-score them: "
                + ", ".join(self.missing[:5])
                + (" ..." if len(self.missing) > 5 else "")
            )
        if self.other_model:
            out.append(
                f"{len(self.other_model)} result(s) come from another model or calibration and are left as "
                "they are: " + ", ".join(self.other_model[:5]) + (" ..." if len(self.other_model) > 5 else "")
            )
        return out


def _verdict_codes(decision: Any, cal: Any, deciding_profile: Optional[Any]) -> list[str]:
    """The verdict's note codes, as core.notes.make_notes sets them."""
    from ..core.notes import BOUNDARY_MARGIN

    p, (lo, hi) = decision.probability, decision.interval
    codes = []
    near = min(abs(p - cal.threshold_fake), abs(p - cal.threshold_real)) < BOUNDARY_MARGIN
    if (near or lo < cal.threshold_real < hi or lo < cal.threshold_fake < hi) and not decision.reasons:
        codes.append("near_boundary")
    if decision.verdict != "likely_fake":
        codes.append("uncovered_generators")
    if deciding_profile is not None:
        codes.append("user_profile_decided" if deciding_profile.kind == "user" else "profile_decided")
    if decision.verdict == "likely_fake":
        codes.append("fake_meaning")
    return codes


_CONTEXT: dict[str, Any] = {}  # in each scoring process: cal, rules, profiles, weights_sha256


def _set_context(ctx: dict[str, Any]) -> None:
    _CONTEXT.clear()
    _CONTEXT.update(ctx)


def _score_page(rows: list[dict[str, Any]]) -> list[tuple]:
    """One page of stored results -> per result ("missing" | "other_model", sha256, path) or ("scored", sha256,
    path, old verdict, results update, profiles' evidence (score, line), profile_match); runs in any process."""
    from ..core.detectors.profiles import NAME as PROFILES
    from ..core.detectors.profiles import profiles_line, read_profiles
    from ..core.vocabulary import deciding_line
    from ..core.scoring import score_track

    cal, rules, profiles = _CONTEXT["cal"], _CONTEXT["rules"], _CONTEXT["profiles"]
    out: list[tuple] = []
    for row in rows:
        sha, path = row["sha256"], row["first"] or row["path"]
        if row["stored"] is None:
            out.append(("missing", sha, path))
            continue
        if row["model_sha256"] != _CONTEXT["weights_sha256"] or row["calibration_version"] != cal.version:
            out.append(("other_model", sha, path))
            continue
        readings, fp, other_lines = to_readings(row)
        lines: dict[str, Optional[float]] = dict(other_lines)
        read = read_profiles(fp, profiles, cal) if profiles else []
        if profiles:
            lines[PROFILES] = profiles_line(read)
        d = score_track(cal, rules, readings, extra_lines=lines).decision
        measured = [r for r in read if r.logit is not None]
        best = max(measured, key=lambda r: r.margin) if measured else None
        decided_by_profile = (
            d.verdict == "likely_fake"
            and d.by_detector.get(PROFILES) is not None
            and abs(d.by_detector[PROFILES] - d.probability) <= 1e-9
        )
        kept = [c for c in (row["note_codes"] or "").split(";") if c and c not in VERDICT_NOTE_CODES]
        codes = kept + _verdict_codes(d, cal, best.profile if decided_by_profile and best else None)
        update = (
            d.verdict,
            d.probability,
            d.interval[0],
            d.interval[1],
            ";".join(codes),
            deciding_line(d.by_detector, d.probability, codes),
        )
        out.append(
            (
                "scored",
                sha,
                path,
                row["verdict"],
                update,
                (None if best is None else round(best.margin, 6), lines.get(PROFILES)),
                ", ".join(r.profile.generator for r in read if r.matches),
            )
        )
    return out


def rescore_store(
    store: Store,
    *,
    weights_dir: Optional[str] = None,
    user_profiles: Optional[bool] = None,
    allow_modified: Optional[bool] = None,
    page: int = 500,
    jobs: Optional[int] = None,
    on_progress: Optional[Callable[[int, int], None]] = None,
) -> RescoreSummary:
    """Re-score the analysed results of the store's latest run with today's profiles (see the module docstring).
    Holds the store like a batch does (StoreInUseError while another batch runs on it); loads the model bundle
    for its calibration and built-in profiles (BundleError as for a batch). Decodes nothing. ``jobs``: scoring
    processes (None or 1: this one; a store of 10,000 results takes a few seconds on one core, see
    benchmarks/bench_rescore.py); only this process reads and writes the store."""
    from ..core.detectors.profiles import NAME as PROFILES
    from ..core.fusion import EvidenceRules
    from ..core.profiles import load_user_profiles, user_profiles_enabled
    from ..core.weights import load_model

    t0, started = time.perf_counter(), _now()
    store.lock_for_batch()
    model = load_model(weights_dir, allow_modified=allow_modified)
    cal = model.calibration
    profiles = (*model.profiles, *(load_user_profiles() if user_profiles_enabled(user_profiles) else ()))
    ctx = {
        "cal": cal,
        "rules": EvidenceRules.from_calibration(cal),
        "profiles": profiles,
        "weights_sha256": model.weights_sha256,
    }
    run = store.latest_run()
    summary = RescoreSummary(
        run, profiles=[{"name": p.generator, "kind": p.kind, "sha256": p.sha256 or p.sealed().sha256} for p in profiles]
    )
    if run is None:
        return summary
    db = store.db
    total = db.execute(
        "SELECT COUNT(*) FROM results WHERE verdict IS NOT NULL AND sha256 IN (SELECT sha256 FROM files WHERE run = ?)",
        (run,),
    ).fetchone()[0]
    query = (
        "SELECT r.sha256, r.path, r.verdict, r.model_sha256, r.calibration_version, r.note_codes, "
        "g.sha256 AS stored, g.window_logits, g.comb_z, g.comb_offset_bins, g.fakeprint_logit, g.content_s, "
        "g.stationarity, g.duration_s, g.bandwidth_hz, g.fakeprint, g.other_lines, c.ord AS match_ord, "
        "(SELECT f.path FROM files f WHERE f.run = ? AND f.sha256 = r.sha256 ORDER BY f.ord LIMIT 1) AS first "
        "FROM results r LEFT JOIN readings g ON g.sha256 = r.sha256 "
        "LEFT JOIN source_columns c ON c.sha256 = r.sha256 AND c.name = ? "
        "WHERE r.verdict IS NOT NULL AND r.sha256 > ? AND r.sha256 IN (SELECT sha256 FROM files WHERE run = ?) "
        "ORDER BY r.sha256 LIMIT ?"
    )
    # where the column stood (the registry's order), or, new to this store, after every column it has
    first_ord = db.execute("SELECT MIN(ord) FROM source_columns WHERE name = ?", (PROFILE_MATCH,)).fetchone()[0]
    if first_ord is None:
        first_ord = 1 + (db.execute("SELECT MAX(ord) FROM source_columns").fetchone()[0] or -1)
    match_ord: dict[str, int] = {}
    done = 0

    def pages() -> Any:
        last = ""
        while True:
            rows = [dict(r) for r in db.execute(query, (run, PROFILE_MATCH, last, run, page)).fetchall()]
            if not rows:
                return
            last = rows[-1]["sha256"]
            match_ord.update((r["sha256"], r["match_ord"]) for r in rows if r["match_ord"] is not None)
            yield rows

    def write(scored: list[tuple]) -> None:
        nonlocal done
        now, results, evidence, match = _now(), [], [], []
        for item in scored:
            done += 1
            if item[0] != "scored":
                (summary.missing if item[0] == "missing" else summary.other_model).append(item[2])
                continue
            _, sha, _path, old, update, (score, line), matched = item
            results.append((*update, now, sha))
            evidence.append((sha, score, line))
            match.append((sha, matched, match_ord.pop(sha, first_ord)))
            summary.rescored += 1
            if update[0] != old:
                key = f"{old} -> {update[0]}"
                summary.changed[key] = summary.changed.get(key, 0) + 1
        with store.transaction():
            db.executemany(
                "UPDATE results SET verdict = ?, probability_fake = ?, interval_low = ?, interval_high = ?, "
                "note_codes = ?, deciding_evidence = ?, rescored_at = ? WHERE sha256 = ?",
                results,
            )
            db.executemany(
                "DELETE FROM evidence WHERE sha256 = ? AND detector = ?", [(e[0], PROFILES) for e in evidence]
            )
            db.executemany(
                "DELETE FROM source_columns WHERE sha256 = ? AND name = ?", [(m[0], PROFILE_MATCH) for m in match]
            )
            if profiles:
                db.executemany(
                    "INSERT INTO evidence (sha256, detector, score, probability_fake) VALUES (?, ?, ?, ?)",
                    [(sha, PROFILES, score, line) for sha, score, line in evidence],
                )
                db.executemany(
                    "INSERT INTO source_columns (sha256, name, ord, value) VALUES (?, ?, ?, ?)",
                    [(sha, PROFILE_MATCH, o, value) for sha, value, o in match],
                )
        if on_progress:
            on_progress(done, total)

    n_jobs = max(1, jobs or 1)
    if n_jobs == 1:
        _set_context(ctx)
        for rows in pages():
            write(_score_page(rows))
    else:
        import concurrent.futures as cf
        import multiprocessing as mp

        method = "fork" if "fork" in mp.get_all_start_methods() else None  # fork: nothing to import again
        with cf.ProcessPoolExecutor(
            n_jobs, mp_context=mp.get_context(method), initializer=_set_context, initargs=(ctx,)
        ) as pool:
            pending: set[cf.Future] = set()
            for rows in pages():
                pending.add(pool.submit(_score_page, rows))
                if len(pending) > 2 * n_jobs:  # bounded memory: a few pages in flight
                    finished, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                    for f in finished:
                        write(f.result())
            for f in cf.as_completed(pending):
                write(f.result())
    summary.elapsed_s = time.perf_counter() - t0
    with store.transaction():
        db.execute(
            "INSERT INTO runs (started_at, finished_at, args) VALUES (?, ?, ?)",
            (
                started,
                _now(),
                _json(
                    {
                        "rescore": True,
                        "of_run": run,
                        "profiles": summary.profiles,
                        "rescored": summary.rescored,
                        "changed": summary.changed,
                        "missing": len(summary.missing),
                        "other_model": len(summary.other_model),
                        "jobs": n_jobs,
                    }
                ),
            ),
        )
    return summary


def _json(x: Any) -> str:
    import json

    return json.dumps(x, ensure_ascii=False)
