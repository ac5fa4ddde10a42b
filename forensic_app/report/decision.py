"""What a report may say, decided once from the result (#26: no contradiction by construction).

:func:`decide` reads an :class:`~forensic_app.core.result.AnalysisResult` and returns one
:class:`ReportDecision`: the headline (the verdict, or "Too short to tell" for a "No traces" on a
clip too short to tell: :func:`core.vocabulary.headline_verdict`), which line of evidence decided
and in which words, what was held and why, the probability paragraph, the notes as the pages print
them, and which windows a region table may list. Every section of the report (summary, appendix,
case report) draws these from here, so no page can say what another contradicts: a likely-AI
verdict never carries "held just below the line", a "No traces" never "treat it as undecided",
and a region table above 50 % under "No traces" always says why.

Headless: no reportlab, no Qt; the CLI and the window may use it as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from forensic_app.core.result import AnalysisResult, Note, WindowScore
from forensic_app.core.vocabulary import (
    HEADLINE_COLOUR_OF,
    HELD_WORDS,
    TOO_SHORT,
    TOO_SHORT_MEANING,
    VERDICT_MEANING,
    format_probability,
    format_range,
    generator_name,
    probability_digits,
    probability_text,
)

# the sources' names as a sentence says them
SOURCE_WORDS = {
    "patch_cnn": "the patch CNN",
    "comb": "the spectral comb",
    "fakeprint": "the fakeprint",
    "profiles": "a generator profile",
    "none": "no line of evidence",
}

DECIDED_BECAUSE = {
    "patch_cnn": (
        "the patch CNN, which reads the fine time-frequency texture of the sound: its reading on this "
        "track is beyond what the real music we measured reaches"
    ),
    "comb": (
        "the spectral comb: the track's long-term spectrum carries evenly spaced lines on the exact spacing "
        "that a neural decoder's upsampling leaves, stronger than in the real music we measured"
    ),
    "fakeprint": (
        "the fakeprint, a third-party model for Suno and Udio output that reads the peaks of the track's "
        "average spectrum: its reading is beyond the line set on the real music we measured"
    ),
}

PROBABILITY_MEANS = (
    "The probability is the app's estimate, for the whole track, that its audio carries traces of the generator "
    "kinds this app covers. It is the strongest of the separately checked lines of evidence (the appendix lists "
    "each); here that is {source}. Among reference tracks that received {p_value}, {n} in 100 carried such "
    "traces; where AI music is rarer than among the reference tracks, the same value means a smaller chance. The "
    "range ({range_words}) shows how much the estimate depends on which parts of the track are examined."
)

REGIONS_LISTED = 3  # the summary's region table lists at most this many windows

REGION_WHY_NO_TRACES = (
    "Single windows reach up to {top}. A few seconds of audio are a much weaker test than the whole track: short "
    "passages of real music reach such values now and then, and the verdict rests on the whole track, whose "
    "evidence stays within what real music reaches. The windows are listed as places to listen, not as findings."
)
REGION_HELD = (
    "No region is listed as a finding: the per-window readings are the patch CNN's, and on this track "
    "they are not evidence (the probability is held, see above)."
)
TIMELINE_OTHER_SOURCE = (
    "The timeline shows the patch CNN's reading window by window; the verdict rests on {source}, "
    "which reads the whole track at once and has no timeline of its own."
)

HELD_BECAUSE = {
    "no_content": "there is no musical content to examine.",
    "held_tone": "the audio is a held tone, on which the detectors' readings are not evidence.",
    "cnn_confounded": (
        "the patch CNN reads high, but real music and synthesizer sounds reach readings this high, "
        "and no other check supports it."
    ),
}

VERDICT_BASIS_WORDS = {
    "profile_kind_builtin": "a built-in profile, shipped and sealed with the app's model",
    "profile_kind_user": "a profile taught on this computer by its user, not one shipped with the app",
}


@dataclass(frozen=True)
class ReportDecision:
    verdict: str  # the result's verdict code
    headline: str  # verdict, or vocabulary.TOO_SHORT
    headline_words: str
    colour_key: str  # the verdict whose colour the headline takes
    meaning: str  # what the headline means (VERDICT_MEANING, or the too-short sentence)
    deciding: str  # result.deciding_evidence
    decided_sentence: str  # page 1: what the verdict rests on (or what the probability shown is)
    held: Optional[str]  # why the probability shown is held (HELD_WORDS key), None when it is an estimate
    held_words: Optional[str]
    set_aside: tuple[str, ...]  # sentences: evidence left aside, and why
    probability_text: str
    probability_paragraph: str
    notes: tuple[Note, ...]  # as the pages print them
    regions: tuple[WindowScore, ...]  # the windows a region table may list
    region_note: Optional[str]  # what must stand with the table (or in its place)
    tie_note: Optional[str]  # when more windows print as high as the last one listed: the ranking is a tie
    timeline_note: Optional[str]
    exhibit: str  # the one plot that decided: "heatmap", "comb", "fakeprint" (profiles read it too), or ""
    profile: Optional[dict[str, Any]] = None  # the facts of the profile a verdict rests on
    declaration: Optional[str] = None  # the file's own AI declaration, shown under the verdict, never in it
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def cautions(self) -> tuple[Note, ...]:
        """The notes that weaken or qualify the result (caution, warning), for the summary."""
        return tuple(n for n in self.notes if n.severity in ("caution", "warning"))


def deciding_profile(result: AnalysisResult) -> Optional[dict[str, Any]]:
    """The facts of the generator profile the verdict rests on (the profiles row's strongest match), or None."""
    if result.deciding_evidence != "profiles":
        return None
    row = result.detector("profiles")
    if row is None:
        return None
    listed = row.details.get("profiles") or []
    matched = [p for p in listed if p.get("match")]
    if not matched:
        return None
    return max(matched, key=lambda p: float(p.get("logit") or 0.0) - float(p.get("threshold_logit") or 0.0))


def profile_name(p: dict[str, Any]) -> str:
    return generator_name(str(p.get("name", "?")))


def validation_words(p: dict[str, Any]) -> str:
    """A profile's validation figures in words (core.notes.profile_note's)."""
    v = p.get("validation") or {}
    figs = []
    det = v.get("cv_detection", v.get("detection_logo"))
    if det is not None:
        figs.append(f"it recognised {float(det):.0%} of its own examples, each held out of the fit in turn")
    fp = v.get("fp_leave_one_source_out_max", v.get("fp_reference_loso_max"))
    if fp is not None:
        n = v.get("n_reference_sources")
        among = f" (of {n} sources)" if n else ""
        figs.append(
            f"no real-music source of its reference{among} reached it, each held out in turn"
            if fp == 0
            else f"at most {float(fp):.1%} of a real-music source of its reference reached it, each held out in turn"
        )
    return "; ".join(figs) or "no validation figures recorded"


def _profile_sentence(p: dict[str, Any]) -> str:
    name = profile_name(p)
    mine = p.get("kind") == "user"
    kind = "your own generator profile" if mine else "the built-in generator profile"
    return (
        f"{kind} of {name}: the track carries the fingerprint that the decoder it was taught on leaves, beyond "
        "what any real music we measured reached (another generator built on the same decoder leaves it too)"
    )


def _note_for(n: Note, d_headline: str, deciding: str, source_words: str) -> Optional[Note]:
    """A note as the pages print it under this decision (None: left off the pages)."""
    if n.code == "cnn_confounded" and deciding not in ("patch_cnn", "none"):
        return Note(
            n.code,
            "info",
            "The patch CNN's own reading is high on this track, but held synthesizer tones, vocoders and "
            "bitcrushers, and real music made with them, reach readings this high: on its own it is not "
            f"evidence, and the verdict does not rest on it. It rests on {source_words}.",
        )
    if n.code == "near_boundary":
        if d_headline in ("no_traces_found", TOO_SHORT):
            return Note(
                n.code,
                "caution",
                "The score is close to the line between 'No traces' and 'Inconclusive', or its range "
                "crosses it: re-encoding or trimming the file could move the result to 'Inconclusive'. It "
                "is nowhere near the 'likely AI-generated' line.",
            )
        if d_headline == "likely_fake":
            return Note(
                n.code,
                "caution",
                "The score is close to the 'likely AI-generated' line, or its range crosses it: "
                "re-encoding or trimming the file could move the result to 'Inconclusive'.",
            )
    return n


def value_words(p: float, lo: float, hi: float) -> tuple[str, str]:
    """The probability and how many reference tracks in 100 read it, in words that never print
    "near more than 99 %": ("a value near 63 %", "about 63")."""
    if p > 0.99:
        return "a value this high", "more than 99"
    if p < 0.01:
        return "a value this low", "fewer than 1"
    return f"a value near {format_probability(p, probability_digits(lo, hi))}", f"about {round(p * 100)}"


def decide(result: AnalysisResult) -> ReportDecision:
    headline = result.headline
    deciding = result.deciding_evidence
    held = result.held
    p, (lo, hi) = result.probability_fake, result.interval
    profile = deciding_profile(result)
    if deciding == "profiles" and profile is not None:
        source_words = f"the generator profile of {profile_name(profile)}"
    else:
        source_words = SOURCE_WORDS.get(deciding, deciding.replace("_", " "))

    # what the verdict rests on
    if held is not None:
        decided = "The probability is held, not estimated: " + HELD_BECAUSE[held]
    elif result.verdict == "likely_fake":
        because = _profile_sentence(profile) if profile is not None else DECIDED_BECAUSE.get(deciding, source_words)
        decided = f"The verdict rests on {because}."
    elif deciding == "none":
        decided = "No line of evidence gives a probability here."
    else:
        decided = f"The probability shown is {source_words}'s reading, the strongest of the checks; " + (
            "none of them reached the line at which traces count as found."
            if result.verdict == "no_traces_found"
            else "it lies between the lines at which traces count as absent or found."
        )

    set_aside: list[str] = []
    codes = {n.code for n in result.notes}
    if "cnn_confounded" in codes and deciding not in ("patch_cnn", "none"):
        set_aside.append(
            "The patch CNN's own reading was set aside: held synthesizer tones and some real recordings "
            "reach readings this high, so it is not evidence on its own."
        )

    if held is not None:
        paragraph = (
            "<b>What the probability means here.</b> Nothing beyond what the box above says: it is held, not estimated."
        )
    else:
        p_value, in_100 = value_words(p, lo, hi)
        paragraph = "<b>What the probability means.</b> " + PROBABILITY_MEANS.format(
            p_value=p_value, n=in_100, range_words=format_range(lo, hi), source=source_words
        )

    notes = tuple(x for x in (_note_for(n, headline, deciding, source_words) for n in result.notes) if x is not None)

    top = tuple(w for w in result.top_regions(REGIONS_LISTED) if w.probability_fake >= 0.5)
    region_note = timeline_note = tie_note = None
    if held is not None:
        regions: tuple[WindowScore, ...] = ()
        region_note = REGION_HELD if top else None
    else:
        regions = top
        if top and headline in ("no_traces_found", TOO_SHORT):
            region_note = REGION_WHY_NO_TRACES.format(top=format_probability(top[0].probability_fake))
    if regions:  # more windows print the same as the last one listed: a tie, not a finding
        last = format_probability(regions[-1].probability_fake)
        tied = sum(
            1
            for w in result.windows
            if w.probability_fake >= regions[-1].probability_fake or format_probability(w.probability_fake) == last
        )
        if tied > len(regions):
            tie_note = (
                f"{tied} of the {len(result.windows)} windows score {last}"
                f"{'' if last.startswith('>') else ' or more'}; the table lists {len(regions)} of them, so "
                "the shaded span in the chart is not the only one that high."
            )
    if result.verdict == "likely_fake" and deciding not in ("patch_cnn", "none"):
        timeline_note = TIMELINE_OTHER_SOURCE.format(source=source_words)

    exhibit = {"patch_cnn": "heatmap", "comb": "comb", "fakeprint": "fakeprint", "profiles": "fakeprint"}.get(
        deciding, ""
    )
    if held is not None:
        exhibit = ""
    meaning = TOO_SHORT_MEANING if headline == TOO_SHORT else VERDICT_MEANING.get(result.verdict, "")
    return ReportDecision(
        verdict=result.verdict,
        headline=headline,
        headline_words=result.verdict_words,
        colour_key=HEADLINE_COLOUR_OF.get(headline, headline),
        meaning=meaning,
        deciding=deciding,
        decided_sentence=decided,
        held=held,
        held_words=HELD_WORDS.get(held) if held else None,
        set_aside=tuple(set_aside),
        probability_text=probability_text(p, result.interval, held),
        probability_paragraph=paragraph,
        notes=notes,
        regions=regions,
        region_note=region_note,
        tie_note=tie_note,
        timeline_note=timeline_note,
        exhibit=exhibit,
        profile=profile,
        declaration=result.declaration_headline,
    )
