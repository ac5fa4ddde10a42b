"""The regions an analysis or a case points at, in one shape every export writes.

:func:`result_regions` takes an :class:`~forensic_app.core.result.AnalysisResult` and returns

* ``window``: timeline windows above the "likely AI" line (``provenance.settings["threshold_likely_fake"]``),
  neighbours and overlaps merged, each labelled with its highest probability;
* ``heatmap``: the heatmap's coloured patches (``real_share`` below ``vocabulary.HEAT_UNCOLOURED_SHARE``),
  connected cells merged into time x frequency boxes, the rarest first, at most :data:`MAX_HEATMAP_BOXES`;
* ``comb``: each comb line found, over the whole track at its frequency.

:func:`annotation_regions` turns a case's annotations into regions (``kind="annotation"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

import numpy as np

from forensic_app.core.vocabulary import HEAT_UNCOLOURED_SHARE, format_probability, share_words

MAX_HEATMAP_BOXES = 64
MAX_COMB_LINES = 64
KINDS = ("window", "heatmap", "comb", "annotation")


@dataclass(frozen=True)
class Region:
    """A span of time, optionally limited to ``low_hz``..``high_hz``. ``value``: the window's probability
    or the box's rarest real-music share, where there is one."""

    start_s: float
    end_s: float
    label: str
    kind: str = "annotation"
    low_hz: Optional[float] = None
    high_hz: Optional[float] = None
    value: Optional[float] = None

    @property
    def has_band(self) -> bool:
        return self.low_hz is not None and self.high_hz is not None


def threshold_of(result) -> float:
    """The probability above which a window is drawn above the "likely AI" line."""
    return float(result.provenance.settings.get("threshold_likely_fake", 0.5))


def result_regions(result, *, kinds: Iterable[str] = KINDS) -> list[Region]:
    """Every region of ``result`` (kinds in ``kinds``), in time order within each kind."""
    kinds = set(kinds)
    out: list[Region] = []
    if "window" in kinds:
        out += window_regions(result.windows, threshold_of(result))
    if "heatmap" in kinds and result.heatmap is not None:
        out += heatmap_boxes(result.heatmap.real_share, result.heatmap.time_edges_s, result.heatmap.freq_edges_hz)
    if "comb" in kinds and result.comb is not None:
        out += comb_regions(result.comb, result.input.duration_s)
    return out


def window_regions(windows, threshold: float) -> list[Region]:
    """Windows whose probability is above ``threshold``, overlapping or touching ones merged."""
    spans: list[list[float]] = []
    for w in sorted(windows, key=lambda w: w.start_s):
        if w.probability_fake <= threshold:
            continue
        if spans and w.start_s <= spans[-1][1] + 1e-9:
            spans[-1][1] = max(spans[-1][1], w.end_s)
            spans[-1][2] = max(spans[-1][2], w.probability_fake)
        else:
            spans.append([w.start_s, w.end_s, w.probability_fake])
    return [
        Region(float(s), float(e), f"Above the likely-AI line: up to {format_probability(p)}", "window", value=float(p))
        for s, e, p in spans
    ]


def heatmap_boxes(
    real_share: np.ndarray,
    time_edges_s: np.ndarray,
    freq_edges_hz: np.ndarray,
    *,
    below: float = HEAT_UNCOLOURED_SHARE,
    limit: int = MAX_HEATMAP_BOXES,
) -> list[Region]:
    """Connected coloured cells of a heatmap (8-neighbour) as bounding boxes, the rarest first.

    ``real_share``: (n_freq_cells, n_time_cells), row 0 the lowest frequency; cell ``(i, j)`` covers
    ``time_edges_s[j]..[j+1]`` x ``freq_edges_hz[i]..[i+1]``.
    """
    from scipy import ndimage

    share = np.asarray(real_share)
    if share.size == 0:
        return []
    labels, n = ndimage.label(share < below, structure=np.ones((3, 3), dtype=bool))
    boxes = []
    for index, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        fi, tj = sl
        rarest = float(share[sl][labels[sl] == index].min())
        boxes.append(
            (
                rarest,
                Region(
                    float(time_edges_s[tj.start]),
                    float(time_edges_s[tj.stop]),
                    f"Heatmap: unusual for real music ({share_words(rarest)})",
                    "heatmap",
                    low_hz=float(freq_edges_hz[fi.start]),
                    high_hz=float(freq_edges_hz[fi.stop]),
                    value=rarest,
                ),
            )
        )
    boxes.sort(key=lambda b: (b[0], b[1].start_s))
    return sorted((r for _, r in boxes[:limit]), key=lambda r: (r.start_s, r.low_hz))


def comb_regions(comb, duration_s: float) -> list[Region]:
    """Each comb line found, as a whole-track region at its frequency (``low_hz == high_hz``)."""
    lines = [float(f) for f in np.asarray(comb.lines_found_hz).ravel()[:MAX_COMB_LINES]]
    return [
        Region(0.0, float(duration_s), f"Comb line {f:.1f} Hz ({comb.architecture})", "comb", low_hz=f, high_hz=f)
        for f in lines
    ]


def annotation_regions(annotations, *, lane: Optional[str] = None, prefix: str = "") -> list[Region]:
    """A case's annotations for ``lane`` (its own and the whole-case ones; None: all) as regions."""
    out = []
    for a in annotations:
        if lane is not None and a.lane not in (None, lane):
            continue
        out.append(
            Region(float(a.start_s), float(a.end_s), prefix + a.text, "annotation", low_hz=a.low_hz, high_hz=a.high_hz)
        )
    return out
