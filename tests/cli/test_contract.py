"""The CLI's JSON contract, multi-file behaviour, progress bar, cancellation, headless imports."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from forensic_app.cli import ProgressBar, main
from forensic_app.core.analysis import analyze
from forensic_app.core.errors import Cancelled
from forensic_app.core.progress import CancelToken, Progress
from forensic_app.core.result import VERDICTS, SEVERITIES


def test_json_contract(capsys, make_wav, tiny_weights):
    p = make_wav("music", 8.0, channels=2)
    assert main(["analyze", str(p), "--json", "--weights", str(tiny_weights), "--no-progress"]) == 0
    d = json.loads(capsys.readouterr().out)
    for key in (
        "file",
        "sha256",
        "duration_s",
        "sample_rate",
        "channels",
        "probability_fake",
        "interval",
        "verdict",
        "windows",
        "notes",
        "model",
        "detectors",
    ):
        assert key in d
    assert d["file"] == str(p) and len(d["sha256"]) == 64
    assert d["sample_rate"] == 44100 and d["channels"] == 2 and abs(d["duration_s"] - 8.0) < 1e-3
    lo, hi = d["interval"]
    assert 0.0 <= lo <= d["probability_fake"] <= hi <= 1.0
    assert d["verdict"] in VERDICTS
    assert d["windows"] and all(
        0 <= w["start_s"] < w["end_s"] <= 8.1 and 0 <= w["probability_fake"] <= 1 for w in d["windows"]
    )
    assert all(a["end_s"] <= b["start_s"] + 1e-9 for a, b in zip(d["windows"], d["windows"][1:]))
    assert all(set(n) == {"code", "severity", "text"} and n["severity"] in SEVERITIES and n["text"] for n in d["notes"])
    assert {"name", "version", "sha256"} <= set(d["model"])
    assert d["detectors"][0]["name"] == "patch_cnn"
    # the tiny model is untrained: the user is told so, and never gets a confident "real"
    codes = {n["code"] for n in d["notes"]}
    assert "untrained_model" in codes
    if d["verdict"] != "likely_fake":
        assert "uncovered_generators" in codes


def test_several_files_give_a_list_and_bad_ones_exit_2(capsys, make_wav, tiny_weights, tmp_path):
    a = make_wav("music", 3.0, name="a.wav")
    b = make_wav("noise", 3.0, name="b.wav")
    missing = tmp_path / "missing.wav"
    code = main(["analyze", str(a), str(missing), str(b), "--json", "--weights", str(tiny_weights), "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 2
    d = json.loads(out)
    assert [x["file"] for x in d] == [str(a), str(missing), str(b)]  # the bad file keeps its place in the list
    assert (
        d[1]["exit"] == 2 and "missing.wav: file not found" in d[1]["error"] and set(d[1]) == {"file", "error", "exit"}
    )
    assert "verdict" in d[0] and "verdict" in d[2]
    assert "missing.wav: file not found" in err


def test_human_output_names_full_paths(capsys, make_wav, tiny_weights, tmp_path, monkeypatch):
    for sub in ("x", "y"):
        (tmp_path / sub).mkdir()
    a = make_wav("music", 3.0, name="x/song.wav")
    b = make_wav("noise", 3.0, name="y/song.wav")
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", "x/song.wav", "y/song.wav", "--weights", str(tiny_weights), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert f"{a}: " in out and f"{b}: " in out


def test_human_output_names_verdict_and_hash(capsys, make_wav, tiny_weights):
    p = make_wav("music", 3.0)
    assert main(["analyze", str(p), "--weights", str(tiny_weights), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "Probability that the track carries traces of the covered generator kinds" in out and "sha256" in out
    assert "Covered:" in out and "Not covered:" in out


def test_progress_bar_draws_after_a_second(monkeypatch):
    clock = iter([0.0, 0.5, 1.5, 2.0, 2.5])
    monkeypatch.setattr("forensic_app.cli.time.monotonic", lambda: next(clock))
    buf = io.StringIO()
    bar = ProgressBar(True, "song.wav", stream=buf)
    bar(Progress(0.1, "Decoding"))  # at 0.5 s: too early, nothing drawn
    assert buf.getvalue() == ""
    bar(Progress(0.5, "Decoding"))
    bar(Progress(1.0, "Done"))
    bar.close()
    text = buf.getvalue()
    assert " 50%" in text and "100%" in text and text.endswith("\n")


def test_cancel_stops_analysis(make_wav, tiny_weights):
    p = make_wav("music", 40.0)
    token = CancelToken()
    seen = []

    def on_progress(pr):
        seen.append(pr.fraction)
        if pr.fraction > 0.2:
            token.cancel()

    with pytest.raises(Cancelled):
        analyze(p, weights_dir=tiny_weights, on_progress=on_progress, cancel=token)
    assert max(seen) < 0.9


def test_headless_side_never_imports_qt():
    code = (
        "import sys, forensic_app.cli, forensic_app.core.analysis, forensic_app.report, "
        "forensic_app.training.pipeline; forensic_app.cli.build_parser(); "
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'shiboken6'))]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_reports_for_two_files_of_the_same_name_do_not_overwrite(capsys, make_wav, tiny_weights, tmp_path, monkeypatch):
    written = []
    monkeypatch.setattr("forensic_app.report.write_report", lambda result, path, **kw: written.append(path) or path)
    for sub in ("x", "y"):
        (tmp_path / sub).mkdir()
    a = make_wav("music", 3.0, name="x/song.wav")
    b = make_wav("noise", 3.0, name="y/song.wav")
    assert (
        main(
            [
                "analyze",
                str(a),
                str(b),
                "--report",
                str(tmp_path / "r.pdf"),
                "--weights",
                str(tiny_weights),
                "--no-progress",
            ]
        )
        == 0
    )
    assert len(set(written)) == 2 and all(p.name.startswith("r-song-") for p in written)


def test_analyze_of_many_files_keeps_no_results_alive(capsys, make_wav, tiny_weights, monkeypatch):
    """Only what is printed is kept per file, so 1,000 tracks do not need 1,000 results in memory."""
    import gc
    import weakref

    import forensic_app.cli as cli

    refs = []
    real = cli._analyze_file

    def tracked(f, args):
        r = real(f, args)
        refs.append(weakref.ref(r))
        return r

    monkeypatch.setattr(cli, "_analyze_file", tracked)
    files = [str(make_wav("music", 3.0, name=f"t{i}.wav")) for i in range(3)]
    assert main(["analyze", *files, "--json", "--weights", str(tiny_weights), "--no-progress"]) == 0
    gc.collect()
    assert len(refs) == 3 and all(ref() is None for ref in refs[:-1])
    assert len(json.loads(capsys.readouterr().out)) == 3
