"""The analysis a report carries inside itself, and the digest every page prints.

A report embeds one file, ``analysis.json``: the analysis (``AnalysisResult.to_json_dict()``,
with the folders of the file's path left out unless the report shows the path), the number of
pages, and a hash of each page's text as read back from the PDF. Its *report digest* is the
first 16 hex digits of the SHA-256 of those exact bytes (canonical JSON: sorted keys, no
spaces, UTF-8); every page's footer prints it. ``forensic-app verify`` (:mod:`.verify`)
recomputes each of these. The bytes are also what a dispute pack ships as ``analysis.json``,
so ``sha256sum analysis.json`` starts with the digest on the pages.

A page's text hash is taken over its extracted text with all whitespace removed (text
extraction differs between readers in spacing, not in characters) and with the digest itself
left out (it cannot be known before the hash is).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Iterable, Mapping

from forensic_app import __version__

ATTACHMENT_NAME = "analysis.json"
SCHEMA = "forensic_app.report-analysis"
SCHEMA_VERSION = 1
DIGEST_CHARS = 16
DIGEST_LABEL = "report digest"
PLACEHOLDER_DIGEST = "0" * DIGEST_CHARS  # the first of the two builds: same width, so the same layout
_DIGEST_IN_TEXT = re.compile(r"reportdigest[0-9a-f]{%d}" % DIGEST_CHARS)


def canonical(obj: Any) -> bytes:
    """The one serialisation the digest is taken over."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True).encode(
        "utf-8", "backslashreplace"
    )  # a file name that is not valid UTF-8 keeps its bytes as \\udcXX, as JSON reads back


def digest_of(payload_bytes: bytes) -> str:
    return hashlib.sha256(payload_bytes).hexdigest()[:DIGEST_CHARS]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_text_hash(text: str) -> str:
    """SHA-256 of a page's extracted text without whitespace and without the report digest."""
    return hashlib.sha256(_DIGEST_IN_TEXT.sub("", squash(text)).encode("utf-8")).hexdigest()


def private_analysis(analysis: dict[str, Any], *, include_path: bool) -> dict[str, Any]:
    """The analysis as the report may carry it: without ``include_path`` the file's folders (which can
    carry user names) are left out of ``file`` and of the reproduce command, as on the pages."""
    if include_path:
        return analysis
    out = dict(analysis)
    path, name = out.get("file", ""), out.get("file_name", "")
    out["file"] = name
    prov = dict(out.get("provenance") or {})
    if path and isinstance(prov.get("command"), str):
        prov["command"] = prov["command"].replace(path, name)
    out["provenance"] = prov
    return out


def make_payload(analysis: Mapping[str, Any], page_texts: Iterable[str]) -> dict[str, Any]:
    texts = list(page_texts)
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "written_by": f"forensic_app {__version__}",
        "report": {"pages": len(texts), "page_text_sha256": [page_text_hash(x) for x in texts]},
        "analysis": dict(analysis),
    }


def extract_page_texts(pdf) -> list[str]:
    """Each page's text as pypdf reads it (``pdf``: a path, a binary file or a PdfReader)."""
    from pypdf import PdfReader

    reader = pdf if isinstance(pdf, PdfReader) else PdfReader(pdf)
    return [page.extract_text() or "" for page in reader.pages]
