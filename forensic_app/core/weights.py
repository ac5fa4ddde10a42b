"""Model manifest: the single source of truth for the shipped detector.

``weights/manifest.json`` holds the input contract, label order, architecture, decoder
families, file names with sha256, training description, evaluation figures and the model
card. Weight files are state dicts loaded with ``weights_only=True`` after their sha256
is verified; calibration must name the sha256 of the weights it was fitted for. What makes a
bundle acceptable at all (its seal, every file, the released hash) is :mod:`.bundle`'s policy.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import torch

from ..resources import ENV_WEIGHTS, weights_dir
from .bundle import (  # noqa: F401 - re-exported: training and the tests write manifests through here
    MANIFEST,
    SEAL_KEY,
    BundleCheck,
    bundle_digest,
    check_bundle,
    require_released,
    sha256_of,
    verify_file,
    write_manifest,
)
from .calibration import Calibration
from .errors import ModelError
from .fakeprint import FakeprintModel
from .profiles import PROFILE_KEY_PREFIX, Profile, ProfileError, load_profile
from .model import PatchCNN, fuse_for_inference
from .spectrogram import FeatureContract


def default_weights_dir() -> Path:
    """``$FORENSIC_APP_WEIGHTS``, else the shipped ``weights/`` (wheel, bundle or source tree)."""
    return weights_dir()


@dataclass(frozen=True)
class ModelManifest:
    directory: Path
    name: str
    version: str
    contract: FeatureContract
    labels: tuple[str, ...]
    families: tuple[str, ...]
    architecture: dict[str, Any]
    files: dict[str, dict[str, str]]
    trained: bool
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def model_card(self) -> dict[str, Any]:
        return self.raw.get("model_card", {})

    @property
    def bundle_sha256(self) -> str:
        return bundle_digest(self.raw)

    def file_path(self, key: str) -> Optional[Path]:
        entry = self.files.get(key)
        return None if entry is None else self.directory / entry["path"]

    @classmethod
    def load(cls, directory: Path) -> "ModelManifest":
        path = directory / MANIFEST
        if not path.is_file():
            raise ModelError(
                f"No model manifest at {path}. Reinstall the app, or point {ENV_WEIGHTS} to a folder with manifest.json"
            )
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                directory=directory,
                name=raw["name"],
                version=raw["version"],
                contract=FeatureContract.from_dict(raw["input"]),
                labels=tuple(raw["labels"]),
                families=tuple(raw["families"]),
                architecture=raw["architecture"],
                files=raw["files"],
                trained=bool(raw.get("trained", False)),
                raw=raw,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"The model manifest {path} is damaged ({exc}). Reinstall the app") from None

    def verified_path(self, key: str) -> Path:
        entry = self.files.get(key)
        if entry is None:
            raise ModelError(f"The model manifest lists no '{key}' file. Reinstall the app")
        return verify_file(self.directory, key, entry)


@dataclass
class LoadedModel:
    manifest: ModelManifest
    network: PatchCNN
    calibration: Calibration
    weights_sha256: str
    comb_reference_path: Optional[Path]
    fakeprint: Optional[FakeprintModel] = None  # the third-party Suno/Udio detector, when the manifest lists it
    bundle: Optional[BundleCheck] = None  # the verified bundle: its sha256 and whether it is the released one
    lock: threading.Lock = field(default_factory=threading.Lock)
    profiles: tuple[Profile, ...] = ()  # built-in generator profiles (manifest keys "profile:<name>"), by name

    @property
    def modified(self) -> bool:
        """Not the released bundle (run only when asked for: every result then says "modified model")."""
        return self.bundle is not None and self.bundle.modified


_CACHE: dict[tuple[str, float], LoadedModel] = {}
_CACHE_LOCK = threading.Lock()


def load_model(directory: Optional[Path | str] = None, *, allow_modified: Optional[bool] = None) -> LoadedModel:
    """Load (and cache) the manifest, verified weights and matching calibration.

    The bundle policy of :mod:`.bundle` applies: every listed file and the manifest's seal are
    verified, and a bundle that is not the released one raises BundleError unless
    ``allow_modified`` (default: ``FORENSIC_APP_ALLOW_MODIFIED_MODEL=1``, set by ``--allow-modified-model``).
    """
    d = Path(directory) if directory is not None else default_weights_dir()
    key = (str(d.resolve()), (d / MANIFEST).stat().st_mtime if (d / MANIFEST).exists() else 0.0)
    with _CACHE_LOCK:
        if key in _CACHE:
            cached = _CACHE[key]
            assert cached.bundle is not None  # load_model builds every cached model with its verified bundle
            require_released(cached.bundle, allow_modified)
            return cached
        manifest = ModelManifest.load(d)
        bundle = check_bundle(d, manifest.raw)  # every file the manifest lists, and its seal
        require_released(bundle, allow_modified)
        wpath = manifest.verified_path("weights")
        net = PatchCNN.from_architecture(manifest.architecture, manifest.contract.n_bins, len(manifest.families))
        try:
            state = torch.load(wpath, map_location="cpu", weights_only=True)
            net.load_state_dict(state)
        except Exception as exc:  # a state dict that does not fit the architecture
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][
                :200
            ]  # torch's advice runs to many lines
            raise ModelError(
                f"Model weights {wpath.name} do not fit the manifest's architecture ({first}). Reinstall the app"
            ) from None
        net = fuse_for_inference(net.eval())
        weights_sha = manifest.files["weights"]["sha256"]
        cal = Calibration.load(manifest.verified_path("calibration"))
        if cal.model_sha256 != weights_sha:
            raise ModelError(
                f"The calibration file ({cal.version}) was fitted for other weights "
                f"({cal.model_sha256[:12]}...), not {weights_sha[:12]}.... Reinstall the app"
            )
        comb_ref = manifest.verified_path("comb_reference") if "comb_reference" in manifest.files else None
        fakeprint = None
        if "fakeprint" in manifest.files:
            fp_path = manifest.verified_path("fakeprint")
            try:
                fakeprint = FakeprintModel.load(fp_path)
            except (OSError, KeyError, ValueError) as exc:
                raise ModelError(f"The fakeprint model {fp_path.name} is damaged ({exc}). Reinstall the app") from None
        loaded = LoadedModel(
            manifest, net, cal, weights_sha, comb_ref, fakeprint, bundle, profiles=_builtin_profiles(manifest)
        )
        _CACHE[key] = loaded
        return loaded


def _builtin_profiles(manifest: ModelManifest) -> tuple[Profile, ...]:
    """The bundle's generator profiles (verified file hash, then the profile's own seal), sorted by name."""
    out = []
    for key in sorted(k for k in manifest.files if k.startswith(PROFILE_KEY_PREFIX)):
        path = manifest.verified_path(key)
        try:
            out.append(load_profile(path))
        except ProfileError as exc:
            raise ModelError(f"The generator profile {path.name} is damaged ({exc}). Reinstall the app") from None
    return tuple(sorted(out, key=lambda p: p.generator.lower()))


def save_model_bundle(
    directory: Path,
    *,
    network: PatchCNN,
    manifest: dict[str, Any],
    calibration: dict[str, Any],
    extra_files: Optional[dict[str, Path]] = None,
) -> Path:
    """Write weights, calibration (bound to the weights' sha256) and manifest into ``directory``.

    ``manifest`` must hold name, version, input, labels, families, architecture (``files``
    is filled in here). ``extra_files`` maps manifest keys to files already in ``directory``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    wpath = directory / "patch_cnn.pt"
    torch.save({k: v.detach().cpu().contiguous() for k, v in network.state_dict().items()}, wpath)
    wsha = sha256_of(wpath)
    cal = dict(calibration, model_sha256=wsha)
    cpath = directory / "calibration.json"
    cpath.write_text(json.dumps(cal, indent=1), encoding="utf-8")
    files = {
        "weights": {"path": wpath.name, "sha256": wsha},
        "calibration": {"path": cpath.name, "sha256": sha256_of(cpath)},
    }
    for key, p in (extra_files or {}).items():
        files[key] = {"path": Path(p).name, "sha256": sha256_of(Path(p))}
    write_manifest(directory, dict(manifest, files=files))
    return directory


def replace_calibration(directory: Path, calibration: dict[str, Any], *, refreshed: Sequence[str] = ()) -> Path:
    """Refit without retraining: write ``calibration.json`` bound to the weights already in
    ``directory`` and re-hash it (and the ``refreshed`` manifest keys, rewritten by the caller)."""
    directory = Path(directory)
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    wsha = manifest["files"]["weights"]["sha256"]
    if sha256_of(directory / manifest["files"]["weights"]["path"]) != wsha:
        raise ModelError(f"{directory}: the weights file does not match its manifest; retrain instead of recalibrating")
    cpath = directory / manifest["files"]["calibration"]["path"]
    cpath.write_text(json.dumps(dict(calibration, model_sha256=wsha), indent=1), encoding="utf-8")
    for key in ("calibration", *refreshed):
        entry = manifest["files"][key]
        entry["sha256"] = sha256_of(directory / entry["path"])
    write_manifest(directory, manifest)
    return cpath
