"""Issues #24 and #25 in the window: what the file declares beside the verdict (never in it), the
generator profiles' row and the profile a verdict rests on, a matched profile's evidence where it
lies (its peaks across the spectrogram and on the residue plot, its per-window lane), and
Teach a generator… driven with a stand-in for the (long) teaching."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest
import soundfile as sf

from forensic_app.core.result import DetectorEvidence, Note
from tests.factories import make_info, make_result

THRESHOLD = -1.71678
SHA = "4e3d44374147dfcb2bdad5e344a201e623499961a69e04026ae869b9d87b6587"
PEAKS_HZ = (3617.2, 2755.9, 2927.7, 6029.3, 5513.7, 5511.7)  # the last two are one line


def _profile(name, logit, *, kind="built-in", version="v1"):
    return {
        "name": name,
        "version": version,
        "kind": kind,
        "n_examples": 60,
        "created": "2026-12-07",
        "threshold_logit": THRESHOLD,
        "logit": logit,
        "match": logit >= THRESHOLD,
        "sha256": SHA,
        "validation": {"detection_logo": 1.0, "fp_reference_loso_max": 0.0},
    }


def profiles_row(logit: float, probability: float) -> DetectorEvidence:
    best = _profile("ace-step-v1", logit)
    other = _profile("diffrhythm", -3.0, version="base")
    matched = best["match"]
    details = {
        "profiles": [best, other],
        "matched": ["ace-step-v1"] if matched else [],
        "closest": "ace-step-v1",
        "windows": [{"start_s": 0.0, "end_s": 2.0, "logit": 1.6}, {"start_s": 2.0, "end_s": 4.0, "logit": -2.5}],
        "top_bins": [{"freq_hz": f, "contribution": 0.14} for f in PEAKS_HZ],
    }
    summary = (
        "Matches the decoder fingerprint of ace-step-v1 v1."
        if matched
        else f"None of the 2 generator profiles matches; the closest, ace-step-v1 v1, is {THRESHOLD - logit:.1f} "
        "logits below its threshold."
    )
    return DetectorEvidence(
        "profiles", "Generator profiles (decoder fingerprints)", logit - THRESHOLD, probability, summary, details
    )


def result_with(rows, *, decided_by_profile: bool = False):
    r = make_result(make_info(duration_s=4.0))
    settings = {
        "probability_by_detector": {"learned": 0.2, "profiles": r.probability_fake if decided_by_profile else 0.1}
    }
    notes = list(r.notes)
    if decided_by_profile:
        notes.append(
            Note(
                "profile_decided",
                "info",
                f"This verdict rests on the built-in generator profile of ace-step-v1 v1. Profile sha256 {SHA}.",
            )
        )
    return dataclasses.replace(
        r,
        detectors=list(r.detectors) + list(rows),
        notes=notes,
        provenance=dataclasses.replace(r.provenance, settings=settings),
    )


@pytest.fixture
def panel(qtbot):
    from forensic_app.gui.verdict_panel import VerdictPanel

    p = VerdictPanel()
    p.resize(360, 900)
    qtbot.addWidget(p)
    p.show()
    return p


def _declared_row(path):
    from forensic_app.core.detectors.declared import read_declarations
    from forensic_app.core.detectors.declared.source import declared_row

    return declared_row(read_declarations(path))


def test_a_declared_ai_origin_is_a_line_under_the_verdict_never_in_it(panel, tmp_path):
    mutagen = pytest.importorskip("mutagen.flac")
    x = 0.3 * np.random.default_rng(1).standard_normal(44100).astype(np.float32)
    plain, tagged = tmp_path / "plain.flac", tmp_path / "tagged.flac"
    for p in (plain, tagged):
        sf.write(p, x, 44100, format="FLAC")
    f = mutagen.FLAC(tagged)
    f["comment"] = "made with suno.com; created=2026-11-30T10:00:00Z; id=0b5c1e7a-3f7e-4a55-9d6c-2f1f3c0d9a11"
    f.save()

    panel.set_result(result_with([_declared_row(tagged)]))
    verdict = panel.verdict_label.text()
    assert panel.declared_headline.isVisible()
    assert "Suno" in panel.declared_headline.text() and "Suno" not in verdict
    assert "made with suno.com" in panel.declared_label.text().replace("\u200b", "")
    assert "Suno" not in panel.detectors_label.text()  # a declaration is no detector

    panel.set_result(result_with([_declared_row(plain)]))
    assert not panel.declared_headline.isVisible()
    assert panel.verdict_label.text() == verdict  # the same verdict with and without the tags
    assert "none in the file" in panel.declared_label.text()


def test_the_profile_a_verdict_rests_on_is_named_with_its_facts(panel):
    panel.set_result(result_with([profiles_row(4.7, 0.99)], decided_by_profile=True))
    text = panel.profiles_label.text().replace("\u200b", "")
    assert "rests on this profile" in text and "ACE-Step v1" in text and "built-in profile" in text
    assert "60 examples" in text and "2026-12-07" in text and SHA in text
    assert "matches" in text and "DiffRhythm: 1.3 logits below its threshold" in text
    assert panel.fakeprint_legend.isHidden() or "ace-step-v1" in panel.fakeprint_legend.text()
    # a hash wraps: it never widens the panel past its width
    assert panel.widget().minimumSizeHint().width() <= panel.width()


def test_no_match_names_the_closest_and_how_far_below(panel):
    panel.set_result(result_with([profiles_row(-3.9, None)]))
    text = panel.profiles_label.text()
    assert "None of the 2 generator profiles matches" in text and "2.2 logits below its threshold" in text
    assert "rests on this profile" not in text


def test_a_matched_profile_is_drawn_where_its_evidence_lies(qtbot):
    from forensic_app.gui.profile_lane import profile_evidence
    from forensic_app.gui.spectrogram_view import AnalysisView

    view = AnalysisView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    r = result_with([profiles_row(4.7, 0.99)], decided_by_profile=True)
    view.set_spectrogram(r.overview, 4.0)
    ev = profile_evidence(r)
    assert ev is not None and ev.peaks_hz == PEAKS_HZ[:5]
    view.set_profile_evidence(ev)
    assert len(view.profile_items) == 5
    assert sorted(round(float(view.freq_scale.to_hz(i.value()))) for i in view.profile_items) == sorted(
        round(f) for f in PEAKS_HZ[:5]
    )
    lane = view.profile_lane
    assert lane is not None
    assert "above its threshold" in lane.readout_at(1.0) and "below its threshold" in lane.readout_at(3.0)
    assert "display only" in lane.readout_at(1.0)
    assert "ACE-Step v1 peak" in view.readout_at(1.0, 3617.0)
    view.set_freq_scale("log")  # the lines follow the scale
    assert sorted(round(float(view.freq_scale.to_hz(i.value()))) for i in view.profile_items)[0] == round(2755.9)

    unmatched = result_with([profiles_row(-3.9, None)])
    assert profile_evidence(unmatched) is None
    view.set_profile_evidence(None)
    assert view.profile_lane is None and not view.profile_items
    view.close()


# ---------------------------------------------------------------------------------- Teach a generator
@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FORENSIC_APP_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _examples(tmp_path, n=3):
    return [str(tmp_path / f"gen-{i}.wav") for i in range(n)]


def _open_dialog(qtbot, files, teach):
    from forensic_app.gui.teach_dialog import TeachDialog

    dialog = TeachDialog(files=files, teach=teach, can_reanalyse=True)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_teaching_needs_three_examples_and_a_name(qtbot, tmp_path, data_dir):
    dialog = _open_dialog(qtbot, _examples(tmp_path, 2), teach=lambda *a, **k: None)
    assert not dialog.teach_button.isEnabled() and "at least 3" in dialog.count_label.text()
    dialog.add_files(_examples(tmp_path, 3))  # the two again and a third
    assert len(dialog.files()) == 3 and "name" in dialog.count_label.text()
    dialog.name_edit.setText("my gen/../x")
    assert not dialog.teach_button.isEnabled() and "not a usable name" in dialog.count_label.text()
    dialog.name_edit.setText("my-gen")
    assert dialog.teach_button.isEnabled()
    dialog.close()


def test_a_refusal_is_said_in_words(qtbot, tmp_path, data_dir):
    from forensic_app.profile_command import TeachOutcome

    calls = []

    def refuse(name, files, *, notes, on_progress, cancel):
        calls.append((name, files, notes))
        return TeachOutcome(
            reason="the examples cannot be told apart from real music: held out one at a time, 20% "
            "of them reach the threshold; are these real recordings?",
            refused=True,
            warnings=["gen-1.wav: only 4.0 s long: its fingerprint is noisy"],
        )

    dialog = _open_dialog(qtbot, _examples(tmp_path), refuse)
    dialog.name_edit.setText("my-gen")
    dialog.notes_edit.setText("from the demo page")
    assert dialog.start() is not None
    qtbot.waitUntil(lambda: dialog.result_label.isVisible(), timeout=5000)
    text = dialog.result_label.text()
    assert "Refused:" in text and "cannot be told apart from real music" in text and "only 4.0 s long" in text
    assert calls == [("my-gen", _examples(tmp_path), "from the demo page")]
    assert not dialog.reanalyse_button.isVisible() and dialog.teach_button.isEnabled()  # change the examples, retry
    dialog.close()


def test_a_taught_profile_shows_its_validation_and_offers_to_analyse_again(qtbot, tmp_path, data_dir):
    from forensic_app.core.profiles import N_BINS, Profile, profile_path, save_profile
    from forensic_app.core.progress import Progress
    from forensic_app.profile_command import TeachOutcome

    def succeed(name, files, *, notes, on_progress, cancel):
        on_progress(Progress(0.5, "Reading example 2 of 3"))
        p = Profile(
            generator=name,
            version="taught",
            architecture="",
            weights=np.zeros(N_BINS),
            bias=0.0,
            threshold_logit=1.0,
            n_examples=len(files),
            validation={"cv_detection": 1.0, "n_reference_sources": 21, "fp_leave_one_source_out_max": 0.0},
            created="2026-12-07",
            notes=notes,
            kind="user",
        )
        path = profile_path(data_dir / "profiles", name)
        return TeachOutcome(profile=save_profile(p, path), path=path)

    dialog = _open_dialog(qtbot, _examples(tmp_path), succeed)
    dialog.name_edit.setText("my-gen")
    with qtbot.waitSignal(dialog.taught, timeout=5000) as taught:
        dialog.start()
    assert taught.args[0].generator == "my-gen"
    text = dialog.result_label.text().replace("\u200b", "")
    assert "Taught and saved" in text and "100% of them were recognised" in text and "21 sources" in text
    assert taught.args[0].sha256 in text
    assert dialog.reanalyse_button.isVisible()
    assert "exists already" in dialog.count_label.text()  # the name is taken now
    with qtbot.waitSignal(dialog.reanalyse_requested, timeout=2000):
        dialog.reanalyse_button.click()


def test_cancel_stops_the_teaching(qtbot, tmp_path, data_dir):
    from forensic_app.core.errors import Cancelled

    started = threading.Event()

    def slow(name, files, *, notes, on_progress, cancel):
        started.set()
        while not cancel.cancelled:
            threading.Event().wait(0.01)
        raise Cancelled()

    dialog = _open_dialog(qtbot, _examples(tmp_path), slow)
    dialog.name_edit.setText("my-gen")
    dialog.start()
    assert started.wait(5)
    assert dialog.cancel_button.isVisible()
    dialog.cancel()
    qtbot.waitUntil(lambda: dialog.result_label.isVisible(), timeout=5000)
    assert "no profile was saved" in dialog.result_label.text()
    dialog.close()


def test_the_window_offers_teaching_from_the_queue_selection(make_window, tmp_path, data_dir):
    win = make_window()
    assert win.act_teach.text().startswith("&Teach a generator")
    dialog = win.teach_generator(_examples(tmp_path))
    assert len(dialog.files()) == 3
    dialog.close()
