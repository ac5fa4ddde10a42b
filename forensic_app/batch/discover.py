"""Turn what a moderator typed (files, folders, ``@lists``, globs) into one ordered list of files.

Nothing is dropped silently: a path that does not exist, a glob that matches nothing or a list
file that cannot be read becomes an :class:`Entry` with a ``reason``, so it ends up as a row in
the results. Folders are walked recursively (hidden files and folders skipped, names sorted).
What walking a folder or expanding a glob finds can be narrowed to some extensions (``batch``:
the audio formats, :data:`~forensic_app.core.formats.AUDIO_EXTENSIONS`): a cover image or a credits
file beside the tracks is then counted in :class:`Skipped`, for the summary, not made a row. A file
named on its own (on the command line or a line of a list) is always taken, audio or not, and a
row says "not audio" when it is not.
"""

from __future__ import annotations

import fnmatch
import glob
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Collection, Iterable, Iterator, Optional

from ..core.formats import describe_extensions, has_extension

GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class Entry:
    """One input of the batch: an absolute ``path``, and why it cannot be analysed when known already.
    ``found``: found by walking a folder or expanding a glob (not named on its own), so the extension
    filter applies."""

    path: str
    reason: Optional[str] = None
    found: bool = False


@dataclass
class Skipped:
    """The files that folders and globs held but the extension filter left out: how many, and the first
    few names for the summary line ("skipped 1 file that is not audio: CREDITS.txt")."""

    extensions: Collection[str] = ()
    count: int = 0
    paths: list[str] = field(default_factory=list)  # the first few, for the summary
    _seen: set[str] = field(default_factory=set, repr=False)
    SHOWN = 3

    def add(self, path: str) -> None:
        key = _key(path)
        if key in self._seen:
            return
        self._seen.add(key)
        self.count += 1
        if len(self.paths) < self.SHOWN:
            self.paths.append(path)

    def taken(self, path: str) -> None:
        """``path`` is a row after all (named on its own after a folder skipped it): not skipped."""
        key = _key(path)
        if key in self._seen:
            self._seen.discard(key)
            self.count -= 1
            self.paths = [p for p in self.paths if _key(p) != key]

    def words(self) -> str:
        """One line for the summary; '' when nothing was skipped."""
        if not self.count:
            return ""
        from ..core.outputs import printable

        kind = describe_extensions(self.extensions)
        files = "1 file that is" if self.count == 1 else f"{self.count:,} files that are"
        names = ", ".join(printable(os.path.basename(p)) for p in self.paths) + (
            ", ..." if self.count > len(self.paths) else ""
        )
        return f"skipped {files} not {kind}: {names} (--ext '*' takes every file)"


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def walk_folder(folder: Path) -> Iterator[Entry]:
    """Every regular, non-hidden file under ``folder``, depth first, names sorted; symlinked folders
    are not followed (a link loop must not hang a batch)."""
    unreadable: list[Entry] = []

    def on_error(err: OSError) -> None:
        unreadable.append(
            Entry(
                str(Path(err.filename or folder).absolute()),
                f"folder could not be read ({err.strerror or err}); check its permissions",
            )
        )

    for root, dirs, files in os.walk(folder, onerror=on_error):
        yield from unreadable
        unreadable.clear()
        dirs[:] = sorted(d for d in dirs if not _is_hidden(d))
        for name in sorted(files):
            if not _is_hidden(name):
                yield Entry(str(Path(root, name).absolute()), found=True)
    yield from unreadable


def _inode(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _walk_dirs(top: str) -> Iterator[str]:
    """``top`` and every non-hidden folder under it, each real folder once (by st_dev, st_ino): the tree
    itself first, then what symbolic links lead to that was not reached already, so a link loop or a
    second link to the same folder adds nothing."""
    seen: set[tuple[int, int]] = set()
    pending = [top]
    while pending:
        links: list[str] = []
        for root, dirs, _files in os.walk(pending.pop(0) or os.curdir):  # never follows links itself
            try:
                key = _inode(root)
            except OSError:
                dirs[:] = []
                continue
            if key in seen:
                dirs[:] = []
                continue
            seen.add(key)
            yield root
            real = []
            for d in sorted(x for x in dirs if not _is_hidden(x)):
                (links if os.path.islink(os.path.join(root, d)) else real).append(d)
            dirs[:] = real
        pending += [link for link in links if os.path.isdir(link)]


def _match(folder: str, parts: list[str]) -> Iterator[str]:
    """Paths under ``folder`` matching the pattern components ``parts`` (glob's rules: ``**`` alone is any
    depth, wildcards skip hidden names unless the component starts with a dot)."""
    part, rest = parts[0], parts[1:]
    if part == "**":
        for d in _walk_dirs(folder):
            if rest:
                yield from _match(d, rest)
                continue
            yield d
            try:
                names = sorted(e.name for e in os.scandir(d or os.curdir) if not e.is_dir())
            except OSError:
                continue
            yield from (os.path.join(d, n) for n in names if not _is_hidden(n))
        return
    if glob.has_magic(part):
        try:
            names = os.listdir(folder or os.curdir)
        except OSError:
            return
        if not part.startswith("."):
            names = [n for n in names if not _is_hidden(n)]
        candidates = [os.path.join(folder, n) for n in sorted(fnmatch.filter(names, part))]
    else:
        candidates = [os.path.join(folder, part)]
    for path in candidates:
        if rest:
            if os.path.isdir(path):
                yield from _match(path, rest)
        elif os.path.lexists(path):
            yield path


def glob_files(pattern: str) -> list[str]:
    """``glob.glob(pattern, recursive=True)`` without its trap: glob follows every symbolic link to a folder,
    so a link loop under ``**`` yields the same files under endless paths. Here ``**`` enters each real
    folder once (see :func:`_walk_dirs`). Sorted; several paths may still lead to one file (a link to it)."""
    parts = list(Path(pattern).parts)
    i = next((k for k, part in enumerate(parts) if glob.has_magic(part)), len(parts))
    anchor = os.path.join(*parts[:i]) if i else ""
    if i == len(parts):
        return [anchor] if os.path.lexists(anchor) else []
    return sorted(set(_match(anchor, parts[i:])))


def _links_on(path: str) -> int:
    """How many of the path's components are symbolic links."""
    p, n = Path(path).absolute(), 0
    for q in (p, *p.parents):
        n += q.is_symlink()
    return n


def one_per_file(entries: Iterable[Entry]) -> list[Entry]:
    """``entries`` with one per real file (st_dev, st_ino), in their order: the path through the fewest
    symbolic links stands for the file (the first of those). Entries that cannot be stat'ed all stay."""
    entries = list(entries)
    by_file: dict[tuple[int, int], list[int]] = {}
    for i, e in enumerate(entries):
        try:
            by_file.setdefault(_inode(e.path), []).append(i)
        except OSError:
            pass
    dropped = set()
    for indices in by_file.values():
        if len(indices) > 1:
            keep = min(indices, key=lambda i: (_links_on(entries[i].path), i))
            dropped.update(i for i in indices if i != keep)
    return [e for i, e in enumerate(entries) if i not in dropped]


def read_list(list_path: Path) -> Iterator[Entry]:
    """``@list.txt``: one path, folder or glob per line; blank lines and ``#`` comments skipped.
    Relative lines are taken relative to the list file's folder (so a list travels with its files)."""
    try:
        text = list_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        yield Entry(str(list_path.absolute()), f"list file could not be read ({exc}); check the path after @")
        return
    base = list_path.absolute().parent
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        p = Path(os.path.expanduser(line))
        yield from expand(str(p if p.is_absolute() else base / p), from_list=True)


def expand(arg: str, *, from_list: bool = False) -> Iterator[Entry]:
    """One command-line argument -> entries (not yet de-duplicated)."""
    if arg.startswith("@") and not from_list and not Path(arg).exists():
        yield from read_list(Path(arg[1:]))
        return
    p = Path(arg)
    if p.is_dir():
        yield from walk_folder(p)
    elif p.exists() or p.is_symlink():
        yield Entry(str(p.absolute()))
    elif GLOB_CHARS & set(arg):
        matches = glob_files(arg)
        if not matches:
            yield Entry(
                str(p.absolute()), "the pattern matched no file; check it (quote it so the shell does not expand it)"
            )
        found: list[Entry] = []
        for m in matches:
            mp = Path(m)
            if mp.is_dir():
                found += walk_folder(mp)
            elif not _is_hidden(mp.name):
                found.append(Entry(str(mp.absolute()), found=True))
        yield from one_per_file(found)  # one row per real file, however many matched paths lead to it
    else:
        yield Entry(str(p.absolute()), f"file not found; check the path ({arg})")


def _key(path: str) -> str:
    return os.path.normcase(os.path.normpath(os.path.abspath(path)))


def discover(
    args: Iterable[str],
    *,
    exclude_files: Iterable[str] = (),
    exclude_dirs: Iterable[str] = (),
    extensions: Optional[Collection[str]] = None,
    skipped: Optional[Skipped] = None,
) -> Iterator[Entry]:
    """All entries in order, each path once (the first mention wins).

    ``exclude_files`` / ``exclude_dirs``: the batch's own outputs (store, CSV, reports), which
    must not turn into rows when they sit inside a folder being analysed. ``extensions`` (e.g.
    ``{".wav", ".flac"}``; None: every file): what folders and globs contribute; the files they
    leave out are counted in ``skipped``. A file named on its own is taken whatever its name.
    """
    seen = {_key(p) for p in exclude_files}
    dirs = tuple(_key(d) + os.sep for d in exclude_dirs)
    for arg in args:
        for e in expand(str(arg)):
            key = _key(e.path)
            if key not in seen and not (dirs and key.startswith(dirs)):
                if e.found and e.reason is None and not has_extension(e.path, extensions):
                    if skipped is not None:
                        skipped.add(e.path)
                    continue
                if skipped is not None and skipped.count:
                    skipped.taken(e.path)
                seen.add(key)
                yield e
