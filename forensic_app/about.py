"""What Help > About shows, gathered without Qt or torch: versions, licences, where to get the app.

Model and calibration versions come from the weights folder in use (its manifest.json and
calibration file); third-party models are whatever the manifest lists under ``third_party``
(a list of entries, or one entry), so adding one needs no code change here.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from . import __version__
from .resources import demo_credits, weights_dir

APP_LICENCE = "GPL-3.0-or-later"
HOME_FALLBACK = (
    'Build it from the source (README, "Install"): as a wheel for pip or as a one-folder '
    "desktop bundle. The source is free software under GPL-3.0-or-later."
)


@dataclass
class ThirdParty:
    name: str
    licence: str = ""
    source: str = ""
    licence_file: Optional[Path] = None
    notes: str = ""


@dataclass
class AboutInfo:
    app_version: str
    python_version: str
    weights_dir: Path
    model_name: str = ""
    model_version: str = ""
    calibration_version: str = ""
    bundle_sha256: str = ""  # the weights folder's bundle hash (core.bundle)
    bundle_status: str = ""  # "the released bundle", "modified model: ...", or why the bundle cannot be used
    modified: bool = False  # the bundle is not the released one (or cannot be verified)
    released_bundle_sha256: str = ""  # the released bundle's hash, from the code (as printed in the README)
    weights_licence: str = ""  # manifest["license"] when the manifest names one
    problem: str = ""  # why the model part could not be read
    third_party: list[ThirdParty] = field(default_factory=list)
    demo_credits: str = ""
    app_licence: str = APP_LICENCE
    home: str = HOME_FALLBACK
    coverage: list[str] = field(default_factory=list)  # one line per generator profile: built-in, then the user's


def profile_lines(directory: Path, manifest: dict[str, Any]) -> list[str]:
    """One line per generator profile the analyses apply: the bundle's (with their held-out detection and
    false positives) and the user's own, as the coverage line names them. Unreadable files are named."""
    from .core.profiles import PROFILE_KEY_PREFIX, ProfileError, load_profile, load_profiles, user_profiles_dir
    from .core.vocabulary import profile_label

    out = []
    for key, entry in sorted((manifest.get("files") or {}).items()):
        if not key.startswith(PROFILE_KEY_PREFIX):
            continue
        try:
            p = load_profile(directory / entry["path"])
        except (ProfileError, KeyError, TypeError) as err:
            out.append(f"{key[len(PROFILE_KEY_PREFIX) :]}: cannot be read ({err})")
            continue
        v = p.validation
        det, fp = v.get("detection_logo", v.get("cv_detection")), v.get("fp_test_sources_max")
        out.append(
            f"{profile_label(p.generator)} ({p.version or 'built-in'}): {p.n_examples} examples"
            + (f", {float(det):.0%} of held-out examples recognised" if det is not None else "")
            + (f", {float(fp):.1%} of real test tracks flagged" if fp is not None else "")
        )
    mine, problems = load_profiles(user_profiles_dir())
    out += [
        f"{profile_label(p.generator, 'user')}: taught on this computer from {p.n_examples} examples on "
        f"{p.created or '?'}"
        for p in mine
    ]
    out += [f"yours, not applied: {msg}" for msg in problems]
    return out


def _text(entry: dict[str, Any], *keys: str) -> str:
    for k in keys:
        v = entry.get(k)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return ""


def third_party_entries(manifest: dict[str, Any], directory: Path) -> list[ThirdParty]:
    """``manifest["third_party"]`` as a list (absent: empty), tolerant of its exact shape."""
    raw = manifest.get("third_party")
    if raw is None:
        return []
    if isinstance(raw, dict) and not any(k in raw for k in ("name", "license", "licence")):
        raw = [
            dict(v, name=v.get("name", k)) if isinstance(v, dict) else {"name": k, "license": str(v)}
            for k, v in raw.items()
        ]  # {"model name": {...}}
    elif isinstance(raw, dict):
        raw = [raw]
    out = []
    for entry in raw if isinstance(raw, list) else []:
        if isinstance(entry, str):
            out.append(ThirdParty(name=entry))
            continue
        if not isinstance(entry, dict):
            continue
        lic_path = _text(entry, "license_file", "licence_file", "license_path", "licence_path")
        if not lic_path and isinstance(entry.get("files"), dict):
            lic_path = _text(entry["files"], "license", "licence", "LICENSE")
        out.append(
            ThirdParty(
                name=_text(entry, "name", "model", "title") or "unnamed model",
                licence=_text(entry, "license", "licence", "spdx"),
                source=_text(entry, "source", "url", "homepage", "origin"),
                licence_file=(directory / lic_path) if lic_path else None,
                notes=_text(entry, "notes", "description", "attribution", "copyright"),
            )
        )
    return out


def _home() -> str:
    try:
        meta = importlib.metadata.metadata("forensic-app")
    except importlib.metadata.PackageNotFoundError:
        return HOME_FALLBACK
    urls = [u.split(",", 1)[1].strip() for u in (meta.get_all("Project-URL") or []) if "," in u]
    return ", ".join(urls) if urls else HOME_FALLBACK


def gather(directory: Optional[Path | str] = None) -> AboutInfo:
    """Everything About shows, for the weights folder ``directory`` (default: the shipped one)."""
    d = Path(directory) if directory else weights_dir()
    from .core.bundle import bundle_digest, check_bundle, released_bundle_sha256
    from .core.errors import ModelError

    info = AboutInfo(
        app_version=__version__,
        python_version=f"{platform.python_version()} ({sys.platform})",
        weights_dir=d,
        demo_credits=demo_credits().strip(),
        home=_home(),
        released_bundle_sha256=released_bundle_sha256(),
    )
    try:
        manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        info.model_name, info.model_version = str(manifest.get("name", "")), str(manifest.get("version", ""))
        info.bundle_sha256 = bundle_digest(manifest)
        try:
            check = check_bundle(d, manifest)
            info.bundle_status, info.modified = check.words(), check.modified
        except ModelError as err:  # analyses refuse it: say why
            info.bundle_status, info.modified = f"cannot be used: {err}", True
        info.third_party = third_party_entries(manifest, d)
        info.coverage = profile_lines(d, manifest)
        info.weights_licence = _text(manifest, "license", "licence")
        cal_file = manifest.get("files", {}).get("calibration", {}).get("path")
        if cal_file:
            cal = json.loads((d / cal_file).read_text(encoding="utf-8"))
            info.calibration_version = str(cal.get("version", ""))
    except (OSError, ValueError, AttributeError, TypeError) as err:
        info.problem = f"The model files in {d} could not be read ({err}). Reinstall the app."
    return info
