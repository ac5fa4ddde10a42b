"""Where a command may write: the one guard every writer shares.

``analyze --report``, ``report``, ``batch -o / --jsonl / --store / --reports``, ``case`` and the
window's exports all ask :func:`check_output` before they write (and before a long analysis, so a
refusal comes at once). A target is refused when it is one of the files the same run reads, by
any name: the same path, another spelling of it (``./x``, ``a/../x``, a folder reached through a
link), a symbolic link to it, or a hard link to it. ``--force`` (``overwrite=True``) replaces an
earlier output, never a file being analysed. A folder, a missing folder and a folder without
write permission are refused with a message that says what to do.

:func:`printable` writes a file name for a one-line message: control characters (a newline in a
name would split the line) are shown as escapes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable, Optional, Union

from .errors import ForensicError

PathLike = Union[str, os.PathLike]


class OutputError(ForensicError):
    """An output path the user has to change (CLI exit code 2)."""


class OutputExistsError(OutputError):
    """The output file exists and replacing it was not asked for."""


class OutputIsInputError(OutputError):
    """The output names a file that the same run analyses or reads; nothing overrides this."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: Union[str, os.PathLike]) -> str:
    """``text`` with control characters escaped (``new\\nline.wav``), so that a file name can never split a
    line of output or move the cursor. Printable text, including any script, is kept as it is."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), os.fspath(text))


def _identity(path: PathLike) -> tuple[str, Optional[tuple[int, int]]]:
    """The resolved path (symbolic links and ``..`` followed) and, for an existing file, its device and inode."""
    real = os.path.normcase(os.path.realpath(os.fspath(path)))
    try:
        st = os.stat(path)
        ino: Optional[tuple[int, int]] = (st.st_dev, st.st_ino) if st.st_ino else None
    except (OSError, ValueError):
        ino = None
    return real, ino


ANALYSED = "the analysed audio file"


class FileSet:
    """Files a run reads, recognised by any name (path, alias, symbolic or hard link), each with the words
    that say what it is (``ANALYSED``, "the case file")."""

    def __init__(self, paths: Iterable[PathLike] = (), role: str = ANALYSED):
        self._by_path: dict[str, str] = {}
        self._by_inode: dict[tuple[int, int], str] = {}
        self._roles: dict[str, str] = {}
        for p in paths:
            self.add(p, role)

    def add(self, path: PathLike, role: str = ANALYSED) -> None:
        real, ino = _identity(path)
        self._by_path.setdefault(real, os.fspath(path))
        self._roles.setdefault(os.fspath(path), role)
        if ino is not None:
            self._by_inode.setdefault(ino, os.fspath(path))

    def find(self, path: PathLike) -> Optional[str]:
        """The file of the set that ``path`` names, as it was given, or None."""
        real, ino = _identity(path)
        return self._by_path.get(real) or (self._by_inode.get(ino) if ino is not None else None)

    def role(self, path: str) -> str:
        """What a file that :meth:`find` returned is, in words."""
        return self._roles.get(path, ANALYSED)

    def extended(self, paths: Iterable[PathLike], role: str = ANALYSED) -> "FileSet":
        """A new set: these files and ``paths``."""
        new = FileSet()
        new._by_path, new._by_inode, new._roles = dict(self._by_path), dict(self._by_inode), dict(self._roles)
        for p in paths:
            new.add(p, role)
        return new


Inputs = Union[FileSet, Iterable[PathLike]]


def file_set(inputs: Inputs) -> FileSet:
    """``inputs`` as a :class:`FileSet` (paths given as such are analysed audio files)."""
    return inputs if isinstance(inputs, FileSet) else FileSet(inputs)


def example_name(target: PathLike, suffix: str, tag: str) -> str:
    """A name to suggest instead of ``target``: ``song.flac`` -> ``song.csv``, ``out.csv`` -> ``out-results.csv``."""
    t = Path(target)
    stem = t.stem or tag
    return f"{stem}{suffix}" if t.suffix.lower() != suffix else f"{stem}-{tag}{suffix}"


def refuse_input(
    target: PathLike,
    inputs: Inputs,
    *,
    what: str = "the report",
    suffix: str = ".pdf",
    tag: str = "report",
    option: Optional[str] = None,
    has_force: bool = True,
) -> None:
    """Raise :class:`OutputIsInputError` when ``target`` is one of ``inputs`` by any name. ``has_force``: the
    command has a --force option (the message says that it does not help)."""
    files = file_set(inputs)
    hit = files.find(target)
    if hit is None:
        return
    named = f"{option} {printable(target)}" if option else printable(target)
    alias = os.path.abspath(os.fspath(target)) != os.path.abspath(hit)
    which = f" {printable(hit)} itself, by another name or through a link" if alias else " itself"
    raise OutputIsInputError(
        f"{named} is {files.role(hit)}{which}: choose another name for {what}, e.g. "
        f"{example_name(target, suffix, tag)}"
        + (" (--force never replaces a file being analysed)." if has_force else ".")
    )


def check_output(
    target: PathLike,
    *,
    inputs: Inputs = (),
    overwrite: bool = False,
    what: str = "the report",
    suffix: str = ".pdf",
    tag: str = "report",
    option: Optional[str] = None,
    make_folder: bool = False,
    has_force: bool = True,
) -> Path:
    """Check that ``target`` may be written, before any work is done; returns it as a Path.

    Raises, in this order: :class:`OutputIsInputError` when it is one of ``inputs`` (whatever
    ``overwrite`` says), :class:`OutputError` when it is a folder, its folder does not exist or
    cannot be written to, :class:`OutputExistsError` when it exists and ``overwrite`` is false.
    ``what`` / ``suffix`` / ``tag`` word the messages ("the report", ".pdf", "report" suggests
    ``song-report.pdf``); ``option`` ("-o") names the command-line option in them.
    ``make_folder``: the writer creates a missing folder (then the nearest existing one must be writable).
    """
    path = Path(target)
    refuse_input(path, inputs, what=what, suffix=suffix, tag=tag, option=option, has_force=has_force)
    shown = printable(path)
    if path.is_dir():
        raise OutputError(f"{shown} is a folder: give a file name for {what}, e.g. {printable(path / (tag + suffix))}.")
    folder = path.parent if str(path.parent) else Path(".")
    while make_folder and not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(
            f"The folder {printable(folder)} does not exist: create it or choose another location for {what}."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(
            f"Cannot write in {printable(folder)} (permission denied): choose another location for {what}."
        )
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{shown} already exists: pass --force to replace it, or choose another file name.")
    return path
