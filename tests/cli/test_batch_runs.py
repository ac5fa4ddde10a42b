"""``forensic-app batch`` as one running job: one batch per store, workers that die with their batch, and globs
that see each real file once however many symbolic links lead to it."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import soundfile as sf

from forensic_app.batch import Store
from forensic_app.cli import main
from tests.conftest import signal as make_signal

ROOT = Path(__file__).resolve().parents[2]


def write(path: Path, seconds: float = 3.0, seed: int = 0, fmt: str = "WAV") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), make_signal("music", seconds, 44100, 1, seed=seed), 44100, subtype="PCM_16", format=fmt)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "forensic_app.cli", *args]


ENV = dict(os.environ, PYTHONPATH=str(ROOT))


# ---------------------------------------------------------------- one store, one running batch
def test_a_second_batch_on_a_store_in_use_is_refused_and_the_first_finishes(
    tmp_path, tiny_weights, capsys, monkeypatch
):
    """Two `batch DIR -o rN.csv --store shared.sqlite --resume` at once: the second starts while the first analyses."""
    import forensic_app.core.analysis as analysis_mod

    files = [write(tmp_path / "in" / f"t{i}.wav", seed=i) for i in range(3)]
    shared, r1, r2 = tmp_path / "shared.sqlite", tmp_path / "r1.csv", tmp_path / "r2.csv"
    started: list = []
    second: list = []  # the second command's exit code and stderr
    real = analysis_mod.analyze

    def analyze_while_a_second_batch_starts(path, **kwargs):
        if not started:
            started.append(path)
            capsys.readouterr()  # the first batch's own lines so far
            second.append(
                main(
                    [
                        "batch",
                        str(tmp_path / "in"),
                        "-o",
                        str(r2),
                        "--store",
                        str(shared),
                        "--resume",
                        "--weights",
                        str(tiny_weights),
                        "--no-progress",
                    ]
                )
            )
            second.append(capsys.readouterr().err)
        return real(path, **kwargs)

    monkeypatch.setattr(analysis_mod, "analyze", analyze_while_a_second_batch_starts)
    code = main(
        [
            "batch",
            str(tmp_path / "in"),
            "-o",
            str(r1),
            "--store",
            str(shared),
            "--resume",
            "--weights",
            str(tiny_weights),
            "--no-progress",
        ]
    )
    assert second[0] == 2, second[1]
    assert second[1].count("\n") == 1 and "is in use by another batch" in second[1] and "own --store" in second[1]
    assert not r2.exists()
    assert code == 0, capsys.readouterr().err
    rows = read_csv(r1)
    assert [r["path"] for r in rows] == [str(p) for p in files] and {r["status"] for r in rows} == {"analysed"}


def test_another_process_gets_a_clear_message_while_the_store_runs_a_batch(tmp_path, tiny_weights):
    write(tmp_path / "in" / "t.wav")
    shared = tmp_path / "shared.sqlite"
    with Store(shared) as store:
        store.lock_for_batch()  # as run_batch holds it while it runs
        r = subprocess.run(
            cli(
                "batch",
                str(tmp_path / "in"),
                "--store",
                str(shared),
                "--resume",
                "--weights",
                str(tiny_weights),
                "--no-progress",
            ),
            env=ENV,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1
    assert f"process {os.getpid()}" in r.stderr and "wait until it has finished" in r.stderr
    # released with the store: the same command now runs
    r = subprocess.run(
        cli(
            "batch",
            str(tmp_path / "in"),
            "--store",
            str(shared),
            "--resume",
            "--weights",
            str(tiny_weights),
            "--no-progress",
        ),
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr


# ---------------------------------------------------------------- workers die with their batch
def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_the_batch_takes_its_workers_and_the_resource_tracker_with_it(tmp_path, tiny_weights):
    files = [write(tmp_path / "in" / f"t{i:02d}.wav", seed=i, seconds=8.0) for i in range(12)]
    store_path = tmp_path / "s.sqlite"
    proc = subprocess.Popen(
        cli(
            "batch",
            str(tmp_path / "in"),
            "--store",
            str(store_path),
            "--jobs",
            "2",
            "--weights",
            str(tiny_weights),
            "--no-progress",
        ),
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    children: list[int] = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:  # until the workers are analysing
            children = _children(proc.pid)
            done = 0
            if store_path.exists():
                db = sqlite3.connect(str(store_path), timeout=5)
                try:
                    done = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
                except sqlite3.OperationalError:
                    pass
                finally:
                    db.close()
            if done >= 1 and len(children) >= 3:  # two workers and multiprocessing's resource tracker
                break
            time.sleep(0.05)
        assert proc.poll() is None and done < len(files), "the batch finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)  # the main process only, as `kill -9 PID` does
        proc.wait()
        # a pipeline reading the batch's output must see its end: nobody may hold stdout/stderr any more
        ended: list[bytes] = []
        reader = threading.Thread(target=lambda: ended.append(proc.stdout.read() + proc.stderr.read()), daemon=True)
        reader.start()
        reader.join(30)
        assert not reader.is_alive(), f"stdout/stderr still held open by {[c for c in children if _running(c)]}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_running(c) for c in children):
            time.sleep(0.1)
        assert not [c for c in children if _running(c)]
    finally:
        for c in children:  # what a failing run leaves behind: this test's own processes, one by one
            if _running(c):
                os.kill(c, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
        proc.wait()


# ---------------------------------------------------------------- globs over symbolic link loops
def test_a_glob_over_a_link_loop_gives_one_row_per_file(tmp_path, tiny_weights, capsys):
    song = write(tmp_path / "lp" / "song.flac", seconds=2.0, fmt="FLAC")
    (tmp_path / "lp" / "sub").mkdir()
    (tmp_path / "lp" / "sub" / "loop").symlink_to("..")  # lp/sub/loop -> lp
    out = tmp_path / "r.csv"
    assert (
        main(
            [
                "batch",
                str(tmp_path / "lp" / "**" / "*.flac"),
                "-o",
                str(out),
                "--store",
                str(tmp_path / "s.sqlite"),
                "--weights",
                str(tiny_weights),
                "--no-progress",
            ]
        )
        == 0
    )
    rows = read_csv(out)
    assert [(r["path"], r["status"]) for r in rows] == [(str(song), "analysed")], capsys.readouterr().err


def test_a_glob_over_two_link_loops_ends_at_once_with_each_real_file(tmp_path):
    lp = tmp_path / "lp"
    a, b = write(lp / "a.flac", seconds=0.5, fmt="FLAC"), write(lp / "x" / "b.flac", seconds=0.5, fmt="FLAC")
    (lp / "x" / "up").symlink_to("..")
    (lp / "x" / "top").symlink_to(lp)
    (lp / "also-x").symlink_to("x")  # a second name for a real folder: its file is listed once, by its real path
    code = (
        "import sys; from forensic_app.batch.discover import discover; "
        "print('\\n'.join(e.path for e in discover(sys.argv[1:])))"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, str(lp / "**" / "*.flac")], env=ENV, capture_output=True, text=True, timeout=60
    )  # glob.glob went on for minutes (115,000 paths in 20 s)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(a), str(b)]
