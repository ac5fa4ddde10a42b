"""Where the shipped data lives: the detector weights and the demo track.

In the repository they stay at the top level (``weights/``, ``resources/demo/``): training
writes there and other tools read there. A wheel or a frozen bundle carries copies inside
the package, at ``forensic_app/_bundled/weights`` and ``forensic_app/_bundled/demo`` (copied
by ``setup.py``'s build step and by ``packaging/forensic_app.spec``). :func:`data_dir` is the
one rule that finds either; it imports nothing heavy, so the CLI can use it before torch.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

ENV_WEIGHTS = "FORENSIC_APP_WEIGHTS"
BUNDLED = "_bundled"
PACKAGE_DIR = Path(__file__).resolve().parent

# name inside the package -> path in a source checkout, relative to the repository root
SOURCE_LAYOUT = {"weights": Path("weights"), "demo": Path("resources") / "demo"}
DEMO_TRACK = "karissa_hobbs-lets_go_fishin-excerpt.flac"


def data_dir(name: str) -> Path:
    """The folder of shipped data ``name`` ("weights" or "demo").

    An installed wheel or a frozen bundle: ``forensic_app/_bundled/<name>``; a source
    checkout (also an editable install): the repository's own folder. The returned folder
    may be missing when the installation is broken; callers say "reinstall".
    """
    if name not in SOURCE_LAYOUT:
        raise KeyError(f"unknown data folder {name!r}; known: {sorted(SOURCE_LAYOUT)}")
    bundled = PACKAGE_DIR / BUNDLED / name
    if bundled.is_dir():
        return bundled
    return PACKAGE_DIR.parent / SOURCE_LAYOUT[name]


def weights_dir() -> Path:
    """``$FORENSIC_APP_WEIGHTS`` when set, else the shipped ``weights`` folder."""
    env = os.environ.get(ENV_WEIGHTS)
    return Path(env) if env else data_dir("weights")


def demo_track() -> Optional[Path]:
    """The bundled demo song, or None when this installation has none."""
    path = data_dir("demo") / DEMO_TRACK
    return path if path.is_file() else None


def demo_credits() -> str:
    """The demo's CREDITS.txt (title, author, licence), or "" when missing."""
    try:
        return (data_dir("demo") / "CREDITS.txt").read_text(encoding="utf-8")
    except OSError:
        return ""
