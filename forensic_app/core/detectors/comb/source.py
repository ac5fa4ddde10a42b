"""The comb as an evidence source: its row in words (the measuring is the rest of this package;
its line, counted only when locked to a decoder spacing, is ``fusion.decide``'s ``comb``)."""

from __future__ import annotations

from typing import Optional

from ...fusion import EvidenceRules
from ...result import CombEvidence, DetectorEvidence
from ...vocabulary import format_probability
from ..base import EvidenceSource, Interpretation
from . import comb_finding, comb_locked


def comb_detector(ev: CombEvidence, rules: EvidenceRules, p_alone: Optional[float]) -> DetectorEvidence:
    """The comb's entry in the result, in words: what it found, how often real music shows as much,
    and whether its lines sit where a decoder puts them (the comb counts on its own only then).
    ``p_alone``: what the comb alone would say (the fusion's by_detector), None where it does not count."""
    counted = p_alone is not None
    fp = (
        "not measured"
        if ev.real_fp_rate is None
        else "none of the real tracks we measured"
        if ev.real_fp_rate == 0
        else f"{format_probability(ev.real_fp_rate, 1)} of the real tracks we measured"
    )
    if counted:
        rule = (
            f"On its own the comb decides from z {rules.comb_threshold_z:g}, beyond what real music and synth "
            "sounds reached."
        )
    elif comb_locked(ev, rules.comb_max_offset_bins):
        rule = (
            "On a held tone or a clip too short to tell it is no evidence: a held note's harmonics form such a "
            "comb too."
        )
    else:
        rule = "On its own it is no evidence."
    return DetectorEvidence(
        name="comb",
        title=Comb.title,
        score=float(ev.z_score),
        probability_fake=p_alone,
        summary=f"{comb_finding(ev)} A comb at least this strong occurs in {fp}. {rule}",
        details={
            "f0_hz": ev.f0_hz,
            "architecture": ev.architecture,
            "n_lines_found": int(len(ev.lines_found_hz)),
            "line_offset_bins": ev.line_offset_bins,
            "counted": counted,
        },
    )


class Comb(EvidenceSource):
    name = "comb"
    title = "Spectral comb (upsampling artefacts)"

    def rows(self, it: Interpretation) -> list[DetectorEvidence]:
        if it.m.comb is None:
            return []
        return [comb_detector(it.m.comb, it.rules, it.scored.decision.by_detector.get("comb"))]
