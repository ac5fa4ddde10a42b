"""The patch CNN's reference for band-limited and short input (``core.fusion.CnnReference``), fitted on
recorded singing and cut, resampled real music, and what the app's own scoring path
(``core.scoring.score_track``) then calls them, leave-one-source-out, per source, sample rate and
clip length (#29). Rows come from ``benchmarks/singing_study.py collect``.

- shift: for every recording, the CNN mean logit of each band-limited whole-length variant minus
  that of its 44.1 kHz variant (full band); per sample rate the median bandwidth and the median of
  these paired differences make a knot; a lower bandwidth never gets less of a shift.
- line: on band-limited or short input the (shifted) CNN may decide alone only beyond the highest
  shifted reading of the fitting rows (held tones and clips too short to tell left out, as in
  ``benchmarks/evidence_fit.py``) plus ``CNN_MARGIN``, and never below the full-band line.
- leave-one-source-out: each source's rows are scored with a reference fitted without them.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..core.calibration import Calibration
from ..core.fusion import FULL_BAND_HZ, SHORT_S, CnnReference, EvidenceRules
from ..core.scoring import Readings, score_track

CNN_MARGIN = 1.0  # as evidence_fit: the line is the highest real reading plus one logit
REFERENCE_RATE = 44100
SINGING = ("gtsinger", "m4singer")
ROWS_NAME = "singing_rows.jsonl"  # under reports/evaluation/


def read_rows(path: Path) -> list[dict]:
    """The study's rows, one per id (a clip cut at a recording's own rate is listed once)."""
    rows = {}
    for line in Path(path).read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            rows.setdefault(r["id"], r)
    return list(rows.values())


def _track(r: dict) -> float:
    w = r["window_logits"]
    return float(np.mean(w)) if w else 0.0


def fit_reference(rows: list[dict], rules: EvidenceRules) -> CnnReference:
    """The CnnReference these real rows imply (see the module docstring)."""
    by_file: dict[tuple, dict] = defaultdict(dict)
    for r in rows:
        if r["clip_s"] is None:
            by_file[(r["source"], r["file"])][r["rate"]] = r
    diffs: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for variants in by_file.values():
        ref = variants.get(REFERENCE_RATE)
        if ref is None or ref["bandwidth_hz"] < FULL_BAND_HZ:
            continue
        for rate, r in variants.items():
            if r["bandwidth_hz"] < FULL_BAND_HZ:
                diffs[rate].append((r["bandwidth_hz"], _track(r) - _track(ref)))
    knots = sorted(
        (float(np.median([b for b, _ in v])), float(np.median([d for _, d in v])))
        for v in diffs.values()
        if len(v) >= 5
    )
    out, floor = [], 0.0
    for bw, sh in reversed(knots):  # a lower bandwidth never gets less of a shift than a higher one
        floor = max(floor, sh)
        out.append((round(bw, 1), round(floor, 3)))
    ref = CnnReference(shift_knots=tuple(reversed(out)))
    limited = [
        _track(r) - ref.shift_logit(r["bandwidth_hz"])
        for r in rows
        if CnnReference.limited(r["bandwidth_hz"], r["duration_s"])
        and r["stationarity"] is not None
        and r["stationarity"] < rules.static_threshold
    ]
    line = max(limited) + CNN_MARGIN if limited else math.inf
    return CnnReference(
        shift_knots=ref.shift_knots, limited_confound_logit=round(max(line, rules.cnn_confound_logit), 3)
    )


def verdicts(rows: list[dict], cal: Calibration, rules: EvidenceRules) -> list[str]:
    """The app's verdict on each row, through core.scoring.score_track."""
    return [
        score_track(
            cal,
            rules,
            Readings(
                window_logits=np.asarray(r["window_logits"], float),
                comb_z=r["comb"],
                comb_offset_bins=r["comb_offset"],
                fakeprint_logit=r["fakeprint"],
                content_s=r["content_s"],
                stationarity=r["stationarity"],
                duration_s=r["duration_s"],
                bandwidth_hz=r["bandwidth_hz"],
            ),
            n_boot=100,
        ).decision.verdict
        for r in rows
    ]


def with_reference(rules: EvidenceRules, ref: CnnReference) -> EvidenceRules:
    return dataclasses.replace(rules, cnn_reference=ref)


def rate_group(r: dict) -> str:
    return f"{r['rate'] / 1000:g} kHz"


def length_group(r: dict) -> str:
    if r["clip_s"] is not None:
        return f"{r['clip_s']:g}-s clip"
    d = r["duration_s"]
    return "under 5 s" if d < 5 else f"5-{SHORT_S:g} s" if d < SHORT_S else f"{SHORT_S:g} s and over"


def _shares(rows: list[dict], v: list[str], key: Callable[[dict], Any]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[str(key(r))].append(i)
    return {
        g: {
            "n": len(ix),
            "likely_fake": sum(v[i] == "likely_fake" for i in ix),
            "inconclusive_share": round(sum(v[i] == "inconclusive" for i in ix) / len(ix), 4),
        }
        for g, ix in sorted(groups.items())
    }


def evaluate_rows(rows_all: list[dict], cal: Calibration, rules: EvidenceRules) -> dict[str, Any]:
    """Leave-one-source-out verdicts on the real rows, the shipped (all-rows) reference, and detection on
    the decoder rows before and with it. ``rules``: the calibration's rules (their own reference ignored)."""
    rows = [r for r in rows_all if r["kind"] != "decoder"]
    decoders = [r for r in rows_all if r["kind"] == "decoder"]
    base = with_reference(rules, CnnReference())
    # the rules before #29: no shift, and the full-band line for the CNN alone on every input
    old = with_reference(rules, CnnReference(limited_confound_logit=-math.inf))
    held: dict[int, str] = {}
    refs = {}
    for s in sorted({r["source"] for r in rows}):
        refs[s] = fit_reference([r for r in rows if r["source"] != s], base)
        ix = [i for i, r in enumerate(rows) if r["source"] == s]
        held.update(zip(ix, verdicts([rows[i] for i in ix], cal, with_reference(base, refs[s]))))
    v = [held[i] for i in range(len(rows))]
    before = verdicts(rows, cal, old)
    shipped = fit_reference(rows, base)
    out: dict[str, Any] = {
        "shipped": dataclasses.asdict(shipped),
        "full_band_line": rules.cnn_confound_logit,
        "left_out_references": {s: dataclasses.asdict(r) for s, r in refs.items()},
    }
    for name, sel in (("singing", lambda r: r["source"] in SINGING), ("music", lambda r: r["source"] not in SINGING)):
        ix = [i for i, r in enumerate(rows) if sel(r)]
        sr, sv, sb = [rows[i] for i in ix], [v[i] for i in ix], [before[i] for i in ix]
        out[name] = {
            "n": len(ix),
            "n_recordings": len({(r["source"], r["file"]) for r in sr}),
            "likely_fake": sum(x == "likely_fake" for x in sv),
            "inconclusive_share": round(sum(x == "inconclusive" for x in sv) / max(len(ix), 1), 4),
            "before": {
                "likely_fake": sum(x == "likely_fake" for x in sb),
                "inconclusive_share": round(sum(x == "inconclusive" for x in sb) / max(len(ix), 1), 4),
            },
            "by_source": _shares(sr, sv, lambda r: r["source"]),
            "by_rate": _shares(sr, sv, rate_group),
            "by_length": _shares(sr, sv, length_group),
            "before_by": {
                "source": _shares(sr, sb, lambda r: r["source"]),
                "rate": _shares(sr, sb, rate_group),
                "length": _shares(sr, sb, length_group),
            },
        }
    if decoders:
        dv_old, dv_new = verdicts(decoders, cal, old), verdicts(decoders, cal, with_reference(base, shipped))
        gens: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(decoders):
            gens[r["generator"]].append(i)
        out["decoders"] = {
            g: {
                "n": len(ix),
                "bandwidth_hz": float(np.median([decoders[i]["bandwidth_hz"] for i in ix])),
                "before": sum(dv_old[i] == "likely_fake" for i in ix),
                "now": sum(dv_new[i] == "likely_fake" for i in ix),
            }
            for g, ix in sorted(gens.items())
        }
    return out


def markdown(res: dict[str, Any], header: str = "") -> str:
    sh = res["shipped"]
    L = [
        "# Recorded singing and short, band-limited real music (#29)",
        "",
        header,
        f"Rows: {res['singing']['n']} variants of {res['singing']['n_recordings']} singing recordings "
        f"({', '.join(SINGING)}) and {res['music']['n']} variants of {res['music']['n_recordings']} cut real-music "
        "excerpts; every recording at 16, 22.05, 24, 44.1 and 48 kHz and as 3-s and 6-s clips (its own rate, 16 "
        "and 22.05 kHz). Every verdict below is leave-one-source-out: a source's rows are scored with a "
        "reference fitted without them, through the app's own scoring path.",
        "",
        "## Shipped reference (fitted on all rows)",
        "",
        f"- Patch CNN shift by effective bandwidth: {', '.join(f'{b / 1000:.1f} kHz: {s:+.2f}' for b, s in sh['shift_knots'])} "
        f"logits; 0 from {FULL_BAND_HZ / 1000:.1f} kHz.",
        f"- Line for the CNN alone on band-limited or short input: {sh['limited_confound_logit']:.3f} "
        f"(full band, 10 s and over: {res['full_band_line']:.3f}).",
        "",
    ]

    def pct(x: float) -> str:
        return f"{100 * x:.1f} %"

    for name, title in (("singing", "Recorded singing"), ("music", "Cut real music")):
        g = res[name]
        L += [
            f"## {title}, held out",
            "",
            f"- likely AI: {g['likely_fake']} of {g['n']} (before: {g['before']['likely_fake']})",
            f"- inconclusive: {pct(g['inconclusive_share'])} (before: {pct(g['before']['inconclusive_share'])})",
            "",
        ]
        for key, label in (("source", "source"), ("rate", "sample rate"), ("length", "length")):
            now, was = g[f"by_{key}"], g["before_by"][key]
            L += [
                f"| {label} | items | likely AI | inconclusive | before: likely AI | before: inconclusive |",
                "|---|---|---|---|---|---|",
            ]
            L += [
                f"| {k} | {x['n']} | {x['likely_fake']} | {pct(x['inconclusive_share'])} | {was[k]['likely_fake']} | "
                f"{pct(was[k]['inconclusive_share'])} |"
                for k, x in now.items()
            ]
            L.append("")
    if res.get("decoders"):
        d = res["decoders"]
        L += [
            "## What it costs: decoder output (never fitted on)",
            "",
            "The evidence study's decoder outputs (two named 30-s excerpts through each decoder), with the rules "
            "before and with the shipped reference.",
            "",
            "| generator | items | bandwidth | likely AI before | likely AI now |",
            "|---|---|---|---|---|",
        ]
        L += [
            f"| {g} | {x['n']} | {x['bandwidth_hz'] / 1000:.1f} kHz | {x['before']} | {x['now']} |"
            for g, x in d.items()
        ]
        L += [
            "",
            f"All: {sum(x['before'] for x in d.values())} of {sum(x['n'] for x in d.values())} called likely AI "
            f"before, {sum(x['now'] for x in d.values())} now.",
            "",
        ]
    L += [
        "## References fitted without each source",
        "",
        "| left out | shift knots (kHz: logits) | line |",
        "|---|---|---|",
    ]
    L += [
        f"| {s} | {', '.join(f'{b / 1000:.1f}: {x:+.2f}' for b, x in r['shift_knots'])} | {r['limited_confound_logit']:.3f} |"
        for s, r in res["left_out_references"].items()
    ]
    return "\n".join(L) + "\n"


def model_card_figures(res: dict[str, Any]) -> dict[str, Any]:
    """The model card's singing entry: false positives and inconclusive shares per source, rate and length."""
    g = res["singing"]
    return {
        "recordings": g["n_recordings"],
        "variants": g["n"],
        "likely_fake": g["likely_fake"],
        "inconclusive_share": g["inconclusive_share"],
        "by_source": g["by_source"],
        "by_sample_rate": g["by_rate"],
        "by_length": g["by_length"],
        "measured": "leave-one-source-out, benchmarks/singing_study.py (reports/evaluation/singing.md)",
    }


def write_reference(weights: Path, res: dict[str, Any]) -> None:
    """Store the shipped reference in calibration.json's evidence block and the figures in the model card."""
    from ..core.weights import replace_calibration, write_manifest

    weights = Path(weights)
    man = json.loads((weights / "manifest.json").read_text(encoding="utf-8"))
    cal_path = weights / man["files"]["calibration"]["path"]
    raw = json.loads(cal_path.read_text(encoding="utf-8"))
    sh = res["shipped"]
    raw["evidence"]["cnn_reference"] = {
        "shift_knots": [list(k) for k in sh["shift_knots"]],
        "limited_confound_logit": sh["limited_confound_logit"],
        "rule": (
            f"fitted on {res['singing']['n']} variants of recorded singing ({', '.join(SINGING)}) and "
            f"{res['music']['n']} of cut, resampled real music: per sample rate the median bandwidth and the "
            "median rise of the CNN mean logit over the same recording at 44.1 kHz; on band-limited "
            f"(< {FULL_BAND_HZ:.0f} Hz) or short (< {SHORT_S:g} s) input the CNN alone decides only beyond the "
            f"highest shifted reading + {CNN_MARGIN:g} (held tones and clips under 3 s left out), never below "
            "the full-band line"
        ),
    }
    parts = [x for x in raw["version"].split("+") if not x.startswith("singing-")]
    raw["version"] = "+".join([*parts, "singing-" + _dt.datetime.now().strftime("%Y%m%d-%H%M")])
    replace_calibration(weights, {k: val for k, val in raw.items() if k != "model_sha256"})
    man = json.loads((weights / "manifest.json").read_text(encoding="utf-8"))
    man.setdefault("model_card", {})["singing"] = model_card_figures(res)
    write_manifest(weights, man)
