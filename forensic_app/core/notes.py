"""Confidence notes: plain-language rules over the input and the result.

Each note says what the score can and cannot mean for this input, written for an artist,
not an engineer. Codes are stable (tests, JSON consumers); texts may improve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from .fusion import FULL_BAND_HZ as BAND_LIMIT_HZ, SHORT_S as SHORT_CLIP_S  # one definition of short and band-limited
from .result import CombEvidence, InputInfo, Note
from .vocabulary import MODIFIED_MODEL_NOTE, generator_name, modified_model_text

SILENT_SHARE = 0.3
CLIPPED_SHARE = 0.001
BOUNDARY_MARGIN = 0.1


@dataclass
class NoteInputs:
    info: InputInfo
    probability: float
    interval: tuple[float, float]
    verdict: str
    window_probs: np.ndarray
    bandwidth_hz: float
    silent_share: float
    clipped_share: float
    comb: Optional[CombEvidence]
    families: tuple[str, ...]
    model_trained: bool
    model_card: dict[str, Any] = field(default_factory=dict)
    threshold_fake: float = 0.9
    threshold_real: float = 0.2
    decision_reasons: tuple[str, ...] = ()  # from fusion.decide(): "cnn_confounded", "no_content"
    container_notes: tuple[str, ...] = ()  # from the audio source: "unfinalised_wav", "chained_ogg"
    polarity_inverted: bool = False
    fakeprint: Optional[Any] = None  # FakeprintEvidence
    content_s: Optional[float] = None  # seconds of audio above -60 dBFS
    held_tone: bool = False  # content.Stationarity at or above its threshold
    cnn_shifted: bool = (
        False  # the CNN's reading was placed against real music of the same bandwidth (fusion.CnnReference)
    )
    cnn_limited: bool = False  # band-limited or short input: the CNN alone answers to the line set on such real music
    model_modified: Optional[tuple[str, str]] = None  # (bundle sha256, released sha256) when not the released bundle
    skipped_at_s: tuple[float, ...] = ()  # where the decoder skipped damaged data (AudioSource.skipped_at_s)
    deciding_profile: Optional[dict[str, Any]] = (
        None  # detectors.profiles.profile_facts of the profile a verdict rests on
    )


CONTAINER_NOTES = {
    "unfinalised_wav": (
        "info",
        "The WAV file's size fields were never filled in (an unfinalised recording, e.g. "
        "from a recorder that was stopped abruptly). The audio was read to the end of the file.",
    ),
    "mp3_length_estimated": (
        "caution",
        "This MP3 does not state its length (no Xing/Info frame) and ffmpeg is not "
        "installed, so the decoder had to estimate it: the end of the track may not have been "
        "analysed. Install ffmpeg to decode such files in full.",
    ),
    "chained_ogg": (
        "info",
        "This Ogg file holds several streams one after another (a chained stream, as stream "
        "rips make). All of them were decoded and analysed as one recording.",
    ),
}


def clock(t_s: float) -> str:
    """0:03, 12:07, 1:02:05."""
    t = int(t_s)
    return f"{t // 3600}:{t // 60 % 60:02d}:{t % 60:02d}" if t >= 3600 else f"{t // 60}:{t % 60:02d}"


def skipped_words(at_s: tuple[float, ...]) -> str:
    """The note for damaged data the decoder skipped, at the places it did."""
    shown = ", ".join(clock(t) for t in at_s[:5]) + (f" and {len(at_s) - 5} more places" if len(at_s) > 5 else "")
    return (
        f"The decoder met damaged data in this file and skipped it (at about {shown}): the audio there is "
        "missing or distorted, and what was analysed is not quite what the file should hold. Get an intact "
        "copy of the file (the original export or download) and analyse that if those moments matter."
    )


def profile_note(p: dict[str, Any]) -> tuple[str, str, str]:
    """(code, severity, text) for a verdict that rests on a generator profile: which one, from how many
    examples, when, its validation figures and its sha256; a user's own profile says so first."""
    v = p.get("validation") or {}
    figs = []
    det = v.get("cv_detection", v.get("detection_logo"))
    if det is not None:
        figs.append(f"it recognised {float(det):.0%} of its own examples held out in turn")
    fp = v.get("fp_leave_one_source_out_max", v.get("fp_reference_loso_max"))
    if fp is not None:
        figs.append(
            "no real-music source of the reference reached it, each held out of the fit in turn"
            if fp == 0
            else f"at most {float(fp):.1%} of a real-music source of the reference reached it, each held out "
            "of the fit in turn"
        )
    name, ver = generator_name(p.get("name", "?")), str(p.get("version") or "")
    if ver and ver.split()[0].lower() not in name.lower():
        name += f" ({ver})"
    made = f"taught from {p.get('n_examples', '?')} examples" + (f" on {p['created']}" if p.get("created") else "")
    body = f"{made}" + (f"; {'; '.join(figs)}" if figs else "") + f". Profile sha256 {p.get('sha256', '')}."
    if p.get("kind") == "user":
        return (
            "user_profile_decided",
            "caution",
            f"This verdict rests on a generator profile taught on this computer, not on one shipped with the app: "
            f"'{name}', {body} Anyone checking this result needs that profile file (forensic-app profile export).",
        )
    return (
        "profile_decided",
        "info",
        f"This verdict rests on the built-in generator profile of {name}: the fingerprint its decoder leaves "
        f"(any generator built on the same decoder leaves it too); {body}",
    )


def make_notes(x: NoteInputs) -> list[Note]:
    notes: list[Note] = []
    add = lambda code, sev, text: notes.append(Note(code, sev, text))  # noqa: E731
    info = x.info

    if x.model_modified:  # first: nothing below means what it says for the released app
        add(MODIFIED_MODEL_NOTE, "warning", modified_model_text(*x.model_modified))

    if "no_content" in x.decision_reasons:
        add(
            "no_content",
            "warning",
            f"Only {x.content_s or 0:.1f} s of the audio rises above -60 dBFS: this is near-silence, room tone or a "
            "constant level (a DC offset, which is no sound), with no musical content to examine. The detectors' "
            "readings on such input mean nothing, so the result stays 'inconclusive' whatever they read.",
        )
    elif "cnn_confounded" in x.decision_reasons and not x.held_tone:
        add(
            "cnn_confounded",
            "caution",
            "The patch CNN's average reading on this track is high, but held synthesizer tones (sawtooth, square, detuned pads), "
            "vocoders and bitcrushers produce the same evenly spaced harmonic texture, and real music made with them "
            "reaches scores this high"
            + (
                ". So do real recordings that are short or band-limited like this one (recorded singing among them)"
                if x.cnn_limited
                else ""
            )
            + ". Without support from the line-pattern or fakeprint detectors that score cannot "
            "show AI generation, so no 'likely AI' verdict is given.",
        )
    for code in x.container_notes:
        if code in CONTAINER_NOTES:
            add(code, *CONTAINER_NOTES[code])
    if x.skipped_at_s:
        add("decoder_skipped", "caution", skipped_words(x.skipped_at_s))
    if x.polarity_inverted:
        add(
            "polarity_inverted",
            "caution",
            "One channel of this file is polarity-inverted: added together, the channels cancel out (a mono "
            "player would play near silence). The analysis flipped that channel back before mixing. Check the "
            "file's export or wiring.",
        )
    if x.fakeprint is not None and not x.fakeprint.measured and "no_content" not in x.decision_reasons:
        add(
            "fakeprint_not_measured",
            "info",
            f"The fakeprint detector for Suno/Udio output could not measure this file ({x.fakeprint.reason}); "
            "it contributes nothing to the result.",
        )
    if not x.model_trained:
        add(
            "untrained_model",
            "warning",
            "This copy of the app is running a development model with random weights, not a trained detector. "
            "Its scores mean nothing; do not use them to judge this track.",
        )
    if info.duration_s < SHORT_CLIP_S:
        add(
            "short_clip",
            "caution",
            f"The audio is only {info.duration_s:.1f} seconds long. Scores on short excerpts vary more, and the "
            "line-pattern check needs at least 10 seconds. Analyse the full track if you can.",
        )
    if info.is_lossy:
        add(
            "lossy_container",
            "caution",
            f"This file is lossy-compressed ({info.format}/{info.subtype}). Compression removes detail and can hide "
            "or imitate the traces the detector looks for. If you have the original lossless master (WAV/FLAC), "
            "analyse that instead.",
        )
    if x.bandwidth_hz < BAND_LIMIT_HZ:
        add(
            "band_limited",
            "caution",
            f"The file has little or no content above {x.bandwidth_hz / 1000:.1f} kHz (typical of MP3s, streaming "
            "copies or low sample rates). Part of the evidence the detector uses lives above that, so the score is "
            "less reliable for this file."
            + (
                " The patch CNN reads band-limited audio higher, so its reading was compared with real recordings of "
                "the same bandwidth."
                if x.cnn_shifted
                else ""
            ),
        )
    if info.sample_rate > 48000:
        add(
            "high_rate",
            "info",
            f"The file is sampled at {info.sample_rate / 1000:g} kHz. It was analysed at 44.1 kHz: content above "
            "22 kHz was not examined.",
        )
    if info.channels > 2:
        add(
            "multichannel",
            "info",
            f"The file has {info.channels} channels. They were mixed to mono for analysis; analyse stems "
            "separately to check each one.",
        )
    if x.held_tone:
        add(
            "held_tone",
            "info",
            "This audio is a held tone: the same partials from one second to the next, as a single synthesizer note "
            "or a held pad makes. Such partials can also form evenly spaced lines like those the comb detector looks "
            "for, so neither the patch CNN nor the comb can tell anything about who made it.",
        )
    if x.silent_share > SILENT_SHARE and "no_content" not in x.decision_reasons:
        add(
            "silent_share",
            "caution",
            f"About {x.silent_share:.0%} of the audio is silent or nearly silent. The score rests on the "
            "remaining part only.",
        )
    if x.clipped_share > CLIPPED_SHARE:
        add(
            "clipping",
            "caution",
            f"{x.clipped_share:.2%} of the samples are at full scale (clipped). Heavy clipping adds distortion "
            "that can affect the score.",
        )
    lo, hi = x.interval
    near = min(abs(x.probability - x.threshold_fake), abs(x.probability - x.threshold_real)) < BOUNDARY_MARGIN
    if (near or (lo < x.threshold_real < hi) or (lo < x.threshold_fake < hi)) and not x.decision_reasons:
        add(
            "near_boundary",
            "caution",
            "The score is close to a decision boundary, or its range crosses one: small changes to the file "
            "(re-encoding, trimming) could move the verdict. Treat it as undecided.",
        )
    wp = np.asarray(x.window_probs, float)
    if wp.size >= 4 and np.mean(wp >= 0.8) >= 0.1 and np.mean(wp <= 0.2) >= 0.1:
        add(
            "windows_disagree",
            "caution",
            "Different parts of the track score very differently. This can mean that only part of the track was "
            "generated or edited, or that some passages are simply unusual for the detector. Listen to the "
            "highlighted regions before drawing conclusions.",
        )
    if x.comb is not None and x.comb.real_fp_rate is not None and x.comb.z_score > 4 and x.comb.real_fp_rate > 0.05:
        add(
            "comb_common_in_real",
            "info",
            f"A regular line pattern was found, but patterns this strong also occur in {x.comb.real_fp_rate:.0%} of "
            "the real music we measured, so on its own it proves little.",
        )
    if x.verdict != "likely_fake":
        add(
            "uncovered_generators",
            "info",
            "A low or undecided score is not proof that a person made this track: the detectors only recognise "
            "the generator kinds they cover (listed with the verdict), and a generator of another kind can leave "
            "no trace they know.",
        )
    if x.deciding_profile:
        add(*profile_note(x.deciding_profile))
    if x.verdict == "likely_fake":
        add(
            "fake_meaning",
            "info",
            "This score means the audio carries traces similar to those left by the AI generators this app covers. "
            "It is not a percentage of AI content, and some production tools (certain effects, codecs, resampling) "
            "can leave similar traces. Check the highlighted regions and the line-pattern evidence.",
        )
    return notes
