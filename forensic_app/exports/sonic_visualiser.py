"""A Sonic Visualiser layer file (``.svl``): File > Import Annotation Layer adds its layers to the pane.

The format is Sonic Visualiser's own XML (svapp ``SVFileReader``): a ``<data>`` section of models,
each with its ``<dataset>`` of points, and a ``<display>`` section with one ``<layer>`` per model.
Times are sample frames at the model's ``sampleRate``. Two models are written:

* a **regions** model (``type="sparse" dimensions="3" subtype="region"``; points ``frame``, ``value``,
  ``duration``, ``label``) for everything that spans time only, shown as a "regions" layer;
* a **box** model (``type="sparse" dimensions="2" subtype="box" units="Hz"``; points ``frame``,
  ``value`` = low frequency, ``extent`` = frequency span, ``duration``, ``label``) for regions limited
  to a band (heatmap boxes, comb lines, banded annotations), shown as a "boxes" layer. Box layers
  came with Sonic Visualiser 4.3; older versions skip that layer with a warning and keep the other.

The fields the importer needs (``READ_MANDATORY``): ``model@id, sampleRate, type, dimensions,
resolution``; ``dataset@id, dimensions``; ``point@frame``; ``layer@id, type, model``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Union
from xml.sax.saxutils import quoteattr

from forensic_app.core.outputs import check_output

from .audacity import _write_atomic
from .regions import Region


def svl_document(regions: Iterable[Region], *, sample_rate: int, name: str = "forensic_app") -> str:
    """The ``.svl`` XML for ``regions`` (times rounded to frames at ``sample_rate``)."""
    regions = list(regions)
    spans = [r for r in regions if not r.has_band]
    boxes = [r for r in regions if r.has_band]
    sr = int(sample_rate)

    def frame(t: float) -> int:
        return max(0, int(round(t * sr)))

    def extent(rs: list[Region]) -> tuple[int, int]:
        if not rs:
            return 0, 0
        return min(frame(r.start_s) for r in rs), max(frame(r.end_s) for r in rs)

    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<!DOCTYPE sonic-visualiser>", "<sonic-visualiser>", "  <data>"]
    s0, s1 = extent(spans)
    values = [r.value for r in spans if r.value is not None] or [0.0]
    lines.append(
        f'    <model id="1" name={quoteattr(name + " regions")} sampleRate="{sr}" start="{s0}" end="{s1}" '
        'type="sparse" dimensions="3" resolution="1" notifyOnAdd="true" dataset="0" subtype="region" '
        f'valueQuantization="0" minimum="{min(values):.6g}" maximum="{max(values):.6g}" units="" />'
    )
    lines.append('    <dataset id="0" dimensions="3">')
    for r in spans:
        lines.append(
            f'      <point frame="{frame(r.start_s)}" value="{(r.value or 0.0):.6g}" '
            f'duration="{frame(r.end_s) - frame(r.start_s)}" label={quoteattr(_one_line(r))} />'
        )
    lines.append("    </dataset>")
    b0, b1 = extent(boxes)
    lines.append(
        f'    <model id="3" name={quoteattr(name + " boxes")} sampleRate="{sr}" start="{b0}" end="{b1}" '
        'type="sparse" dimensions="2" resolution="1" notifyOnAdd="true" dataset="2" subtype="box" units="Hz" />'
    )
    lines.append('    <dataset id="2" dimensions="2">')
    for r in boxes:
        lines.append(
            f'      <point frame="{frame(r.start_s)}" value="{r.low_hz:.6g}" '
            f'extent="{max(0.0, r.high_hz - r.low_hz):.6g}" duration="{frame(r.end_s) - frame(r.start_s)}" '
            f"label={quoteattr(_one_line(r))} />"
        )
    lines.append("    </dataset>")
    lines.append(f'    <layer id="4" type="regions" name={quoteattr(name + " regions")} model="1" />')
    lines.append(f'    <layer id="5" type="boxes" name={quoteattr(name + " boxes")} model="3" />')
    lines += [
        "  </data>",
        "  <display>",
        '    <layer id="4" type="regions" model="1" visible="true" />',
        '    <layer id="5" type="boxes" model="3" visible="true" />',
        "  </display>",
        "</sonic-visualiser>",
        "",
    ]
    return "\n".join(lines)


def _one_line(r: Region) -> str:
    return " ".join(str(r.label).split())


def write_svl(
    regions: Iterable[Region],
    path: Union[str, os.PathLike],
    *,
    sample_rate: int,
    name: str = "forensic_app",
    inputs=(),
    overwrite: bool = False,
) -> Path:
    """Write the layer file (asked of :func:`check_output` first: never over an input)."""
    target = check_output(
        path, inputs=inputs, overwrite=overwrite, what="the Sonic Visualiser layer file", suffix=".svl", tag="layers"
    )
    _write_atomic(target, svl_document(regions, sample_rate=sample_rate, name=name))
    return target
