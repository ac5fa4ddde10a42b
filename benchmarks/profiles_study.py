"""Generator profiles (#24): fakeprint readings of the generator examples and of the real reference,
then per-generator profiles, their validation, and the teaching checks of the issue.

usage: python benchmarks/profiles_study.py collect --examples DIR [--corpus DIR] [--singing DIR] [--cache DIR]
                                                   [--only examples|reference|kinds]
       python benchmarks/profiles_study.py study [--cache DIR] [--out reports/evaluation/profiles.md] [--profiles DIR]
       python benchmarks/profiles_study.py kinds [--cache DIR] [--profiles DIR]
       python benchmarks/profiles_study.py merge [--cache DIR] [-o FILE]

``collect``: DIR is what ``forensic-app data generators --out DIR`` wrote (manifest.json and the
examples); --corpus the folder of unpacked Debian packages (``<corpus>/pkgs/<package>``), with the
CC recordings of ../shared/data/real-cc; --singing a folder with gtsinger/ and m4singer/. It
writes ``examples.npz`` and ``reference.npz`` (float16 fakeprints + readings) into --cache, and
``kinds.npz``: the real-negative kinds (``training.kinds``: every solo kind for KIND_SEEDS seeds,
every derived kind over excerpts of real music of the reference sources), each read as it is, after
MP3 128k and through one more codec or rate (cycling), by the same path as the real reference.
``study`` fits and measures from those tables only (see forensic_app/training/profiles.py) and
writes the report; ``--profiles DIR`` also writes the built-in profiles there (sealed JSON). The
kinds are part of the real reference there (one source per kind group, ``kind/<group>``), except the
kinds ``training.kinds.KIND_SPLITS`` keeps out of training, which are test readings.
``kinds`` scores the profiles in DIR (default: the built-in ones) on ``kinds.npz`` and prints the
false positives per kind; ``merge`` writes the shipped reference (``profile_reference.npz``: the real
reference and the kinds, the schema ``forensic-app profile add --reference`` reads).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forensic_app.core.profiles import Profile, save_profile, today
from forensic_app.training import corpus, kinds
from forensic_app.training.generator_examples import GENERATORS, read_manifest
from forensic_app.training.profile_data import (
    Reading,
    compute_readings,
    example_plan,
    load_table,
    real_plan,
    save_table,
)
from forensic_app.training.profiles import (
    MARGIN_LOGIT,
    Refused,
    TeachRules,
    chain_evidence,
    fit_profile_model,
    teach,
)

CACHE = Path("/work/data/profiles-cache")
# the production-chain limit is set this far above the highest single real source: teaching from another
# 5 tracks of that source reads about as high (warzone2100-music: 4.83 in the study, just above in another draw)
CHAIN_MARGIN = 1.05
MD = ROOT / "reports" / "evaluation" / "profiles.md"


MAX_PER_SOURCE = 15  # tracks read per source, spread over its sorted list (time: 2 shared cores)


def _spread(items: list, n: int = MAX_PER_SOURCE) -> list:
    if len(items) <= n:
        return items
    return [items[int(i * len(items) / n)] for i in range(n)]


def real_tracks(corpus_dir: Path, singing_dir: Path | None) -> list[tuple[str, str, float]]:
    """(path, source, duration_s) of the real reference: one source per Debian package, per CC
    recording and per singing corpus, at most MAX_PER_SOURCE tracks each. Summed-stem tracks
    (fretsonfire) are read from their mix."""
    out = []
    for spec in corpus.PACKAGES:
        root = corpus_dir / "pkgs" / spec.name
        if not root.exists():
            continue
        for t in _spread(corpus.list_tracks(spec, root)):
            out.append((t.stems[0], spec.name, t.duration_s))
    for t in corpus.real_cc_tracks():
        out.append((t.stems[0], t.source_package, t.duration_s))
    if singing_dir is not None:
        for name in ("gtsinger", "m4singer"):
            for p in _spread(sorted((singing_dir / name).glob("*.wav"))):
                out.append((str(p), f"singing:{name}", corpus.audio_duration_s(str(p))))
    return out


def collect(args: argparse.Namespace) -> int:
    if args.only in (None, "examples"):
        collect_examples(args)
    if args.only in (None, "reference"):
        collect_reference(args)
    if args.only in (None, "kinds"):
        collect_kinds(args)
    return 0


def collect_examples(args: argparse.Namespace) -> None:
    if args.examples is None:
        raise SystemExit("collect: --examples DIR is needed to read the generator examples")
    examples = read_manifest(args.examples)
    plan = example_plan((str(args.examples / e.file), e.generator, e.group) for e in examples)
    rs, X = compute_readings(
        plan, args.cache / "readings", cached_only=args.cached_only, log=lambda m: print(m, file=sys.stderr)
    )
    save_table(args.cache / "examples.npz", rs, X)
    print(f"examples: {len(rs)} readings of {len(examples)} files")


def collect_reference(args: argparse.Namespace) -> None:
    tracks = real_tracks(args.corpus, args.singing)
    rs, X = compute_readings(
        real_plan(tracks),
        args.cache / "readings",
        cached_only=args.cached_only,
        log=lambda m: print(m, file=sys.stderr),
    )
    save_table(args.cache / "reference.npz", rs, X)
    print(f"reference: {len(rs)} readings of {len(tracks)} tracks")


# ---- the real-negative kinds -------------------------------------------------------------------

KIND_SEEDS = 8  # clips per solo kind
DERIVED_CLIPS = 5  # clips per derived kind, each over an excerpt of a different reference source
DERIVED_S = 25.0  # seconds of real music a derived kind is made from
KIND_EXTRA = ("aac-128k", "opus-64k", "sr16k", "sr24k", "sr32k", "sr48k")  # one more variant per clip, cycling


def kind_source(name: str) -> str:
    """The reference source of a kind's readings: its group (``kind/<group>``, left out together)."""
    return kinds.KIND_SOURCE_PREFIX + kinds.kind_group(name)


def kind_of(r: Reading) -> str | None:
    """The kind a reading was rendered as (its ``group`` is ``kind/<name>``), or None for real music."""
    return r.group[len(kinds.KIND_SOURCE_PREFIX) :] if r.source.startswith(kinds.KIND_SOURCE_PREFIX) else None


def kind_in_reference(name: str) -> bool:
    """Whether the study fits against a kind (KIND_SPLITS keeps some kinds for testing only)."""
    splits = kinds.KIND_SPLITS.get(name)
    return splits is None or "train" in splits


def kind_plan(corpus_dir: Path, cache: Path, log) -> list[Reading]:
    """Render the kinds into ``cache/kinds-audio`` (16-bit WAV at 44.1 kHz, as a producer would deliver
    them; rendered once) and plan their readings. Derived kinds are made from excerpts of tracks of the
    reference sources only (the test sources stay unseen by the fit)."""
    import soundfile as sf

    audio = cache / "kinds-audio"
    audio.mkdir(parents=True, exist_ok=True)
    ref, _ = load_table(cache / "reference.npz")
    split = source_splits(sorted({r.source for r in ref}))
    clips: list[tuple[str, int, Callable[[], np.ndarray], dict]] = []
    for name, fn in kinds.SOLO_KINDS.items():
        for seed in range(KIND_SEEDS):
            clips.append((name, seed, lambda fn=fn, seed=seed: fn(seed), {}))
    tracks = []
    for spec in corpus.PACKAGES:
        root = corpus_dir / "pkgs" / spec.name
        if split.get(spec.name) != "reference" or not root.exists():
            continue
        long = [t for t in corpus.list_tracks(spec, root) if t.duration_s >= DERIVED_S + 25]
        tracks.append(_spread(long, 8))
    tracks = [ts for ts in tracks if ts]
    for k, name in enumerate(kinds.DERIVED_KINDS):
        for j in range(DERIVED_CLIPS):
            ts = tracks[(k + j * 3) % len(tracks)]
            t = ts[(k + j) % len(ts)]
            t = corpus.Track(t.source_package, t.stems[:1], t.duration_s, t.licence, t.low_bitrate)
            start = min(20.0 + 7.0 * j, t.duration_s - DERIVED_S - 1)
            clips.append(
                (
                    name,
                    j,
                    lambda name=name, t=t, start=start, j=j: kinds.render(
                        name, j, DERIVED_S, corpus.load_excerpt(t, start, DERIVED_S, sr=kinds.SR)
                    ),
                    {"music_source": t.source_package, "music_file": t.stems[0], "start_s": start},
                )
            )
    plan = []
    record = {}
    t0 = time.time()
    for i, (name, seed, make, music) in enumerate(clips):
        slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
        path = audio / f"{slug}--{seed}.wav"
        if not path.exists():
            try:
                y = make()
            except RuntimeError as exc:  # a sampled kind without fluidsynth or its soundfont
                log(f"kinds: {name}: not rendered ({exc})")
                continue
            tmp = path.with_suffix(".part.wav")
            sf.write(tmp, np.clip(y, -1, 1), kinds.SR, subtype="PCM_16")
            tmp.replace(path)
        record[path.name] = {"kind": name, "seed": seed, **music}
        src = kind_source(name)
        grp = kinds.KIND_SOURCE_PREFIX + name
        for v in ("orig", "mp3-128k", KIND_EXTRA[i % len(KIND_EXTRA)]):
            plan.append(Reading(str(path), src, "real", v, group=grp))
        if (i + 1) % 25 == 0:
            log(f"kinds: {i + 1}/{len(clips)} clips ({time.time() - t0:.0f} s)")
    (audio / CLIPS_JSON).write_text(json.dumps(record, indent=1))
    return plan


CLIPS_JSON = "clips.json"  # beside the rendered kinds: kind, seed and the real music a derived kind was made from


def collect_kinds(args: argparse.Namespace) -> None:
    log = lambda m: print(m, file=sys.stderr, flush=True)
    plan = kind_plan(args.corpus, args.cache, log)
    rs, X = compute_readings(plan, args.cache / "readings", cached_only=args.cached_only, log=log)
    save_table(args.cache / "kinds.npz", rs, X)
    left = sorted({kind_of(r) for r in plan} - {kind_of(r) for r in rs})
    print(
        f"kinds: {len(rs)} readings of {len({r.path for r in rs})} clips"
        + (f"; not measurable: {', '.join(left)}" if left else "")
    )


def merge(args: argparse.Namespace) -> int:
    """The shipped reference: the real reference and the kinds in one table (float16, readings as JSON)."""
    re_, Xr = load_table(args.cache / "reference.npz")
    ki, Xk = load_table(args.cache / "kinds.npz")
    out = args.out or args.cache / "profile_reference.npz"
    save_table(out, [*re_, *ki], np.vstack([Xr, Xk]))
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    print(f"{out}: {len(re_)} real + {len(ki)} kind readings, {out.stat().st_size} bytes, sha256 {digest}")
    return 0


def kinds_table(scores: dict[str, np.ndarray], thresholds: dict[str, float], names: list[str]) -> list[dict]:
    """Per kind group and kind: readings, flagged by each profile, flagged by any (``scores``: profile ->
    logits of the kind readings, ``names`` their kinds)."""
    names_a = np.array(names)
    flags = {g: scores[g] >= thresholds[g] for g in scores}
    anyf = np.zeros(len(names), bool)
    for f in flags.values():
        anyf |= f
    rows = []
    by_group = defaultdict(list)
    for n in sorted(set(names)):
        by_group[kinds.kind_group(n)].append(n)
    for grp in sorted(by_group):
        members = by_group[grp]
        sel = np.isin(names_a, members)
        rows.append(
            {
                "group": grp,
                "kind": None,
                "n": int(sel.sum()),
                "per_profile": {g: int(f[sel].sum()) for g, f in flags.items()},
                "any": int(anyf[sel].sum()),
            }
        )
        for n in members:
            m = names_a == n
            rows.append(
                {
                    "group": grp,
                    "kind": n,
                    "n": int(m.sum()),
                    "per_profile": {g: int(f[m].sum()) for g, f in flags.items()},
                    "any": int(anyf[m].sum()),
                }
            )
    rows.append(
        {
            "group": "all kinds",
            "kind": None,
            "n": len(names),
            "per_profile": {g: int(f.sum()) for g, f in flags.items()},
            "any": int(anyf.sum()),
        }
    )
    return rows


def kinds_markdown(rows: list[dict]) -> list[str]:
    gens = list(rows[0]["per_profile"]) if rows else []
    L = [
        "| kind group | kind | readings | " + " | ".join(gens) + " | any profile |",
        "|---|---|---|" + "---|" * len(gens) + "---|",
    ]
    for r in rows:
        label = r["kind"] or "**all**"
        grp = r["group"] if r["kind"] is None else ""
        L.append(
            f"| {grp} | {label} | {r['n']} | " + " | ".join(str(r["per_profile"][g]) for g in gens) + f" | {r['any']} |"
        )
    return L


def score_kinds(args: argparse.Namespace) -> int:
    """False positives of the profiles in --profiles on the kinds (as shipped: no refit)."""
    from forensic_app.core.profiles import load_profiles

    ki, Xk = load_table(args.cache / "kinds.npz")
    profiles, _ = load_profiles(args.profiles)
    rows = kinds_table(
        {p.generator: p.score_many(Xk) for p in profiles},
        {p.generator: p.threshold_logit for p in profiles},
        [kind_of(r) for r in ki],
    )
    print("\n".join(kinds_markdown(rows)))
    for p in profiles:
        s = p.score_many(Xk)
        print(
            f"{p.generator}: highest kind logit {s.max():.2f} ({kind_of(ki[int(np.argmax(s))])}), "
            f"threshold {p.threshold_logit:.2f}"
        )
    return 0


# ---- the study ---------------------------------------------------------------------------------


N_TEACH = 5
CHAIN_KEYS = ("lattice_enrichment", "coherence", "peak_consensus")


def source_splits(sources: list[str]) -> dict[str, str]:
    """Reference (train + val of the corpus split, by package) or test; singing: gtsinger in the
    reference, m4singer in test."""
    low = [p.name for p in corpus.PACKAGES if p.low_bitrate]
    plain = [s for s in sources if not s.startswith("singing:")]
    split = corpus.assign_splits(sorted(plain), low_bitrate=low)
    split.update({k: v for k, v in corpus.PINNED_SPLITS.items() if k in split})
    out = {s: ("test" if v == "test" else "reference") for s, v in split.items()}
    out.update({"singing:gtsinger": "reference", "singing:m4singer": "test"})
    return out


class Tables:
    """The example and reference tables. The kinds (``kinds.npz``, when collected) are kept apart
    (``ki``, ``Xk``) and, unless ``with_kinds`` is False, also appended to the real reference: one
    source per kind group, in the reference split unless KIND_SPLITS keeps the kind for testing."""

    def __init__(self, cache: Path, with_kinds: bool = True):
        self.ex, self.Xe = load_table(cache / "examples.npz")
        self.re, self.Xr = load_table(cache / "reference.npz")
        self.n_real = len(self.re)
        self.ki, self.Xk = load_table(cache / "kinds.npz") if (cache / "kinds.npz").exists() else ([], None)
        self.k_name = np.array([kind_of(r) for r in self.ki])
        self.k_src = np.array([r.source for r in self.ki])
        self.kinds_in_fit = with_kinds and bool(self.ki)
        clips = cache / "kinds-audio" / CLIPS_JSON
        made_from = json.loads(clips.read_text()) if clips.exists() else {}
        self.split = source_splits(sorted({r.source for r in self.re}))
        if self.kinds_in_fit:
            self.re, self.Xr = [*self.re, *self.ki], np.vstack([self.Xr, self.Xk])
        self.r_src = np.array([r.source for r in self.re])
        self.r_is_kind = np.arange(len(self.re)) >= self.n_real
        # the real source a derived kind's music came from: left out with that source when teaching from it
        self.r_music = np.array(
            [
                made_from.get(Path(r.path).name, {}).get("music_source", "") if k else ""
                for r, k in zip(self.re, self.r_is_kind)
            ]
        )
        self.r_ref = np.array(
            [kind_in_reference(kind_of(r)) if kind_of(r) else self.split.get(r.source) == "reference" for r in self.re]
        )
        self.r_whole = np.array([r.variant == "orig" and r.dur_s == 0 for r in self.re])
        self.e_gen = np.array([r.label for r in self.ex])
        self.e_var = np.array([r.variant for r in self.ex])
        self.e_path = np.array([r.path for r in self.ex])
        self.e_group = np.array([r.group for r in self.ex])

    def reference(self, exclude: set[str] = frozenset()) -> np.ndarray:
        """The reference rows without the sources ``exclude`` and the kinds made from their music."""
        return self.r_ref & ~np.isin(self.r_src, list(exclude)) & ~np.isin(self.r_music, list(exclude))

    def kind_margins(self, fit, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(in-sample, held-out) logit minus threshold of every kind reading for a fit against ``ref``.
        Held out: a kind in the fit is read cross-validated (``fit.cv_real``) against the threshold its
        group's readings did not help set (the other sources' highest + margin); a kind outside the fit
        is read as it is."""
        ins = self.Xk @ fit.weights + fit.bias - fit.threshold
        held = ins.copy()
        if self.kinds_in_fit:
            ref_idx = np.flatnonzero(ref)
            ref_src = self.r_src[ref]
            pos = {int(row): j for j, row in enumerate(ref_idx)}
            limit = {s: fit.cv_real[ref_src != s].max() + MARGIN_LOGIT for s in set(self.k_src)}
            for i in range(len(self.ki)):
                j = pos.get(self.n_real + i)
                if j is not None:
                    held[i] = fit.cv_real[j] - limit[self.k_src[i]]
        return ins, held


def _pct(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{100 * x:.0f} %"


def builtin_profiles(t: Tables, log) -> tuple[list[Profile], list[dict], dict, tuple[dict, dict]]:
    """One profile per generator (all its examples and their re-encodings) against the reference split;
    detection leave-one-example-group-out, after re-encoding, false positives per test source; and the
    kinds' logits minus threshold (in-sample and held out: ``Tables.kind_margins``)."""
    profiles, rows = [], []
    kind_in, kind_held = {}, {}
    ex_dir = Path(t.ex[0].path).parents[1]
    manifest = {str(ex_dir / e["file"]): e for e in json.loads((ex_dir / "manifest.json").read_text())["examples"]}
    ref = t.reference()
    test = ~t.r_ref
    for gen in sorted(set(t.e_gen)):
        m = t.e_gen == gen
        groups = t.e_group[m]
        if len(set(groups)) < 3:  # one demo table: leave one file out instead
            groups = t.e_path[m]
        t0 = time.time()
        fit = fit_profile_model(t.Xe[m], list(groups), t.Xr[ref], list(t.r_src[ref]))
        var, paths, cv = t.e_var[m], t.e_path[m], fit.cv_examples
        det = {v: float(np.mean(cv[var == v] >= fit.threshold)) for v in ("orig", "mp3-128k", "aac-128k", "opus-64k")}
        flagged = set(paths[(var == "orig") & (cv >= fit.threshold)])
        kept = {
            v: (
                float(np.mean([p in set(paths[(var == v) & (cv >= fit.threshold)]) for p in flagged]))
                if flagged
                else float("nan")
            )
            for v in ("mp3-128k", "opus-64k")
        }
        scores_test = t.Xr[test] @ fit.weights + fit.bias
        fp_test = {
            s: float(np.mean(scores_test[t.r_src[test] == s] >= fit.threshold)) for s in sorted(set(t.r_src[test]))
        }
        info = GENERATORS[gen]
        n_files = len(set(paths))
        validation = {
            "detection_logo": round(det["orig"], 3),
            **{f"detection_{k}": round(v, 3) for k, v in det.items() if k != "orig"},
            "kept_after_mp3_128k": None if math.isnan(kept["mp3-128k"]) else round(kept["mp3-128k"], 3),
            "kept_after_opus_64k": None if math.isnan(kept["opus-64k"]) else round(kept["opus-64k"], 3),
            "fp_test_sources_max": round(max(fp_test.values(), default=0.0), 4),
            "fp_reference_loso_max": round(max(fit.fp_loso.values(), default=0.0), 4),
            "n_reference_readings": int(ref.sum()),
            "n_reference_sources": len(set(t.r_src[ref])),
        }
        used = sorted(set(paths))
        sources = tuple(
            {k: manifest[p_][k] for k in ("repository", "commit", "path", "sha256")} for p_ in used if p_ in manifest
        )
        p = Profile(
            generator=gen,
            version=info.version,
            architecture=info.architecture,
            weights=fit.weights,
            bias=fit.bias,
            threshold_logit=fit.threshold,
            n_examples=n_files,
            sources=sources,
            validation=validation,
            created=today(),
            kind="built-in",
        )
        profiles.append(p)
        if t.Xk is not None:
            kind_in[gen], kind_held[gen] = t.kind_margins(fit, ref)
        rows.append(
            {
                "generator": gen,
                "n_files": n_files,
                "n_groups": len(set(groups)),
                **validation,
                "fp_test": fp_test,
                "fp_loso": fit.fp_loso,
                "seconds": round(time.time() - t0, 1),
                "chain": chain_evidence(fit.weights, t.Xe[m & (t.e_var == "orig")]),
            }
        )
        log(
            f"built-in {gen}: detection {_pct(det['orig'])}, fp test max {_pct(max(fp_test.values(), default=0.0))} ({time.time() - t0:.0f} s)"
        )
    pooled = pooled_profile(t, log)
    return profiles, rows, pooled, (kind_in, kind_held)


def pooled_profile(t: Tables, log) -> dict:
    """One profile over every generator's examples; each generator held out of the fit in turn (an unseen
    generator), at the pooled threshold."""
    t0 = time.time()
    fit = fit_profile_model(
        t.Xe, list(t.e_gen), t.Xr[t.reference()], list(t.r_src[t.reference()]), k_examples=len(set(t.e_gen))
    )
    orig = t.e_var == "orig"
    det = {g: float(np.mean(fit.cv_examples[orig & (t.e_gen == g)] >= fit.threshold)) for g in sorted(set(t.e_gen))}
    test = ~t.r_ref
    scores = t.Xr[test] @ fit.weights + fit.bias
    fp_test = {s: float(np.mean(scores[t.r_src[test] == s] >= fit.threshold)) for s in sorted(set(t.r_src[test]))}
    log(f"pooled: unseen-generator detection {det} ({time.time() - t0:.0f} s)")
    return {"detection_unseen": det, "fp_test": fp_test, "fp_loso_max": max(fit.fp_loso.values(), default=0.0)}


def _teach_rows(t: Tables, rows_mask: np.ndarray, X: np.ndarray, paths: np.ndarray, chosen: list[str]):
    sel = rows_mask & np.isin(paths, chosen)
    order = {p: i for i, p in enumerate(chosen)}
    row_example = [order[p] for p in paths[sel]]
    return X[sel], row_example


def _orig_rows(X, paths, mask_orig, chosen):
    return np.stack([X[mask_orig & (paths == p)][0] for p in chosen if np.any(mask_orig & (paths == p))])


def run_teach(t: Tables, name: str, X_orig, X_rows, row_example, exclude: set[str], rules: TeachRules) -> dict:
    ref = t.reference(exclude)
    if len(set(t.r_src[ref])) < 2:
        return {"refused": None, "skipped": "fewer than 2 reference sources", "profile": None, "chain": None}
    try:
        prof = teach(name, X_orig, X_rows, row_example, t.Xr[ref], list(t.r_src[ref]), rules=rules)
        return {"refused": None, "profile": prof, "chain": prof.validation["chain"]}
    except Refused as exc:
        return {"refused": str(exc), "profile": None, "chain": None}


def teaching_checks(t: Tables, log, rules: TeachRules) -> dict:
    rng = random.Random(24)
    out: dict = {"generators": [], "sources": [], "real_songs": [], "one_chain": [], "too_small": []}
    test_whole = (~t.r_ref) & t.r_whole
    r_paths = np.array([r.path for r in t.re])
    # a generator the built-ins were trained without: taught from 5 examples, tested on its others
    for gen in sorted(set(t.e_gen)):
        files = sorted(set(t.e_path[t.e_gen == gen]))
        if len(files) < 10:
            continue
        for draw in range(2):
            chosen = rng.sample(files, N_TEACH)
            Xr_, rex = _teach_rows(t, t.e_gen == gen, t.Xe, t.e_path, chosen)
            Xo = _orig_rows(t.Xe, t.e_path, t.e_var == "orig", chosen)
            res = run_teach(t, f"taught-{gen}", Xo, Xr_, rex, set(), rules)
            row = {"generator": gen, "draw": draw, "refused": res["refused"], "chain": res["chain"]}
            if res["profile"] is not None:
                p = res["profile"]
                others = (t.e_gen == gen) & (t.e_var == "orig") & ~np.isin(t.e_path, chosen)
                row["detection_others"] = float(np.mean(p.score_many(t.Xe[others]) >= p.threshold_logit))
                row["fp_test_tracks"] = int(np.sum(p.score_many(t.Xr[test_whole]) >= p.threshold_logit))
                row["n_test_tracks"] = int(test_whole.sum())
            else:  # what the chain readings would have been, for the record
                row["chain"] = _chain_unrefused(t, Xo, Xr_, rex, set())
            out["generators"].append(row)
            log(f"teach {gen} #{draw}: {row.get('refused') or _pct(row['detection_others'])}")
    # five tracks of one real source (every source with enough tracks), the source out of the reference
    for src in sorted(set(t.r_src[~t.r_is_kind])):
        files = sorted(set(r_paths[(t.r_src == src) & t.r_whole]))
        if len(files) < N_TEACH + 1:  # at least one other track to test on
            out["too_small"].append(f"{src} ({len(files)} tracks)")
            continue
        chosen = rng.sample(files, N_TEACH)
        mask = t.r_src == src
        Xr_, rex = _teach_rows(t, mask, t.Xr, r_paths, chosen)
        Xo = _orig_rows(t.Xr, r_paths, t.r_whole, chosen)
        res = run_teach(t, f"taught-{src}", Xo, Xr_, rex, {src}, rules)
        if res.get("skipped"):
            continue
        row = {
            "source": src,
            "split": t.split.get(src),
            "n_other": len(files) - N_TEACH,
            "refused": res["refused"],
            "chain": res["chain"],
        }
        if res["profile"] is not None:
            p = res["profile"]
            others = mask & t.r_whole & ~np.isin(r_paths, chosen)
            row["flagged_others"] = int(np.sum(p.score_many(t.Xr[others]) >= p.threshold_logit))
        else:
            row["chain"] = _chain_unrefused(t, Xo, Xr_, rex, {src})
        out["sources"].append(row)
        log(f"teach source {src}: {row['refused'] or row['flagged_others']}")
    # five real songs of five different sources (test split), those sources out of the reference
    test_sources = sorted({s for s in t.r_src if t.split.get(s) == "test"})
    for draw in range(3 if len(test_sources) >= N_TEACH else 0):
        srcs = rng.sample(test_sources, N_TEACH)
        chosen = [rng.choice(sorted(set(r_paths[(t.r_src == s) & t.r_whole]))) for s in srcs]
        Xr_, rex = _teach_rows(t, np.isin(t.r_src, srcs), t.Xr, r_paths, chosen)
        Xo = _orig_rows(t.Xr, r_paths, t.r_whole, chosen)
        res = run_teach(t, "taught-real-songs", Xo, Xr_, rex, set(srcs), rules)
        chain = res["chain"] if res["chain"] else _chain_unrefused(t, Xo, Xr_, rex, set(srcs))
        out["real_songs"].append({"sources": srcs, "refused": res["refused"], "chain": chain})
        log(f"teach 5 real songs #{draw}: {res['refused'] or 'ACCEPTED'}")
    # five real songs of different sources through one encoder chain (their MP3 128k copies only)
    mp3 = np.array([r.variant == "mp3-128k" for r in t.re]) & ~t.r_is_kind
    for draw in range(2):
        cands = sorted({(s, p) for s, p, ok in zip(t.r_src, r_paths, mp3) if ok})
        by_src = defaultdict(list)
        for s, p in cands:
            by_src[s].append(p)
        if len(by_src) < N_TEACH:
            break
        srcs = rng.sample(sorted(by_src), N_TEACH)
        chosen = [rng.choice(by_src[s]) for s in srcs]
        sel = mp3 & np.isin(r_paths, chosen)
        Xo = np.stack([t.Xr[sel & (r_paths == p)][0] for p in chosen])
        res = run_teach(t, "taught-mp3-chain", Xo, Xo, list(range(len(chosen))), set(srcs), rules)
        row = {
            "sources": srcs,
            "refused": res["refused"],
            "chain": res["chain"] if res["chain"] else _chain_unrefused(t, Xo, Xo, list(range(len(chosen))), set(srcs)),
        }
        if res["profile"] is not None:
            p = res["profile"]
            others = mp3 & ~np.isin(t.r_src, srcs)
            row["flagged_other_mp3"] = (
                f"{int(np.sum(p.score_many(t.Xr[others]) >= p.threshold_logit))} of {int(others.sum())}"
            )
        out["one_chain"].append(row)
        log(f"teach one mp3 chain #{draw}: {row['refused'] or row['flagged_other_mp3']}")
    return out


def _chain_unrefused(t: Tables, Xo, Xr_, rex, exclude) -> dict:
    ref = t.reference(exclude)
    if len(set(t.r_src[ref])) < 2:
        return None
    fit = fit_profile_model(Xr_, [str(i) for i in rex], t.Xr[ref], list(t.r_src[ref]), cv_examples=False)
    return {k: round(v, 4) for k, v in chain_evidence(fit.weights, Xo).items()}


def choose_chain_rule(checks: dict) -> dict:
    """For each chain reading: the highest value single real sources reached (taught as above), and
    leave-one-source-out, how many sources a rule fitted on the others would have let through, and how
    many generator teachings it would refuse."""
    out = {}
    for key in CHAIN_KEYS:
        vals = {r["source"]: r["chain"][key] for r in checks["sources"] if r["chain"]}
        gens = [r["chain"][key] for r in checks["generators"] if r["chain"]]
        top = max(vals.values()) if vals else float("nan")
        passed = sum(1 for s, v in vals.items() if v >= max([u for s2, u in vals.items() if s2 != s] or [0]))
        out[key] = {
            "real_max": top,
            "real_passed_loso": passed,
            "n_real": len(vals),
            "generators_refused": sum(1 for g in gens if g < top),
            "n_generators": len(gens),
            "real_values": vals,
            "generator_values": gens,
        }
    best = min(out, key=lambda k: (out[k]["real_passed_loso"] + out[k]["generators_refused"], k)) if out else None
    return {"readings": out, "chosen": best}


def with_chain_rule(checks: dict, rule: dict) -> None:
    """Mark each teaching as the chosen chain rule would decide it: a real source against the rule fitted on
    the OTHER sources (leave-one-source-out), a generator against the rule fitted on all sources."""
    key = rule["chosen"]
    if key is None:
        return
    vals = rule["readings"][key]["real_values"]
    for r in checks["sources"]:
        if r["chain"]:
            limit = max([v for s, v in vals.items() if s != r["source"]] or [0.0])
            r["chain_rule_refuses"] = r["chain"][key] < limit
    top = rule["readings"][key]["real_max"]
    for r in checks["generators"]:
        if r["chain"]:
            r["chain_rule_refuses"] = r["chain"][key] < top
    for r in checks["real_songs"] + checks["one_chain"]:
        if r.get("chain"):
            limit = max([v for s, v in vals.items() if s not in r["sources"]] or [0.0])
            r["chain_rule_refuses"] = r["chain"][key] < limit


def done_when(checks: dict) -> list[str]:
    """The issue's done-when lines, with the chain rule applied as it would be at teaching time."""

    def final_refused(r):
        return bool(r.get("refused")) or bool(r.get("chain_rule_refuses"))

    gens = checks["generators"]
    ok = [
        r
        for r in gens
        if not final_refused(r) and r.get("detection_others", 0) >= 0.85 and r.get("fp_test_tracks", 1) == 0
    ]
    lines = [
        f"- Taught from 5 examples of a generator (no built-in involved): {len(ok)} of {len(gens)} teachings made a "
        "profile that flags >= 85 % of the generator's other examples and no real test track; the others: "
        + "; ".join(
            f"{r['generator']} #{r['draw']} "
            + (
                ("refused (" + (r["refused"] or "chain rule") + ")")
                if final_refused(r)
                else f"{_pct(r.get('detection_others', float('nan')))} detected"
            )
            for r in gens
            if r not in ok
        )
        + "."
    ]
    songs = checks["real_songs"]
    lines.append(
        f"- 5 real songs of different test sources: {sum(final_refused(r) for r in songs)} of {len(songs)} teachings refused."
    )
    srcs = checks["sources"]
    good = [r for r in srcs if final_refused(r) or r.get("flagged_others") == 0]
    lines.append(
        f"- 5 tracks of one real source, every source with 6 or more tracks: {len(good)} of {len(srcs)} refused or "
        "flagging none of the source's other tracks; not so: "
        + (
            ", ".join(f"{r['source']} ({r['flagged_others']} of {r['n_other']} flagged)" for r in srcs if r not in good)
            or "none"
        )
        + "."
    )
    chains = checks["one_chain"]
    made = [r.get("flagged_other_mp3", "-") for r in chains if not final_refused(r)]
    lines.append(
        f"- 5 real songs of different sources through one encoder (MP3 128k): {sum(final_refused(r) for r in chains)} of "
        f"{len(chains)} refused"
        + (f"; the made ones flag {', '.join(made)} MP3 copies of other sources." if made else ".")
    )
    return lines


def run_study(cache: Path, out_md: Path, profiles_dir: Path | None, with_kinds: bool = True) -> int:
    log = lambda m: print(m, file=sys.stderr, flush=True)
    t = Tables(cache, with_kinds)
    log(
        f"examples {len(t.ex)} readings, reference {len(t.re)} readings ({len(t.ki)} of kinds"
        f"{'' if t.kinds_in_fit else ', not in the fit'}), "
        f"{sum(v == 'reference' for v in t.split.values())} reference / {sum(v == 'test' for v in t.split.values())} test sources"
    )
    profiles, rows, pooled, (kind_in, kind_held) = builtin_profiles(t, log)
    if profiles_dir is not None:
        for p in profiles:
            save_profile(p, profiles_dir / f"{p.generator}.json")
    # all built-in profiles together, per test source (whole tracks and every variant)
    test = ~t.r_ref
    any_flag = np.zeros(int(test.sum()), bool)
    for p in profiles:
        any_flag |= p.score_many(t.Xr[test]) >= p.threshold_logit
    src_test = t.r_src[test]
    whole_test = t.r_whole[test]
    together = {
        s: (
            int(any_flag[(src_test == s) & whole_test].sum()),
            int(((src_test == s) & whole_test).sum()),
            int(any_flag[src_test == s].sum()),
            int((src_test == s).sum()),
        )
        for s in sorted(set(src_test))
    }
    checks = teaching_checks(t, log, TeachRules())
    rule = choose_chain_rule(checks)
    with_chain_rule(checks, rule)
    if profiles_dir is not None and rule["chosen"] is not None:
        key = rule["chosen"]
        (profiles_dir / "profile_teaching.json").write_text(
            json.dumps(
                {
                    "chain_key": key,
                    "chain_min": round(CHAIN_MARGIN * rule["readings"][key]["real_max"], 4),
                    "note": f"a taught profile whose examples read below chain_min ({CHAIN_MARGIN} x the highest value 5 "
                    "tracks of one real source of the reference reached: another 5 tracks of that source read about "
                    "as high) is refused as a production chain; benchmarks/profiles_study.py study",
                },
                indent=1,
            )
        )
    kinds_res = None
    if t.Xk is not None:
        zero = {g: 0.0 for g in kind_in}
        kinds_res = {
            "in_fit": t.kinds_in_fit,
            "n": len(t.ki),
            "n_test": int(sum(not kind_in_reference(k) for k in t.k_name)),
            "in_sample": kinds_table(kind_in, zero, list(t.k_name)),
            "held_out": kinds_table(kind_held, zero, list(t.k_name)),
            "closest": {g: [round(float(v.max()), 2), str(t.k_name[int(np.argmax(v))])] for g, v in kind_in.items()},
            "closest_held": {
                g: [round(float(v.max()), 2), str(t.k_name[int(np.argmax(v))])] for g, v in kind_held.items()
            },
        }
    res = {
        "done_when": done_when(checks),
        "builtin": rows,
        "pooled": pooled,
        "together": together,
        "checks": _jsonable(checks),
        "chain_rule": rule,
        "kinds": kinds_res,
        "n_examples": len(t.ex),
        "n_reference": len(t.re),
        "n_real": t.n_real,
    }
    out_md.parent.mkdir(parents=True, exist_ok=True)
    out_md.with_suffix(".json").write_text(json.dumps(_jsonable(res), indent=1, ensure_ascii=False))
    out_md.write_text(markdown(res))
    print(out_md)
    return 0


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items() if k != "profile"}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    return x


def _rule(r: dict) -> str:
    if "chain_rule_refuses" not in r:
        return ""
    return "refuses" if r["chain_rule_refuses"] else "passes"


def kinds_section(k: dict | None) -> list[str]:
    if not k:
        return []
    how = (
        "They are part of the real reference the thresholds are set against (one source per kind group, "
        f"``kind/<group>``), except the {k['n_test']} readings of the kinds kept for testing "
        "(``training.kinds.KIND_SPLITS``)."
        if k["in_fit"]
        else "They were NOT part of the fit (``study --no-kinds``): every figure is of unseen readings."
    )
    L = [
        "",
        "## Real-negative kinds",
        "",
        (
            "What a human-made track can look like that fools detectors (``training.kinds``): every solo kind "
            f"for {KIND_SEEDS} seeds, every derived kind over {DERIVED_CLIPS} excerpts ({DERIVED_S:.0f} s) of "
            "tracks of the reference sources; each clip a 16-bit 44.1 kHz WAV read as it is, after MP3 128k and "
            "through one more codec or rate (AAC 128k, Opus 64k, 16/24/32/48 kHz, cycling). "
            + how
            + " Counts are readings flagged (logit at or above the profile's threshold); 'any profile': flagged "
            "by at least one built-in profile, as the app decides."
        ),
        "",
        "### Flagged by the built-in profiles as written",
        "",
        *kinds_markdown(k["in_sample"]),
        "",
        "Closest kind reading to each threshold (logit minus threshold): "
        + ", ".join(f"{g} {v:+.2f} ({n})" for g, (v, n) in k["closest"].items())
        + ".",
    ]
    if k["in_fit"]:
        L += [
            "",
            "### Held out: each kind group against the threshold the other sources set",
            "",
            (
                "Each kind reading cross-validated as ``training.profiles.fit_profile_model`` does it (its fold "
                "of sources left out of the fit, each fold fitted afresh) against the highest "
                "cross-validated reading of the OTHER sources + 1 logit: what a kind group the reference "
                "lacked would meet. Derived kinds share their music with reference sources that may sit in "
                "another fold."
            ),
            "",
            *kinds_markdown(k["held_out"]),
            "",
            "Closest held-out kind reading (logit minus threshold): "
            + ", ".join(f"{g} {v:+.2f} ({n})" for g, (v, n) in k["closest_held"].items())
            + ".",
        ]
    return L


def markdown(res: dict) -> str:
    L = [
        "# Generator profiles (#24): built-in profiles and teaching checks",
        "",
        (
            "Made by `benchmarks/profiles_study.py study` from the fakeprint readings of `collect` "
            f"({res['n_examples']} example readings, {res['n_reference']} real readings"
            + (
                f", {res['kinds']['n']} of them of real-negative kinds"
                if res.get("kinds") and res["kinds"]["in_fit"]
                else ""
            )
            + "). Figures are fractions of "
            "examples (files) or of real readings; 'n/a' where there was nothing to count."
        ),
        "",
    ]
    L += [
        "## Done-when checks of #24 (teaching, with the production-chain rule below applied)",
        "",
        *res["done_when"],
        "",
    ]
    L += [
        "## Built-in profiles (one per generator)",
        "",
        (
            "Detection: each example group held out of the fit in turn (a demo folder or table; one file at a time "
            "where a generator has fewer than 3 groups), at the profile's threshold (highest cross-validated real "
            "reading + 1 logit). Re-encoded copies are of the first 30 s. FP: real readings of the TEST sources "
            "(never in the fit or the threshold), every variant; LOSO: the reference's own sources, each against the "
            "threshold the other sources set."
        ),
        "",
        "| generator | files | groups | detection | MP3 128k | AAC 128k | Opus 64k | kept after MP3 | kept after Opus | FP test (max per source) | FP LOSO (max per source) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in res["builtin"]:
        L.append(
            f"| {r['generator']} | {r['n_files']} | {r['n_groups']} | {_pct(r['detection_logo'])} | "
            f"{_pct(r['detection_mp3-128k'])} | {_pct(r['detection_aac-128k'])} | {_pct(r['detection_opus-64k'])} | "
            f"{_pct(r['kept_after_mp3_128k'])} | {_pct(r['kept_after_opus_64k'])} | "
            f"{100 * r['fp_test_sources_max']:.1f} % | {100 * r['fp_reference_loso_max']:.1f} % |"
        )
    pooled = res["pooled"]
    L += [
        "",
        "## One pooled profile over all generators, each generator left out in turn",
        "",
        "Detection of a generator the pooled profile was fitted without (its whole examples, as they are): "
        + ", ".join(f"{g} {_pct(v)}" for g, v in pooled["detection_unseen"].items())
        + f". False positives of the pooled profile (all generators) on the test sources: at most "
        f"{100 * max(pooled['fp_test'].values(), default=0.0):.1f} % of a source's readings; "
        f"LOSO on the reference at most {100 * pooled['fp_loso_max']:.1f} %.",
    ]
    L += kinds_section(res.get("kinds"))
    L += [
        "",
        "## All built-in profiles together, per test source",
        "",
        "| source | whole tracks flagged | all readings flagged |",
        "|---|---|---|",
    ]
    for s, (a, n, b, m) in res["together"].items():
        L.append(f"| {s} | {a} of {n} | {b} of {m} |")
    c = res["checks"]
    L += [
        "",
        "## Taught from 5 examples of one generator (no built-in profile involved)",
        "",
        "| generator | draw | result | chain rule | detection of its other examples | real test tracks flagged |",
        "|---|---|---|---|---|---|",
    ]
    for r in c["generators"]:
        L.append(
            f"| {r['generator']} | {r['draw']} | {'refused: ' + r['refused'] if r['refused'] else 'made'} | "
            f"{_rule(r)} | "
            f"{_pct(r.get('detection_others', float('nan')))} | "
            f"{str(r.get('fp_test_tracks', '')) + ' of ' + str(r.get('n_test_tracks', '')) if 'fp_test_tracks' in r else ''} |"
        )
    L += [
        "",
        "## Taught from 5 tracks of one real source (the source left out of the reference)",
        "",
        "| source | split | result (without the chain rule) | chain rule (LOSO) | its other tracks flagged |",
        "|---|---|---|---|---|",
    ]
    for r in c["sources"]:
        L.append(
            f"| {r['source']} | {r['split']} | {'refused: ' + r['refused'] if r['refused'] else 'made'} | {_rule(r)} | "
            f"{str(r['flagged_others']) + ' of ' + str(r['n_other']) if 'flagged_others' in r else ''} |"
        )
    if c.get("too_small"):
        L += ["", "Sources with too few tracks to teach 5 and test one: " + ", ".join(c["too_small"]) + "."]
    L += ["", "## Taught from 5 real songs of 5 different test sources", ""]
    L += [
        f"- {', '.join(r['sources'])}: {'refused: ' + r['refused'] if r['refused'] else 'made'} without the chain rule; "
        f"chain rule {_rule(r) or 'n/a'}"
        for r in c["real_songs"]
    ]
    L += ["", "## Taught from 5 real songs of different sources through one encoder chain (MP3 128k copies)", ""]
    L += [
        f"- {', '.join(r['sources'])}: {'refused: ' + r['refused'] if r['refused'] else 'made; flags ' + r['flagged_other_mp3'] + ' MP3 copies of other sources'}"
        f"; chain rule {_rule(r) or 'n/a'}"
        for r in c["one_chain"]
    ]
    L += [
        "",
        "## What separates a production chain from a generator",
        "",
        (
            "Each reading on the 5 taught examples (whether or not the teaching was refused); a source 'passes' when "
            "its value reaches the highest of the other sources (a rule fitted without it would let it through)."
        ),
        "",
        "| reading | highest of single real sources | real sources passing (LOSO) | generator teachings below the real maximum |",
        "|---|---|---|---|",
    ]
    for k, r in res["chain_rule"]["readings"].items():
        L.append(
            f"| {k} | {r['real_max']:.3f} | {r['real_passed_loso']} of {r['n_real']} | {r['generators_refused']} of {r['n_generators']} |"
        )
    L += ["", "Per source and generator values:", ""]
    L += ["", f"Chosen: {res['chain_rule']['chosen']}.", ""]
    for k, r in res["chain_rule"]["readings"].items():
        L.append(
            f"- {k}: real "
            + ", ".join(f"{s} {v:.2f}" for s, v in sorted(r["real_values"].items(), key=lambda kv: -kv[1]))
            + "; generators "
            + ", ".join(f"{v:.2f}" for v in sorted(r["generator_values"], reverse=True))
        )
    return "\n".join(L) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--examples", type=Path, default=None, help="required unless --only reference|kinds")
    c.add_argument("--corpus", type=Path, default=Path("/work/data/corpus"))
    c.add_argument("--singing", type=Path, default=Path("/work/data/singing"))
    c.add_argument("--cache", type=Path, default=CACHE)
    c.add_argument("--only", choices=("examples", "reference", "kinds"), default=None)
    c.add_argument("--cached-only", action="store_true", help="tables of what the cache holds (nothing computed)")
    c.set_defaults(func=collect)
    s = sub.add_parser("study")
    s.add_argument("--cache", type=Path, default=CACHE)
    s.add_argument("--out", type=Path, default=MD)
    s.add_argument("--profiles", type=Path, default=None)
    s.add_argument("--no-kinds", action="store_true", help="fit without the kinds (they are then only scored)")
    s.set_defaults(func=lambda a: study(a))
    k = sub.add_parser("kinds")
    k.add_argument("--cache", type=Path, default=CACHE)
    k.add_argument("--profiles", type=Path, default=ROOT / "profiles")
    k.set_defaults(func=score_kinds)
    m = sub.add_parser("merge")
    m.add_argument("--cache", type=Path, default=CACHE)
    m.add_argument("-o", "--out", type=Path, default=None)
    m.set_defaults(func=merge)
    args = p.parse_args()
    return args.func(args)


def study(args: argparse.Namespace) -> int:
    return run_study(args.cache, args.out, args.profiles, with_kinds=not args.no_kinds)


if __name__ == "__main__":
    sys.exit(main())
