"""The headless core type-checks clean (mypy, settings in pyproject.toml [tool.mypy]): a None where a
value is needed, a wrong argument or a misspelt attribute fails the tests, so it never reaches a release.

mypy keeps its cache in .mypy_cache (git-ignored): the first run takes about a minute (it reads
torch's and numpy's types), later ones a few seconds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_nothing_in_core():
    pytest.importorskip("mypy", reason="mypy is not installed (it is in the [test] extra)")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            "pyproject.toml",
            "--cache-dir",
            ".mypy_cache",
            "--no-color-output",
            "--no-error-summary",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode in (0, 1), out.stdout + out.stderr  # 2: mypy itself failed (bad config, crash)
    errors = [line for line in out.stdout.splitlines() if ": error: " in line]
    assert not errors, "mypy forensic_app/core:\n" + "\n".join(errors) + "\n\n" + out.stdout
