"""The wheel carries weights and demo: install it elsewhere and analyse the demo from /tmp.

The wheel is installed with ``pip install --no-deps --target DIR`` and run with this
interpreter (whose site-packages already has torch & co.) and ``PYTHONPATH=DIR``, from a
temporary working folder, so nothing is downloaded and the source checkout cannot stand in
for the installed package: the test checks that the package, the weights and the demo all
come from DIR.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("setuptools")
    out = tmp_path_factory.mktemp("wheel")
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    wheels = list(out.glob("forensic_app-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_holds_every_file_of_weights_and_demo(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, inside in (
        ("weights", "forensic_app/_bundled/weights"),
        ("resources/demo", "forensic_app/_bundled/demo"),
    ):
        for f in (ROOT / folder).rglob("*"):
            if f.is_file() and "__pycache__" not in f.parts and not f.name.startswith("."):
                assert f"{inside}/{f.relative_to(ROOT / folder).as_posix()}" in names, f
    assert not any(n.startswith("tests/") for n in names)


def test_installed_wheel_analyses_the_demo_from_another_folder(wheel, tmp_path):
    target, cwd = tmp_path / "site", tmp_path / "elsewhere"
    cwd.mkdir()
    r = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("FORENSIC_APP_WEIGHTS", "PYTHONPATH")}
    env["PYTHONPATH"] = str(target)
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import forensic_app, forensic_app.resources as r; "
            "print(forensic_app.__file__); print(r.weights_dir()); print(r.demo_track())",
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert where.returncode == 0, where.stderr
    package, weights, demo = where.stdout.split("\n")[:3]
    for p in (package, weights, demo):
        assert Path(p).is_relative_to(target), f"{p} does not come from the installed wheel"
    script = target / "bin" / "forensic-app"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "forensic_app"]
    r = subprocess.run(
        [*cmd, "analyze", demo, "--json", "--no-progress"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["verdict"] in {"likely_real", "no_traces_found", "inconclusive", "likely_fake"}
    assert 0.0 <= out["probability_fake"] <= 1.0
    manifest = json.loads((Path(weights) / "manifest.json").read_text())
    assert out["model"]["version"] == manifest["version"]
