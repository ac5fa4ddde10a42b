"""The recourse PDF, read back as a reviewer would: text, pages, fonts, file handling."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest
from pypdf import PdfReader

from forensic_app.core.vocabulary import PROBABILITY_LABEL, format_change, format_range, probability_text
from forensic_app.core.errors import ForensicError
from forensic_app.core.result import VERDICT_WORDS
from forensic_app.report import ReportExistsError, write_report
from forensic_app.report.pdf import ReportError

from tests.factories import MODEL_CARD, ROBUSTNESS, make_comb, make_result
from ._pdfread import BASE14, font_report, page_texts, squash, text_runs, words


@pytest.fixture(scope="module")
def standard(tmp_path_factory) -> tuple:
    result = make_result(robustness=ROBUSTNESS)
    path = write_report(result, tmp_path_factory.mktemp("std") / "report.pdf", model_card=MODEL_CARD)
    return result, path, page_texts(path)


def test_text_matches_the_json_contract(standard):
    result, path, texts = standard
    d = result.to_json_dict()
    text = words(texts)
    flat = squash(text)
    assert d["sha256"] in flat
    assert d["pcm_sha256"] in flat
    assert d["model"]["sha256"] in flat
    assert d["model"]["calibration_version"] in text
    assert words([f"{PROBABILITY_LABEL}: {probability_text(d['probability_fake'], d['interval'])}"]) in text
    assert words(["87 % (range 80-92 %)"]) in text  # the one number style, core.vocabulary.probability_text
    assert f"Verdict: {VERDICT_WORDS[d['verdict']]}" in text
    assert d["provenance"]["analysed_at"] in text
    # the file's name, never its folders (user names), unless the user asks for the path
    assert squash(d["provenance"]["command"].replace(d["file"], d["file_name"])) in flat
    assert "/home/artist" not in text


def test_sections_appear_in_the_required_order(standard):
    _, _, texts = standard
    text = words(texts)
    headings = [
        "Part 1: Summary",
        "What the verdict rests on",
        "The evidence",
        "What this means",
        "What the artist can add",
        "Part 2: Technical appendix",
        "A.1 Identification",
        "A.2 Each evidence source",
        "A.3 Notes on this file",
        "A.4 Robustness",
        "A.5 Limitations",
        "A.6 Model identity",
        "Reviewer",
    ]
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)
    assert "not a percentage of AI content" in text
    assert "not proof of human origin" in text


def test_every_page_has_footer_with_hash_prefix(standard):
    result, _, texts = standard
    prefix = result.input.file_sha256[:16]
    assert len(texts) >= 3
    for number, text in enumerate(texts, start=1):
        assert f"page {number} / {len(texts)}" in text
        assert prefix in text


def test_evidence_lists_top_regions_comb_attribution_notes(standard):
    result, _, texts = standard
    text = words(texts)
    # Top region 1 is the 0:14-0:16 window at 0.900 (see tests.factories.make_windows).
    assert "1 0:14.0 0:16.0 90 %" in text
    assert "344.53 Hz" in text
    assert "1.3 % (0.0130) of real-music reference tracks" in text
    assert "HiFi-GAN (GAN vocoder) 71 %" in text and "tconv" not in text  # names for people, not internal keys
    for severity in ("Caution", "Warning: weakens the result", "For information"):
        assert severity in text
    assert "MP3 128 kbps re-encode 84 % -3 points" in text
    assert "Stems" in text and "project files" in text and "session history" in text


def test_model_card_limitations_on_the_pages_its_tables_in_the_attachment(standard):
    """#26: known failure modes on the pages; per-source false-positive tables and the rest of the model card
    only in the attached analysis.json."""
    import json

    from forensic_app.report.verify import read_attachment

    text = words(standard[2])
    assert "Solo vocals with pitch correction" in text
    assert "jamendo" not in text and "Training data" not in text
    data, _ = read_attachment(standard[1])
    card = json.loads(data)["analysis"]["model_card"]
    assert card["false_positive_rates_by_source"]["jamendo"] == 0.021 and "training_data" in card


def test_missing_parts_are_said_not_hidden(tmp_path):
    comb = make_comb(np.random.default_rng(1), real_fp_rate=None)
    path = write_report(make_result(comb=comb, attribution={}, notes=[]), tmp_path / "a.pdf")
    text = words(page_texts(path))
    assert "False-positive rate on real music not measured" in text
    assert "No decoder-family attribution was made" in text
    assert "No notes were raised for this file" in text
    assert "This check was not run" in text  # robustness None
    assert "The model card states no known failure modes" in text

    path = write_report(make_result(comb=None, robustness=[]), tmp_path / "b.pdf")
    text = words(page_texts(path))
    assert "The comb check produced no result" in text
    assert "produced no manipulated versions" in text


def test_markup_in_file_name_prints_literally(tmp_path):
    name = "<b>x</b>&.mp3"
    path = write_report(make_result(file_name=name), tmp_path / "r.pdf")
    text = words(page_texts(path))
    assert f"File name {name}" in text
    assert "&amp;" not in text


def test_non_ascii_name_prints_and_cjk_falls_back_to_code_point(tmp_path):
    path = write_report(make_result(file_name="Ünïcödé 曲.wav"), tmp_path / "r.pdf")
    text = words(page_texts(path))
    assert "Ünïcödé [U+66F2].wav" in text
    assert "shown as their Unicode code point" in text


def test_long_names_and_hashes_wrap_inside_the_page(tmp_path):
    name = "a_very_long_file_name_without_any_spaces_" * 6 + ".wav"
    result = make_result(file_name=name)
    path = write_report(result, tmp_path / "r.pdf", page_size="letter")
    assert _page_sizes(path) == {LETTER_PT}
    assert name in squash("\n".join(page_texts(path)))
    runs, sizes = text_runs(path)
    assert runs
    for run in runs:
        page_width = sizes[run.page - 1][0]
        assert run.x >= 0, run
        assert run.x + run.width <= page_width - 30, run  # inside the 18-mm margin, with slack


A4_PT, LETTER_PT = (595.3, 841.9), (612.0, 792.0)


def _page_sizes(path: Path) -> set[tuple[float, float]]:
    return {(round(float(p.mediabox.width), 1), round(float(p.mediabox.height), 1)) for p in PdfReader(str(path)).pages}


def test_a4_is_the_default_page_size(standard):
    assert _page_sizes(standard[1]) == {A4_PT}


def test_unknown_page_size_is_a_user_error(tmp_path):
    with pytest.raises(ReportError, match="A4"):
        write_report(make_result(), tmp_path / "r.pdf", page_size="A5")
    assert not (tmp_path / "r.pdf").exists()


def test_fonts_are_embedded_truetype(standard):
    fonts = font_report(standard[1])
    assert fonts
    for font in fonts:
        assert font["name"].split("+")[-1] not in BASE14, font
        assert font["subtype"] == "/TrueType", font
        assert font["embedded_truetype"], font
    assert any("DejaVuSans" in f["name"] for f in fonts)


@pytest.fixture
def quick_build(monkeypatch):
    """File-handling tests do not need the real layout: write a stand-in PDF quickly."""
    import forensic_app.report.pdf as pdf

    def build(result, out, pagesize, model_card, include_path):
        out.write(b"%PDF-1.4 stand-in for " + result.input.file_sha256.encode())

    monkeypatch.setattr(pdf, "_write", build)


def test_refuses_to_overwrite_without_permission(tmp_path, quick_build):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"earlier report")
    with pytest.raises(ReportExistsError) as info:
        write_report(make_result(), target)
    assert isinstance(info.value, ForensicError)
    assert "--force" in str(info.value) and "another file name" in str(info.value)
    assert target.read_bytes() == b"earlier report"
    assert os.listdir(tmp_path) == ["report.pdf"]

    out = write_report(make_result(), str(target), overwrite=True)
    assert out == target and isinstance(out, Path)
    assert target.read_bytes().startswith(b"%PDF")
    assert os.listdir(tmp_path) == ["report.pdf"]


def test_written_report_is_readable_by_others(tmp_path, quick_build):
    # mkstemp creates 0600 files; a report is meant to be handed to someone.
    old = os.umask(0o022)
    try:
        path = write_report(make_result(), tmp_path / "r.pdf")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    import forensic_app.report.pdf as pdf

    def broken_build(result, out, pagesize, model_card, include_path):
        out.write(b"%PDF-1.4 half a report")
        raise RuntimeError("disk full")

    monkeypatch.setattr(pdf, "_write", broken_build)
    target = tmp_path / "report.pdf"
    with pytest.raises(RuntimeError):
        write_report(make_result(), target)
    assert os.listdir(tmp_path) == []

    target.write_bytes(b"earlier report")
    with pytest.raises(RuntimeError):
        write_report(make_result(), target, overwrite=True)
    assert target.read_bytes() == b"earlier report"
    assert os.listdir(tmp_path) == ["report.pdf"]


def test_missing_folder_is_a_user_error(tmp_path):
    with pytest.raises(ReportError, match="does not exist"):
        write_report(make_result(), tmp_path / "nope" / "r.pdf")


def test_partial_model_card_says_what_it_does_not_state(tmp_path):
    card = {
        "summary": "Untrained test model.",
        "known_failure_modes": ["Loud masters."],
        "evaluation": {"auc": 0.91, "eer": 0.12},
    }
    path = write_report(make_result(), tmp_path / "r.pdf", model_card=card)
    text = words(page_texts(path))
    assert "Known failure modes: • Loud masters." in text
    assert "Untrained test model." not in text and "auc 0.91" not in text  # the card's other parts: in the attachment


def test_disk_full_is_a_user_error_and_leaves_nothing(tmp_path, monkeypatch):
    import errno

    import forensic_app.report.pdf as pdf

    def full_disk(result, out, pagesize, model_card, include_path):
        out.write(b"%PDF-1.4 part")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pdf, "_write", full_disk)
    with pytest.raises(ReportError, match="No space left on device"):
        write_report(make_result(), tmp_path / "report.pdf")
    assert os.listdir(tmp_path) == []


def test_full_path_only_when_asked(tmp_path):
    result = make_result()
    path = write_report(result, tmp_path / "with-path.pdf", include_path=True)
    text = words(page_texts(path))
    assert "Analysed path" in text and squash(result.input.path) in squash(text)


def test_never_writes_over_the_analysed_file(tmp_path):
    audio = tmp_path / "song.wav"
    audio.write_bytes(b"RIFF audio bytes")
    result = make_result()
    result = dataclasses.replace(result, input=dataclasses.replace(result.input, path=str(audio)))
    with pytest.raises(ReportError) as info:
        write_report(result, audio, overwrite=True)
    assert "analysed audio file itself" in str(info.value)
    assert audio.read_bytes() == b"RIFF audio bytes"


def test_non_utf8_file_name_does_not_break_the_report(tmp_path):
    result = make_result()
    name = "caf\udce9.wav"  # a Latin-1 byte in a UTF-8 file system, as Python decodes it
    result = dataclasses.replace(result, input=dataclasses.replace(result.input, file_name=name, path="/x/" + name))
    text = words(page_texts(write_report(result, tmp_path / "r.pdf")))
    assert "caf[U+DCE9].wav" in text


def test_the_coverage_is_stated_once_on_the_first_page_right_under_the_verdict(standard):
    from forensic_app.core.vocabulary import coverage_line

    result, _, texts = standard
    first = words(texts[:1])
    covered = words([coverage_line(result.provenance.model.families, result.fakeprint is not None)])
    assert first.count(covered) == 1
    assert first.index("Verdict:") < first.index(covered) < first.index(PROBABILITY_LABEL)


def test_one_number_style_for_values_ranges_held_values_and_changes():
    n = "\u202f"
    assert probability_text(0.63, (0.59, 0.67)) == f"63{n}% (range 59-67{n}%)"
    # a range narrower than 2 points: the value and the range take one decimal, together
    assert probability_text(0.019, (0.016, 0.022)) == f"1.9{n}% (range 1.6-2.2{n}%)"
    assert format_range(0.016, 0.024) == f"1.6-2.4{n}%" and format_range(0.12, 0.40) == f"12-40{n}%"
    # never "63 % (plausible range about 62.9 %)": the value and its range in one precision
    assert probability_text(0.62936, (0.62905, 0.62941)) == f"62.9{n}% (range within 0.1 points)"
    assert format_range(0.001, 0.002) == f"below 1{n}%" and format_range(0.995, 0.999) == f"above 99{n}%"
    assert format_range(0.004, 0.03) == f"up to 3{n}%" and format_range(0.97, 0.999) == f"97{n}% and above"
    assert probability_text(0.02, (0.01, 0.03), "held_tone") == f"2{n}% (held: not an estimate)"
    # a change as the two values print: 2 % -> 1 % is not "no change"
    assert format_change(0.0149, 0.0151) == "-1 point" and format_change(0.0151, 0.0152) == "no change"
    assert format_change(0.842, 0.873) == "-3 points"


def test_an_extreme_probability_reads_as_plain_words_on_the_first_pages(tmp_path):
    result = make_result(probability_fake=0.9995, interval=(0.996, 0.9999))
    text = words(page_texts(write_report(result, tmp_path / "r.pdf", model_card=MODEL_CARD)))
    assert "Among reference tracks that received a value this high, more than 99 in 100" in text
    assert "more than 99 % to more than 99 %" not in text and "near more than" not in text
    assert words([f"The range ({format_range(0.996, 0.9999)})"]) in text
    assert "about as many AI-generated as real" not in text  # the validation split is mostly real music


def test_tied_top_windows_are_said_to_be_a_tie(tmp_path, standard):
    from forensic_app.core.result import WindowScore

    # a whole decoded track: every window above 99 %, so "the five highest" are five of many
    windows = [WindowScore(start_s=float(k * 3), end_s=float(k * 3 + 3), probability_fake=0.9995) for k in range(10)]
    text = words(
        page_texts(
            write_report(
                make_result(windows=windows, probability_fake=0.9995, interval=(0.996, 0.9999)),
                tmp_path / "tie.pdf",
                model_card=MODEL_CARD,
            )
        )
    )
    assert "10 of the 10 windows score" in text and "the table lists 3 of them" in text
    # a clear ranking (the standard result: one hot region) says nothing of a tie
    assert "the table lists" not in words(standard[2])


def test_no_word_is_split_across_lines(standard, tmp_path):
    """Tables fit their columns: read back, no word breaks inside ('Probabili' / 'ty' in the robustness
    header, a composite calibration id broken inside one of its parts). The detector itself is checked
    on the old report's two failures in the commit that added it."""
    from ._pdfread import split_words

    assert split_words(standard[1]) == []
    model = dataclasses.replace(
        standard[0].provenance.model,
        calibration_version=("cal-20261130-2155+evidence-20261130-2231+heatmap-20261130-2239+singing-20261207-1333"),
    )
    long_id = dataclasses.replace(standard[0], provenance=dataclasses.replace(standard[0].provenance, model=model))
    assert split_words(write_report(long_id, tmp_path / "long-id.pdf", model_card=MODEL_CARD)) == []
