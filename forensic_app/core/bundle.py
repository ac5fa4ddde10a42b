"""The model bundle's integrity: one policy for every loader, for Help > About and for the release step.

A bundle is a folder with ``manifest.json`` and the files it lists. Its identity is one hash, the
bundle sha256 (:func:`bundle_digest`): the sha256 of the manifest's canonical JSON without its
seal, which holds the input contract, labels, architecture, third-party entries and, per file,
its sha256 (weights, the calibration bound to those weights, comb reference, fakeprint model and
its licence). The policy (:func:`check_bundle`, :func:`require_released`):

1. every file the manifest lists exists and matches its sha256, and the manifest carries its seal
   (``bundle_sha256``) and matches it; otherwise the bundle is refused, always;
2. the bundle sha256 equals ``released.RELEASED_BUNDLE_SHA256``, the released bundle (printed in
   the README and in Help > About); any other bundle is refused unless the caller asks for it
   (``allow_modified=True``, ``--allow-modified-model``, ``FORENSIC_APP_ALLOW_MODIFIED_MODEL=1``),
   and then every result says "modified model".

The released hash lives in code, not only inside the bundle it seals. :func:`write_manifest`
updates it (and the README) whenever it writes the source checkout's ``weights/``; after a merge,
or by hand: ``python -m forensic_app.core.bundle --release``. Imports nothing heavy (no torch).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from ..resources import PACKAGE_DIR, SOURCE_LAYOUT, weights_dir
from . import released as _released
from .errors import BundleError, ModelError

MANIFEST = "manifest.json"
SEAL_KEY = "bundle_sha256"
ENV_ALLOW_MODIFIED = "FORENSIC_APP_ALLOW_MODIFIED_MODEL"
ALLOW_OPTION = "--allow-modified-model"
MODIFIED_WORDS = "modified model"

# the source checkout: where --release records the hash (absent in a wheel or a frozen app)
SOURCE_WEIGHTS = PACKAGE_DIR.parent / SOURCE_LAYOUT["weights"]
RELEASED_FILE = Path(__file__).with_name("released.py")
README = PACKAGE_DIR.parent / "README.md"
README_PATTERN = re.compile(r"(released model bundle is sha256 `)([0-9a-f]{64})(`)")
RESEAL_ADVICE = (
    "Reinstall the app; to run a bundle of your own on purpose, seal it with "
    f"`python -m forensic_app.core.bundle --seal FOLDER` and pass {ALLOW_OPTION}"
)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def bundle_digest(raw: dict[str, Any]) -> str:
    """sha256 of the manifest's content (canonical JSON without the seal itself).

    The manifest lists the sha256 of every file of the bundle, so once those are verified this
    one hash identifies the whole model bundle: the report prints it.
    """
    body = {k: v for k, v in raw.items() if k != SEAL_KEY}
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    ).hexdigest()


def released_bundle_sha256() -> str:
    """The released bundle's sha256 (read at call time: ``--release`` updates it in this process too)."""
    return _released.RELEASED_BUNDLE_SHA256


def allow_modified(allow: Optional[bool] = None) -> bool:
    """``allow`` when given, else whether ``FORENSIC_APP_ALLOW_MODIFIED_MODEL`` is 1 (``--allow-modified-model`` sets it,
    so worker processes inherit the choice)."""
    if allow is not None:
        return bool(allow)
    return os.environ.get(ENV_ALLOW_MODIFIED, "").strip().lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class BundleCheck:
    """A bundle whose files and seal were verified: its sha256 and whether it is the released one."""

    directory: Path
    sha256: str
    released_sha256: str

    @property
    def modified(self) -> bool:
        return self.sha256 != self.released_sha256

    def words(self) -> str:
        """What Help > About and the notes say about it."""
        if not self.modified:
            return "the released bundle"
        return f"{MODIFIED_WORDS}: not the released bundle"


def verify_file(directory: Path, key: str, entry: Any) -> Path:
    """The file of manifest entry ``key``, after checking it exists and matches its sha256. Raises BundleError."""
    if (
        not isinstance(entry, dict)
        or not isinstance(entry.get("path"), str)
        or not isinstance(entry.get("sha256"), str)
    ):
        raise BundleError(
            f"The model manifest's entry '{key}' is damaged (it needs a path and a sha256). Reinstall the app"
        )
    p = Path(directory) / entry["path"]
    if not p.is_file():
        raise BundleError(f"Model file {p} is missing. Reinstall the app")
    digest = sha256_of(p)
    if digest != entry["sha256"]:
        raise BundleError(
            f"Model file {p.name} does not match its manifest (sha256 {digest[:12]}..., expected "
            f"{entry['sha256'][:12]}...): it was changed or damaged. Reinstall the app"
        )
    return p


def read_manifest(directory: Path) -> dict[str, Any]:
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise ModelError(
            f"No model manifest at {path}. Reinstall the app, or point FORENSIC_APP_WEIGHTS to a folder "
            "with manifest.json"
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"The model manifest {path} is damaged ({exc}). Reinstall the app") from None
    if not isinstance(raw, dict):
        raise ModelError(f"The model manifest {path} is damaged (not a JSON object). Reinstall the app")
    return raw


def check_bundle(directory: Path, raw: Optional[dict[str, Any]] = None) -> BundleCheck:
    """Verify the seal and every file the manifest lists (licences too); raises BundleError.

    Whether the bundle is the released one is the caller's question (:func:`require_released`)."""
    directory = Path(directory)
    raw = read_manifest(directory) if raw is None else raw
    path = directory / MANIFEST
    seal, digest = raw.get(SEAL_KEY), bundle_digest(raw)
    if seal is None:
        raise BundleError(
            f"The model manifest {path} has no {SEAL_KEY} seal, so nothing shows what it holds. {RESEAL_ADVICE}"
        )
    if seal != digest:
        raise BundleError(
            f"The model manifest {path} was edited after it was sealed (its content no longer matches "
            f"its {SEAL_KEY}), so results could not be trusted. {RESEAL_ADVICE}"
        )
    files = raw.get("files")
    if not isinstance(files, dict) or "weights" not in files:
        raise BundleError(f"The model manifest {path} lists no weights file. Reinstall the app")
    for key, entry in files.items():
        verify_file(directory, key, entry)
    return BundleCheck(directory, digest, released_bundle_sha256())


def require_released(check: BundleCheck, allow: Optional[bool] = None) -> None:
    """Refuse a bundle that is not the released one, unless running it was asked for (see :func:`allow_modified`)."""
    if check.modified and not allow_modified(allow):
        raise BundleError(
            f"The model bundle in {check.directory} is not the released one (bundle sha256 {check.sha256[:16]}..., "
            f"released {check.released_sha256[:16]}...), so its results would not be those of this app: its input "
            f"contract, calibration or detectors may differ. Reinstall the app, or pass {ALLOW_OPTION} to run it "
            'with every result marked "modified model"'
        )


def open_bundle(directory: Optional[Path | str] = None, *, allow: Optional[bool] = None) -> BundleCheck:
    """:func:`check_bundle` and :func:`require_released` for ``directory`` (default: the shipped weights)."""
    check = check_bundle(Path(directory) if directory is not None else weights_dir())
    require_released(check, allow)
    return check


def is_source_weights(directory: Path) -> bool:
    """``directory`` is the source checkout's ``weights/`` (whose hash is the released one)."""
    try:
        return (PACKAGE_DIR.parent / "pyproject.toml").is_file() and Path(
            directory
        ).resolve() == SOURCE_WEIGHTS.resolve()
    except OSError:
        return False


def write_manifest(directory: Path, raw: dict[str, Any], *, release: Optional[bool] = None) -> Path:
    """Seal (``bundle_sha256``) and write ``manifest.json``: the one way manifests are written.

    ``release`` (default: when ``directory`` is the source checkout's ``weights/``) also records the
    new bundle as the released one (:func:`record_release`)."""
    raw = dict(raw)
    raw[SEAL_KEY] = bundle_digest(raw)
    path = Path(directory) / MANIFEST
    path.write_text(json.dumps(raw, indent=1, ensure_ascii=False), encoding="utf-8")
    if release if release is not None else is_source_weights(Path(directory)):
        record_release(Path(directory))
    return path


def seal_bundle(directory: Path) -> str:
    """Re-hash every file the manifest lists and seal it: a bundle of one's own (still a modified model). Returns its sha256."""
    directory = Path(directory)
    raw = read_manifest(directory)
    for key, entry in (raw.get("files") or {}).items():
        p = directory / entry["path"]
        if not p.is_file():
            raise BundleError(f"Model file {p} (manifest entry '{key}') is missing: add it or remove the entry")
        entry["sha256"] = sha256_of(p)
    write_manifest(directory, raw, release=False)
    return bundle_digest(raw)


def record_release(
    directory: Optional[Path] = None, *, constant_file: Optional[Path] = None, readme: Optional[Path] = None
) -> str:
    """Make the (sealed, verified) bundle in ``directory`` (default: the source checkout's weights/) the released
    one: rewrite ``RELEASED_BUNDLE_SHA256`` in ``constant_file`` (default: core/released.py) and the hash after
    "released model bundle is sha256" in ``readme`` (default: the checkout's README.md); returns the hash."""
    directory = Path(directory) if directory is not None else SOURCE_WEIGHTS
    constant_file = Path(constant_file) if constant_file is not None else RELEASED_FILE
    readme = Path(readme) if readme is not None else README
    digest = check_bundle(directory).sha256
    text = constant_file.read_text(encoding="utf-8")
    new, n = re.subn(
        r'^RELEASED_BUNDLE_SHA256 = "[0-9a-f]*"$', f'RELEASED_BUNDLE_SHA256 = "{digest}"', text, flags=re.M
    )
    if n != 1:
        raise ModelError(f"{constant_file} has no RELEASED_BUNDLE_SHA256 line to update")
    if new != text:
        constant_file.write_text(new, encoding="utf-8")
    _released.RELEASED_BUNDLE_SHA256 = digest  # this process too (a training run goes on to evaluate)
    written = [constant_file.name]
    if readme.is_file():
        doc = readme.read_text(encoding="utf-8")
        updated = README_PATTERN.sub(lambda m: m.group(1) + digest + m.group(3), doc)
        if updated != doc:
            readme.write_text(updated, encoding="utf-8")
        written.append(readme.name)
    print(
        f"The released model bundle is now sha256 {digest} (written to {', '.join(written)}): commit them with "
        "weights/",
        file=sys.stderr,
    )
    return digest


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m forensic_app.core.bundle",
        description="Check a model bundle, seal one of your own, or record weights/ as the released bundle.",
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--release",
        action="store_true",
        help="after a retrain or recalibration of the source checkout's weights/: record its sha256 as the "
        "released one (forensic_app/core/released.py and README.md)",
    )
    g.add_argument(
        "--seal",
        action="store_true",
        help="re-hash the files of FOLDER and seal its manifest (it stays a modified model)",
    )
    p.add_argument("folder", nargs="?", help="the bundle (default: the shipped weights/)")
    args = p.parse_args(argv)
    folder = Path(args.folder) if args.folder else (SOURCE_WEIGHTS if args.release else weights_dir())
    try:
        if args.release:
            if not is_source_weights(folder):
                print(f"error: --release records the source checkout's {SOURCE_WEIGHTS}, not {folder}", file=sys.stderr)
                return 2
            record_release(folder)
            return 0
        if args.seal:
            print(
                f"sealed {folder}: bundle sha256 {seal_bundle(folder)} (a modified model: run it with {ALLOW_OPTION})"
            )
            return 0
        check = check_bundle(folder)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{folder}: bundle sha256 {check.sha256}, {check.words()}")
    return 0 if not check.modified else 3


if __name__ == "__main__":
    sys.exit(main())
