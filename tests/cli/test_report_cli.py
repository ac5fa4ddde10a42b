"""`forensic-app report` and `analyze --report`: the PDF states what the JSON states; no silent overwrite."""

from __future__ import annotations

import json

from pypdf import PdfReader

from forensic_app.cli import main


def pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


def test_report_matches_json_and_refuses_overwrite(capsys, make_wav, tiny_weights, tmp_path):
    wav = make_wav("music", 6.0)
    out = tmp_path / "report.pdf"
    assert (
        main(["analyze", str(wav), "--json", "--weights", str(tiny_weights), "--report", str(out), "--no-progress"])
        == 0
    )
    d = json.loads(capsys.readouterr().out)
    text = pdf_text(out).replace("\n", "")
    assert d["sha256"] in text
    norm = lambda x: " ".join(x.replace("\u202f", " ").split())  # noqa: E731
    from forensic_app.core.vocabulary import format_probability

    assert norm(format_probability(d["probability_fake"])) in norm(text.replace("%", " %"))
    before = out.read_bytes()
    assert main(["report", str(wav), "-o", str(out), "--weights", str(tiny_weights), "--no-progress"]) == 2
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == before
    assert main(["report", str(wav), "-o", str(out), "--weights", str(tiny_weights), "--force", "--no-progress"]) == 0
    assert out.read_bytes() != before


def test_robustness_rows_reach_the_json_the_text_and_the_report(capsys, make_wav, tiny_weights, tmp_path):
    wav = make_wav("music", 5.0)
    assert main(["analyze", str(wav), "--json", "--robustness", "--weights", str(tiny_weights), "--no-progress"]) == 0
    rows = json.loads(capsys.readouterr().out)["robustness"]
    assert len(rows) == 6 and any(r["manipulation"] == "Pitch shifted up 1 semitone" for r in rows)

    assert main(["analyze", str(wav), "--robustness", "--weights", str(tiny_weights), "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "Robustness (the same analysis on manipulated copies):" in text and "Level 6 dB lower: " in text

    out = tmp_path / "r.pdf"
    assert (
        main(["report", str(wav), "-o", str(out), "--robustness", "--weights", str(tiny_weights), "--no-progress"]) == 0
    )
    pdf = pdf_text(out)
    assert "This check was not run" not in pdf
    assert "White noise 40 dB below the music" in pdf and "Slowed down to 96 % speed" in pdf
