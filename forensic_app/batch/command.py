"""``forensic-app batch``: the command-line face of :func:`run_batch` (one progress bar, a summary).

Exit codes: 0 every file analysed, 3 some files unusable (the count is printed; the rows say
why), 2 the batch cannot run as asked (an output over an input, an unwritable folder, a store that
holds or runs another batch, a refused model bundle: one line on stderr), 1 internal error (in the
batch or for some file), 130 interrupted by Ctrl+C or SIGTERM (-o / --jsonl are still written, whole, with
what finished and the rest as 'pending'; ``--resume`` goes on).
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_SOME_UNUSABLE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

HELP = (
    "analyse many files (folders, @lists, globs) into an SQLite store, CSV and JSON lines; "
    "resumable, parallel, or on a Dask cluster"
)


def register(subparsers, common_options) -> None:
    """Add the subcommand; ``common_options(parser[, progress_help])`` is the CLI's --weights/--progress."""
    b = subparsers.add_parser(
        "batch",
        help=HELP,
        description=HELP + ". Every input becomes exactly one row; a file "
        "that cannot be analysed becomes a row with the reason.",
    )
    b.add_argument(
        "inputs",
        nargs="*",
        metavar="PATH",
        help="audio file, folder (recursive), @list.txt (one path per line) or glob ('music/**/*.mp3')",
    )
    b.add_argument(
        "--rescore",
        action="store_true",
        help="apply today's generator profiles (built-in, and yours unless --no-user-profiles) to the "
        "finished batch in --store, without decoding anything; then write -o / --jsonl",
    )
    b.add_argument(
        "--ext",
        metavar="EXT[,EXT...]",
        help="which files folders and globs contribute (default: the audio formats the app reads: wav, "
        "flac, mp3, ogg, opus, m4a, aiff, ...); e.g. --ext wav,flac, or --ext '*' for every file. "
        "The others are counted in the summary, not rows; a file named on its own is always analysed",
    )
    b.add_argument("-o", "--output", metavar="results.csv", help="write the table as CSV ('-' for stdout)")
    b.add_argument("--jsonl", metavar="results.jsonl", help="write one JSON object per file")
    b.add_argument(
        "--reports", metavar="DIR", help="also write a PDF report per analysed file (<name>-<sha256 prefix>.pdf)"
    )
    b.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="worker processes on this machine (default 1; with --rescore: scoring processes)",
    )
    b.add_argument(
        "--resume",
        action="store_true",
        help="continue the batch in --store: files with a result are not analysed again",
    )
    b.add_argument(
        "--store",
        metavar="FILE.sqlite",
        help="where results are kept (default: beside -o / --jsonl, else ./forensic-batch.sqlite)",
    )
    b.add_argument("--scheduler", metavar="ADDRESS", help="run on a dask.distributed cluster (tcp://host:8786)")
    b.add_argument("--retries", type=int, default=2, help="extra attempts for a file whose worker died (default 2)")
    b.add_argument("--page-size", choices=["A4", "letter"], default="A4")
    common_options(b)
    b.set_defaults(func=cmd_batch)


def default_store(args) -> Path:
    if args.store:
        return Path(args.store)
    for out in (args.output, args.jsonl):
        if out and out != "-":
            return Path(out).with_suffix(".sqlite")
    return Path("forensic-batch.sqlite")


class ProgressDisplay:
    """One tqdm bar over the files, with counts per verdict (whatever verdicts the core returns)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.counts: collections.Counter[str] = collections.Counter()
        self.bar: Any = None

    def started(self, total: int) -> None:
        if self.enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="file", file=sys.stderr, dynamic_ncols=True, smoothing=0.05)

    def file_done(self, event) -> None:
        key = event.verdict if event.status == "analysed" and event.verdict else event.status
        self.counts[key] += 1
        if self.bar is not None:
            self.bar.set_postfix_str(" ".join(f"{k}={v}" for k, v in sorted(self.counts.items())), refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _warn_if_modified(weights: Optional[str]) -> None:
    """One line on stderr when --allow-modified-model lets a bundle that is not the released one run."""
    from ..core.bundle import MODIFIED_WORDS, allow_modified, open_bundle
    from ..core.errors import ForensicError

    if not allow_modified():
        return
    try:
        check = open_bundle(weights, allow=True)
    except ForensicError:  # run_batch says what is wrong
        return
    if check.modified:
        print(
            f"warning: {MODIFIED_WORDS}: the bundle in {check.directory} is not the released one; every row carries "
            "the note code modified_model",
            file=sys.stderr,
        )


@contextlib.contextmanager
def _on_signals(handler: Callable[[int, Any], None]) -> Iterator[None]:
    """SIGINT (Ctrl+C) and SIGTERM (``kill``, a service manager) go to ``handler`` while the block runs, then the
    handlers before come back. Only the main thread may set handlers; elsewhere (the window) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = [signal.SIGINT, signal.SIGTERM]
    before = {s: signal.getsignal(s) for s in signals}
    for s in signals:
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, h in before.items():
            signal.signal(s, h)


class _Stop:
    """What SIGINT and SIGTERM do to a batch: while files are analysed, stop it (KeyboardInterrupt: the
    runner cancels what is running, and what finished is in the store); once the outputs are being written
    (``deferred``), wait for them, so that an interrupted batch still leaves whole -o / --jsonl files."""

    def __init__(self) -> None:
        self.deferred = self.interrupted = False

    def on_signal(self, _signum: int, _frame: Any) -> None:
        self.interrupted = True
        if not self.deferred:
            raise KeyboardInterrupt


def cmd_rescore(args) -> int:
    """``batch --rescore --store FILE.sqlite [-o results.csv] [--jsonl results.jsonl]`` (see batch/rescore.py)."""
    from ..core.errors import BundleError, ForensicError
    from .export import write_csv, write_jsonl
    from .guard import check_batch_outputs
    from .rescore import rescore_store
    from .store import Store, StoreInUseError

    if args.inputs or args.resume or args.reports:
        print(
            "error: --rescore takes no inputs, --resume or --reports: it re-scores the files already in --store",
            file=sys.stderr,
        )
        return EXIT_INPUT
    if not args.store or not Path(args.store).is_file():
        print(
            f"error: --rescore needs the store of a finished batch: --store FILE.sqlite"
            f"{f' ({args.store} does not exist)' if args.store else ''}",
            file=sys.stderr,
        )
        return EXIT_INPUT
    try:
        check_batch_outputs([], csv=args.output, jsonl=args.jsonl, store=Path(args.store), reports_dir=None)
    except ForensicError as exc:
        from ..core.outputs import printable

        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_INPUT
    try:
        store = Store(args.store)
    except Exception as exc:  # noqa: BLE001 - sqlite3.DatabaseError, OSError
        print(f"error: cannot open the store {args.store} ({exc})", file=sys.stderr)
        return EXIT_INPUT
    with store:
        try:
            summary = rescore_store(store, weights_dir=args.weights, jobs=args.jobs)
        except (StoreInUseError, BundleError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_INPUT
        except ForensicError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_INTERNAL
        if summary.run is None:
            print(f"error: {args.store} holds no batch to re-score", file=sys.stderr)
            return EXIT_INPUT
        try:
            if args.output:
                write_csv(store, summary.run, args.output)
            if args.jsonl:
                write_jsonl(store, summary.run, args.jsonl)
        except OSError as exc:
            print(
                f"error: could not write {exc.filename or 'the results'}: {exc.strerror or exc}. The new verdicts "
                f"are kept in {args.store}",
                file=sys.stderr,
            )
            return EXIT_INPUT
    out = sys.stderr if args.output == "-" or args.jsonl == "-" else sys.stdout
    print("\n".join(summary.lines()), file=out)
    print(f"store: {os.path.abspath(args.store)}", file=out)
    return EXIT_OK


def cmd_batch(args) -> int:
    from ..core.errors import BundleError, ForensicError
    from .export import summary_lines, write_csv, write_jsonl
    from .runner import BatchOptions, run_batch
    from .store import Store, StoreInUseError

    if args.rescore:
        return cmd_rescore(args)
    if not args.inputs:
        print("error: give the files or folders to analyse (or --rescore --store FILE.sqlite)", file=sys.stderr)
        return EXIT_INPUT
    if args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return EXIT_INPUT
    from ..core.formats import AUDIO_EXTENSIONS, parse_extensions
    from .discover import Skipped

    try:
        extensions = AUDIO_EXTENSIONS if args.ext is None else parse_extensions(args.ext)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    skipped = Skipped(extensions or ())
    store_path = default_store(args)
    try:  # before the store is opened or anything analysed: no output over an input, none over another
        from .guard import check_batch_outputs

        check_batch_outputs(
            args.inputs,
            csv=args.output,
            jsonl=args.jsonl,
            store=store_path,
            reports_dir=args.reports,
            extensions=extensions,
        )
    except ForensicError as exc:
        from ..core.outputs import printable

        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_INPUT
    options = BatchOptions(
        jobs=args.jobs,
        weights_dir=args.weights,
        reports_dir=args.reports,
        page_size=args.page_size,
        resume=args.resume,
        scheduler=args.scheduler,
        retries=max(0, args.retries),
        extensions=extensions,
    )
    progress = ProgressDisplay(sys.stderr.isatty() if args.progress is None else args.progress)
    t0 = time.monotonic()
    try:
        store = Store(store_path)
    except Exception as exc:  # noqa: BLE001 - sqlite3.DatabaseError, OSError
        print(f"error: cannot open the store {store_path} ({exc}); choose another --store", file=sys.stderr)
        return EXIT_INPUT

    def started(total: int) -> None:  # the store is this batch's now, and the bundle was accepted
        _warn_if_modified(args.weights)
        progress.started(total)

    run: Optional[int] = None
    stop = _Stop()
    with _on_signals(stop.on_signal):
        try:
            run = run_batch(
                args.inputs,
                store,
                options,
                on_started=started,
                on_file=progress.file_done,
                exclude=[o for o in (args.output, args.jsonl) if o and o != "-"],
                skipped=skipped,
            )
            stop.deferred = True
        except (StoreInUseError, BundleError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_INPUT
        except KeyboardInterrupt:  # Ctrl+C or SIGTERM: what finished is in the store, and goes to -o / --jsonl below
            stop.deferred, stop.interrupted, run = True, True, store.current_run
            if run is None:
                print("interrupted before the batch began; run the same command again", file=sys.stderr)
                store.close()
                return EXIT_INTERRUPTED
        except ForensicError as exc:
            progress.close()
            print(f"error: {exc}", file=sys.stderr)
            store.close()
            return EXIT_INTERNAL
        except Exception as exc:  # noqa: BLE001 - e.g. no Dask scheduler at --scheduler: one line, no traceback
            progress.close()
            if os.environ.get("FORENSIC_APP_DEBUG"):
                import traceback

                traceback.print_exception(exc)
            print(
                f"error: the batch stopped: {type(exc).__name__}: {exc}. Finished files are kept in {store_path}; "
                f"fix the cause and run again with --resume (set FORENSIC_APP_DEBUG=1 for details)",
                file=sys.stderr,
            )
            store.close()
            return EXIT_INTERNAL
        finally:
            progress.close()
        with store:
            try:
                if args.output:
                    write_csv(store, run, args.output)
                if args.jsonl:
                    write_jsonl(store, run, args.jsonl)
            except OSError as exc:  # a read-only or full disk: the user's to fix, one line, exit 2
                print(
                    f"error: could not write {exc.filename or 'the results'}: {exc.strerror or exc}. The results "
                    f"are kept in {store_path}; run again with --resume and another -o/--jsonl",
                    file=sys.stderr,
                )
                return EXIT_INPUT
            counts = store.counts(run)
            audio_s = store.audio_seconds_analysed(run)
    out = sys.stderr if args.output == "-" or args.jsonl == "-" else sys.stdout
    print("\n".join(summary_lines(counts, time.monotonic() - t0, audio_s)), file=out)
    if skipped.count:
        print(skipped.words(), file=out)
    print(f"store: {os.path.abspath(store_path)}", file=out)
    if stop.interrupted:
        written = " and ".join(o for o in (args.output, args.jsonl) if o and o != "-")
        settled = counts.get("files", 0) - counts.get("pending", 0)
        print(
            f"interrupted: {settled} of {counts.get('files', 0)} files finished"
            + (f"; {written} list them (the others as 'pending')" if written else "")
            + f"; they are kept in {store_path}: run the same command with --resume to go on",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if counts.get("error"):
        print(
            f"{counts['error']} file(s) failed with an internal error (see the 'error' column); --resume retries them",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    if counts.get("unusable"):
        print(f"{counts['unusable']} file(s) could not be analysed (see the 'error' column)", file=sys.stderr)
        return EXIT_SOME_UNUSABLE
    return EXIT_OK
