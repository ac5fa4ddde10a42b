"""run_batch(): discover -> hash -> skip what is known -> analyse on an executor -> store.

The main process is the only writer of the store. It hashes each file just before handing it
out, so a content that appears twice is analysed once (the later paths are its duplicates) and,
with ``resume``, a content that already has a result is not analysed again. At most a few jobs
per worker are in flight, so memory stays bounded however long the list; results are written
to the store as they arrive and never kept.

Executors share one small interface (submit / wait_one / cancel / close):
  InlineExecutor  ``jobs=1``: in this process (the model loads once, here)
  PoolExecutor    ``jobs>1``: local worker processes (spawned, model loaded once per process);
                  a worker that dies takes its files to a new pool, up to ``retries`` times
  DaskExecutor    ``scheduler=ADDRESS``: a dask.distributed cluster, results via as_completed
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
from concurrent.futures.process import BrokenProcessPool
import hashlib
import json
import multiprocessing as mp
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from .discover import Skipped, discover
from .store import LOCK_SUFFIX, Store, StoreInUseError
from .task import Job, analyse_file, init_worker


@dataclass(frozen=True)
class BatchOptions:
    jobs: int = 1
    weights_dir: Optional[str] = None
    reports_dir: Optional[str] = None
    page_size: str = "A4"
    resume: bool = False
    scheduler: Optional[str] = None  # dask.distributed scheduler address, e.g. tcp://host:8786
    retries: int = 2  # extra attempts for a file whose worker died
    allow_modified: Optional[bool] = None  # run a model bundle that is not the released one (None: the environment)
    # what folders and globs contribute, e.g. core.formats.AUDIO_EXTENSIONS (None: every file); named files always
    extensions: Optional[frozenset[str]] = None


@dataclass(frozen=True)
class FileEvent:
    """One input file is settled. ``status``: analysed | unusable | error | duplicate (of an earlier file
    in this run, analysed once). ``resumed``: the result was already in the store."""

    path: str
    status: str
    verdict: Optional[str] = None
    reason: Optional[str] = None
    sha256: Optional[str] = None
    probability_fake: Optional[float] = None
    resumed: bool = False


def file_digest(path: str, chunk: int = 1 << 20) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while b := f.read(chunk):
            h.update(b)
            size += len(b)
    return h.hexdigest(), size


def current_model_sha256(weights_dir: Optional[str]) -> Optional[str]:
    """The weights' sha256 from the manifest (no torch import), to tell stale results on resume."""
    from ..core.weights import MANIFEST, default_weights_dir

    try:
        d = Path(weights_dir) if weights_dir else default_weights_dir()
        return json.loads((d / MANIFEST).read_text(encoding="utf-8"))["files"]["weights"]["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _crash_row(job: Job, why: str) -> dict[str, Any]:
    return {"path": job.path, "sha256": job.sha256, "outcome": "error", "reason": why}


class InlineExecutor:
    def __init__(self, cancel: Any = None):
        self._queue: collections.deque[Job] = collections.deque()
        self._cancel = cancel
        self.capacity = 1

    @property
    def in_flight(self) -> int:
        return len(self._queue)

    def submit(self, job: Job) -> None:
        self._queue.append(job)

    def wait_one(self) -> dict[str, Any]:
        return analyse_file(self._queue.popleft(), cancel=self._cancel)

    def cancel(self) -> None:
        self._queue.clear()

    def close(self) -> None:
        pass


class PoolExecutor:
    """Local worker processes. Spawned (never forked: the GUI has threads, torch has pools).

    A worker that dies (out of memory, a crash in a decoder) breaks the whole pool, and the
    pool cannot tell whose file did it: every file then in the pool counts one attempt and
    goes to a fresh pool; a file past ``retries`` attempts becomes an error row.
    """

    def __init__(self, jobs: int, options: BatchOptions):
        self.jobs, self.options = jobs, options
        self.capacity = 2 * jobs
        self._ctx = mp.get_context("spawn")
        self._event = self._ctx.Event()
        self._threads = max(1, (os.cpu_count() or 1) // jobs)
        self._futures: dict[cf.Future, Job] = {}
        self._attempts: collections.Counter[str] = collections.Counter()
        self._ready: collections.deque[dict[str, Any]] = collections.deque()  # rows settled by a crash
        self._pool = self._new_pool()

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            max_workers=self.jobs,
            mp_context=self._ctx,
            initializer=init_worker,
            initargs=(self.options.weights_dir, self._threads, self._event, os.getpid()),
        )

    @property
    def in_flight(self) -> int:
        return len(self._futures) + len(self._ready)

    def submit(self, job: Job) -> None:
        self._futures[self._pool.submit(analyse_file, job)] = job

    def wait_one(self) -> dict[str, Any]:
        while not self._ready:
            done = next((f for f in self._futures if f.done()), None)
            if done is None:
                cf.wait(list(self._futures), return_when=cf.FIRST_COMPLETED)
                continue
            job = self._futures.pop(done)
            try:
                return done.result()
            except BrokenProcessPool:
                self._restart_after_crash([job, *self._futures.values()])
        return self._ready.popleft()

    def _restart_after_crash(self, jobs: list[Job]) -> None:
        """A dead worker broke the pool: a fresh pool gets every file that was in it, but one
        that has used up its attempts becomes an error row."""
        self._futures.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()
        for job in jobs:
            self._attempts[job.path] += 1
            if self._attempts[job.path] > self.options.retries:
                self._ready.append(
                    _crash_row(
                        job,
                        f"a worker process died while this file was being analysed "
                        f"({self._attempts[job.path]} times); it may need more memory "
                        f"than a worker has (try fewer --jobs)",
                    )
                )
            else:
                self._futures[self._pool.submit(analyse_file, job)] = job

    def cancel(self) -> None:
        self._event.set()  # running analyses stop at their next block
        for f in self._futures:
            f.cancel()
        self._futures.clear()
        self._ready.clear()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Files go to a dask.distributed cluster; the same task function runs there."""

    def __init__(self, address: str, options: BatchOptions):
        try:
            from distributed import Client, as_completed
        except ImportError:
            from ..core.errors import ForensicError

            raise ForensicError("--scheduler needs dask.distributed: pip install 'forensic-app[cluster]'") from None
        self.options = options
        self.client = Client(address, set_as_default=False)
        threads = sum(self.client.nthreads().values()) or 1
        self.capacity = 2 * threads
        self._ac = as_completed(loop=self.client.loop)
        self._jobs: dict[str, Job] = {}

    @property
    def in_flight(self) -> int:
        return len(self._jobs)

    def submit(self, job: Job) -> None:
        fut = self.client.submit(analyse_file, job, retries=self.options.retries, pure=False)
        self._jobs[fut.key] = job
        self._ac.add(fut)

    def wait_one(self) -> dict[str, Any]:
        fut = next(self._ac)
        job = self._jobs.pop(fut.key)
        try:
            return fut.result()
        except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: the file's workers kept dying
            return _crash_row(job, f"the cluster could not analyse this file ({type(exc).__name__}: {exc})")
        finally:
            fut.release()

    def cancel(self) -> None:
        for fut in list(self._ac.futures):
            fut.cancel()
        self._jobs.clear()
        self._ac.clear()

    def close(self) -> None:
        self.client.close()


def make_executor(options: BatchOptions, cancel: Any = None):
    if options.scheduler:
        return DaskExecutor(options.scheduler, options)
    if options.jobs <= 1:
        return InlineExecutor(cancel)
    return PoolExecutor(options.jobs, options)


def _reusable(existing: Any, model_sha: Optional[str], want_report: bool) -> bool:
    """A stored result that resume may keep: settled, from this model, with its report if one is wanted."""
    if existing["outcome"] == "unusable":
        return True
    if existing["outcome"] != "analysed" or (model_sha and existing["model_sha256"] != model_sha):
        return False
    return not want_report or bool(existing["report_path"] and Path(existing["report_path"]).is_file())


def run_batch(
    inputs: Sequence[str],
    store: Store,
    options: BatchOptions = BatchOptions(),
    *,
    on_started: Optional[Callable[[int], None]] = None,
    on_file: Optional[Callable[[FileEvent], None]] = None,
    cancel: Any = None,
    exclude: Sequence[str] = (),
    skipped: Optional[Skipped] = None,
) -> int:
    """Analyse every input into ``store``; returns the run id (read the rows back with the store).

    Raises StoreInUseError when the store already holds files and ``options.resume`` is off, or when another
    batch is running on it (the store stays locked for this run until it is closed); BundleError when the
    model bundle is not the released one and ``options.allow_modified`` (or the environment) does not allow it.
    ``cancel`` (a CancelToken) stops handing out files and cancels running analyses; the
    run's unfinished files stay ``pending`` for a later ``resume``. ``exclude``: output files
    (CSV, JSON lines) that are not inputs even inside an input folder; the store and the
    reports folder are left out anyway. ``skipped`` counts the files of folders and globs that
    ``options.extensions`` leaves out (they are not rows).
    """
    store.lock_for_batch()
    if not options.resume and not store.is_empty():
        raise StoreInUseError(
            f"{store.path} already holds a batch: pass --resume to continue it (finished files are "
            f"not analysed again), or choose a new --store"
        )
    from ..core.bundle import allow_modified, open_bundle

    allow = allow_modified(options.allow_modified)  # decided here, so that Dask workers elsewhere follow it too
    open_bundle(options.weights_dir, allow=allow)  # refuse a modified bundle before any file is listed
    emit = on_file or (lambda _e: None)
    run = store.begin_run({"inputs": [str(i) for i in inputs], "jobs": options.jobs, "scheduler": options.scheduler})
    own = [str(store.path) + suffix for suffix in ("", "-wal", "-shm", "-journal", LOCK_SUFFIX)] + [
        str(p) for p in exclude
    ]
    total = store.add_files(
        run,
        discover(
            inputs,
            exclude_files=own,
            exclude_dirs=[options.reports_dir] if options.reports_dir else [],
            extensions=options.extensions,
            skipped=skipped,
        ),
    )
    if on_started:
        on_started(total)
    model_sha = current_model_sha256(options.weights_dir)
    if options.reports_dir:
        Path(options.reports_dir).mkdir(parents=True, exist_ok=True)
    executor = make_executor(options, cancel)

    def settle_one() -> None:
        from ..core.errors import Cancelled

        try:
            row = executor.wait_one()
        except Cancelled:  # a running analysis noticed the cancel
            return
        store.save_result(run, row)
        emit(
            FileEvent(
                row["path"],
                row["outcome"],
                row.get("verdict"),
                row.get("reason"),
                row["sha256"],
                row.get("probability_fake"),
            )
        )

    def cancelled() -> bool:
        return cancel is not None and cancel.cancelled

    try:
        for f in store.iter_files(run):
            if cancelled():
                break
            path = f["path"]
            if f["reason"] is not None:
                emit(FileEvent(path, "unusable", reason=f["reason"]))
                continue
            try:
                sha, size = file_digest(path)
            except OSError as exc:
                why = (
                    f"{Path(path).name}: could not be read ({exc.strerror or exc}); check the file and its permissions"
                )
                store.set_hash(path, None, None, why)
                emit(FileEvent(path, "unusable", reason=why))
                continue
            store.set_hash(path, sha, size)
            if store.first_path(run, sha) != path:
                emit(FileEvent(path, "duplicate", sha256=sha))
                continue
            existing = store.result(sha)
            if existing is not None and (
                existing["run"] == run or _reusable(existing, model_sha, bool(options.reports_dir))
            ):
                emit(
                    FileEvent(
                        path,
                        existing["outcome"],
                        existing["verdict"],
                        existing["reason"],
                        sha,
                        existing["probability_fake"],
                        resumed=True,
                    )
                )
                continue
            while executor.in_flight >= executor.capacity and not cancelled():
                settle_one()
            if cancelled():
                break
            executor.submit(
                Job(
                    path,
                    sha,
                    options.weights_dir,
                    options.reports_dir,
                    options.page_size,
                    torch_threads=1 if options.scheduler else None,
                    allow_modified=allow,
                )
            )
        while executor.in_flight and not cancelled():
            settle_one()
    except BaseException:
        executor.cancel()
        raise
    finally:
        if cancelled():
            executor.cancel()
        executor.close()
    if not cancelled():
        store.end_run(run)
    return run
