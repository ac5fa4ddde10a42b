"""The case window: stems side by side, the decoded stem lit, saved and reopened unchanged."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
import soundfile as sf
from PySide6 import QtWidgets

from forensic_app.gui.case_lane import MixSource
from forensic_app.gui.case_window import CaseWindow
from forensic_app.gui.workers import Backend
from tests.stems import RATE, SECONDS, write_stems

WAIT_MS = 120_000


class CountingBackend(Backend):
    def __init__(self):
        super().__init__(None)
        self.analysed: list[str] = []

    def analyze(self, audio, *, on_progress, cancel):
        self.analysed.append(audio.path.name)
        return super().analyze(audio, on_progress=on_progress, cancel=cancel)


@pytest.fixture
def case_window(qtbot):
    windows = []

    def make(backend=None):
        win = CaseWindow(backend=backend or CountingBackend())  # closed below, unsaved changes dropped
        win.show()
        windows.append(win)
        return win

    yield make
    for win in windows:
        win.dirty = False
        win.close()


def analysed(case_window, qtbot, files, backend=None) -> CaseWindow:
    """A case window on ``files`` once every lane is ready."""
    win = case_window(backend)
    with qtbot.waitSignal(win.case_ready, timeout=WAIT_MS):
        win.add_files([str(f) for f in files])
    return win


def reopened(case_window, qtbot, case_file, backend=None) -> CaseWindow:
    """A case window on a saved case once every lane is ready (asserting that it opened)."""
    win = case_window(backend)
    with qtbot.waitSignal(win.case_ready, timeout=WAIT_MS):
        assert win.open_case(str(case_file))
    return win


def test_four_stems_light_the_decoded_lane_and_the_finding_names_it(case_window, qtbot, tmp_path):
    stems = write_stems(tmp_path / "stems")
    win = analysed(case_window, qtbot, [str(stems[k]) for k in ("vocals", "drums", "bass", "other")])
    chips = {w.label: w.verdict_chip.text() for w in win.lanes}
    assert chips["vocals"].startswith("Likely AI-generated"), chips
    for other in ("drums", "bass", "other"):
        assert chips[other].startswith("No traces of the AI generators this app covers"), chips
    finding = win.panel.finding.text()
    assert finding.startswith("vocals:") and "likely AI" in finding
    assert "drums, bass, other: no traces" in finding
    assert [win.panel.table.item(i, 0).text() for i in range(4)] == ["vocals", "drums", "bass", "other"]
    # the spectrum below shows the strongest evidence: the vocals lane, with its comb marked
    assert win.spectrum.spectrum is not None and win.spectrum.title().startswith("vocals: Spectrum at")
    assert win.spectrum.comb_marks.data.size > 0  # the decoder's lines are marked
    # a lane whose comb found nothing gets no comb lines (a bass stem once showed "lines every 600 Hz")
    from forensic_app.core.detectors.comb.reading import comb_grade

    quiet = [w for w in win.lanes if w.result.comb is not None and comb_grade(w.result.comb) == "none"]
    assert quiet, [w.result.comb.z_score for w in win.lanes if w.result.comb is not None]
    win.show_spectrum(quiet[0].lane_id, 2.0)
    assert win.spectrum.comb_marks.data.size == 0 and "dashed" not in win.spectrum.plot.getPlotItem().titleLabel.text
    # zoom is shared: every lane shows the same time range
    win.lanes[0].view.spec_box.setXRange(2.0, 3.0, padding=0)
    assert all(np.allclose(w.view.time_range(), (2.0, 3.0), atol=1e-6) for w in win.lanes)
    # the lanes hold their decoded copies on disk, not the samples
    assert all(type(w.audio).__name__ == "DecodedAudio" for w in win.lanes)


def test_a_case_round_trips_and_reopens_without_analysing_again(case_window, qtbot, tmp_path):
    stems = write_stems(tmp_path / "stems")
    win = analysed(case_window, qtbot, [str(stems["vocals"]), str(stems["bass"])])
    vocals = win.lanes[0]
    vocals.separated.setChecked(True)
    win.annotate(vocals.lane_id, 1.0, 2.5, "breath noise has no decoder texture")
    win.panel.decision.setCurrentIndex(win.panel.decision.findData("escalate"))
    win.panel.decision.activated.emit(win.panel.decision.currentIndex())
    assert win.dirty and win.windowTitle().startswith("Untitled case *")
    case_file = tmp_path / "single.facase"
    assert win.save(path=str(case_file)) and not win.dirty
    before = [(w.label, w.result.probability_fake, w.verdict_chip.text()) for w in win.lanes]

    backend = CountingBackend()
    again = reopened(case_window, qtbot, case_file, backend=backend)
    assert backend.analysed == []  # same files, same model: the saved analyses are shown
    assert [(w.label, w.result.probability_fake, w.verdict_chip.text()) for w in again.lanes] == before
    assert all(w.status.text().startswith("saved analysis") for w in again.lanes)
    assert again.lanes[0].separated.isChecked()
    assert again.case.decision.status == "escalate"
    assert again.panel.annotations.item(0).text().endswith("breath noise has no decoder texture")
    assert "separated" in again.panel.notes.text()
    assert (
        len(again.lanes[0].view.annotation_items) >= 2 and not again.lanes[1].view.annotation_items
    )  # drawn on its lane


def test_a_file_changed_since_saving_is_analysed_again_and_says_so(case_window, qtbot, tmp_path):
    stems = write_stems(tmp_path / "stems")
    win = analysed(case_window, qtbot, [str(stems["drums"]), str(stems["bass"])])
    case_file = tmp_path / "c.facase"
    win.save(path=str(case_file))
    x, rate = sf.read(str(stems["bass"]), dtype="float32")
    sf.write(str(stems["bass"]), 0.5 * x, rate, subtype="PCM_16")  # the bass was re-exported quieter

    backend = CountingBackend()
    again = reopened(case_window, qtbot, case_file, backend=backend)
    assert backend.analysed == ["bass.wav"]
    assert again.lanes[1].status.text() == "the file changed since the case was saved: analysed again"
    assert again.dirty  # the new analysis is not saved until the user saves


def test_a_moved_file_is_named_and_relinked_by_its_hash(case_window, qtbot, tmp_path):
    stems = write_stems(tmp_path / "stems")
    win = analysed(case_window, qtbot, [str(stems["drums"]), str(stems["other"])])
    case_file = tmp_path / "c.facase"
    win.save(path=str(case_file))
    moved = tmp_path / "elsewhere" / "renamed other.wav"
    moved.parent.mkdir()
    shutil.move(stems["other"], moved)

    again = reopened(case_window, qtbot, case_file)
    lane = again.lanes[1]
    assert "Showing the saved analysis" in lane.status.text() and "Relink" in lane.status.text()
    with qtbot.waitSignal(again.case_ready, timeout=WAIT_MS):
        again.relink(str(tmp_path / "elsewhere"))
    assert again.case.lanes[1].path == str(moved)
    assert lane.status.text().startswith("saved analysis")  # same bytes: the saved analysis stands


def test_playback_mixes_the_audible_lanes_on_the_case_time_axis(case_window, qtbot, tmp_path):
    stems = write_stems(tmp_path / "stems")
    win = analysed(case_window, qtbot, [str(stems["drums"]), str(stems["bass"])], backend=Backend(None))
    drums, _ = sf.read(str(stems["drums"]), dtype="float32", always_2d=True)
    bass, _ = sf.read(str(stems["bass"]), dtype="float32", always_2d=True)
    mix = MixSource(win.lanes)
    assert np.allclose(
        mix.read(RATE, 1000)[:, 0],
        np.clip(drums[RATE : RATE + 1000, 0] + bass[RATE : RATE + 1000, 0], -1, 1),
        atol=1e-6,
    )
    win.lanes[1].solo.setChecked(True)
    assert np.array_equal(MixSource(win.lanes).read(RATE, 1000)[:, 0], bass[RATE : RATE + 1000, 0])
    win.lanes[1].solo.setChecked(False)
    win.lanes[1].mute.setChecked(True)
    assert np.array_equal(MixSource(win.lanes).read(RATE, 1000)[:, 0], drums[RATE : RATE + 1000, 0])
    win.lanes[1].mute.setChecked(False)
    win.lanes[1].offset_s = 0.5  # the bass runs half a second later: case time t plays its t + 0.5 s
    shifted = bass[RATE + RATE // 2 : RATE + RATE // 2 + 1000, 0]
    assert np.allclose(
        MixSource(win.lanes).read(RATE, 1000)[:, 0], np.clip(drums[RATE : RATE + 1000, 0] + shifted, -1, 1), atol=1e-6
    )


def test_the_case_report_from_the_window_names_every_lane(case_window, qtbot, tmp_path):
    import subprocess

    stems = write_stems(tmp_path / "stems")
    win = analysed(case_window, qtbot, [str(stems["vocals"]), str(stems["drums"])])
    win.annotate(None, 0.5, 1.5, "count-in")
    out = tmp_path / "case.pdf"
    win.export_report(str(out))
    qtbot.waitUntil(lambda: "Case report written" in win.statusBar().currentMessage(), timeout=WAIT_MS)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "vocals" in text and "drums" in text and "count-in" in text
    assert "likely AI-generated" in text


def test_the_command_line_opens_several_files_as_a_case(tmp_path):
    import os
    import subprocess
    import sys

    stems = write_stems(tmp_path / "stems")
    shot = tmp_path / "case.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FORENSIC_APP_CONFIG_DIR=str(tmp_path / "config"))
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "forensic_app",
            "gui",
            "--screenshot",
            str(shot),
            str(stems["vocals"]),
            str(stems["drums"]),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    from PySide6 import QtGui

    image = QtGui.QImage(str(shot))
    assert image.width() > 800 and image.height() > 500
    future = tmp_path / "future.facase"
    future.write_text('{"format": "forensic_app case", "format_version": 99}')
    r = subprocess.run(
        [sys.executable, "-m", "forensic_app", "gui", str(future)], capture_output=True, text=True, env=env, timeout=120
    )
    assert r.returncode == 2 and "update the app" in r.stderr


def test_waveform_lanes_follow_the_zoom_with_a_finer_envelope(case_window, qtbot, tmp_path):
    stems = write_stems(tmp_path / "stems")
    win = analysed(case_window, qtbot, [str(stems["drums"]), str(stems["bass"])])
    win.act_waveform.trigger()
    lane = win.lanes[1]
    assert lane.waveform is not None and lane.waveform.overview is not None
    overview_cols = lane.waveform.overview.n_columns
    win.lanes[0].view.spec_box.setXRange(2.0, 2.05, padding=0)  # 50 ms: finer than the overview
    qtbot.waitUntil(lambda: lane.waveform.detail is not None, timeout=5000)
    d = lane.waveform.detail
    assert d.start_s <= 2.0 + 1e-3 and d.end_s >= 2.05 - 1e-3
    assert d.n_columns / (d.end_s - d.start_s) > 10 * overview_cols / SECONDS
    win.act_waveform.trigger()
    assert all(w.waveform is None for w in win.lanes)


def test_an_annotation_can_be_limited_to_a_frequency_band(case_window, qtbot, tmp_path):
    from forensic_app.gui.case_panel import AnnotationDialog

    dialog = AnnotationDialog(nyquist_hz=22050.0)
    dialog.note.setText("  lines above 8 kHz ")
    dialog.band.setChecked(True)
    dialog.low.setValue(12000.0)
    dialog.high.setValue(8000.0)  # typed the wrong way round: still one band
    assert dialog.text() == "lines above 8 kHz" and dialog.band_hz() == (8000.0, 12000.0)
    dialog.band.setChecked(False)
    assert dialog.band_hz() == (None, None) and not dialog.low.isEnabled()

    stems = write_stems(tmp_path / "stems")
    win = analysed(case_window, qtbot, [str(stems["vocals"])])
    lane = win.lanes[0]
    win.annotate(lane.lane_id, 1.0, 2.0, "whole band")
    assert len(lane.view.annotation_items) == 2  # region and label
    win.annotate(lane.lane_id, 3.0, 4.0, "lines above 8 kHz", 8000.0, 12000.0)
    assert len(lane.view.annotation_items) == 5  # + region, label and the band's box
    assert win.panel.annotations.item(1).text() == "vocals 0:03.0-0:04.0, 8000-12000 Hz: lines above 8 kHz"


def test_a_missing_file_shows_its_saved_analysis_and_says_how_to_find_it(case_window, qtbot, tmp_path):
    stems = write_stems(tmp_path / "stems")
    win = analysed(case_window, qtbot, [str(stems["vocals"]), str(stems["drums"])])
    case_file = tmp_path / "c.facase"
    win.save(path=str(case_file))
    stems["drums"].unlink()

    again = reopened(case_window, qtbot, case_file)
    lane = again.lanes[1]
    assert lane.verdict_chip.text().startswith("No traces of the AI generators this app covers")  # the saved analysis
    assert lane.view._spec is not None and lane.view._heatmap is not None
    status = lane.status.text()
    assert "drums.wav" in status and "Showing the saved analysis" in status and "Relink missing files" in status
    assert again.failed_lanes() == ["drums"]
    assert again.statusBar().currentMessage() == "Could not read: drums (see the lane)."

    # a new case with a file that is not there: no verdict, and the reason in the lane
    fresh = analysed(case_window, qtbot, [stems["vocals"], tmp_path / "stems" / "drums.wav"])
    assert fresh.lanes[1].verdict_chip.text() == "not analysed"
    assert (
        "file not found" in fresh.lanes[1].status.text()
        and fresh.lanes[1].view.placeholder.textItem.toPlainText() == ""
    )


def test_align_lines_a_master_up_with_its_demo_and_shows_the_shift(case_window, qtbot, tmp_path):
    from tests.case.test_align import demo_and_master

    demo, master = demo_and_master(tmp_path, 1.234)  # the master has 1.234 s more lead-in, at 48 kHz
    win = analysed(case_window, qtbot, [demo, master])
    win.act_align.trigger()
    lane = win.lanes[1]
    qtbot.waitUntil(lambda: lane.offset_s != 0.0, timeout=WAIT_MS)
    assert abs(lane.offset_s - 1.234) < 0.005 and abs(win.case.lanes[1].offset_s - lane.offset_s) < 1e-9
    assert "shifted -1.23" in lane.title.text()
    assert "runs 1.23" in lane.status.text() and "later than the reference" in lane.status.text()
    assert abs(lane.view._spec.time_edges_s[0] + 1.234) < 0.06  # drawn earlier, so the music lines up
    assert win.lanes[0].status.text() == "reference lane"
    assert "master" in win.statusBar().currentMessage()  # 48 kHz beside 44.1 kHz: left out of the mix, and said


def test_a_lane_shifted_under_a_millisecond_shows_no_minus_zero(qtbot):
    from forensic_app.gui.case_lane import LaneWidget

    lane = LaneWidget("b", "re-export", "reexport.wav")
    qtbot.addWidget(lane)
    lane.set_offset(0.0002)  # its content runs 0.2 ms later: drawn 0.2 ms earlier
    assert "shifted 0.000 s to line up" in lane.title.text() and "-0.000" not in lane.title.text()
    lane.set_offset(0.5)
    assert "shifted -0.500 s to line up" in lane.title.text()


def test_the_lanes_offer_the_track_view_s_scales_and_log_gives_a_bass_stem_room(case_window, qtbot, tmp_path):
    from tests.gui.helpers import lit_share

    stems = write_stems(tmp_path / "stems")
    win = analysed(case_window, qtbot, [str(stems["bass"]), str(stems["drums"])])
    bass = win.lanes[0]
    assert list(win.scale_actions) == ["linear", "log", "mel"] and win.scale_actions["linear"].isChecked()
    win.annotate(bass.lane_id, 1.0, 2.0, "low notes", 40.0, 120.0)
    at = 2.2  # a note, 0.2 s after it starts
    linear = lit_share(bass.view, at)
    win.scale_actions["log"].trigger()  # View > Log frequency scale: every lane
    assert all(w.view.freq_scale.name == "log" for w in win.lanes) and win.settings.case_freq_scale == "log"
    assert win.spectrum.is_log_frequency()
    log = lit_share(bass.view, at)
    assert log > 0.1 and log > 4 * linear, (linear, log)  # in linear a bass stem is a line at the bottom
    box = next(i for i in bass.view.annotation_items if isinstance(i, QtWidgets.QGraphicsRectItem)).rect()
    assert (box.top(), box.bottom()) == pytest.approx((np.log10(40.0), np.log10(120.0)))  # the band follows
    # the same FFT sizes as the track view, for the picture only
    probability = bass.result.probability_fake
    win.fft_actions[8192].trigger()
    qtbot.waitUntil(lambda: all(w.view.spectrogram.db.shape[0] == 4097 for w in win.lanes), timeout=WAIT_MS)
    assert bass.result.probability_fake == probability and bass.result.overview.db.shape[0] == 1025


def test_long_names_of_versions_keep_their_distinguishing_end(case_window, qtbot, tmp_path):
    """Versions of one track differ at the end of their names: a lane too narrow for the whole name loses
    its middle, never the '-spliced' that tells it apart (the tooltip keeps the whole name)."""
    stems = write_stems(tmp_path / "stems")
    stem = "karissa_hobbs-lets_go_fishin-excerpt-a-long-session-name"
    files = []
    for suffix in ("master", "spliced"):
        f = tmp_path / f"{stem}-{suffix}.wav"
        shutil.copy(stems["drums"], f)
        files.append(f)
    win = analysed(case_window, qtbot, files)
    win.resize(1024, win.height())
    qtbot.wait(200)
    for w, suffix in zip(win.lanes, ("master", "spliced")):
        shown = re.sub("<[^>]+>", "", w.title.text())
        assert "\u2026" in shown and shown.endswith(suffix[-3:]), shown  # the middle went, not the end
        assert w.title.toolTip().endswith(f"{stem}-{suffix}.wav")
