"""``forensic-app batch``: every input is one row, nothing is analysed twice, an interrupted batch resumes."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from forensic_app.batch import BatchOptions, Store, run_batch
from forensic_app.batch.discover import discover
from forensic_app.batch.task import report_name
from forensic_app.cli import main
from tests.conftest import signal as make_signal


def write(path: Path, kind: str = "noise", seconds: float = 3.0, seed: int = 0, channels: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    x = make_signal(kind, seconds, 44100, channels, seed=seed)
    sf.write(str(path), x, 44100, subtype="PCM_16")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_folders_lists_globs_and_bad_files_all_become_rows(tmp_path, tiny_weights, capsys, count_analyze):
    music = tmp_path / "music"
    a = write(music / "a.wav", seed=1)
    b = write(music / "deep" / "er" / "b.wav", seed=2)  # found by recursion
    write(music / ".hidden" / "h.wav", seed=9)  # hidden folders are skipped
    notes = music / "lyrics.txt"  # not audio: skipped in the folder, but a row when named on its own
    notes.write_text("not audio\n" * 20)
    trunc = music / "deep" / "trunc.wav"
    data = write(tmp_path / "full.wav", seed=3, seconds=6.0).read_bytes()
    trunc.write_bytes(data[: len(data) // 3])
    other = tmp_path / "other"
    c = write(other / "c.wav", seed=4)
    d = write(other / "d.wav", seed=5)
    listed = write(tmp_path / "listed" / "e.wav", seed=6)
    lst = tmp_path / "queue.txt"
    lst.write_text(f"# today's queue\n\nlisted/e.wav\n{a}\n")  # relative to the list; a is listed twice
    out, jl = tmp_path / "out.csv", tmp_path / "out.jsonl"
    code = main(
        [
            "batch",
            str(music),
            str(notes),
            f"@{lst}",
            str(other / "*.wav"),
            str(tmp_path / "missing.wav"),
            "--weights",
            str(tiny_weights),
            "-o",
            str(out),
            "--jsonl",
            str(jl),
            "--no-progress",
        ]
    )
    stdout, err = capsys.readouterr()
    assert code == 3, err
    assert "3 file(s) could not be analysed" in err
    rows = read_csv(out)
    assert [r["path"] for r in rows] == [str(p) for p in (a, trunc, b, notes, listed, c, d, tmp_path / "missing.wav")]
    by = {r["path"]: r for r in rows}
    for p in (a, b, c, d, listed):
        r = by[str(p)]
        assert r["status"] == "analysed" and r["verdict"] and 0 <= float(r["probability_fake"]) <= 1
        assert float(r["interval_low"]) <= float(r["probability_fake"]) <= float(r["interval_high"])
        assert len(r["sha256"]) == 64 and r["error"] == ""
        assert r["score_patch_cnn"] != "" and "untrained_model" in r["note_codes"].split(";")
        assert r["model_name"] == "forensic-tiny-random" and r["model_version"]
    assert "truncated" in by[str(trunc)]["error"] and by[str(trunc)]["status"] == "unusable"
    assert "not a readable audio file" in by[str(notes)]["error"]
    assert "file not found" in by[str(tmp_path / "missing.wav")]["error"]
    assert sorted(count_analyze) == sorted(str(p) for p in (a, b, trunc, notes, listed, c, d))
    # the CSV's columns, and the same rows as JSON lines
    assert list(rows[0])[:8] == [
        "path",
        "status",
        "verdict",
        "probability_fake",
        "interval_low",
        "interval_high",
        "sha256",
        "duplicate_of",
    ]
    assert {"score_patch_cnn", "score_comb", "note_codes", "model_version", "report", "error"} <= set(rows[0])
    lines = [json.loads(x) for x in jl.read_text().splitlines()]
    assert [x["path"] for x in lines] == [r["path"] for r in rows]
    assert lines[0]["detectors"]["patch_cnn"]["score"] == pytest.approx(float(rows[0]["score_patch_cnn"]), rel=1e-4)
    # the summary counts whatever verdicts the core gave, plus the unusable files
    verdicts = {r["verdict"] for r in rows if r["verdict"]}
    assert all(v in stdout for v in verdicts) and "unusable" in stdout and "skipped" not in stdout


def test_a_folder_with_sidecar_files_gives_a_row_per_audio_file_and_exit_0(
    tmp_path, tiny_weights, capsys, count_analyze
):
    """`forensic-app batch resources/demo` made CREDITS.txt an 'unusable' row and exited 3."""
    album = tmp_path / "album"
    a = write(album / "01 intro.wav", seed=1)
    b = write(album / "disc 2" / "02 song.wav", seed=2)
    flac = album / "03 outro.flac"
    sf.write(str(flac), make_signal("noise", 3.0, 44100, 1, seed=3), 44100)
    for sidecar in ("CREDITS.txt", "cover.jpg", "album.cue", "disc 2/booklet.txt"):
        (album / sidecar).write_bytes(b"not audio\n")
    out = tmp_path / "out.csv"
    code = main(["batch", str(album), "-o", str(out), "--weights", str(tiny_weights), "--no-progress"])
    stdout, err = capsys.readouterr()
    assert code == 0, err
    assert [r["path"] for r in read_csv(out)] == [str(a), str(flac), str(b)]
    assert {r["status"] for r in read_csv(out)} == {"analysed"}
    assert "skipped 4 files that are not audio: CREDITS.txt, album.cue, cover.jpg, ..." in stdout
    assert "unusable" not in stdout and "could not be analysed" not in err
    assert sorted(count_analyze) == sorted(map(str, (a, b, flac)))
    # a glob is narrowed the same way; --ext chooses the extensions ('*': every file, each a row)
    out2 = tmp_path / "glob.csv"
    assert (
        main(
            [
                "batch",
                str(album / "*"),
                "-o",
                str(out2),
                "--store",
                str(tmp_path / "g.sqlite"),
                "--weights",
                str(tiny_weights),
                "--no-progress",
            ]
        )
        == 0
    )
    assert [r["path"] for r in read_csv(out2)] == [str(a), str(flac), str(b)]  # the folder it matched is walked
    assert "skipped 4 files that are not audio" in capsys.readouterr().out
    out3 = tmp_path / "flac.csv"
    assert (
        main(["batch", str(album), "--ext", "FLAC", "-o", str(out3), "--weights", str(tiny_weights), "--no-progress"])
        == 0
    )
    assert [r["path"] for r in read_csv(out3)] == [str(flac)]
    assert "skipped 6 files that are not flac: 01 intro.wav, CREDITS.txt, album.cue, ..." in capsys.readouterr().out
    out4 = tmp_path / "all.csv"
    assert (
        main(["batch", str(album), "--ext", "*", "-o", str(out4), "--weights", str(tiny_weights), "--no-progress"]) == 3
    )
    rows = read_csv(out4)
    assert len(rows) == 7 and [r["status"] for r in rows].count("unusable") == 4
    assert "skipped" not in capsys.readouterr().out
    # a file named on its own is analysed whatever its name, also when its folder is given too
    out5 = tmp_path / "named.csv"
    assert (
        main(
            [
                "batch",
                str(album),
                str(album / "CREDITS.txt"),
                "-o",
                str(out5),
                "--store",
                str(tmp_path / "n.sqlite"),
                "--weights",
                str(tiny_weights),
                "--no-progress",
            ]
        )
        == 3
    )
    rows = read_csv(out5)
    assert rows[-1]["path"] == str(album / "CREDITS.txt") and rows[-1]["status"] == "unusable"
    assert "skipped 3 files that are not audio: album.cue, cover.jpg" in capsys.readouterr().out


def test_an_empty_ext_is_refused(tmp_path, capsys):
    assert main(["batch", str(tmp_path), "--ext", ",", "--no-progress"]) == 2
    assert capsys.readouterr().err.startswith("error: --ext needs at least one extension, e.g. --ext wav,flac")


def test_every_good_file_gives_exit_0(tmp_path, tiny_weights, capsys):
    write(tmp_path / "in" / "a.wav", seed=1)
    assert (
        main(
            [
                "batch",
                str(tmp_path / "in"),
                "--weights",
                str(tiny_weights),
                "--store",
                str(tmp_path / "s.sqlite"),
                "--no-progress",
            ]
        )
        == 0
    )


def test_duplicates_are_analysed_once_and_reported(tmp_path, tiny_weights, count_analyze):
    a = write(tmp_path / "x" / "song.wav", seed=1)
    b = tmp_path / "y" / "song.wav"
    b.parent.mkdir()
    b.write_bytes(a.read_bytes())
    c = write(tmp_path / "z" / "song.wav", seed=2)
    with Store(tmp_path / "s.sqlite") as store:
        run = run_batch([str(tmp_path)], store, BatchOptions(weights_dir=str(tiny_weights)))
        rows = list(store.iter_rows(run))
        counts = store.counts(run)
    assert count_analyze == [str(a), str(c)]
    assert [r["duplicate_of"] for r in rows] == [None, str(a), None]
    assert rows[1]["verdict"] == rows[0]["verdict"] and rows[1]["sha256"] == rows[0]["sha256"]
    assert counts["duplicates"] == 1 and counts["analysed"] == 3


def test_reports_get_unique_names(tmp_path, tiny_weights, monkeypatch):
    written = []

    def fake_write_report(result, path, **kwargs):
        Path(path).write_bytes(b"%PDF-1.4 fake")
        written.append(Path(path))
        return Path(path)

    monkeypatch.setattr("forensic_app.report.write_report", fake_write_report)
    a = write(tmp_path / "in" / "x" / "song.wav", seed=1)
    b = write(tmp_path / "in" / "y" / "song.wav", seed=2)
    reports = tmp_path / "reports"
    with Store(tmp_path / "s.sqlite") as store:
        run = run_batch(
            [str(tmp_path / "in")], store, BatchOptions(weights_dir=str(tiny_weights), reports_dir=str(reports))
        )
        rows = list(store.iter_rows(run))
    assert len(written) == 2 and written[0] != written[1]
    assert [r["report"] for r in rows] == [
        str(reports / report_name(str(p), r["sha256"])) for p, r in zip((a, b), rows)
    ]
    assert all(Path(r["report"]).name.startswith("song-") for r in rows)


def test_store_in_use_needs_resume(tmp_path, tiny_weights, capsys):
    write(tmp_path / "in" / "a.wav")
    args = [
        "batch",
        str(tmp_path / "in"),
        "--weights",
        str(tiny_weights),
        "--store",
        str(tmp_path / "s.sqlite"),
        "--no-progress",
    ]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 2
    assert "--resume" in capsys.readouterr().err


class StopAfter:
    """A cancel token that trips after ``n`` files have settled (a simulated interruption)."""

    def __init__(self, n: int):
        self.n, self.seen = n, 0

    @property
    def cancelled(self) -> bool:
        return self.seen >= self.n

    def raise_if_cancelled(self) -> None:
        from forensic_app.core.errors import Cancelled

        if self.cancelled:
            raise Cancelled()

    def on_file(self, _event) -> None:
        self.seen += 1


def test_resume_does_not_redo_finished_files(tmp_path, tiny_weights, count_analyze):
    files = [write(tmp_path / "in" / f"t{i}.wav", seed=i) for i in range(5)]
    opts = BatchOptions(weights_dir=str(tiny_weights))
    stop = StopAfter(2)
    with Store(tmp_path / "s.sqlite") as store:
        run1 = run_batch([str(tmp_path / "in")], store, opts, on_file=stop.on_file, cancel=stop)
        assert store.counts(run1)["pending"] == 3
    first = list(count_analyze)
    assert first == [str(p) for p in files[:2]]
    count_analyze.clear()
    with Store(tmp_path / "s.sqlite") as store:
        run2 = run_batch([str(tmp_path / "in")], store, BatchOptions(weights_dir=str(tiny_weights), resume=True))
        rows = list(store.iter_rows(run2))
        runs = dict(store.db.execute("SELECT path, run FROM results").fetchall())
        counts = store.counts(run2)
    assert count_analyze == [str(p) for p in files[2:]]
    assert [r["path"] for r in rows] == [str(p) for p in files] and {r["status"] for r in rows} == {"analysed"}
    assert [runs[str(p)] for p in files] == [run1, run1, run2, run2, run2]
    assert counts["resumed"] == 2


def _wait_for_rows(proc, store_path, n: int, timeout_s: float = 120) -> int:
    """Rows the running batch ``proc`` has stored in ``store_path``, polled until there are ``n`` (or it ends)."""
    done, deadline = 0, time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None and done < n:
        if store_path.exists():
            db = sqlite3.connect(str(store_path), timeout=5)
            try:
                done = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
            except sqlite3.OperationalError:  # tables not created yet
                done = 0
            finally:
                db.close()
        if done < n:
            time.sleep(0.02)
    return done


def test_kill_9_mid_batch_then_resume_gives_every_file_once(tmp_path, tiny_weights):
    n = 10
    files = [write(tmp_path / "in" / f"t{i:02d}.wav", seed=i, seconds=12.0) for i in range(n)]
    store_path = tmp_path / "s.sqlite"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    cmd = [
        sys.executable,
        "-m",
        "forensic_app.cli",
        "batch",
        str(tmp_path / "in"),
        "--store",
        str(store_path),
        "--weights",
        str(tiny_weights),
        "--no-progress",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    done_before = 0
    try:
        done_before = _wait_for_rows(proc, store_path, 2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"the batch finished before it could be killed: {proc.stderr.read()}"
    assert 2 <= done_before < n
    db = sqlite3.connect(str(store_path))
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    before = dict(db.execute("SELECT sha256, finished_at FROM results").fetchall())
    db.close()
    out = tmp_path / "out.csv"
    assert (
        main(
            [
                "batch",
                str(tmp_path / "in"),
                "--store",
                str(store_path),
                "--weights",
                str(tiny_weights),
                "--resume",
                "-o",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    rows = read_csv(out)
    assert [r["path"] for r in rows] == [str(p) for p in files]
    assert all(r["status"] == "analysed" for r in rows)
    db = sqlite3.connect(str(store_path))
    after = dict(db.execute("SELECT sha256, finished_at FROM results").fetchall())
    runs = db.execute("SELECT run, COUNT(*) FROM results GROUP BY run ORDER BY run").fetchall()
    db.close()
    assert len(after) == n
    assert all(after[sha] == t for sha, t in before.items())  # results from before the kill were kept, not redone
    assert runs == [(1, len(before)), (2, n - len(before))]


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_an_interrupted_batch_still_writes_what_finished(tmp_path, tiny_weights, how):
    """Ctrl+C in the terminal (SIGINT to the process group) or `kill` (SIGTERM): -o and --jsonl hold every
    finished file, whole, and the rest as 'pending'; exit 130."""
    n = 8
    files = [write(tmp_path / "in" / f"t{i:02d}.wav", seed=i, seconds=12.0) for i in range(n)]
    (tmp_path / "in" / "notes.txt").write_text("not audio")
    store_path, out, jl = tmp_path / "out.sqlite", tmp_path / "out.csv", tmp_path / "out.jsonl"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    cmd = [
        sys.executable,
        "-m",
        "forensic_app.cli",
        "batch",
        str(tmp_path / "in"),
        "-o",
        str(out),
        "--jsonl",
        str(jl),
        "--weights",
        str(tiny_weights),
        "--no-progress",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    done_before = 0
    try:
        done_before = _wait_for_rows(proc, store_path, 2)
        assert proc.poll() is None, "the batch finished before it could be interrupted"
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    err = stderr.decode()
    assert proc.returncode == 130, err
    assert f"of {n} files finished" in err and "--resume" in err and "Traceback" not in err
    rows = read_csv(out)
    assert [r["path"] for r in rows] == [str(p) for p in files]  # every input once, in order
    finished = [r for r in rows if r["status"] == "analysed"]
    assert len(finished) >= done_before >= 2 and len(finished) < n
    assert all(r["status"] == "pending" for r in rows[len(finished) :])
    assert all(
        r["verdict"] and len(r["sha256"]) == 64 and float(r["interval_low"]) <= float(r["probability_fake"])
        for r in finished
    )
    lines = [json.loads(x) for x in jl.read_text(encoding="utf-8").splitlines()]  # every line whole
    assert [x["path"] for x in lines] == [r["path"] for r in rows]
    assert [x["status"] for x in lines] == [r["status"] for r in rows]
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]
    assert "skipped 1 file that is not audio: notes.txt" in stdout.decode()


def test_two_worker_processes(tmp_path, tiny_weights):
    files = [write(tmp_path / "in" / f"t{i}.wav", seed=i) for i in range(4)]
    with Store(tmp_path / "s.sqlite") as store:
        run = run_batch([str(tmp_path / "in")], store, BatchOptions(jobs=2, weights_dir=str(tiny_weights)))
        rows = list(store.iter_rows(run))
        workers = store.worker_stats(run)
    assert [r["path"] for r in rows] == [str(p) for p in files]
    assert all(r["status"] == "analysed" for r in rows)
    assert all(w["worker"] and str(os.getpid()) not in w["worker"] for w in workers)  # not in this process
    assert all(w["peak_rss_mb"] and w["peak_rss_mb"] > 10 for w in workers)


def test_discovery_order_and_unmatched_glob(tmp_path):
    write(tmp_path / "b.wav")
    write(tmp_path / "a.wav")
    entries = list(discover([str(tmp_path / "*.wav"), str(tmp_path / "a.wav"), str(tmp_path / "*.flac")]))
    assert [Path(e.path).name for e in entries] == ["a.wav", "b.wav", "*.flac"]
    assert entries[2].reason and "matched no file" in entries[2].reason
    assert list(discover([f"@{tmp_path / 'nolist.txt'}"]))[0].reason.startswith("list file could not be read")


def test_a_worker_killed_mid_batch_does_not_lose_files(tmp_path, tiny_weights):
    import multiprocessing

    files = [write(tmp_path / "in" / f"t{i}.wav", seed=i, seconds=8.0) for i in range(6)]
    killed = []
    # Only this batch's workers: a process left from an earlier test (a pool shutting down, a
    # cluster's nanny) is also a child of this process, and killing it would test nothing.
    before = {p.pid for p in multiprocessing.active_children()}

    def kill_a_worker(_event):
        # every worker of the pool, so that it breaks whichever of them holds the files in flight
        children = [p for p in multiprocessing.active_children() if p.pid and p.pid not in before]
        if not killed and children:
            for child in children:
                os.kill(child.pid, signal.SIGKILL)
                killed.append(child.pid)

    with Store(tmp_path / "s.sqlite") as store:
        run = run_batch(
            [str(tmp_path / "in")], store, BatchOptions(jobs=2, weights_dir=str(tiny_weights)), on_file=kill_a_worker
        )
        rows = list(store.iter_rows(run))
        workers = store.worker_stats(run)
    assert killed
    fresh = [w for w in workers if int(w["worker"].rsplit(":", 1)[1]) not in killed]
    assert fresh and sum(w["files"] for w in fresh) >= 1  # a fresh pool's worker finished the files
    assert [r["path"] for r in rows] == [str(p) for p in files]
    assert all(r["status"] == "analysed" for r in rows), [r["error"] for r in rows]


def test_the_batch_package_imports_neither_qt_nor_torch():
    code = (
        "import sys, forensic_app.batch, forensic_app.batch.runner, forensic_app.batch.export, "
        "forensic_app.batch.command; "
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'shiboken6', 'torch'))]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_main_process_memory_does_not_grow_with_the_number_of_files(tmp_path, monkeypatch):
    """Rows go to the store as they settle; nothing per file is kept (checked with a stand-in analysis)."""
    import tracemalloc

    import forensic_app.batch.runner as runner_mod

    def fake_analyse(job, cancel=None):
        return {
            "path": job.path,
            "sha256": job.sha256,
            "outcome": "analysed",
            "verdict": f"v{len(job.path) % 3}",
            "probability_fake": 0.5,
            "interval": [0.4, 0.6],
            "duration_s": 1.0,
            "notes": ["a", "b"],
            "detectors": [{"name": "x", "score": 1.0, "probability_fake": None}],
            "model": {"name": "m"},
        }

    monkeypatch.setattr(runner_mod, "analyse_file", fake_analyse)
    peaks = []
    for n in (200, 2000):
        folder = tmp_path / f"in{n}"
        folder.mkdir()
        for i in range(n):
            (folder / f"f{i:05d}.wav").write_bytes(b"%d" % i)
        tracemalloc.start()
        with Store(tmp_path / f"s{n}.sqlite") as store:
            run = run_batch([str(folder)], store, BatchOptions())
            assert store.counts(run)["analysed"] == n
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] - peaks[0] < 600_000, peaks  # < 350 bytes per extra file (a folder listing is kept by os.walk)


def test_rows_say_which_evidence_decided_and_where(tmp_path, capsys):
    """A moderator sorting the CSV sees which line of evidence gave each verdict, the window where the patch
    CNN's evidence is, and the comb's spacing and architecture where it found lines (the shipped model)."""
    from forensic_app.resources import data_dir
    from forensic_app.training.kinds import room_tone
    from forensic_app.training.synth import music_like

    rate, folder = 44100, tmp_path / "inbox"
    folder.mkdir()
    t = np.arange(12 * rate) / rate
    f0 = rate / 512  # a decoder's line spacing, faint under music the CNN reads as real: the comb decides alone
    lines = sum(np.cos(2 * np.pi * k * f0 * t) for k in range(1, int(16000 / f0)))
    sf.write(
        folder / "lines.wav", (music_like(12.0, rate, 1) + 0.0002 * lines).astype(np.float32), rate, subtype="PCM_16"
    )
    song, _ = sf.read(data_dir("demo") / "karissa_hobbs-lets_go_fishin-excerpt.flac", frames=15 * rate)
    decoded, _ = sf.read(
        data_dir("demo") / "karissa_hobbs-lets_go_fishin-excerpt-through-hifigan.flac", frames=15 * rate
    )
    song[6 * rate : 12 * rate] = decoded[6 * rate : 12 * rate].reshape(6 * rate, -1)  # 0:06-0:12 through HiFi-GAN
    sf.write(folder / "spliced.wav", song, rate, subtype="PCM_16")
    sf.write(folder / "room_tone.wav", room_tone(1, 12.0), rate)
    out, jl = tmp_path / "out.csv", tmp_path / "out.jsonl"
    assert main(["batch", str(folder), "-o", str(out), "--jsonl", str(jl), "--no-progress"]) == 0, (
        capsys.readouterr().err
    )
    rows = read_csv(out)
    assert list(rows[0]) == [
        "path",
        "status",
        "verdict",
        "probability_fake",
        "interval_low",
        "interval_high",
        "sha256",
        "duplicate_of",
        "score_comb",
        "score_declared",
        "score_fakeprint",
        "score_patch_cnn",
        "score_profiles",
        "note_codes",
        "model_name",
        "model_version",
        "calibration_version",
        "duration_s",
        "report",
        "error",
        "deciding_evidence",
        "strongest_window_s",
        "comb_spacing_hz",
        "comb_architecture",
        "rescored_at",
        # each evidence source's own columns, in the registry's order
        "profile_match",
        "declared_generator",
        "declared_source_type",
        "c2pa",
        "isrc",
        "encoder",
    ]
    by = {Path(r["path"]).name: r for r in rows}
    comb = by["lines.wav"]
    # the comb finds the lines; since the built-in profiles, ACE-Step v1's (a decoder that upsamples too) matches
    # them as well and, the stronger line, gives the probability: profile_match names it
    assert comb["verdict"] == "likely_fake" and comb["deciding_evidence"] in ("comb", "profiles")
    assert comb["deciding_evidence"] == "comb" or comb["profile_match"]
    spacing = float(comb["comb_spacing_hz"])
    assert abs(spacing / f0 - round(spacing / f0)) < 0.01 and "upsampling" in comb["comb_architecture"]
    start, end = map(float, by["spliced.wav"]["strongest_window_s"].split("-"))
    assert 6.0 <= (start + end) / 2 <= 12.0 and 2.0 < end - start < 4.0
    assert by["spliced.wav"]["deciding_evidence"] in ("patch_cnn", "comb", "profiles")
    room = by["room_tone.wav"]
    assert room["deciding_evidence"] == "none" and room["comb_spacing_hz"] == "" and room["comb_architecture"] == ""
    lines_json = {Path(x["path"]).name: x for x in map(json.loads, jl.read_text().splitlines())}
    assert lines_json["spliced.wav"]["strongest_window_s"] == pytest.approx([start, end], abs=0.01)
    assert lines_json["lines.wav"]["deciding_evidence"] == comb["deciding_evidence"]
    assert lines_json["lines.wav"]["profile_match"] == comb["profile_match"]
    assert lines_json["lines.wav"]["comb_spacing_hz"] == pytest.approx(spacing, rel=1e-4)


def test_a_store_of_the_version_before_gains_the_new_columns(tmp_path, tiny_weights):
    """--resume on a store written before the evidence columns existed goes on, and fills them for new files."""
    store_path = tmp_path / "old.sqlite"
    db = sqlite3.connect(str(store_path))
    db.execute(
        "CREATE TABLE results (sha256 TEXT PRIMARY KEY, path TEXT NOT NULL, outcome TEXT NOT NULL, run INTEGER "
        "NOT NULL, verdict TEXT, probability_fake REAL, interval_low REAL, interval_high REAL, duration_s REAL, "
        "note_codes TEXT, model_name TEXT, model_version TEXT, model_sha256 TEXT, calibration_version TEXT, "
        "report_path TEXT, reason TEXT, elapsed_s REAL, worker TEXT, peak_rss_mb REAL, finished_at TEXT NOT NULL)"
    )
    db.commit()
    db.close()
    write(tmp_path / "in" / "a.wav", seed=1)
    with Store(store_path) as store:
        run = run_batch([str(tmp_path / "in")], store, BatchOptions(weights_dir=str(tiny_weights), resume=True))
        row = next(store.iter_rows(run))
    assert row["status"] == "analysed" and row["deciding_evidence"] in ("patch_cnn", "comb", "fakeprint", "none")
    assert row["strongest_window_s"] is None or row["strongest_window_s"][0] < row["strongest_window_s"][1]


def test_a_file_a_detector_could_not_measure_is_an_analysed_row(tmp_path, capsys):
    """Room tone: the fakeprint reports 'not measured' (no score); the row is analysed, not an error."""
    from forensic_app.training.kinds import room_tone

    folder = tmp_path / "inbox"
    folder.mkdir()
    sf.write(folder / "room_tone.wav", room_tone(1, 12.0), 44100)
    out = tmp_path / "out.csv"
    code = main(["batch", str(folder), "-o", str(out), "--no-progress"])  # the shipped model, with the fakeprint
    err = capsys.readouterr().err
    assert code == 0, err
    row = read_csv(out)[0]
    assert row["verdict"] == "inconclusive" and not row.get("error")
    assert row["score_fakeprint"] == ""
