"""Put the built-in generator profiles and their real-music reference into a model bundle.

usage: python -m forensic_app.training.ship_profiles --profiles profiles --reference REFERENCE.npz [--weights weights]

Copies every sealed profile of ``--profiles`` (``*.json`` but ``profile_teaching.json``) into
``<weights>/profiles/``, the reference table (float16 fakeprints of the real corpus and kinds, per
source, as ``benchmarks/profiles_study.py`` writes it) as ``profile_reference.npz`` and the teaching
limits (``profile_teaching.json``) beside it, lists each with its sha256 in the manifest
(``profile:<name>``, ``profile_reference``, ``profile_teaching``) and seals it. On the source
checkout's ``weights/`` the new bundle becomes the released one (core.bundle.write_manifest).
Profiles whose seal is broken are refused.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Optional, Sequence

from ..core.bundle import read_manifest, sha256_of, write_manifest
from ..core.profiles import PROFILE_KEY_PREFIX, load_profile

TEACHING = "profile_teaching.json"
REFERENCE = "profile_reference.npz"


def ship(profiles_dir: Path, reference: Path, weights: Path) -> list[str]:
    """Copy and list the profiles, reference and teaching limits; returns the manifest keys written."""
    raw = read_manifest(weights)
    files = {
        k: v
        for k, v in raw["files"].items()
        if not k.startswith(PROFILE_KEY_PREFIX) and k not in ("profile_reference", "profile_teaching")
    }
    out_dir = weights / "profiles"
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    keys, shipped = [], []
    for src in sorted(profiles_dir.glob("*.json")):
        if src.name == TEACHING:
            continue
        prof = load_profile(src)  # refuses a broken seal
        dest = out_dir / src.name
        shutil.copyfile(src, dest)
        key = PROFILE_KEY_PREFIX + prof.generator
        files[key] = {"path": f"profiles/{src.name}", "sha256": sha256_of(dest)}
        keys.append(key)
        shipped.append(prof)
    for key, src, name in (
        ("profile_reference", reference, REFERENCE),
        ("profile_teaching", profiles_dir / TEACHING, TEACHING),
    ):
        if src.is_file():
            shutil.copyfile(src, weights / name)
            files[key] = {"path": name, "sha256": sha256_of(weights / name)}
            keys.append(key)
    raw["files"] = files
    # the model card's coverage comes from the profiles present (Help > About and the report read it back)
    card = dict(raw.get("model_card") or {})
    card["generator_profiles"] = {
        "what": "one linear model over the fakeprint per generator decoder; threshold = highest cross-validated "
        "real-music reading (corpus sources and real-negative kinds) + 1 logit",
        "study": "reports/evaluation/profiles.md (benchmarks/profiles_study.py)",
        "shipped": [
            {
                "name": p.generator,
                "version": p.version,
                "architecture": p.architecture,
                "n_examples": p.n_examples,
                "threshold_logit": p.threshold_logit,
                "validation": p.validation,
                "sha256": p.sha256,
            }
            for p in shipped
        ],
        "not_covered": "generators without a neural decoder (diffusion straight to waveform or spectrogram), "
        "decoder architectures no profile was taught, and profiles whose held-out detection was "
        "under 85 % (profiles/not-shipped/)",
    }
    raw["model_card"] = card
    write_manifest(weights, raw)
    return keys


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m forensic_app.training.ship_profiles", description=__doc__.splitlines()[0]
    )
    p.add_argument("--profiles", type=Path, default=Path("profiles"))
    p.add_argument("--reference", type=Path, required=True)
    p.add_argument("--weights", type=Path, default=Path("weights"))
    a = p.parse_args(argv)
    keys = ship(a.profiles, a.reference, a.weights)
    print(f"{len(keys)} entries written into {a.weights / 'manifest.json'}: {', '.join(keys)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
