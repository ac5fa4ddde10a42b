"""Sections 6-8: the model's measured limitations, how to contest and reproduce, and the
reviewer's page.

The model card is whatever ``weights/manifest.json`` carries under "model_card"; its
schema may grow, so known keys get a title and a fixed place, and anything else is still
printed (generically) rather than silently dropped.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table

from forensic_app.core.result import AnalysisResult
from forensic_app.core.vocabulary import display_name

from .fonts import MONO, needs_code_points, para_text as t
from .styles import MUTED, RULE, SHADE, Styles, cells, grid_table, table_style
from .wording import CONTEST_MATERIAL, REVIEWER_DECISIONS, fmt_value, humanize_key

# (title, accepted keys) in print order; the first key present wins.
_KNOWN = [
    ("Generator families covered in training", ("covered_families", "families")),
    ("Known failure modes", ("known_failure_modes", "failure_modes", "limitations")),
    (
        "False-positive rates on real music, by source",
        (
            "false_positive_rates_by_source",
            "false_positive_rates",
            "fp_rates_by_source",
            "fp_rate_by_source",
            "real_fp_rates",
        ),
    ),
    (
        "Detection on generator families held out of training (leave-one-family-out)",
        ("leave_one_family_out", "lofo", "held_out_families"),
    ),
]


def _is_rate_key(key: str) -> bool:
    k = key.lower()
    return "rate" in k or "fpr" in k or "tpr" in k or k.endswith("_fp")


def _fmt(key: str, value: Any) -> str:
    if isinstance(value, float) and not isinstance(value, bool) and _is_rate_key(key) and 0.0 <= value <= 1.0:
        return f"{value * 100:.1f} %"
    return fmt_value(value)


def _render(key: str, value: Any, s: Styles, width: float, depth: int = 0) -> list[Flowable]:
    """A model-card value as flowables: lists become bullets, mappings tables."""
    if isinstance(value, Mapping):
        if value and all(isinstance(v, Mapping) for v in value.values()):
            cols = list(dict.fromkeys(k for v in value.values() for k in v))
            rows = [cells([""] + [t(humanize_key(c)) for c in cols], s.cell_bold)]
            for name, v in value.items():
                rows.append(
                    [Paragraph(t(display_name(name)), s.cell)]
                    + [Paragraph(t(_fmt(c, v.get(c, ""))), s.cell) for c in cols]
                )
            n = len(cols) + 1
            return [grid_table(rows, [width / n] * n)]
        if value and all(not isinstance(v, (Mapping, list, tuple)) for v in value.values()):
            rows = [
                [
                    Paragraph(t(humanize_key(k) if depth else display_name(k)), s.cell),
                    Paragraph(t(_fmt(key if _is_rate_key(key) else str(k), v)), s.cell),
                ]
                for k, v in value.items()
            ]
            return [grid_table(rows, [0.6 * width, 0.3 * width], header=False)]
        out: list[Flowable] = []
        for k, v in value.items():
            out.append(Paragraph(f"<b>{t(humanize_key(k))}</b>", s.body))
            out += _render(str(k), v, s, width, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        if not value:
            return [Paragraph("(none listed)", s.body)]
        if all(isinstance(v, Mapping) for v in value) and len({k for v in value for k in v}) > 5:
            # wide records (a third-party model's description): one key/value table each, readable
            out: list[Flowable] = []
            for v in value:
                rows = [
                    [Paragraph(t(humanize_key(k)), s.cell_bold), Paragraph(t(fmt_value(x)), s.cell)]
                    for k, x in v.items()
                ]
                out += [grid_table(rows, [0.28 * width, 0.72 * width], header=False), Spacer(1, 4)]
            return out
        if all(isinstance(v, Mapping) for v in value):
            cols = list(dict.fromkeys(k for v in value for k in v))
            rows = [cells([t(humanize_key(c)) for c in cols], s.cell_bold)]
            for v in value:
                rows.append([Paragraph(t(_fmt(c, v.get(c, ""))), s.cell) for c in cols])
            return [grid_table(rows, [width / len(cols)] * len(cols))]
        return [
            Paragraph(
                t(_fmt(key, display_name(v) if isinstance(v, str) and " " not in v else v)), s.bullet, bulletText="•"
            )
            for v in value
        ]
    return [Paragraph(t(_fmt(key, value)), s.body)]


def limitations(
    model_card: Optional[Mapping[str, Any]],
    result: AnalysisResult,
    s: Styles,
    width: float,
    *,
    heading: str = "6. Limitations of the model, as measured",
) -> list[Flowable]:
    out: list[Flowable] = [Paragraph(heading, s.h1)]
    if not model_card:
        out.append(
            Paragraph(
                "The model card is unavailable for this report, so the measured limitations of the "
                "model (covered generator families, known failure modes, false-positive rates on real "
                "music by source) cannot be shown. Ask for the model card of model "
                f"{t(result.provenance.model.name)} version {t(result.provenance.model.version)} "
                "before relying on this result.",
                s.body,
            )
        )
        return out
    remaining = dict(model_card)
    blocks: list[list[Flowable]] = []
    missing: list[str] = []
    for title, keys in _KNOWN:
        key = next((k for k in keys if k in remaining), None)
        if key is not None:
            blocks.append([Paragraph(t(title), s.h2)] + _render(key, remaining.pop(key), s, width))
        else:
            missing.append(title[:1].lower() + title[1:])
    for key, value in remaining.items():
        blocks.append([Paragraph(t(humanize_key(key)), s.h2)] + _render(key, value, s, width))
    if missing:
        blocks.append(
            [
                Paragraph(
                    "<b>Not stated in the model card:</b> "
                    + t("; ".join(missing))
                    + ". Treat these limitations as unknown, not as absent.",
                    s.body,
                )
            ]
        )
    # The section heading rides with the first block (keepWithNext skips KeepTogether).
    blocks[0].insert(0, out.pop())
    return out + [KeepTogether(b) for b in blocks]


def contest(result: AnalysisResult, s: Styles, width: float, *, include_path: bool = False) -> list[Flowable]:
    prov = result.provenance
    cmd_text = prov.command
    if not include_path:  # the file's name only: folder names can carry user names
        cmd_text = cmd_text.replace(result.input.path, result.input.file_name)
    out: list[Flowable] = [Paragraph("7. How to contest this result and reproduce it", s.h1)]
    out.append(
        Paragraph(
            "If you made this music, material that shows how it was made is the strongest answer to "
            "an automated flag. Helpful material includes:",
            s.body,
        )
    )
    out += [Paragraph(line, s.bullet, bulletText="•") for line in CONTEST_MATERIAL]
    out.append(Spacer(1, 4))
    out.append(
        Paragraph(
            "<b>Reproducing this analysis.</b> Anyone can repeat it offline with forensic_app "
            f"{t(prov.app_version)} and the model weights whose SHA-256 is given in the identification table, on the "
            "file whose SHA-256 is given there, by running:",
            s.body,
        )
    )
    command = Table([[Paragraph(t(cmd_text, MONO, keep_spaces=True), s.mono)]], colWidths=[width])
    command.setStyle(
        table_style(
            [
                ("BACKGROUND", (0, 0), (-1, -1), SHADE),
                ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    out += [command, Spacer(1, 4)]
    if needs_code_points(cmd_text, MONO):
        out.append(
            Paragraph(
                "In this command, each [U+XXXX] stands for the one character with that Unicode code "
                "point, which the report's font cannot draw; type or paste the real character.",
                s.small,
            )
        )
    out.append(
        Paragraph(
            "The same file, app version, weights and calibration give the same probability, up to "
            "small floating-point differences between machines.",
            s.small,
        )
    )
    if prov.settings:  # internals for a machine, not a page: they travel in the attached analysis
        out.append(
            Paragraph(
                "<b>Settings used.</b> Every setting, threshold and per-detector reading of this analysis is in the "
                "file <i>analysis.json</i> attached to this PDF (open the attachments pane of a PDF reader); "
                '<font face="DejaVuSansMono">forensic-app verify</font> checks it against these pages.',
                s.body,
            )
        )
    return out


def reviewer(s: Styles, width: float) -> list[Flowable]:
    label_w = 0.36 * width
    fields = [
        ["Artist", ""],
        ["Title", ""],
        ["ISRC", ""],
        ["Platform and case number", ""],
        ["Reviewer name", ""],
        ["Organisation / role", ""],
        ["Date of review", ""],
    ]
    decisions = [
        [Paragraph("Decision" if i == 0 else "", s.cell_bold), Paragraph(f"☐ &nbsp;{d}", s.body)]
        for i, d in enumerate(REVIEWER_DECISIONS)
    ]
    ident = Table(
        [[Paragraph(k, s.cell_bold), v] for k, v in fields] + decisions,
        colWidths=[label_w, width - label_w],
        rowHeights=[24] * len(fields) + [None] * len(decisions),
    )
    ident.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 0), (1, len(fields) - 1), 0.6, MUTED),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, len(fields)), (-1, len(fields)), 12),
            ]
        )
    )
    notes = Table([[""]] * 16, colWidths=[width], rowHeights=[21] * 16)
    notes.setStyle(table_style([("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE)]))
    sign = Table(
        [[Paragraph("Signature", s.cell_bold), "", Paragraph("Date", s.cell_bold), ""]],
        colWidths=[0.14 * width, 0.46 * width, 0.1 * width, 0.3 * width],
        rowHeights=[34],
    )
    sign.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 0), (1, 0), 0.6, MUTED),
                ("LINEBELOW", (3, 0), (3, 0), 0.6, MUTED),
            ]
        )
    )
    return [
        KeepTogether(
            [
                Paragraph("Reviewer", s.h1),
                Paragraph(
                    "For the person who reviews the dispute. Check that the file's SHA-256 on page 1 "
                    "matches the file in dispute before relying on anything in this report.",
                    s.small,
                ),
                Spacer(1, 4),
                ident,
                Spacer(1, 8),
                Paragraph("Notes", s.cell_bold),
                notes,
                Spacer(1, 10),
                sign,
            ]
        )
    ]
