"""The case file (``.facase``): several files analysed together, with annotations and a decision.

A case is one JSON document (UTF-8), versioned by ``format`` (:data:`FORMAT_NAME`) and an
integer ``format_version`` (:data:`FORMAT_VERSION`). It holds, per lane (one file): the path,
SHA-256 and size the file had when it was analysed, a display label ("vocals"), whether the
user marked it as a separated stem, its alignment offset, and the full
:class:`~forensic_app.core.result.AnalysisResult` (see :mod:`.resultdoc`); for the case:
region annotations, one reviewer decision, the app version that saved it and the model
versions its results were made with. Reopening a case never re-analyses anything: see
:mod:`.reopen` for what changed since.

Times are seconds, frequencies Hz, timestamps ISO 8601 UTC strings.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from forensic_app import __version__
from forensic_app.core.bounded_json import JsonRefused, read_json
from forensic_app.core.errors import ForensicError
from forensic_app.core.outputs import OutputError, refuse_input
from forensic_app.core.result import AnalysisResult

from .resultdoc import result_from_document, result_to_document

FORMAT_NAME = "forensic_app case"
FORMAT_VERSION = 1
SUFFIX = ".facase"
# A lane's analysis takes 5-20 MB (the overview spectrogram most of it, the heatmap growing
# with the length: 24 hours about 20 MB), so this is 12-50 lanes. Larger files are refused
# unread, and never written.
MAX_CASE_BYTES = 256 << 20

DECISIONS = ("undecided", "cleared", "escalate", "likely_ai")
DECISION_WORDS = {
    "undecided": "Undecided",
    "cleared": "Cleared: no action",
    "escalate": "Escalated for further review",
    "likely_ai": "Treated as likely AI-generated",
}


class CaseFileError(ForensicError):
    """A case file cannot be read or written; the message says what is wrong and what to do."""


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class Annotation:
    """A region marker: ``start_s``..``end_s`` (in the lane's own time; for the whole case, in
    the reference lane's time), optionally limited to ``low_hz``..``high_hz``. ``lane``: a
    :attr:`CaseFile.lane_id`, or None for the whole case."""

    start_s: float
    end_s: float
    text: str
    lane: Optional[str] = None
    low_hz: Optional[float] = None
    high_hz: Optional[float] = None
    author: str = ""
    created_at: str = field(default_factory=now_iso)


@dataclass
class Decision:
    """The reviewer's one decision for the case: ``status`` is one of :data:`DECISIONS`."""

    status: str = "undecided"
    text: str = ""
    reviewer: str = ""
    decided_at: str = ""

    @property
    def words(self) -> str:
        return DECISION_WORDS.get(self.status, self.status)


@dataclass
class CaseFile:
    """One lane: a file as it was when analysed.

    ``offset_s``: how much later this file's content runs than the reference lane's (a master
    with 1.5 s more lead-in than the demo it is compared with: +1.5); the lane's time ``t``
    is case time ``t - offset_s``. ``separated``: the user says this stem was made by a
    source separator rather than exported from the project (it then carries the separator's
    own artefacts). ``result`` is None until the file has been analysed.
    """

    lane_id: str
    path: str
    sha256: str
    size_bytes: int
    label: str
    separated: bool = False
    offset_s: float = 0.0
    result: Optional[AnalysisResult] = None

    @property
    def name(self) -> str:
        return Path(self.path).name


@dataclass
class Case:
    """Files analysed together. ``lanes`` keep the order the user gave (the first is the reference)."""

    lanes: list[CaseFile] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    decision: Decision = field(default_factory=Decision)
    title: str = ""
    created_at: str = field(default_factory=now_iso)
    saved_at: str = ""
    saved_by_app_version: str = ""

    def lane(self, lane_id: str) -> CaseFile:
        """The lane with this id; KeyError if there is none."""
        for f in self.lanes:
            if f.lane_id == lane_id:
                return f
        raise KeyError(lane_id)

    def new_lane_id(self) -> str:
        taken = {f.lane_id for f in self.lanes}
        n = len(self.lanes) + 1
        while f"lane-{n}" in taken:
            n += 1
        return f"lane-{n}"

    def annotations_for(self, lane_id: Optional[str]) -> list[Annotation]:
        """The lane's own annotations and the whole-case ones (``lane_id=None``: only those)."""
        return [a for a in self.annotations if a.lane is None or a.lane == lane_id]

    def model_versions(self) -> list[dict[str, str]]:
        """Each distinct model the lanes' results were made with (name, version, sha256, calibration_version)."""
        seen: dict[tuple, dict[str, str]] = {}
        for f in self.lanes:
            if f.result is not None:
                m = f.result.provenance.model
                seen.setdefault(
                    (m.name, m.version, m.sha256, m.calibration_version),
                    {
                        "name": m.name,
                        "version": m.version,
                        "sha256": m.sha256,
                        "calibration_version": m.calibration_version,
                    },
                )
        return list(seen.values())


def case_to_document(case: Case) -> dict[str, Any]:
    """The JSON document of ``case`` (what :func:`save_case` writes)."""
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "app_version": __version__,
        "saved_at": case.saved_at or now_iso(),
        "title": case.title,
        "created_at": case.created_at,
        "models": case.model_versions(),
        "decision": vars(case.decision).copy(),
        "annotations": [vars(a).copy() for a in case.annotations],
        "lanes": [
            {
                "lane_id": f.lane_id,
                "path": f.path,
                "sha256": f.sha256,
                "size_bytes": f.size_bytes,
                "label": f.label,
                "separated": f.separated,
                "offset_s": f.offset_s,
                "result": None if f.result is None else result_to_document(f.result),
            }
            for f in case.lanes
        ],
    }


def save_case(case: Case, path: Union[str, os.PathLike]) -> Path:
    """Write ``case`` to ``path`` atomically (a temporary file beside it, then ``os.replace``):
    a crash or a full disk never leaves a half-written case. Overwrites ``path``; sets
    ``case.saved_at`` and ``case.saved_by_app_version``. Raises :class:`CaseFileError`."""
    path = Path(path)
    try:  # never over one of the case's own files, by any name or link
        refuse_input(path, [lane.path for lane in case.lanes], what="the case", suffix=SUFFIX, tag="case")
    except OutputError as err:
        raise CaseFileError(str(err)) from None
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise CaseFileError(f"{path} is a folder: give a file name for the case, e.g. {path / ('case' + SUFFIX)}.")
    if not folder.is_dir():
        raise CaseFileError(f"The folder {folder} does not exist: create it or choose another location for the case.")
    previous = case.saved_at, case.saved_by_app_version
    case.saved_at, case.saved_by_app_version = now_iso(), __version__
    tmp = folder / f".{path.name}.{secrets.token_hex(4)}.part"
    try:
        text = json.dumps(case_to_document(case), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if len(text) > MAX_CASE_BYTES:
            raise CaseFileError(
                f"The case is too large to save ({len(text) / 1e6:,.0f} MB; a case file holds at most "
                f"{MAX_CASE_BYTES / 1e6:,.0f} MB): split its lanes into two cases."
            )
        with open(tmp, "wb") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as err:
        case.saved_at, case.saved_by_app_version = previous
        tmp.unlink(missing_ok=True)
        raise CaseFileError(
            f"Could not save the case to {path} ({err.strerror or err}): free some space or choose another location."
        ) from None
    except BaseException:
        case.saved_at, case.saved_by_app_version = previous
        tmp.unlink(missing_ok=True)
        raise
    return path


def _need(d: Any, key: str, where: str) -> Any:
    if not isinstance(d, dict) or key not in d:
        raise KeyError(f"{where}{key}")
    return d[key]


def case_from_document(doc: dict[str, Any], source: str = "the case file") -> Case:
    """The reverse of :func:`case_to_document`. Raises :class:`CaseFileError` (see :func:`load_case`)."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise CaseFileError(
            f"{source} is not a forensic_app case file (it is JSON, but not a case). "
            f"Open a {SUFFIX} file saved by forensic_app."
        )
    version = doc.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise CaseFileError(
            f"{source} has no valid case format version: it is damaged. Open an intact copy, "
            "or make the case again from the audio files."
        )
    if version > FORMAT_VERSION:
        raise CaseFileError(
            f"{source} was made by a newer forensic_app ({doc.get('app_version', 'unknown version')}, case format "
            f"{version}; this app, {__version__}, reads format {FORMAT_VERSION}): update the app to open it."
        )
    try:
        lanes = []
        for i, raw in enumerate(_need(doc, "lanes", "")):
            where = f"lanes[{i}]."
            result = _need(raw, "result", where)
            try:
                result = None if result is None else result_from_document(result)
            except KeyError as exc:
                raise KeyError(f"{where}result.{exc.args[0]}") from None
            lanes.append(
                CaseFile(
                    lane_id=str(_need(raw, "lane_id", where)),
                    path=str(_need(raw, "path", where)),
                    sha256=str(_need(raw, "sha256", where)),
                    size_bytes=int(_need(raw, "size_bytes", where)),
                    label=str(_need(raw, "label", where)),
                    separated=bool(raw.get("separated", False)),
                    offset_s=float(raw.get("offset_s", 0.0)),
                    result=result,
                )
            )
        annotations = [Annotation(**a) for a in _need(doc, "annotations", "")]
        decision = Decision(**_need(doc, "decision", ""))
    except KeyError as exc:
        raise CaseFileError(
            f"{source} is incomplete (the field '{exc.args[0]}' is missing): it was damaged or cut "
            "short. Open an intact copy, or make the case again from the audio files."
        ) from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise CaseFileError(
            f"{source} is damaged ({type(exc).__name__}: {exc}). Open an intact copy, or make the "
            "case again from the audio files."
        ) from None
    return Case(
        lanes=lanes,
        annotations=annotations,
        decision=decision,
        title=str(doc.get("title", "")),
        created_at=str(doc.get("created_at", "")),
        saved_at=str(doc.get("saved_at", "")),
        saved_by_app_version=str(doc.get("app_version", "")),
    )


def load_case(path: Union[str, os.PathLike]) -> Case:
    """Read a case saved by :func:`save_case`. Nothing is re-analysed.

    Raises :class:`CaseFileError` when the file is missing or unreadable, larger than
    :data:`MAX_CASE_BYTES` or nested deeper than a case is (refused before parsing), not JSON,
    JSON but not a case, made by a newer app (a higher ``format_version``), or incomplete/damaged.
    """
    path = Path(path)
    name = path.name
    try:
        doc = read_json(path, max_bytes=MAX_CASE_BYTES)
    except FileNotFoundError:
        raise CaseFileError(f"There is no case file at {path}: check the name, or make a new case.") from None
    except IsADirectoryError:
        raise CaseFileError(f"{path} is a folder, not a case file: choose the {SUFFIX} file inside it.") from None
    except OSError as err:
        raise CaseFileError(
            f"Cannot read the case file {path} ({err.strerror or err}): check its permissions."
        ) from None
    except JsonRefused as exc:
        raise CaseFileError(_refusal_words(name, exc)) from None
    return case_from_document(doc, source=name)


def _refusal_words(name: str, exc: JsonRefused) -> str:
    """Why a case file was not read, and what to do, in one line."""
    again = f"Open a {SUFFIX} file saved by forensic_app; a damaged case can be made again from the audio files."
    if exc.kind == "too_large":
        return (
            f"{name} is not read: at {exc.size / 1e6:,.0f} MB it is larger than any case this app writes "
            f"(at most {exc.limit / 1e6:,.0f} MB), so it is not a case file or it was damaged. {again}"
        )
    if exc.kind == "too_deep":
        return (
            f"{name} is not a case file, or a damaged one: its data is nested {exc.depth:,} levels deep, where a "
            f"case has fewer than {exc.limit}. {again}"
        )
    return (
        f"{name} is not a case file, or a damaged one (it stops being readable text at byte {exc.at:,} of "
        f"{exc.size:,}). Open a {SUFFIX} file saved by forensic_app; a case cut short by a crash can be made "
        "again from the audio files."
    )
