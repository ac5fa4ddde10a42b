"""The main window as a user drives it: open, see, cancel, fail, play, export."""

from __future__ import annotations

import threading

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from forensic_app.core.errors import ModelError
from forensic_app.gui import playback
from forensic_app.gui import track_controller as tc
from forensic_app.gui.app import ExceptionHook
from tests.gui.helpers import FakeBackend

WAIT_MS = 20000


def test_spectrogram_appears_before_the_analysis_then_the_heatmap(make_window, make_wav, qtbot):
    gate = threading.Event()
    win = make_window(FakeBackend(gate=gate))
    path = make_wav("music", 4.0, channels=2)
    with qtbot.waitSignal(win.spectrogram_shown, timeout=WAIT_MS):
        win.open_file(str(path))
    assert win.view.spec_image.image is not None
    assert win.view.heat_image.image is None  # analysis still running
    assert win.progress.isVisible() and win.cancel_button.isEnabled()
    assert not win.act_export_report.isEnabled()
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        gate.set()
    assert win.view.heat_image.image is not None
    assert not win.progress.isVisible()
    text = win.verdict.probability_label.text()
    assert "83" in text and "(range " in text and "not proof" in text
    assert win.verdict.verdict_label.text() == "Likely AI-generated"
    assert "1 track in 83" in win.verdict.comb_label.text()
    assert "Caution" in win.verdict.notes_label.text()
    assert win.view.timeline._bars is not None
    assert win.windowTitle().startswith(path.name)
    ran_on = win.backend.threads  # decode, display STFT, analysis: never the GUI thread
    assert ran_on and threading.main_thread().name not in ran_on


def test_cancel_stops_the_analysis_and_the_window_stays_usable(make_window, make_wav, qtbot):
    backend = FakeBackend(gate=threading.Event())
    win = make_window(backend)
    with qtbot.waitSignal(win.spectrogram_shown, timeout=WAIT_MS):
        win.open_file(str(make_wav("noise", 3.0)))
    assert backend.analysis_started.wait(5)
    with qtbot.waitSignal(win.analysis_cancelled, timeout=WAIT_MS):
        win.cancel_button.click()
    assert not win.progress.isVisible()
    assert win.view.heat_image.image is None and win.result is None
    assert "cancelled" in win.verdict.probability_label.text()
    backend.gate.set()
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        win.open_file(str(make_wav("sine", 3.0)))


def test_opening_another_file_cancels_the_running_job(make_window, make_wav, qtbot):
    backend = FakeBackend(gate=threading.Event())
    win = make_window(backend)
    first, second = make_wav("noise", 3.0, name="first.wav"), make_wav("sine", 3.0, name="second.wav")
    win.open_file(str(first))
    assert backend.analysis_started.wait(10)
    cancelled = []
    win.analysis_cancelled.connect(lambda: cancelled.append(True))
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS) as sig:
        win.open_file(str(second))
        backend.gate.set()
    assert sig.args[0].input.file_name == "second.wav"
    assert not cancelled  # the superseded job's signal is stale and ignored


def test_corrupt_file_shows_a_message_and_the_window_stays_usable(make_window, make_wav, tmp_path, qtbot):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage" * 10)
    win = make_window()
    with qtbot.waitSignal(win.analysis_failed, timeout=WAIT_MS):
        win.open_file(str(bad))
    assert win.banner.isVisible() and win.banner.kind == "error"
    assert "broken.wav" in win.banner.label.text() and "Traceback" not in win.banner.label.text()
    assert win.view.spec_image.image is None and not win.progress.isVisible()
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        win.open_file(str(make_wav("sine", 3.0)))
    assert not win.banner.isVisible()


def test_a_missing_file_is_explained_and_not_added_to_recent_files(make_window, tmp_path, qtbot):
    win = make_window()
    gone = tmp_path / "moved-away.wav"
    with qtbot.waitSignal(win.analysis_failed, timeout=WAIT_MS):
        win.open_file(str(gone))
    assert "not found" in win.banner.label.text()
    assert str(gone) not in win.settings.recent_files


def test_model_error_keeps_the_spectrogram_and_explains(make_window, make_wav, qtbot):
    win = make_window(FakeBackend(fail_with=ModelError("The model weights are missing. Reinstall the app.")))
    with qtbot.waitSignal(win.analysis_failed, timeout=WAIT_MS):
        win.open_file(str(make_wav("sine", 3.0)))
    assert win.view.spec_image.image is not None
    assert "weights are missing" in win.banner.label.text()


def test_unexpected_exception_in_analysis_is_a_message_not_a_crash(make_window, make_wav, qtbot, capsys):
    win = make_window(FakeBackend(fail_with=ZeroDivisionError("division by zero")))
    with qtbot.waitSignal(win.analysis_failed, timeout=WAIT_MS):
        win.open_file(str(make_wav("sine", 3.0)))
    assert "Unexpected problem" in win.banner.label.text() and "ZeroDivisionError" in win.banner.label.text()
    assert "Traceback" in capsys.readouterr().err  # for the bug report, not for the window


def test_bundled_font_renders_the_glyphs_we_use(qapp):
    font = qapp.font()
    assert font.family() == "DejaVu Sans"
    metrics = QtGui.QFontMetrics(font)
    for ch in "\u25b8\u2026\u2013\u2014\u00b7\u202f%":
        assert metrics.inFontUcs4(ord(ch)), repr(ch)


def test_excepthook_shows_a_message_in_the_window(make_window):
    win = make_window()
    hook = ExceptionHook(win)
    hook(ValueError, ValueError("boom"), None)
    assert win.banner.isVisible() and "boom" in win.banner.label.text()


def test_playback_controls_disabled_with_reason_when_portaudio_is_missing(make_window, make_wav, qtbot, monkeypatch):
    def no_portaudio():
        raise OSError("PortAudio library not found")

    monkeypatch.setattr(playback, "_import_sounddevice", no_portaudio)
    win = make_window()
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        win.open_file(str(make_wav("sine", 3.0)))
    for act in (win.act_play, win.act_stop, win.act_play_sel, win.act_loop):
        assert not act.isEnabled()
        assert "PortAudio" in act.toolTip()
    win._on_play_pause()  # Space pressed anyway: nothing happens, nothing breaks
    assert win.player.state == "stopped"


def test_playback_controls_disabled_without_an_output_device(make_window, monkeypatch):
    class NoDevice:
        @staticmethod
        def query_devices(kind=None):
            raise RuntimeError("Error querying device -1")

    monkeypatch.setattr(playback, "_import_sounddevice", lambda: NoDevice)
    win = make_window()
    assert not win.act_play.isEnabled() and "no audio output device" in win.act_play.toolTip()


class _FakeStream:
    def __init__(self, *, samplerate, channels, dtype, callback, finished_callback):
        self.callback, self.finished_callback = callback, finished_callback
        self.started = self.closed = False

    def start(self):
        self.started = True

    def abort(self):
        pass

    def close(self):
        self.closed = True


class _FakeSd:
    CallbackStop = type("CallbackStop", (Exception,), {})
    streams: list = []

    @staticmethod
    def query_devices(kind=None):
        return {"name": "fake", "max_output_channels": 2}

    @classmethod
    def OutputStream(cls, **kw):
        s = _FakeStream(**kw)
        cls.streams.append(s)
        return s


def test_play_selection_moves_the_playhead_and_loops(make_window, make_wav, qtbot, monkeypatch):
    import numpy as np

    _FakeSd.streams = []
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: _FakeSd)
    win = make_window()
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        win.open_file(str(make_wav("sine", 3.0)))
    assert win.act_play.isEnabled() and not win.act_play_sel.isEnabled()
    win.view.set_selection(1.0, 1.5)
    assert win.act_play_sel.isEnabled()
    win.act_loop.setChecked(True)
    win._on_loop_toggled(True)
    win.act_play_sel.trigger()
    assert win.player.state == "playing"
    stream = _FakeSd.streams[-1]
    out = np.zeros((30000, 1), np.float32)  # 0.68 s of callback over a 0.5 s selection: it loops
    stream.callback(out, len(out), None, None)
    assert 1.0 <= win.player.position_s <= 1.5
    qtbot.waitUntil(lambda: win.view.playheads[0].isVisible(), timeout=2000)
    assert 1.0 <= win.view.playheads[0].value() <= 1.5
    win.act_play.trigger()  # pause
    assert win.player.state == "paused"
    paused_at = win.player.position_s
    win.act_play.trigger()  # resume: same place, same selection
    assert win.player.state == "playing" and win.player.position_s == paused_at
    assert win.player._end == int(1.5 * 44100)
    win.act_stop.trigger()
    assert win.player.state == "stopped" and not win.view.playheads[0].isVisible()
    assert all(s.closed for s in _FakeSd.streams)


def test_corrupt_settings_reset_with_a_message(isolated_settings, make_window):
    isolated_settings.mkdir(parents=True)
    (isolated_settings / "settings.json").write_text("][")
    win = make_window()
    assert win.banner.isVisible() and win.banner.kind == "info"
    assert "defaults were restored" in win.banner.label.text()
    assert win.settings.colour_map == "magma"


def test_view_settings_persist_across_sessions(make_window, qtbot, make_wav):
    win = make_window()
    win.controls.cmap_combo.setCurrentIndex(win.controls.cmap_combo.findText("Viridis"))
    win.controls.scale_combo.setCurrentIndex(win.controls.scale_combo.findText("Mel"))
    win.controls.floor_spin.setValue(-80)
    win.controls.opacity_slider.setValue(35)
    win.controls.heatmap_check.setChecked(False)
    win.settings.add_recent(str(make_wav("sine", 1.0)))
    win.close()
    again = make_window()
    assert again.settings.colour_map == "viridis" and again.settings.freq_scale == "mel"
    assert again.controls.floor_spin.value() == -80 and again.controls.opacity_slider.value() == 35
    assert not again.controls.heatmap_check.isChecked() and not again.view.heat_image.isVisible()
    assert again.view.freq_axis.scale_.name == "mel"
    assert [a.text() for a in again.recent_menu.actions()] == ["sine-44100-1-16.wav"]


def test_drop_a_file_on_the_window_opens_it(make_window, make_wav, qtbot):
    win = make_window()
    path = make_wav("sine", 2.0)
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(path))])
    drop = QtGui.QDropEvent(
        QtCore.QPointF(50, 50),
        QtCore.Qt.DropAction.CopyAction,
        mime,
        QtCore.Qt.MouseButton.LeftButton,
        QtCore.Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        win.dropEvent(drop)
    assert win.current_path == str(path)


def test_export_view_png(make_window, make_wav, qtbot, tmp_path):
    win = make_window()
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        win.open_file(str(make_wav("sine", 2.0)))
    out = tmp_path / "view.png"
    assert win.export_view_png(str(out))
    img = QtGui.QImage(str(out))
    assert img.width() > 300 and img.height() > 200


def test_export_report_writes_a_pdf_and_asks_before_overwriting(make_window, make_wav, qtbot, tmp_path, monkeypatch):
    win = make_window()
    if win.controller.write_report is None:
        pytest.skip("report package not available")
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        win.open_file(str(make_wav("sine", 3.0)))
    assert win.act_export_report.isEnabled()
    out = tmp_path / "report.pdf"
    with qtbot.waitSignal(win.report_written, timeout=60000):
        win.export_report_to(str(out))
    assert out.read_bytes().startswith(b"%PDF")
    asked = []
    monkeypatch.setattr(win, "confirm_overwrite", lambda p: asked.append(p) or False)
    before = out.stat().st_mtime_ns
    assert win.export_report_to(str(out)) is None
    assert asked == [str(out)] and out.stat().st_mtime_ns == before


def test_dispute_pack_and_verify_a_report_from_the_menus(make_window, make_wav, qtbot, tmp_path):
    """File > Export dispute pack writes the zip; Help > Verify a report… answers in one line, and compares
    with the open track's analysis when it is the report's file (no second analysis)."""
    import zipfile

    win = make_window()
    menus = {a.text() for m in win.menuBar().findChildren(QtWidgets.QMenu) for a in m.actions()}
    assert "&Verify a report\u2026" in menus and "Export &dispute pack\u2026" in menus
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        win.open_file(str(make_wav("sine", 3.0)))
    assert win.act_export_pack.isEnabled()
    pack, report = tmp_path / "pack.zip", tmp_path / "report.pdf"
    with qtbot.waitSignal(win.report_written, timeout=60000):
        win.export_pack_to(str(pack))
    with qtbot.waitSignal(win.report_written, timeout=60000):
        win.export_report_to(str(report))
    assert zipfile.ZipFile(pack).namelist()[-1] == "README.txt"
    box = win.verify_report_file(str(report))
    assert box.text().startswith("report.pdf: verified") and "same figures" in box.text()
    assert "[ok]" in box.detailedText()
    box.close()
    (tmp_path / "not.pdf").write_bytes(b"nothing")
    box = win.verify_report_file(str(tmp_path / "not.pdf"))
    assert "not a readable PDF" in box.text()
    box.close()


def test_report_error_is_shown_in_the_banner(make_window, make_wav, qtbot, tmp_path):
    win = make_window()
    win.controller.write_report = lambda result, path, **kw: (_ for _ in ()).throw(
        PermissionError(13, "Permission denied", path)
    )
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        win.open_file(str(make_wav("sine", 3.0)))
    with qtbot.waitSignal(win.report_failed, timeout=WAIT_MS):
        win.export_report_to(str(tmp_path / "r.pdf"))
    assert "Permission denied" in win.banner.label.text()


def test_export_report_disabled_with_reason_when_the_report_package_is_missing(make_window, monkeypatch):
    monkeypatch.setattr(tc, "_report_writer", lambda: (None, "Report export is not available in this installation."))
    win = make_window()
    assert not win.act_export_report.isEnabled()
    assert "not available" in win.act_export_report.toolTip()


def test_closing_during_analysis_waits_for_the_thread(make_window, make_wav, qtbot):
    backend = FakeBackend(gate=threading.Event())
    win = make_window(backend)
    win.open_file(str(make_wav("noise", 3.0)))
    assert backend.analysis_started.wait(10)
    win.close()  # cancels and joins: no_leaked_threads checks the rest
    assert not win.controller.analysis.thread.isRunning()


def _run_gui_script(path, out, weights) -> list[str]:
    import sys

    code = (
        "import sys; from forensic_app.gui.app import run_gui; "
        f"sys.exit(run_gui({str(path)!r}, screenshot={str(out)!r}, weights_dir={str(weights)!r}))"
    )
    return [sys.executable, "-c", code]


def test_run_gui_screenshot_runs_the_real_pipeline(make_wav, tmp_path, tiny_weights, isolated_settings):
    """forensic-app gui FILE --screenshot OUT.png: real decode, real (tiny) model, whole-window grab."""
    import os
    import subprocess

    out = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FORENSIC_APP_CONFIG_DIR=str(isolated_settings))
    proc = subprocess.run(
        _run_gui_script(make_wav("music", 4.0), out, tiny_weights),
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=os.getcwd(),
    )
    assert proc.returncode == 0, proc.stderr
    img = QtGui.QImage(str(out))
    assert img.width() >= 1000 and img.height() >= 600


def test_run_gui_screenshot_of_a_bad_file_fails_with_a_message(tmp_path, tiny_weights, isolated_settings):
    import os
    import subprocess

    bad = tmp_path / "empty.wav"
    bad.write_bytes(b"")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FORENSIC_APP_CONFIG_DIR=str(isolated_settings))
    proc = subprocess.run(
        _run_gui_script(bad, tmp_path / "x.png", tiny_weights),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=os.getcwd(),
    )
    assert proc.returncode == 2
    assert "empty" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.png").exists()


def test_run_gui_screenshot_exits_2_for_input_found_unusable_during_analysis(
    tmp_path, make_wav, tiny_weights, isolated_settings
):
    """Pure digital silence decodes fine (the spectrogram appears) and is refused by the analysis:
    the same exit code as the CLI's, 2, not an internal error."""
    import os
    import subprocess

    silent = make_wav("silence", 3.0)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FORENSIC_APP_CONFIG_DIR=str(isolated_settings))
    proc = subprocess.run(
        _run_gui_script(silent, tmp_path / "x.png", tiny_weights),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=os.getcwd(),
    )
    assert proc.returncode == 2, proc.stderr
    assert "silence" in proc.stderr and "Traceback" not in proc.stderr


def test_zooming_in_brings_a_finer_spectrogram_and_zooming_out_drops_it(make_window, make_wav, qtbot):
    win = make_window()
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        win.open_file(str(make_wav("chirp", 60.0)))
    overview_cols_per_s = win.view._spec.db.shape[1] / 60.0
    win.view.spec_box.setXRange(20.0, 22.0, padding=0)
    qtbot.waitUntil(lambda: win.view.detail_image.isVisible(), timeout=WAIT_MS)
    detail = win.view._detail
    lo, hi = win.view.detail_range()
    assert lo <= 20.0 and hi >= 22.0
    assert detail.db.shape[1] / (hi - lo) > 3 * overview_cols_per_s
    assert detail.db.shape[0] == win.view._spec.db.shape[0]  # same frequency rows: lines up
    win.view.reset_zoom()
    qtbot.waitUntil(lambda: not win.view.detail_image.isVisible(), timeout=WAIT_MS)


def test_robustness_check_shows_how_the_score_moves_and_reaches_the_report(make_window, make_wav, qtbot, tmp_path):
    backend = FakeBackend()
    win = make_window(backend)
    assert not win.act_robustness.isEnabled()  # nothing analysed yet
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        win.open_file(str(make_wav("music", 3.0)))
    assert "Not checked" in win.verdict.robustness_label.text() and win.act_robustness.isEnabled()
    with qtbot.waitSignal(win.robustness_finished, timeout=WAIT_MS):
        win.act_robustness.trigger()
    text = win.verdict.robustness_label.text().replace("&nbsp;", " ")
    assert "MP3 round trip at 128 kbps: <b>81 % (-2 points)" in text
    assert "Pitch shifted up 1 semitone: <b>35 % (-48 points)" in text
    assert "not run: ffmpeg is not installed" in text
    assert "moved by 10 points or more" in text and "verdict changed after: Pitch shifted up 1 semitone" in text
    assert len(win.result.robustness) == 3 and not win.progress.isVisible() and win.act_robustness.isEnabled()
    assert threading.main_thread().name not in backend.threads
    if win.controller.write_report is not None:
        from pypdf import PdfReader

        out = tmp_path / "r.pdf"
        with qtbot.waitSignal(win.report_written, timeout=60000):
            win.export_report_to(str(out))
        pdf = " ".join(p.extract_text() for p in PdfReader(str(out)).pages)
        assert "Pitch shifted up 1 semitone" in pdf and "This check was not run" not in pdf


def test_robustness_check_can_be_cancelled_and_is_dropped_for_a_new_track(make_window, make_wav, qtbot):
    backend = FakeBackend()
    backend.robustness_gate = threading.Event()
    win = make_window(backend)
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        win.open_file(str(make_wav("music", 3.0)))
    win.act_robustness.trigger()
    assert backend.robustness_started.wait(5)
    assert win.progress.isVisible() and not win.act_robustness.isEnabled()
    assert "Analysing manipulated copies" in win.verdict.robustness_label.text()
    with qtbot.waitSignal(win.robustness_finished, timeout=WAIT_MS):
        win.cancel_button.click()
    assert win.result.robustness is None and "Not checked" in win.verdict.robustness_label.text()
    assert not win.progress.isVisible() and win.act_robustness.isEnabled()
    assert "cancelled" in win.statusBar().currentMessage()

    backend.robustness_started.clear()
    win.act_robustness.trigger()
    assert backend.robustness_started.wait(5)
    with qtbot.waitSignals([win.robustness_finished, win.analysis_finished], timeout=WAIT_MS):
        win.open_file(str(make_wav("sine", 3.0)))
    assert win.result.robustness is None and win.result.input.file_name.startswith("sine")
    assert "Not checked" in win.verdict.robustness_label.text()


def test_playback_plays_the_file_s_own_samples_from_the_decoded_copy(make_window, make_wav, qtbot, monkeypatch):
    import numpy as np
    import soundfile as sf

    _FakeSd.streams = []
    monkeypatch.setattr(playback, "_import_sounddevice", lambda: _FakeSd)
    win = make_window()
    path = make_wav("music", 3.0, 44100, 2)
    with qtbot.waitSignal(win.analysis_finished, timeout=WAIT_MS):
        win.open_file(str(path))
    assert not any(
        isinstance(v, np.ndarray) and v.size >= 3 * 44100  # no whole decode held
        for holder in (win, win.controller)
        for v in vars(holder).values()
    )
    x, _ = sf.read(str(path), dtype="float32", always_2d=True)
    win.player.play(1.0, 2.5)
    out = np.zeros((30000, 2), np.float32)  # more than the read-ahead: the copy is read again mid-callback
    _FakeSd.streams[-1].callback(out, len(out), None, None)
    assert np.array_equal(out, x[44100 : 44100 + 30000])
    win.act_stop.trigger()
