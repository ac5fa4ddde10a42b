"""analyze(): one pass over a file, streaming, bounded memory, cancellable.

Decode blocks -> PCM hash/checks -> mono + resample to 44.1 kHz -> STFT frames, shared by
the heatmap network (tiles of columns with a halo), the display overview and the comb
detector -> window and track scores -> calibration -> notes -> AnalysisResult.
"""

from __future__ import annotations

import datetime as _dt
import shlex
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Optional

import numpy as np

from .. import __version__
from .audio import no_audio_error, open_audio
from .bundle import ALLOW_OPTION
from .input_facts import PcmStats, file_fingerprint, file_sha256, make_input_info, unchanged_since
from .mono import Downmix
from .comb import CombReference, comb_finding, comb_locked
from .decoded import PcmSource
from .errors import unusable_input
from .fakeprint import FakeprintEvidence
from .fusion import CnnReference, EvidenceRules
from .scoring import WINDOW_CELLS, Readings, score_track, window_logits_from_map
from .vocabulary import format_probability
from .patch_null import PatchNull
from .notes import NoteInputs, make_notes
from .progress import CancelToken, Progress, ProgressCallback, StageReporter, check
from .result import (AnalysisResult, CombEvidence, DetectorEvidence, Heatmap, ModelInfo, Provenance, WindowScore)
from .meters import TrackMeters
from .spectrogram import FrameBlock, frame_edges_s
from .tiling import HALO_CELLS, TILE_CELLS, BackgroundRunner, PatchTiler, pipelined
from .weights import load_model

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


def tail_words(duration_s: float, windows: list[WindowScore]) -> str:
    """Says when the end of the audio is shorter than one patch and so has no window of its own."""
    tail = duration_s - windows[-1].end_s if windows else 0.0
    if tail < 0.05:
        return ""
    return (f" The last {tail:.1f} s is shorter than one patch and has no window of its own "
            "(the comb and fakeprint detectors include it).")


def reproduce_command(path: Path, weights_dir: Optional[str | Path], modified: bool = False) -> str:
    """The CLI command that repeats this analysis (names the weights when they are not the shipped ones)."""
    cmd = f"forensic-app analyze {shlex.quote(str(path))} --json"
    if weights_dir is not None:
        cmd += f" --weights {shlex.quote(str(weights_dir))}"
    if modified:
        cmd += f" {ALLOW_OPTION}"
    return cmd


def fakeprint_detector(ev: FakeprintEvidence, p_alone: Optional[float], rules: EvidenceRules) -> DetectorEvidence:
    """The fakeprint detector's row: its logit, what it alone would say, and its threshold on our real music."""
    if not ev.measured:
        summary = f"Not measured: {ev.reason}. This says nothing either way."
    else:
        side = "above" if ev.logit >= rules.fakeprint_threshold_logit else "below"
        summary = (f"Logit {ev.logit:+.1f}, {side} the threshold {rules.fakeprint_threshold_logit:+.1f} set on the real music "
                   f"we measured (first {ev.seconds_used:.0f} s, 1-8 kHz peak residue).")
    return DetectorEvidence(name="fakeprint", title="Fakeprint (Suno/Udio, third-party model)", score=ev.logit,
                            probability_fake=p_alone, summary=summary,
                            details={"threshold_logit": rules.fakeprint_threshold_logit, **ev.to_dict()})


def comb_detector(ev: CombEvidence, rules: EvidenceRules, p_alone: Optional[float]) -> DetectorEvidence:
    """The comb's entry in the result, in words: what it found, how often real music shows as much,
    and whether its lines sit where a decoder puts them (the comb counts on its own only then).
    ``p_alone``: what the comb alone would say (the fusion's by_detector), None where it does not count."""
    counted = p_alone is not None
    fp = ("not measured" if ev.real_fp_rate is None else
          "none of the real tracks we measured" if ev.real_fp_rate == 0 else
          f"{format_probability(ev.real_fp_rate, 1)} of the real tracks we measured")
    if counted:
        rule = (f"On its own the comb decides from z {rules.comb_threshold_z:g}, beyond what real music and synth "
                "sounds reached.")
    elif comb_locked(ev, rules.comb_max_offset_bins):
        rule = ("On a held tone or a clip too short to tell it is no evidence: a held note's harmonics form such a "
                "comb too.")
    else:
        rule = "On its own it is no evidence."
    return DetectorEvidence(
        name="comb", title="Spectral comb (upsampling artefacts)", score=float(ev.z_score), probability_fake=p_alone,
        summary=f"{comb_finding(ev)} A comb at least this strong occurs in {fp}. {rule}",
        details={"f0_hz": ev.f0_hz, "architecture": ev.architecture, "n_lines_found": int(len(ev.lines_found_hz)),
                 "line_offset_bins": ev.line_offset_bins, "counted": counted})


def analyze(source: str | Path | PcmSource, *, weights_dir: Optional[str | Path] = None, settings: Optional[dict[str, Any]] = None,
            on_progress: Optional[ProgressCallback] = None, cancel: Optional[CancelToken] = None,
            allow_modified: Optional[bool] = None) -> AnalysisResult:
    """Analyse one audio file. Raises UnusableInputError, ModelError (BundleError) or Cancelled.

    ``allow_modified``: run a model bundle that is not the released one (default: the
    ``FORENSIC_APP_ALLOW_MODIFIED_MODEL`` environment variable); the result then says "modified model".

    ``source``: a path (decoded here, block by block), or a :class:`~.decoded.PcmSource` whose
    blocks are analysed as they are (the window's decoded copy, a robustness variant in
    memory): the same scoring either way. ``on_progress`` may be called from this (any)
    thread with :class:`Progress`.
    """
    decoded = source if isinstance(source, PcmSource) else None
    path = decoded.path if decoded is not None else Path(source)
    settings = dict(settings or {})
    if on_progress:
        on_progress(Progress(0.0, "Opening file"))
    model = load_model(weights_dir, allow_modified=allow_modified)
    c = model.manifest.contract
    with (nullcontext(decoded) if decoded is not None else open_audio(path, cancel)) as src:
        fingerprint = decoded.fingerprint if decoded is not None else file_fingerprint(path)
        file_hash = decoded.file_sha256 if decoded is not None else file_sha256(path, cancel)
        check(cancel)
        decode = StageReporter(on_progress, 0.02, 0.9, "Decoding and scanning")
        stats = PcmStats()
        ref = CombReference.from_json(model.comb_reference_path) if model.comb_reference_path else None
        meters = TrackMeters(c, src.sample_rate, src.duration_s, fakeprint=model.fakeprint, comb_reference=ref,
                             overview_columns=OVERVIEW_COLUMNS)
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
            if stats.n_samples == 0:
                raise no_audio_error(path)
            if stats.peak == 0.0:
                raise unusable_input(path, "the audio is pure digital silence, so there is nothing to analyse",
                                     "Check that you chose the right file or export")
            if meters.frames.n_frames < c.patch_frames:
                need = c.min_samples / c.sample_rate
                raise unusable_input(path, f"the audio is too short ({src.n_frames / src.sample_rate:.2f} s); "
                                           f"at least {need:.2f} s is needed", "Analyse a longer excerpt")
            network.join()
            tiler.finish()
        try:
            changed = fingerprint is not None and file_fingerprint(path) != fingerprint
        except OSError:
            changed = True
        # a same-size rewrite that puts the old mtime back keeps the fingerprint: a file decoded here is
        # hashed again, so the sha256 reported is of the bytes decoded (a decoded copy was checked when made)
        if changed or (decoded is None and not unchanged_since(path, None, file_hash, cancel)):
            raise unusable_input(path, "the file changed while it was being analysed (it is still being written, "
                                       "or was rewritten or replaced)", "Analyse it again once it is complete")
        info = make_input_info(src if decoded is None else decoded.source, file_hash or "", stats.sha256)

    if on_progress:
        on_progress(Progress(0.92, "Scoring"))
    fam_names = model.manifest.families
    fake_map, fam_map = tiler.maps(c.n_bins // model.network.stride, len(fam_names))
    stride = model.network.stride
    n_cols = fake_map.shape[1]
    time_edges = frame_edges_s(n_cols, c.hop * stride, c.n_fft, c.hop, c.sample_rate)
    bin_hz = c.sample_rate / c.n_fft
    freq_edges = np.arange(fake_map.shape[0] + 1) * stride * bin_hz
    cal = model.calibration
    rules = EvidenceRules.from_calibration(cal)
    # Heatmap, windows and the CNN's own probability are drawn on a scale anchored at what real
    # music and synth sounds reach (see fusion.EvidenceRules.cnn_display_shift): raw patch outputs
    # painted red on a human synth track would read as evidence that is not there.
    w_logits = window_logits_from_map(fake_map)
    w_starts = list(range(0, n_cols, WINDOW_CELLS))

    bandwidth = meters.bandwidth_hz()
    comb_ev, fp_ev = meters.finish()

    content_s = meters.content.content_s
    scored = score_track(cal, rules, Readings(
        window_logits=w_logits, comb_z=comb_ev.z_score if comb_ev is not None else None,
        comb_offset_bins=comb_ev.line_offset_bins if comb_ev is not None else None,
        fakeprint_logit=fp_ev.logit if fp_ev is not None else None, content_s=content_s,
        stationarity=meters.stationarity.value, duration_s=src.duration_s, bandwidth_hz=bandwidth))
    # on band-limited input the patches and windows are drawn against real music of the same
    # bandwidth too (fusion.CnnReference), as the probability reads them
    shift = rules.cnn_display_shift(cal) + scored.cnn_shift
    fake_map_placed = fake_map - scored.cnn_shift
    decision, track_logit, p_learned = scored.decision, scored.track_logit, scored.learned_p
    p, interval, verdict = decision.probability, decision.interval, decision.verdict
    # where the CNN's reading is no evidence (held tones, within what synth sounds reach, no content),
    # its patches and windows are not painted as evidence either
    held_tone = meters.stationarity.value is not None and meters.stationarity.value >= rules.static_threshold
    display_cap = HELD_DISPLAY if decision.reasons or held_tone else 1.0
    heatmap = Heatmap(real_share=patch_real_share(cal.patch_null, fake_map_placed, painted=display_cap >= 1.0),
                      time_edges_s=time_edges, freq_edges_hz=freq_edges, logits=fake_map.astype(np.float32))
    w_probs = np.minimum(cal.window_probability(w_logits - shift), display_cap)
    windows = [WindowScore(float(time_edges[s]), float(time_edges[min(s + WINDOW_CELLS, n_cols)]), float(q))
               for s, q in zip(w_starts, w_probs)]

    attribution: dict[str, float] = {}
    # which family the CNN's texture resembles means something only where the CNN is admissible
    # evidence (a held synth tone is not "tconv")
    if verdict == "likely_fake" and "cnn_confounded" not in decision.reasons and fam_map.size and len(fam_names) > 1:
        fl = fam_map.reshape(len(fam_names), -1).mean(axis=1)
        e = np.exp(fl - fl.max())
        attribution = {n: float(v) for n, v in zip(fam_names, e / e.sum())}

    detectors = [DetectorEvidence(
        name="patch_cnn", title="Patch CNN (time-frequency heatmap)", score=track_logit,
        probability_fake=float(min(cal.window_probability(np.array([track_logit - rules.cnn_display_shift(cal)]))[0],
                                   display_cap)),
        summary=(f"Window evidence averages {format_probability(float(np.mean(w_probs)))} over {len(windows)} "
                 f"window{'s' if len(windows) != 1 else ''}; the highest is {format_probability(max(w_probs))}."
                 + tail_words(info.duration_s, windows)) if len(windows) else "No complete window.",
        details={"n_windows": len(windows), "max_window_probability": float(max(w_probs)) if len(windows) else None,
                 "heatmap_shape": list(fake_map.shape)})]
    if fp_ev is not None:
        detectors.append(fakeprint_detector(fp_ev, decision.by_detector.get("fakeprint"), rules))
    if comb_ev is not None:
        detectors.append(comb_detector(comb_ev, rules, decision.by_detector.get("comb")))

    notes = make_notes(NoteInputs(
        decision_reasons=decision.reasons, container_notes=src.container_notes, polarity_inverted=downmix.inverted,
        skipped_at_s=tuple(src.skipped_at_s), fakeprint=fp_ev, content_s=content_s,
        held_tone=held_tone, cnn_shifted=scored.cnn_shift > 0,
        cnn_limited=CnnReference.limited(bandwidth, src.duration_s),
        info=info, probability=p, interval=interval, verdict=verdict, window_probs=np.asarray(w_probs),
        bandwidth_hz=bandwidth, silent_share=meters.content.silent_share,
        clipped_share=stats.n_clipped / max(stats.n_samples, 1), comb=comb_ev, families=fam_names,
        model_trained=model.manifest.trained, model_card=model.manifest.model_card,
        model_modified=(model.bundle.sha256, model.bundle.released_sha256) if model.modified else None,
        threshold_fake=cal.threshold_fake, threshold_real=cal.threshold_real))

    settings.update({"threshold_likely_fake": cal.threshold_fake, "threshold_no_traces_found": cal.threshold_real,
                     "evidence_rules": rules.to_dict(), "probability_by_detector": decision.by_detector, "cnn_display_shift_logit": round(shift, 4),
                     "cnn_bandwidth_shift_logit": round(scored.cnn_shift, 4),
                     "cnn_line_logit": _finite_or_none(rules.cnn_line(bandwidth, src.duration_s)),
                     "heatmap_reference": None if cal.patch_null is None else cal.patch_null.summary(),
                     "content_s": round(content_s, 2), "stationarity": meters.stationarity.value, "learned_probability": p_learned,  # the fused CNN+comb probability before any cap
                     "learned_interval": list(scored.learned_interval),
                     "window_cells": WINDOW_CELLS, "tile_cells": TILE_CELLS, "halo_cells": HALO_CELLS,
                     "input_contract": c.to_dict(), "effective_bandwidth_hz": round(bandwidth, 1)})
    minfo = ModelInfo(name=model.manifest.name, version=model.manifest.version, sha256=model.weights_sha256,
                      calibration_version=cal.version, families=fam_names, bundle_sha256=model.manifest.bundle_sha256,
                      modified=model.modified)
    prov = Provenance(app_version=__version__, model=minfo, settings=settings,
                      analysed_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                      command=reproduce_command(path, weights_dir, model.modified))
    if on_progress:
        on_progress(Progress(1.0, "Done"))
    return AnalysisResult(input=info, probability_fake=p, interval=interval, verdict=verdict, windows=windows,
                          heatmap=heatmap, overview=meters.frames.overview(), detectors=detectors, comb=comb_ev,
                          attribution=attribution, notes=notes, provenance=prov, fakeprint=fp_ev,
                          model_card=dict(model.manifest.model_card or {},
                                          third_party_models=model.manifest.raw.get("third_party") or []))
