"""The Queue panel: a folder analysed in the background, flagged files first, filter, export, open, cancel."""

from __future__ import annotations

import csv

import soundfile as sf
from PySide6 import QtCore

from forensic_app.gui.queue_panel import COLUMNS, PATH_ROLE
from tests.conftest import signal

WAIT_MS = 60000


def make_folder(root, n, seconds=3.0):
    """``n`` tracks (odd ones in ``sub/``), a file with an audio name that is not audio (a row, unusable) and a
    ``cover.txt`` (not audio: a folder added to the Queue leaves it out); returns the paths that become rows."""
    (root / "sub").mkdir(parents=True)
    paths = []
    for i in range(n):
        p = root / ("sub" if i % 2 else "") / f"track{i}.wav"
        sf.write(str(p), signal("noise" if i % 2 else "music", seconds, 44100, 1, seed=i), 44100, subtype="PCM_16")
        paths.append(p)
    (root / "upload_cut_short.mp3").write_bytes(b"ID3 not really an mp3")
    (root / "cover.txt").write_text("not audio")
    return paths + [root / "upload_cut_short.mp3"]


def cell(panel, row, column):
    return panel.proxy.data(panel.proxy.index(row, COLUMNS.index(column)))


def test_queue_runs_a_folder_and_shows_flagged_first(make_window, qtbot, tmp_path, tiny_weights):
    win = make_window()
    panel = win.show_queue()
    assert panel.isVisible()
    panel.weights_dir = str(tiny_weights)
    files = make_folder(tmp_path / "inbox", 4)
    with qtbot.waitSignal(panel.batch_finished, timeout=WAIT_MS):
        panel.add_paths([str(tmp_path / "inbox")])
    assert panel.model.rowCount() == 5  # four tracks and the broken upload; cover.txt is not audio: left out
    assert "Left out 1 file that is not audio: cover.txt" in panel.status_label.text()
    assert "Done" in panel.status_label.text()
    shown = [cell(panel, i, "probability") for i in range(panel.proxy.rowCount())]
    probs = [float(s.rstrip("%").replace("\u202f", "").lstrip("<>")) for s in shown if s]
    assert probs == sorted(probs, reverse=True) and shown[-1] == ""  # highest first, the unusable file last
    assert [cell(panel, i, "file") for i in range(5)].count("sub/track1.wav") == 1  # relative to the inbox
    assert cell(panel, 4, "file") == "upload_cut_short.mp3"
    assert cell(panel, 4, "reason").startswith("Unusable: upload_cut_short.mp3: not a readable audio file")
    assert panel.proxy.index(4, COLUMNS.index("file")).data(QtCore.Qt.ItemDataRole.ToolTipRole) == str(
        tmp_path / "inbox" / "upload_cut_short.mp3"
    )  # the full path in the tooltip
    assert all(cell(panel, i, "verdict") and cell(panel, i, "evidence") for i in range(4))
    # filter by text, then by verdict
    panel.filter_edit.setText("cut_short")
    assert panel.proxy.rowCount() == 1
    panel.filter_edit.clear()
    verdict = panel.model.rows[0]["verdict"] or panel.model.rows[1]["verdict"]
    panel.verdict_combo.setCurrentIndex(panel.verdict_combo.findData(verdict))
    assert 0 < panel.proxy.rowCount() <= 4
    assert all(
        panel.model.rows[panel.proxy.mapToSource(panel.proxy.index(i, 0)).row()]["verdict"] == verdict
        for i in range(panel.proxy.rowCount())
    )
    panel.verdict_combo.setCurrentIndex(0)
    # export what is shown
    out = tmp_path / "queue.csv"
    assert panel.export_csv(str(out))
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 5 and {r["path"] for r in rows} == set(map(str, files))  # full paths
    assert "score_patch_cnn" in rows[0] and rows[0]["decision"] == ""
    panel.grab().save(str(tmp_path / "queue.png"))
    # double-click opens the track in the main view
    index = panel.proxy.index(0, 0)
    with qtbot.waitSignal(win.spectrogram_shown, timeout=WAIT_MS):
        panel.table.doubleClicked.emit(index)
    assert win.current_path == panel.proxy.data(index, PATH_ROLE)


def test_queue_cancel_leaves_the_rest_and_a_second_batch_reuses_results(make_window, qtbot, tmp_path, tiny_weights):
    win = make_window()
    panel = win.show_queue()
    panel.weights_dir = str(tiny_weights)
    make_folder(tmp_path / "inbox", 8, seconds=6.0)

    def cancel_after_first(_job, event):  # runs on the worker thread, as soon as the first file settles
        if event[0] == "settled":
            panel.runner.cancel()

    panel.runner.worker.yielded.connect(cancel_after_first, QtCore.Qt.ConnectionType.DirectConnection)
    with qtbot.waitSignal(panel.batch_finished, timeout=WAIT_MS):
        panel.add_paths([str(tmp_path / "inbox")])
    assert "Cancelled" in panel.status_label.text()
    assert 1 <= panel.model.rowCount() < 9
    panel.runner.worker.yielded.disconnect(cancel_after_first)
    with qtbot.waitSignal(panel.batch_finished, timeout=WAIT_MS):
        panel.add_paths([str(tmp_path / "inbox")])
    assert panel.model.rowCount() == 9
    assert panel.progress.value() == panel.progress.maximum() == 9  # files known from the first batch count too
    assert not panel.cancel_button.isEnabled()


def test_dropping_a_folder_queues_it(make_window, qtbot, tmp_path, tiny_weights):
    from PySide6 import QtGui

    win = make_window()
    win.show_queue().weights_dir = str(tiny_weights)
    make_folder(tmp_path / "inbox", 2)
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(tmp_path / "inbox"))])
    drop = QtGui.QDropEvent(
        QtCore.QPointF(50, 50),
        QtCore.Qt.DropAction.CopyAction,
        mime,
        QtCore.Qt.MouseButton.LeftButton,
        QtCore.Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(win.queue_panel.batch_finished, timeout=WAIT_MS):
        win.dropEvent(drop)
    assert win.queue_panel.model.rowCount() == 3 and win.current_path is None


def test_the_command_line_opens_a_folder_in_the_queue(tmp_path, tiny_weights):
    """`forensic-app gui FOLDER`: the window with the Queue on the folder's files (it used to refuse a folder)."""
    import os
    import subprocess
    import sys

    from PySide6 import QtGui

    from forensic_app.batch import Store

    files = make_folder(tmp_path / "inbox", 3)
    shot, config = tmp_path / "queue.png", tmp_path / "config"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FORENSIC_APP_CONFIG_DIR=str(config))
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "forensic_app",
            "gui",
            str(tmp_path / "inbox"),
            "--screenshot",
            str(shot),
            "--weights",
            str(tiny_weights),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "folder" not in r.stderr, r.stderr
    image = QtGui.QImage(str(shot))
    assert (image.width(), image.height()) == (1280, 800)
    with Store(str(config / "queue.sqlite")) as store:  # the Queue's own store: every file has its row
        rows = {row["path"]: row for row in store.iter_rows(1)}
    assert set(rows) == set(map(str, files))  # cover.txt is not audio: no row
    assert all(rows[str(f)]["status"] == "analysed" for f in files[:-1])
    assert rows[str(files[-1])]["status"] == "unusable"
