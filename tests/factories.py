"""The one factory of hand-built AnalysisResults for every test package (no model, no audio decoding).

Two scenes share it:

- the report's (``make_result()``): a 30-s stereo MP3 whose 12-18 s stretch was flagged: a
  spectrogram with a melody and a 16-kHz lossy cut-off, a heatmap with one hot region, 1-s-hop
  windows, comb evidence with found lines, notes of every severity, attribution. Keyword
  arguments replace fields, so edge cases (no comb, empty attribution, robustness present,
  hostile file names) are one call each;
- the window's (``make_result(make_info(...))``): a hot region at high frequency, late in the track
  (asymmetric on purpose), on the given input.

:func:`scenario` builds a result for each path a verdict can take (decided by each evidence
source, held, capped, too short, borderline, declared provenance), with the notes core.notes
writes for it, for the report's contradiction test.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import numpy as np

from forensic_app.core.result import (
    AnalysisResult,
    CombEvidence,
    DetectorEvidence,
    Heatmap,
    InputInfo,
    ModelInfo,
    Note,
    Provenance,
    Spectrogram,
    WindowScore,
)

DURATION_S = 30.0
SAMPLE_RATE = 44100
HOT_START_S, HOT_END_S = 12.0, 18.0
HOT_LOW_HZ, HOT_HIGH_HZ = 2000.0, 8000.0

MODEL_CARD: dict[str, Any] = {
    "covered_families": ["hifigan", "lyra"],
    "known_failure_modes": [
        "Heavily limited masters (loudness above -7 LUFS) raise the score of real music.",
        "Solo vocals with pitch correction are flagged more often than other real music.",
        "Generators outside the covered families are mostly missed.",
    ],
    "false_positive_rates_by_source": {"jamendo": 0.021, "freesound": 0.034, "fma": 0.012},
    "leave_one_family_out": [
        {"held_out": "hifigan", "true_positive_rate": 0.41, "false_positive_rate": 0.03},
        {"held_out": "lyra", "true_positive_rate": 0.18, "false_positive_rate": 0.03},
    ],
    "training_data": "Creative-Commons music, content-matched real/fake pairs.",
}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_overview(rng: np.random.Generator) -> Spectrogram:
    n_freq, n_time = 256, 600
    freq_edges = np.linspace(0.0, SAMPLE_RATE / 2, n_freq + 1)
    time_edges = np.linspace(0.0, DURATION_S, n_time + 1)
    f = (freq_edges[:-1] + freq_edges[1:]) / 2
    t = (time_edges[:-1] + time_edges[1:]) / 2
    floor = -40.0 - 25.0 * np.log10(1.0 + f / 500.0)  # darker high end
    db = floor[:, None] + rng.normal(0.0, 3.0, (n_freq, n_time))
    melody_hz = 220.0 * 2 ** (np.round(4 * np.sin(t / 2.3)) / 12)
    for k in range(1, 12):  # harmonics of a simple melody
        db += 28.0 / k**0.5 * np.exp(-0.5 * ((f[:, None] - k * melody_hz[None, :]) / 60.0) ** 2)
    beats = (np.mod(t, 0.5) < 0.06).astype(float)
    db += 15.0 * beats[None, :] * (f[:, None] < 6000)
    db[f > 16000.0, :] = -120.0  # lossy encoder cut-off
    return Spectrogram(db=db.astype(np.float32), time_edges_s=time_edges, freq_edges_hz=freq_edges)


def make_heatmap(rng) -> Heatmap:
    """The report scene's heatmap (``rng``: a numpy Generator); a number: the window's stamp (:func:`stamp_heatmap`)."""
    if not isinstance(rng, np.random.Generator):
        return stamp_heatmap(float(rng))
    time_edges = np.arange(0.0, DURATION_S + 1e-9, 1.0)
    freq_edges = np.array([0.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 12000.0, 16000.0])
    share = 10 ** rng.uniform(-1.5, 0.0, (len(freq_edges) - 1, len(time_edges) - 1))  # ordinary for real music
    t = (time_edges[:-1] + time_edges[1:]) / 2
    f = (freq_edges[:-1] + freq_edges[1:]) / 2
    hot = ((t >= HOT_START_S) & (t < HOT_END_S))[None, :] & ((f >= HOT_LOW_HZ) & (f < HOT_HIGH_HZ))[:, None]
    share[hot] = 10 ** rng.uniform(-5.0, -4.2, hot.sum())  # rarer than 1 real-music patch in 10,000
    return Heatmap(real_share=share.astype(np.float32), time_edges_s=time_edges, freq_edges_hz=freq_edges)


def make_windows() -> list[WindowScore]:
    out = []
    for start in np.arange(0.0, DURATION_S - 2.0 + 1e-9, 1.0):
        centre = start + 1.0
        inside = HOT_START_S <= centre <= HOT_END_S
        p = 0.9 - 0.02 * abs(centre - 15.0) if inside else 0.12 + 0.01 * (start % 3)
        out.append(WindowScore(start_s=float(start), end_s=float(start + 2.0), probability_fake=round(p, 4)))
    return out


def make_comb(rng: np.random.Generator, real_fp_rate: float | None = 0.013) -> CombEvidence:
    f0 = SAMPLE_RATE / 128.0
    freqs = np.linspace(0.0, 16000.0, 4001)
    resid = rng.normal(0.0, 0.6, freqs.size)
    expected = f0 * np.arange(1, int(16000.0 // f0) + 1)
    found = expected[expected > 4000.0][::2]
    for line in found:
        resid += 4.0 * np.exp(-0.5 * ((freqs - line) / 8.0) ** 2)
    return CombEvidence(
        architecture="HiFi-GAN style transposed convolutions (x8, x8, x2)",
        f0_hz=f0,
        strength_db=3.8,
        z_score=5.2,
        real_fp_rate=real_fp_rate,
        freqs_hz=freqs,
        residual_db=resid,
        expected_lines_hz=expected,
        lines_found_hz=found,
        segments=[
            {"start_s": 0.0, "end_s": 10.0, "z_score": 1.1, "strength_db": 0.9},
            {"start_s": 10.0, "end_s": 20.0, "z_score": 6.3, "strength_db": 4.4},
            {"start_s": 20.0, "end_s": 30.0, "z_score": 1.4, "strength_db": 1.2},
        ],
    )


def make_input(**overrides: Any) -> InputInfo:
    name = overrides.pop("file_name", "night_drive_master_v3.mp3")
    fields = dict(
        path=f"/home/artist/Music/{name}",
        file_name=name,
        file_size_bytes=4_812_345,
        format="MP3",
        subtype="MPEG_LAYER_III",
        is_lossy=True,
        sample_rate=SAMPLE_RATE,
        channels=2,
        duration_s=DURATION_S,
        n_frames=int(DURATION_S * SAMPLE_RATE),
        file_sha256=_sha("file:" + name),
        pcm_sha256=_sha("pcm:" + name),
    )
    fields.update(overrides)
    return InputInfo(**fields)


def make_result(
    info: InputInfo | None = None,
    *,
    seed: int = 0,
    file_name: str | None = None,
    probability: float | None = None,
    verdict: str | None = None,
    with_comb: bool = True,
    **overrides: Any,
) -> AnalysisResult:
    """A hand-built result. Without ``info``: the 30-s stereo MP3 whose 12-18 s stretch was flagged (the
    report's scene; keyword arguments replace fields). With ``info``: a result for that input whose hot
    region sits late and high (the window's "stamp" scene, see :data:`HOT_TIME`), at ``probability`` /
    ``verdict``, with or without comb evidence."""
    if info is not None:
        result = _stamp_result(
            info,
            **{k: v for k, v in (("probability", probability), ("verdict", verdict)) if v is not None},
            with_comb=with_comb,
        )
        return dataclasses.replace(result, **overrides) if overrides else result
    if probability is not None:
        overrides.setdefault("probability_fake", probability)
    if verdict is not None:
        overrides.setdefault("verdict", verdict)
    rng = np.random.default_rng(seed)
    info = make_input(**({} if file_name is None else {"file_name": file_name}))
    model = ModelInfo(
        name="patchcnn-small",
        version="1.2.0",
        sha256=_sha("weights"),
        calibration_version="cal-2026-11-20",
        families=("hifigan", "lyra"),
    )
    fields: dict[str, Any] = dict(
        input=info,
        probability_fake=0.873214,
        interval=(0.801102, 0.924577),
        verdict="likely_fake",
        windows=make_windows(),
        heatmap=make_heatmap(rng),
        overview=make_overview(rng),
        detectors=[
            DetectorEvidence(
                name="patch_cnn",
                title="Patch CNN",
                score=2.113,
                probability_fake=0.861,
                summary="Strong response between 0:12 and 0:18, mostly 2-8 kHz.",
            ),
            DetectorEvidence(
                name="comb",
                title="Spectral comb",
                score=5.2,
                probability_fake=None,
                summary="Evenly spaced lines every 344.5 Hz above 4 kHz.",
            ),
        ],
        comb=make_comb(rng),
        attribution={"hifigan": 0.71, "lyra": 0.22, "other": 0.07},
        notes=[
            Note(
                code="lossy_input",
                severity="caution",
                text="The file is an MP3. Lossy encoding removes detail above 16 kHz, so part of "
                "the evidence the model uses is missing.",
            ),
            Note(
                code="short_hot_region",
                severity="warning",
                text="Most of the evidence comes from one 6-second stretch; the rest of the track "
                "looks like real music.",
            ),
            Note(code="stereo_mixdown", severity="info", text="Both channels were averaged to mono before analysis."),
        ],
        provenance=Provenance(
            app_version="0.1.0",
            model=model,
            settings={"window_s": 2.0, "hop_s": 1.0, "target_rate_hz": 16000},
            analysed_at="2026-11-22T04:30:00Z",
            command=f'forensic-app analyze "{info.path}" --json',
        ),
        robustness=None,
    )
    fields.update(overrides)
    return AnalysisResult(**fields)


def with_input(result: AnalysisResult, **overrides: Any) -> AnalysisResult:
    return dataclasses.replace(result, input=dataclasses.replace(result.input, **overrides))


ROBUSTNESS = [
    {"manipulation": "MP3 128 kbps re-encode", "probability_fake": 0.842},
    {"manipulation": "AAC 96 kbps re-encode", "probability_fake": 0.797},
    {"manipulation": "resample to 22.05 kHz and back", "probability_fake": 0.611},
    {"manipulation": "+3 dB gain with limiter", "probability_fake": 0.868},
]


# The window's stamp: a hot region at high frequency, late in the track (asymmetric on purpose).
HOT_TIME = (0.75, 1.0)  # fraction of the duration
HOT_FREQ_HZ = (15000.0, 22050.0)


def stamp_heatmap(duration_s: float, *, n_time: int = 40, n_freq: int = 16, nyquist_hz: float = 22050.0) -> Heatmap:
    time_edges = np.linspace(0.0, duration_s, n_time + 1)
    freq_edges = np.linspace(0.0, nyquist_hz, n_freq + 1)
    share = np.full((n_freq, n_time), 0.2, np.float32)  # an ordinary reading for real music
    t_centres = (time_edges[:-1] + time_edges[1:]) / 2
    f_centres = (freq_edges[:-1] + freq_edges[1:]) / 2
    hot_t = (t_centres >= HOT_TIME[0] * duration_s) & (t_centres <= HOT_TIME[1] * duration_s)
    hot_f = (f_centres >= HOT_FREQ_HZ[0]) & (f_centres <= HOT_FREQ_HZ[1])
    share[np.ix_(hot_f, hot_t)] = 2e-5  # reached by 1 real-music patch in 50,000: full red
    return Heatmap(real_share=share, time_edges_s=time_edges, freq_edges_hz=freq_edges)


def make_info(path: str = "/tmp/x.wav", duration_s: float = 4.0, rate: int = 44100) -> InputInfo:
    return InputInfo(
        path=path,
        file_name=path.rsplit("/", 1)[-1],
        file_size_bytes=1000,
        format="WAV",
        subtype="PCM_16",
        is_lossy=False,
        sample_rate=rate,
        channels=1,
        duration_s=duration_s,
        n_frames=int(duration_s * rate),
        file_sha256="ab" * 32,
        pcm_sha256="cd" * 32,
    )


def _stamp_result(
    info: InputInfo, *, probability: float = 0.83, verdict: str = "likely_fake", with_comb: bool = True
) -> AnalysisResult:
    d = info.duration_s
    heatmap = stamp_heatmap(d, nyquist_hz=info.sample_rate / 2)
    n_win = 8
    edges = np.linspace(0.0, d, n_win + 1)
    windows = [
        WindowScore(float(a), float(b), 0.9 if a >= HOT_TIME[0] * d - 1e-9 else 0.15)
        for a, b in zip(edges[:-1], edges[1:])
    ]
    comb = None
    if with_comb:
        freqs = np.linspace(0, 20000, 2000)
        f0 = 1378.125
        lines = np.arange(1, 14) * f0
        residual = 0.5 * np.random.default_rng(0).standard_normal(freqs.size)
        for f in lines:
            residual += 6.0 * np.exp(-0.5 * ((freqs - f) / 15.0) ** 2)
        comb = CombEvidence(
            architecture="transposed convolution, stride 32 at 44.1 kHz",
            f0_hz=f0,
            strength_db=5.8,
            z_score=7.4,
            real_fp_rate=0.012,
            freqs_hz=freqs,
            residual_db=residual,
            expected_lines_hz=lines,
            lines_found_hz=lines[:10],
        )
    return AnalysisResult(
        input=info,
        probability_fake=probability,
        interval=(max(0.0, probability - 0.12), min(1.0, probability + 0.08)),
        verdict=verdict,
        windows=windows,
        heatmap=heatmap,
        overview=_display_spectrogram(np.zeros(int(info.sample_rate * 0.5), np.float32), info.sample_rate),
        detectors=[
            DetectorEvidence(
                "patch_cnn",
                "Patch CNN (time-frequency heatmap)",
                1.6,
                probability,
                "Average patch score over 8 windows; the highest window scores 90%.",
            ),
            DetectorEvidence(
                "comb",
                "Spectral comb (upsampling artefacts)",
                7.4,
                None,
                "Strongest regular line pattern every 1378.1 Hz.",
            ),
        ],
        comb=comb,
        attribution={"tconv": 0.71, "upsample": 0.2, "lyra": 0.09},
        notes=[
            Note("short_clip", "caution", "This clip is short, so the estimate rests on little evidence."),
            Note("lossy", "info", "The file is lossless, so codec artefacts do not explain the score."),
        ],
        provenance=Provenance(
            app_version="0.1.0",
            model=ModelInfo("forensic-test", "0.0.1", "ef" * 32, "cal-test"),
            settings={},
            analysed_at="2026-11-22T04:30:00Z",
            command="forensic-app analyze x.wav",
        ),
    )


def _display_spectrogram(x: np.ndarray, rate: int) -> Spectrogram:
    from forensic_app.core.spectrogram import display_spectrogram

    return display_spectrogram(x, rate)


# ---- every path a verdict can take, for the report's contradiction test ----------------------------------

THRESHOLD_FAKE = (
    0.768134  # the shipped calibration's lines (settings threshold_likely_fake / threshold_no_traces_found)
)
THRESHOLD_REAL = 0.25
CAPPED = THRESHOLD_FAKE - 0.02  # fusion.CAP_MARGIN below the "likely AI" line
HELD = THRESHOLD_REAL + 0.01  # the bottom of the undecided band

PROFILE_VALIDATION = {
    "detection_logo": 1.0,
    "fp_reference_loso_max": 0.0,
    "n_reference_readings": 822,
    "n_reference_sources": 21,
}


def _profile(name: str, kind: str, logit: float, *, threshold: float = -1.7, n: int = 60) -> dict[str, Any]:
    return {
        "name": name,
        "version": "v1",
        "kind": kind,
        "architecture": "latent diffusion; VAE decoder",
        "n_examples": n,
        "created": "2026-12-01",
        "threshold_logit": threshold,
        "validation": PROFILE_VALIDATION,
        "sha256": _sha("profile:" + name),
        "logit": logit,
        "match": logit >= threshold,
    }


def profiles_row(matched: dict[str, Any] | None = None, *, p: float | None = None) -> DetectorEvidence:
    """The generator profiles' row: ``matched`` (a :func:`_profile`) matches, else ACE-Step is the closest."""
    listed = [_profile("ace-step-v1", "built-in", -3.3), _profile("diffrhythm", "built-in", -4.1, n=29)]
    if matched is not None:
        listed = [matched] + [x for x in listed if x["name"] != matched["name"]]
    best = max(listed, key=lambda x: x["logit"] - x["threshold_logit"])
    margin = best["logit"] - best["threshold_logit"]
    details = {
        "profiles": listed,
        "matched": [x["name"] for x in listed if x["match"]],
        "closest": best["name"],
        "windows": [
            {"start_s": 0.0, "end_s": 10.0, "logit": round(best["logit"] - 0.4, 3)},
            {"start_s": 10.0, "end_s": 20.0, "logit": round(best["logit"] + 0.3, 3)},
        ],
        "top_bins": [{"freq_hz": 1378.1, "contribution": 0.41}],
    }
    summary = (
        f"Matches the decoder fingerprint of {best['name']}: {margin:+.1f} logits against its threshold."
        if best["match"]
        else f"None of the {len(listed)} generator profiles matches; the closest, "
        f"{best['name']}, is {-margin:.1f} logits below its threshold, within what real music reaches."
    )
    return DetectorEvidence(
        "profiles", "Generator profiles (decoder fingerprints)", round(margin, 6), p, summary, details
    )


def declared_row(headline: str | None = None) -> DetectorEvidence:
    lines = ([headline] if headline else []) + [
        "Title: Night drive",
        "Encoder: LAME3.100",
        "Content Credential (C2PA): none in the file",
        "A declaration is a claim anyone can write or remove; the verdict above is about the audio alone.",
    ]
    summary = headline or "The file declares no AI origin in its tags or Content Credentials."
    return DetectorEvidence(
        "declared",
        "What the file declares (tags, Content Credentials)",
        None,
        None,
        summary,
        {
            "headline": headline,
            "lines": lines,
            "declares_ai": headline is not None,
            "columns": {"declared_generator": "Suno" if headline else None},
        },
    )


SCENARIOS = (
    "patch_cnn",
    "comb",
    "fakeprint",
    "profile_builtin",
    "profile_user",
    "held_tone",
    "capped_cnn",
    "no_content",
    "short_clip",
    "borderline",
    "no_traces_near_line",
    "declared",
)


def scenario(path: str) -> AnalysisResult:
    """A result on one of :data:`SCENARIOS`' paths, with the notes core.notes writes for it and the lines of
    evidence (``settings["probability_by_detector"]``) that decided it."""
    from forensic_app.core.notes import NoteInputs, make_notes

    base = make_result()
    info = base.input
    windows = base.windows
    reasons: tuple[str, ...] = ()
    by: dict[str, float | None] = {"learned": 0.05, "comb": None, "fakeprint": 0.001, "profiles": None}
    held_tone = False
    content_s = 30.0
    deciding_profile = None
    prof_row = profiles_row()
    decl_row = declared_row()
    comb = base.comb
    if path == "patch_cnn":
        by["learned"] = p = 0.93
        interval, verdict = (0.90, 0.95), "likely_fake"
    elif path == "comb":  # the CNN is capped below the line, the comb decides alone: the first contradiction
        by.update(learned=CAPPED, comb=0.999)
        p, interval, verdict, reasons = 0.999, (0.999, 0.9995), "likely_fake", ("cnn_confounded",)
        comb = dataclasses.replace(base.comb, z_score=88.0)
    elif path == "fakeprint":
        by.update(learned=0.12, fakeprint=0.97)
        p, interval, verdict = 0.97, (0.97, 0.97), "likely_fake"
    elif path in ("profile_builtin", "profile_user"):
        kind = "built-in" if path == "profile_builtin" else "user"
        name = "ace-step-v1" if kind == "built-in" else "my-suno-exports"
        prof = _profile(name, kind, 4.7, n=60 if kind == "built-in" else 12)
        by.update(learned=0.3, profiles=0.9999)
        p, interval, verdict = 0.9999, (0.9999, 0.9999), "likely_fake"
        prof_row = profiles_row(prof, p=0.9999)
        deciding_profile = {k: v for k, v in prof.items() if k not in ("logit", "match")}
    elif path == "held_tone":
        by["learned"] = p = HELD
        interval, verdict, held_tone, reasons = (HELD, HELD), "inconclusive", True, ("held_tone",)
    elif path == "capped_cnn":
        by["learned"] = p = CAPPED
        interval, verdict, reasons = (0.70, CAPPED), "inconclusive", ("cnn_confounded",)
    elif path == "no_content":
        by["learned"] = 0.6
        p, interval, verdict, reasons, content_s = HELD, (HELD, HELD), "inconclusive", ("no_content",), 0.4
        windows = [dataclasses.replace(w, probability_fake=0.6) for w in windows]
    elif path == "short_clip":  # 5 s, two windows: a confident-looking "No traces"
        info = dataclasses.replace(info, duration_s=5.0, n_frames=5 * SAMPLE_RATE)
        windows = [WindowScore(0.0, 2.5, 0.016), WindowScore(2.5, 5.0, 0.017)]
        by["learned"] = p = 0.017
        interval, verdict, comb = (0.015, 0.018), "no_traces_found", None
    elif path == "borderline":
        by.update(learned=0.36, comb=0.065)
        p, interval, verdict = 0.36, (0.065, 0.86), "inconclusive"
        windows = [dataclasses.replace(w, probability_fake=0.95 if w.start_s >= 15 else 0.05) for w in windows]
    elif path == "no_traces_near_line":  # the real song: 17 % (11-29 %), windows at 59 % and 56 %
        by["learned"] = p = 0.17
        interval, verdict = (0.11, 0.29), "no_traces_found"
        windows = [
            dataclasses.replace(w, probability_fake={5.0: 0.59, 20.0: 0.56}.get(w.start_s, 0.15)) for w in windows
        ]
    elif path == "declared":
        by["learned"] = p = 0.04
        interval, verdict = (0.03, 0.06), "no_traces_found"
        decl_row = declared_row("The file's own tags say it was made with Suno.")
        windows = [dataclasses.replace(w, probability_fake=0.04) for w in windows]
    else:
        raise ValueError(f"unknown scenario {path!r}")
    notes = make_notes(
        NoteInputs(
            info=dataclasses.replace(info, is_lossy=False),
            probability=p,
            interval=interval,
            verdict=verdict,
            window_probs=np.array([w.probability_fake for w in windows]),
            bandwidth_hz=20000.0,
            silent_share=0.0,
            clipped_share=0.0,
            comb=comb,
            families=("hifigan",),
            model_trained=True,
            threshold_fake=THRESHOLD_FAKE,
            threshold_real=THRESHOLD_REAL,
            decision_reasons=reasons,
            content_s=content_s,
            held_tone=held_tone,
            deciding_profile=deciding_profile,
        )
    )
    detectors = [
        DetectorEvidence(
            "patch_cnn",
            "Patch CNN (time-frequency heatmap)",
            1.2,
            by["learned"],
            "Window evidence averages the probability shown over the windows.",
        ),
        DetectorEvidence(
            "fakeprint",
            "Fakeprint (Suno/Udio; third-party model)",
            -9.0,
            by["fakeprint"],
            "Logit -9.0, below the threshold set on the real music we measured.",
        ),
        DetectorEvidence(
            "comb",
            "Spectral comb (upsampling artefacts)",
            None if comb is None else comb.z_score,
            by["comb"],
            "Regularly spaced spectral lines." if by["comb"] else "No comb stands out.",
        ),
        prof_row,
        decl_row,
    ]
    prov = dataclasses.replace(
        base.provenance,
        settings=dict(
            base.provenance.settings,
            probability_by_detector=by,
            threshold_likely_fake=THRESHOLD_FAKE,
            threshold_no_traces_found=THRESHOLD_REAL,
        ),
    )
    return dataclasses.replace(
        base,
        input=info,
        probability_fake=p,
        interval=interval,
        verdict=verdict,
        windows=windows,
        notes=notes,
        detectors=detectors,
        comb=comb,
        provenance=prov,
        attribution={} if verdict != "likely_fake" else base.attribution,
        heatmap=base.heatmap if path != "short_clip" else stamp_heatmap(5.0),
        overview=base.overview,
        model_card=MODEL_CARD,
    )
