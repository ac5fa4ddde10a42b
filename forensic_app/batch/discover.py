"""Turn what a moderator typed (files, folders, ``@lists``, globs) into one ordered list of files.

Nothing is dropped silently: a path that does not exist, a glob that matches nothing or a list
file that cannot be read becomes an :class:`Entry` with a ``reason``, so it ends up as a row in
the results. Folders are walked recursively (hidden files and folders skipped, names sorted);
every regular file inside is taken, audio or not, because a cover image or a text file in a
delivery is worth a row that says "not audio" rather than a silent gap.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Optional

GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class Entry:
    """One input of the batch: an absolute ``path``, and why it cannot be analysed when known already."""

    path: str
    reason: Optional[str] = None


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def walk_folder(folder: Path) -> Iterator[Entry]:
    """Every regular, non-hidden file under ``folder``, depth first, names sorted; symlinked folders
    are not followed (a link loop must not hang a batch)."""
    unreadable: list[Entry] = []

    def on_error(err: OSError) -> None:
        unreadable.append(Entry(str(Path(err.filename or folder).absolute()),
                                f"folder could not be read ({err.strerror or err}); check its permissions"))

    for root, dirs, files in os.walk(folder, onerror=on_error):
        yield from unreadable
        unreadable.clear()
        dirs[:] = sorted(d for d in dirs if not _is_hidden(d))
        for name in sorted(files):
            if not _is_hidden(name):
                yield Entry(str(Path(root, name).absolute()))
    yield from unreadable


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
        matches = sorted(glob.glob(arg, recursive=True))
        if not matches:
            yield Entry(str(p.absolute()), "the pattern matched no file; check it (quote it so the shell does not expand it)")
        for m in matches:
            mp = Path(m)
            if mp.is_dir():
                yield from walk_folder(mp)
            elif not _is_hidden(mp.name):
                yield Entry(str(mp.absolute()))
    else:
        yield Entry(str(p.absolute()), f"file not found; check the path ({arg})")


def _key(path: str) -> str:
    return os.path.normcase(os.path.normpath(os.path.abspath(path)))


def discover(args: Iterable[str], *, exclude_files: Iterable[str] = (), exclude_dirs: Iterable[str] = ()) -> Iterator[Entry]:
    """All entries in order, each path once (the first mention wins).

    ``exclude_files`` / ``exclude_dirs``: the batch's own outputs (store, CSV, reports), which
    must not turn into rows when they sit inside a folder being analysed.
    """
    seen = {_key(p) for p in exclude_files}
    dirs = tuple(_key(d) + os.sep for d in exclude_dirs)
    for arg in args:
        for e in expand(str(arg)):
            key = _key(e.path)
            if key not in seen and not (dirs and key.startswith(dirs)):
                seen.add(key)
                yield e
