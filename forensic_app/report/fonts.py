"""Embedded fonts and safe text for the PDF.

The report embeds matplotlib's bundled DejaVu TrueType fonts (subset into the PDF by
reportlab), so it looks the same on every machine and never falls back to the base-14
Helvetica, which has no glyphs outside Latin-1.

DejaVu covers Latin, Greek, Cyrillic, Hebrew, Arabic and many symbols, but not CJK
(Chinese, Japanese, Korean). A character the embedded font cannot draw is printed as its
code point, e.g. ``曲`` becomes ``[U+66F2]`` in a visibly different style: exact and
checkable, unlike a box or a question mark. We deliberately do not look for system CJK
fonts, so that the same analysis gives the same report on every machine.

Every user-controlled string (file names, paths, metadata, note texts) must go through
:func:`para_text` before it reaches a reportlab ``Paragraph``, which parses markup:
a file named ``<b>x</b>&.mp3`` must print literally.
"""

from __future__ import annotations

import os
import threading
import unicodedata
from functools import lru_cache
from xml.sax.saxutils import escape

import matplotlib
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

SANS = "DejaVuSans"
SANS_BOLD = "DejaVuSans-Bold"
SANS_OBLIQUE = "DejaVuSans-Oblique"
SANS_BOLD_OBLIQUE = "DejaVuSans-BoldOblique"
MONO = "DejaVuSansMono"
MONO_BOLD = "DejaVuSansMono-Bold"

_FILES = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    SANS_OBLIQUE: "DejaVuSans-Oblique.ttf",
    SANS_BOLD_OBLIQUE: "DejaVuSans-BoldOblique.ttf",
    MONO: "DejaVuSansMono.ttf",
    MONO_BOLD: "DejaVuSansMono-Bold.ttf",
}

_lock = threading.Lock()
_registered = False


def font_dir() -> str:
    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf")


def register_fonts() -> None:
    """Register the DejaVu families with reportlab (idempotent, thread-safe)."""
    global _registered
    with _lock:
        if _registered:
            return
        for name, file_name in _FILES.items():
            pdfmetrics.registerFont(TTFont(name, os.path.join(font_dir(), file_name)))
        # So that <b> and <i> inside a Paragraph pick the embedded bold/oblique faces.
        addMapping(SANS, 0, 0, SANS)
        addMapping(SANS, 1, 0, SANS_BOLD)
        addMapping(SANS, 0, 1, SANS_OBLIQUE)
        addMapping(SANS, 1, 1, SANS_BOLD_OBLIQUE)
        addMapping(MONO, 0, 0, MONO)
        addMapping(MONO, 1, 0, MONO_BOLD)
        addMapping(MONO, 0, 1, MONO)
        addMapping(MONO, 1, 1, MONO_BOLD)
        _registered = True


@lru_cache(maxsize=None)
def _covered(font_name: str) -> frozenset[int]:
    register_fonts()
    face = pdfmetrics.getFont(font_name).face
    return frozenset(face.charToGlyph.keys())


def has_glyph(char: str, font_name: str = SANS) -> bool:
    return ord(char) in _covered(font_name)


def _code_point(char: str) -> str:
    return f"[U+{ord(char):04X}]"


def plain_text(value: object, font_name: str = SANS) -> str:
    """``value`` as text the font can draw: unknown glyphs and control characters become
    ``[U+XXXX]``. No markup; use for canvas drawing (headers, footers)."""
    out = []
    for char in unicodedata.normalize("NFC", str(value)):
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") or not has_glyph(char, font_name):
            out.append(_code_point(char))
        else:
            out.append(char)
    return "".join(out)


def para_text(value: object, font_name: str = SANS, *, keep_spaces: bool = False) -> str:
    """``value`` escaped for a reportlab Paragraph, with missing glyphs shown as code points.

    ``keep_spaces``: runs of spaces survive (Paragraph collapses whitespace), for commands
    that must be copied exactly.
    """
    out = []
    run: list[str] = []

    def flush() -> None:
        if run:
            out.append(escape("".join(run)))
            run.clear()

    for char in unicodedata.normalize("NFC", str(value)):
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") or not has_glyph(char, font_name):
            flush()
            out.append(f'<font name="{MONO}" color="#8a1c1c">{_code_point(char)}</font>')
        else:
            run.append(char)
    flush()
    text = "".join(out)
    if keep_spaces:
        # Keep the first space breakable so long commands still wrap; the rest are hard.
        while "  " in text:
            text = text.replace("  ", " &nbsp;")
    return text


def needs_code_points(value: object, font_name: str = SANS) -> bool:
    """Whether :func:`para_text` will replace any character of ``value``."""
    return plain_text(value, font_name) != unicodedata.normalize("NFC", str(value))
