"""`forensic-app evaluate`: the model card's figures, reproduced from the test split.

Writes ``<out>/evaluation.md``, PNG plots and ``evaluation.json``, and (with --update-manifest)
copies the figures into ``weights/manifest.json`` (``evaluation`` and ``model_card``).
A "track" here is one 10-s test segment; per-generator and per-source figures, never one
average. Sections: detection by family/generator, false positives by source, leave-one-
family-out for both detectors, robustness per manipulation (unseen ones marked), ECE and a
reliability diagram, the real/fake mixing curve, cost per 3-minute track.
"""

from __future__ import annotations

import collections
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..core.detectors.comb import analyze_comb
from ..core.fusion import EvidenceRules
from ..core.scoring import score_track
from ..core.spectrogram import FeatureContract, compute_features
from ..core.weights import load_model
from .augment import MANIPULATIONS, UNSEEN_MANIPULATIONS
from .features import FeatureStore, build_features, load_segment
from .evaluation_card import markdown, update_manifest
from .scoring import (
    comb_scores,
    fit_on_val_rows,
    learned_probabilities,
    readings_of,
    score_features,
    score_store,
    segment_readings,
)
from .kinds import KIND_SOURCE_PREFIX, is_kind
from .train import FAMILIES, TrainConfig, train, width_tag


def auc_by_family(scores: np.ndarray, rows: list[dict]) -> dict[str, float | None]:
    """AUC of each decoder family's fakes against all real rows (higher score = more fake)."""
    real = np.array([r["label"] == "real" for r in rows])
    return {
        f: _auc(scores[np.array([r["label"] == "fake" and r["family"] == f for r in rows])], scores[real])
        for f in FAMILIES
    }


def _auc(pos: np.ndarray, neg: np.ndarray) -> float | None:
    if not pos.size or not neg.size:
        return None
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(np.r_[np.ones(pos.size), np.zeros(neg.size)], np.r_[pos, neg]))


def _rate(mask: np.ndarray) -> float | None:
    return None if mask.size == 0 else float(mask.mean())


def grouped(rows: list[dict], values) -> dict[str, dict[str, list]]:
    """Each row's value under its decoder family and generator (fakes; a held-out config marked) or
    its real source: {"families": {name: [values]}, "generators": {...}, "sources": {...}}."""
    out: dict[str, dict[str, list]] = {k: collections.defaultdict(list) for k in ("families", "generators", "sources")}
    for r, v in zip(rows, values):
        if r["label"] == "fake":
            out["families"][r["family"]].append(v)
            held = " (held-out config)" if r.get("heldout", "").lower() in {"1", "true", "yes"} else ""
            out["generators"][r["generator"] + held].append(v)
        else:
            out["sources"][r["source_package"]].append(v)
    return out


def detection_tables(rows, p, cal) -> dict[str, Any]:
    g = grouped(rows, p)
    fam, gen, src = g["families"], g["generators"], g["sources"]
    reals = np.array([pi for r, pi in zip(rows, p) if r["label"] == "real"])
    out = {"families": {}, "generators": {}, "sources": {}}
    for name, table, d in (("families", out["families"], fam), ("generators", out["generators"], gen)):
        for k, v in sorted(d.items()):
            v = np.array(v)
            table[k] = {
                "n": int(v.size),
                "detected_likely_fake": _rate(v >= cal.threshold_fake),
                "called_no_traces_found": _rate(v <= cal.threshold_real),
                "mean_p": float(v.mean()),
                "auc_vs_real": _auc(v, reals),
            }
    for k, v in sorted(src.items()):
        v = np.array(v)
        out["sources"][k] = {
            "n": int(v.size),
            "fp_likely_fake": _rate(v >= cal.threshold_fake),
            "inconclusive": _rate((v > cal.threshold_real) & (v < cal.threshold_fake)),
            "mean_p": float(v.mean()),
        }
    out["all_real"] = {"n": int(reals.size), "fp_likely_fake": _rate(reals >= cal.threshold_fake)}
    return out


DETECTORS = ("learned", "comb", "fakeprint")  # core.fusion.Decision.by_detector's keys


def _verdict_group(items: list[tuple[str, dict]], t_fake: float) -> dict[str, Any]:
    """Shares of verdicts, and of each line of evidence alone at the likely_fake line, in one group."""
    n = len(items)
    out: dict[str, Any] = {"n": n}
    for v in ("likely_fake", "inconclusive", "no_traces_found"):
        out[v] = _rate(np.array([verdict == v for verdict, _ in items]))
    for d in DETECTORS:
        vals = [by.get(d) for _, by in items]
        counted = [x for x in vals if x is not None]  # None: not measured, or no evidence there (e.g. an unlocked comb)
        out[f"{d}_alone"] = _rate(np.array([x >= t_fake for x in counted])) if counted else None
        out[f"{d}_counted"] = len(counted)
    return out


def verdict_tables(rows: list[dict], scored: list, cal) -> dict[str, Any]:
    """Per family, generator and real source: the verdicts of score_track() (what users see) and
    how often each line of evidence alone (its probability in ``Decision.by_detector``) reaches
    the likely_fake line. ``scored``: one core.scoring.TrackScore per row."""
    groups = grouped(rows, [(sc.decision.verdict, sc.decision.by_detector) for sc in scored])
    out: dict[str, Any] = {
        k: {name: _verdict_group(items, cal.threshold_fake) for name, items in sorted(g.items())}
        for k, g in groups.items()
    }
    out["all_real"] = _verdict_group(
        [item for items in groups["sources"].values() for item in items], cal.threshold_fake
    )
    return out


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> tuple[float, list[dict]]:
    edges = np.linspace(0, 1, bins + 1)
    total, table = 0.0, []
    for a, b in zip(edges[:-1], edges[1:]):
        m = (p >= a) & ((p < b) if b < 1 else (p <= b))
        if m.any():
            total += m.mean() * abs(p[m].mean() - y[m].mean())
            table.append(
                {
                    "lo": float(a),
                    "hi": float(b),
                    "n": int(m.sum()),
                    "mean_p": float(p[m].mean()),
                    "frac_fake": float(y[m].mean()),
                }
            )
    return float(total), table


def comb_tables(rows, cz, ref_threshold: float) -> dict[str, Any]:
    g = grouped(rows, cz)
    fam, src = g["families"], g["sources"]
    return {
        "threshold_z": ref_threshold,
        "families": {
            k: {"n": len(v), "detected": float(np.mean(np.array(v) >= ref_threshold))} for k, v in sorted(fam.items())
        },
        "sources": {
            k: {"n": len(v), "fp": float(np.mean(np.array(v) >= ref_threshold))} for k, v in sorted(src.items())
        },
    }


def _plot(path: Path, draw) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    draw(ax)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path.name


def run_evaluate(args) -> int:
    cache, out = Path(args.cache_dir), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = load_model(args.weights, allow_modified=True)  # a candidate bundle is not the released one yet
    contract: FeatureContract = model.manifest.contract
    cal = model.calibration
    from ..core.model import PatchCNN
    import torch

    net = PatchCNN.from_architecture(model.manifest.architecture, contract.n_bins, len(model.manifest.families))
    net.load_state_dict(torch.load(model.manifest.verified_path("weights"), map_location="cpu", weights_only=True))
    net.eval()
    t0 = time.time()
    features_dir = build_features(cache, contract)
    scores = comb_scores(cache, contract)
    test = FeatureStore(features_dir, "test")
    # the generated kinds (training.kinds) are measured on their own: the real-music figures, AUCs
    # and calibration are about real recordings
    kind_mask = np.array([is_kind(r) for r in test.rows[: len(test)]], bool)
    keep, kind_keep = np.flatnonzero(~kind_mask), np.flatnonzero(kind_mask)
    rows = [test.rows[i] for i in keep]
    s = score_store(net, test, keep)
    cz = np.array([scores.get(r["id"], 0.0) for r in rows])
    p = learned_probabilities(cal, s["track_logit"], cz)
    y = np.array([1 if r["label"] == "fake" else 0 for r in rows])
    res: dict[str, Any] = {
        "model": model.manifest.name,
        "version": model.manifest.version,
        "weights_sha256": model.weights_sha256,
        "calibration": cal.version,
        "thresholds": {"likely_fake": cal.threshold_fake, "no_traces_found": cal.threshold_real},
        "n_test": int(len(rows)),
        "n_test_real": int((y == 0).sum()),
    }
    res["fused"] = detection_tables(rows, p, cal)
    # the verdicts the app gives (core.scoring.score_track: all three lines of evidence, the
    # evidence rules), and each line of evidence alone, on the same segments
    rules = EvidenceRules.from_calibration(cal)

    def app_scores(seg_rows: list[dict], window_logits: list) -> list:
        """score_track on each segment, as analyze() scores it (its readings measured the same way)."""
        readings = segment_readings(cache, contract, model.fakeprint, seg_rows)
        return [score_track(cal, rules, readings_of(readings[r["id"]], w)) for r, w in zip(seg_rows, window_logits)]

    scored = app_scores(rows, s["window_logits"])
    res["verdicts"] = verdict_tables(rows, scored, cal)
    res["segment_verdicts"] = {
        r["id"]: {
            "verdict": sc.decision.verdict,
            "probability": sc.decision.probability,
            "by_detector": sc.decision.by_detector,
            "reasons": list(sc.decision.reasons),
        }
        for r, sc in zip(rows, scored)
    }
    if kind_keep.size:  # what users see on human-made sounds that imitate decoder evidence, per kind
        krows = [test.rows[i] for i in kind_keep]
        kt = verdict_tables(krows, app_scores(krows, score_store(net, test, kind_keep)["window_logits"]), cal)
        res["verdicts"]["kinds"] = {k[len(KIND_SOURCE_PREFIX) :]: v for k, v in kt["sources"].items()}
        res["verdicts"]["all_kinds"] = kt["all_real"]
    cnn_only = np.array([float(cal.window_probability(np.array([t]))[0]) for t in s["track_logit"]])
    res["cnn_auc_by_family"] = auc_by_family(cnn_only, rows)
    from ..core.detectors.comb import CombReference

    ref = CombReference.from_json(model.comb_reference_path) if model.comb_reference_path else None
    z1 = ref.threshold_for_fp_rate(0.01) if ref is not None else 6.0
    res["comb"] = comb_tables(rows, cz, float(z1))
    res["ece"], res["reliability"] = ece(p, y)

    # Reliability diagram and score histograms
    figs = {}
    rel = res["reliability"]
    figs["reliability"] = _plot(
        out / "reliability.png",
        lambda ax: (
            ax.plot([0, 1], [0, 1], "k--", lw=1),
            ax.plot([b["mean_p"] for b in rel], [b["frac_fake"] for b in rel], "o-"),
            ax.set_xlabel("calibrated probability (test)"),
            ax.set_ylabel("fraction fake"),
            ax.set_title(f"Reliability, ECE = {res['ece']:.3f}"),
        ),
    )

    # Leave-one-family-out
    if args.lofo_steps > 0:
        res["lofo"] = lofo(
            cache,
            features_dir,
            scores,
            contract,
            rows,
            y,
            cz,
            s,
            args,
            test,
            channels=[int(c) for c in model.manifest.architecture["channels"]],
            keep=keep,
        )
    # Robustness and mixing curve on a subset of test pairs
    res["robustness"] = robustness(cache, contract, net, cal, rows, args.robust_n)
    res["mixing"] = mixing_curve(cache, contract, net, cal, rows, args.robust_n)
    mix = res["mixing"]
    figs["mixing"] = _plot(
        out / "mixing.png",
        lambda ax: (
            ax.plot([m["alpha"] for m in mix], [m["mean_p"] for m in mix], "o-"),
            ax.fill_between([m["alpha"] for m in mix], [m["q10"] for m in mix], [m["q90"] for m in mix], alpha=0.2),
            ax.set_xlabel("share of decoder output in the mix (0 = real, 1 = fake)"),
            ax.set_ylabel("probability fake"),
            ax.set_title("Real/fake mixing curve (test pairs)"),
        ),
    )
    # recorded singing and cut, resampled real music (benchmarks/singing_study.py rows), leave-one-source-out
    singing_rows = Path(getattr(args, "singing_rows", "") or "")
    if singing_rows.is_file():
        from . import singing

        res["singing"] = singing.evaluate_rows(singing.read_rows(singing_rows), cal, rules)
    # generator profiles: benchmarks/profiles_study.py's figures for the profiles this bundle ships
    study = Path(getattr(args, "profiles_study", "") or "")
    if study.is_file():
        from .evaluation_card import profiles_summary

        res["generator_profiles"] = profiles_summary(
            json.loads(study.read_text()), {p.generator for p in model.profiles}
        )
    res["cost"] = cost(args.weights)
    res["wall_s"] = round(time.time() - t0, 1)
    res["figures"] = figs
    (out / "evaluation.json").write_text(json.dumps(res, indent=1))
    (out / "evaluation.md").write_text(markdown(res))
    if args.update_manifest:
        update_manifest(Path(args.weights or "weights"), res)
    print(f"evaluation written to {out}/evaluation.md")
    return 0


def lofo(
    cache,
    features_dir,
    scores,
    contract,
    rows,
    y,
    cz,
    s_main,
    args,
    test,
    *,
    channels: list[int],
    keep: np.ndarray | None = None,
) -> dict[str, Any]:
    """Train one model per family without it (same widths as the evaluated model), test on it."""
    from ..core.calibration import Calibration

    table = {}
    for fam in FAMILIES:
        fam_rows = np.array([r["family"] == fam for r in rows])
        if not fam_rows.any():
            continue
        cfg = TrainConfig(channels=channels, steps=args.lofo_steps, threads=args.threads, exclude_families=[fam])
        run = f"lofo-{fam}-{width_tag(channels)}-s{args.lofo_steps}"
        net = train(features_dir, cache / "runs" / run, cfg, contract)
        cal = Calibration.from_dict(fit_on_val_rows(net, features_dir, scores, exclude=[fam], version=f"lofo-{fam}"))
        sc = score_store(net, test, keep)  # the rows of ``rows`` (``keep``: their indices in the store)
        p = learned_probabilities(cal, sc["track_logit"], cz)
        cnn = np.array([float(cal.window_probability(np.array([t]))[0]) for t in sc["track_logit"]])
        table[fam] = {
            "n_fake": int(fam_rows.sum()),
            "fused_detected": float(np.mean(p[fam_rows] >= cal.threshold_fake)),
            "fused_auc": _auc(p[fam_rows], p[y == 0]),
            "cnn_auc": _auc(cnn[fam_rows], cnn[y == 0]),
            "real_fp": float(np.mean(p[y == 0] >= cal.threshold_fake)),
            "steps": args.lofo_steps,
        }
        print(f"LOFO {fam}: {table[fam]}", file=sys.stderr, flush=True)
    return table


def _pairs(rows, n: int) -> list[tuple[dict, dict]]:
    by_pair = collections.defaultdict(dict)
    for r in rows:
        if r.get("pair_id"):
            by_pair[r["pair_id"]][r["label"]] = r
    pairs = [(d["real"], d["fake"]) for d in by_pair.values() if "real" in d and "fake" in d]
    rng = np.random.default_rng(0)
    order = rng.permutation(len(pairs))
    # spread over families
    picked, per_fam = [], collections.Counter()
    cap = max(1, n // max(1, len(FAMILIES)))
    for i in order:
        fam = pairs[i][1]["family"]
        if per_fam[fam] < cap:
            picked.append(pairs[i])
            per_fam[fam] += 1
    return picked[:n]


def _prob_audio(x: np.ndarray, net, cal, contract) -> float:
    t, _ = score_features(net, compute_features(x, contract))
    ev = analyze_comb(x, contract.sample_rate)
    z = float(ev.z_score) if ev is not None and np.isfinite(ev.z_score) else 0.0
    return float(learned_probabilities(cal, np.array([t]), np.array([z]))[0])


def robustness(cache, contract, net, cal, rows, n) -> list[dict[str, Any]]:
    pairs = _pairs(rows, n)
    out = []
    for name in ["none", *MANIPULATIONS]:
        pr, pf = [], []
        for k, (r, f) in enumerate(pairs):
            for row, acc in ((r, pr), (f, pf)):
                x = load_segment(cache, row, contract)
                if name != "none":
                    x = MANIPULATIONS[name](x, contract.sample_rate, np.random.default_rng(k))
                    x = np.asarray(x, np.float32)
                acc.append(_prob_audio(x, net, cal, contract))
        pr, pf = np.array(pr), np.array(pf)
        out.append(
            {
                "manipulation": name,
                "unseen": name in UNSEEN_MANIPULATIONS,
                "n_pairs": len(pairs),
                "auc": _auc(pf, pr),
                "detected": _rate(pf >= cal.threshold_fake),
                "real_fp": _rate(pr >= cal.threshold_fake),
                "mean_p_fake": float(pf.mean()) if pf.size else None,
                "mean_p_real": float(pr.mean()) if pr.size else None,
            }
        )
        print(f"robustness {name}: {out[-1]}", file=sys.stderr, flush=True)
    return out


def mixing_curve(cache, contract, net, cal, rows, n) -> list[dict[str, float]]:
    pairs = _pairs(rows, n)
    alphas = np.linspace(0, 1, 6)
    res = []
    loaded = [(load_segment(cache, r, contract), load_segment(cache, f, contract)) for r, f in pairs]
    for a in alphas:
        ps = []
        for xr, xf in loaded:
            m = min(xr.size, xf.size)
            ps.append(_prob_audio(((1 - a) * xr[:m] + a * xf[:m]).astype(np.float32), net, cal, contract))
        ps = np.array(ps)
        res.append(
            {
                "alpha": float(a),
                "mean_p": float(ps.mean()),
                "q10": float(np.quantile(ps, 0.1)),
                "q90": float(np.quantile(ps, 0.9)),
            }
        )
    return res


def cost(weights) -> dict[str, float]:
    import tempfile

    import soundfile as sf

    from ..core.analysis import analyze
    from .synth import music_like

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "cost-44100-2-16.wav"
        m = music_like(180.0, 44100, seed=1)
        sf.write(str(path), np.stack([m, 0.8 * m], 1), 44100, subtype="PCM_16")
        analyze(path, weights_dir=weights, allow_modified=True)
        ts = []
        for _ in range(2):
            t = time.perf_counter()
            analyze(path, weights_dir=weights, allow_modified=True)
            ts.append(time.perf_counter() - t)
    return {"seconds_per_3min": round(min(ts), 2)}


def register(sub) -> None:
    from .corpus import default_cache_dir

    e = sub.add_parser("evaluate", help="reproduce the model card's figures from the test split")
    e.add_argument("--cache-dir", default=str(default_cache_dir()))
    e.add_argument("--weights", default=None)
    e.add_argument("--out", default="reports/evaluation")
    e.add_argument(
        "--lofo-steps", type=int, default=600, help="training steps per leave-one-family-out model (0 = skip)"
    )
    e.add_argument("--robust-n", type=int, default=40, help="test pairs for robustness and mixing")
    e.add_argument("--threads", type=int, default=1)
    e.add_argument("--update-manifest", action="store_true", help="copy the figures into weights/manifest.json")
    e.add_argument(
        "--profiles-study",
        default="reports/evaluation/profiles.json",
        help="benchmarks/profiles_study.py's figures: the generator profiles' part of the evaluation",
    )
    e.add_argument(
        "--singing-rows",
        default="reports/evaluation/singing_rows.jsonl",
        help="rows of benchmarks/singing_study.py collect: singing and cut real music, reported per source, "
        "sample rate and length (skipped when the file is missing)",
    )
    e.set_defaults(func=run_evaluate)
