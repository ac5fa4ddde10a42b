"""The case report: decision, annotations listed and outlined on the lanes they concern, lane parts in order."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import numpy as np
import pytest

from forensic_app.case import Annotation, Decision
from forensic_app.case.report import _lane_regions, write_case_report
from forensic_app.report import figures
from forensic_app.report.pdf import ReportExistsError

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (packaging/install-deps.sh)")


def annotated(case):
    c = dataclasses.replace(case, lanes=[dataclasses.replace(f) for f in case.lanes])
    c.lanes[1].offset_s = 0.5
    c.annotations = [
        Annotation(
            2.0,
            4.5,
            "Metallic ringing on the sustained vowel",
            lane=c.lanes[0].lane_id,
            low_hz=2000.0,
            high_hz=6000.0,
            author="J. Reviewer",
            created_at="2026-11-30T09:15:02+00:00",
        ),
        Annotation(
            6.0, 7.0, "Chorus entry in every stem", author="J. Reviewer", created_at="2026-11-30T09:16:40+00:00"
        ),
    ]
    c.decision = Decision(
        "escalate",
        "The vocal stem carries a decoder comb; ask the label for the project's stems.",
        "J. Reviewer",
        "2026-11-30T09:20:00+00:00",
    )
    return c


def test_decision_and_annotations_are_in_the_report(stem_case, tmp_path):
    case = annotated(stem_case)
    path = write_case_report(case, tmp_path / "case.pdf")
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split())
    for words in (
        "Case report: Generated single",
        "Escalated for further review",
        "J. Reviewer",
        "ask the label for the project's stems",
        "Metallic ringing on the sustained vowel",
        "Chorus entry in every stem",
        "2000-6000 Hz",
        "whole case",
        "2026-11-30 09:15",
        "+0.500 s",
    ):
        assert words in text, words
    assert text.index("Lane 1 of 4: vocals") < text.index("Lane 2 of 4: drums") < text.index("Lane 4 of 4: other")
    with pytest.raises(ReportExistsError):
        write_case_report(case, path)


def test_regions_are_placed_in_each_lanes_own_time(stem_case):
    case = annotated(stem_case)
    vocals, drums = case.lanes[0], case.lanes[1]
    assert _lane_regions(case, vocals) == [("A1", 2.0, 4.5, 2000.0, 6000.0), ("A2", 6.0, 7.0, None, None)]
    assert _lane_regions(case, drums) == [("A2", 6.5, 7.5, None, None)]  # whole-case time + the lane's offset


def test_a_region_is_drawn_where_it_is(stem_case):
    """The outline changes pixels inside the region's time span only (the top panel, above the spectrum)."""
    r = stem_case.lanes[0].result
    kw = dict(duration_s=r.input.duration_s, width_in=6.0)
    plain = np.asarray(figures.spectrogram_figure(r.overview, r.heatmap, **kw), dtype=int)
    marked = np.asarray(
        figures.spectrogram_figure(r.overview, r.heatmap, regions=[("A1", 6.0, 7.0, None, None)], **kw), dtype=int
    )
    changed_cols = np.flatnonzero(np.abs(marked - plain).sum(axis=(0, 2)))
    assert changed_cols.size
    width = plain.shape[1]
    # the axes span most of the width: 6-7 s of 10 s lies in the right half, nothing changes in the left third
    assert changed_cols.min() > width / 3 and changed_cols.max() < 0.95 * width
