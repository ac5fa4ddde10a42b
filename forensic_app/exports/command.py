"""``forensic-app export`` and ``forensic-app import-labels``: thin clients of the exports package.

    forensic-app export FILE_OR_CASE --format audacity|sv|jams -o OUT [--lane LABEL] [--force]
    forensic-app import-labels CASE.facase LABELS.txt [--lane LABEL] [--author NAME]

``export`` on an audio file analyses it first (the same analysis as ``analyze``); on a ``.facase`` it
uses the saved analysis and the annotations of one lane (the reference lane unless ``--lane``), and
analyses nothing. ``import-labels`` adds an Audacity label track to a case as annotations and saves
the case. Exit codes: 0 done, 2 something the user can fix (one line on stderr), 1 internal error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2
EXPORT_HELP = "write an analysis' regions or a case's annotations for Audacity, Sonic Visualiser or JAMS"
IMPORT_HELP = "add an Audacity label track to a case as annotations"


def register(subparsers, common_options, analyze_file: Callable) -> None:
    """Add both subcommands. ``analyze_file(path, args) -> AnalysisResult`` is the CLI's own analysis."""
    e = subparsers.add_parser("export", help=EXPORT_HELP, description=EXPORT_HELP + ".")
    e.add_argument("source", metavar="FILE_OR_CASE", help="an audio file (analysed first) or a .facase")
    e.add_argument(
        "--format",
        required=True,
        choices=["audacity", "sv", "jams"],
        help="audacity: label track with frequency ranges (.txt); sv: Sonic Visualiser layer file (.svl); "
        "jams: JAMS (.jams)",
    )
    e.add_argument("-o", "--output", required=True, metavar="OUT")
    e.add_argument("--lane", help="for a case: the lane to export (label, lane id or file name; default: the first)")
    e.add_argument("--force", action="store_true", help="replace OUT if it exists")
    common_options(e)
    e.set_defaults(func=lambda args: cmd_export(args, analyze_file))

    i = subparsers.add_parser("import-labels", help=IMPORT_HELP, description=IMPORT_HELP + " and save the case.")
    i.add_argument("case", metavar="CASE.facase")
    i.add_argument("labels", metavar="LABELS.txt", help="a label track exported by Audacity")
    i.add_argument("--lane", help="the lane whose time the labels are in (default: the whole case)")
    i.add_argument("--author", default="", help="who made the labels")
    i.set_defaults(func=cmd_import_labels)


def _fail(exc: Exception) -> int:
    from forensic_app.core.errors import ForensicError
    from forensic_app.exports.audacity import LabelFileError

    user = isinstance(exc, (ForensicError, LabelFileError, ValueError, OSError))
    print(f"error: {exc}", file=sys.stderr)
    return EXIT_INPUT if user else EXIT_INTERNAL


def cmd_export(args, analyze_file: Callable) -> int:
    from forensic_app.case.document import SUFFIX, load_case
    from forensic_app.core.outputs import check_output, printable
    from forensic_app.exports.case_labels import FORMATS, export_regions, find_lane, lane_regions
    from forensic_app.exports.regions import result_regions

    suffix = FORMATS[args.format]
    try:
        check_output(
            args.output,
            inputs=[args.source],
            overwrite=args.force,
            what="the export",
            suffix=suffix,
            tag="export",
            option="-o",
        )
        if Path(args.source).suffix.lower() == SUFFIX:
            case = load_case(args.source)
            lane = find_lane(case, args.lane)
            regions, result = lane_regions(case, lane), lane.result
            inputs = [args.source, *(f.path for f in case.lanes)]
            title = lane.label or lane.name
        else:
            result = analyze_file(args.source, args)
            regions, inputs, title = result_regions(result), [args.source], Path(args.source).name
        out = export_regions(
            regions,
            args.format,
            args.output,
            inputs=inputs,
            overwrite=args.force,
            title=title,
            sample_rate=result.input.sample_rate if result else 44100,
            duration_s=result.input.duration_s if result else max((r.end_s for r in regions), default=0.0),
            sha256=result.input.file_sha256 if result else "",
        )
    except Exception as exc:  # noqa: BLE001 - one line, exit 2 or 1
        return _fail(exc)
    print(f"{len(regions)} region(s) written to {printable(out)}", file=sys.stderr)
    return EXIT_OK


def cmd_import_labels(args) -> int:
    from forensic_app.case.document import load_case, save_case
    from forensic_app.core.outputs import printable
    from forensic_app.exports.case_labels import find_lane, import_audacity_labels

    try:
        case = load_case(args.case)
        lane = find_lane(case, args.lane).lane_id if args.lane else None
        added = import_audacity_labels(case, args.labels, lane=lane, author=args.author)
        save_case(case, args.case)
    except Exception as exc:  # noqa: BLE001
        return _fail(exc)
    print(f"{len(added)} annotation(s) added to {printable(args.case)}", file=sys.stderr)
    return EXIT_OK
