"""analyze(): one pass over a file, streaming, bounded memory, cancellable.

Decode blocks -> PCM hash/checks -> mono + resample to 44.1 kHz -> STFT frames, shared by
the heatmap network (tiles of columns with a halo), the display overview and the comb
detector -> window and track scores -> calibration -> notes -> AnalysisResult.
"""

from __future__ import annotations

import datetime as _dt
import shlex
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .. import __version__
from .audio import no_audio_error, open_audio
from .bundle import ALLOW_OPTION
from .input_facts import PcmStats, file_fingerprint, file_sha256, make_input_info, unchanged_since
from .mono import Downmix
from .detectors.comb import CombReference
from .detectors.registry import sources as evidence_sources
from .detectors.base import Interpretation
from .decoded import PcmSource
from .errors import unusable_input
from .fakeprint import FakeprintEvidence
from .vocabulary import coverage_sentence
from .detectors.profiles import NAME as PROFILES
from .fusion import CnnReference, EvidenceRules
from .profiles import Profile, load_user_profiles, user_profiles_enabled
from .scoring import WINDOW_CELLS, Readings, TrackScore, score_track, window_logits_from_map
from .patch_null import PatchNull
from .notes import NoteInputs, make_notes
from .progress import CancelToken, Progress, ProgressCallback, StageReporter, check
from .result import AnalysisResult, CombEvidence, Heatmap, InputInfo, ModelInfo, Provenance, Spectrogram, WindowScore
from .meters import TrackMeters
from .spectrogram import FrameBlock, frame_edges_s
from .tiling import HALO_CELLS, TILE_CELLS, BackgroundRunner, PatchTiler, pipelined
from .weights import LoadedModel, load_model

BLOCK_S = 10.0
OVERVIEW_COLUMNS = 3000
HELD_DISPLAY = 0.3  # patch/window values shown at most, where the CNN's reading is no evidence


def patch_real_share(null: Optional[PatchNull], fake_map: np.ndarray, *, painted: bool = True) -> np.ndarray:
    """(n_rows, n_cols) share of real-music patches reaching each patch logit (core.patch_null).

    Without a fitted reference (calibrations before it), or where the CNN's reading is no evidence
    (``painted`` False: held tones, no content, within what synth sounds reach), no patch is
    shown as unusual: the share is held at 1.
    """
    if null is None or not painted or null.n_rows != fake_map.shape[0]:
        return np.ones(fake_map.shape, np.float32)
    return null.real_share(fake_map)


def _finite_or_none(v: float) -> Optional[float]:
    return float(v) if np.isfinite(v) else None


def reproduce_command(
    path: Path, weights_dir: Optional[str | Path], modified: bool = False, user_profiles: bool = True
) -> str:
    """The CLI command that repeats this analysis (names the weights when they are not the shipped ones)."""
    cmd = f"forensic-app analyze {shlex.quote(str(path))} --json"
    if weights_dir is not None:
        cmd += f" --weights {shlex.quote(str(weights_dir))}"
    if modified:
        cmd += f" {ALLOW_OPTION}"
    if not user_profiles:
        cmd += " --no-user-profiles"
    return cmd


@dataclass(frozen=True)
class Measurements:
    """What one streaming pass over a file measured, before anything is scored (:func:`measure`).

    ``fake_map``: (n_rows, n_cols) patch-CNN logits, rows of ``freq_edges_hz`` (n_rows + 1,) and
    columns of ``time_edges_s`` (n_cols + 1,); ``family_map``: (n_families, n_rows, n_cols) family
    logits; ``comb`` / ``fakeprint``: the two detectors' evidence (None: not measured);
    ``content_s``: seconds above -60 dBFS, ``silent_share`` of the frames near silence;
    ``stationarity``: content.Stationarity (None: too short to tell); ``bandwidth_hz``: highest
    frequency with real content; ``clipped_share`` of samples at full scale; ``container_notes`` and
    ``skipped_at_s`` (where a decoder skipped damaged data) from the reader; ``polarity_inverted``:
    the mono mix flipped a channel back. :func:`interpret` turns it into an AnalysisResult; tests
    build it directly to check the verdict, cap and note rules without audio.
    """

    path: Path
    info: InputInfo
    fake_map: np.ndarray
    family_map: np.ndarray
    time_edges_s: np.ndarray
    freq_edges_hz: np.ndarray
    overview: Spectrogram
    comb: Optional[CombEvidence]
    fakeprint: Optional[FakeprintEvidence]
    content_s: float
    silent_share: float
    stationarity: Optional[float]
    bandwidth_hz: float
    clipped_share: float = 0.0
    container_notes: tuple[str, ...] = ()
    skipped_at_s: tuple[float, ...] = ()
    polarity_inverted: bool = False
    fakeprint_curve: Optional[np.ndarray] = (
        None  # (3585,) the measured fakeprint (None: not measured); profiles read it
    )
    fakeprint_windows: tuple = ()  # fakeprint.fakeprint_windows: ((start_s, end_s, (3585,) or None), ...)
    extra: dict = field(default_factory=dict)  # {source name: reading} of the registry's streaming sources

    @property
    def readings(self) -> Readings:
        """The readings :func:`~.scoring.score_track` scores (the one scoring path)."""
        return Readings(
            window_logits=window_logits_from_map(self.fake_map),
            comb_z=None if self.comb is None else self.comb.z_score,
            comb_offset_bins=None if self.comb is None else self.comb.line_offset_bins,
            fakeprint_logit=None if self.fakeprint is None else self.fakeprint.logit,
            content_s=self.content_s,
            stationarity=self.stationarity,
            duration_s=self.info.duration_s,
            bandwidth_hz=self.bandwidth_hz,
        )


def analyze(
    source: str | Path | PcmSource,
    *,
    weights_dir: Optional[str | Path] = None,
    on_progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
    allow_modified: Optional[bool] = None,
    user_profiles: Optional[bool] = None,
) -> AnalysisResult:
    """Analyse one audio file: :func:`measure`, then :func:`interpret`.

    Raises UnusableInputError, ModelError (BundleError) or Cancelled. ``source``: a path (decoded
    here, block by block), or a :class:`~.decoded.PcmSource` whose blocks are analysed as they are
    (the window's decoded copy, a robustness variant in memory): the same scoring either way.
    ``on_progress`` may be called from this (any) thread with :class:`Progress`.
    ``allow_modified``: run a model bundle that is not the released one (default: the
    ``FORENSIC_APP_ALLOW_MODIFIED_MODEL`` environment variable); the result then says "modified model".
    ``user_profiles``: apply the user's generator profiles (``forensic-app profile add``) beside the
    built-in ones (default: unless ``FORENSIC_APP_NO_USER_PROFILES=1``, which ``--no-user-profiles`` sets).
    """
    if on_progress:
        on_progress(Progress(0.0, "Opening file"))
    model = load_model(weights_dir, allow_modified=allow_modified)
    m = measure(source, model, on_progress=on_progress, cancel=cancel)
    if on_progress:
        on_progress(Progress(0.92, "Scoring"))
    user_profiles = user_profiles_enabled(user_profiles)
    result = interpret(
        m,
        model,
        command=reproduce_command(m.path, weights_dir, model.modified, user_profiles),
        user_profiles=load_user_profiles() if user_profiles else (),
    )
    if on_progress:
        on_progress(Progress(1.0, "Done"))
    return result


def measure(
    source: str | Path | PcmSource,
    model: LoadedModel,
    *,
    on_progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
) -> Measurements:
    """One streaming pass: decode blocks, hash and check the PCM, mix to mono, and feed the patch CNN
    (tiles, on a second core where there is one), the comb, the fakeprint and the content meters.
    Bounded memory, cancellable; raises UnusableInputError (no audio, digital silence, too short, the
    file changed while it was read) or Cancelled."""
    decoded: Optional[PcmSource]
    if isinstance(source, PcmSource):
        decoded, path = source, source.path
    else:
        decoded, path = None, Path(source)
    c = model.manifest.contract
    with nullcontext(decoded) if decoded is not None else open_audio(path, cancel) as src:
        fingerprint = decoded.fingerprint if decoded is not None else file_fingerprint(path)
        file_hash = decoded.file_sha256 if decoded is not None else file_sha256(path, cancel)
        check(cancel)
        decode = StageReporter(on_progress, 0.02, 0.9, "Decoding and scanning")
        stats = PcmStats()
        ref = CombReference.from_json(model.comb_reference_path) if model.comb_reference_path else None
        extra = {s.name: mt for s in evidence_sources() if (mt := s.meter(model, src.sample_rate)) is not None}
        meters = TrackMeters(
            c,
            src.sample_rate,
            src.duration_s,
            fakeprint=model.fakeprint,
            comb_reference=ref,
            overview_columns=OVERVIEW_COLUMNS,
            windows=True,
            extra_meters=extra,
        )
        downmix = Downmix(src.channels)
        done = 0
        # one network, one analysis at a time (BatchNorm buffers are read-only, but keep it simple);
        # the network runs on a second core where this process has one, in the same order
        with model.lock, BackgroundRunner(pipelined()) as network:
            tiler = PatchTiler(model)

            def consume(fb: FrameBlock) -> None:
                if fb.db.shape[1]:
                    network.submit(tiler.add, fb.features)

            for block in src.blocks(int(BLOCK_S * src.sample_rate), cancel):
                stats.update(block, path, done / src.sample_rate, src.sample_rate)
                consume(meters.push(downmix(block)))
                done += block.shape[0]
                decode(done / max(src.n_frames, 1))
            consume(meters.push(np.zeros(0, np.float32), last=True))
            check(cancel)
            _refuse_empty(path, stats, meters.frames.n_frames, src.n_frames / src.sample_rate, c)
            network.join()
            tiler.finish()
        _refuse_changed(path, decoded, fingerprint, file_hash, cancel)
        info = make_input_info(src.source if isinstance(src, PcmSource) else src, file_hash or "", stats.sha256)
    fake_map, fam_map = tiler.maps(c.n_bins // model.network.stride, len(model.manifest.families))
    stride = model.network.stride
    bandwidth = meters.bandwidth_hz()
    comb_ev, fp_ev = meters.finish()
    return Measurements(
        path=path,
        info=info,
        fake_map=fake_map,
        family_map=fam_map,
        time_edges_s=frame_edges_s(fake_map.shape[1], c.hop * stride, c.n_fft, c.hop, c.sample_rate),
        freq_edges_hz=np.arange(fake_map.shape[0] + 1) * stride * c.sample_rate / c.n_fft,
        overview=meters.frames.overview(),
        comb=comb_ev,
        fakeprint=fp_ev,
        content_s=meters.content.content_s,
        silent_share=meters.content.silent_share,
        stationarity=meters.stationarity.value,
        bandwidth_hz=bandwidth,
        clipped_share=stats.n_clipped / max(stats.n_samples, 1),
        container_notes=tuple(src.container_notes),
        skipped_at_s=tuple(src.skipped_at_s),
        polarity_inverted=downmix.inverted,
        fakeprint_curve=meters.fakeprint_curve,
        fakeprint_windows=meters.fakeprint_windows,
        extra={**meters.extra_readings(), **_file_readings(path)},
    )


def _file_readings(path: Path) -> dict:
    """{source name: reading} of the sources that read the file itself rather than its audio (declared provenance)."""
    out = {}
    for s in evidence_sources():
        reading = s.read_file(path)
        if reading is not None:
            out[s.name] = reading
    return out


def _refuse_empty(path: Path, stats: PcmStats, n_feature_frames: int, duration_s: float, c) -> None:
    if stats.n_samples == 0:
        raise no_audio_error(path)
    if stats.peak == 0.0:
        raise unusable_input(
            path,
            "the audio is pure digital silence, so there is nothing to analyse",
            "Check that you chose the right file or export",
        )
    if n_feature_frames < c.patch_frames:
        need = c.min_samples / c.sample_rate
        raise unusable_input(
            path,
            f"the audio is too short ({duration_s:.2f} s); at least {need:.2f} s is needed",
            "Analyse a longer excerpt",
        )


def _refuse_changed(
    path: Path, decoded: Optional[PcmSource], fingerprint, file_hash: Optional[str], cancel: Optional[CancelToken]
) -> None:
    try:
        changed = fingerprint is not None and file_fingerprint(path) != fingerprint
    except OSError:
        changed = True
    # a same-size rewrite that puts the old mtime back keeps the fingerprint: a file decoded here is
    # hashed again, so the sha256 reported is of the bytes decoded (a decoded copy was checked when made)
    if changed or (decoded is None and not unchanged_since(path, None, file_hash, cancel)):
        raise unusable_input(
            path,
            "the file changed while it was being analysed (it is still being written, or was rewritten or replaced)",
            "Analyse it again once it is complete",
        )


def interpret(
    m: Measurements, model: LoadedModel, *, command: str = "", user_profiles: Sequence[Profile] = ()
) -> AnalysisResult:
    """Measurements -> AnalysisResult, with no audio and no I/O: the verdict (core.scoring.score_track
    over the built-in lines and the registry's further sources, e.g. generator profiles), what the
    window and report draw (heatmap, windows, capped where the CNN's reading is no evidence), each
    source's rows (core.detectors.registry), the notes and the provenance. ``command``: the CLI command
    that repeats the analysis (``reproduce_command``); ``user_profiles``: the user's generator profiles,
    applied after the bundle's built-in ones."""
    cal = model.calibration
    rules = EvidenceRules.from_calibration(cal)
    profiles = (*model.profiles, *user_profiles)
    srcs = evidence_sources()
    extra_lines = {k: v for s in srcs for k, v in s.lines(m, model, rules, profiles).items()}
    scored = score_track(cal, rules, m.readings, extra_lines=extra_lines)
    decision = scored.decision
    held_tone = m.stationarity is not None and m.stationarity >= rules.static_threshold
    # where the CNN's reading is no evidence (held tones, within what real music reaches, no content),
    # its patches and windows are not painted as evidence either
    shown = _shown(m, cal, rules, scored, HELD_DISPLAY if decision.reasons or held_tone else 1.0)
    it = Interpretation(m=m, model=model, rules=rules, scored=scored, shown=shown, profiles=profiles)
    detectors = [row for s in srcs for row in s.rows(it)]
    coverage = coverage_sentence([c for s in srcs for c in s.coverage(model, profiles)])
    notes = _notes(m, model, scored, shown, held_tone, detectors) + [n for s in srcs for n in s.notes(it)]
    return AnalysisResult(
        input=m.info,
        probability_fake=decision.probability,
        interval=decision.interval,
        verdict=decision.verdict,
        windows=shown.windows,
        heatmap=shown.heatmap,
        overview=m.overview,
        detectors=detectors,
        comb=m.comb,
        attribution=_attribution(m, model, decision),
        notes=notes,
        provenance=_provenance(m, model, rules, scored, shown.shift, command, profiles),
        fakeprint=m.fakeprint,
        model_card=dict(
            model.manifest.model_card or {}, third_party_models=model.manifest.raw.get("third_party") or []
        ),
        coverage=coverage,
        readings=m.readings,
        fakeprint_curve=m.fakeprint_curve,
    )


def _notes(
    m: Measurements, model: LoadedModel, scored: TrackScore, shown: "_Shown", held_tone: bool, detectors: list
) -> list:
    """The plain-language notes (core.notes) on what the verdict can and cannot mean for this input."""
    return make_notes(
        NoteInputs(
            decision_reasons=scored.decision.reasons,
            container_notes=m.container_notes,
            polarity_inverted=m.polarity_inverted,
            skipped_at_s=m.skipped_at_s,
            fakeprint=m.fakeprint,
            content_s=m.content_s,
            held_tone=held_tone,
            cnn_shifted=scored.cnn_shift > 0,
            cnn_limited=CnnReference.limited(m.bandwidth_hz, m.info.duration_s),
            info=m.info,
            probability=scored.decision.probability,
            interval=scored.decision.interval,
            verdict=scored.decision.verdict,
            window_probs=shown.window_probs,
            bandwidth_hz=m.bandwidth_hz,
            silent_share=m.silent_share,
            clipped_share=m.clipped_share,
            comb=m.comb,
            families=model.manifest.families,
            model_trained=model.manifest.trained,
            model_card=model.manifest.model_card,
            model_modified=(
                (model.bundle.sha256, model.bundle.released_sha256)
                if model.bundle is not None and model.bundle.modified
                else None
            ),
            threshold_fake=model.calibration.threshold_fake,
            threshold_real=model.calibration.threshold_real,
            deciding_profile=_deciding_profile(scored.decision, detectors),
        )
    )


def _deciding_profile(decision, detectors) -> Optional[dict]:
    """The profile a likely-AI verdict rests on (its facts, see detectors.profiles.profile_facts), or None."""
    p = decision.by_detector.get(PROFILES)
    if decision.verdict != "likely_fake" or p is None or abs(p - decision.probability) > 1e-9:
        return None
    row = next((d for d in detectors if d.name == PROFILES), None)
    if row is None:
        return None
    return next((x for x in row.details.get("profiles", ()) if x.get("name") == row.details.get("closest")), None)


@dataclass(frozen=True)
class _Shown:
    """What the window and the report draw of the CNN: heatmap, windows and their probabilities."""

    heatmap: Heatmap
    windows: list[WindowScore]
    window_probs: np.ndarray
    shift: float  # logits subtracted from patch and window logits before they are drawn
    display_cap: float  # patch/window values shown at most (HELD_DISPLAY where the CNN's reading is no evidence)


def _shown(m: Measurements, cal, rules: EvidenceRules, scored: TrackScore, display_cap: float) -> _Shown:
    # Heatmap, windows and the CNN's own probability are drawn on a scale anchored at what real music
    # and synth sounds reach (fusion.EvidenceRules.cnn_display_shift), and on band-limited input
    # against real music of the same bandwidth (fusion.CnnReference), as the probability reads them:
    # raw patch outputs painted red on a human synth track would read as evidence that is not there.
    shift = rules.cnn_display_shift(cal) + scored.cnn_shift
    heatmap = Heatmap(
        real_share=patch_real_share(cal.patch_null, m.fake_map - scored.cnn_shift, painted=display_cap >= 1.0),
        time_edges_s=m.time_edges_s,
        freq_edges_hz=m.freq_edges_hz,
        logits=m.fake_map.astype(np.float32),
    )
    w_probs = np.minimum(cal.window_probability(window_logits_from_map(m.fake_map) - shift), display_cap)
    n_cols, edges = m.fake_map.shape[1], m.time_edges_s
    windows = [
        WindowScore(float(edges[s]), float(edges[min(s + WINDOW_CELLS, n_cols)]), float(q))
        for s, q in zip(range(0, n_cols, WINDOW_CELLS), w_probs)
    ]
    return _Shown(heatmap, windows, np.asarray(w_probs), shift, display_cap)


def _attribution(m: Measurements, model: LoadedModel, decision) -> dict[str, float]:
    """Which family the CNN's texture resembles: meaningful only where the CNN is admissible evidence
    (a held synth tone is not "tconv"); {} otherwise."""
    names = model.manifest.families
    if (
        decision.verdict != "likely_fake"
        or "cnn_confounded" in decision.reasons
        or not m.family_map.size
        or len(names) < 2
    ):
        return {}
    fl = m.family_map.reshape(len(names), -1).mean(axis=1)
    e = np.exp(fl - fl.max())
    return {n: float(v) for n, v in zip(names, e / e.sum())}


def _provenance(
    m: Measurements,
    model: LoadedModel,
    rules: EvidenceRules,
    scored: TrackScore,
    shift: float,
    command: str,
    profiles: Sequence[Profile] = (),
) -> Provenance:
    cal, decision = model.calibration, scored.decision
    settings = {
        "threshold_likely_fake": cal.threshold_fake,
        "threshold_no_traces_found": cal.threshold_real,
        "evidence_rules": rules.to_dict(),
        "probability_by_detector": decision.by_detector,
        "cnn_display_shift_logit": round(shift, 4),
        "cnn_bandwidth_shift_logit": round(scored.cnn_shift, 4),
        "cnn_line_logit": _finite_or_none(rules.cnn_line(m.bandwidth_hz, m.info.duration_s)),
        "heatmap_reference": None if cal.patch_null is None else cal.patch_null.summary(),
        "content_s": round(m.content_s, 2),
        "stationarity": m.stationarity,
        "learned_probability": scored.learned_p,  # the fused CNN+comb probability before any cap
        "learned_interval": list(scored.learned_interval),
        "window_cells": WINDOW_CELLS,
        "tile_cells": TILE_CELLS,
        "halo_cells": HALO_CELLS,
        "input_contract": model.manifest.contract.to_dict(),
        "effective_bandwidth_hz": round(m.bandwidth_hz, 1),
        # every generator profile applied, with its seal: a report names what it rests on
        "profiles_applied": [
            {"name": p.generator, "kind": p.kind, "sha256": p.sha256 or p.sealed().sha256} for p in profiles
        ],
    }
    minfo = ModelInfo(
        name=model.manifest.name,
        version=model.manifest.version,
        sha256=model.weights_sha256,
        calibration_version=cal.version,
        families=model.manifest.families,
        bundle_sha256=model.manifest.bundle_sha256,
        modified=model.modified,
    )
    return Provenance(
        app_version=__version__,
        model=minfo,
        settings=settings,
        analysed_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        command=command,
    )
