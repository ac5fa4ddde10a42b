"""The report's fixed wording and number formatting, kept apart from the layout so the
text an artist and a reviewer read can be checked in one place."""

from __future__ import annotations

from typing import Optional

from ..core.vocabulary import VERDICT_MEANING, format_clock, format_probability  # noqa: F401 - the window's wording

SEVERITY_WORDS = {
    "info": "For information",
    "caution": "Caution",
    "warning": "Warning: weakens the result",
}
SEVERITY_COLOURS = {"info": "#2f5d8a", "caution": "#8a5a00", "warning": "#a3161b"}

PROBABILITY_MEANS = (
    "The probability is the app's estimate, for the whole track, that its audio carries traces of "
    "the generator kinds this app covers (listed in the box above). It is the strongest of three separately "
    "checked lines of evidence (table 3.3): the patch CNN combined with the comb's reading (calibrated on "
    "labelled reference tracks: real music, and music passed through the covered generator kinds), the "
    "spectral comb on its own and the fakeprint, the last two placed on that scale "
    "around thresholds set against real music. Among reference tracks that received {p_value}, "
    "{n} in 100 carried such traces; where AI music is rarer than among the reference tracks, the same "
    "value means a smaller chance. The range ({range_words}) shows how much the estimate "
    "depends on which parts of the track are examined."
)

PROBABILITY_DOES_NOT_MEAN = [
    "It is <b>not a percentage of AI content</b>: {pct} does not mean that {pct} of the song "
    "was made with AI, nor that AI was used for {pct} of the production.",
    "It says nothing about who wrote, performed or produced the music, and nothing about AI "
    "tools used for composition, lyrics or mixing that leave no trace in the sound.",
    "It is a statistical indication, not proof. Processing such as lossy encoding, heavy "
    "limiting or some effects can move the score (see the confidence notes and robustness "
    "sections).",
]

NOT_PROOF_OF_HUMAN = (
    "A low or undecided result is <b>not proof of human origin</b>. The detectors only recognise "
    "the generator kinds they cover (listed in the box above). A generator of another kind may "
    "leave no trace that these detectors know, so a low score cannot rule it out."
)

CONTEST_MATERIAL = [
    "<b>Stems</b>: the separate tracks (vocals, drums, bass, instruments) as exported from the session.",
    "<b>Project files / DAW sessions</b> (e.g. Ableton .als, Logic, Pro Tools, FL Studio, "
    "Reaper projects) with the plug-ins and samples they use.",
    "<b>Earlier versions and drafts</b>: demos, rough mixes, pre-master versions, with their dates.",
    "<b>Raw recordings</b>: original takes from microphones or instruments, phone memos, rehearsal recordings.",
    "<b>Timestamps</b>: file creation dates, cloud-storage or e-mail history, studio "
    "bookings, collaborator messages that date the work.",
    "Details of the mastering and distribution chain (which service encoded the file, "
    "any AI-based tools used for mastering, stem separation or restoration), since these "
    "can leave artefacts of their own.",
]

REVIEWER_DECISIONS = [
    "Flag upheld",
    "Flag withdrawn",
    "More material requested",
    "Referred for expert listening",
]


def fmt_bytes(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            break
        size /= 1000
    human = f"{n:,} bytes" if unit == "bytes" else f"{n:,} bytes ({size:.1f} {unit})"
    return human


def fmt_clock(seconds: float) -> str:
    """``m:ss.s`` (or ``h:mm:ss.s``) for time ranges a reviewer can find in a player (core.vocabulary.format_clock)."""
    return format_clock(seconds, 1)


def fmt_duration(seconds: float) -> str:
    return f"{fmt_clock(seconds)} ({seconds:.2f} s)"


def fmt_channels(n: int) -> str:
    names = {1: "mono", 2: "stereo"}
    return f"{n} ({names[n]})" if n in names else str(n)


def fmt_prob(p: Optional[float]) -> str:
    """A probability as people read it: '37 %', never '0 %' or '100 %' (see core.vocabulary)."""
    return "n/a" if p is None else format_probability(p)


def fmt_rate(rate: Optional[float]) -> str:
    """A false-positive rate as a share of real tracks, or "not measured"."""
    if rate is None:
        return "not measured"
    if rate == 0:
        return "none"
    return f"{rate * 100:.1f} % ({rate:.4f})"


def fmt_value(value: object) -> str:
    """Plain data as words: no Python reprs, no scientific notation for ordinary numbers."""
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "n/a"}[value]
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict):
        return "; ".join(f"{k} = {fmt_value(v)}" for k, v in value.items()) or "(none)"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt_value(v) for v in value) or "(none)"
    return str(value)


_ACRONYMS = {"auc": "AUC", "cnn": "CNN", "fp": "FP", "ece": "ECE", "mp3": "MP3", "aac": "AAC", "sha256": "SHA-256"}


def humanize_key(key: str) -> str:
    words = str(key).replace("_", " ").replace("-", " ").strip().split()
    words = [_ACRONYMS.get(w.lower(), w) for w in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]
