"""``forensic-app verify REPORT.pdf [FILE]``: does a report say what its analysis says, untouched?

Headless: the CLI and the window's Help > Verify a report… only show what :func:`verify_report`
returns. Checks, in order (see :mod:`.attachment` for what a report embeds):

1. the PDF carries ``analysis.json`` of a schema this version reads;
2. every page's footer prints the digest of those bytes (an attachment swapped or edited no longer
   matches the pages);
3. the page count is the one recorded (a page removed or added);
4. each page's text is the text recorded when it was written (one digit changed anywhere);
5. the figures on page 1 (verdict, probability as printed, the file's SHA-256) are those of the
   embedded analysis, printed with the app's one number style;

and, with FILE: 6. FILE is the analysed file (SHA-256), and 7. analysing it again gives the same
figures at the printed precision when the model bundle is the report's; with another bundle both sets
are shown side by side, with what changed. A report anyone regenerates with another analysis passes
1-5: that is what 6-7 are for.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union

from forensic_app.core.errors import UnusableInputError
from forensic_app.core.outputs import printable
from forensic_app.core.vocabulary import (
    PROBABILITY_LABEL,
    VERDICT_WORDS,
    deciding_line,
    format_probability,
    headline_words,
    printed_held,
    probability_text,
)

from .attachment import ATTACHMENT_NAME, DIGEST_LABEL, SCHEMA, SCHEMA_VERSION, canonical, digest_of, page_text_hash

PathLike = Union[str, os.PathLike]


@dataclass(frozen=True)
class Check:
    ok: bool
    words: str  # what was checked and found, one line


@dataclass
class Verification:
    """What :func:`verify_report` found. ``ok``: every check passed. ``line``: the one-line answer.
    ``made_by``: the app and model that wrote the report. ``comparison``: (figure, in the report, now) rows
    when FILE was analysed again; ``same_model``: whether that ran on the report's model bundle."""

    ok: bool
    line: str
    checks: list[Check] = field(default_factory=list)
    made_by: str = ""
    digest: str = ""
    comparison: list[tuple[str, str, str]] = field(default_factory=list)
    same_model: Optional[bool] = None
    payload: Optional[dict[str, Any]] = None  # the embedded analysis.json, when it could be read

    def text(self) -> str:
        """Everything, for a terminal or a message box's details."""
        lines = [self.line, f"  written by {self.made_by}" if self.made_by else ""]
        lines += [f"  [{'ok' if c.ok else 'FAILED'}] {c.words}" for c in self.checks]
        if self.comparison:
            head = "same model bundle" if self.same_model else "another model bundle"
            w = max(len(r[0]) for r in self.comparison)
            v = max(28, *(len(r[1]) for r in self.comparison))  # a column as wide as its longest value
            lines.append(f"  {'figure':<{w}}  {'in the report':<{v}}  now ({head})")
            for name, then, now in self.comparison:
                mark = "" if then == now else "   <- changed"
                lines.append(f"  {name:<{w}}  {then:<{v}}  {now}{mark}")
        return "\n".join(x for x in lines if x)


def _words(text: str) -> str:
    return " ".join(text.split())


def read_attachment(pdf: PathLike) -> tuple[bytes, Any]:
    """The embedded ``analysis.json`` bytes and the PdfReader. Raises UnusableInputError for a file that is
    not a readable PDF (None for the bytes when it carries no such attachment)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    path = Path(pdf)
    if not path.is_file():
        raise UnusableInputError(f"{printable(path)}: no such file: give the report's PDF.")
    try:
        reader = PdfReader(str(path))
        files = reader.attachments
        data = files.get(ATTACHMENT_NAME)
        _ = len(reader.pages)
    except (PdfReadError, OSError, ValueError, KeyError) as err:
        raise UnusableInputError(
            f"{printable(path.name)}: not a readable PDF ({err}): give the report's PDF, as it was received."
        ) from None
    return (data[0] if data else None), reader


def printed_figures(analysis: dict[str, Any]) -> dict[str, str]:
    """The figures a report prints for ``analysis`` (its JSON), as page 1 and table 3.3 print them."""
    codes = [n.get("code") for n in analysis.get("notes") or []]
    p, interval = float(analysis["probability_fake"]), tuple(analysis["interval"])
    by = ((analysis.get("provenance") or {}).get("settings") or {}).get("probability_by_detector") or {}
    held = printed_held(codes, deciding_line(by, p, codes, tol=5e-7))  # the JSON rounds the probability to 6 digits
    out = {
        "Verdict": headline_words(analysis["verdict"], float(analysis.get("duration_s", float("inf"))))
        if analysis["verdict"] in VERDICT_WORDS
        else analysis["verdict"],
        "Probability": probability_text(p, interval, held),
    }
    for d in analysis.get("detectors") or []:
        if d.get("probability_fake") is not None:
            out[f"{d.get('title') or d.get('name')} alone"] = format_probability(d["probability_fake"])
    comb = analysis.get("comb")
    if comb and comb.get("z_score") is not None:
        out["Comb z-score"] = f"{float(comb['z_score']):.2f}"
    return out


def _made_by(payload: dict[str, Any]) -> str:
    a = payload.get("analysis") or {}
    m = a.get("model") or {}
    app = (a.get("provenance") or {}).get("app_version", "?")
    modified = ", MODIFIED MODEL" if m.get("modified") else ""
    return (
        f"forensic_app {app}, model {m.get('name', '?')} version {m.get('version', '?')} "
        f"(bundle sha256 {str(m.get('bundle_sha256') or 'not recorded')[:16]}{modified})"
    )


def check_report(pdf: PathLike) -> Verification:
    """Checks 1-5 (the PDF alone). Raises UnusableInputError when ``pdf`` is not a readable PDF."""
    data, reader = read_attachment(pdf)
    name = printable(Path(pdf).name)
    if data is None:
        return Verification(
            False,
            f"{name}: NOT VERIFIED: it carries no embedded analysis ({ATTACHMENT_NAME}); it "
            "was not written by forensic_app's report, or the attachment was removed",
            [Check(False, f"embedded {ATTACHMENT_NAME}: missing")],
        )
    try:
        payload = json.loads(data.decode("utf-8"))
        schema_ok = (
            payload.get("schema") == SCHEMA
            and int(payload.get("schema_version", 0)) <= SCHEMA_VERSION
            and "analysis" in payload
            and "report" in payload
        )
    except (ValueError, AttributeError, TypeError):
        payload, schema_ok = {}, False
    if not schema_ok:
        return Verification(
            False,
            f"{name}: NOT VERIFIED: its {ATTACHMENT_NAME} is not an analysis this version "
            f"reads (schema {SCHEMA} version {SCHEMA_VERSION})",
            [Check(False, f"embedded {ATTACHMENT_NAME}: unreadable or another schema")],
        )
    checks: list[Check] = [
        Check(True, f"embedded {ATTACHMENT_NAME}: schema {SCHEMA} version {payload['schema_version']}")
    ]
    digest = digest_of(data)
    if canonical(payload) != data:
        checks.append(Check(False, f"{ATTACHMENT_NAME} is not in the form the app writes (edited by hand)"))
    texts = [page.extract_text() or "" for page in reader.pages]
    squashed = ["".join(x.split()) for x in texts]
    wanted = "".join(f"{DIGEST_LABEL} {digest}".split())
    without = [i + 1 for i, x in enumerate(squashed) if wanted not in x]
    checks.append(
        Check(
            not without,
            f"report digest {digest} on every page"
            if not without
            else f"report digest {digest} of the embedded analysis missing on page(s) "
            f"{', '.join(map(str, without))}: the pages and the attachment do not belong together",
        )
    )
    recorded = payload["report"].get("pages")
    checks.append(
        Check(
            recorded == len(texts),
            f"{len(texts)} pages, as recorded"
            if recorded == len(texts)
            else f"{len(texts)} pages, but {recorded} recorded: a page was removed or added",
        )
    )
    hashes = payload["report"].get("page_text_sha256") or []
    changed = [i + 1 for i, x in enumerate(texts) if i >= len(hashes) or page_text_hash(x) != hashes[i]]
    checks.append(
        Check(
            not changed,
            "every page's text as written"
            if not changed
            else f"the text of page(s) {', '.join(map(str, changed))} differs from what was written",
        )
    )
    analysis = payload["analysis"]
    first = _words(texts[0]) if texts else ""
    figures = printed_figures(analysis)
    page1 = [
        ("verdict", f"Verdict: {figures['Verdict']}" in first),
        ("probability", _words(f"{PROBABILITY_LABEL}: {figures['Probability']}") in first),
        ("file sha256", str(analysis.get("sha256", "?")) in (squashed[0] if squashed else "")),
    ]
    bad = [w for w, ok in page1 if not ok]
    checks.append(
        Check(
            not bad,
            f"page 1 prints the analysis' verdict ({figures['Verdict']}), probability "
            f"({figures['Probability']}) and file sha256"
            if not bad
            else f"page 1 does not print the embedded analysis' {', '.join(bad)}",
        )
    )
    ok = all(c.ok for c in checks)
    failed = next((c.words for c in checks if not c.ok), "")
    line = (
        f"{name}: verified: untouched since it was written (report digest {digest})"
        if ok
        else f"{name}: NOT VERIFIED: {failed}"
    )
    return Verification(ok, line, checks, _made_by(payload), digest, payload=payload)


def _file_sha256(path: PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def compare(then: dict[str, Any], now: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(figure, in the report, now) for the printed figures of two analyses (their JSON), and the model."""
    a, b = printed_figures(then), printed_figures(now)
    rows = [(k, a.get(k, "not printed"), b.get(k, "not printed")) for k in dict.fromkeys([*a, *b])]
    ma, mb = then.get("model") or {}, now.get("model") or {}
    rows.append(
        (
            "Model",
            f"{ma.get('version', '?')} ({str(ma.get('bundle_sha256', ''))[:12]})",
            f"{mb.get('version', '?')} ({str(mb.get('bundle_sha256', ''))[:12]})",
        )
    )
    return rows


def verify_report(
    pdf: PathLike,
    audio: Optional[PathLike] = None,
    *,
    analyze: Optional[Callable[[str], Any]] = None,
    result_now: Any = None,
) -> Verification:
    """Checks 1-5 on ``pdf``; with ``audio``, also 6 (the same file) and 7 (analysed again with ``analyze``,
    a callable path -> AnalysisResult, e.g. ``forensic_app.api.Analyzer().analyze``, by default the shipped bundle's; or ``result_now``, an
    analysis of that file already made, as the window has). Raises UnusableInputError for an unreadable PDF
    or a missing FILE."""
    v = check_report(pdf)
    payload = v.payload
    if audio is None or payload is None:
        return v
    then = payload["analysis"]
    audio = Path(audio)
    if not audio.is_file():
        raise UnusableInputError(f"{printable(audio)}: no such file: give the audio file the report is about.")
    sha = _file_sha256(audio)
    same_file = sha == then.get("sha256")
    v.checks.append(
        Check(
            same_file,
            f"{printable(audio.name)} is the analysed file (sha256 {sha[:16]}…)"
            if same_file
            else f"{printable(audio.name)} is not the analysed file: its sha256 {sha[:16]}… differs from "
            f"the report's {str(then.get('sha256'))[:16]}…",
        )
    )
    if not same_file:
        v.ok = False
        v.line = f"{printable(Path(pdf).name)}: NOT VERIFIED: {v.checks[-1].words}"
        return v
    if result_now is None:
        if analyze is None:  # the shipped model bundle (the CLI passes its Analyzer's, for --weights)
            from forensic_app.core.analysis import analyze
        result_now = analyze(str(audio))
    now = result_now.to_json_dict()
    v.comparison = compare(then, now)
    v.same_model = (now.get("model") or {}).get("bundle_sha256") == (then.get("model") or {}).get("bundle_sha256")
    differ = [name for name, a, b in v.comparison if a != b and name != "Model"]
    name = printable(Path(pdf).name)
    if v.same_model:
        v.checks.append(
            Check(
                not differ,
                "analysed again with the same model bundle: the same figures"
                if not differ
                else f"analysed again with the same model bundle, {', '.join(differ)} differ(s)",
            )
        )
        if not differ and v.ok:
            v.line = (
                f"{name}: verified: untouched, and the same model bundle gives the same figures on "
                f"{printable(audio.name)} (report digest {v.digest})"
            )
        else:
            v.ok = False
            v.line = f"{name}: NOT VERIFIED: {next(c.words for c in v.checks if not c.ok)}"
    else:
        what = "the figures are the same" if not differ else f"{', '.join(differ)} changed"
        v.checks.append(Check(True, f"analysed again with another model bundle: {what} (both shown side by side)"))
        if v.ok:
            v.line = (
                f"{name}: verified: untouched; analysed again with another model version ("
                f"{(now.get('model') or {}).get('version', '?')}): {what}"
            )
    return v
