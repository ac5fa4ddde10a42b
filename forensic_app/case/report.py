"""The case report: one PDF for several files analysed together.

Page 1 holds the case: the finding in one sentence, the summary table (one row per lane with
each detector's evidence), the notes it rests on, the reviewer's decision, the files, the
models and the annotations. Then one part per lane, made of the single-track report's own
sections (:mod:`forensic_app.report.sections`), with the case's annotations outlined on the
lane's spectrogram; the model's measured limitations close the report.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import IO, Union

from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
)

from forensic_app import __version__
from forensic_app.core.outputs import Inputs, file_set
from forensic_app.core.vocabulary import format_offset
from forensic_app.report import recourse, sections
from forensic_app.report.fonts import MONO, para_text as t
from forensic_app.report.pdf import (
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    canvas_class,
    metadata_text,
    page_size_points,
    write_pdf_atomically,
)
from forensic_app.report.styles import SHADE, VERDICT_COLOURS, RULE, Styles, cells, grid_table, make_styles, table_style
from forensic_app.report.wording import fmt_clock

from .document import Annotation, Case, CaseFile, now_iso
from .summary import CaseSummary, summarize

LANE_MIN_SPACE_PT = 400.0  # about half an A4 page

HEADER = "Case report: AI-music analysis of several files"
HASH_PREFIX_CHARS = 16


def case_digest(case: Case) -> str:
    """SHA-256 over the lanes' file hashes in lane order: names this set of files (every page's footer)."""
    return hashlib.sha256("\n".join(lane.sha256 for lane in case.lanes).encode("ascii")).hexdigest()


def _annotation_numbers(case: Case) -> dict[int, str]:
    return {id(a): f"A{i}" for i, a in enumerate(case.annotations, start=1)}


def _lane_regions(case: Case, lane: CaseFile) -> list:
    """The annotations that concern ``lane``, in the lane's own time (whole-case ones are in the
    reference lane's time: shifted by the lane's offset)."""
    numbers = _annotation_numbers(case)
    out = []
    for a in case.annotations_for(lane.lane_id):
        shift = lane.offset_s if a.lane is None else 0.0
        out.append((numbers[id(a)], a.start_s + shift, a.end_s + shift, a.low_hz, a.high_hz))
    return out


def _summary_section(case: Case, summary: CaseSummary, s: Styles, width: float) -> list[Flowable]:
    box = Table([[Paragraph(f"<b>{t(summary.sentence)}</b>", s.body)]], colWidths=[width])
    box.setStyle(
        table_style(
            [
                ("BOX", (0, 0), (-1, -1), 1.0, RULE),
                ("BACKGROUND", (0, 0), (-1, -1), SHADE),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    rows = [cells(["Lane", "Verdict", "Probability (plausible range)", "Patch CNN", "Comb", "Fakeprint"], s.cell_bold)]
    for r in summary.rows:
        colour = VERDICT_COLOURS.get(r.verdict or "")
        verdict = (
            t(r.verdict_clause)
            if colour is None
            else f'<font color="#{colour.hexval()[2:]}"><b>{t(r.verdict_clause)}</b></font>'
        )
        lane = f"<b>{t(r.label)}</b><br/>{t(r.file_name)}" + ("<br/><i>separated stem</i>" if r.separated else "")
        prob = t(r.probability) + (f" ({t(r.interval)})" if r.interval else "")
        rows.append(
            [
                Paragraph(lane, s.cell),
                Paragraph(verdict, s.cell),
                Paragraph(prob, s.cell),
                Paragraph(t(r.cnn), s.cell),
                Paragraph(t(r.comb), s.cell),
                Paragraph(t(r.fakeprint), s.cell),
            ]
        )
    widths = [0.2, 0.17, 0.17, 0.15, 0.16, 0.15]
    out: list[Flowable] = [
        Paragraph("Summary", s.h1),
        box,
        Spacer(1, 6),
        grid_table(rows, [w * width for w in widths]),
        Spacer(1, 4),
    ]
    out += [Paragraph(t(note), s.small) for note in summary.notes]
    return out


def _decision_section(case: Case, s: Styles, width: float) -> list[Flowable]:
    d = case.decision
    rows = [
        ("Decision", d.words),
        ("Reviewer", d.reviewer or "not given"),
        ("Date (UTC)", _when(d.decided_at) or "not decided"),
        ("Reasons", d.text or "none written"),
    ]
    table = grid_table(
        [[Paragraph(k, s.cell_bold), Paragraph(t(v), s.cell)] for k, v in rows],
        [0.25 * width, 0.75 * width],
        header=False,
    )
    return [KeepTogether([Paragraph("Reviewer decision", s.h1), table])]


def _files_section(case: Case, s: Styles, width: float, include_path: bool) -> list[Flowable]:
    rows = [cells(["Lane", "File", "SHA-256 of the file", "Offset", "Stem made by a separator"], s.cell_bold)]
    for lane in case.lanes:
        rows.append(
            [
                Paragraph(t(lane.label), s.cell),
                Paragraph(t(lane.path if include_path else lane.name), s.cell),
                Paragraph(t(lane.sha256, MONO), s.mono),
                Paragraph(format_offset(lane.offset_s), s.cell),
                Paragraph("yes" if lane.separated else "no", s.cell),
            ]
        )
    out: list[Flowable] = [
        Paragraph("Files", s.h1),
        grid_table(rows, [0.13 * width, 0.22 * width, 0.41 * width, 0.1 * width, 0.14 * width]),
    ]
    out.append(
        Paragraph(
            "Offset: how much later a file's music runs than the first file's (set by cross-correlation "
            "or by hand). Whole-case annotations are given in the first file's time.",
            s.small,
        )
    )
    models = case.model_versions()
    if models:
        rows = [cells(["Model", "Version", "Calibration", "SHA-256 of the weights"], s.cell_bold)]
        rows += [
            [
                Paragraph(t(m["name"]), s.cell),
                Paragraph(t(m["version"]), s.cell),
                Paragraph(t(m["calibration_version"]), s.cell),
                Paragraph(t(m["sha256"], MONO), s.mono),
            ]
            for m in models
        ]
        out += [
            Paragraph("Models the results were made with", s.h2),
            grid_table(rows, [0.26 * width, 0.16 * width, 0.2 * width, 0.38 * width]),
        ]
    return out


def _when(iso: str) -> str:
    """'2026-11-30T12:58:21+00:00' -> '2026-11-30 12:58' (UTC, as stored)."""
    return iso[:16].replace("T", " ") if len(iso) >= 16 and iso[10:11] == "T" else iso


def _annotation_row(number: str, a: Annotation, case: Case, s: Styles) -> list[Paragraph]:
    lane = "whole case" if a.lane is None else next((f.label for f in case.lanes if f.lane_id == a.lane), a.lane)
    band = (
        "all"
        if a.low_hz is None and a.high_hz is None
        else f"{a.low_hz or 0:.0f}-{a.high_hz:.0f} Hz"
        if a.high_hz is not None
        else f"above {a.low_hz:.0f} Hz"
    )
    by = ", ".join(x for x in (a.author, _when(a.created_at)) if x)
    return [
        Paragraph(number, s.cell_bold),
        Paragraph(t(lane), s.cell),
        Paragraph(f"{fmt_clock(a.start_s)}-{fmt_clock(a.end_s)}", s.cell),
        Paragraph(t(band), s.cell),
        Paragraph(t(a.text), s.cell),
        Paragraph(t(by), s.cell),
    ]


def _annotations_section(case: Case, s: Styles, width: float) -> list[Flowable]:
    head = Paragraph("Annotations", s.h1)
    if not case.annotations:
        return [head, Paragraph("No regions were marked in this case.", s.body)]
    numbers = _annotation_numbers(case)
    rows = [cells(["", "Lane", "From-to (m:ss)", "Frequency", "Note", "By, when (UTC)"], s.cell_bold)]
    rows += [_annotation_row(numbers[id(a)], a, case, s) for a in case.annotations]
    return [
        head,
        grid_table(rows, [w * width for w in (0.06, 0.13, 0.17, 0.16, 0.30, 0.18)]),
        Paragraph(
            "Each region is outlined (dashed, with its number) on the spectrogram of the lanes it concerns.", s.small
        ),
    ]


def _lane_part(case: Case, index: int, s: Styles, width: float, include_path: bool) -> list[Flowable]:
    lane = case.lanes[index]
    # a lane starts a new page unless more than half a page is left (no page holding one short section)
    head = [
        CondPageBreak(LANE_MIN_SPACE_PT),
        Paragraph(t(f"Lane {index + 1} of {len(case.lanes)}: {lane.label}"), s.title),
        Paragraph(
            t(f"{lane.name}. Sections 1-5 below are this file's own analysis, as in the single-file recourse report."),
            s.small,
        ),
    ]
    if lane.separated:
        head.append(
            Paragraph(
                "Marked as a stem made by a source separator: its evidence may come from the separator "
                "rather than from how the music was made.",
                s.body,
            )
        )
    r = lane.result
    if r is None:
        return head + [Paragraph("This file has not been analysed.", s.body)]
    return (
        head
        + sections.identification(r, s, width, include_path=include_path)
        + sections.finding(r, s, width)
        + sections.evidence(r, s, width, regions=_lane_regions(case, lane))
        + sections.notes(r, s, width)
        + sections.robustness(r, s, width)
    )


def _build(case: Case, out: IO[bytes], pagesize, include_path: bool) -> None:
    s = make_styles()
    doc = SimpleDocTemplate(
        out,
        pagesize=pagesize,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=f"Case report: {metadata_text(case.title or ', '.join(f.label for f in case.lanes))}",
        author=f"forensic_app {__version__}",
        creator="forensic_app",
        subject=f"AI-music analysis of {len(case.lanes)} files",
    )
    width = doc.width
    title = case.title or f"{len(case.lanes)} files analysed together"
    story: list[Flowable] = [
        Paragraph(t(f"Case report: {title}"), s.title),
        Paragraph(
            "Produced offline by forensic_app from the saved analyses of the files below (stems or versions of "
            "one track). Every page shows the start of a SHA-256 over the files' own SHA-256s.",
            s.small,
        ),
    ]
    summary = summarize(case)
    story += sections.modified_model_banner([lane.result for lane in case.lanes if lane.result is not None], s, width)
    story += _summary_section(case, summary, s, width)
    story += _decision_section(case, s, width)
    story += _files_section(case, s, width, include_path)
    story += _annotations_section(case, s, width)
    for i in range(len(case.lanes)):
        story += _lane_part(case, i, s, width, include_path)
    first = next((lane.result for lane in case.lanes if lane.result is not None), None)
    if first is not None:
        story += [PageBreak()] + recourse.limitations(
            first.model_card or None, first, s, width, heading="Limitations of the model, as measured"
        )
    doc.build(
        story,
        canvasmaker=canvas_class(
            case_digest(case)[:HASH_PREFIX_CHARS],
            __version__,
            case.saved_at or now_iso(),
            header=HEADER,
            hash_label="case sha256",
            date_words="case saved" if case.saved_at else "report made",
        ),
    )


def write_case_report(
    case: Case,
    path: Union[str, os.PathLike],
    *,
    page_size: str = "A4",
    overwrite: bool = False,
    include_path: bool = False,
    inputs: Inputs = (),
) -> Path:
    """Write the case report of ``case`` (as saved: nothing is analysed) to ``path`` and return it.

    ``include_path``: print the files' full paths (default: their names). Written atomically.
    Raises ReportExistsError (``path`` exists, ``overwrite`` false) and ReportError, also when ``path``
    is one of the case's files or of ``inputs`` (e.g. the case file itself), whatever ``overwrite`` says."""
    pagesize = page_size_points(page_size)
    return write_pdf_atomically(
        path,
        lambda fh: _build(case, fh, pagesize, include_path),
        overwrite=overwrite,
        inputs=file_set(inputs).extended(lane.path for lane in case.lanes),
    )
