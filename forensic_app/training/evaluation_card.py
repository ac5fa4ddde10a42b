"""The evaluation's words: evaluation.md, the model card's known failure modes, the manifest's figures.

Everything here reads the ``res`` dictionary ``forensic-app evaluate`` computes (training/evaluate.py)
and writes it for people; nothing is measured here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional


def _pct(v) -> str:
    return "n/a" if v is None else f"{100 * v:.1f} %"


def _f(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def markdown(res: dict[str, Any]) -> str:
    L = [
        f"# Evaluation of {res['model']} {res['version']}",
        "",
        f"Test split: {res['n_test']} ten-second segments ({res['n_test_real']} real). Thresholds: likely_fake >= "
        f"{res['thresholds']['likely_fake']:.3f}, no_traces_found <= {res['thresholds']['no_traces_found']:.3f}. "
        f"Figures are claims about this split only.",
        "",
        "## Detection by decoder family (fused, test split)",
        "",
        "| family | n | likely_fake | called no_traces_found | mean p | AUC vs real | patch-CNN-only AUC |",
        "|---|---|---|---|---|---|---|",
    ]
    for k, v in res["fused"]["families"].items():
        L.append(
            f"| {k} | {v['n']} | {_pct(v['detected_likely_fake'])} | {_pct(v['called_no_traces_found'])} | {v['mean_p']:.3f} | "
            f"{_f(v['auc_vs_real'])} | {_f(res['cnn_auc_by_family'].get(k))} |"
        )
    L += [
        "",
        "## Detection by generator",
        "",
        "| generator | n | likely_fake | mean p | AUC |",
        "|---|---|---|---|---|",
    ]
    for k, v in res["fused"]["generators"].items():
        L.append(f"| {k} | {v['n']} | {_pct(v['detected_likely_fake'])} | {v['mean_p']:.3f} | {_f(v['auc_vs_real'])} |")
    L += [
        "",
        "## Real music: false positives by source (test split)",
        "",
        "| source | n | likely_fake (FP) | inconclusive | mean p |",
        "|---|---|---|---|---|",
    ]
    for k, v in res["fused"]["sources"].items():
        L.append(f"| {k} | {v['n']} | {_pct(v['fp_likely_fake'])} | {_pct(v['inconclusive'])} | {v['mean_p']:.3f} |")
    L.append(
        f"| **all real** | {res['fused']['all_real']['n']} | {_pct(res['fused']['all_real']['fp_likely_fake'])} | | |"
    )
    if res.get("verdicts"):
        L += verdict_markdown(res["verdicts"], res["thresholds"]["likely_fake"])
    c = res["comb"]
    L += [
        "",
        f"## Comb detector alone (z >= {c['threshold_z']:.2f}, the 1 % real-FP point of the reference)",
        "",
        "| family | n | detected |",
        "|---|---|---|",
    ]
    L += [f"| {k} | {v['n']} | {_pct(v['detected'])} |" for k, v in c["families"].items()]
    L += ["", "| real source | n | comb FP |", "|---|---|---|"]
    L += [f"| {k} | {v['n']} | {_pct(v['fp'])} |" for k, v in c["sources"].items()]
    if res.get("lofo"):
        L += [
            "",
            "## Leave-one-family-out (train without family X, test on X)",
            "",
            "The comb detector is not trained on families (its catalogue comes from public architecture "
            "descriptions), so its column above already is a held-out figure.",
            "",
            "| held-out family | n | fused likely_fake | fused AUC | patch-CNN AUC | real FP | steps |",
            "|---|---|---|---|---|---|---|",
        ]
        for k, v in res["lofo"].items():
            L.append(
                f"| {k} | {v['n_fake']} | {_pct(v['fused_detected'])} | {_f(v['fused_auc'])} | {_f(v['cnn_auc'])} | "
                f"{_pct(v['real_fp'])} | {v['steps']} |"
            )
    L += [
        "",
        "## Robustness (content-matched test pairs)",
        "",
        "| manipulation | unseen in training | pairs | AUC | likely_fake | real FP | mean p fake | mean p real |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for v in res["robustness"]:
        L.append(
            f"| {v['manipulation']} | {'yes' if v['unseen'] else ''} | {v['n_pairs']} | {_f(v['auc'])} | {_pct(v['detected'])} | "
            f"{_pct(v['real_fp'])} | {_f(v['mean_p_fake'])} | {_f(v['mean_p_real'])} |"
        )
    L += [
        "",
        f"## Calibration: ECE = {res['ece']:.3f}",
        "",
        "![reliability](reliability.png)",
        "",
        "## Mixing curve",
        "",
        "![mixing](mixing.png)",
        "",
        f"## Cost: {res['cost']['seconds_per_3min']} s per 3-minute track (this machine)",
        "",
    ]
    if res.get("singing"):
        from .singing import markdown as singing_markdown

        L += [
            "",
            *("#" + line if line.startswith("#") else line for line in singing_markdown(res["singing"]).splitlines()),
        ]
    if res.get("generator_profiles"):
        L += ["", *profiles_markdown(res["generator_profiles"])]
    return "\n".join(L)


def profiles_summary(study: dict[str, Any], shipped: Optional[set[str]] = None) -> dict[str, Any]:
    """What evaluate reports of the generator profiles, from benchmarks/profiles_study.py's JSON: per profile
    (``shipped`` only, when given) held-out detection as it is and after each re-encoding, detection kept
    after MP3 and Opus, and false positives of all profiles together per real test source and per kind."""
    keys = (
        "detection_logo",
        "detection_mp3-128k",
        "detection_aac-128k",
        "detection_opus-64k",
        "kept_after_mp3_128k",
        "kept_after_opus_64k",
        "fp_test_sources_max",
        "fp_reference_loso_max",
    )
    rows = [
        {"generator": r["generator"], "n_files": r.get("n_files"), **{k: r.get(k) for k in keys}}
        for r in study.get("builtin", [])
        if shipped is None or r["generator"] in shipped
    ]
    together = {
        src: {"tracks_flagged": v[0], "tracks": v[1], "readings_flagged": v[2], "readings": v[3]}
        for src, v in (study.get("together") or {}).items()
    }
    kinds = [
        {"group": k["group"], "kind": k["kind"], "readings": k["n"], "flagged_by_any": k["any"]}
        for k in ((study.get("kinds") or {}).get("held_out") or [])
    ]
    return {
        "profiles": rows,
        "together_by_source": together,
        "kinds_held_out": kinds,
        "done_when": study.get("done_when", []),
    }


def profiles_markdown(p: dict[str, Any]) -> list[str]:
    L = [
        "## Generator profiles (benchmarks/profiles_study.py)",
        "",
        "Detection: each example group held out of the fit in turn; re-encoded copies of the held-out examples; "
        "FP: real test sources never in a fit.",
        "",
        "| profile | examples | held out | MP3 128k | AAC 128k | Opus 64k | kept after MP3 | kept after Opus | "
        "FP test (max per source) | FP LOSO |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in p["profiles"]:
        L.append(
            f"| {r['generator']} | {r['n_files']} | {_pct(r['detection_logo'])} | {_pct(r['detection_mp3-128k'])} | "
            f"{_pct(r['detection_aac-128k'])} | {_pct(r['detection_opus-64k'])} | {_pct(r['kept_after_mp3_128k'])} | "
            f"{_pct(r['kept_after_opus_64k'])} | {_pct(r['fp_test_sources_max'])} | {_pct(r['fp_reference_loso_max'])} |"
        )
    L += [
        "",
        "All profiles together, per real test source and per kind (held out):",
        "",
        "| source or kind | tracks flagged | readings flagged |",
        "|---|---|---|",
    ]
    for src, v in p["together_by_source"].items():
        L.append(f"| {src} | {v['tracks_flagged']} of {v['tracks']} | {v['readings_flagged']} of {v['readings']} |")
    for k in p["kinds_held_out"]:
        if k["kind"]:
            L.append(f"| kind: {k['kind']} | | {k['flagged_by_any']} of {k['readings']} |")
    if p.get("done_when"):
        L += ["", *[f"- {line}" for line in p["done_when"]]]
    return L


FP_TARGET = 0.01  # held-out real music called likely_fake (issue #3)
_SHORT = {
    "lyra": "Lyra",
    "hifigan": "HiFi-GAN",
    "griffinlim": "Griffin-Lim",
    "tconv": "transposed-convolution",
    "upsample": "interpolation-upsampling",
}
_MANIPULATION_WORDS = {
    "mp3": "MP3 re-encoding",
    "aac": "AAC re-encoding",
    "opus": "Opus re-encoding",
    "vorbis": "Vorbis re-encoding",
    "gain": "gain changes",
    "pitch_shift": "pitch shift",
    "time_stretch": "time stretch",
    "eq": "EQ",
    "noise": "added noise",
    "reverb": "reverb",
}


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def verdict_rates(res: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], tuple[float, int]]:
    """Share called likely_fake per family and per real source, and (rate, n) over all real segments.

    From the verdicts the app gives (``res["verdicts"]``: all three detectors and the evidence
    rules) when the evaluation has them, else from the learned fusion alone (older evaluations).
    """
    v = res.get("verdicts")
    if v:
        return (
            {f: x["likely_fake"] for f, x in v["families"].items()},
            {s_: x["likely_fake"] for s_, x in v["sources"].items()},
            (v["all_real"]["likely_fake"] or 0.0, v["all_real"]["n"]),
        )
    f = res["fused"]
    return (
        {k: x["detected_likely_fake"] for k, x in f["families"].items()},
        {k: x["fp_likely_fake"] for k, x in f["sources"].items()},
        (f["all_real"]["fp_likely_fake"] or 0.0, f["all_real"]["n"]),
    )


def failure_modes(res: dict[str, Any]) -> list[str]:
    """The model card's known failure modes in plain words, from this evaluation's figures
    (so that rebuilding the weights with the recipe rebuilds the card too)."""
    fused, out = res["fused"], []
    families, sources, (rate, n) = verdict_rates(res)
    k = int(round(rate * n))
    worst_src, worst = max(sources.items(), key=lambda kv: kv[1] or 0.0)
    worst_txt = f"up to {_pct(worst)} for one source, {worst_src}" if worst else "none in any single source"
    if rate > FP_TARGET:
        out.append(
            f"Held-out real music is called likely AI-generated more often than the {FP_TARGET * 100:g} % aimed at: "
            f"{_pct(rate)} of test-split real segments ({k} of {n}), {worst_txt}. That verdict is a reason "
            "to look at the evidence, not a finding."
        )
    elif k == 0:
        out.append(
            f"No held-out real segment was called likely AI-generated (0 of {n} test-split real segments). Zero "
            f"here is not zero in the world: with 0 of {n} the true rate can still be up to about "
            f"{_pct(3.0 / max(n, 1))} (95 % bound), and music unlike the test sources can do worse. That verdict "
            "is a reason to look at the evidence, not a finding."
        )
    else:
        out.append(
            f"Held-out real music was called likely AI-generated in {_pct(rate)} of test-split real segments "
            f"({k} of {n}; {worst_txt}): within the {FP_TARGET * 100:g} % aimed at on this split, not zero, and "
            "music unlike the test sources can do worse. That verdict is a reason to look at the evidence, "
            "not a finding."
        )
    low = {f: v for f, v in families.items() if v is not None and v < 0.5}
    if low:
        parts = ", ".join(f"{_pct(v)} of {_SHORT.get(f, f)}" for f, v in sorted(low.items(), key=lambda kv: kv[1]))
        out.append(
            f"The 'likely AI-generated' threshold is set for few false positives, so many fakes stay below it: only {parts} "
            "test fakes were called likely AI-generated. 'Inconclusive' or 'no traces found' does not clear a track."
        )
    out.append(
        "Trained on 10-second segments of mostly instrumental game music (Debian packages) and two CC "
        "recordings: real music with vocals is scarce, so watch false positives on vocal-heavy tracks."
    )
    out.append(
        "Fakes come from speech codecs (Lyra), a speech vocoder (HiFi-GAN), Griffin-Lim inversion and the "
        "project's own random/briefly trained upsampling decoders mixed into real audio. Commercial music "
        "generators (Suno, Udio, MusicGen, Stable Audio...) were never seen by the patch CNN and the comb (only the "
        "third-party fakeprint model covers Suno and Udio): for them a low score says little."
    )
    lofo = {f: v["cnn_auc"] for f, v in (res.get("lofo") or {}).items() if v.get("cnn_auc") is not None}
    if lofo:
        below = {f: a for f, a in lofo.items() if a < 0.4}  # clearly under chance, not just at it
        rest = [a for f, a in lofo.items() if f not in below]
        txt = (
            f"Decoder families left out of training are barely recognised (leave-family-out patch-CNN AUC "
            f"{min(rest):.2f}-{max(rest):.2f})"
            if rest
            else "Decoder families left out of training are not recognised"
        )
        for f, a in sorted(below.items(), key=lambda kv: kv[1]):
            txt += (
                f"; a model that never saw {_SHORT.get(f, f)} rated its output more real than real music (AUC {a:.2f})"
            )
        out.append(txt + ": an unfamiliar generator tends to come out as 'no traces found'.")
    rob = {r["manipulation"]: r for r in res.get("robustness") or []}
    if "none" in rob and len(rob) > 1:
        clean = rob["none"]["mean_p_real"]
        worse = {
            m: r
            for m, r in rob.items()
            if m != "none" and r["mean_p_real"] is not None and r["mean_p_real"] > clean + 0.03
        }
        if worse:
            ps = [r["mean_p_real"] for r in worse.values()]
            words = [_MANIPULATION_WORDS.get(m, m) for m in rob if m in worse]
            txt = (
                f"{_and(words)} move real music towards fake (mean probability {clean:.2f} clean, "
                f"{min(ps):.2f}-{max(ps):.2f} after them)"
            )
            txt = txt[0].upper() + txt[1:]
            for m, r in sorted(rob.items()):
                if r["unseen"] and r["real_fp"] is not None:
                    k_fp = int(round(r["real_fp"] * r["n_pairs"]))
                    txt += (
                        f"; {_MANIPULATION_WORDS.get(m, m)} was never seen in training, and after it {k_fp} "
                        f"of {r['n_pairs']} real test excerpts {'was' if k_fp == 1 else 'were'} called likely AI-generated"
                    )
            out.append(txt + " (see the robustness table).")
    out.append(
        "The comb detector cannot separate lines weaker than about 3 dB from music, and one stable tone "
        "can make a short 2-3 line comb at segment level."
    )
    n_src = len(fused["sources"])
    out.append(
        f"Figures are measured on 10-second test segments from {n_src} real sources held out by source; they "
        "are claims about that split, not about the world."
    )
    return out


STUDY_MODEL_CARD_KEYS = ("measured_with_the_evidence_rules", "singing", "generator_profiles")


def update_manifest(weights: Path, res: dict[str, Any]) -> None:
    from ..core.weights import write_manifest

    path = weights / "manifest.json"
    man = json.loads(path.read_text())
    man["evaluation"] = {k: v for k, v in res.items() if k not in ("reliability", "segment_verdicts")}
    fams = res["fused"]["families"]
    families, sources, _ = verdict_rates(res)  # what the app calls likely AI-generated
    # key names are the ones the recourse report knows (report/recourse.py _KNOWN); a "rate"
    # in a key makes the report print the value as a percentage
    r3 = lambda v: None if v is None else round(float(v), 3)  # noqa: E731
    # written by benchmarks/evidence_fit.py and singing_study.py for these weights: not this evaluation's to drop
    kept = {k: v for k, v in (man.get("model_card") or {}).items() if k in STUDY_MODEL_CARD_KEYS}
    man["model_card"] = {
        **kept,
        "covered_families": sorted(fams),
        "known_failure_modes": failure_modes(res),
        "false_positive_rates_by_source": {k: r3(v) for k, v in sources.items()},
        # human-made sounds that imitate decoder evidence (synth notes, vocoders, bitcrushers...), test seeds
        **(
            {"false_positive_rates_by_kind": {k: r3(x["likely_fake"]) for k, x in res["verdicts"]["kinds"].items()}}
            if (res.get("verdicts") or {}).get("kinds")
            else {}
        ),
        "leave_one_family_out": {
            k: {"fused_detection_rate": r3(v["fused_detected"]), "patch_cnn_auc": r3(v["cnn_auc"])}
            for k, v in res.get("lofo", {}).items()
        },
        "detection_rate_by_family": {k: r3(v) for k, v in families.items()},
        "robustness_auc": {v["manipulation"]: {"auc": r3(v["auc"]), "unseen": v["unseen"]} for v in res["robustness"]},
        "expected_calibration_error": r3(res["ece"]),
    }
    if res.get("singing"):
        from .singing import model_card_figures

        man["model_card"]["singing"] = model_card_figures(res["singing"])
    if res.get("generator_profiles"):
        card = dict(man["model_card"].get("generator_profiles") or {})
        card["evaluation"] = res["generator_profiles"]
        man["model_card"]["generator_profiles"] = card
    write_manifest(weights, man)


def _alone(v: dict, d: str) -> str:
    return f"{_pct(v[f'{d}_alone'])} ({v[f'{d}_counted']})" if v[f"{d}_counted"] else "never counted"


def verdict_markdown(v: dict[str, Any], t_fake: float) -> list[str]:
    """The tables of training/evaluate.verdict_tables: the app's verdicts and each line of evidence alone."""
    L = [
        "",
        "## Verdicts as the app gives them (score_track: all three lines of evidence, evidence rules)",
        "",
        "The tables above score the learned fusion alone. Here each segment goes through the app's own "
        "scoring path, with the evidence rules (caps for held tones and for CNN readings within what synth "
        f'sounds reach, the no-content rule). "alone": how often that line of evidence by itself reaches the '
        f"likely_fake line (p >= {t_fake:.3f}); in brackets the segments where it counted at all (the comb "
        "counts only where its lines are locked to a decoder spacing and the audio is no held tone).",
        "",
        "| family | n | likely_fake | inconclusive | no_traces_found | learned alone | comb alone | fakeprint alone |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k, g in v["families"].items():
        L.append(
            f"| {k} | {g['n']} | {_pct(g['likely_fake'])} | {_pct(g['inconclusive'])} | {_pct(g['no_traces_found'])} | "
            f"{_alone(g, 'learned')} | {_alone(g, 'comb')} | {_alone(g, 'fakeprint')} |"
        )
    L += ["", "| generator | n | likely_fake | inconclusive | no_traces_found |", "|---|---|---|---|---|"]
    for k, g in v["generators"].items():
        L.append(
            f"| {k} | {g['n']} | {_pct(g['likely_fake'])} | {_pct(g['inconclusive'])} | {_pct(g['no_traces_found'])} |"
        )
    L += [
        "",
        "| real source | n | likely_fake (FP) | inconclusive | learned alone | comb alone | fakeprint alone |",
        "|---|---|---|---|---|---|---|",
    ]
    for k, g in [*v["sources"].items(), ("**all real**", v["all_real"])]:
        L.append(
            f"| {k} | {g['n']} | {_pct(g['likely_fake'])} | {_pct(g['inconclusive'])} | "
            f"{_alone(g, 'learned')} | {_alone(g, 'comb')} | {_alone(g, 'fakeprint')} |"
        )
    if v.get("kinds"):
        L += [
            "",
            "Human-made sounds that imitate decoder evidence (training/kinds.py), generated with the test "
            "split's own seeds (derived kinds made from test-source music); training and calibration never "
            "saw these clips:",
            "",
            "| kind | n | likely_fake (FP) | inconclusive | learned alone | comb alone | fakeprint alone |",
            "|---|---|---|---|---|---|---|",
        ]
        for k, g in [*v["kinds"].items(), ("**all kinds**", v["all_kinds"])]:
            L.append(
                f"| {k} | {g['n']} | {_pct(g['likely_fake'])} | {_pct(g['inconclusive'])} | "
                f"{_alone(g, 'learned')} | {_alone(g, 'comb')} | {_alone(g, 'fakeprint')} |"
            )
    return L
