"""The words and number formats a person reads, in one place for window, CLI and report.

Rule one of this project: never a verdict the evidence cannot carry. No artefact detector can
say that a person made a track, so the low band is ``no_traces_found`` ("no traces of the AI
generators this app covers"), always shown with the coverage, and probabilities are never
printed as 0 % or 100 %.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np

VERDICTS = ("no_traces_found", "inconclusive", "likely_fake")
VERDICT_WORDS = {
    "no_traces_found": "No traces of the AI generators this app covers",
    "inconclusive": "Inconclusive",
    "likely_fake": "Likely AI-generated",
}
VERDICT_SHORT = {  # for tables (the queue): the same meaning, fewer words
    "no_traces_found": "No traces found",
    "inconclusive": "Inconclusive",
    "likely_fake": "Likely AI-generated",
}
VERDICT_MEANING = {
    "no_traces_found": (
        "None of the detectors found the traces that the generator kinds this app covers leave behind. "
        "This is not evidence that a person made the track: generators of other kinds can leave no trace "
        "that these detectors know."
    ),
    "inconclusive": (
        "The evidence is too weak, too mixed or too easily imitated by ordinary production to say either way. "
        "This result should not be used on its own to treat the track as AI-generated."
    ),
    "likely_fake": (
        "At least one detector found traces typical of audio produced by (or passed through) an AI generator "
        "of a kind this app covers, beyond what the real music we measured reaches."
    ),
}
# One probability palette for window and report (heatmap, window timeline, colour bars), as numeric
# stops that pyqtgraph (gui/colours.py) and matplotlib (report/figures.py) both build from: calm blue
# (no traces) -> amber -> red (likely AI-generated), distinct from the magma/inferno spectrogram maps
# and readable with the common red-green colour-vision deficiency (blue/amber carry the contrast).
# Alpha (0-255) grows with the probability so low values let the spectrogram show through.
PROBABILITY_STOPS = (0.0, 0.35, 0.5, 0.65, 1.0)
PROBABILITY_RGB = ((40, 110, 220), (70, 180, 230), (245, 235, 110), (250, 150, 40), (230, 30, 40))
PROBABILITY_ALPHA = (25, 50, 140, 205, 235)
# The heatmap colours a patch by how rare its reading is among real-music patches (its
# ``real_share``, see core.patch_null): uncoloured where at least 1 in 100 real patches reach it,
# full red where at most 1 in 10,000 do, log-linear between. Ticks for the colour bars.
HEAT_UNCOLOURED_SHARE = 1e-2
HEAT_FULL_SHARE = 1e-4
HEAT_LABEL = "Reached by this share of real-music patches"
HEAT_LABEL_SHORT = ("Share of real-music patches", "Real share")  # where a colour bar is too short for it
HEAT_TICKS = ((0.0, "1 %"), (0.5, "0.1 %"), (1.0, "0.01 %"))  # strength -> tick label (coloured below 1 %)


def heat_strength(real_share):
    """Colour strength 0..1 of a heatmap patch from its real-music share (array or scalar)."""
    s = np.maximum(np.asarray(real_share, dtype=np.float64), 1e-12)
    span = np.log10(HEAT_UNCOLOURED_SHARE / HEAT_FULL_SHARE)
    return np.clip(np.log10(HEAT_UNCOLOURED_SHARE / s) / span, 0.0, 1.0)


def share_words(real_share: float) -> str:
    """'reached by 1 in 2,300 real-music patches' style words for one patch's share."""
    if real_share >= 0.5:
        return "an ordinary reading for real music"
    n = 1.0 / max(real_share, 1e-12)
    if n >= 1e5:
        return "reached by fewer than 1 in 100,000 real-music patches"
    return f"reached by about 1 in {float(f'{n:.2g}'):,.0f} real-music patches"


# One verdict palette for window and report: slate (no traces; deliberately not a reassuring green),
# amber (undecided), red (likely AI).
VERDICT_COLOURS = {"no_traces_found": "#35608f", "inconclusive": "#8a5a00", "likely_fake": "#b0202a"}
# When the evidence cannot carry a probability (fusion.decide's reasons), the value shown is held
# at a fixed point and says so instead of reading as a calibrated estimate.
HELD_WORDS = {
    "no_content": (
        "This value is held at the bottom of the undecided range: there is no musical content to "
        "examine, so it is not an estimate of anything."
    ),
    "held_tone": (
        "This value is held at the bottom of the undecided range: the audio is a held tone, on which "
        "the detectors' readings are not evidence, so it is not an estimate of anything."
    ),
    "cnn_confounded": (
        "This value is held just below the 'likely AI-generated' line: on its own, the patch CNN's "
        "high reading is within what real music and synthesizer sounds reach, so it is not evidence "
        "and not a calibrated estimate."
    ),
}


def held_reason(note_codes) -> str | None:
    """The reason a result's probability is held (see HELD_WORDS), from its note codes; None if it is not."""
    codes = set(note_codes)
    return next((c for c in HELD_WORDS if c in codes), None)


# fusion.Decision.by_detector's lines of evidence -> the evidence source each is named after in outputs
DECIDING_LINES = {"learned": "patch_cnn", "comb": "comb", "fakeprint": "fakeprint"}


def deciding_line(by_detector, probability: float, note_codes, tol: float = 1e-9) -> str:
    """The line of evidence whose probability is the verdict's (fusion.decide takes the strongest), by its source's
    name ("patch_cnn", "comb", "fakeprint", "profiles", ...), or "none" when the probability is held rather than read
    from any (no content; a held tone, on which the patch CNN's reading is no evidence). ``by_detector``: settings
    "probability_by_detector"; ``tol``: how far a line may sit from ``probability`` (the JSON rounds it to 6 digits)."""
    codes = set(note_codes)
    if "no_content" in codes:
        return "none"
    for line, p in (by_detector or {}).items():
        name = DECIDING_LINES.get(line, line)
        if p is not None and abs(float(p) - float(probability)) <= tol:
            return "none" if name == "patch_cnn" and "held_tone" in codes else name
    return "none"


def printed_held(note_codes, deciding: str) -> str | None:
    """Why the probability a result shows is held (a HELD_WORDS key), or None when it is an estimate. A hold
    applies only to the line it held: "no_content" always; "held_tone" and "cnn_confounded" only when the value
    shown is the patch CNN's (``deciding`` "patch_cnn" or "none"): when the comb, the fakeprint or a profile
    decided, the capped CNN plays no part in the value and the value is not held (#26)."""
    reason = held_reason(note_codes)
    if reason == "no_content" or (reason is not None and deciding in ("patch_cnn", "none")):
        return reason
    return None


# Short clips (#26): a clip shorter than this cannot carry a "No traces" headline, however low its score: two
# or three windows and no comb check (it needs 10 s) are too little to say that nothing is there. The one
# policy for window, CLI, batch and report (AnalysisResult.headline / headline_verdict); fusion.SHORT_S is
# the same 10 s. A "likely AI" or "inconclusive" verdict stands: traces found in a short clip are still traces.
MIN_NO_TRACES_S = 10.0
TOO_SHORT = "too_short"
TOO_SHORT_WORDS = "Too short to tell"
TOO_SHORT_MEANING = (
    f"The detectors found no traces in this clip, but it is shorter than {MIN_NO_TRACES_S:g} seconds: too little "
    "audio to say that nothing is there (the line-pattern check alone needs 10 seconds). Analyse the full track."
)
HEADLINE_WORDS = {**VERDICT_WORDS, TOO_SHORT: TOO_SHORT_WORDS}
HEADLINE_COLOUR_OF = {TOO_SHORT: "inconclusive"}  # a too-short headline takes the undecided colour


def headline_verdict(verdict: str, duration_s: float) -> str:
    """The verdict as every output heads with it: ``verdict``, or TOO_SHORT for a "No traces" verdict on a clip
    shorter than MIN_NO_TRACES_S seconds."""
    if verdict == "no_traces_found" and float(duration_s) < MIN_NO_TRACES_S:
        return TOO_SHORT
    return verdict


def headline_words(verdict: str, duration_s: float) -> str:
    """The headline in words (VERDICT_WORDS, or "Too short to tell")."""
    h = headline_verdict(verdict, duration_s)
    return HEADLINE_WORDS.get(h, h)


# Which line of evidence gave a result's probability (AnalysisResult.deciding_evidence), for tables (the Queue)
EVIDENCE_SHORT = {
    "patch_cnn": "Patch CNN",
    "comb": "Comb",
    "fakeprint": "Fakeprint",
    "profiles": "Generator profile",
    "none": "None (held)",
}
EVIDENCE_MEANING = {
    "patch_cnn": "The patch CNN's reading (fused with the comb's) gave the probability.",
    "comb": "The spectral comb (regular lines that upsampling decoders leave) gave the probability on its own.",
    "fakeprint": "The fakeprint (a third-party model for Suno and Udio output) gave the probability on its own.",
    "none": "No line of evidence: the probability is held (no content to examine, or a held tone).",
    "profiles": "A generator profile (the fingerprint of one generator's decoder) gave the probability on its own.",
}

PROBABILITY_LABEL = "Probability that the track carries traces of the covered generator kinds"

# A model bundle that is not the released one runs only when asked for (--allow-modified-model);
# then the note, the CLI text, the JSON ("model": {"modified": true}) and page 1 of a report say so.
MODIFIED_MODEL_NOTE = "modified_model"
MODIFIED_MODEL_WORDS = "Modified model"


def modified_model_text(bundle_sha256: str, released_sha256: str) -> str:
    """One paragraph: the result comes from a bundle that is not the released one, and what that means."""
    return (
        f"{MODIFIED_MODEL_WORDS}: this analysis ran on a model bundle that is not the released one (bundle "
        f"sha256 {bundle_sha256[:16]}..., released {released_sha256[:16]}...), on purpose (--allow-modified-model). "
        "Its input contract, calibration or detectors may differ from the released app's, so its scores and "
        "verdict are not this app's finding: do not use them to judge the track."
    )


FAMILY_WORDS = {
    "lyra": "neural speech codecs (Lyra/SoundStream-style)",
    "hifigan": "GAN vocoders (HiFi-GAN-style)",
    "griffinlim": "spectrogram inversion (Griffin-Lim, Riffusion-style)",
    "tconv": "waveform decoders with transposed-convolution upsampling (EnCodec/DAC-style codecs)",
    "upsample": "decoders with interpolation upsampling",
}
SHORT_NAMES = {
    "lyra": "Lyra (neural speech codec)",
    "hifigan": "HiFi-GAN (GAN vocoder)",
    "griffinlim": "Griffin-Lim (spectrogram inversion)",
    "tconv": "transposed-convolution decoders (EnCodec/DAC-style)",
    "upsample": "interpolation-upsampling decoders",
    "pitch_shift": "pitch shift",
    "time_stretch": "time stretch",
    "mp3": "MP3",
    "aac": "AAC",
    "opus": "Opus",
    "vorbis": "Vorbis",
    "eq": "EQ",
    "none": "none",
}


def display_name(key: str) -> str:
    """Internal names (family keys, 'real-cc:Artist_-_Title', 'pitch_shift') in words for people."""
    key = str(key)
    if key in SHORT_NAMES:
        return SHORT_NAMES[key]
    if key.startswith("real-cc:"):
        return key.split(":", 1)[1].replace("_-_", " – ").replace("_", " ") + " (CC recording)"
    return key.replace("_", " ")


FAKEPRINT_COVERAGE = "Suno (up to v5) and Udio (up to v1.5) output, through a third-party model"
NOT_COVERED = (
    "diffusion models without a neural decoder, other commercial generators and newer versions of "
    "the covered ones, and output re-encoded so heavily that the traces are gone"
)


# the built-in generator profiles' ids (core.profiles.Profile.generator) as people write them
GENERATOR_NAMES = {
    "ace-step-v1": "ACE-Step v1",
    "audioldm2-music": "AudioLDM 2 (music)",
    "diffrhythm": "DiffRhythm",
    "musicgen-large": "MusicGen large",
    "musicgen-medium": "MusicGen medium",
    "mustango": "Mustango",
    "stable-audio-2": "Stable Audio 2",
    "stable-audio-open": "Stable Audio Open",
    "tango": "Tango",
    "yue": "YuE",
}


def generator_name(profile_name: str) -> str:
    """A profile's generator as people write it (a user's own profile keeps the name they gave it)."""
    return GENERATOR_NAMES.get(profile_name, profile_name)


def profile_label(name: str, kind: str = "built-in") -> str:
    """How a generator profile is named everywhere: the generator as people write it, "(yours)" for one
    taught on this computer."""
    return generator_name(name) + (" (yours)" if kind == "user" else "")


def covered_kinds(families: Iterable[str], has_fakeprint: bool) -> list[str]:
    kinds = [FAMILY_WORDS.get(f, f) for f in families]
    if has_fakeprint:
        kinds.append(FAKEPRINT_COVERAGE)
    return kinds


def coverage_sentence(kinds: Iterable[str]) -> str:
    """One sentence from what each evidence source covers (``EvidenceSource.coverage``)."""
    kinds = list(kinds)
    return f"Covered: {'; '.join(kinds) if kinds else 'no generator kinds'}. Not covered: {NOT_COVERED}."


def coverage_line(families: Iterable[str], has_fakeprint: bool) -> str:
    """One sentence: which generator kinds are covered, which are not (results made before the
    evidence-source registry; newer ones carry ``AnalysisResult.coverage``)."""
    return coverage_sentence(covered_kinds(families, has_fakeprint))


def format_clock(seconds: float, decimals: int = 1) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour), with ``decimals`` digits of the second, as players show time.

    The value is rounded once, so 59.96 s prints as ``1:00.0``, never ``0:60.0``; negative values
    (a case lane's offset) keep their sign, a value that rounds to zero has none; "?" when not finite.
    The one time format of the window, the report and the case.
    """
    if not math.isfinite(seconds):
        return "?"
    scale = 10**decimals
    total = round(abs(float(seconds)) * scale)
    sign = "-" if seconds < 0 and total else ""
    whole, frac = divmod(total, scale)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    tail = f".{frac:0{decimals}d}" if decimals else ""
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}{tail}"
    return f"{sign}{minutes}:{secs:02d}{tail}"


def format_probability(p: float, digits: int = 0) -> str:
    """0.37 -> '37 %'; never '0 %' or '100 %': '< 1 %' and '> 99 %' instead (narrow no-break space)."""
    pct = 100.0 * float(p)
    if pct < 1.0:
        return "<\u202f1\u202f%"
    if pct > 99.0:
        return ">\u202f99\u202f%"
    return f"{pct:.{digits}f}\u202f%"


# One number style for probabilities, ranges, held values and changes, for the window, the CLI, the
# case, the batch tables and the report: "63 % (range 59-67 %)", "2.0 % (range 1.6-2.2 %)" for a
# range narrower than 2 points, "2 % (held: not an estimate)". Everything that prints a probability
# next to its range goes through probability_text; tables that print a value alone use
# format_probability; a change between two printed values goes through format_change.
RANGE_WORD = "range"
HELD_SHORT = "held: not an estimate"
_NNBSP = "\u202f"


def probability_digits(lo: float, hi: float) -> int:
    """Decimals for a value and its range: one when the range is narrower than 2 points (whole percents
    would print its ends alike or one apart), else none."""
    return 1 if 100.0 * (float(hi) - float(lo)) < 2.0 else 0


def _number(p: float, digits: int) -> str:
    return f"{100.0 * float(p):.{digits}f}"


def format_range(lo: float, hi: float, digits: int | None = None) -> str:
    """'59-67 %'; '1.6-2.2 %' for a range narrower than 2 points; 'up to 3 %', '97 % and above',
    'below 1 %', 'above 99 %' at the ends of the scale (never '0 %' or '100 %'); one value ('62.9 %')
    when both ends print alike."""
    d = probability_digits(lo, hi) if digits is None else digits
    lo_pct, hi_pct = 100.0 * float(lo), 100.0 * float(hi)
    if hi_pct < 1.0:
        return f"below 1{_NNBSP}%"
    if lo_pct > 99.0:
        return f"above 99{_NNBSP}%"
    if lo_pct < 1.0:
        return f"up to {format_probability(hi, d)}"
    if hi_pct > 99.0:
        return f"{format_probability(lo, d)} and above"
    a, b = _number(lo, d), _number(hi, d)
    return f"{a}{_NNBSP}%" if a == b else f"{a}-{b}{_NNBSP}%"


def probability_text(p: float, interval: tuple[float, float] | None = None, held: str | None = None) -> str:
    """A probability with its range, or with the word that it is held: '63 % (range 59-67 %)',
    '2.0 % (range 1.6-2.2 %)', '62.9 % (range within 0.1 points)', '2 % (held: not an estimate)'.
    The value takes the range's decimals, so the two never disagree in precision."""
    if held:
        return f"{format_probability(p)} ({HELD_SHORT})"
    if interval is None:
        return format_probability(p)
    lo, hi = interval
    d = probability_digits(lo, hi)
    value = format_probability(p, d)
    rng = format_range(lo, hi, d)
    if 0.01 <= lo and hi <= 0.99 and _number(lo, d) == _number(hi, d):  # both ends print alike at one decimal
        return f"{value} ({RANGE_WORD} within 0.1 points)"
    return f"{value} ({RANGE_WORD} {rng})"


def format_change(p: float, p0: float) -> str:
    """How far ``p`` moved from ``p0`` as the two print: 'no change' only when they print alike, else
    '+3 points' / '-1 point' (whole points, at least one when the printed values differ)."""
    a, b = format_probability(p0), format_probability(p)
    if a == b:
        return "no change"
    d = round(100.0 * float(p)) - round(100.0 * float(p0))
    if d == 0:
        d = 1 if p > p0 else -1
    return f"{d:+d} point{'s' if abs(d) != 1 else ''}"


def probability_words(p: float) -> str:
    """For sentences: 'less than 1 %', 'more than 99 %', else format_probability."""
    text = format_probability(p)
    return text.replace("<\u202f", "less than ").replace(">\u202f", "more than ")


def format_offset(seconds: float) -> str:
    """A signed time offset to the millisecond: '+0.500 s', '-1.234 s', and '0.000 s' for one that rounds to
    nothing (never '-0.000 s': a sub-millisecond offset has no direction worth a sign)."""
    text = f"{float(seconds):+.3f} s"
    return "0.000 s" if text[1:] == "0.000 s" else text


def peak_frequencies_words(freqs_hz: Iterable[float], limit: int = 5) -> str:
    """'7.40 kHz, 6.00 kHz': frequencies (strongest first) as people read them, each printed once: neighbouring
    FFT bins of one peak (7398.4 and 7400.4 Hz) read the same at this precision and are one peak. At most
    ``limit`` of them; '' for none."""
    words: list[str] = []
    for f in freqs_hz:
        f = float(f)
        w = f"{f / 1000:.2f} kHz" if abs(f) >= 1000 else f"{f:.0f} Hz"
        if w not in words:
            words.append(w)
        if len(words) == limit:
            break
    return ", ".join(words)
