"""The third-party Suno/Udio model over the fakeprint (:mod:`forensic_app.core.fakeprint`).

It is measured on the stream by ``core.meters`` (its 16 kHz copy of the first 300 s), because the
generator profiles read the same fakeprint. Its line (its logit mapped around our own real-music
threshold) is ``fusion.decide``'s ``fakeprint``.
"""

from __future__ import annotations

from typing import Optional

from ..fakeprint import FakeprintEvidence
from ..fusion import EvidenceRules
from ..result import DetectorEvidence
from ..vocabulary import FAKEPRINT_COVERAGE
from .base import EvidenceSource, Interpretation

TITLE = "Fakeprint (Suno/Udio, third-party model)"


def fakeprint_detector(ev: FakeprintEvidence, p_alone: Optional[float], rules: EvidenceRules) -> DetectorEvidence:
    """The fakeprint detector's row: its logit, what it alone would say, and its threshold on our real music."""
    if ev.logit is None:  # not ev.measured
        summary = f"Not measured: {ev.reason}. This says nothing either way."
    else:
        side = "above" if ev.logit >= rules.fakeprint_threshold_logit else "below"
        summary = (
            f"Logit {ev.logit:+.1f}, {side} the threshold {rules.fakeprint_threshold_logit:+.1f} set on the real music "
            f"we measured (first {ev.seconds_used:.0f} s, 1-8 kHz peak residue)."
        )
    return DetectorEvidence(
        name="fakeprint",
        title=TITLE,
        score=ev.logit,
        probability_fake=p_alone,
        summary=summary,
        details={"threshold_logit": rules.fakeprint_threshold_logit, **ev.to_dict()},
    )


class Fakeprint(EvidenceSource):
    name = "fakeprint"
    title = TITLE

    def rows(self, it: Interpretation) -> list[DetectorEvidence]:
        if it.m.fakeprint is None or it.model.fakeprint is None:
            return []
        return [fakeprint_detector(it.m.fakeprint, it.scored.decision.by_detector.get("fakeprint"), it.rules)]

    def coverage(self, model, profiles) -> list[str]:
        return [FAKEPRINT_COVERAGE] if model.fakeprint is not None else []
