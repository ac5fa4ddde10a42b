"""Four stems of one generated 10-s "track": the vocals went through a neural decoder (HiFi-GAN, the
bundled demo's decoded copy), drums, bass and other are clean signals generated here."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.stems import RATE, SECONDS, write_stems  # noqa: F401 - fixtures below and tests use them


@pytest.fixture(scope="session")
def stem_paths(tmp_path_factory) -> dict[str, Path]:
    """Read-only: tests that change or move files copy them first (see ``own_stems``)."""
    return write_stems(tmp_path_factory.mktemp("stems"))


@pytest.fixture(scope="session")
def stem_case(stem_paths):
    """The four stems analysed with the shipped model (vocals marked as a separated stem)."""
    from forensic_app.case import new_case

    return new_case(
        [stem_paths[k] for k in ("vocals", "drums", "bass", "other")],
        labels={str(p): k for k, p in stem_paths.items()},
        separated=[stem_paths["vocals"]],
        title="Generated single",
    )


@pytest.fixture
def own_stems(tmp_path) -> dict[str, Path]:
    """Stems in this test's own folder, free to change or move."""
    return write_stems(tmp_path / "stems")
