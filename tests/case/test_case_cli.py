"""``forensic-app case``: a new case file and its report, reopening without re-analysing, clear refusals."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from forensic_app.case import load_case
from forensic_app.cli import main
from tests.stems import RATE


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (packaging/install-deps.sh)")
def test_a_case_is_written_with_its_report_and_reopened_without_analysis(own_stems, tmp_path, capsys, count_analyze):
    case_path, report = tmp_path / "single.facase", tmp_path / "single.pdf"
    code = main(
        [
            "case",
            str(case_path),
            str(own_stems["vocals"]),
            str(own_stems["drums"]),
            str(own_stems["bass"]),
            str(own_stems["other"]),
            "--label",
            f"lead vocal={own_stems['vocals']}",
            "--separated",
            "lead vocal",
            "--report",
            str(report),
            "--no-progress",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    calls = count_analyze
    assert sorted(calls) == sorted(str(p) for p in own_stems.values())
    assert (
        "Analysing 4 file(s)" in err and f"Case written to {case_path}" in err and f"Report written to {report}" in err
    )
    # the lead vocal went through a HiFi-GAN-style decoder: its comb, the CNN and the built-in profile whose
    # decoder leaves the same fingerprint (ACE-Step v1's) all say so
    assert out.splitlines()[0] == (
        "lead vocal: comb every 86 Hz, patch CNN high, fingerprint of ACE-Step v1, "
        "likely AI-generated; drums, bass, other: no traces of the covered generators."
    )
    case = load_case(case_path)
    assert [f.label for f in case.lanes] == ["lead vocal", "drums", "bass", "other"]
    assert [f.separated for f in case.lanes] == [True, False, False, False]
    text = pdf_text(report)
    assert "Case report: 4 files analysed together" in text
    assert (
        "lead vocal: comb every 86 Hz, patch CNN high, fingerprint of ACE-Step v1, likely AI-generated; drums, bass,"
        in text
    )
    for words in (
        "Reviewer decision",
        "Undecided",
        "Lane 1 of 4: lead vocal",
        "Lane 4 of 4: other",
        "source separator",
        "No regions were marked in this case",
        "Limitations of the model, as measured",
        case.lanes[0].sha256[:40],
    ):
        assert words in text, words
    assert len(re.findall(r"page \d+ / \d+", text)) >= 9

    calls.clear()  # reopening: the report from the saved case, nothing analysed
    report2 = tmp_path / "again.pdf"
    assert main(["case", str(case_path), "--report", str(report2), "--no-progress"]) == 0, capsys.readouterr().err
    out, err = capsys.readouterr()
    assert calls == [] and "Analysing again" not in err
    assert "From the saved analyses (same file bytes, same model): lead vocal, drums, bass, other" in err
    assert "Lane 1 of 4: lead vocal" in pdf_text(report2)

    x, rate = sf.read(own_stems["other"], dtype="float32")
    sf.write(own_stems["other"], x[: rate * 8] * 0.5, rate, subtype="PCM_16")  # re-exported since: shorter, quieter
    report3 = tmp_path / "third.pdf"
    assert main(["case", str(case_path), "--report", str(report3), "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert calls == [str(own_stems["other"])]
    assert "other: other.wav changed since it was analysed" in err
    assert "Analysing again: other (the other lanes keep their saved results)" in err
    assert f"Case updated in {case_path}" in err
    assert load_case(case_path).lanes[3].result.input.duration_s == pytest.approx(8.0)


def test_a_file_that_became_unreadable_is_named_and_nothing_is_saved(own_stems, tmp_path, capsys):
    case_path = tmp_path / "c.facase"
    assert main(["case", str(case_path), str(own_stems["drums"]), str(own_stems["bass"]), "--no-progress"]) == 0
    before = case_path.read_bytes()
    own_stems["bass"].write_bytes(own_stems["bass"].read_bytes()[:-40000])  # cut off while copying
    capsys.readouterr()
    assert main(["case", str(case_path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "bass: bass.wav changed since it was analysed" in err
    assert "error: bass.wav: the file is truncated" in err
    assert case_path.read_bytes() == before


def test_an_existing_case_is_not_replaced_without_force(own_stems, tmp_path, capsys, count_analyze):
    calls = count_analyze
    case_path = tmp_path / "c.facase"
    case_path.write_text("precious")
    assert main(["case", str(case_path), str(own_stems["drums"]), "--no-progress"]) == 2
    assert "already exists: pass --force" in capsys.readouterr().err
    assert case_path.read_text() == "precious" and calls == []
    assert main(["case", str(case_path), str(own_stems["drums"]), "--force", "--no-progress"]) == 0
    assert load_case(case_path).lanes[0].label == "drums"


def test_a_future_or_corrupt_case_gives_the_message_and_exit_2(tmp_path, capsys):
    future = tmp_path / "future.facase"
    future.write_text('{"format": "forensic_app case", "format_version": 99, "app_version": "7.0.0"}')
    assert main(["case", str(future), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: future.facase was made by a newer forensic_app (7.0.0") and "update the app" in err
    corrupt = tmp_path / "corrupt.facase"
    corrupt.write_bytes(b"PK\x03\x04 a zip, not a case")
    assert main(["case", str(corrupt), "--no-progress"]) == 2
    assert "corrupt.facase is not a case file" in capsys.readouterr().err


def test_align_sets_the_offsets(tmp_path, capsys):
    from .test_align import demo_and_master

    demo, master = demo_and_master(tmp_path, 1.5)
    case_path = tmp_path / "versions.facase"
    assert main(["case", str(case_path), str(demo), str(master), "--align", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "master runs 1.50" in err and "later than the reference" in err
    assert abs(load_case(case_path).lanes[1].offset_s - 1.5) < 0.005


def test_separated_takes_the_label_taken_from_the_file_name(own_stems, tmp_path, capsys):
    """The README's example: no --label, so the vocals lane is called after vocals.wav."""
    case_path = tmp_path / "c.facase"
    files = [str(own_stems["vocals"]), str(own_stems["drums"])]
    assert main(["case", str(case_path), *files, "--separated", "vocals", "--no-progress"]) == 0, (
        capsys.readouterr().err
    )
    assert [f.separated for f in load_case(case_path).lanes] == [True, False]
    code = main(["case", str(tmp_path / "d.facase"), *files, "--separated", "vocal", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "--separated 'vocal' names no file of this case" in err and "drums, vocals" in err
    assert not (tmp_path / "d.facase").exists()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (packaging/install-deps.sh)")
def test_an_offset_under_a_millisecond_is_printed_without_a_minus_sign(tmp_path, capsys):
    """A re-export that starts 8 samples early lines up at -0.2 ms: the case report printed '-0.000 s'."""
    from forensic_app.training.synth import music_like
    from tests.stems import drums

    mix = (music_like(12.0, RATE, 3) + 0.5 * drums(12.0, RATE, 4)).astype(np.float32)
    sf.write(tmp_path / "mix.wav", mix, RATE, subtype="PCM_16")
    sf.write(tmp_path / "reexport.wav", mix[8:], RATE, subtype="PCM_16")
    case_path, pdf = tmp_path / "v.facase", tmp_path / "v.pdf"
    assert (
        main(
            [
                "case",
                str(case_path),
                str(tmp_path / "mix.wav"),
                str(tmp_path / "reexport.wav"),
                "--align",
                "--report",
                str(pdf),
                "--no-progress",
            ]
        )
        == 0
    ), capsys.readouterr().err
    assert -0.0005 < load_case(case_path).lanes[1].offset_s < 0  # found, and earlier
    text = pdf_text(pdf)
    assert "0.000 s" in text and "-0.000" not in text and "+0.000" not in text
