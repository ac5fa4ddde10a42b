"""Audacity label tracks: write regions as labels (with frequency ranges) and read labels back.

Audacity's label text format (File > Export > Labels; File > Import > Labels): one label per line,
``start<TAB>end<TAB>text`` in seconds; a spectral label (made on the spectrogram with a frequency
selection) is followed by a line ``\\<TAB>low_hz<TAB>high_hz``. A point label has start == end.
Text may not contain tabs or line breaks (they are written as spaces).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable, Union

from forensic_app.core.outputs import check_output

from .regions import Region

MAX_LABEL_FILE_BYTES = 16 << 20
MAX_LABELS = 100_000


class LabelFileError(ValueError):
    """A label file that could not be read (the message says where and why)."""


def _text(label: str) -> str:
    """One field of one line: tabs and line breaks become spaces (other characters stay as they are)."""
    return re.sub(r"[\t\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+", " ", str(label)).strip()


def format_audacity_labels(regions: Iterable[Region]) -> str:
    """The label track as text (``\\n`` line ends; Audacity reads them on every platform)."""
    lines = []
    for r in regions:
        lines.append(f"{r.start_s:.6f}\t{r.end_s:.6f}\t{_text(r.label)}")
        if r.has_band:
            lines.append(f"\\\t{r.low_hz:.6f}\t{r.high_hz:.6f}")
    return "\n".join(lines) + ("\n" if lines else "")


def write_audacity_labels(
    regions: Iterable[Region], path: Union[str, os.PathLike], *, inputs=(), overwrite: bool = False
) -> Path:
    """Write ``regions`` to ``path`` (asked of :func:`check_output` first: never over an input)."""
    target = check_output(path, inputs=inputs, overwrite=overwrite, what="the label file", suffix=".txt", tag="labels")
    _write_atomic(target, format_audacity_labels(regions))
    return target


def parse_audacity_labels(text: str) -> list[Region]:
    """Labels from Audacity's text format. Raises :class:`LabelFileError` naming the bad line."""
    regions: list[Region] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if parts[0] == "\\":
            if not regions or len(parts) < 3:
                raise LabelFileError(f"line {number}: a frequency line must follow a label and hold two numbers")
            low, high = _number(parts[1], number), _number(parts[2], number)
            last = regions[-1]
            regions[-1] = Region(last.start_s, last.end_s, last.label, last.kind, low_hz=low, high_hz=high)
            continue
        if len(parts) < 2:
            raise LabelFileError(f"line {number}: expected start<TAB>end<TAB>label")
        start, end = _number(parts[0], number), _number(parts[1], number)
        if end < start:
            raise LabelFileError(f"line {number}: the label ends ({end:g} s) before it starts ({start:g} s)")
        regions.append(Region(start, end, "\t".join(parts[2:]).strip(), "annotation"))
        if len(regions) > MAX_LABELS:
            raise LabelFileError(f"more than {MAX_LABELS:,} labels: not a label track this app reads")
    return regions


def read_audacity_labels(path: Union[str, os.PathLike]) -> list[Region]:
    """Labels from a file written by Audacity (UTF-8; at most :data:`MAX_LABEL_FILE_BYTES`)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_LABEL_FILE_BYTES + 1)
    except OSError as err:
        raise LabelFileError(f"{path.name}: cannot be read ({err.strerror or err})") from None
    if len(raw) > MAX_LABEL_FILE_BYTES:
        raise LabelFileError(f"{path.name}: larger than {MAX_LABEL_FILE_BYTES >> 20} MB, not a label track")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise LabelFileError(f"{path.name}: not UTF-8 text (byte {err.start})") from None
    try:
        return parse_audacity_labels(text)
    except LabelFileError as err:
        raise LabelFileError(f"{path.name}: {err}") from None


def _number(text: str, line: int) -> float:
    try:
        value = float(text.strip().replace(",", "."))  # some locales write a decimal comma
    except ValueError:
        raise LabelFileError(f"line {line}: {text.strip()[:40]!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")) or value < 0:
        raise LabelFileError(f"line {line}: {text.strip()[:40]!r} is not a time or frequency")
    return value


def _write_atomic(target: Path, text: str) -> None:
    """A temporary file beside ``target``, then ``os.replace``: never half a file."""
    import secrets

    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
