"""The report a person exports from the window is the report the command line writes: the same
sections and the same words for the same file (only the time of analysis may differ, and with it the
report digest, which covers it)."""

from __future__ import annotations

import re

from forensic_app.cli import main as cli_main
from forensic_app.gui.workers import Backend
from tests.report._pdfread import page_texts

WAIT_MS = 120_000
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")  # the analysis time, in provenance
_DIGEST = re.compile(r"report digest [0-9a-f]{16}")  # over the embedded analysis, which holds that time


def _text(path) -> list[str]:
    return [_DIGEST.sub("<digest>", _STAMP.sub("<time>", page)) for page in page_texts(path)]


def test_window_and_command_line_write_the_same_report(make_window, make_wav, tiny_weights, qtbot, tmp_path):
    wav = make_wav("music", 8.0, 44100, 2)
    win = make_window(Backend(weights_dir=str(tiny_weights)))
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        win.open_file(str(wav))
    from_window = tmp_path / "window.pdf"
    with qtbot.waitSignal(win.report_written, timeout=WAIT_MS):
        win.export_report_to(str(from_window))
    from_cli = tmp_path / "cli.pdf"
    assert (
        cli_main(["analyze", str(wav), "--weights", str(tiny_weights), "--report", str(from_cli), "--no-progress"]) == 0
    )
    window_pages, cli_pages = _text(from_window), _text(from_cli)
    assert len(window_pages) == len(cli_pages)
    for number, (a, b) in enumerate(zip(window_pages, cli_pages), start=1):
        assert a == b, f"page {number} differs"
    assert "The model card is unavailable" not in " ".join(window_pages)
