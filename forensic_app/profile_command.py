"""``forensic-app profile add|list|show|remove|export|import``: generator profiles taught by the user.

Profiles live in the user data folder (``FORENSIC_APP_DATA_DIR`` overrides it), one sealed JSON
file each (``core.profiles``). ``add`` reads the examples' fakeprints (as they are and through MP3
128k, AAC 128k and Opus 64k), fits the profile against the real-music reference and validates it
(``training.profiles.teach``); a refusal exits 2 with one line that says why. The reference is
``--reference FILE`` (a table written by ``benchmarks/profiles_study.py collect``), else
``$FORENSIC_APP_PROFILE_REFERENCE``, else ``profile_reference.npz`` in the model bundle once it ships.

The teaching itself is :func:`teach_from_files` (no Qt, no printing): ``profile add`` and the
window's "Teach a generator…" both call it.

Exit codes: 0 done, 2 refused or not possible as asked (one line on stderr), 1 internal error.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

EXIT_OK, EXIT_INPUT = 0, 2
REFERENCE_NAME = "profile_reference.npz"
RULES_NAME = "profile_teaching.json"
SHORT_S = 10.0  # examples shorter than this give a noisy fakeprint: a warning


def register(subparsers) -> None:
    p = subparsers.add_parser("profile", help="generator profiles you teach the app from a few examples")
    sub = p.add_subparsers(dest="profile_command", required=True)
    a = sub.add_parser("add", help="teach a generator from example files (at least 3)")
    a.add_argument("name", metavar="NAME")
    a.add_argument("files", nargs="+", metavar="FILE")
    a.add_argument("--notes", default="", metavar="TEXT")
    a.add_argument("--json", action="store_true")
    a.add_argument(
        "--reference",
        type=Path,
        default=None,
        metavar="FILE",
        help="the real-music reference table (default: $FORENSIC_APP_PROFILE_REFERENCE, else the model bundle's)",
    )
    a.set_defaults(func=cmd_add)
    ls = sub.add_parser("list", help="the profiles taught on this machine")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    sh = sub.add_parser("show", help="one profile's coverage, examples and validation")
    sh.add_argument("name", metavar="NAME")
    sh.add_argument("--json", action="store_true")
    sh.set_defaults(func=cmd_show)
    rm = sub.add_parser("remove", help="delete a profile")
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(func=cmd_remove)
    ex = sub.add_parser("export", help="copy a profile's sealed file")
    ex.add_argument("name", metavar="NAME")
    ex.add_argument("-o", "--output", required=True, metavar="FILE")
    ex.set_defaults(func=cmd_export)
    im = sub.add_parser("import", help="add a profile file (its seal is checked)")
    im.add_argument("file", metavar="FILE")
    im.set_defaults(func=cmd_import)


def _fail(message: str) -> int:
    print(f"profile: {message}", file=sys.stderr)
    return EXIT_INPUT


def _folder() -> Path:
    from .core.profiles import user_profiles_dir

    return user_profiles_dir()


def _reference_path(arg: Path | None) -> Path | None:
    if arg is not None:
        return arg
    env = os.environ.get("FORENSIC_APP_PROFILE_REFERENCE")
    if env:
        return Path(env)
    # the model bundle's own reference, its sha256 checked against the sealed manifest
    from .core.bundle import read_manifest, verify_file
    from .core.errors import ModelError
    from .resources import weights_dir

    d = weights_dir()
    try:
        entry = (read_manifest(d).get("files") or {}).get("profile_reference")
        return None if entry is None else verify_file(d, "profile_reference", entry)
    except ModelError:
        return None


def _rules(reference: Path):
    """Teaching limits written by the study beside the reference (the production-chain test), else defaults."""
    from .training.profiles import TeachRules

    p = reference.with_name(RULES_NAME)
    if not p.exists():
        return TeachRules()
    data = json.loads(p.read_text())
    return TeachRules(**{k: v for k, v in data.items() if k in TeachRules.__dataclass_fields__})


def read_examples(files: Sequence[str], *, on_example: Optional[Callable[[int, str], None]] = None, cancel: Any = None):
    """Fakeprints of the examples: (orig rows, all rows, row -> example, kept files, warnings).
    ``on_example(i, name)`` before example ``i`` is read; ``cancel`` (a CancelToken) is checked
    between examples and raises Cancelled."""
    import numpy as np

    from .core.input_facts import file_sha256
    from .training.profile_data import CODEC_VARIANTS, EXAMPLE_CODEC_S, fakeprint_variant, read_mono

    orig, rows, owner, kept, warnings, digests = [], [], [], [], [], {}
    for n, f in enumerate(files):
        name = Path(f).name
        if cancel is not None:
            cancel.raise_if_cancelled()
        if on_example is not None:
            on_example(n, name)
        try:
            x, rate = read_mono(f)
        except Exception as exc:  # noqa: BLE001 - an unreadable example is left out and said so
            warnings.append(
                f"{name}: not read ({str(exc).splitlines()[0][:100] if str(exc) else exc.__class__.__name__})"
            )
            continue
        fp = fakeprint_variant(x, rate, "orig")
        if fp is None:
            warnings.append(f"{name}: too short or too quiet between 1 and 8 kHz to be measured; left out")
            continue
        digest = file_sha256(Path(f))
        if digest in digests:
            warnings.append(f"{name}: the same file as {digests[digest]}; left out")
            continue
        digests[digest] = name
        if x.size / rate < SHORT_S:
            warnings.append(f"{name}: only {x.size / rate:.1f} s long: its fingerprint is noisy")
        i = len(kept)
        orig.append(fp)
        rows.append(fp)
        owner.append(i)
        head = x[: int(EXAMPLE_CODEC_S * rate)]  # re-encoded as in the built-in profiles' training
        for v in CODEC_VARIANTS:
            try:
                fv = fakeprint_variant(head, rate, v)
            except Exception:  # noqa: BLE001 - ffmpeg without this encoder: that copy is left out
                fv = None
            if fv is not None:
                rows.append(fv)
                owner.append(i)
        kept.append((f, digest))
    if len(orig) >= 2:
        O = np.asarray(orig)
        Z = O - O.mean(axis=1, keepdims=True)
        Z /= np.linalg.norm(Z, axis=1, keepdims=True) + 1e-12
        C = Z @ Z.T
        for i in range(len(O)):
            for j in range(i + 1, len(O)):
                if C[i, j] > 0.98:
                    warnings.append(
                        f"{Path(kept[i][0]).name} and {Path(kept[j][0]).name} look like the same "
                        f"recording (fingerprints {C[i, j]:.2f} alike)"
                    )
    return (np.asarray(orig), np.asarray(rows), owner, kept, warnings)


@dataclass(frozen=True)
class TeachOutcome:
    """What :func:`teach_from_files` made: ``profile`` (saved, sealed) or, when none was made, ``reason``
    (one line) with ``refused`` True when the validation refused it (False: not possible as asked, e.g.
    the name is taken); ``warnings`` (examples left out, short or alike) either way."""

    profile: Any = None  # core.profiles.Profile
    reason: str = ""
    refused: bool = False
    warnings: list[str] = field(default_factory=list)
    path: Optional[Path] = None

    @property
    def ok(self) -> bool:
        return self.profile is not None


def validation_words(profile: Any) -> str:
    """A taught profile's validation in one sentence (the CLI's and the window's words)."""
    v = profile.validation
    return (
        f"profile '{profile.generator}' made from {profile.n_examples} examples: held out one at a time, "
        f"{v['cv_detection']:.0%} of them were recognised; on the real-music reference "
        f"({v['n_reference_sources']} sources) at most {v['fp_leave_one_source_out_max']:.1%} of a source "
        f"it never saw would be flagged. sha256 {profile.sha256}"
    )


def check_new_name(name: str) -> str:
    """Why ``name`` cannot be taught now ("" when it can): not a usable name, or taken."""
    from .core.profiles import find_profile, valid_name

    if not valid_name(name):
        return f"'{name}' is not a usable name: 1-64 letters, digits, spaces, '.', '_', '+' or '-'"
    if find_profile(_folder(), name):
        return f"a profile named '{name}' exists already: remove it first (forensic-app profile remove)"
    return ""


def teach_from_files(
    name: str,
    files: Sequence[str],
    *,
    notes: str = "",
    reference: Optional[Path] = None,
    on_progress: Optional[Callable[[Any], None]] = None,
    cancel: Any = None,
) -> TeachOutcome:
    """Teach the generator ``name`` from example ``files`` and save it in the user's profile folder.

    Reads each example's fakeprint (as it is and re-encoded), fits and validates the profile against
    the real-music reference (``reference``, else ``$FORENSIC_APP_PROFILE_REFERENCE``, else the model
    bundle's) with ``training.profiles.teach``. ``on_progress(Progress)`` is called from this thread;
    ``cancel`` (a CancelToken) is checked between examples (raises Cancelled). Never raises for a
    refusal: the outcome says why.
    """
    from .core.profiles import profile_path, save_profile
    from .core.progress import Progress

    why = check_new_name(name)
    if why:
        return TeachOutcome(reason=why)
    ref_path = _reference_path(reference)
    if ref_path is None or not ref_path.exists():
        return TeachOutcome(
            reason="no real-music reference to validate against: the model bundle's "
            "profile_reference.npz is missing or damaged (reinstall the app), or pass --reference FILE"
        )
    from .training.profile_data import load_table
    from .training.profiles import Refused, teach

    files = [str(f) for f in files]
    n = max(len(files), 1)

    def on_example(i: int, file_name: str) -> None:
        if on_progress is not None:
            on_progress(Progress(0.9 * i / n, f"Reading example {i + 1} of {len(files)}: {file_name}"))

    X_orig, X_rows, owner, kept, warnings = read_examples(files, on_example=on_example, cancel=cancel)
    if cancel is not None:
        cancel.raise_if_cancelled()
    if on_progress is not None:
        on_progress(Progress(0.9, "Fitting and validating against the real-music reference"))
    ref, X_ref = load_table(ref_path)
    sources = [{"file": Path(f).name, "sha256": d} for f, d in kept]
    try:
        if len(kept) == 0:
            raise Refused(f"none of the {len(files)} examples could be read and measured")
        profile = teach(
            name,
            X_orig,
            X_rows,
            owner,
            X_ref,
            [r.source for r in ref],
            rules=_rules(ref_path),
            notes=notes,
            sources=sources,
            version="taught",
        )
    except Refused as exc:
        return TeachOutcome(reason=str(exc), refused=True, warnings=warnings)
    path = profile_path(_folder(), name)
    saved = save_profile(profile, path)
    if on_progress is not None:
        on_progress(Progress(1.0, "Saved"))
    return TeachOutcome(profile=saved, warnings=warnings, path=path)


def cmd_add(args: argparse.Namespace) -> int:
    out = teach_from_files(args.name, args.files, notes=args.notes, reference=args.reference)
    for w in out.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if not out.ok:
        return _fail(f"refused: {out.reason}" if out.refused else out.reason)
    if args.json:
        print(json.dumps({**out.profile.summary(), "warnings": out.warnings}, ensure_ascii=False))
    else:
        print(validation_words(out.profile))
    return EXIT_OK


def _load_all():
    from .core.profiles import load_profiles

    return load_profiles(_folder())


def _builtin() -> list:
    """The model bundle's built-in profiles (sealed in its manifest), without loading the network."""
    from .core.bundle import read_manifest, verify_file
    from .core.errors import ModelError
    from .core.profiles import PROFILE_KEY_PREFIX, ProfileError, load_profile
    from .resources import weights_dir

    d, out = weights_dir(), []
    try:
        files = read_manifest(d).get("files") or {}
        for key, entry in sorted(files.items()):
            if key.startswith(PROFILE_KEY_PREFIX):
                out.append(load_profile(verify_file(d, key, entry)))
    except (ModelError, ProfileError):
        return out
    return out


def cmd_list(args: argparse.Namespace) -> int:
    profiles, problems = _load_all()
    builtin = _builtin()
    for line in problems:
        print(f"warning: {line}", file=sys.stderr)
    if args.json:
        print(json.dumps([p.summary() for p in (*builtin, *profiles)], ensure_ascii=False))
        return EXIT_OK
    for p in builtin:
        print(f"{p.generator}\tbuilt-in\t{p.n_examples} examples\t{p.created}\t{p.sha256[:12]}")
    if not profiles:
        print(f"no profiles of yours taught yet ({_folder()})")
    for p in profiles:
        print(f"{p.generator}\tyours\t{p.n_examples} examples\t{p.created}\t{p.sha256[:12]}\t{p.notes}")
    return EXIT_OK


def _by_name(name: str):
    from .core.profiles import ProfileError, find_profile, load_profile

    path = find_profile(_folder(), name)
    if path is None:
        from .core.vocabulary import generator_name

        builtin = next((p for p in _builtin() if name in (p.generator, generator_name(p.generator))), None)
        if builtin is not None:
            return builtin, ""
        return None, f"no profile named '{name}' (forensic-app profile list)"
    try:
        return load_profile(path), ""
    except ProfileError as exc:
        return None, str(exc)


def cmd_show(args: argparse.Namespace) -> int:
    p, why = _by_name(args.name)
    if p is None:
        return _fail(why)
    s = p.summary()
    if args.json:
        print(json.dumps({**s, "sources": list(p.sources)}, ensure_ascii=False))
        return EXIT_OK
    for k in ("name", "kind", "version", "architecture", "n_examples", "created", "threshold_logit", "notes", "sha256"):
        print(f"{k}: {s[k]}")
    print("examples: " + ", ".join(src.get("file", str(src)) for src in p.sources))
    print("validation: " + json.dumps(p.validation, ensure_ascii=False))
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    from .core.profiles import find_profile

    path = find_profile(_folder(), args.name)
    if path is None:
        return _fail(f"no profile named '{args.name}'")
    path.unlink()
    print(f"removed '{args.name}'")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    p, why = _by_name(args.name)
    if p is None:
        return _fail(why)
    from .core.profiles import find_profile

    shutil.copyfile(find_profile(_folder(), args.name), args.output)
    print(args.output)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from .core.profiles import (
        ProfileError,
        find_profile,
        load_profile,
        profile_path,
        valid_name,
    )

    try:
        p = load_profile(args.file)
    except ProfileError as exc:
        return _fail(f"refused: {exc}")
    if not valid_name(p.generator):
        return _fail(f"refused: the profile's name '{p.generator}' is not usable")
    folder = _folder()
    if find_profile(folder, p.generator):
        return _fail(f"a profile named '{p.generator}' exists already: remove it first")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args.file, profile_path(folder, p.generator))
    print(f"imported '{p.generator}' ({p.n_examples} examples, sha256 {p.sha256[:12]})")
    return EXIT_OK
