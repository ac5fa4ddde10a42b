"""What the file declares, as an evidence source that is shown but never moves the probability.

It reads the file itself (tags, XMP, Content Credentials; :func:`read_declarations`), not the
audio stream, and adds no line: a declaration is a claim anyone can write or strip, so it stays
beside the verdict. Its row carries the headline (only when an AI origin is declared), the lines
of the report's "What the file declares" section and the batch columns (``details["columns"]``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from ...result import DetectorEvidence, Note
from ..base import EvidenceSource, Interpretation
from . import Declarations, declaration_headline, declaration_lines, read_declarations

NAME = "declared"
BATCH_COLUMNS = ("declared_generator", "declared_source_type", "c2pa", "isrc", "encoder")


def declared_row(decl: Declarations) -> DetectorEvidence:
    """The row: no score, no probability; summary = the headline, or that nothing is declared."""
    headline = declaration_headline(decl)
    summary = headline or (
        "The file declares no AI origin in its tags or Content Credentials. Its absence says "
        "nothing about who made it: such declarations are easy to strip."
    )
    details = dict(
        decl.to_dict(),
        headline=headline,
        lines=declaration_lines(decl),
        declares_ai=decl.declares_ai,
        columns={k: getattr(decl, k) for k in BATCH_COLUMNS},
    )
    return DetectorEvidence(
        name=NAME, title=Declared.title, score=None, probability_fake=None, summary=summary, details=details
    )


class Declared(EvidenceSource):
    name = NAME
    title = "What the file declares (tags, Content Credentials)"

    def read_file(self, path: Path) -> Optional[Any]:
        return read_declarations(path) if Path(path).is_file() else None

    def rows(self, it: Interpretation) -> list[DetectorEvidence]:
        decl = it.m.extra.get(NAME)
        return [] if decl is None else [declared_row(decl)]

    def notes(self, it: Interpretation) -> list[Note]:
        decl = it.m.extra.get(NAME)
        if decl is None or not decl.problems:
            return []
        shown = " ".join(decl.problems[:3]) + (
            f" (and {len(decl.problems) - 3} more)" if len(decl.problems) > 3 else ""
        )
        return [
            Note(
                "metadata_problems",
                "info",
                f"Some of the file's own metadata could not be read: {shown} What the file declares is "
                "shown as far as it could be read; the analysis of the audio is not affected.",
            )
        ]
