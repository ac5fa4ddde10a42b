"""The case's finding in words: one sentence for the case, one row per lane.

For example: "vocals: comb every 86 Hz, patch CNN high, likely AI-generated; drums, bass,
other: no traces of the covered generators." Words come from
:mod:`forensic_app.core.vocabulary`: the low band never says "real" or "human-made", only that
the traces of the AI generators this app covers were not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from forensic_app.core.detectors.comb import comb_grade
from forensic_app.core.result import AnalysisResult, DetectorEvidence
from forensic_app.core.vocabulary import HELD_WORDS, format_probability, generator_name, probability_text

from .document import Case, CaseFile

# Lane-row words for the bands (a table cell and a clause, not a heading).
BAND_CLAUSE = {
    "no_traces_found": "no traces of the covered generators",
    "inconclusive": "inconclusive",
    "likely_fake": "likely AI-generated",
}
SEPARATED_NOTE = (
    "Stems made by a source separator (rather than exported from the project) carry the separator's own "
    "artefacts: a neural separator is itself a network with a decoder, so its output can show traces "
    "of the kind these detectors look for. A finding on such a stem says little about how the music "
    "was made; ask for the stems as exported from the project."
)
LANE_SEPARATED_NOTE = (
    "{label}: marked as a separated stem; its evidence may come from the separator rather than "
    "from how the music was made."
)


@dataclass(frozen=True)
class LaneEvidence:
    """One lane's row for the summary table; every value is display text.

    ``traces``: short phrases for the detectors that reacted ("comb every 86 Hz",
    "fakeprint high", "patch CNN high", "fingerprint of YuE"), empty when none did."""

    lane_id: str
    label: str
    file_name: str
    verdict: Optional[str]  # a VERDICTS key; None when the lane has no result
    verdict_clause: str
    probability: str  # "97 %", or "not analysed"
    interval: str  # "range 95-99 %", "held: not an estimate" (core.vocabulary.probability_text)
    cnn: str
    comb: str
    fakeprint: str
    traces: tuple[str, ...]
    separated: bool


@dataclass(frozen=True)
class CaseSummary:
    """``sentence``: the finding in one sentence; ``rows``: per lane; ``notes``: what the
    sentence rests on (coverage, separated stems), in the order to show them."""

    sentence: str
    rows: tuple[LaneEvidence, ...]
    notes: tuple[str, ...]


def _detector(result: AnalysisResult, name: str) -> Optional[DetectorEvidence]:
    return next((d for d in result.detectors if d.name == name), None)


def _cnn_text(result: AnalysisResult) -> tuple[str, bool]:
    """What the patch CNN alone would say, in words (its raw score is in the lane's report)."""
    d = _detector(result, "patch_cnn")
    if d is None or d.score is None:
        return "not measured", False
    capped = "cnn_confounded" in {n.code for n in result.notes}
    high = d.probability_fake is not None and d.probability_fake >= 0.5 and not capped
    if d.probability_fake is None:
        return "measured", high
    return f"{format_probability(d.probability_fake)} on its own", high


def _comb_text(result: AnalysisResult) -> tuple[str, Optional[str]]:
    c = result.comb
    if c is None:
        return "not run", None
    grade = comb_grade(c)
    if grade == "strong":
        return f"lines every {c.f0_hz:.1f} Hz", f"comb every {c.f0_hz:.0f} Hz"
    if grade == "weak":
        return f"faint lines every {c.f0_hz:.1f} Hz", f"weak comb every {c.f0_hz:.0f} Hz"
    return "no line pattern stands out", None


def _fakeprint_text(result: AnalysisResult) -> tuple[str, bool]:
    ev, d = result.fakeprint, _detector(result, "fakeprint")
    if ev is None:
        return "not in this model", False
    if not ev.measured:
        return "not measured", False
    thr = None if d is None else d.details.get("threshold_logit")
    high = thr is not None and ev.logit >= float(thr)
    if thr is None:
        return "measured", high
    return ("above its threshold: like Suno/Udio output" if high else "below its threshold"), high


def lane_evidence(lane: CaseFile) -> LaneEvidence:
    """The row of one lane (a lane without a result says 'not analysed')."""
    r = lane.result
    if r is None:
        return LaneEvidence(
            lane.lane_id,
            lane.label,
            lane.name,
            None,
            "not analysed",
            "not analysed",
            "",
            "",
            "",
            "",
            (),
            lane.separated,
        )
    cnn, cnn_high = _cnn_text(r)
    comb, comb_phrase = _comb_text(r)
    fp, fp_high = _fakeprint_text(r)
    prof = r.detector("profiles")
    matched = [generator_name(n) for n in (prof.details.get("matched") or [])] if prof is not None else []
    traces = tuple(
        p
        for p in (
            comb_phrase,
            "fakeprint high" if fp_high else None,
            "patch CNN high" if cnn_high else None,
            f"fingerprint of {', '.join(matched)}" if matched else None,
        )
        if p
    )
    # the one number style (core.vocabulary.probability_text): "63 %" and "range 59-67 %" / "held: not an estimate"
    value, _, interval = probability_text(r.probability_fake, r.interval, r.held).partition(" (")
    return LaneEvidence(
        lane.lane_id,
        lane.label,
        lane.name,
        r.verdict,
        BAND_CLAUSE.get(r.verdict, r.verdict),
        value,
        interval[:-1],
        cnn,
        comb,
        fp,
        traces,
        lane.separated,
    )


def _clause(row: LaneEvidence) -> str:
    # traces only where the band speaks of them: a weak comb on a 'no traces' lane is not a finding
    shown = row.traces if row.verdict in ("likely_fake", "inconclusive") else ()
    return ", ".join((*shown, row.verdict_clause))


def summarize(case: Case) -> CaseSummary:
    """The case in words (see the module docstring). Lanes with the same clause are grouped,
    in lane order, the most serious band first."""
    rows = tuple(lane_evidence(lane) for lane in case.lanes)
    order = {"likely_fake": 0, "inconclusive": 1, "no_traces_found": 2, None: 3}
    groups: dict[str, list[str]] = {}
    for row in sorted(rows, key=lambda r: order.get(r.verdict, 3)):  # stable: lane order within a band
        groups.setdefault(_clause(row), []).append(row.label)
    sentence = "; ".join(f"{', '.join(labels)}: {clause}" for clause, labels in groups.items())
    sentence = sentence + "." if sentence else "The case has no files."
    notes: list[str] = []
    results = [lane.result for lane in case.lanes if lane.result is not None]
    if results:
        r0 = results[0]
        notes.append(r0.coverage_line)
    if any(lane.separated for lane in case.lanes):
        notes.append(SEPARATED_NOTE)
        notes += [LANE_SEPARATED_NOTE.format(label=lane.label) for lane in case.lanes if lane.separated]
    for lane in case.lanes:
        if lane.result is not None and lane.result.held:
            notes.append(f"{lane.label}: {HELD_WORDS[lane.result.held]}")
    return CaseSummary(sentence, rows, tuple(notes))
