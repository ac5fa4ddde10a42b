"""Batch analysis for moderation queues: many files, one store, resumable, local or on a cluster.

Headless (no Qt): ``discover`` turns inputs into files, ``store`` keeps rows in SQLite,
``task`` is the per-file function every worker runs, ``runner`` hands files to an executor
(in-process, local processes or dask.distributed), ``export`` writes CSV / JSON lines, and
``command`` is the ``forensic-app batch`` subcommand. For the window's Queue: ``decisions`` keeps the
reviewers' decisions (an append-only log in the same store) and ``triage`` says what a row shows, how rows
sort and filter, and what Space plays.
"""

from .discover import Entry, discover
from .runner import BatchOptions, FileEvent, run_batch
from .store import Store, StoreInUseError

__all__ = ["BatchOptions", "Entry", "FileEvent", "Store", "StoreInUseError", "discover", "run_batch"]
