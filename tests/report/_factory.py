"""Hand-built AnalysisResults for the report tests (no model, no audio decoding).

``make_result()`` looks like a 30-s stereo MP3 whose 12-18 s stretch was flagged: a
spectrogram with a melody and a 16-kHz lossy cut-off, a heatmap with one hot region, 1-s-hop
windows, comb evidence with found lines, notes of every severity, attribution. Keyword
arguments replace fields, so edge cases (no comb, empty attribution, robustness present,
hostile file names) are one call each. Other test packages can use it too:
``from tests.report._factory import make_result``.
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


def make_heatmap(rng: np.random.Generator) -> Heatmap:
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
        f0_hz=f0, strength_db=3.8, z_score=5.2, real_fp_rate=real_fp_rate,
        freqs_hz=freqs, residual_db=resid, expected_lines_hz=expected, lines_found_hz=found,
        segments=[{"start_s": 0.0, "end_s": 10.0, "z_score": 1.1, "strength_db": 0.9},
                  {"start_s": 10.0, "end_s": 20.0, "z_score": 6.3, "strength_db": 4.4},
                  {"start_s": 20.0, "end_s": 30.0, "z_score": 1.4, "strength_db": 1.2}],
    )


def make_input(**overrides: Any) -> InputInfo:
    name = overrides.pop("file_name", "night_drive_master_v3.mp3")
    fields = dict(
        path=f"/home/artist/Music/{name}", file_name=name, file_size_bytes=4_812_345,
        format="MP3", subtype="MPEG_LAYER_III", is_lossy=True, sample_rate=SAMPLE_RATE,
        channels=2, duration_s=DURATION_S, n_frames=int(DURATION_S * SAMPLE_RATE),
        file_sha256=_sha("file:" + name), pcm_sha256=_sha("pcm:" + name),
    )
    fields.update(overrides)
    return InputInfo(**fields)


def make_result(*, seed: int = 0, file_name: str | None = None, **overrides: Any) -> AnalysisResult:
    rng = np.random.default_rng(seed)
    info = make_input(**({} if file_name is None else {"file_name": file_name}))
    model = ModelInfo(name="patchcnn-small", version="1.2.0", sha256=_sha("weights"),
                      calibration_version="cal-2026-11-20", families=("hifigan", "lyra"))
    fields: dict[str, Any] = dict(
        input=info,
        probability_fake=0.873214,
        interval=(0.801102, 0.924577),
        verdict="likely_fake",
        windows=make_windows(),
        heatmap=make_heatmap(rng),
        overview=make_overview(rng),
        detectors=[
            DetectorEvidence(name="patch_cnn", title="Patch CNN", score=2.113, probability_fake=0.861,
                             summary="Strong response between 0:12 and 0:18, mostly 2-8 kHz."),
            DetectorEvidence(name="comb", title="Spectral comb", score=5.2, probability_fake=None,
                             summary="Evenly spaced lines every 344.5 Hz above 4 kHz."),
        ],
        comb=make_comb(rng),
        attribution={"hifigan": 0.71, "lyra": 0.22, "other": 0.07},
        notes=[
            Note(code="lossy_input", severity="caution",
                 text="The file is an MP3. Lossy encoding removes detail above 16 kHz, so part of "
                      "the evidence the model uses is missing."),
            Note(code="short_hot_region", severity="warning",
                 text="Most of the evidence comes from one 6-second stretch; the rest of the track "
                      "looks like real music."),
            Note(code="stereo_mixdown", severity="info",
                 text="Both channels were averaged to mono before analysis."),
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
