"""Command line: ``forensic-app [FILE]`` opens the GUI; subcommands work headless. A first word that is
neither a command nor an existing file or folder is a typo (``analyse``): one line, exit 2.

Exit codes: 0 success, 2 unusable input (one-line message on stderr), 1 internal error; ``verify``:
3 when the report does not verify (the line says what differs).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

from . import __version__

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_NOT_VERIFIED = 0, 1, 2, 3
COMMANDS = ("analyze", "batch", "case", "report", "gui", "verify", "profile", "export", "import-labels")
SUBCOMMANDS = {*COMMANDS, "data", "train", "calibrate", "evaluate", "-h", "--help", "--version"}


def _prepare_env() -> None:
    """Settings that must precede heavy imports (torch threads, numba cache)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if "NUMBA_CACHE_DIR" not in os.environ:
        try:
            import platformdirs

            os.environ["NUMBA_CACHE_DIR"] = str(Path(platformdirs.user_cache_dir("forensic_app")) / "numba")
        except Exception:  # noqa: BLE001 - a cache location is an optimisation only
            pass


class ProgressBar:
    """A one-line progress bar on stderr, shown only once work has taken over a second."""

    def __init__(self, enabled: bool, label: str = "", stream=None):
        self.enabled, self.label = enabled, label
        self.stream = stream or sys.stderr
        self.t0 = time.monotonic()
        self.shown = False
        self._last = -1

    def __call__(self, progress) -> None:
        if not self.enabled or time.monotonic() - self.t0 < 1.0:
            return
        pct = int(progress.fraction * 100)
        if pct == self._last:
            return
        self._last = pct
        filled = pct * 30 // 100
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {pct:3d}% {progress.stage:<28}")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def _progress_enabled(args) -> bool:
    if args.progress is not None:
        return args.progress
    return sys.stderr.isatty()


def _human(result) -> str:
    from .core.outputs import printable
    from .core.vocabulary import (
        HELD_WORDS,
        MODIFIED_MODEL_NOTE,
        PROBABILITY_LABEL,
        format_probability,
        probability_text,
    )

    lines = [
        f"{printable(os.path.abspath(result.input.path))}: {result.verdict_words}",
        *[f"  {n.text}" for n in result.notes if n.code == MODIFIED_MODEL_NOTE],  # second line, not among the notes
        # what the file itself declares: beside the verdict, never inside it
        *([f"  {result.declaration_headline}"] if result.declaration_headline else []),
        f"  {PROBABILITY_LABEL.lower().replace('probability', 'Probability', 1)}: "
        f"{probability_text(result.probability_fake, result.interval, result.held)}"
        + (f". {HELD_WORDS[result.held]}" if result.held else ""),
        f"  {result.coverage_line}",
        f"  sha256 {result.input.file_sha256}",
    ]
    for d in result.detectors:
        lines.append(f"  {d.title}: {d.summary}")
    from .report.decision import decide  # the notes as the report words them: none contradicts the verdict (#26)

    for n in decide(result).notes:
        if n.code != MODIFIED_MODEL_NOTE:
            lines.append(f"  [{n.severity}] {n.text}")
    if result.robustness is not None:
        from .core.robustness import points_change, reference_probability

        p0 = reference_probability(result.probability_fake, result.robustness)
        lines.append("  Robustness (the same analysis on manipulated copies):")
        for row in result.robustness:
            p = row.get("probability_fake")
            value = row.get("note", "not run") if p is None else f"{format_probability(p)} ({points_change(p, p0)})"
            lines.append(f"    {row['manipulation']}: {value}")
    return "\n".join(lines)


def _analyzer(args):
    """The command's one Analyzer (forensic_app.api): the model bundle is loaded and verified once."""
    if getattr(args, "_analyzer", None) is None:
        from .api import Analyzer

        args._analyzer = Analyzer(args.weights)
    return args._analyzer


def _analyze_file(f: str, args):
    """Analyzer.analyze(), then the robustness check when asked for; each with its own progress bar."""
    import dataclasses

    analyzer = _analyzer(args)
    bar = ProgressBar(_progress_enabled(args), Path(f).name[:24])
    try:
        result = analyzer.analyze(f, on_progress=bar)
    finally:
        bar.close()
    if getattr(args, "robustness", False):
        bar = ProgressBar(_progress_enabled(args), ("robustness " + Path(f).name)[:24])
        try:
            result = dataclasses.replace(result, robustness=analyzer.check_robustness(f, on_progress=bar))
        finally:
            bar.close()
    return result


def _refuse_report_target(args) -> int:
    """Check before a long analysis that the report may be written at all: not over a file being analysed
    (whatever --force says), not a folder, not over an existing file without --force. With several files
    each report gets its own name (OUT-<name>-<sha256 prefix>.pdf), checked again when it is written.
    Returns the exit code of a refusal, or 0."""
    if not args.report:
        return EXIT_OK
    from .core.outputs import check_output

    try:
        check_output(args.report, inputs=args.files, overwrite=args.force or len(args.files) > 1)
    except Exception as exc:  # noqa: BLE001 - OutputError: one line, exit 2 (anything else: internal, 1)
        return _report_error(exc)
    return EXIT_OK


def _cmd_analyze(args) -> int:
    refused = _refuse_report_target(args)
    if refused:
        return refused
    from .core.outputs import printable

    results, worst = [], EXIT_OK  # what is printed per file: JSON object, text, or an error object
    reports: dict[str, str] = {}  # report written in this run -> the file it is about
    for f in args.files:
        try:
            result = _analyze_file(f, args)
        except Exception as exc:  # sorted into user / internal errors below
            code = _report_error(exc)
            worst = max(worst, code)
            results.append({"file": os.path.abspath(f), "error": _error_text(exc), "exit": code})
            continue
        # keep only what is printed (the JSON object or the text), not the result's arrays:
        # memory stays flat however many files are given
        results.append(result.to_json_dict() if args.json else _human(result))
        if args.report:
            from .report import write_report

            target = Path(args.report)
            if len(args.files) > 1:  # the hash prefix keeps two song.wav from different folders apart
                target = target.with_name(
                    f"{target.stem}-{Path(f).stem}-{result.input.file_sha256[:12]}{target.suffix or '.pdf'}"
                )
            key = os.path.abspath(target)
            if key in reports:  # the same name and the same bytes as a file before it: that report is this one's
                print(
                    f"Report for {printable(f)}: the same bytes as {printable(reports[key])}, already written to "
                    f"{printable(target)}",
                    file=sys.stderr,
                )
                continue
            try:
                write_report(
                    result,
                    target,
                    page_size=args.page_size,
                    overwrite=args.force,
                    include_path=args.show_path,
                    inputs=args.files,
                )
            except Exception as exc:
                worst = max(worst, _report_error(exc))
                continue
            reports[key] = f
            print(f"Report written to {printable(target)}", file=sys.stderr)
        del result
    if args.json:
        payload = results
        if len(args.files) == 1:  # one object, also when the file was unusable (an error object)
            print(json.dumps(payload[0], indent=1, ensure_ascii=False))
        else:
            print(json.dumps(payload, indent=1, ensure_ascii=False))
    else:
        for r in results:
            if not isinstance(r, dict):
                print(r)
    return worst


def _refuse_pack_target(args) -> int:
    """As _refuse_report_target, for --pack OUT.zip (and not the same file as -o)."""
    from .core.outputs import OutputError, check_output

    try:
        check_output(
            args.pack,
            inputs=[args.file, *([args.output] if args.output else [])],
            overwrite=args.force,
            what="the dispute pack",
            suffix=".zip",
            tag="dispute-pack",
            option="--pack",
        )
    except OutputError as exc:
        return _report_error(exc)
    return EXIT_OK


def _cmd_report(args) -> int:
    from .core.outputs import printable

    if not args.output and not args.pack:
        print("error: give -o OUT.pdf for the report, --pack OUT.zip for the dispute pack, or both", file=sys.stderr)
        return EXIT_INPUT
    args.json, args.report, args.files = False, args.output, [args.file]
    refused = _refuse_report_target(args) or (_refuse_pack_target(args) if args.pack else EXIT_OK)
    if refused:
        return refused
    from .report import write_report
    from .report.pack import write_pack

    try:
        result = _analyze_file(args.file, args)
        written = []
        if args.output:
            written.append(
                (
                    "Report",
                    write_report(
                        result,
                        Path(args.output),
                        page_size=args.page_size,
                        overwrite=args.force,
                        include_path=args.show_path,
                    ),
                )
            )
        if args.pack:
            written.append(
                (
                    "Dispute pack",
                    write_pack(
                        result,
                        Path(args.pack),
                        page_size=args.page_size,
                        overwrite=args.force,
                        include_path=args.show_path,
                        inputs=[a for a in (args.output,) if a],
                    ),
                )
            )
    except Exception as exc:
        return _report_error(exc)
    for what, out in written:
        print(f"{what} written to {printable(out)}")
    return EXIT_OK


def _cmd_verify(args) -> int:
    """One line on stdout (verified / NOT VERIFIED: why), the checks under it; exit 0, 3 or 2."""
    from .report.verify import verify_report

    try:
        analyze = _analyzer(args).analyze if args.file else None
        v = verify_report(args.report, args.file, analyze=analyze)
    except Exception as exc:
        return _report_error(exc)
    print(v.text() if args.details or v.comparison else v.line)
    return EXIT_OK if v.ok else EXIT_NOT_VERIFIED


def _cmd_gui(args) -> int:
    from .gui.display import display_problem

    problem = display_problem()
    if problem:  # instead of Qt's abort (exit 134) when there is no screen
        print(problem, file=sys.stderr)
        return EXIT_INPUT
    from .gui.app import run_gui

    return run_gui(args.file, screenshot=args.screenshot, weights_dir=args.weights)


def _error_text(exc: BaseException) -> str:
    """The reason an error object in ``analyze --json`` carries (the stderr line without its prefix)."""
    from .core.errors import ForensicError

    if isinstance(exc, ForensicError):
        return str(exc)
    return f"internal error: {type(exc).__name__}: {exc}"


def _report_error(exc: BaseException) -> int:
    from .core.errors import ForensicError, UnusableInputError
    from .core.outputs import OutputError, printable

    if isinstance(exc, ForensicError):
        print(f"error: {printable(str(exc))}", file=sys.stderr)  # one line, whatever a file name holds
        user_fixable = isinstance(exc, (UnusableInputError, OutputError)) or type(exc).__name__ == "BundleError"
        return EXIT_INPUT if user_fixable else EXIT_INTERNAL
    if isinstance(exc, KeyboardInterrupt):
        print("cancelled", file=sys.stderr)
        return 130
    if os.environ.get("FORENSIC_APP_DEBUG"):
        import traceback

        traceback.print_exception(exc)
    print(
        printable(
            f"internal error: {type(exc).__name__}: {exc}. Please report this (set FORENSIC_APP_DEBUG=1 for details)."
        ),
        file=sys.stderr,
    )
    return EXIT_INTERNAL


ROBUSTNESS_HELP = (
    "also analyse manipulated copies (MP3/Opus round trips, level, pitch, speed, noise) and show "
    "how the score moves; about 15x the analysis time (~30 s for 3 minutes on 2 cores)"
)


ALLOW_MODIFIED_HELP = (
    "run a model bundle that is not the released one (your own, or an edited weights/): otherwise it is "
    "refused; every result, JSON object and report then says 'modified model'"
)


def common_options(sp, progress_help: str = "always show the progress bar on stderr") -> None:
    """--weights, --allow-modified-model and --progress/--no-progress, as every analysing subcommand takes them."""
    sp.add_argument("--weights", help="folder with manifest.json (default: the shipped weights/)")
    sp.add_argument("--allow-modified-model", action="store_true", help=ALLOW_MODIFIED_HELP)
    sp.add_argument(
        "--no-user-profiles",
        action="store_true",
        help="apply only the built-in generator profiles, not the ones taught on this computer "
        "(forensic-app profile add)",
    )
    g = sp.add_mutually_exclusive_group()
    g.add_argument("--progress", dest="progress", action="store_const", const=True, default=None, help=progress_help)
    g.add_argument("--no-progress", dest="progress", action="store_const", const=False)


class _Parser(argparse.ArgumentParser):
    """argparse, but a word that starts with '-' and is neither an option nor a file gets one line that
    says how to name such a file, instead of the usage text (subcommands' parsers are of this class too)."""

    dash_words: list[str] = []

    def error(self, message: str):  # type: ignore[override]
        if self.dash_words:
            from .core.outputs import printable

            word = printable(self.dash_words[0])
            self.exit(
                EXIT_INPUT,
                f"error: {word} is neither an option of '{self.prog}' nor an existing file: to name "
                f"a file that starts with '-', write ./{word} or put it after -- "
                f"('{self.prog} -- {word}'); see --help for the options\n",
            )
        super().error(message)


def _dash_file_names(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``argv`` with each existing file whose name starts with '-' (``-song.wav``) given by its full path,
    so that it is taken as a file, not as an unknown option; the other such words, which name neither,
    go to ``_Parser.dash_words`` for the error message."""
    _Parser.dash_words = []
    sub = next((a.choices.get(argv[0]) for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    if sub is None:
        return argv
    options = sub._option_string_actions
    out, unknown, takes_value = argv[:1], [], False
    for i, word in enumerate(argv[1:], start=1):
        if word == "--":
            out += argv[i:]
            break
        known = word.split("=", 1)[0] in options if word.startswith("--") else word in options
        if (
            not takes_value
            and word.startswith("-")
            and not word.startswith("--")
            and len(word) > 1
            and not known
            and not _is_number(word)
        ):
            if os.path.lexists(word):
                word = os.path.abspath(word)
            elif word[:2] not in options:  # not -oFILE (a short option with its value attached)
                unknown.append(word)
        action = options.get(word.split("=", 1)[0]) if known and "=" not in word else None
        takes_value = action is not None and action.nargs != 0
        out.append(word)
    _Parser.dash_words = unknown
    return out


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def build_parser(*, training: bool = True) -> argparse.ArgumentParser:
    """The whole command line; ``training=False`` only lists the training commands (no torch import)."""
    p = _Parser(
        prog="forensic-app",
        description="Offline analyzer for AI-generated music. "
        "Without a subcommand, opens the desktop app (optionally on FILE).",
    )
    p.add_argument("--version", action="version", version=f"forensic-app {__version__}")
    sub = p.add_subparsers(dest="command")

    def analysis_options(sp, *, force_help: str):
        """What analyze and report share: report layout, overwrite, robustness, weights, progress."""
        sp.add_argument("--page-size", choices=["A4", "letter"], default="A4")
        sp.add_argument("--force", action="store_true", help=force_help)
        sp.add_argument("--robustness", action="store_true", help=ROBUSTNESS_HELP)
        sp.add_argument(
            "--show-path",
            action="store_true",
            help="print the file's full path in the report (default: its name only; folder names can carry user names)",
        )
        common_options(sp)

    a = sub.add_parser("analyze", help="analyse files, print the verdict (or JSON)")
    a.add_argument("files", nargs="+", metavar="FILE")
    a.add_argument("--json", action="store_true", help="print one JSON object per file (a list for several)")
    a.add_argument("--report", metavar="OUT.pdf", help="also write the recourse report")
    analysis_options(a, force_help="overwrite an existing report")
    a.set_defaults(func=_cmd_analyze)

    r = sub.add_parser("report", help="analyse FILE and write the PDF recourse report (or a dispute pack)")
    r.add_argument("file", metavar="FILE")
    r.add_argument("-o", "--output", metavar="OUT.pdf", help="the PDF recourse report")
    r.add_argument(
        "--pack",
        metavar="OUT.zip",
        help="a dispute pack: the report, the analysis JSON and a README telling a reviewer how to verify",
    )
    analysis_options(r, force_help="overwrite OUT.pdf / OUT.zip if they exist")
    r.set_defaults(func=_cmd_report)

    v = sub.add_parser(
        "verify",
        help="check that a report is untouched; with FILE, analyse FILE again and compare",
        description="Check that REPORT.pdf's pages and its embedded analysis agree and were not "
        "edited, and say which app and model version made it. With FILE: check that FILE "
        "is the analysed file and analyse it again (same model bundle: the figures must "
        "match as printed; another: both shown side by side). Exit 0 verified, 3 not "
        "verified, 2 unreadable input.",
    )
    v.add_argument("report", metavar="REPORT.pdf")
    v.add_argument("file", nargs="?", metavar="FILE", help="the audio file the report is about")
    v.add_argument("--details", action="store_true", help="list every check, not only the answer")
    common_options(v)
    v.set_defaults(func=_cmd_verify)

    g = sub.add_parser("gui", help="open the desktop app")
    g.add_argument(
        "file",
        nargs="*",
        metavar="FILE",
        help="an audio file; several files (stems, versions) or a .facase open as one case, lane by lane; "
        "a folder opens the window with the Queue on its audio files",
    )
    g.add_argument(
        "--screenshot", metavar="OUT.png", help="load FILE(s), wait for the analysis, save a window grab, exit"
    )
    g.add_argument("--weights")
    g.add_argument("--allow-modified-model", action="store_true", help=ALLOW_MODIFIED_HELP)
    g.set_defaults(func=_cmd_gui)

    from .batch.command import register as register_batch

    register_batch(sub, common_options)
    from .case.command import register as register_case

    register_case(sub, common_options)
    from .exports.command import register as register_exports

    register_exports(sub, common_options, _analyze_file)
    from .profile_command import register as register_profile

    register_profile(sub)
    _add_training_commands(sub, full=training)
    return p


# Training needs torch and the training code to define its options; they are imported only
# when one of these commands runs, so that --help and --version answer at once.
TRAINING_COMMANDS = {
    "data": "build the training / calibration dataset",
    "train": "train the patch CNN, fit calibration and the comb reference, write weights/",
    "calibrate": "refit calibration and comb reference of existing weights on the val split",
    "evaluate": "reproduce the model card's figures from the test split",
}


def _add_training_commands(sub, *, full: bool) -> None:
    if importlib.util.find_spec(f"{__package__}.training") is None:
        return  # left out of the frozen desktop app
    if not full:
        for name, text in TRAINING_COMMANDS.items():
            sub.add_parser(name, help=text, add_help=False)  # listed in --help; parsed by the full parser
        return
    from .training.commands import register as register_data
    from .training.pipeline import register as register_train

    register_data(sub)
    register_train(sub)


def _tolerant_streams() -> None:
    """File names that are not valid UTF-8 (lone surrogates after decoding) print as \\udcXX escapes,
    which keeps --json valid, instead of a UnicodeEncodeError traceback after the analysis."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):  # a replaced stream (tests, pipes of other kinds)
            pass


@contextlib.contextmanager
def _environment(name: str, on: bool):
    """A flag through the environment (``name=1`` while ``on``): batch workers and the window's threads inherit it."""
    if not on:
        yield
        return
    before = os.environ.get(name)
    os.environ[name] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _allowing_modified_model(allow: bool):
    """--allow-modified-model, through the environment: batch workers and the window's threads inherit it."""
    from .core.bundle import ENV_ALLOW_MODIFIED

    return _environment(ENV_ALLOW_MODIFIED, allow)


def _unknown_command(word: str) -> Optional[str]:
    """The one-line message for a first word that is neither a command nor an existing file or folder (a typo
    such as ``analyse``), or None when the word opens the window (a file, a folder, an option, a command)."""
    if word in SUBCOMMANDS or word.startswith("-") or os.path.lexists(word):
        return None
    import difflib

    from .core.outputs import printable

    commands = [*COMMANDS, *(TRAINING_COMMANDS if importlib.util.find_spec(f"{__package__}.training") else ())]
    if "/" in word or os.sep in word or Path(word).suffix:  # meant as a file: song.mp3, ~/Music/x.flac
        return (
            f"error: no file or folder '{printable(word)}' here: check the path (the commands are "
            f"{', '.join(commands)}; see forensic-app --help)"
        )
    close = difflib.get_close_matches(word.lower(), commands, n=1)
    if close:
        return f"error: unknown command '{printable(word)}' (did you mean '{close[0]}'?); see forensic-app --help"
    return (
        f"error: unknown command '{printable(word)}', and no file or folder of that name here: the commands are "
        f"{', '.join(commands)} (forensic-app --help); to open a file in the window, give its path"
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    _prepare_env()
    _tolerant_streams()
    argv = list(sys.argv[1:] if argv is None else argv)
    unknown = _unknown_command(argv[0]) if argv else None
    if unknown:  # not the window on a file that does not exist: the user mistyped a command
        print(unknown, file=sys.stderr)
        return EXIT_INPUT
    if not argv or argv[0] not in SUBCOMMANDS:
        argv = ["gui", *argv]  # `forensic-app` and `forensic-app FILE` open the window
    parser = build_parser(training=argv[0] in TRAINING_COMMANDS)
    args = parser.parse_args(_dash_file_names(parser, argv))
    func: Callable[..., int] = args.func
    try:
        from .core.profiles import ENV_NO_USER_PROFILES

        with (
            _allowing_modified_model(getattr(args, "allow_modified_model", False)),
            _environment(ENV_NO_USER_PROFILES, getattr(args, "no_user_profiles", False)),
        ):
            code = int(func(args) or 0)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `forensic-app analyze ... | head`: the reader left; not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
