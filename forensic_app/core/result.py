"""What an analysis produces. The GUI, the report and the CLI only draw what is here.

Arrays are numpy; everything else is plain data so ``to_json_dict`` is loss-free for the
CLI contract (heatmap and spectrogram arrays are summarised, not dumped).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional

import numpy as np

from .vocabulary import VERDICT_WORDS, VERDICTS, HEAT_UNCOLOURED_SHARE, heat_strength  # noqa: F401 - re-exported for the GUI, report and CLI
from .vocabulary import DECIDING_LINES, deciding_line  # noqa: F401 - fusion's lines -> the sources named in outputs

SEVERITIES = ("info", "caution", "warning")


# The version of schema/analysis.schema.json that to_json_dict() follows: a new key is a minor version,
# a removed or changed key a major one (the schema's own "$id" and pattern change with it).
ANALYSIS_SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class InputInfo:
    """Facts about the file as the user gave it (nothing here is changed by analysis)."""

    path: str
    file_name: str
    file_size_bytes: int
    format: str  # container as libsndfile/ffmpeg names it, e.g. "WAV", "OGG", "MP3"
    subtype: str  # codec/sample format, e.g. "PCM_16", "VORBIS", "MPEG_LAYER_III", "aac"
    is_lossy: bool
    sample_rate: int  # original rate in Hz
    channels: int  # original channel count
    duration_s: float
    n_frames: int  # original sample frames
    file_sha256: str  # of the file bytes
    pcm_sha256: str  # of the decoded samples: float32 little-endian, interleaved, original rate


@dataclass(frozen=True)
class Heatmap:
    """How unusual each time-frequency patch is for real music, per the patch CNN.

    ``real_share[i, j]`` is the patch centred on frequency row ``i`` (row 0 = lowest frequency)
    and time column ``j``: the share of real-music reference patches in that row whose reading
    reaches this patch's (an empirical tail probability, see :mod:`forensic_app.core.patch_null`;
    1 = ordinary, 0.0001 = reached by one real patch in ten thousand). ``logits`` are the raw
    patch-CNN outputs it comes from. Cell ``(i, j)`` covers
    ``[time_edges_s[j], time_edges_s[j+1]) x [freq_edges_hz[i], freq_edges_hz[i+1])``.
    """

    real_share: np.ndarray  # (n_freq_cells, n_time_cells) float32 in (0, 1]
    time_edges_s: np.ndarray  # (n_time_cells + 1,)
    freq_edges_hz: np.ndarray  # (n_freq_cells + 1,)
    logits: Optional[np.ndarray] = None  # (n_freq_cells, n_time_cells) float32 raw patch logits

    @property
    def strength(self) -> np.ndarray:
        """(n_freq_cells, n_time_cells) colour strength in 0..1 (see :func:`vocabulary.heat_strength`)."""
        return heat_strength(self.real_share)

    def value_at(self, time_s: float, freq_hz: float) -> Optional[float]:
        """The ``real_share`` of the cell under (time_s, freq_hz), or None outside the analysed area."""
        j = int(np.searchsorted(self.time_edges_s, time_s, side="right")) - 1
        i = int(np.searchsorted(self.freq_edges_hz, freq_hz, side="right")) - 1
        if 0 <= i < self.real_share.shape[0] and 0 <= j < self.real_share.shape[1]:
            return float(self.real_share[i, j])
        return None


@dataclass(frozen=True)
class Spectrogram:
    """A dB magnitude spectrogram for display (an overview, possibly decimated in time)."""

    db: np.ndarray  # (n_freq, n_time) float32, dB re full scale
    time_edges_s: np.ndarray  # (n_time + 1,)
    freq_edges_hz: np.ndarray  # (n_freq + 1,)


@dataclass(frozen=True)
class WindowScore:
    start_s: float
    end_s: float
    probability_fake: float


@dataclass(frozen=True)
class Note:
    code: str  # stable machine id, e.g. "band_limited"
    severity: str  # one of SEVERITIES
    text: str  # plain language for an artist


@dataclass(frozen=True)
class CombEvidence:
    """Long-window spectral-comb evidence (transposed-convolution upsampling artefacts)."""

    architecture: str  # best-matching catalogue entry, human readable
    f0_hz: float  # spacing of the matched comb
    strength_db: float  # comb line prominence minus the median over jittered spacings (about 0 when no comb)
    z_score: float  # against jittered spacings
    real_fp_rate: Optional[float]  # share of real-corpus tracks with a comb at least this strong
    freqs_hz: np.ndarray  # (n,) axis of the residual spectrum
    residual_db: np.ndarray  # (n,) average spectrum minus its median-filtered floor
    expected_lines_hz: np.ndarray  # (k,) multiples of f0 inside the analysed band
    lines_found_hz: np.ndarray  # (m,) subset of expected lines that stand out
    # per >=10-s segment: start_s, end_s, z_score and strength_db at the track's best spacing,
    # plus best_f0_hz / best_z_score (the segment's own best spacing)
    segments: list[dict[str, Any]] = field(default_factory=list)
    # median |peak - k*f0| of the found lines, in FFT bins (parabolic peak interpolation); None with
    # fewer than comb.LOCK_MIN_LINES found lines. Decoder lines sit at k*rate/P to ~0.05 bins; partials
    # of music near those bins scatter over +-1 bin (comb.comb_locked)
    line_offset_bins: Optional[float] = None


@dataclass(frozen=True)
class DetectorEvidence:
    """One detector's contribution, before fusion."""

    name: str  # "patch_cnn" | "fakeprint" | "comb"
    title: str  # human readable
    score: Optional[float]  # the detector's raw track-level score (logit or z); None when not measured
    probability_fake: Optional[float]  # its own calibrated probability, if it has one
    summary: str  # one sentence for people
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    sha256: str  # of the weight file
    calibration_version: str
    families: tuple[str, ...] = ()  # decoder families covered in training
    bundle_sha256: str = ""  # of the sealed manifest, which lists every model file's sha256 (weights.bundle_digest)
    modified: bool = False  # not the released bundle (run with allow_modified): every output says "modified model"


@dataclass(frozen=True)
class Provenance:
    app_version: str
    model: ModelInfo
    settings: dict[str, Any]
    analysed_at: str  # ISO 8601 UTC
    command: str  # CLI command that reproduces this analysis


@dataclass(frozen=True)
class AnalysisResult:
    input: InputInfo
    probability_fake: float  # calibrated, 0..1
    interval: tuple[float, float]  # see README "What the interval means"
    verdict: str  # one of VERDICTS
    windows: list[WindowScore]
    heatmap: Heatmap
    overview: Spectrogram
    detectors: list[DetectorEvidence]
    comb: Optional[CombEvidence]
    attribution: dict[str, float]  # decoder family -> probability, empty when none
    notes: list[Note]
    provenance: Provenance
    robustness: Optional[list[dict[str, Any]]] = None  # [{manipulation, probability_fake}] when run
    fakeprint: Optional[Any] = None  # core.fakeprint.FakeprintEvidence, when the model ships the detector
    model_card: dict[str, Any] = field(default_factory=dict)  # the manifest's model card (the report's section 6)
    coverage: str = ""  # the coverage line: what the evidence sources applied recognise, and what not
    # what the verdict was scored from, so that it can be scored again without decoding (the batch store keeps
    # them for ``batch --rescore``): core.scoring.Readings and the measured (3585,) fakeprint the profiles read
    # (None: not measured). Not part of the JSON; a case file keeps them (case/resultdoc.py).
    readings: Optional[Any] = None
    fakeprint_curve: Optional[np.ndarray] = None

    @property
    def coverage_line(self) -> str:
        """The coverage sentence (results saved before it was stored: rebuilt from families and fakeprint)."""
        if self.coverage:
            return self.coverage
        from .vocabulary import coverage_line

        return coverage_line(self.provenance.model.families, self.fakeprint is not None)

    @property
    def headline(self) -> str:
        """The verdict every output heads with (vocabulary.headline_verdict): ``verdict``, or "too_short" for
        a "No traces" verdict on a clip too short to tell."""
        from .vocabulary import headline_verdict

        return headline_verdict(self.verdict, self.input.duration_s)

    @property
    def verdict_words(self) -> str:
        """The headline in words: VERDICT_WORDS, or "Too short to tell" (vocabulary.headline_words)."""
        from .vocabulary import headline_words

        return headline_words(self.verdict, self.input.duration_s)

    @property
    def held(self) -> Optional[str]:
        """Why the probability shown is held at a fixed point rather than estimated (a note code), or None: a
        hold of the patch CNN counts only when its line gave the value (vocabulary.printed_held)."""
        from .vocabulary import printed_held

        return printed_held((n.code for n in self.notes), self.deciding_evidence)

    def detector(self, name: str) -> Optional[DetectorEvidence]:
        """The row of the evidence source ``name`` (core.detectors.registry), or None."""
        return next((d for d in self.detectors if d.name == name), None)

    @property
    def declaration_headline(self) -> Optional[str]:
        """The line under the verdict when the file itself declares an AI origin (tags, a Content
        Credential); None otherwise. Never part of the verdict, and its absence says nothing."""
        d = self.detector("declared")
        return None if d is None else d.details.get("headline")

    def top_regions(self, n: int = 5) -> list[WindowScore]:
        """Highest-scoring windows, best first."""
        return sorted(self.windows, key=lambda w: -w.probability_fake)[:n]

    def strongest_window(self) -> Optional[WindowScore]:
        """The window with the highest probability, or None when none stands above the others (no window, or
        every window alike: e.g. all held at the same value)."""
        if not self.windows:
            return None
        top = self.top_regions(1)[0]
        if len(self.windows) > 1 and top.probability_fake <= min(w.probability_fake for w in self.windows):
            return None
        return top

    @property
    def deciding_evidence(self) -> str:
        """The line of evidence whose probability is the verdict's (fusion.decide takes the strongest):
        "patch_cnn" (the learned fusion of the patch CNN's reading with the comb's term), "comb" or
        "fakeprint" (each on its own), or a further source's line by its name (e.g. "profiles");
        "none" when the probability is held rather than read from any (no content to examine, or a
        held tone, on which the CNN's reading is no evidence)."""
        return deciding_line(
            self.provenance.settings.get("probability_by_detector") or {},
            self.probability_fake,
            (n.code for n in self.notes),
        )

    def to_json_dict(self) -> dict[str, Any]:
        """The CLI's JSON contract (see README)."""
        info = self.input
        comb = None
        if self.comb is not None:
            c = self.comb
            comb = {
                "architecture": c.architecture,
                "f0_hz": round(c.f0_hz, 4),
                "strength_db": round(c.strength_db, 3),
                "z_score": round(c.z_score, 3),
                "real_fp_rate": c.real_fp_rate,
                "lines_found_hz": [round(float(x), 2) for x in c.lines_found_hz],
                "segments": c.segments,
            }
        return {
            "schema_version": ANALYSIS_SCHEMA_VERSION,  # schema/analysis.schema.json
            "file": info.path,
            "file_name": info.file_name,
            "sha256": info.file_sha256,
            "pcm_sha256": info.pcm_sha256,
            "format": info.format,
            "subtype": info.subtype,
            "file_size_bytes": info.file_size_bytes,
            "duration_s": round(info.duration_s, 4),
            "sample_rate": info.sample_rate,
            "channels": info.channels,
            "probability_fake": round(self.probability_fake, 6),
            "interval": [round(self.interval[0], 6), round(self.interval[1], 6)],
            "verdict": self.verdict,
            "windows": [
                {
                    "start_s": round(w.start_s, 4),
                    "end_s": round(w.end_s, 4),
                    "probability_fake": round(w.probability_fake, 6),
                }
                for w in self.windows
            ],
            "notes": [asdict(n) for n in self.notes],
            "model": {
                "name": self.provenance.model.name,
                "version": self.provenance.model.version,
                "sha256": self.provenance.model.sha256,
                "calibration_version": self.provenance.model.calibration_version,
                "bundle_sha256": self.provenance.model.bundle_sha256,
                "modified": self.provenance.model.modified,
                "families": list(self.provenance.model.families),
            },
            "detectors": [
                {
                    "name": d.name,
                    "title": d.title,
                    "score": None if d.score is None else round(d.score, 6),
                    "probability_fake": None if d.probability_fake is None else round(d.probability_fake, 6),
                    "summary": d.summary,
                    "details": d.details,
                }
                for d in self.detectors
            ],
            "comb": comb,
            "fakeprint": None if self.fakeprint is None else self.fakeprint.to_dict(),
            "attribution": {k: round(v, 6) for k, v in self.attribution.items()},
            "coverage": self.coverage_line,
            "heatmap": {
                "shape": list(self.heatmap.real_share.shape),
                # the rarest patch: the share of real-music patches that reach its reading
                "min_real_share": float(f"{float(self.heatmap.real_share.min(initial=1.0)):.3g}"),
                "share_of_patches_coloured": round(
                    float(np.mean(self.heatmap.real_share < HEAT_UNCOLOURED_SHARE))
                    if self.heatmap.real_share.size
                    else 0.0,
                    6,
                ),
            },
            "robustness": self.robustness,
            "provenance": {
                "app_version": self.provenance.app_version,
                "analysed_at": self.provenance.analysed_at,
                "settings": self.provenance.settings,
                "command": self.provenance.command,
            },
        }
