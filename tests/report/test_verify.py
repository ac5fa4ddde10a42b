"""``forensic-app verify``: an untouched report and its audio pass; each kind of edit is caught.

The report is made the real way (tiny random-weight model, audio generated here); the edits are
made as someone with a PDF editor would: one digit in a page's text (its content stream rewritten
with pypdf), a page removed, the attachment swapped for another report's, another audio file.
"""

from __future__ import annotations

import dataclasses
import json
import re
import zipfile
from pathlib import Path

import pytest
import soundfile as sf
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ByteStringObject, ContentStream, NameObject

from forensic_app.api import Analyzer
from forensic_app.cli import main
from forensic_app.report import write_report
from forensic_app.report.attachment import ATTACHMENT_NAME, digest_of
from forensic_app.report.pack import write_pack
from forensic_app.report.verify import check_report, verify_report
from tests.conftest import signal

from ._pdfread import page_texts, words


@pytest.fixture(scope="module")
def made(tiny_weights, tmp_path_factory):
    folder = tmp_path_factory.mktemp("verify")
    wav = folder / "song-44100-1-16.wav"
    sf.write(wav, signal("music", 6.0, 44100, 1, seed=3), 44100, subtype="PCM_16")
    analyzer = Analyzer(tiny_weights)
    result = analyzer.analyze(wav)
    pdf = write_report(result, folder / "report.pdf")
    return analyzer, result, wav, pdf, folder


def test_an_untouched_report_and_its_file_verify(made, capsys, tiny_weights):
    analyzer, result, wav, pdf, _ = made
    v = verify_report(pdf, wav, analyze=analyzer.analyze)
    assert v.ok, v.text()
    assert v.same_model and all(then == now for _, then, now in v.comparison)
    assert result.provenance.model.bundle_sha256[:16] in v.made_by
    # every page prints the digest of the embedded bytes
    data = PdfReader(str(pdf)).attachments[ATTACHMENT_NAME][0]
    assert json.loads(data)["analysis"]["sha256"] == result.input.file_sha256
    assert all(f"report digest {digest_of(data)}" in words([t]) for t in page_texts(pdf))
    # the command: one line, exit 0
    assert main(["verify", str(pdf)]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("report.pdf: verified") and "\n" not in out
    assert main(["verify", str(pdf), str(wav), "--weights", str(tiny_weights)]) == 0
    assert "same model bundle gives the same figures" in capsys.readouterr().out


def _to_unicode(font) -> dict[str, str]:
    """A simple font's code -> text map, from its ToUnicode CMap (bfchar and bfrange entries)."""
    if "/ToUnicode" not in font:
        return {}
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    out: dict[str, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for a, b in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[chr(int(a, 16))] = bytes.fromhex(b).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for a, b, c in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            for k in range(int(a, 16), int(b, 16) + 1):
                out[chr(k)] = chr(int(c, 16) + k - int(a, 16))
    return out


def _change_one_digit(src: Path, dst: Path, page_index: int = 0, near: str = "") -> str:
    """Rewrite one digit drawn on a page (in a run of text that holds ``near``) to another digit of the same
    font subset; returns what changed."""
    reader = PdfReader(str(src))
    writer = PdfWriter(clone_from=reader)
    page = writer.pages[page_index]
    fonts = page["/Resources"]["/Font"]
    maps = {name: _to_unicode(fonts[name].get_object()) for name in fonts}
    content = ContentStream(page.get_contents(), writer)
    font = None
    for operands, op in content.operations:
        if op == b"Tf":
            font = operands[0]
        if op != b"Tj" or font is None:
            continue
        cmap = maps[font]
        raw = operands[0].get_original_bytes() if hasattr(operands[0], "get_original_bytes") else bytes(operands[0])
        text = "".join(cmap.get(chr(b), "?") for b in raw)
        if near not in text:
            continue
        code = {v: k for k, v in cmap.items() if isinstance(v, str) and len(v) == 1}
        for i, ch in enumerate(text):
            other = next((d for d in "0123456789" if ch.isdigit() and d != ch and d in code), None)
            if other is not None:
                new = raw[:i] + bytes([ord(code[other])]) + raw[i + 1 :]
                operands[0] = ByteStringObject(new)
                page[NameObject("/Contents")] = content
                writer.write(str(dst))
                return f"{ch}->{other} in {text!r}"
    raise AssertionError("no digit drawn on the page")


def test_one_digit_changed_in_the_text_is_caught(made, tmp_path, capsys):
    _, _, _, pdf, _ = made
    edited = tmp_path / "edited.pdf"
    what = _change_one_digit(pdf, edited, near="%")  # the probability on page 1
    assert page_texts(edited)[0] != page_texts(pdf)[0], what
    v = check_report(edited)
    assert not v.ok, what
    assert "page(s) 1" in v.line
    assert "page 1 does not print the embedded analysis' probability" in v.text()
    last = len(page_texts(pdf)) - 1  # and a digit anywhere else
    what = _change_one_digit(pdf, tmp_path / "edited-last.pdf", page_index=last)
    assert f"page(s) {last + 1} " in check_report(tmp_path / "edited-last.pdf").line + " ", what
    assert main(["verify", str(edited)]) == 3
    assert capsys.readouterr().out.startswith("edited.pdf: NOT VERIFIED")


def test_a_removed_page_is_caught(made, tmp_path):
    _, _, _, pdf, _ = made
    writer = PdfWriter(clone_from=PdfReader(str(pdf)))
    n = len(writer.pages)
    writer.remove_page(n - 1)
    short = tmp_path / "short.pdf"
    writer.write(str(short))
    v = check_report(short)
    assert not v.ok and f"{n - 1} pages, but {n} recorded" in v.line


def test_a_swapped_attachment_is_caught(made, tmp_path):
    """The analysis of another file, from another genuine report, attached in place of this one's."""
    analyzer, result, _, pdf, _ = made
    other_wav = tmp_path / "other.wav"
    sf.write(other_wav, signal("noise", 6.0, 44100, 1, seed=9), 44100)
    other = write_report(analyzer.analyze(other_wav), tmp_path / "other.pdf")
    theirs = PdfReader(str(other)).attachments[ATTACHMENT_NAME][0]
    writer = PdfWriter(clone_from=PdfReader(str(pdf)))
    writer._root_object["/Names"].get_object().pop("/EmbeddedFiles")  # remove ours ...
    writer.add_attachment(ATTACHMENT_NAME, theirs)  # ... and attach theirs
    swapped = tmp_path / "swapped.pdf"
    writer.write(str(swapped))
    assert PdfReader(str(swapped)).attachments[ATTACHMENT_NAME][0] == theirs
    v = check_report(swapped)
    assert not v.ok and "do not belong together" in v.line
    # and an analysis edited in place (its verdict and probability raised)
    payload = json.loads(PdfReader(str(pdf)).attachments[ATTACHMENT_NAME][0])
    payload["analysis"]["probability_fake"] = 0.97
    writer = PdfWriter(clone_from=PdfReader(str(pdf)))
    writer._root_object["/Names"].get_object().pop("/EmbeddedFiles")
    writer.add_attachment(ATTACHMENT_NAME, json.dumps(payload).encode())
    writer.write(str(tmp_path / "raised.pdf"))
    assert not check_report(tmp_path / "raised.pdf").ok


def test_a_changed_audio_file_is_caught(made, tmp_path, capsys, tiny_weights):
    analyzer, _, wav, pdf, _ = made
    changed = tmp_path / "song-44100-1-16.wav"
    x, rate = sf.read(wav, dtype="float32")
    x[rate : rate + 10] += 0.01  # ten samples, a quarter of a millisecond
    sf.write(changed, x, rate, subtype="PCM_16")
    v = verify_report(pdf, changed, analyze=analyzer.analyze)
    assert not v.ok and "is not the analysed file" in v.line
    assert main(["verify", str(pdf), str(changed), "--weights", str(tiny_weights)]) == 3
    capsys.readouterr()


def test_another_model_bundle_is_shown_side_by_side(made):
    """The same file analysed again by another model version: verified, with both sets of figures."""
    analyzer, result, wav, pdf, _ = made
    model = dataclasses.replace(result.provenance.model, version="9.9.9", bundle_sha256="f" * 64)
    newer = dataclasses.replace(
        result,
        verdict="likely_fake",
        probability_fake=0.91,
        interval=(0.85, 0.95),
        provenance=dataclasses.replace(result.provenance, model=model),
    )
    v = verify_report(pdf, wav, result_now=newer)
    assert v.ok and v.same_model is False
    rows = {name: (then, now) for name, then, now in v.comparison}
    assert rows["Verdict"][1] == "Likely AI-generated" and rows["Verdict"][0] != rows["Verdict"][1]
    assert "Verdict" in v.line and "changed" in v.line
    assert "<- changed" in v.text()


def test_a_file_that_is_not_a_report(made, tmp_path, capsys):
    _, _, wav, _, _ = made
    assert main(["verify", str(wav)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "not a readable PDF" in err and "\n" not in err
    plain = tmp_path / "plain.pdf"
    w = PdfWriter()
    w.add_blank_page(100, 100)
    w.write(str(plain))
    assert main(["verify", str(plain)]) == 3
    assert "carries no embedded analysis" in capsys.readouterr().out


def test_the_dispute_pack(made, tmp_path, capsys, tiny_weights):
    analyzer, result, wav, _, _ = made
    pack = write_pack(result, tmp_path / "dispute.zip")
    with zipfile.ZipFile(pack) as z:
        names = z.namelist()
        assert names == ["song-44100-1-16-report.pdf", "song-44100-1-16-analysis.json", "README.txt"]
        pdf_bytes, json_bytes, readme = (z.read(n) for n in names)
    (tmp_path / "in-pack.pdf").write_bytes(pdf_bytes)
    assert PdfReader(str(tmp_path / "in-pack.pdf")).attachments[ATTACHMENT_NAME][0] == json_bytes
    assert verify_report(tmp_path / "in-pack.pdf", wav, analyze=analyzer.analyze).ok
    text = readme.decode()
    assert f"report digest {digest_of(json_bytes)}" in text and "forensic-app verify" in text
    assert result.input.file_sha256 in text
    assert "/" not in json.loads(json_bytes)["analysis"]["file"]  # no folders (user names) by default
    # the output guard: not over the analysed file, not over an existing pack without --force
    assert main(["report", str(wav), "--pack", str(wav), "--weights", str(tiny_weights)]) == 2
    assert "choose another name for the dispute pack" in capsys.readouterr().err
    assert main(["report", str(wav), "--pack", str(pack), "--weights", str(tiny_weights)]) == 2
    assert "already exists" in capsys.readouterr().err
    out = tmp_path / "cli.zip"
    assert (
        main(["report", str(wav), "--pack", str(out), "-o", str(tmp_path / "cli.pdf"), "--weights", str(tiny_weights)])
        == 0
    )
    assert re.search(r"Dispute pack written to .*cli\.zip", capsys.readouterr().out)
    assert zipfile.ZipFile(out).namelist()[-1] == "README.txt"
