"""JAMS (JSON Annotated Music Specification), written with the ``jams`` package and validated by it.

One ``segment_open`` annotation per kind of region (timeline windows above the line, heatmap boxes,
comb lines, case annotations). JAMS observations have no frequency axis, so each annotation's
``sandbox`` holds ``frequency_ranges_hz``: one ``[low, high]`` (or ``null``) per observation, in
the same order as its ``data``. Probabilities go in ``confidence`` for windows.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Iterable, Optional, Union

from forensic_app import __version__
from forensic_app.core.outputs import check_output

from .audacity import _write_atomic
from .regions import Region

KIND_WORDS = {
    "window": "timeline windows above the likely-AI line",
    "heatmap": "heatmap regions unusual for real music",
    "comb": "comb lines (whole track)",
    "annotation": "annotations",
}


def jams_document(regions: Iterable[Region], *, duration_s: float, title: str = "", sha256: str = ""):
    """A validated :class:`jams.JAMS` holding ``regions``. Raises ``jams.SchemaError`` if it is not valid."""
    import jams

    regions = list(regions)
    doc = jams.JAMS()
    doc.file_metadata.duration = max(float(duration_s), max((r.end_s for r in regions), default=0.0))
    doc.file_metadata.title = title
    if sha256:
        doc.file_metadata.identifiers = jams.Sandbox(sha256=sha256)
    for kind in [k for k in KIND_WORDS if any(r.kind == k for r in regions)]:
        mine = [r for r in regions if r.kind == kind]
        ann = jams.Annotation(namespace="segment_open", duration=doc.file_metadata.duration)
        ann.annotation_metadata.annotation_tools = f"forensic_app {__version__}"
        ann.annotation_metadata.data_source = "program" if kind != "annotation" else "reviewer"
        ann.annotation_metadata.annotation_rules = KIND_WORDS[kind]
        for r in mine:
            ann.append(time=r.start_s, duration=max(0.0, r.end_s - r.start_s), value=r.label, confidence=_confidence(r))
        ann.sandbox.update(kind=kind, frequency_ranges_hz=[[r.low_hz, r.high_hz] if r.has_band else None for r in mine])
        doc.annotations.append(ann)
    with warnings.catch_warnings():  # jams calls a jsonschema API that jsonschema marks deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        doc.validate()
    return doc


def _confidence(r: Region) -> Optional[float]:
    return float(r.value) if r.kind == "window" and r.value is not None else None


def write_jams(
    regions: Iterable[Region],
    path: Union[str, os.PathLike],
    *,
    duration_s: float,
    title: str = "",
    sha256: str = "",
    inputs=(),
    overwrite: bool = False,
) -> Path:
    """Write the validated JAMS file (asked of :func:`check_output` first: never over an input)."""
    target = check_output(
        path, inputs=inputs, overwrite=overwrite, what="the JAMS file", suffix=".jams", tag="annotations"
    )
    doc = jams_document(regions, duration_s=duration_s, title=title, sha256=sha256)
    _write_atomic(target, doc.dumps(indent=1))
    return target
