"""Making and refreshing a case: analyse files into lanes, re-analyse only what changed.

The GUI and the CLI call these; both pass an ``on_progress`` (called from the calling thread
with :class:`~forensic_app.core.progress.Progress` over the whole job) and may cancel.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence, Union

from forensic_app.core.progress import CancelToken, Progress, ProgressCallback, check

from .align import AlignmentError, find_offset
from .document import Case, CaseFile
from .reopen import LaneStatus, reconcile

PathLike = Union[str, os.PathLike]


def default_label(path: PathLike) -> str:
    """'Vocals.wav' -> 'Vocals': the file's name without its extension."""
    return Path(path).stem


def _analyse_lane(
    lane: CaseFile,
    index: int,
    total: int,
    weights_dir: Optional[PathLike],
    on_progress: Optional[ProgressCallback],
    cancel: Optional[CancelToken],
) -> None:
    from forensic_app.core.analysis import analyze

    def lane_progress(p: Progress) -> None:
        if on_progress is not None:
            on_progress(Progress((index + p.fraction) / total, f"{lane.label}: {p.stage}"))

    result = analyze(lane.path, weights_dir=weights_dir, on_progress=lane_progress, cancel=cancel)
    lane.result = result
    lane.sha256 = result.input.file_sha256
    lane.size_bytes = result.input.file_size_bytes


def new_case(
    paths: Sequence[PathLike],
    *,
    labels: Optional[Mapping[str, str]] = None,
    separated: Sequence[PathLike] = (),
    weights_dir: Optional[PathLike] = None,
    title: str = "",
    on_progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
) -> Case:
    """Analyse ``paths`` (in this order; the first is the reference lane) into a new case.

    ``labels``: {absolute path or name as given: label}; other files are labelled by
    :func:`default_label`. ``separated``: paths the user marks as separated stems. Raises
    UnusableInputError (naming the file), ModelError, Cancelled; nothing is kept on error.
    """
    labels = dict(labels or {})
    marked = {os.path.abspath(p) for p in separated}
    case = Case(title=title)
    for p in paths:
        absolute = os.path.abspath(p)
        label = labels.get(absolute) or labels.get(str(p)) or default_label(p)
        case.lanes.append(
            CaseFile(
                lane_id=case.new_lane_id(),
                path=absolute,
                sha256="",
                size_bytes=0,
                label=label,
                separated=absolute in marked,
            )
        )
    for i, lane in enumerate(case.lanes):
        check(cancel)
        _analyse_lane(lane, i, len(case.lanes), weights_dir, on_progress, cancel)
    return case


def align_lanes(case: Case, *, cancel: Optional[CancelToken] = None) -> dict[str, str]:
    """Set every lane's ``offset_s`` against the first lane by cross-correlation.

    Returns {lane_id: words for people}: the offset found, or why none was set (the offset then
    stays as it was). Raises UnusableInputError for unreadable files, Cancelled."""
    words: dict[str, str] = {}
    if not case.lanes:
        return words
    ref = case.lanes[0]
    for lane in case.lanes[1:]:
        try:
            found = find_offset(ref.path, lane.path, cancel=cancel)
        except AlignmentError as exc:
            words[lane.lane_id] = f"{lane.label}: {exc}"
            continue
        lane.offset_s = found.offset_s
        words[lane.lane_id] = f"{lane.label} {found.words} ({ref.label})"
    return words


def refresh_case(
    case: Case,
    *,
    weights_dir: Optional[PathLike] = None,
    statuses: Optional[Sequence[LaneStatus]] = None,
    on_progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
) -> list[LaneStatus]:
    """Re-analyse the lanes whose status says so (changed file, other model, never analysed).

    ``statuses``: from :func:`reconcile` (computed here when not given). Missing files are
    left as they are. Returns the statuses of the lanes that were analysed again; the caller
    saves the case. Raises UnusableInputError, ModelError, Cancelled."""
    statuses = list(statuses) if statuses is not None else reconcile(case, weights_dir, cancel=cancel)
    todo = [s for s in statuses if s.needs_analysis]
    for i, status in enumerate(todo):
        check(cancel)
        _analyse_lane(case.lane(status.lane_id), i, len(todo), weights_dir, on_progress, cancel)
    return todo


ProgressFactory = Callable[[str], ProgressCallback]
