"""A generated WAV through the real pipeline (tiny random model) into the PDF."""

from __future__ import annotations

from forensic_app.core.vocabulary import PROBABILITY_LABEL, probability_text
from forensic_app.core.analysis import analyze
from forensic_app.core.weights import ModelManifest
from forensic_app.report import write_report

from ._pdfread import font_report, page_texts, squash, words


def test_analysed_wav_report_matches_json(tiny_weights, make_wav, tmp_path):
    # "/" cannot be in a POSIX file name, so the markup here is an unclosed tag.
    wav = make_wav("music", seconds=6.0, rate=44100, channels=2, name="Ünïcödé <b>x & 曲.wav")
    result = analyze(wav, weights_dir=tiny_weights)
    card = ModelManifest.load(tiny_weights).model_card
    path = write_report(result, tmp_path / "report.pdf", page_size="letter", model_card=card)

    texts = page_texts(path)
    text = words(texts)
    d = result.to_json_dict()
    assert d["sha256"] in squash(text)
    assert d["pcm_sha256"] in squash(text)
    assert (
        words([f"{PROBABILITY_LABEL}: {probability_text(d['probability_fake'], d['interval'], result.held)}"]) in text
    )
    assert f"Verdict: {result.verdict_words}" in text  # a 6-s clip: "Too short to tell" where it found nothing
    assert "File name Ünïcödé <b>x & [U+66F2].wav" in text
    assert "2 (stereo)" in text and "44,100 Hz" in text
    from forensic_app.report.decision import decide

    for note in decide(result).notes:  # every note, as the decision words it
        assert " ".join(note.text.split()) in text
    for value in card.get("known_failure_modes") or []:
        assert " ".join(str(value).split()) in text
    for number, page in enumerate(texts, start=1):
        assert f"page {number} / {len(texts)}" in page
        assert d["sha256"][:16] in page
    assert all(f["embedded_truetype"] for f in font_report(path))


def test_the_report_needs_nothing_but_the_result(tmp_path):
    """The window calls write_report(result, path) with nothing else: the model card (section 6)
    and the third-party model's origin come with the analysis, as in the CLI's report."""
    import numpy as np
    import soundfile as sf

    from forensic_app.core.analysis import analyze
    from forensic_app.report import write_report
    from forensic_app.training.synth import music_like

    wav = tmp_path / "song.wav"
    sf.write(wav, np.stack([music_like(12.0, 44100, 2)] * 2, axis=1), 44100)
    text = words(page_texts(write_report(analyze(wav), tmp_path / "r.pdf")))
    assert "The model card states no known failure modes" not in text
    assert "Known failure modes" in text and "lofcz" in text and "MIT" in text
    assert "SHA-256 of the model bundle" in text


def test_the_line_the_probability_comes_from_is_in_the_detector_table(tiny_weights, make_wav, tmp_path):
    # page 1 says the probability is the strongest of three lines of evidence; table 3.3 must show
    # that line (the CNN and comb combined), not only the CNN alone, or the number is nowhere to be found
    from forensic_app.report.wording import fmt_prob

    result = analyze(make_wav("music", seconds=6.0, rate=44100, channels=1, name="song.wav"), weights_dir=tiny_weights)
    by = result.provenance.settings["probability_by_detector"]
    text = words(page_texts(write_report(result, tmp_path / "r.pdf")))
    assert words([f"Patch CNN + comb (learned fusion) n/a {fmt_prob(by['learned'])}"]) in text
    strongest = max(v for v in by.values() if v is not None)
    assert fmt_prob(strongest) == fmt_prob(result.probability_fake)  # the headline is one of the table's lines
