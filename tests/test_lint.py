"""The code stays lint-clean and formatted (ruff, rules in pyproject.toml [tool.ruff.lint]): unused
imports, undefined names and syntax errors fail the tests, and so does code `ruff format` would change."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (it is in the [test] extra)")
    out = subprocess.run(
        [ruff, "check", "forensic_app", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_ruff_format_would_change_nothing():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (it is in the [test] extra)")
    out = subprocess.run(
        [ruff, "format", "--check", "forensic_app", "tests", "benchmarks", "packaging"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, "run `ruff format forensic_app tests benchmarks packaging`:\n" + out.stdout + out.stderr
