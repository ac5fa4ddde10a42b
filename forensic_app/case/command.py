"""``forensic-app case``: make a case from files, or write the report of a saved one.

    forensic-app case NEW.facase FILE [FILE...] [--label vocals=PATH ...] [--report case.pdf] [--align]
    forensic-app case EXISTING.facase [--report X.pdf] [--relink FOLDER] [--align]

Making a case analyses every file (progress on stderr) and never replaces an existing case
file unless --force. Opening a saved case analyses nothing that is unchanged: files whose
content or model changed are analysed again (and said so), the case is saved with the new
results, and missing files keep their saved result with a warning.

Exit codes: 0 done, 2 something the user can fix (message on stderr), 1 internal error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2
HELP = "analyse stems or versions of one track together into a case file (.facase), or report on a saved case"


def register(subparsers, common_options) -> None:
    """Add the subcommand; ``common_options(parser[, progress_help])`` is the CLI's --weights/--progress."""
    c = subparsers.add_parser(
        "case",
        help=HELP,
        description=HELP + ". Without FILEs, opens CASE and writes its "
        "report from the saved analyses (files that changed are analysed again).",
    )
    c.add_argument("case", metavar="CASE.facase")
    c.add_argument("files", nargs="*", metavar="FILE", help="audio files for a new case; the first is the reference")
    c.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="LABEL=PATH",
        help="name a file's lane, e.g. --label vocals=stems/vox.wav (the file is added if not listed)",
    )
    c.add_argument(
        "--separated",
        action="append",
        default=[],
        metavar="LABEL_OR_PATH",
        help="mark a lane as a stem made by a source separator (not exported from the project)",
    )
    c.add_argument("--title", default="", help="a title for a new case")
    c.add_argument(
        "--align", action="store_true", help="find each file's offset against the first by cross-correlation"
    )
    c.add_argument("--relink", metavar="FOLDER", help="look for moved files of a saved case in FOLDER (by SHA-256)")
    c.add_argument("--report", metavar="OUT.pdf", help="write the case report")
    c.add_argument("--force", action="store_true", help="replace an existing case file (new case) or report")
    c.add_argument("--page-size", choices=["A4", "letter"], default="A4")
    c.add_argument("--show-path", action="store_true", help="print the files' full paths in the report")
    common_options(c, "always show per-file progress on stderr")
    c.set_defaults(func=cmd_case)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class _LaneProgress:
    """'vocals: Decoding and scanning 40 %' on one stderr line, when enabled."""

    def __init__(self, enabled: bool):
        self.enabled, self._last = enabled, ""

    def __call__(self, progress) -> None:
        if self.enabled:
            line = f"\r{progress.stage[:60]:<60} {int(progress.fraction * 100):3d}%"
            if line != self._last:
                sys.stderr.write(line)
                sys.stderr.flush()
                self._last = line

    def close(self) -> None:
        if self.enabled and self._last:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _parse_labels(items: list[str]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for item in items:
        label, sep, path = item.partition("=")
        if not sep or not label.strip() or not path:
            raise ValueError(f"--label {item!r}: write it as LABEL=PATH, e.g. --label vocals=stems/vocals.wav")
        labels[os.path.abspath(path)] = label.strip()
    return labels


def _run_files(case_path, files):
    """The files a case command reads or writes besides its report: the lanes' audio and the case file."""
    from forensic_app.core.outputs import FileSet

    run = FileSet(files)
    run.add(case_path, "the case file")
    return run


def _new(args, progress: _LaneProgress):
    from forensic_app.core.outputs import check_output

    from .build import default_label, new_case
    from .document import SUFFIX

    target = Path(args.case)
    labels = _parse_labels(args.label)
    files = [os.path.abspath(f) for f in args.files]
    files += [p for p in labels if p not in files]
    # before any analysis: neither the case nor the report may be one of the files (--force or not)
    check_output(target, inputs=files, overwrite=True, what="the case", suffix=SUFFIX, tag="case")
    if target.exists() and not args.force:
        raise FileExistsError(
            f"{target} already exists: pass --force to replace it, or give it without FILEs to "
            "write the report of the saved case"
        )
    if args.report:
        check_output(args.report, inputs=_run_files(target, files), overwrite=args.force)
    by_label = {default_label(f): f for f in files}
    by_label.update({v: k for k, v in labels.items()})
    separated = []
    for x in args.separated:  # a lane's label (given or taken from the file name) or one of the files
        path = by_label.get(x, os.path.abspath(x))
        if path not in files:
            raise ValueError(
                f"--separated {x!r} names no file of this case: give a lane's label "
                f"({', '.join(sorted(by_label))}) or one of the files"
            )
        separated.append(path)
    _say(f"Analysing {len(files)} file(s) into {target}")
    return new_case(
        files, labels=labels, separated=separated, weights_dir=args.weights, title=args.title, on_progress=progress
    )


def _reopen(args, progress: _LaneProgress):
    from .build import refresh_case
    from .document import load_case
    from .reopen import reconcile, relink

    case = load_case(args.case)
    if args.report:  # before analysing changed lanes again
        from forensic_app.core.outputs import check_output

        check_output(
            args.report, inputs=_run_files(args.case, [lane.path for lane in case.lanes]), overwrite=args.force
        )
    changed = False
    if args.relink:
        for lane_id, path in relink(case, args.relink).items():
            _say(f"{case.lane(lane_id).label}: found at {path} (same SHA-256)")
            changed = True
    statuses = reconcile(case, args.weights)
    for s in statuses:
        if s.state != "ok":
            _say(s.message)
    todo = [s for s in statuses if s.needs_analysis]
    kept = [s for s in statuses if s.state == "ok"]
    if kept:
        _say(f"From the saved analyses (same file bytes, same model): {', '.join(s.label for s in kept)}")
    if todo:
        _say(f"Analysing again: {', '.join(s.label for s in todo)} (the other lanes keep their saved results)")
        refresh_case(case, weights_dir=args.weights, statuses=todo, on_progress=progress)
        changed = True
    return case, changed


def cmd_case(args) -> int:
    from forensic_app.core.errors import ForensicError, UnusableInputError
    from forensic_app.core.outputs import OutputError

    from .document import CaseFileError, save_case

    progress = _LaneProgress(sys.stderr.isatty() if args.progress is None else args.progress)
    try:
        creating = bool(args.files or args.label)
        if creating:
            case, changed = _new(args, progress), True
        else:
            case, changed = _reopen(args, progress)
        progress.close()
        if args.align:
            from .build import align_lanes

            for words in align_lanes(case).values():
                _say(words)
            changed = True
        if changed:
            save_case(case, args.case)
            _say(f"Case {'written to' if creating else 'updated in'} {args.case}")
        from .summary import summarize

        summary = summarize(case)
        print(summary.sentence)
        for row in summary.rows:
            print(
                f"  {row.label} ({row.file_name}): {row.verdict_clause}, {row.probability}"
                + (f" ({row.interval})" if row.interval else "")
                + f"; patch CNN {row.cnn}; comb {row.comb}; fakeprint {row.fakeprint}"
            )
        if args.report:
            from .report import write_case_report

            out = write_case_report(
                case,
                args.report,
                page_size=args.page_size,
                overwrite=args.force,
                include_path=args.show_path,
                inputs=_run_files(args.case, []),
            )
            _say(f"Report written to {out}")
        return EXIT_OK
    except (FileExistsError, ValueError) as exc:
        progress.close()
        _say(f"error: {exc}")
        return EXIT_INPUT
    except ForensicError as exc:
        progress.close()
        _say(f"error: {exc}")
        fixable = isinstance(exc, (UnusableInputError, CaseFileError, OutputError))
        return EXIT_INPUT if fixable else EXIT_INTERNAL
