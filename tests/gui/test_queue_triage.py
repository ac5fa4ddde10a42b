"""Triage in the Queue with the keyboard: J/K move (the track view follows), Space plays the strongest window,
F/R/U decide, N notes; filters by evidence, decision and note; decisions kept in the store across sessions and
exported with the rows and as an audit log. The last test is a moderator's walk through 60 uploads."""

from __future__ import annotations

import csv

import pytest
import soundfile as sf
from PySide6 import QtCore, QtWidgets

from forensic_app.batch.decisions import DecisionLog
from forensic_app.gui.playback import Player
from forensic_app.gui.queue_panel import COLUMNS, PATH_ROLE
from tests.conftest import signal
from tests.uploads import BROKEN, write_uploads

WAIT_MS = 120_000
K = QtCore.Qt.Key


def cell(panel, row, column):
    return panel.proxy.data(panel.proxy.index(row, COLUMNS.index(column)))


def current_path(panel):
    row = panel.current_row()
    return None if row is None else row["path"]


def press(qtbot, widget, *keys):
    for key in keys:
        qtbot.keyClick(widget, key)


def queue_on(win, qtbot, folder, weights):
    panel = win.show_queue()
    panel.weights_dir = str(weights)
    with qtbot.waitSignal(panel.batch_finished, timeout=WAIT_MS):
        panel.add_paths([str(folder)])
    panel.table.setFocus()
    return panel


@pytest.fixture
def small_inbox(tmp_path):
    """Two tracks called 000001.wav in different folders, a third, and a broken upload."""
    inbox = tmp_path / "inbox"
    paths = []
    for i, rel in enumerate(("north/000001.wav", "south/000001.wav", "south/000002.wav")):
        p = inbox / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(p), signal("music" if i != 1 else "noise", 3.0, 44100, 1, seed=i), 44100, subtype="PCM_16")
        paths.append(p)
    (inbox / "south" / "000003.mp3").write_bytes(b"ID3 cut off")
    return inbox, paths + [inbox / "south" / "000003.mp3"]


def test_j_and_k_move_and_the_track_view_follows(make_window, qtbot, small_inbox, tiny_weights):
    win = make_window()
    panel = queue_on(win, qtbot, small_inbox[0], tiny_weights)
    assert [cell(panel, i, "file") for i in range(4)].count("north/000001.wav") == 1  # told apart by folder
    press(qtbot, panel.table, K.Key_J)
    first = current_path(panel)
    assert first == panel.proxy.index(0, 0).data(PATH_ROLE)  # the top row
    with qtbot.waitSignal(win.spectrogram_shown, timeout=WAIT_MS):
        pass  # the view follows once the selection rests
    assert win.current_path == first
    press(qtbot, panel.table, K.Key_J, K.Key_J, K.Key_K)
    second = current_path(panel)
    assert second == panel.model.rows[panel.proxy.mapToSource(panel.proxy.index(1, 0)).row()]["path"]
    with qtbot.waitSignal(win.spectrogram_shown, timeout=WAIT_MS):
        pass
    assert win.current_path == second
    press(qtbot, panel.table, *[K.Key_J] * 6)  # stays on the last row
    assert current_path(panel) == panel.shown_rows()[-1]["path"]
    press(qtbot, panel.table, *[K.Key_K] * 6)
    assert current_path(panel) == panel.shown_rows()[0]["path"]


def test_space_asks_to_play_the_strongest_window_of_the_row(make_window, qtbot, small_inbox, tiny_weights, monkeypatch):
    win = make_window()
    panel = queue_on(win, qtbot, small_inbox[0], tiny_weights)
    # offscreen there is no audio device: Space says so in the Queue, and nothing plays
    assert not win.player.available
    press(qtbot, panel.table, K.Key_J, K.Key_Space)
    assert "Playback is unavailable" in panel.status_label.text()
    # with a device: what the player is asked to play
    asked = []
    monkeypatch.setattr(Player, "available", property(lambda self: True))
    monkeypatch.setattr(Player, "play", lambda self, start_s=None, end_s=None: asked.append((start_s, end_s)))
    row = panel.current_row()
    press(qtbot, panel.table, K.Key_Space)
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT_MS)  # once the row's track is decoded in the view above
    assert win.current_path == row["path"]
    window = row["strongest_window_s"] or [0.0, 3.0]  # a 3-s track where no window stands out: its start
    assert asked == [(pytest.approx(window[0]), pytest.approx(window[1]))]
    name = row["path"][len(str(small_inbox[0])) + 1 :]
    assert panel.status_label.text().startswith("Playing the ") and f" of {name}, 0:0" in panel.status_label.text()
    # the broken upload has nothing to play
    press(qtbot, panel.table, *[K.Key_J] * 3)
    assert current_path(panel) == str(small_inbox[1][-1])
    press(qtbot, panel.table, K.Key_Space)
    assert panel.status_label.text().startswith("Nothing to play in south/000003.mp3: unusable")
    assert len(asked) == 1


def test_a_moderators_walk_through_60_uploads_with_the_keyboard(
    make_window, qtbot, tmp_path, tiny_weights, monkeypatch
):
    """Done when: open a folder of 60 uploads, triage every row with J/F/R/U/N, go back with K and change one,
    filter, export the rows and the audit log; decisions come back in the next session."""
    inbox = tmp_path / "uploads"
    audio, sidecars = write_uploads(inbox, n=60, seconds=2.0)
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory", lambda *a, **k: str(inbox))
    win = make_window(weights_dir=str(tiny_weights))
    win.activateWindow()
    qtbot.waitUntil(lambda: win.isActiveWindow())
    qtbot.keyClick(win, K.Key_Q, QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.ShiftModifier)
    panel = win.queue_panel
    assert panel is not None and panel.isVisible()
    panel.weights_dir = str(tiny_weights)
    panel.reviewer_edit.setFocus()
    qtbot.keyClicks(panel.reviewer_edit, "Kim Moderator")
    qtbot.keyClick(panel.reviewer_edit, K.Key_Return)
    assert win.settings.reviewer == "Kim Moderator"
    with qtbot.waitSignal(panel.batch_finished, timeout=WAIT_MS):
        qtbot.keyClick(panel, K.Key_D, QtCore.Qt.KeyboardModifier.AltModifier)  # Add folder...
    assert panel.model.rowCount() == 60
    assert "Left out 4 files that are not audio" in panel.status_label.text()
    assert panel.table.hasFocus()
    names = {cell(panel, i, "file") for i in range(60)}
    assert (
        len(names) == 60
        and {
            "label_north/2026-12-01/000001.mp3",
            "label_north/2026-12-02/000001.mp3",
            "label_south/2026-12-01/000001.mp3",
        }
        <= names
    )  # one base name, three folders

    table, expected, notes, records = panel.table, {}, {}, 0
    by_ear = ((K.Key_F, "likely_ai"), (K.Key_R, "human_made"), (K.Key_U, "undecided"))  # what the moderator hears
    for i in range(60):
        qtbot.keyClick(table, K.Key_J)
        row = panel.current_row()
        assert row["path"] == panel.shown_rows()[i]["path"]  # J went one row down
        if row["verdict"] is None:  # the broken upload: no decision, a note
            qtbot.keyClick(table, K.Key_N)
            qtbot.keyClicks(panel.note_dialog.edit, "broken upload: ask the uploader again")
            qtbot.keyClick(panel.note_dialog.edit, K.Key_Return)
            expected[row["path"]], notes[row["path"]] = "", "broken upload: ask the uploader again"
            records += 1
            continue
        key, decision = by_ear[i % 3]
        qtbot.keyClick(table, key)
        expected[row["path"]] = decision
        records += 1
        if i % 15 == 0:
            qtbot.keyClick(table, K.Key_N)
            qtbot.keyClicks(panel.note_dialog.edit, f"listened to the strongest window, row {i}")
            qtbot.keyClick(panel.note_dialog.edit, K.Key_Return)
            notes[row["path"]] = f"listened to the strongest window, row {i}"
            records += 1
        qtbot.waitUntil(table.hasFocus)  # the note dialog gave the keys back to the table
        if i == 5:  # a pause on a row: the track view above shows it
            qtbot.waitUntil(lambda path=row["path"]: win.current_path == path, timeout=WAIT_MS)
    assert cell(panel, 59, "decision") != "" and panel.current_row()["path"] == panel.shown_rows()[-1]["path"]
    # back three rows with K, and change the mind: human-made
    for _ in range(3):
        qtbot.keyClick(table, K.Key_K)
    changed = panel.current_row()
    if expected[changed["path"]] == "human_made":
        qtbot.keyClick(table, K.Key_U)
        expected[changed["path"]] = "undecided"
    else:
        qtbot.keyClick(table, K.Key_R)
        expected[changed["path"]] = "human_made"
    records += 1
    assert cell(panel, 56, "decision") == {"undecided": "Reviewer: undecided", "human_made": "Reviewer: human-made"}[
        expected[changed["path"]]
    ] + (" \u270e" if changed["path"] in notes else "")
    # filters: nothing left undecided but the broken upload; a word of a note finds its rows
    panel.decision_combo.setCurrentIndex(panel.decision_combo.findData("none"))
    assert [r["path"] for r in panel.shown_rows()] == [str(audio[BROKEN])]
    panel.decision_combo.setCurrentIndex(0)
    panel.filter_edit.setText("strongest window")
    assert {r["path"] for r in panel.shown_rows()} == {p for p, n in notes.items() if "strongest" in n}
    panel.filter_edit.clear()
    evidence = panel.evidence_combo.itemData(1)
    panel.evidence_combo.setCurrentIndex(1)
    assert panel.shown_rows() and all(r["deciding_evidence"] == evidence for r in panel.shown_rows())
    panel.evidence_combo.setCurrentIndex(0)
    # export the rows and the audit log (the file dialogs answer as a moderator would)
    table.setFocus()
    rows_csv, log_csv = tmp_path / "triaged.csv", tmp_path / "decisions.csv"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (str(rows_csv), "CSV (*.csv)"))
    qtbot.keyClick(panel, K.Key_C, QtCore.Qt.KeyboardModifier.AltModifier)  # Export CSV...
    qtbot.waitUntil(rows_csv.exists)  # a mnemonic clicks the button a moment later
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (str(log_csv), "CSV (*.csv)"))
    qtbot.keyClick(panel, K.Key_L, QtCore.Qt.KeyboardModifier.AltModifier)  # Export decisions (audit log)...
    qtbot.waitUntil(log_csv.exists)
    assert panel.status_label.text() == f"Exported {records} decisions and notes to {log_csv}"
    with open(rows_csv, newline="") as f:
        exported = list(csv.DictReader(f))
    assert len(exported) == 60 and {r["path"] for r in exported} == set(map(str, audio))  # full paths
    assert {r["path"]: r["decision"] for r in exported} == expected
    assert {r["path"]: r["decision_note"] for r in exported if r["decision_note"]} == notes
    assert {r["decided_by"] for r in exported} == {"Kim Moderator"} and all(r["decided_at"] for r in exported)
    with open(log_csv, newline="") as f:
        log = list(csv.DictReader(f))
    assert (
        len(log) == records
        and [r for r in log if r["path"] == changed["path"]][-1]["decision"] == expected[changed["path"]]
    )
    assert all(r["reviewer"] == "Kim Moderator" for r in log)
    assert all(len(r["sha256"]) == 64 for r in log if r["path"] != str(audio[BROKEN]))
    assert not any(str(s) in {r["path"] for r in exported} for s in sidecars)

    # the next session: the same store, the same folder: every decision is back, and the reviewer's name
    win.close()
    win2 = make_window(weights_dir=str(tiny_weights))
    panel2 = queue_on(win2, qtbot, inbox, tiny_weights)
    assert panel2.reviewer == "Kim Moderator"
    assert {r["path"]: (panel2.model.decisions[r["path"]].decision or "") for r in panel2.model.rows} == expected
    with DecisionLog(panel2.store_path) as store_log:
        assert len(store_log.history()) == records


def test_deciding_under_the_no_decision_filter_moves_on_to_the_next_file(make_window, qtbot, small_inbox, tiny_weights):
    win = make_window()
    panel = queue_on(win, qtbot, small_inbox[0], tiny_weights)
    panel.decision_combo.setCurrentIndex(panel.decision_combo.findData("none"))  # what is left to decide
    order = [r["path"] for r in panel.shown_rows()]
    press(qtbot, panel.table, K.Key_J, K.Key_F)
    assert [r["path"] for r in panel.shown_rows()] == order[1:]  # decided: no longer shown
    assert current_path(panel) == order[1]  # the next file is selected, ready for its key
    press(qtbot, panel.table, K.Key_R, K.Key_U)
    assert current_path(panel) == order[3] and panel.proxy.rowCount() == 1
    assert [panel.model.decisions[p].decision for p in order[:3]] == ["likely_ai", "human_made", "undecided"]
    assert "3 of 4 decided" in panel.status_label.text()


def test_an_unwritable_store_still_lets_the_reviewer_decide_for_the_session(qtbot, tmp_path):
    from forensic_app.gui.queue_panel import QueuePanel
    from tests.batch.test_triage import row

    blocker = tmp_path / "config"
    blocker.write_text("a file where the settings folder should be")
    panel = QueuePanel(store_path=blocker / "queue.sqlite", reviewer="Kim")
    qtbot.addWidget(panel)
    panel.show()
    assert panel.status_label.text().startswith(f"Decisions cannot be kept in {blocker / 'queue.sqlite'}")
    panel.model.upsert(row("/up/a.wav", p=0.9, verdict="likely_fake", evidence="comb"))
    press(qtbot, panel.table, K.Key_J, K.Key_F)
    assert cell(panel, 0, "decision") == "Reviewer: likely AI"
    assert [(d.decision, d.reviewer) for d in panel.decisions.history()] == [("likely_ai", "Kim")]
    panel.shutdown()


def test_the_declared_ai_origin_filter_keeps_the_files_that_declare_it(qtbot):
    """The Queue's "Declared AI origin" box: only the files whose own tags or Content Credential declare an AI
    origin (the batch's declared_generator / declared_source_type columns) stay in the table."""
    from forensic_app.gui.queue_model import QueueFilter, QueueModel

    def row(name, **columns):
        return {
            "path": f"/up/{name}",
            "status": "analysed",
            "sha256": name * 4,
            "verdict": "no_traces_found",
            "probability_fake": 0.1,
            "detectors": {},
            "notes": [],
            "columns": columns,
        }

    model, proxy = QueueModel(), QueueFilter()
    proxy.setSourceModel(model)
    for r in (
        row("a.mp3", declared_generator="Suno", c2pa="absent"),
        row("b.wav", declared_generator=None),
        row("c.wav", declared_source_type="trainedAlgorithmicMedia", c2pa="valid"),
        row("d.flac"),
    ):
        model.upsert(r)

    def shown():
        return sorted(proxy.index(i, 0).data(PATH_ROLE) for i in range(proxy.rowCount()))

    assert len(shown()) == 4
    proxy.set_filter(declared_ai=True)
    assert shown() == ["/up/a.mp3", "/up/c.wav"]
    proxy.set_filter(declared_ai=False)
    assert len(shown()) == 4
