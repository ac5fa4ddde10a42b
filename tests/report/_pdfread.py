"""Reading back what a reader of the PDF sees: text per page, text positions, fonts."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from forensic_app.report.fonts import register_fonts

BASE14 = {
    "Helvetica",
    "Helvetica-Bold",
    "Helvetica-Oblique",
    "Helvetica-BoldOblique",
    "Times-Roman",
    "Times-Bold",
    "Times-Italic",
    "Times-BoldItalic",
    "Courier",
    "Courier-Bold",
    "Courier-Oblique",
    "Courier-BoldOblique",
    "Symbol",
    "ZapfDingbats",
}


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def words(texts: list[str]) -> str:
    """All pages' text with every run of whitespace (table cells, wrapped lines) as one space."""
    return " ".join(" ".join(texts).split())


def squash(text: str) -> str:
    """Text without any whitespace: wrapped hashes and names read back in one piece."""
    return re.sub(r"\s+", "", text)


@dataclass
class Run:
    page: int
    x: float
    width: float
    text: str


def text_runs(path: Path) -> tuple[list[Run], list[tuple[float, float]]]:
    """Every drawn piece of text with its left edge and drawn width, in points, plus page sizes."""
    register_fonts()
    reader = PdfReader(str(path))
    runs: list[Run] = []
    sizes = []
    for number, page in enumerate(reader.pages, start=1):
        sizes.append((float(page.mediabox.width), float(page.mediabox.height)))

        def visit(text, cm, tm, font_dict, font_size, _number=number):
            if not text.strip() or font_dict is None:
                return
            base = str(font_dict.get("/BaseFont", "")).lstrip("/").split("+")[-1]
            scale = tm[0] * cm[0]
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            width = pdfmetrics.stringWidth(text.rstrip("\n"), base, font_size) * scale
            runs.append(Run(_number, x, width, text))

        page.extract_text(visitor_text=visit)
    return runs, sizes


def font_report(path: Path) -> list[dict]:
    """For every font resource on every page: its name, subtype and whether it is embedded."""
    out = []
    for page in PdfReader(str(path)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            out.append(
                {
                    "name": str(font.get("/BaseFont", "")).lstrip("/"),
                    "subtype": str(font.get("/Subtype", "")),
                    "embedded_truetype": "/FontFile2" in descriptor,
                }
            )
    return out


def split_words(path: Path) -> list[str]:
    """Words broken across two lines of one paragraph or table cell ('Probabili' / 'ty'): consecutive drawn
    lines at the same left edge where the first line's last piece is not a word of the document on its own
    but joined with the next line's first piece it is one (or a part of a composite id, joined by '-' or '+')."""
    reader = PdfReader(str(path))
    lines: list[tuple[int, float, str]] = []
    for number, page in enumerate(reader.pages):

        def visit(text, cm, tm, font_dict, font_size, _n=number):
            if text.strip():
                lines.append((_n, round(tm[4] * cm[0] + cm[4], 1), text.strip()))

        page.extract_text(visitor_text=visit)
    counts = Counter(w.strip(".,;:()") for _, _, t in lines for w in t.split())
    found = []
    for (p1, x1, a), (p2, x2, b) in zip(lines, lines[1:]):
        if p1 != p2 or abs(x1 - x2) > 0.5 or not a.split() or not b.split():
            continue
        tail, head = a.split()[-1].strip(".,;:()"), b.split()[0].strip(".,;:()")
        if not tail or not head:
            continue
        whole_word = counts[tail + head] > 0 and counts[tail] == 1  # 'Probabili' | 'ty', 'Probability' elsewhere
        id_part = re.search(r"[+-][a-z]+$", tail) and re.match(r"[a-z]+-\d", head)  # '...+sin' | 'ging-2026...'
        if whole_word or id_part:
            found.append(f"{tail}|{head}")
    return found
