"""Paragraph and table styles, all in the embedded DejaVu fonts."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, Table, TableStyle

from ..core.vocabulary import VERDICT_COLOURS as VERDICT_HEX
from .fonts import MONO, SANS, SANS_BOLD, register_fonts

INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#b8b8b8")
SHADE = colors.HexColor("#f1f3f6")
ACCENT = colors.HexColor("#1d3f73")
VERDICT_COLOURS = {k: colors.HexColor(v) for k, v in VERDICT_HEX.items()}  # the window's palette


@dataclass(frozen=True)
class Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    mono: ParagraphStyle
    title: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    bullet: ParagraphStyle
    verdict: ParagraphStyle


def make_styles() -> Styles:
    register_fonts()
    body = ParagraphStyle(
        "body",
        fontName=SANS,
        fontSize=9.5,
        leading=12.6,
        textColor=INK,
        spaceAfter=5,
        splitLongWords=1,
        bulletFontName=SANS,
        bulletFontSize=9.5,
        allowWidows=0,
        allowOrphans=0,
    )
    return Styles(
        body=body,
        small=ParagraphStyle("small", parent=body, fontSize=8, leading=10.5, textColor=MUTED),
        cell=ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11, spaceAfter=0),
        cell_bold=ParagraphStyle("cell_bold", parent=body, fontName=SANS_BOLD, fontSize=8.5, leading=11, spaceAfter=0),
        mono=ParagraphStyle("mono", parent=body, fontName=MONO, fontSize=8.2, leading=10.5, spaceAfter=0),
        title=ParagraphStyle(
            "title", parent=body, fontName=SANS_BOLD, fontSize=17, leading=21, textColor=ACCENT, spaceAfter=2
        ),
        h1=ParagraphStyle(
            "h1",
            parent=body,
            fontName=SANS_BOLD,
            fontSize=12.5,
            leading=16,
            textColor=ACCENT,
            spaceBefore=10,
            spaceAfter=5,
            keepWithNext=1,
        ),
        h2=ParagraphStyle(
            "h2", parent=body, fontName=SANS_BOLD, fontSize=10, leading=13, spaceBefore=6, spaceAfter=3, keepWithNext=1
        ),
        bullet=ParagraphStyle("bullet", parent=body, leftIndent=12, bulletIndent=2, spaceAfter=2.5),
        verdict=ParagraphStyle("verdict", parent=body, fontName=SANS_BOLD, fontSize=15, leading=19, spaceAfter=0),
    )


def grid_table(rows: list[list], col_widths: list[float], *, header: bool = True) -> Table:
    """A plain ruled table; cells should already be Paragraphs so they wrap."""
    table = Table(rows, colWidths=col_widths, repeatRows=1 if header else 0, hAlign="LEFT")
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), SHADE), ("LINEBELOW", (0, 0), (-1, 0), 0.8, MUTED)]
    table.setStyle(table_style(style))
    return table


def table_style(commands: list) -> TableStyle:
    """A TableStyle whose plain-string cells use the embedded font, not base-14 Helvetica."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), SANS), ("FONTSIZE", (0, 0), (-1, -1), 8.5)] + commands)


def cells(texts: list[str], style: ParagraphStyle) -> list[Paragraph]:
    """Paragraph cells from already-escaped markup strings."""
    return [Paragraph(t, style) for t in texts]
