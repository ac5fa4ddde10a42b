"""Scores of the three detectors on real music (per source), on real-negative kinds (synth,
vocoder, bitcrusher, lo-fi, limited masters, near-silence) and on decoder output (per
generator), through the app's own analyze(). Rows go to a JSON-lines file as they come
(rerun to resume); ``--fit`` then sets the evidence thresholds of calibration.json against
the real music and kinds of the train/val packages and reports false positives on the test
packages and on kinds made with other seeds, and detection per generator.

usage: python benchmarks/evidence_study.py collect [--out reports/evaluation/evidence_rows.jsonl]
       python benchmarks/evidence_study.py fit [--write-calibration]
Needs the corpus fetched by ``forensic-app data build`` (or training.corpus.collect_tracks).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forensic_app.core.analysis import analyze  # noqa: E402
from forensic_app.core.comb import comb_feature  # noqa: E402
from forensic_app.training import corpus, generators, kinds  # noqa: E402

OUT = ROOT / "reports" / "evaluation" / "evidence_rows.jsonl"
TRACKS_PER_SOURCE = 10
KIND_SEEDS = (0, 1, 2)  # seeds 0-1 fit, 2 measures
FAKE_EXCERPTS = 4
FAKE_GENERATORS = ("tconv", "upsample", "lyra", "hifigan")


def row_of(result, **meta) -> dict:
    det = {d.name: d.score for d in result.detectors}
    return dict(meta, verdict=result.verdict, p=result.probability_fake, cnn=det.get("patch_cnn"),
                comb=comb_feature(result.comb) if result.comb is not None and result.comb.f0_hz else None,
                fakeprint=det.get("fakeprint"), learned=result.provenance.settings["learned_probability"],
                learned_interval=result.provenance.settings["learned_interval"],
                content_s=result.provenance.settings["content_s"],
                duration_s=result.input.duration_s)


def _analyze_array(x: np.ndarray, sr: int = kinds.SR):
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "x.wav"
        sf.write(p, np.clip(x, -1, 1), sr, subtype="FLOAT")
        return analyze(p)


def collect(out: Path) -> None:
    done = set()
    if out.exists():
        done = {json.loads(line)["id"] for line in out.read_text().splitlines() if line.strip()}
    f = open(out, "a")

    def emit(rid: str, make) -> None:
        if rid in done:
            return
        try:
            row = make()
        except Exception as exc:  # noqa: BLE001 - a study row that fails is reported, not fatal
            print(f"{rid}: {exc}", flush=True)
            return
        row["id"] = rid
        f.write(json.dumps(row) + "\n")
        f.flush()
        print(rid, row.get("verdict"), row.get("cnn"), row.get("comb"), row.get("fakeprint"), flush=True)

    tracks = corpus.collect_tracks(corpus.default_cache_dir(), max_download_mb=700, log=lambda m: None)
    by_src: dict[str, list] = {}
    for t in tracks:
        by_src.setdefault(t.source_package, []).append(t)
    # real music: whole tracks, the way users give them (first stem of multi-stem songs)
    for src, ts in sorted(by_src.items()):
        for t in ts[:TRACKS_PER_SOURCE]:
            emit(f"real|{src}|{t.name}", lambda t=t, src=src: row_of(analyze(t.stems[0]), group="real", source=src))
    # kinds
    excerpts = []
    for i, (src, ts) in enumerate(sorted(by_src.items())):
        t = ts[len(ts) // 2]
        x = corpus.load_excerpt(t, min(30.0, max(0.0, t.duration_s / 2 - 15)), 30.0)
        excerpts.append((src, x))
    for seed in KIND_SEEDS:
        for name, fn in kinds.SOLO_KINDS.items():
            emit(f"kind|{name}|{seed}", lambda fn=fn, seed=seed, name=name: row_of(
                _analyze_array(fn(seed)), group="kind", source=name, seed=seed))
        src, x = excerpts[seed * 5 % len(excerpts)]
        for name, y in kinds.derived_kinds(x, seed):
            emit(f"kind|{name}|{seed}", lambda y=y, name=name, seed=seed, src=src: row_of(
                _analyze_array(y), group="kind", source=name, seed=seed, music=src))
    # decoder output, content-matched: excerpts from several sources through each generator
    rng = np.random.default_rng(0)
    specs = [s for s in generators.all_generators() if s.family in FAKE_GENERATORS and generators.is_available(s)]
    for k in range(FAKE_EXCERPTS):
        src, x = excerpts[(3 * k + 1) % len(excerpts)]
        for spec in specs:
            def make(spec=spec, x=x, src=src):
                fn = generators.make_pair_fn(spec)
                if spec.family == "tconv":
                    fake, _ = generators.codec_pair(x, rng, strides=tuple(spec.params["strides"]), run_rate=spec.params["run_rate"],
                                                    upsample="tconv", seed=spec.params["seed"], target_db=(2.0, 5.0))
                else:
                    fake, _ = fn(x, rng)
                return row_of(_analyze_array(fake), group="fake", source=src, generator=spec.name, family=spec.family,
                              heldout=spec.heldout)
            emit(f"fake|{spec.name}|{k}", make)
    f.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["collect", "fit"])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--write-calibration", action="store_true")
    a = ap.parse_args(argv)
    if a.command == "collect":
        collect(a.out)
        return 0
    from evidence_fit import fit  # noqa: E402 - beside this script

    return fit(a.out, write=a.write_calibration)


if __name__ == "__main__":
    raise SystemExit(main())
