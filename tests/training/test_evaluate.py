"""`forensic-app evaluate` scores test segments through the app's own scoring path: its verdict
tables give, segment by segment, what analyze() gives on the same file."""

from __future__ import annotations

import argparse
import csv
import json
import shutil
from pathlib import Path

import soundfile as sf

import pytest

from forensic_app.core.analysis import analyze
from forensic_app.training import kinds
from forensic_app.training.evaluate import run_evaluate

from .conftest import FIELDS, RATE


@pytest.fixture(scope="module")
def with_kind(mini_dataset, tmp_path_factory) -> Path:
    """The mini dataset plus one generated kind clip in test (a held pulse note, a perfect line comb)."""
    data = tmp_path_factory.mktemp("with_kind") / "data"
    shutil.copytree(
        mini_dataset, data, ignore=shutil.ignore_patterns("features", "runs", "comb_scores*", "segment_readings*")
    )
    sf.write(str(data / "segments/kind-pulse-test.flac"), kinds.pulse_note(5, 10.0), RATE, subtype="PCM_16")
    with open(data / "index.csv", "a", newline="") as f:
        csv.DictWriter(f, FIELDS).writerow(
            {
                "id": "kind-pulse-test",
                "path": "segments/kind-pulse-test.flac",
                "label": "real",
                "family": "real",
                "generator": "original",
                "pair_id": "",
                "source_package": "kind/synth: pulse note",
                "split": "test",
                "augment": "",
                "heldout": "0",
                "duration_s": "10.0",
            }
        )
    return data


@pytest.fixture(scope="module")
def evaluated(with_kind, tiny_weights, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("evaluation")
    args = argparse.Namespace(
        cache_dir=str(with_kind),
        weights=str(tiny_weights),
        out=str(out),
        lofo_steps=0,
        robust_n=1,
        threads=1,
        update_manifest=False,
    )
    assert run_evaluate(args) == 0
    return out


def test_each_segment_gets_the_verdict_analyze_gives_the_same_file(evaluated, mini_dataset, tiny_weights):
    res = json.loads((evaluated / "evaluation.json").read_text())
    segments = res["segment_verdicts"]
    rows = [line.split(",") for line in (mini_dataset / "index.csv").read_text().splitlines()[1:]]
    test_rows = [(r[0], r[1]) for r in rows if r[7] == "test"]
    assert set(segments) == {rid for rid, _ in test_rows}  # the real recordings and fakes; the kind apart
    for rid, rel in test_rows:
        r = analyze(mini_dataset / rel, weights_dir=tiny_weights)
        assert segments[rid]["verdict"] == r.verdict, rid
        assert segments[rid]["probability"] == pytest.approx(r.probability_fake, abs=1e-4), rid
        by = r.provenance.settings["probability_by_detector"]
        for d, p in by.items():
            if p is None:
                assert segments[rid]["by_detector"][d] is None, (rid, d)
            else:
                assert segments[rid]["by_detector"][d] == pytest.approx(p, abs=1e-4), (rid, d)


def test_the_report_counts_verdicts_and_each_line_of_evidence_per_family_and_source(evaluated):
    res = json.loads((evaluated / "evaluation.json").read_text())
    v = res["verdicts"]
    assert v["families"]["tconv"]["n"] == 2 and v["all_real"]["n"] == 2
    segs = res["segment_verdicts"]
    fakes_called = sum(s["verdict"] == "likely_fake" for k, s in segs.items() if k.startswith("fake"))
    assert v["families"]["tconv"]["likely_fake"] == fakes_called / 2
    shares = [v["all_real"][k] for k in ("likely_fake", "inconclusive", "no_traces_found")]
    assert sum(shares) == pytest.approx(1.0)
    assert v["all_real"]["learned_counted"] == 2  # the learned fusion reads every segment
    counted = sum(s["by_detector"]["comb"] is not None for k, s in segs.items() if k.startswith("real"))
    assert v["all_real"]["comb_counted"] == counted
    md = (evaluated / "evaluation.md").read_text()
    assert "Verdicts as the app gives them" in md and "fakeprint alone" in md


def test_kinds_get_their_own_false_positive_rows_and_stay_out_of_the_real_music_figures(evaluated):
    res = json.loads((evaluated / "evaluation.json").read_text())
    v = res["verdicts"]
    assert v["all_real"]["n"] == 2 and res["n_test_real"] == 2  # real recordings only
    assert set(v["kinds"]) == {"synth: pulse note"} and v["kinds"]["synth: pulse note"]["n"] == 1
    assert v["all_kinds"]["likely_fake"] == 0.0  # a held note is never called likely AI
    md = (evaluated / "evaluation.md").read_text()
    assert "| synth: pulse note | 1 | 0.0 % |" in md and "**all kinds**" in md
