"""What a batch may write, checked before the store is opened or any file analysed.

The batch's outputs (``-o``, ``--jsonl``, ``--store``, ``--reports``) go through the one output
guard (:mod:`forensic_app.core.outputs`) and two rules of their own:

- An output never replaces a file of the batch (an input by any name or link), and ``-o``,
  ``--jsonl`` and the store are three different files. A CSV, JSON lines file or store that an
  earlier batch wrote inside an input folder is recognised by its first bytes: it is an output,
  not an input (discovery skips it), and is written again.
- The reports folder holds no input: a folder that is (or contains) a folder being analysed, or
  a file named as an input, is refused. It may sit inside an input folder; the reports in it
  (``<name>-<sha256 prefix>.pdf``) are never taken as inputs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Collection, Optional, Sequence

from ..core.outputs import FileSet, OutputError, OutputIsInputError, check_output, printable
from .discover import discover

STORE_SIDECARS = ("-wal", "-shm", "-journal")
_REPORT_NAME = re.compile(r"^.+-[0-9a-f]{12}\.pdf$")
_OWN_HEADS = (b"SQLite format 3\x00", b"path,status,verdict,", b'{"path": ')


def _written_by_a_batch(path: str) -> bool:
    """A store, CSV or JSON lines file as a batch writes them (told by their first bytes)."""
    try:
        with open(path, "rb") as f:
            head = f.read(32)
    except OSError:
        return False
    return head.startswith(_OWN_HEADS)


def _inside(path: str, folder_real: str) -> bool:
    real = os.path.realpath(path)
    return real == folder_real or real.startswith(folder_real.rstrip(os.sep) + os.sep)


def check_batch_outputs(
    inputs: Sequence[str],
    *,
    csv: Optional[str],
    jsonl: Optional[str],
    store: Path,
    reports_dir: Optional[str],
    extensions: Optional[Collection[str]] = None,
) -> None:
    """Raise :class:`OutputError` (one line that says what to change) when the batch would write over one
    of its inputs, write two outputs to one file, or put its reports among its inputs. ``extensions``: what
    the batch takes from folders and globs (see :func:`~.discover.discover`)."""
    outputs = {opt: str(p) for opt, p in (("-o", csv), ("--jsonl", jsonl)) if p and p != "-"}
    for opt, target in outputs.items():
        suffix = ".csv" if opt == "-o" else ".jsonl"
        check_output(
            target,
            overwrite=True,
            what="the results",
            suffix=suffix,
            tag="results",
            option=opt,
            make_folder=True,
            has_force=False,
        )
    named = {**outputs, "--store": str(store)}
    seen = FileSet()
    for opt, target in named.items():
        other = seen.find(target)
        if other is not None:
            first = next(o for o, t in named.items() if t == other)
            store_words = " (the store is --store, by default the -o name ending in .sqlite)" * (opt == "--store")
            raise OutputError(f"{first} and {opt} both name {printable(target)}: give each its own file{store_words}.")
        seen.add(target)
    if reports_dir and Path(reports_dir).exists() and not Path(reports_dir).is_dir():
        raise OutputError(
            f"--reports {printable(reports_dir)} is a file, not a folder: give a folder for the reports, e.g. reports."
        )
    existing = {opt: t for opt, t in named.items() if os.path.lexists(t)}
    reports_real = os.path.realpath(reports_dir) if reports_dir and Path(reports_dir).is_dir() else None
    if not existing and reports_real is None:
        return  # an output that does not exist yet cannot be an input
    own = FileSet(existing.values())
    sidecars = {os.path.abspath(str(store) + s) for s in STORE_SIDECARS}
    for entry in discover(inputs, extensions=extensions):
        if entry.reason is not None or os.path.abspath(entry.path) in sidecars:
            continue
        hit = own.find(entry.path)
        if hit is not None and not _written_by_a_batch(entry.path):
            opt = next(o for o, t in existing.items() if t == hit)
            suffix = {"-o": ".csv", "--jsonl": ".jsonl"}.get(opt, ".sqlite")
            check_output(
                hit, inputs=[entry.path], what="the results", suffix=suffix, tag="results", option=opt, has_force=False
            )
        if (
            reports_real is not None
            and _inside(entry.path, reports_real)
            and hit is None
            and not _REPORT_NAME.match(os.path.basename(entry.path))
        ):
            raise OutputIsInputError(
                f"--reports {printable(reports_dir)} holds {printable(entry.path)}, a file this batch analyses: give "
                f"the reports a folder of their own, e.g. {printable(Path(reports_dir).name or 'batch')}-reports (a "
                f"new folder inside an input folder is fine: reports are never taken as inputs)."
            )
