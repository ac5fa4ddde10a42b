"""The headless core type-checks clean (mypy, settings in pyproject.toml [tool.mypy]): a None where a
value is needed, a wrong argument or a misspelt attribute fails the tests, so it never reaches a release.

mypy keeps its cache in .mypy_cache (git-ignored): the first run takes about a minute (it reads
torch's and numpy's types), later ones a few seconds."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# TEMPORARY (issue #23): forensic_app/core/analysis.py is being edited on another branch; these are
# its known errors, (error code, message), to be fixed when that branch is merged, after which this
# set is emptied. Any other error in analysis.py, or any error elsewhere, still fails the test.
#   measure(): set `decoded` and `path` in one `if isinstance(source, PcmSource): ... else: ...`, so
#     mypy sees `source` narrowed; make_input_info(src.source if isinstance(src, PcmSource) else src, ...);
#   interpret(): model_modified=... if model.bundle is not None and model.bundle.modified else None
#     (what model.modified says, written so that mypy sees the bundle is there).
KNOWN_IN_ANALYSIS = {
    ("arg-type", 'Argument 1 to "Path" has incompatible type "str | Path | PcmSource"; '
                 'expected "str | PathLike[str]"'),
    ("arg-type", 'Argument 1 to "make_input_info" has incompatible type "PcmSource | AudioSource"; '
                 'expected "AudioSource"'),
    ("union-attr", 'Item "None" of "BundleCheck | None" has no attribute "sha256"'),
    ("union-attr", 'Item "None" of "BundleCheck | None" has no attribute "released_sha256"'),
}
ANALYSIS = "forensic_app/core/analysis.py"
ERROR = re.compile(r"^(?P<path>[^:]+):\d+: error: (?P<message>.*?)  \[(?P<code>[a-z-]+)\]$")


def test_mypy_finds_nothing_in_core():
    pytest.importorskip("mypy", reason="mypy is not installed (it is in the [test] extra)")
    out = subprocess.run([sys.executable, "-m", "mypy", "--config-file", "pyproject.toml",
                          "--cache-dir", ".mypy_cache", "--no-color-output", "--no-error-summary"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode in (0, 1), out.stdout + out.stderr  # 2: mypy itself failed (bad config, crash)
    errors = []
    for line in out.stdout.splitlines():
        m = ERROR.match(line)
        if ": error: " in line and not (m and Path(m["path"]).as_posix() == ANALYSIS
                                        and (m["code"], m["message"]) in KNOWN_IN_ANALYSIS):
            errors.append(line)
    assert not errors, "mypy forensic_app/core:\n" + "\n".join(errors) + "\n\n" + out.stdout
