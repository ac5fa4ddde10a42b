"""CLI glue: ``forensic-app data build [--cache-dir DIR] [--subset small|full] [--families ...]`` and
``forensic-app data generators --from DIR --out DIR`` (examples of real generators, :mod:`.generator_examples`).

``register(subparsers)`` is called by the app's cli.py with argparse's ``add_subparsers()``
result; each leaf sets ``func=lambda args: exit_code``. Standalone:
``python -m forensic_app.training.commands build --cache-dir DIR``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Optional, Sequence


def add_build_arguments(parser: argparse.ArgumentParser) -> None:
    from .generators import FAMILIES

    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="where segments and index.csv go (default: $FORENSIC_APP_CACHE, else the user cache folder)",
    )
    parser.add_argument(
        "--subset",
        choices=("small", "full"),
        default="full",
        help="small: synthetic music, 4 generators, under a minute; full: Debian music, all generators",
    )
    parser.add_argument(
        "--families",
        nargs="+",
        choices=FAMILIES,
        default=None,
        help="only these fake families (plain real segments are always built)",
    )
    parser.add_argument(
        "--corpus-dir",
        type=Path,
        default=None,
        help="where Debian packages are downloaded and unpacked (default: CACHE_DIR/corpus)",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: leave cores to others)")
    parser.set_defaults(func=run_build)


def run_build(args: argparse.Namespace) -> int:
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch

    from ..core.errors import Cancelled
    from .build import build_dataset

    torch.set_num_threads(args.threads)
    try:
        index = build_dataset(args.cache_dir, subset=args.subset, families=args.families, corpus_dir=args.corpus_dir)
    except Cancelled:
        print("data build: cancelled; run the same command again to resume", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("\ndata build: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except ValueError as err:
        print(f"data build: {err}", file=sys.stderr)
        return 2
    print(index)
    return 0


def add_generators_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from",
        dest="from_dir",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder holding git directories of the demo-page repositories (<owner>+<name>/repo)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="where the examples and manifest.json (generator, repository, commit, path) go",
    )
    parser.set_defaults(func=run_generators)


def run_generators(args: argparse.Namespace) -> int:
    from .generator_examples import collect_examples

    if not args.from_dir.is_dir():
        print(f"data generators: no folder {args.from_dir}", file=sys.stderr)
        return 2
    manifest = collect_examples(args.from_dir, args.out, log=lambda m: print(m, file=sys.stderr))
    if not manifest["examples"]:
        print(f"data generators: no examples found under {args.from_dir}", file=sys.stderr)
        return 2
    counts: dict[str, int] = {}
    for e in manifest["examples"]:
        counts[e["generator"]] = counts.get(e["generator"], 0) + 1
    for g, n in sorted(counts.items()):
        print(f"{g}: {n}")
    if manifest["absent"]:
        print(f"({len(manifest['absent'])} files absent from the copies: listed in manifest.json)")
    print(args.out / "manifest.json")
    return 0


def register(subparsers) -> None:
    """Add ``data build`` and ``data generators`` to the app's CLI."""
    data = subparsers.add_parser("data", help="build the training / calibration dataset")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    build = data_sub.add_parser("build", help="make real and content-matched fake 10-s segments (resumable)")
    add_build_arguments(build)
    gens = data_sub.add_parser(
        "generators", help="copy examples of real generators out of their demo-page git directories"
    )
    add_generators_arguments(gens)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m forensic_app.training.commands")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="make real and content-matched fake 10-s segments (resumable)")
    add_build_arguments(build)
    add_generators_arguments(
        sub.add_parser("generators", help="copy examples of real generators out of git directories")
    )
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
