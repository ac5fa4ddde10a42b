"""Reopening a case: which lanes still describe their file and model, and finding moved files.

Nothing here analyses audio. :func:`reconcile` says, per lane, whether the saved result still
holds and the words to show; :func:`relink` finds files that were moved, by their SHA-256.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

from forensic_app.core.input_facts import file_sha256
from forensic_app.core.progress import CancelToken, check

from .document import Case, CaseFile

STATES = ("ok", "changed", "model_changed", "missing", "not_analysed")


@dataclass(frozen=True)
class LaneStatus:
    """What became of one lane since it was saved.

    ``state``: one of :data:`STATES`. ``needs_analysis``: the saved result no longer describes
    the file with today's model and the lane should be analysed again (never done on its own).
    ``message``: one sentence for people, naming the lane.
    """

    lane_id: str
    label: str
    state: str
    message: str
    needs_analysis: bool
    current_sha256: Optional[str] = None  # of the file on disk now (None when missing)


@dataclass(frozen=True)
class CurrentModel:
    """The model the app would analyse with now (from the manifest and calibration, no torch)."""

    name: str
    version: str
    sha256: str
    calibration_version: str


def current_model(weights_dir: Optional[Union[str, os.PathLike]] = None) -> CurrentModel:
    """Read the model's identity from ``weights_dir`` (default: the shipped weights). Raises ModelError."""
    import json

    from forensic_app.core.errors import ModelError
    from forensic_app.core.weights import ModelManifest, default_weights_dir

    d = Path(weights_dir) if weights_dir is not None else default_weights_dir()
    manifest = ModelManifest.load(d)
    cal_path = manifest.file_path("calibration")
    try:
        cal_version = json.loads(cal_path.read_text(encoding="utf-8"))["version"] if cal_path else ""
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"The calibration file of {d} cannot be read ({exc}). Reinstall the app") from None
    return CurrentModel(manifest.name, manifest.version, manifest.files["weights"]["sha256"], str(cal_version))


def lane_status(lane: CaseFile, model: CurrentModel, cancel: Optional[CancelToken] = None) -> LaneStatus:
    """The status of one lane (hashes the file when its size still matches)."""

    def status(state: str, message: str, needs: bool, sha: Optional[str] = None) -> LaneStatus:
        return LaneStatus(lane.lane_id, lane.label, state, f"{lane.label}: {message}", needs, sha)

    p = Path(lane.path)
    if not p.is_file():
        return status(
            "missing",
            f"{lane.name} is no longer at {lane.path}. Find it with Relink (on the command "
            "line: --relink FOLDER), which recognises it by its content; until then the saved result is kept.",
            False,
        )
    check(cancel)
    size = p.stat().st_size
    sha = file_sha256(p, cancel) if size == lane.size_bytes else None
    if sha != lane.sha256:
        return status(
            "changed",
            f"{lane.name} changed since it was analysed (its SHA-256 differs): the saved "
            "result describes the old file, so it must be analysed again.",
            True,
            sha,
        )
    if lane.result is None:
        return status("not_analysed", f"{lane.name} has not been analysed yet.", True, sha)
    saved = lane.result.provenance.model
    if (saved.sha256, saved.calibration_version) != (model.sha256, model.calibration_version):
        return status(
            "model_changed",
            f"{lane.name} was analysed with model {saved.name} {saved.version} "
            f"(calibration {saved.calibration_version}); this app has {model.name} {model.version} "
            f"(calibration {model.calibration_version}). Analyse it again to compare the lanes on "
            "one model; until then the saved result is shown.",
            True,
            sha,
        )
    return status("ok", f"{lane.name} is unchanged and was analysed with the current model.", False, sha)


def reconcile(
    case: Case, weights_dir: Optional[Union[str, os.PathLike]] = None, *, cancel: Optional[CancelToken] = None
) -> list[LaneStatus]:
    """One :class:`LaneStatus` per lane, in lane order. Reads (and hashes) the files, never
    analyses them. Raises ModelError when the weights cannot be read, Cancelled."""
    model = current_model(weights_dir)
    return [lane_status(lane, model, cancel) for lane in case.lanes]


def _candidates(places: Iterable[Union[str, os.PathLike]]) -> Iterable[Path]:
    for place in places:
        p = Path(place)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    yield Path(root) / f
        elif p.is_file():
            yield p


def relink(
    case: Case,
    folder_or_paths: Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]],
    *,
    cancel: Optional[CancelToken] = None,
) -> dict[str, str]:
    """Find the lanes whose file is missing among ``folder_or_paths`` (a folder, searched
    recursively, or files and folders) by SHA-256, and point them there.

    Only files whose size equals a missing lane's recorded size are hashed. Changes
    ``case.lanes[i].path`` in place; returns ``{lane_id: new path}`` for the lanes found
    (lanes not found keep their old path). Raises Cancelled.
    """
    places = [folder_or_paths] if isinstance(folder_or_paths, (str, os.PathLike)) else list(folder_or_paths)
    wanted = {}
    for lane in case.lanes:
        if not Path(lane.path).is_file():
            wanted.setdefault((lane.size_bytes, lane.sha256), []).append(lane)
    sizes = {size for size, _ in wanted}
    found: dict[str, str] = {}
    for candidate in _candidates(places):
        if not wanted:
            break
        check(cancel)
        try:
            size = candidate.stat().st_size
            if size not in sizes:
                continue
            sha = file_sha256(candidate, cancel)
        except OSError:
            continue
        for lane in wanted.pop((size, sha), []):
            lane.path = str(candidate.resolve())
            found[lane.lane_id] = lane.path
    return found
