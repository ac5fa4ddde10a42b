"""``write_report``: the recourse PDF an artist can file, and a reviewer can check.

Layout lives in :mod:`sections` / :mod:`recourse`; this module owns the document (page
size, header, "page x / y" footer with the file's SHA-256 prefix) and the atomic,
no-clobber write.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from pathlib import Path
from typing import IO, Any, Callable, Mapping, Optional, Union

from reportlab import rl_config
from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from forensic_app.core.outputs import Inputs, OutputError, OutputExistsError, check_output, file_set, printable
from forensic_app.core.result import AnalysisResult

from . import appendix, sections, summary
from .decision import decide
from .attachment import (
    ATTACHMENT_NAME,
    DIGEST_LABEL,
    PLACEHOLDER_DIGEST,
    canonical,
    digest_of,
    extract_page_texts,
    make_payload,
    page_text_hash,
    private_analysis,
)
from .fonts import MONO, SANS, SANS_BOLD, plain_text, register_fonts
from .styles import MUTED, RULE, make_styles

# Binary image streams: reportlab's pure-Python ASCII85 encoder costs ~1 s per report and
# makes the file 25 % larger, for no benefit in a PDF nobody edits by hand.
rl_config.useA85 = 0

PAGE_SIZES = {"a4": A4, "letter": letter}
HASH_PREFIX_CHARS = 16
MARGIN_X = 18 * mm
MARGIN_TOP = 20 * mm
MARGIN_BOTTOM = 18 * mm


# The report's errors are those of the one output guard (core.outputs) every writer shares:
# ReportError, the report could not be written where asked (the analysed file itself, a folder,
# permissions, a bad page size); ReportExistsError, the file exists and overwriting was not asked for.
ReportError = OutputError
ReportExistsError = OutputExistsError


def page_size_points(name: str) -> tuple[float, float]:
    try:
        return PAGE_SIZES[str(name).strip().lower()]
    except KeyError:
        raise ReportError(f"Unknown page size {name!r}: use 'A4' or 'letter'.") from None


def _exists_message(path: Path) -> str:
    return f"{printable(path)} already exists: pass --force to replace it, or choose another file name."


REPORT_HEADER = "Recourse report: AI-music analysis"


def canvas_class(
    hash_prefix: str,
    app_version: str,
    analysed_at: str,
    *,
    header: str = REPORT_HEADER,
    hash_label: str = "file sha256",
    date_words: str = "analysed",
    digest: Optional[str] = None,
):
    """A canvas that holds pages back until the end, so each can say "page x / y"; every page
    carries ``header``, the app version and date, and ``hash_label`` with ``hash_prefix``, and
    ``digest`` (the report digest of :mod:`.attachment`) when given."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            # Without this the page preamble selects Helvetica (base-14, not embedded).
            kwargs["initialFontName"] = SANS
            kwargs["initialFontSize"] = 9
            kwargs["initialLeading"] = 11
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab API)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            width, height = self._pagesize
            self.saveState()
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN_X, height - 13 * mm, width - MARGIN_X, height - 13 * mm)
            self.line(MARGIN_X, 12 * mm, width - MARGIN_X, 12 * mm)
            self.setFillColor(MUTED)
            self.setFont(SANS_BOLD, 8)
            self.drawString(MARGIN_X, height - 11.5 * mm, header)
            self.setFont(SANS, 8)
            self.drawRightString(
                width - MARGIN_X,
                height - 11.5 * mm,
                plain_text(f"forensic_app {app_version} · {date_words} {analysed_at}"),
            )
            self.setFont(MONO, 8)
            self.drawString(MARGIN_X, 8 * mm, f"{hash_label} {hash_prefix}…")
            if digest is not None:
                self.drawCentredString(width / 2 + 12 * mm, 8 * mm, f"{DIGEST_LABEL} {digest}")
            self.setFont(SANS, 8)
            self.drawRightString(width - MARGIN_X, 8 * mm, f"page {number} / {total}")
            self.restoreState()

    return NumberedCanvas


def metadata_text(value: str) -> str:
    """PDF metadata must be encodable: a file name that is not valid UTF-8 (lone surrogates after
    decoding) keeps its undecodable bytes as \\xNN escapes."""
    return str(value).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _build(
    result: AnalysisResult, out, pagesize, model_card: Optional[Mapping[str, Any]], include_path: bool, digest: str
) -> None:
    styles = make_styles()
    doc = SimpleDocTemplate(
        out,
        pagesize=pagesize,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=f"Recourse report: {metadata_text(result.input.file_name)}",
        author=f"forensic_app {result.provenance.app_version}",
        subject=f"AI-music analysis of file sha256 {result.input.file_sha256}",
        creator="forensic_app",
        initialFontName=SANS,
    )
    width = doc.width
    d = decide(result)  # one decision: what every page may say (#26)
    story = [
        Paragraph("Recourse report: is this music AI-generated?", styles.title),
        Paragraph(
            "Produced offline by forensic_app from one analysis of one file. Part 1 is a summary in plain "
            "words; part 2, the technical appendix, gives the details. Every page shows the start of the "
            "file's SHA-256 and the report digest, so pages cannot be mixed or edited unnoticed.",
            styles.small,
        ),
        Spacer(1, 4),
    ]
    story += sections.modified_model_banner([result], styles, width)
    story += summary.summary(result, d, styles, width)
    story += appendix.appendix(result, d, styles, width, model_card=model_card, include_path=include_path)
    doc.build(
        story,
        canvasmaker=canvas_class(
            result.input.file_sha256[:HASH_PREFIX_CHARS],
            result.provenance.app_version,
            result.provenance.analysed_at,
            digest=digest,
        ),
    )


def render_report(
    result: AnalysisResult,
    *,
    page_size: str = "A4",
    model_card: Optional[Mapping[str, Any]] = None,
    include_path: bool = False,
) -> tuple[bytes, bytes]:
    """The report's PDF bytes and the analysis it embeds (``analysis.json``, see :mod:`.attachment`).

    Built twice: once with a placeholder digest to read back each page's text, then with the digest of the
    payload that records those texts (the digest has a fixed width, so both builds lay out alike); the
    payload is attached with pypdf. Raises RuntimeError when the second build reads back otherwise (a bug:
    the report would not verify)."""
    import io

    from pypdf import PdfReader, PdfWriter

    register_fonts()
    pagesize = page_size_points(page_size)
    if model_card is None:
        model_card = result.model_card or None
    analysis = private_analysis(result.to_json_dict(), include_path=include_path)
    if model_card:  # the model card's tables and rules travel in the attachment, not on the pages
        analysis["model_card"] = dict(model_card)
    first = io.BytesIO()
    _build(result, first, pagesize, model_card, include_path, PLACEHOLDER_DIGEST)
    payload = make_payload(analysis, extract_page_texts(io.BytesIO(first.getvalue())))
    payload_bytes = canonical(payload)
    second = io.BytesIO()
    _build(result, second, pagesize, model_card, include_path, digest_of(payload_bytes))
    reader = PdfReader(io.BytesIO(second.getvalue()))
    if [page_text_hash(x) for x in extract_page_texts(reader)] != payload["report"]["page_text_sha256"]:
        raise RuntimeError("the report's pages read back differently in its second build")
    writer = PdfWriter(clone_from=reader)
    writer.add_attachment(ATTACHMENT_NAME, payload_bytes)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), payload_bytes


STALE_PART_S = 3600.0
# A temporary report carries the machine and the process that write it, so that the next report
# can tell a part whose writer was killed (remove it) from one that is being written (keep it).
_HOST = re.sub(r"[^A-Za-z0-9]+", "_", socket.gethostname())[:40] or "host"
_PART = re.compile(r"^\.forensic-report-(?P<host>[A-Za-z0-9_]*)-(?P<pid>\d+)-[0-9a-f]{12}\.pdf\.part$")


def _process_gone(pid: int) -> bool:
    """True only when no process ``pid`` runs on this machine (POSIX; elsewhere: unknown, False)."""
    if os.name != "posix" or pid <= 0:
        return False  # Windows' os.kill would end the process, not test it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: it runs, as another user
        return False
    return False


def _remove_stale_parts(folder: Path) -> None:
    """Temporary reports left by killed runs: those written on this machine by a process that no longer
    runs, and any older than an hour (a part from another machine sharing the folder, or from an earlier
    version). A part that a running process is writing stays."""
    import time

    try:
        for part in folder.glob(".forensic-report-*.pdf.part"):
            m = _PART.match(part.name)
            killed = m is not None and m["host"] == _HOST and _process_gone(int(m["pid"]))
            if killed or time.time() - part.stat().st_mtime > STALE_PART_S:
                part.unlink(missing_ok=True)
    except OSError:
        pass


def _open_temp(folder: Path) -> tuple[int, str]:
    """A new file next to the target. Not ``mkstemp``: its 0600 mode would make the report
    private; ``os.open(..., 0o666)`` lets the user's umask decide, as for any saved file."""
    for _ in range(100):
        name = os.path.join(folder, f".forensic-report-{_HOST}-{os.getpid()}-{secrets.token_hex(6)}.pdf.part")
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), name
        except FileExistsError:
            continue
        except OSError as err:
            raise ReportError(f"Cannot write in {folder} ({err.strerror}): choose another location.") from None
    raise ReportError(f"Cannot create a temporary file in {folder}: choose another location.")


def _discard(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


def _move_into_place(tmp: str, path: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(tmp, path)
        return
    # A hard link fails if ``path`` appeared since we checked: no clobbering in a race.
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise ReportExistsError(_exists_message(path)) from None
    except OSError:
        # File systems without hard links (FAT, some network shares): best effort.
        if path.exists():
            raise ReportExistsError(_exists_message(path)) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def write_report(
    result: AnalysisResult,
    path: Union[str, os.PathLike],
    *,
    page_size: str = "A4",
    model_card: Optional[Mapping[str, Any]] = None,
    overwrite: bool = False,
    include_path: bool = False,
    inputs: Inputs = (),
) -> Path:
    """Write the recourse report for ``result`` to ``path`` (PDF) and return that path.

    ``page_size``: "A4" or "letter". ``model_card``: overrides ``result.model_card`` (the
    "model_card" section of ``weights/manifest.json``: covered families, known failure modes,
    false-positive rates by source). ``include_path``: print the analysed file's full path
    (folder names can carry user names); by default only its name. ``inputs``: other files the
    same run reads (the other files of ``analyze A B --report``, a case file), which the report
    must not replace either.

    The PDF is written to a temporary file in the same folder and moved into place, so a
    crash never leaves a half-written report. Raises :class:`ReportExistsError` if ``path``
    exists and ``overwrite`` is false, :class:`ReportError` for other problems the user can
    fix: among them ``path`` being the analysed file or one of ``inputs`` (by any name or link),
    which ``overwrite`` never overrides.
    """
    path = Path(path)
    page_size_points(page_size)  # an unknown page size is refused before anything is written
    return write_pdf_atomically(
        path,
        lambda fh: _write(result, fh, page_size, model_card, include_path),
        overwrite=overwrite,
        inputs=file_set(inputs).extended([result.input.path]),
    )


def _write(
    result: AnalysisResult, fh: IO[bytes], page_size: str, model_card: Optional[Mapping[str, Any]], include_path: bool
) -> None:
    """The report's bytes into ``fh`` (the temporary file beside the target)."""
    fh.write(render_report(result, page_size=page_size, model_card=model_card, include_path=include_path)[0])


def write_pdf_atomically(
    path: Union[str, os.PathLike],
    build: Callable[[IO[bytes]], Any],
    *,
    overwrite: bool = False,
    inputs: Inputs = (),
    what: str = "the report",
    suffix: str = ".pdf",
    tag: str = "report",
) -> Path:
    """Call ``build(fh)`` on a temporary file beside ``path``, then move it into place: a crash never
    leaves a half-written PDF. Raises :class:`ReportExistsError` if ``path`` exists and ``overwrite``
    is false, :class:`ReportError` when ``path`` is one of ``inputs`` (the files analysed), a folder,
    in a missing or read-only folder, or for a failed write (see :func:`core.outputs.check_output`)."""
    path = check_output(path, inputs=inputs, overwrite=overwrite, what=what, suffix=suffix, tag=tag)
    folder = path.parent if str(path.parent) else Path(".")
    register_fonts()
    _remove_stale_parts(folder)
    fd, tmp = _open_temp(folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            build(fh)
            fh.flush()
            os.fsync(fh.fileno())
        _move_into_place(tmp, path, overwrite)
    except OSError as err:
        _discard(tmp)
        raise ReportError(
            f"Could not write {printable(path)} ({err.strerror or err}): free some space or choose another location."
        ) from err
    except BaseException:
        _discard(tmp)
        raise
    return path
