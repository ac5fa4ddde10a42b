"""What one export holds, for an analysis or a case lane; Audacity labels read into a case as annotations."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Union

from forensic_app.case.document import Annotation, Case, CaseFile

from .audacity import read_audacity_labels, write_audacity_labels
from .jams_export import write_jams
from .regions import Region, annotation_regions, result_regions
from .sonic_visualiser import write_svl

FORMATS = {"audacity": ".txt", "sv": ".svl", "jams": ".jams"}


def lane_regions(case: Case, lane: CaseFile) -> list[Region]:
    """The lane's analysis regions (when it has been analysed), then its own and the whole-case annotations."""
    regions = result_regions(lane.result) if lane.result is not None else []
    return regions + annotation_regions(case.annotations, lane=lane.lane_id)


def find_lane(case: Case, which: Optional[str]) -> CaseFile:
    """The lane named ``which`` (its label, lane id or file name); the reference lane when None."""
    if not case.lanes:
        raise ValueError("the case has no files")
    if which is None:
        return case.lanes[0]
    for lane in case.lanes:
        if which in (lane.label, lane.lane_id, lane.name):
            return lane
    names = ", ".join(lane.label or lane.lane_id for lane in case.lanes)
    raise ValueError(f"no lane {which!r} in the case (its lanes: {names})")


def export_regions(
    regions: list[Region],
    fmt: str,
    path: Union[str, os.PathLike],
    *,
    sample_rate: int,
    duration_s: float,
    title: str = "",
    sha256: str = "",
    inputs=(),
    overwrite: bool = False,
) -> Path:
    """Write ``regions`` as ``fmt`` (one of :data:`FORMATS`); every writer asks ``check_output`` first."""
    if fmt == "audacity":
        return write_audacity_labels(regions, path, inputs=inputs, overwrite=overwrite)
    if fmt == "sv":
        return write_svl(
            regions, path, sample_rate=sample_rate, name=title or "forensic_app", inputs=inputs, overwrite=overwrite
        )
    if fmt == "jams":
        return write_jams(
            regions, path, duration_s=duration_s, title=title, sha256=sha256, inputs=inputs, overwrite=overwrite
        )
    raise ValueError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")


def import_audacity_labels(
    case: Case, path: Union[str, os.PathLike], *, lane: Optional[str] = None, author: str = ""
) -> list[Annotation]:
    """Add the labels of an Audacity label file to ``case`` as annotations and return them.

    ``lane``: a lane id, so that the labels are in that lane's time; None for the whole case (the
    reference lane's time). Spectral labels keep their frequency range. Raises
    :class:`~forensic_app.exports.audacity.LabelFileError` for a file that is not a label track.
    """
    added = [
        Annotation(
            start_s=r.start_s,
            end_s=r.end_s,
            text=r.label or "(label)",
            lane=lane,
            low_hz=r.low_hz,
            high_hz=r.high_hz,
            author=author,
        )
        for r in read_audacity_labels(path)
    ]
    case.annotations.extend(added)
    return added
