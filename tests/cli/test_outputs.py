"""Nothing the user did not ask to change is ever changed: no command writes over a file it analyses
(by its path, another spelling, a symbolic or a hard link), whatever --force says, and every refusal
is one line on stderr, exit 2, before anything is analysed."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from forensic_app.cli import main


def one_line_error(err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "usage:" not in err, err
    for w in words:
        assert w in lines[0], (w, lines[0])


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------------------------------------- batch
def test_batch_output_named_as_the_input_is_refused_and_the_song_kept(
    make_wav, tiny_weights, tmp_path, capsys, count_analyze, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    song = make_wav("music", 3.0, name="song.flac", fmt="FLAC")
    before = song.read_bytes()
    for out in (["-o", "song.flac"], ["--jsonl", "song.flac"], ["-o", "./sub/../song.flac"]):
        (tmp_path / "sub").mkdir(exist_ok=True)
        code = main(["batch", "song.flac", *out, "--weights", str(tiny_weights), "--no-progress"])
        assert code == 2, out
        one_line_error(
            capsys.readouterr().err,
            f"{out[0]} ",
            "is the analysed audio file",
            "song.csv" if out[0] == "-o" else "song.jsonl",
        )
        assert song.read_bytes() == before
    assert count_analyze == []
    assert not list(tmp_path.glob("*.sqlite"))  # refused before the store was made


def test_batch_output_that_is_a_file_of_an_input_folder_or_a_link_to_one_is_refused(
    tmp_path, tiny_weights, capsys, count_analyze, make_wav
):
    d = tmp_path / "d"
    d.mkdir()
    b = make_wav("music", 3.0, name="d/b.wav")
    make_wav("noise", 3.0, name="d/c.wav")
    before = b.read_bytes()
    (tmp_path / "link.csv").symlink_to(b)
    os.link(b, tmp_path / "hard.csv")
    for out in (str(b), str(tmp_path / "link.csv"), str(tmp_path / "hard.csv")):
        assert main(["batch", str(d), "-o", out, "--weights", str(tiny_weights), "--no-progress"]) == 2
        one_line_error(capsys.readouterr().err, f"-o {out} is the analysed audio file")
        assert b.read_bytes() == before and (tmp_path / "link.csv").is_symlink()
    assert count_analyze == []


def test_batch_rewrites_its_own_table_inside_the_folder_it_analyses(make_wav, tiny_weights, tmp_path, capsys):
    d = tmp_path / "d"
    d.mkdir()
    make_wav("music", 3.0, name="d/a.wav")
    out = d / "results.csv"
    assert main(["batch", str(d), "-o", str(out), "--weights", str(tiny_weights), "--no-progress"]) == 0
    assert main(["batch", str(d), "-o", str(out), "--resume", "--weights", str(tiny_weights), "--no-progress"]) == 0
    assert [Path(r["path"]).name for r in rows(out)] == ["a.wav"]  # the earlier table is not an input


def test_batch_outputs_are_three_different_files(make_wav, tiny_weights, tmp_path, capsys, count_analyze):
    song = make_wav("music", 3.0)
    assert (
        main(
            [
                "batch",
                str(song),
                "-o",
                str(tmp_path / "r.csv"),
                "--jsonl",
                str(tmp_path / "r.csv"),
                "--weights",
                str(tiny_weights),
                "--no-progress",
            ]
        )
        == 2
    )
    one_line_error(capsys.readouterr().err, "-o and --jsonl both name")
    # -o r.sqlite: the default store is r.sqlite too, and the table would replace the results
    assert (
        main(["batch", str(song), "-o", str(tmp_path / "r.sqlite"), "--weights", str(tiny_weights), "--no-progress"])
        == 2
    )
    one_line_error(capsys.readouterr().err, "-o and --store both name", "--store")
    assert count_analyze == [] and not (tmp_path / "r.sqlite").exists()


def test_batch_reports_folder_that_is_the_input_folder_is_refused(
    make_wav, tiny_weights, tmp_path, capsys, count_analyze
):
    music = tmp_path / "l"
    music.mkdir()
    make_wav("music", 3.0, name="l/a.wav")
    make_wav("noise", 3.0, name="l/b.wav")
    table = tmp_path / "bl.csv"
    assert (
        main(
            [
                "batch",
                str(music),
                "--reports",
                str(music),
                "-o",
                str(table),
                "--weights",
                str(tiny_weights),
                "--no-progress",
            ]
        )
        == 2
    )
    one_line_error(capsys.readouterr().err, f"--reports {music} holds", "a.wav", "l-reports")
    assert count_analyze == [] and not table.exists()
    # a new folder inside the input folder: every input is a row, the reports (second run too) are not
    reports = music / "reports"
    for extra in ([], ["--resume"]):
        assert (
            main(
                [
                    "batch",
                    str(music),
                    "--reports",
                    str(reports),
                    "-o",
                    str(table),
                    *extra,
                    "--weights",
                    str(tiny_weights),
                    "--no-progress",
                ]
            )
            == 0
        )
        got = rows(table)
        assert [Path(r["path"]).name for r in got] == ["a.wav", "b.wav"] and all(r["report"] for r in got)
    assert len(list(reports.glob("*.pdf"))) == 2


def test_batch_table_in_a_read_only_folder_is_a_user_error(make_wav, tiny_weights, tmp_path, capsys, count_analyze):
    song = make_wav("music", 3.0)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        (ro / "probe").touch()
    except PermissionError:
        pass
    else:
        ro.chmod(0o755)
        pytest.skip("this user may write in a read-only folder (root)")
    try:
        code = main(
            [
                "batch",
                str(song),
                "-o",
                str(ro / "results.csv"),
                "--store",
                str(tmp_path / "s.sqlite"),
                "--weights",
                str(tiny_weights),
                "--no-progress",
            ]
        )
    finally:
        ro.chmod(0o755)
    assert code == 2
    one_line_error(capsys.readouterr().err, "permission denied", "choose another location")
    assert count_analyze == []


def test_the_queue_table_is_never_exported_over_one_of_its_files(tmp_path):
    from forensic_app.batch.export import write_rows_csv
    from forensic_app.core.outputs import OutputError

    song = tmp_path / "song.wav"
    song.write_bytes(b"RIFF audio")
    row = {
        "path": str(song),
        "status": "analysed",
        "verdict": "no_traces_found",
        "probability_fake": 0.02,
        "interval": [0.01, 0.03],
        "sha256": "ab" * 32,
        "duplicate_of": None,
        "detectors": {},
        "notes": [],
        "model": {},
        "duration_s": 3.0,
        "report": None,
        "error": None,
    }
    with pytest.raises(OutputError, match="analysed audio file itself"):
        write_rows_csv([row], song)
    assert song.read_bytes() == b"RIFF audio"


# ---------------------------------------------------------------------------------------------- case
def test_case_never_writes_its_report_or_itself_over_an_analysed_file(
    make_wav, tiny_weights, tmp_path, capsys, count_analyze
):
    song = make_wav("music", 3.0, name="song.flac", fmt="FLAC")
    before = song.read_bytes()
    attempts = [
        [str(tmp_path / "c.facase"), str(song), "--report", str(song), "--force"],  # the report over the song
        [str(song), str(song), "--force"],  # the case over the song
        [str(tmp_path / "c.facase"), str(song), "--report", str(tmp_path / "c.facase"), "--force"],  # report over case
    ]
    for argv in attempts:
        assert main(["case", *argv, "--weights", str(tiny_weights), "--no-progress"]) == 2, argv
        err = capsys.readouterr().err
        one_line_error(err, "--force never replaces a file being analysed")
        assert song.read_bytes() == before
    assert count_analyze == [] and not (tmp_path / "c.facase").exists()
    # reopening a saved case: the report may not replace one of its lanes either
    assert main(["case", str(tmp_path / "c.facase"), str(song), "--weights", str(tiny_weights), "--no-progress"]) == 0
    capsys.readouterr()
    assert (
        main(
            [
                "case",
                str(tmp_path / "c.facase"),
                "--report",
                str(song),
                "--force",
                "--weights",
                str(tiny_weights),
                "--no-progress",
            ]
        )
        == 2
    )
    one_line_error(capsys.readouterr().err, "is the analysed audio file itself")
    assert song.read_bytes() == before


def test_a_case_is_never_saved_over_one_of_its_files(make_wav, tiny_weights, tmp_path):
    from forensic_app.case import new_case
    from forensic_app.case.document import CaseFileError, save_case

    song = make_wav("music", 3.0)
    case = new_case([song], weights_dir=str(tiny_weights))
    before = song.read_bytes()
    (tmp_path / "alias.facase").symlink_to(song)
    for target in (song, tmp_path / "alias.facase"):
        with pytest.raises(CaseFileError, match="analysed audio file"):
            save_case(case, target)
    assert song.read_bytes() == before


# ---------------------------------------------------------------------------------------------- report, analyze
def test_report_over_the_song_by_a_link_is_refused_before_the_analysis(
    make_wav, tiny_weights, tmp_path, capsys, count_analyze
):
    song = make_wav("music", 3.0)
    before = song.read_bytes()
    (tmp_path / "link.pdf").symlink_to(song)
    os.link(song, tmp_path / "hard.pdf")
    for out in (song, tmp_path / "link.pdf", tmp_path / "hard.pdf"):
        for cmd in (["report", str(song), "-o", str(out)], ["analyze", str(song), "--report", str(out)]):
            assert main([*cmd, "--force", "--weights", str(tiny_weights), "--no-progress"]) == 2
            one_line_error(capsys.readouterr().err, "is the analysed audio file", "--force never replaces")
    assert count_analyze == [] and song.read_bytes() == before and (tmp_path / "link.pdf").is_symlink()


def test_report_into_a_folder_says_it_is_a_folder(make_wav, tiny_weights, tmp_path, capsys, count_analyze):
    song = make_wav("music", 3.0)
    folder = tmp_path / "out"
    folder.mkdir()
    assert main(["report", str(song), "-o", str(folder), "--weights", str(tiny_weights), "--no-progress"]) == 2
    err = capsys.readouterr().err
    one_line_error(err, f"{folder} is a folder", str(folder / "report.pdf"))
    assert "already exists" not in err and count_analyze == []


def test_identical_files_in_one_analyze_get_one_report(make_wav, tiny_weights, tmp_path, capsys):
    a = make_wav("music", 3.0, name="x.wav")
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "x.wav").write_bytes(a.read_bytes())
    code = main(
        [
            "analyze",
            str(tmp_path / "a" / "x.wav"),
            str(tmp_path / "b" / "x.wav"),
            "--report",
            str(tmp_path / "multi.pdf"),
            "--weights",
            str(tiny_weights),
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert len(list(tmp_path.glob("multi-x-*.pdf"))) == 1
    assert "overwrite=True" not in err and "the same bytes as" in err


def test_a_newline_in_a_file_name_stays_on_the_first_line(make_wav, tiny_weights, capsys):
    song = make_wav("music", 3.0, name="new\nline.wav")
    assert main(["analyze", str(song), "--weights", str(tiny_weights), "--no-progress"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(str(song.parent / "new\\nline.wav") + ": "), first


def test_a_file_name_that_starts_with_a_dash(make_wav, tiny_weights, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_wav("music", 3.0, name="-song.wav")
    assert main(["analyze", "-song.wav", "--weights", str(tiny_weights), "--no-progress"]) == 0
    assert capsys.readouterr().out.startswith(f"{tmp_path / '-song.wav'}: ")
    with pytest.raises(SystemExit) as stop:  # argparse's way out, with our one line instead of its usage text
        main(["analyze", "-nosuch.wav", "--weights", str(tiny_weights), "--no-progress"])
    assert stop.value.code == 2
    one_line_error(capsys.readouterr().err, "-nosuch.wav", "./-nosuch.wav", "--")
