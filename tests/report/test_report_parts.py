"""A report writer killed with ``kill -9`` leaves its temporary ``.pdf.part``; the next report written
to that folder removes it, and never the part of a writer that is still running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from forensic_app.report import write_report

from tests.factories import make_result

ROOT = Path(__file__).resolve().parents[2]

# A writer whose layout step stops half-way (as if the PDF were large): it says so, then waits.
WRITER = """
import sys, time
import forensic_app.report.pdf as pdf
from tests.factories import make_result

def slow_build(result, out, pagesize, model_card, include_path):
    out.write(b"%PDF-1.4 half a report")
    out.flush()
    print("writing", flush=True)
    time.sleep(120)

pdf._write = slow_build
pdf.write_report(make_result(), sys.argv[1])
"""


def start_writer(target: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "writing"
    return proc


def parts(folder: Path) -> set[str]:
    return {p.name for p in folder.glob(".forensic-report-*.pdf.part")}


@pytest.mark.skipif(os.name != "posix", reason="kill -9")
def test_the_next_report_removes_a_killed_writers_part_and_keeps_a_running_ones(tmp_path, monkeypatch):
    import forensic_app.report.pdf as pdf

    killed = start_writer(tmp_path / "killed.pdf")
    killed_part = parts(tmp_path)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    running = start_writer(tmp_path / "running.pdf")
    try:
        running_part = parts(tmp_path) - killed_part
        assert len(killed_part) == 1 and len(running_part) == 1
        monkeypatch.setattr(pdf, "_write", lambda result, out, *a: out.write(b"%PDF-1.4 next"))
        write_report(make_result(), tmp_path / "next.pdf")
        assert parts(tmp_path) == running_part  # the killed writer's part is gone, the running one's is not
        assert not (tmp_path / "killed.pdf").exists() and (tmp_path / "next.pdf").read_bytes() == b"%PDF-1.4 next"
    finally:
        running.kill()
        running.wait()
