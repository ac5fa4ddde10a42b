"""Evidence sources as plug-ins (core.detectors): a source added through the registry alone reaches
the JSON, the report and the batch CSV; generator profiles (built-in and the user's) decide, name
themselves, and never raise the probability of audio they do not match."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from pypdf import PdfReader

from forensic_app.core.analysis import analyze
from forensic_app.core.detectors.base import EvidenceSource
from forensic_app.core.detectors.registry import registered, sources
from forensic_app.core.fakeprint import BAND, FREQS_HZ
from forensic_app.core.profiles import Profile, save_profile, user_profiles_dir
from forensic_app.core.result import DetectorEvidence
from tests.conftest import signal


class PeakMeter:
    def __init__(self):
        self.peak = 0.0

    def push(self, mono):
        self.peak = max(self.peak, float(np.max(np.abs(mono))))

    def finish(self):
        return self.peak


class ToyPeak(EvidenceSource):
    """A toy source: the file's sample peak, measured on the stream, a row in words, no line."""

    name = "toy_peak"
    title = "Toy peak meter"

    def meter(self, model, rate):
        return PeakMeter()

    def rows(self, it):
        peak = it.m.extra[self.name]
        return [
            DetectorEvidence(
                self.name,
                self.title,
                round(20 * np.log10(peak), 3),
                None,
                f"The toy meter read a sample peak of {20 * np.log10(peak):.1f} dBFS.",
                {"peak": peak},
            )
        ]

    def coverage(self, model, profiles):
        return ["toy sample peaks"]


def test_a_source_added_through_the_registry_alone_reaches_json_report_and_batch_csv(tmp_path, tiny_weights):
    from forensic_app.batch import BatchOptions, Store, run_batch
    from forensic_app.batch.export import write_csv
    from forensic_app.report.pdf import write_report

    wav = tmp_path / "song.wav"
    sf.write(wav, 0.5 * signal("music", 6.0, 44100), 44100, subtype="PCM_16")
    names_before = [s.name for s in sources()]
    with registered(ToyPeak()):
        result = analyze(wav, weights_dir=tiny_weights)
        doc = result.to_json_dict()
        pdf = tmp_path / "report.pdf"
        write_report(result, pdf)
        store = Store(tmp_path / "b.sqlite")
        run = run_batch([str(wav)], store, BatchOptions(jobs=1, weights_dir=str(tiny_weights)))
        write_csv(store, run, tmp_path / "b.csv")
        store.close()
    assert [s.name for s in sources()] == names_before  # the block took it out again

    row = next(d for d in doc["detectors"] if d["name"] == "toy_peak")
    peak_db = 20 * np.log10(float(np.max(np.abs(sf.read(wav)[0]))))
    assert row["score"] == pytest.approx(peak_db, abs=0.05)
    assert "toy sample peaks" in doc["coverage"]
    text = " ".join(p.extract_text() for p in PdfReader(str(pdf)).pages)
    assert "Toy peak meter" in " ".join(text.split())
    rows = list(csv.DictReader(open(tmp_path / "b.csv", newline="", encoding="utf-8")))
    assert float(rows[0]["score_toy_peak"]) == pytest.approx(peak_db, abs=0.05)


PEAKS_HZ = (1531.25, 2468.75, 3406.25, 4343.75, 5281.25, 6218.75, 7156.25)


def peaky(seconds: float = 20.0, rate: int = 44100, seed: int = 0) -> np.ndarray:
    """Music-like audio with fixed spectral peaks at PEAKS_HZ, as a decoder's fingerprint puts them."""
    t = np.arange(int(seconds * rate)) / rate
    x = 0.5 * signal("music", seconds, rate, seed=seed)[:, 0]
    x = x + sum(0.02 * np.sin(2 * np.pi * f * t) for f in PEAKS_HZ)
    return (x / np.max(np.abs(x)) * 0.8).astype(np.float32)


def toy_profile(name: str = "Peaky Gen", kind: str = "user") -> Profile:
    freqs = FREQS_HZ[BAND]
    w = np.full(freqs.size, -0.02)
    for f in PEAKS_HZ:
        w[np.abs(freqs - f) < 3.0] = 1.0
    return Profile(
        generator=name,
        version="1",
        architecture="toy",
        weights=w,
        bias=0.0,
        threshold_logit=3.0,
        n_examples=5,
        validation={"cv_detection": 1.0, "fp_leave_one_source_out_max": 0.0},
        created="2026-12-07",
        kind=kind,
    )


@pytest.fixture
def user_profile(monkeypatch, tmp_path):
    monkeypatch.setenv("FORENSIC_APP_DATA_DIR", str(tmp_path / "data"))
    return save_profile(toy_profile(), user_profiles_dir(create=True) / "peaky.json")


def test_a_user_profile_decides_names_itself_and_can_be_left_out(tmp_path, tiny_weights, user_profile):
    wav = tmp_path / "peaky.wav"
    sf.write(wav, peaky(), 44100, subtype="PCM_16")
    with_p = analyze(wav, weights_dir=tiny_weights)
    without = analyze(wav, weights_dir=tiny_weights, user_profiles=False)

    row = next(d for d in with_p.detectors if d.name == "profiles")
    assert row.details["matched"] == ["Peaky Gen"] and row.score > 0
    assert with_p.verdict == "likely_fake" and with_p.deciding_evidence == "profiles"
    note = next(n for n in with_p.notes if n.code == "user_profile_decided")
    assert "Peaky Gen" in note.text and user_profile.sha256 in note.text and "5 examples" in note.text
    assert "your own generator profiles: Peaky Gen (yours)" in with_p.coverage_line
    applied = with_p.provenance.settings["profiles_applied"]
    assert {"name": "Peaky Gen", "kind": "user", "sha256": user_profile.sha256} in applied
    assert "--no-user-profiles" in without.provenance.command
    assert not any(d.name == "profiles" for d in without.detectors)  # the tiny bundle ships no profiles
    assert without.probability_fake < with_p.probability_fake
    # the per-window (10 s) readings of the matched profile, for the timeline: noisier than the track's,
    # but far above what the same profile reads on music without the peaks (next test: about -10)
    wins = row.details["windows"]
    assert [(w["start_s"], w["end_s"]) for w in wins] == [(0.0, 10.0), (10.0, 20.0)]
    assert all(w["logit"] is not None and w["logit"] > 0 for w in wins)


def test_a_profile_never_raises_the_probability_of_audio_it_does_not_match(tmp_path, tiny_weights, user_profile):
    wav = tmp_path / "music.wav"
    sf.write(wav, 0.5 * signal("music", 20.0, 44100, seed=3), 44100, subtype="PCM_16")
    with_p = analyze(wav, weights_dir=tiny_weights)
    without = analyze(wav, weights_dir=tiny_weights, user_profiles=False)
    row = next(d for d in with_p.detectors if d.name == "profiles")
    assert row.details["matched"] == [] and row.score < -1.0  # below the highest real reading
    assert all(w["logit"] < -3.0 for w in row.details["windows"])
    assert with_p.provenance.settings["probability_by_detector"]["profiles"] is None
    assert with_p.probability_fake == pytest.approx(without.probability_fake)
    assert with_p.verdict == without.verdict
    assert not any("profile_decided" in n.code for n in with_p.notes)


def test_the_shipped_bundle_applies_its_built_in_profiles():
    from forensic_app.core.weights import load_model

    model = load_model()
    names = [p.generator for p in model.profiles]
    assert len(names) >= 5 and all(p.kind == "built-in" and p.sha256 for p in model.profiles)
    assert "profiles" in [s.name for s in sources()]
    manifest = json.loads((Path(model.manifest.directory) / "manifest.json").read_text())
    assert all(f"profile:{n}" in manifest["files"] for n in names)


def test_what_the_file_declares_is_shown_beside_the_verdict_and_never_moves_it(tmp_path, tiny_weights):
    from mutagen.flac import FLAC

    x = 0.5 * signal("music", 8.0, 44100, seed=5)
    plain, tagged = tmp_path / "plain.flac", tmp_path / "tagged.flac"
    for p in (plain, tagged):
        sf.write(p, x, 44100, format="FLAC")
    f = FLAC(tagged)
    f["comment"] = "made with suno.com; created=2026-11-30T10:00:00Z; id=0b5c1e7a-3f7e-4a55-9d6c-2f1f3c0d9a11"
    f["isrc"] = "USX9P2612345"
    f.save()
    a, b = analyze(plain, weights_dir=tiny_weights), analyze(tagged, weights_dir=tiny_weights)
    assert (a.verdict, a.probability_fake, a.interval) == (b.verdict, b.probability_fake, b.interval)
    assert a.declaration_headline is None
    assert "Suno" in b.declaration_headline and "tags" in b.declaration_headline
    row = b.to_json_dict()["detectors"][-1]
    assert row["name"] == "declared" and row["probability_fake"] is None and row["score"] is None
    assert row["details"]["columns"]["isrc"] == "USX9P2612345"
    assert row["details"]["columns"]["declared_generator"] == "Suno"
    assert "declared" not in b.provenance.settings["probability_by_detector"]


def test_metadata_that_cannot_be_read_gives_the_analysis_as_usual_plus_a_note(tmp_path, tiny_weights):
    from mutagen.flac import FLAC

    x = 0.5 * signal("music", 6.0, 44100, seed=7)
    good, bad = tmp_path / "good.flac", tmp_path / "bad.flac"
    for p in (good, bad):
        sf.write(p, x, 44100, format="FLAC")
        f = FLAC(p)
        f["TITLE"] = "AAAA-title"
        f.save()
    bad.write_bytes(bad.read_bytes().replace(b"AAAA-title", b"\xff\xfe\xc3(-title"))  # not UTF-8
    a, b = analyze(good, weights_dir=tiny_weights), analyze(bad, weights_dir=tiny_weights)
    assert (b.verdict, b.probability_fake) == (a.verdict, a.probability_fake)
    note = next(n for n in b.notes if n.code == "metadata_problems")
    assert "UTF-8" in note.text and "not affected" in note.text
    assert not any(n.code == "metadata_problems" for n in a.notes)
