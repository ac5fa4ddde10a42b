"""The heatmap's real-music reference (core.patch_null): collect patch logits, fit, measure.

collect: runs the app's analyze() on the evidence study's material (real tracks per source,
         the real-negative kinds with seeds 0-2, the saw/square pitch sweep, decoder output)
         and stores each heatmap's raw patch logits (float16 .npy, outside the repository).
fit:     fits the table on the real tracks of the train/val packages and the kinds of the
         fitting seeds (each source and each kind one group), chooses the logit margin by
         leaving each real source out in turn (the smallest margin at which no left-out source
         has more than 1 % of its patches coloured), and reports on what the fit never saw: real
         tracks of the test packages, kinds of seed 2 and decoder output (share of patches
         coloured, share of tracks with a full-red patch, per source, kind and generator).
         ``--write-calibration`` stores the table in weights/calibration.json.

usage: python benchmarks/patch_null_study.py collect [--store DIR]
       python benchmarks/patch_null_study.py fit [--store DIR] [--kinds groups|pooled|none] [--write-calibration | --write-report]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from evidence_fit import _split_of  # noqa: E402
from evidence_study import (
    SWEEP_MIDI,
    TRACKS_PER_SOURCE,
    _analyze_array,
    _excerpts,
    decoder_output,  # noqa: E402
    fake_inputs,
    fake_name,
    tracks_by_source,
)

from forensic_app.core.analysis import analyze  # noqa: E402
from forensic_app.core.patch_null import fit_patch_null  # noqa: E402
from forensic_app.core.vocabulary import HEAT_FULL_SHARE, HEAT_UNCOLOURED_SHARE  # noqa: E402
from forensic_app.training import corpus, kinds  # noqa: E402

CAL = ROOT / "weights" / "calibration.json"
MD = ROOT / "reports" / "evaluation" / "heatmap.md"
FIT_SEEDS = (0, 1)
TARGET = 0.005  # at most this share of a left-out real source's patches coloured (in-sample sources average below it)
MARGINS = np.round(np.arange(0.0, 6.01, 0.1), 2)


def _store(a) -> Path:
    d = Path(a.store) if a.store else corpus.default_cache_dir() / "patch_logits"
    d.mkdir(parents=True, exist_ok=True)
    return d


def collect(store: Path) -> None:
    index = store / "index.jsonl"
    done = {json.loads(x)["id"] for x in index.read_text().splitlines() if x.strip()} if index.exists() else set()
    f = open(index, "a")

    def emit(rid: str, make, **meta) -> None:
        if rid in done:
            return
        try:
            r = make()
        except Exception as exc:  # noqa: BLE001 - a failed item is reported, not fatal
            print(f"{rid}: {exc}", flush=True)
            return
        name = f"{len(done):05d}.npy"
        done.add(rid)
        np.save(store / name, r.heatmap.logits.astype(np.float16))
        # held: the app shows no patch as unusual there (held tone, no content, CNN within synth reach)
        f.write(json.dumps(dict(meta, id=rid, file=name, verdict=r.verdict, held=r.held)) + "\n")
        f.flush()
        print(rid, r.heatmap.logits.shape, flush=True)

    by_src = tracks_by_source()
    for src, ts in sorted(by_src.items()):
        for t in ts[:TRACKS_PER_SOURCE]:
            emit(f"real|{src}|{t.name}", lambda t=t: analyze(t.stems[0]), group="real", source=src)
    excerpts = _excerpts(by_src)
    for seed in (0, 1, 2):
        for name, fn in kinds.SOLO_KINDS.items():
            emit(
                f"kind|{name}|{seed}",
                lambda fn=fn, seed=seed: _analyze_array(fn(seed)),
                group="kind",
                source=name,
                seed=seed,
            )
        src, x = excerpts[seed * 5 % len(excerpts)]
        for name, y in kinds.derived_kinds(x, seed):
            emit(f"kind|{name}|{seed}", lambda y=y: _analyze_array(y), group="kind", source=name, seed=seed)
    for i, midi in enumerate(SWEEP_MIDI):
        for shape in ("saw", "square"):
            for seconds in (5.0, 15.0):

                def note(midi=midi, shape=shape, seconds=seconds):
                    n = int(seconds * kinds.SR)
                    return _analyze_array(kinds._norm(kinds.oscillator(np.full(n, kinds._midi_hz(midi)), shape)))

                emit(
                    f"kind|synth: {shape} note sweep|{midi}|{seconds:g}",
                    note,
                    group="kind",
                    source=f"synth: {shape} note (pitch sweep)",
                    seed=0 if i % 2 == 0 else 2,
                )
    for k, src, x, spec, db in fake_inputs(excerpts):
        emit(
            f"fake|{fake_name(spec, db)}|{k}",
            lambda spec=spec, x=x, db=db, k=k: _analyze_array(decoder_output(spec, x, db, k)),
            group="fake",
            source=src,
            generator=fake_name(spec, db),
            family=spec.family,
        )
    f.close()


def _load(store: Path) -> list[dict]:
    rows = [json.loads(x) for x in (store / "index.jsonl").read_text().splitlines() if x.strip()]
    for r in rows:
        r["logits"] = np.load(store / r["file"]).astype(np.float32)
    return rows


def _groups(rows: list[dict], pooled_kinds: bool = False) -> dict[str, list[np.ndarray]]:
    g: dict[str, list[np.ndarray]] = {}
    for r in rows:
        key = "real-negative kinds" if pooled_kinds and r["group"] == "kind" else r["source"]
        g.setdefault(key, []).append(r["logits"])
    return g


def _coloured(
    null, maps: list[np.ndarray], margin: float | None = None, held: list[bool] | None = None
) -> tuple[float, float, float]:
    """Share of patches coloured, share of items with a coloured patch, share of items with a full-red patch.

    held: per map, whether the app holds that result (its patches are then never coloured).
    """
    if margin is not None:
        null = dataclasses.replace(null, margin_logit=margin)
    held = held or [False] * len(maps)
    shares = [np.ones_like(m) if h else null.real_share(m) for m, h in zip(maps, held)]
    cells = np.concatenate([s.ravel() for s in shares])
    return (
        float(np.mean(cells < HEAT_UNCOLOURED_SHARE)),
        float(np.mean([s.min() < HEAT_UNCOLOURED_SHARE for s in shares])),
        float(np.mean([s.min() <= HEAT_FULL_SHARE for s in shares])),
    )


def fit(
    store: Path, write: bool, kinds_mode: str = "pooled", target: float = TARGET, write_report: bool = False
) -> int:
    rows = _load(store)
    real = [r for r in rows if r["group"] == "real"]
    split = _split_of([r["source"] for r in real])
    fit_real = [r for r in real if split.get(r["source"]) in ("train", "val")]
    fit_kinds = [r for r in rows if r["group"] == "kind" and r.get("seed") in FIT_SEEDS] if kinds_mode != "none" else []
    fit_rows = fit_real + fit_kinds
    # leave each real source out: the margin at which none has more than TARGET of its patches coloured
    needed = {}
    for src in sorted({r["source"] for r in fit_real}):
        null = fit_patch_null(_groups([r for r in fit_rows if r["source"] != src], kinds_mode == "pooled"))
        maps = [r["logits"] for r in fit_real if r["source"] == src]
        needed[src] = next((float(m) for m in MARGINS if _coloured(null, maps, m)[0] <= target), float(MARGINS[-1]))
        print(f"left out {src}: margin {needed[src]:.1f}", flush=True)
    margin = max(needed.values())
    null = fit_patch_null(
        _groups(fit_rows, kinds_mode == "pooled"),
        margin_logit=margin,
        fitted_on=(
            f"{len(fit_real)} real tracks of {len({r['source'] for r in fit_real})} train/val sources and "
            f"{len(fit_kinds)} real-negative kind clips (seeds {', '.join(map(str, FIT_SEEDS))}); margin {margin:.1f} logit "
            f"= the largest any left-out source needed to keep its coloured patches at or under {100 * target:g} %"
        ),
    )

    def table(title: str, rows_: list[dict], key: str, header: str = "") -> list[str]:
        out = [
            "",
            f"## {title}",
            "",
            f"| {header or key} | items | held | patches coloured | items with a coloured patch | "
            "items with a full-red patch |",
            "|---|---|---|---|---|---|",
        ]
        by: dict[str, list[dict]] = {}
        for r in rows_:
            by.setdefault(r[key], []).append(r)
        for name, rs in sorted(by.items()):
            held = [bool(r.get("held")) for r in rs]
            c, a, red = _coloured(null, [r["logits"] for r in rs], held=held)
            out.append(f"| {name} | {len(rs)} | {sum(held)} | {100 * c:.2f} % | {100 * a:.0f} % | {100 * red:.0f} % |")
        c, a, red = _coloured(null, [r["logits"] for r in rows_], held=[bool(r.get("held")) for r in rows_])
        out.append(
            f"| **all** | {len(rows_)} | {sum(bool(r.get('held')) for r in rows_)} | {100 * c:.2f} % | "
            f"{100 * a:.0f} % | {100 * red:.0f} % |"
        )
        return out

    test_real = [r for r in real if split.get(r["source"]) == "test"]
    held_kinds = [r for r in rows if r["group"] == "kind" and r.get("seed") not in FIT_SEEDS]
    fakes = [r for r in rows if r["group"] == "fake"]
    L = [
        "# Heatmap reference: how unusual each patch is for real music",
        "",
        "Written by `benchmarks/patch_null_study.py fit`. A patch is coloured when fewer than "
        f"1 in {1 / HEAT_UNCOLOURED_SHARE:.0f} real-music reference patches of its frequency row reach its reading "
        f"(real_share < {HEAT_UNCOLOURED_SHARE:g}), full red at {HEAT_FULL_SHARE:g} or rarer.",
        "",
        f"Fitted on: {null.fitted_on}. Groups, mixed with equal weight: each source, and "
        + {"pooled": "the kinds together one group", "groups": "each kind its own group", "none": "no kinds"}[
            kinds_mode
        ]
        + f" (--kinds {kinds_mode}).",
        "",
        "Margins each left-out source needed: " + ", ".join(f"{s} {m:.1f}" for s, m in sorted(needed.items())) + ".",
    ]
    L += [
        "",
        "Each table shows what the window and the report show: where the app holds a result (held tone, "
        "no content, a CNN reading within what synth sounds reach: column 'held'), no patch is coloured.",
    ]
    L += table("Held-out real music (test packages, never in the fit)", test_real, "source")
    L += table("Real music of the fit (train/val packages; in-sample)", fit_real, "source")
    L += table("Real-negative kinds, held-out seed (never in the fit)", held_kinds, "source", "kind")
    L += table("Decoder output (what the heatmap should show)", fakes, "generator")
    L += [
        "",
        "Transposed-convolution rows without a strength are mixed in at 2-5 dB above the music, "
        "those marked @5-10 dB at 5-10 dB.",
    ]
    print("\n".join(L))
    if write or write_report:  # a trial fit must not leave a report that differs from the shipped table
        MD.write_text("\n".join(L) + "\n")
    if write:
        import datetime as _dt

        from forensic_app.core.weights import replace_calibration

        cal = json.loads(CAL.read_text(encoding="utf-8"))
        cal["patch_null"] = null.to_dict()
        base = [p for p in cal["version"].split("+") if not p.startswith("heatmap-")]
        cal["version"] = "+".join(base + ["heatmap-" + _dt.datetime.now().strftime("%Y%m%d-%H%M")])
        replace_calibration(ROOT / "weights", {k: v for k, v in cal.items() if k != "model_sha256"})
        print(f"wrote patch_null to {CAL} ({cal['version']})")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["collect", "fit"])
    ap.add_argument("--store", type=Path, default=None)
    ap.add_argument("--write-calibration", action="store_true")
    ap.add_argument("--write-report", action="store_true", help="rewrite heatmap.md only, not the calibration")
    ap.add_argument(
        "--kinds",
        choices=["pooled", "groups", "none"],
        default="groups",
        help="the kinds in the reference: one group, a group each, or left out",
    )
    ap.add_argument(
        "--target",
        type=float,
        default=TARGET,
        help="largest share of a left-out source's patches that may be coloured (sets the margin)",
    )
    a = ap.parse_args(argv)
    if a.command == "collect":
        collect(_store(a))
        return 0
    return fit(_store(a), a.write_calibration, a.kinds, a.target, a.write_report)


if __name__ == "__main__":
    raise SystemExit(main())
