"""The batch carries each evidence source's own columns (declared provenance, profile_match) into the store,
CSV, JSON lines and the Queue's filter; ``batch --rescore`` applies today's generator profiles to a finished
batch from the readings kept in its store, without decoding again."""

from __future__ import annotations

import csv
import json
import sqlite3

import pytest
import soundfile as sf

from forensic_app.cli import main
from tests.conftest import signal
from tests.core.test_registry import peaky, toy_profile


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {r["path"].rsplit("/", 1)[-1]: r for r in csv.DictReader(f)}


@pytest.fixture
def data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("FORENSIC_APP_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def inbox(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    sf.write(folder / "peaky.wav", peaky(), 44100, subtype="PCM_16")
    sf.write(folder / "music.wav", 0.5 * signal("music", 20.0, 44100, seed=3), 44100, subtype="PCM_16")
    return folder


def test_rescoring_after_teaching_a_profile_flags_that_file_and_decodes_nothing(
    tmp_path, tiny_weights, data_dir, inbox, monkeypatch, capsys
):
    from forensic_app.core.analysis import analyze
    from forensic_app.core.profiles import save_profile, user_profiles_dir

    store, before_csv, after_csv = tmp_path / "b.sqlite", tmp_path / "before.csv", tmp_path / "after.csv"
    assert (
        main(
            [
                "batch",
                str(inbox),
                "--store",
                str(store),
                "-o",
                str(before_csv),
                "--weights",
                str(tiny_weights),
                "--no-progress",
            ]
        )
        == 0
    ), capsys.readouterr().err
    before = read_csv(before_csv)
    assert before["peaky.wav"]["verdict"] != "likely_fake"
    assert "profile_match" not in before["peaky.wav"]  # the tiny bundle ships no profiles, and none taught yet
    with sqlite3.connect(str(store)) as db:  # ~7 KB of fakeprint a file, besides the scoring readings
        sizes = db.execute("SELECT LENGTH(fakeprint) FROM readings").fetchall()
        assert sizes == [(3585 * 2,), (3585 * 2,)]
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0] == "3"

    profile = save_profile(toy_profile(), user_profiles_dir(create=True) / "peaky.json")
    import forensic_app.core.analysis as analysis_mod

    def no_decoding(*_a, **_k):
        raise AssertionError("rescoring must not decode or measure")

    with monkeypatch.context() as m:
        for name in ("measure", "analyze"):
            m.setattr(analysis_mod, name, no_decoding)
        code = main(
            [
                "batch",
                "--rescore",
                "--store",
                str(store),
                "-o",
                str(after_csv),
                "--jsonl",
                str(tmp_path / "after.jsonl"),
                "--weights",
                str(tiny_weights),
            ]
        )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "re-scored 2 result(s) with 1 generator profile(s)" in out
    assert f"{before['peaky.wav']['verdict']} -> likely_fake: 1" in out
    after = read_csv(after_csv)
    peaky_row, music_row = after["peaky.wav"], after["music.wav"]
    assert peaky_row["verdict"] == "likely_fake" and peaky_row["profile_match"] == "Peaky Gen"
    assert peaky_row["deciding_evidence"] == "profiles" and "user_profile_decided" in peaky_row["note_codes"].split(";")
    assert float(peaky_row["score_profiles"]) > 0 and peaky_row["rescored_at"]
    # the same verdict as analysing the file afresh with the profile (the fakeprint is kept as float16)
    fresh = analyze(inbox / "peaky.wav", weights_dir=tiny_weights)
    assert fresh.verdict == "likely_fake"
    assert float(peaky_row["probability_fake"]) == pytest.approx(fresh.probability_fake, abs=2e-3)
    # the other file: same verdict, probability and interval; its profile reads below the real-music line
    for col in ("verdict", "probability_fake", "interval_low", "interval_high", "deciding_evidence", "score_patch_cnn"):
        assert music_row[col] == before["music.wav"][col], col
    assert music_row["profile_match"] == "" and float(music_row["score_profiles"]) < -1.0
    # the columns of before keep their order; the profiles add their score and, last, profile_match
    header = list(music_row)
    assert [c for c in header if c in before["music.wav"]] == list(before["music.wav"])
    assert set(header) - set(before["music.wav"]) == {"score_profiles", "profile_match"}
    assert header[-1] == "profile_match"  # new to this store: after the declared columns
    text = (tmp_path / "after.jsonl").read_text()
    lines = {json.loads(x)["path"].rsplit("/", 1)[-1]: json.loads(x) for x in text.splitlines()}
    assert lines["peaky.wav"]["profile_match"] == "Peaky Gen" and lines["peaky.wav"]["verdict"] == "likely_fake"
    with sqlite3.connect(str(store)) as db:
        args = json.loads(db.execute("SELECT args FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0])
    assert args["rescore"] and args["profiles"] == [{"name": "Peaky Gen", "kind": "user", "sha256": profile.sha256}]

    # --no-user-profiles takes the profile out again: back to the first verdicts (scored in 2 processes)
    assert (
        main(
            [
                "batch",
                "--rescore",
                "--store",
                str(store),
                "-o",
                str(after_csv),
                "--weights",
                str(tiny_weights),
                "--no-user-profiles",
                "--jobs",
                "2",
            ]
        )
        == 0
    )
    again = read_csv(after_csv)
    for name in ("peaky.wav", "music.wav"):
        for col in ("verdict", "probability_fake", "interval_low", "interval_high", "deciding_evidence"):
            assert again[name][col] == before[name][col], (name, col)


def test_results_without_stored_readings_are_reported_and_left_as_they_are(
    tmp_path, tiny_weights, data_dir, inbox, capsys
):
    from forensic_app.core.profiles import save_profile, user_profiles_dir

    store, out = tmp_path / "b.sqlite", tmp_path / "out.csv"
    assert (
        main(
            [
                "batch",
                str(inbox),
                "--store",
                str(store),
                "-o",
                str(out),
                "--weights",
                str(tiny_weights),
                "--no-progress",
            ]
        )
        == 0
    )
    before = read_csv(out)
    with sqlite3.connect(str(store)) as db:  # as a store written before the readings were kept
        db.execute("DELETE FROM readings WHERE sha256 = ?", (before["peaky.wav"]["sha256"],))
    save_profile(toy_profile(), user_profiles_dir(create=True) / "peaky.json")
    capsys.readouterr()
    assert main(["batch", "--rescore", "--store", str(store), "-o", str(out), "--weights", str(tiny_weights)]) == 0
    text = capsys.readouterr().out
    assert "1 result(s) have no stored readings" in text and "peaky.wav" in text
    after = read_csv(out)
    assert after["peaky.wav"]["verdict"] == before["peaky.wav"]["verdict"] and after["peaky.wav"]["rescored_at"] == ""
    assert after["music.wav"]["rescored_at"]
    assert main(["batch", "--rescore", "--store", str(tmp_path / "none.sqlite")]) == 2
    assert main(["batch", "--rescore", str(inbox), "--store", str(store)]) == 2


def test_what_the_files_declare_gets_columns_of_its_own_and_a_queue_filter(tmp_path, tiny_weights, data_dir):
    from mutagen.flac import FLAC

    from forensic_app.batch import Store
    from forensic_app.batch.triage import TriageFilter, declares_ai

    folder = tmp_path / "inbox"
    folder.mkdir()
    x = 0.5 * signal("music", 6.0, 44100, seed=5)
    for name in ("plain.flac", "tagged.flac"):
        sf.write(folder / name, x, 44100, format="FLAC")
    f = FLAC(folder / "tagged.flac")
    f["comment"] = "made with suno.com; created=2026-11-30T10:00:00Z; id=0b5c1e7a-3f7e-4a55-9d6c-2f1f3c0d9a11"
    f["isrc"] = "USX9P2612345"
    f.save()
    out, store = tmp_path / "out.csv", tmp_path / "b.sqlite"
    assert (
        main(
            [
                "batch",
                str(folder),
                "--store",
                str(store),
                "-o",
                str(out),
                "--jsonl",
                str(tmp_path / "o.jsonl"),
                "--weights",
                str(tiny_weights),
                "--no-progress",
            ]
        )
        == 0
    )
    rows = read_csv(out)
    header = list(rows["tagged.flac"])
    assert header[header.index("rescored_at") + 1 :] == [
        "declared_generator",
        "declared_source_type",
        "c2pa",
        "isrc",
        "encoder",
    ]
    assert rows["tagged.flac"]["declared_generator"] == "Suno" and rows["tagged.flac"]["isrc"] == "USX9P2612345"
    assert rows["plain.flac"]["declared_generator"] == "" and rows["plain.flac"]["isrc"] == ""
    assert rows["plain.flac"]["verdict"] == rows["tagged.flac"]["verdict"]
    lines = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert {x["path"].rsplit("/", 1)[-1]: x["declared_generator"] for x in lines} == {
        "plain.flac": None,
        "tagged.flac": "Suno",
    }
    with Store(store) as s:
        table = list(s.iter_rows(s.latest_run()))
    shown = [r["path"].rsplit("/", 1)[-1] for r in table if TriageFilter(declared_ai=True).accepts(r)]
    assert shown == ["tagged.flac"]
    assert [r["path"].rsplit("/", 1)[-1] for r in table if TriageFilter().accepts(r)] == ["plain.flac", "tagged.flac"]
    # a Content Credential's source type alone counts; another source type does not
    assert declares_ai({"columns": {"declared_source_type": "trainedAlgorithmicMedia"}})
    assert not declares_ai({"columns": {"declared_source_type": "digitalCapture", "declared_generator": ""}})
    assert not declares_ai({"path": "x.wav"})
