"""`forensic-app evaluate` scores test segments through the app's own scoring path: its verdict
tables give, segment by segment, what analyze() gives on the same file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from forensic_app.core.analysis import analyze
from forensic_app.training.evaluate import run_evaluate


@pytest.fixture(scope="module")
def evaluated(mini_dataset, tiny_weights, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("evaluation")
    args = argparse.Namespace(cache_dir=str(mini_dataset), weights=str(tiny_weights), out=str(out), lofo_steps=0,
                              robust_n=1, threads=1, update_manifest=False)
    assert run_evaluate(args) == 0
    return out


def test_each_segment_gets_the_verdict_analyze_gives_the_same_file(evaluated, mini_dataset, tiny_weights):
    res = json.loads((evaluated / "evaluation.json").read_text())
    segments = res["segment_verdicts"]
    rows = [line.split(",") for line in (mini_dataset / "index.csv").read_text().splitlines()[1:]]
    test_rows = [(r[0], r[1]) for r in rows if r[7] == "test"]
    assert set(segments) == {rid for rid, _ in test_rows}
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
