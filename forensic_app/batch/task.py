"""The one task every executor runs: analyse one file, return a plain row.

It runs in a local worker process, in a Dask worker on another machine, or in the main process
(``--jobs 1``); it only calls :func:`forensic_app.core.analysis.analyze`, so scores are the
same everywhere. The model is loaded once per process: ``core.weights.load_model`` caches it
per weights folder, and :func:`init_worker` loads it before the first file arrives.

A row is plain data (str, float, bytes, lists, dicts) so it pickles cheaply and the main process can
write it to the store without importing torch. Every failure becomes a row: ``outcome`` is
``unusable`` for input the user can fix (UnusableInputError) and ``error`` for anything else.
An analysed row also carries ``columns`` (each evidence source's own batch columns, :func:`source_columns`)
and ``readings`` (what ``batch --rescore`` scores again without decoding, :mod:`.readings`).
"""

from __future__ import annotations

import os
import re
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

_STATE: dict[str, Any] = {"threads_set": False, "cancel_event": None}


@dataclass(frozen=True)
class Job:
    path: str
    sha256: str
    weights_dir: Optional[str] = None
    reports_dir: Optional[str] = None
    page_size: str = "A4"
    torch_threads: Optional[int] = None  # set once per process when given
    allow_modified: Optional[bool] = None  # run a bundle that is not the released one (None: the environment decides)


def report_name(path: str, sha256: str) -> str:
    """``<stem>-<sha256[:12]>.pdf``: two ``song.wav`` from different folders never collide, and the
    same content always gets the same name."""
    stem = re.sub(r"[^\w.-]+", "_", Path(path).stem, flags=re.UNICODE).strip("._")[:80] or "track"
    return f"{stem}-{sha256[:12]}.pdf"


def _set_threads(n: Optional[int]) -> None:
    if n and not _STATE["threads_set"]:
        import torch

        torch.set_num_threads(max(1, int(n)))
        _STATE["threads_set"] = True


def _exit_when_parent_dies(parent_pid: Optional[int]) -> None:
    """A worker must not outlive its batch (a ``kill -9`` of the main process): it would hold its model's memory
    and the caller's stdout/stderr for good. On Linux the kernel kills it with its parent (PR_SET_PDEATHSIG);
    everywhere, a watchdog thread exits as soon as the parent's end of multiprocessing's pipe closes."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no libc prctl: the watchdog below still works
            pass
    if parent_pid is not None and os.getppid() != parent_pid:  # the parent died before the line above
        os._exit(1)
    import multiprocessing
    import threading

    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return

    def watch(sentinel: Any = parent.sentinel) -> None:
        from multiprocessing.connection import wait

        wait([sentinel])  # readable (end of file) once the parent process is gone
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def init_worker(
    weights_dir: Optional[str], torch_threads: Optional[int], cancel_event: Any = None, parent_pid: Optional[int] = None
) -> None:
    """Process-pool initializer: die with the parent, threads, the shared cancel flag, and the model loaded once."""
    _exit_when_parent_dies(parent_pid)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    _STATE["cancel_event"] = cancel_event
    _set_threads(torch_threads)
    try:
        from ..core.weights import load_model

        load_model(weights_dir)
    except Exception:  # noqa: BLE001 - the first task reports the problem as its row
        pass


def _peak_rss_mb() -> Optional[float]:
    try:
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return round(kb / (1024.0 * 1024.0) if sys.platform == "darwin" else kb / 1024.0, 1)
    except (ImportError, OSError):
        return None


def _where_the_evidence_is(result: Any) -> dict[str, Any]:
    """Which line of evidence gave the verdict's probability, the window that scores highest ([start_s, end_s];
    None when none stands out), and the comb's spacing and closest architecture where it found a line pattern."""
    from ..core.detectors.comb.reading import comb_grade

    top = result.strongest_window()
    comb = result.comb if result.comb is not None and comb_grade(result.comb) != "none" else None
    return {
        "deciding_evidence": result.deciding_evidence,
        "strongest_window": None if top is None else [float(top.start_s), float(top.end_s)],
        "comb_spacing_hz": None if comb is None else float(comb.f0_hz),
        "comb_architecture": None if comb is None else comb.architecture,
    }


# the columns of a row that a source's own column may not take (it is then named "<source>_<column>")
RESERVED_COLUMNS = frozenset(
    {
        "path",
        "status",
        "verdict",
        "probability_fake",
        "interval",
        "interval_low",
        "interval_high",
        "sha256",
        "duplicate_of",
        "detectors",
        "notes",
        "note_codes",
        "model",
        "model_name",
        "model_version",
        "calibration_version",
        "duration_s",
        "report",
        "error",
        "deciding_evidence",
        "strongest_window_s",
        "comb_spacing_hz",
        "comb_architecture",
        "rescored_at",
        "columns",
    }
)
PROFILE_MATCH = "profile_match"  # the generator profiles that match, comma-joined ("" when none does)


def _plain(v: Any) -> Any:
    if v is None or isinstance(v, (str, int, float)):
        return int(v) if isinstance(v, bool) else v
    return str(v)


def source_columns(result: Any) -> list[list[Any]]:
    """[[name, value], ...] in the registry's row order: every row's ``details["columns"]`` (see
    core.detectors.base), and for the generator profiles ``profile_match``."""
    from ..core.detectors.profiles import NAME as PROFILES

    out: dict[str, Any] = {}
    for d in result.detectors:
        for k, v in ((d.details or {}).get("columns") or {}).items():
            out[f"{d.name}_{k}" if k in RESERVED_COLUMNS else str(k)] = _plain(v)
        if d.name == PROFILES:
            out[PROFILE_MATCH] = ", ".join(str(n) for n in (d.details or {}).get("matched") or [])
    return [[k, v] for k, v in out.items()]


def analyse_file(job: Job, cancel: Any = None) -> dict[str, Any]:
    """Analyse ``job.path``; always returns a row (see module docstring), never raises except Cancelled.

    ``cancel``: a CancelToken (in-process runs); worker processes use the event from init_worker.
    """
    from ..core.errors import Cancelled, UnusableInputError
    from ..core.progress import CancelToken

    t0 = time.perf_counter()
    _set_threads(job.torch_threads)
    if cancel is None and _STATE.get("cancel_event") is not None:
        cancel = CancelToken(_STATE["cancel_event"])  # shared with the main process
    row: dict[str, Any] = {"path": job.path, "sha256": job.sha256, "worker": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        from ..core.analysis import analyze
        from .readings import from_result as stored_readings

        result = analyze(job.path, weights_dir=job.weights_dir, cancel=cancel, allow_modified=job.allow_modified)
        m = result.provenance.model
        row.update(
            outcome="analysed",
            verdict=result.verdict,
            probability_fake=float(result.probability_fake),
            interval=[float(result.interval[0]), float(result.interval[1])],
            duration_s=float(result.input.duration_s),
            notes=[n.code for n in result.notes],
            detectors=[
                {
                    "name": d.name,
                    "score": None if d.score is None else float(d.score),
                    "probability_fake": None if d.probability_fake is None else float(d.probability_fake),
                }
                for d in result.detectors
            ],
            model={
                "name": m.name,
                "version": m.version,
                "sha256": m.sha256,
                "calibration_version": m.calibration_version,
            },
            columns=source_columns(result),
            readings=stored_readings(result),
            **_where_the_evidence_is(result),
        )
        if result.input.file_sha256 != job.sha256:
            row.update(
                outcome="error",
                reason="the file changed while the batch ran (its sha256 differs from the one "
                "listed); run the batch again with --resume",
            )
        elif job.reports_dir:
            from ..report import write_report

            target = Path(job.reports_dir) / report_name(job.path, job.sha256)
            try:
                write_report(result, target, page_size=job.page_size, overwrite=True)
                row["report"] = str(target)
            except Exception as exc:  # noqa: BLE001 - the verdict stands; the row says why there is no report
                row.update(outcome="error", reason=f"the report could not be written to {target}: {exc}")
    except Cancelled:
        raise
    except UnusableInputError as exc:
        row.update(outcome="unusable", reason=str(exc))
    except MemoryError:
        row.update(outcome="error", reason="not enough memory to analyse this file; run with fewer --jobs")
    except Exception as exc:  # noqa: BLE001 - one bad file must never stop the batch
        from ..core.errors import ForensicError

        kind = "" if isinstance(exc, ForensicError) else f"internal error: {type(exc).__name__}: "
        row.update(outcome="error", reason=f"{kind}{exc}")
    row["elapsed_s"] = round(time.perf_counter() - t0, 4)
    row["peak_rss_mb"] = _peak_rss_mb()
    return row
