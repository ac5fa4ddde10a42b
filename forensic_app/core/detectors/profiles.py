"""Generator profiles as an evidence source: each profile (:mod:`forensic_app.core.profiles`) is a
linear model over the track's fakeprint that recognises one generator's decoder.

Built-in profiles ship in the model bundle (``weights/profiles/*.json``, sealed in the manifest);
a user's own (``forensic-app profile add``) are applied beside them unless left out. Each
profile's logit is placed on the verdict's scale with its threshold (the highest
cross-validated real-music reading plus a margin, see ``forensic_app.training.profiles``) on
the "likely AI" line, at ``SLOPE`` per logit; the profiles' line is the strongest of them. A
reading below the highest real one (``REAL_MARGIN`` under the threshold) is no evidence at all:
it adds no line, so real music never gains probability from a profile it does not match.
Without a measured fakeprint (too quiet, under one frame) no profile reads anything.

A profile recognises a decoder's architecture, not a product: another generator built on the
same decoder leaves the same fingerprint, and the words say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

from ..fusion import mapped_probability
from ..result import DetectorEvidence
from ..vocabulary import profile_label
from .base import EvidenceSource, Interpretation

NAME = "profiles"
# the threshold is the highest cross-validated real reading + this margin (training.profiles.MARGIN_LOGIT)
REAL_MARGIN = 1.0
# per logit of a profile's reading on the verdict's scale: at the highest real reading (threshold -
# REAL_MARGIN) the line stands at 14 %, inside "no traces"; at the threshold on the "likely AI" line
SLOPE = 3.0


@dataclass(frozen=True)
class ProfileReading:
    """One profile on one track: ``logit`` of its model (None: fakeprint not measured), its
    ``threshold_logit``, ``probability`` on the verdict's scale, and whether it ``matches``."""

    profile: Any  # core.profiles.Profile
    logit: Optional[float]
    probability: Optional[float]

    @property
    def matches(self) -> bool:
        return self.logit is not None and self.logit >= self.profile.threshold_logit

    @property
    def margin(self) -> Optional[float]:
        """Logits above (+) or below (-) the profile's threshold."""
        return None if self.logit is None else self.logit - self.profile.threshold_logit


def _measured_margin(r: ProfileReading) -> float:
    """``r.margin`` of a reading that was measured (its logit is not None)."""
    margin = r.margin
    assert margin is not None, "a reading without a logit has no margin"
    return margin


def read_profiles(fakeprint: Optional[np.ndarray], profiles: Sequence[Any], cal: Any) -> list[ProfileReading]:
    """(3585,) fakeprint (None: not measured) -> one reading per profile, in the profiles' order;
    ``probability`` None where the reading stays within what real music reached."""
    out = []
    for p in profiles:
        if fakeprint is None:
            out.append(ProfileReading(p, None, None))
            continue
        logit = p.score(fakeprint)
        prob = (
            mapped_probability(cal, logit, p.threshold_logit, SLOPE)
            if logit >= p.threshold_logit - REAL_MARGIN
            else None
        )
        out.append(ProfileReading(p, logit, prob))
    return out


def profiles_line(readings: Sequence[ProfileReading]) -> Optional[float]:
    """The profiles' probability on the verdict's scale: the strongest profile's (None: none read)."""
    ps = [r.probability for r in readings if r.probability is not None]
    return max(ps) if ps else None


def _measured_fakeprint(m: Any) -> Optional[np.ndarray]:
    curve = getattr(m, "fakeprint_curve", None)
    return None if curve is None else np.asarray(curve, np.float64)


def _label(p: Any) -> str:
    return profile_label(p.generator, p.kind)


def profile_facts(p: Any) -> dict[str, Any]:
    """What a report says of a profile a verdict rests on: name, kind, examples, date, validation, sha256."""
    return {
        "name": p.generator,
        "version": p.version,
        "kind": p.kind,
        "architecture": p.architecture,
        "n_examples": int(p.n_examples),
        "created": p.created,
        "threshold_logit": p.threshold_logit,
        "validation": p.validation,
        "sha256": p.sha256 or p.sealed().sha256,
    }


def window_readings(m: Any, profile: Any) -> list[dict[str, Any]]:
    """The profile's logit on each ~10 s window of the fakeprint (Measurements.fakeprint_windows):
    [{start_s, end_s, logit (None: window not measured)}]. Shown on the timeline; never the verdict."""
    out = []
    for start, end, fp in getattr(m, "fakeprint_windows", ()) or ():
        logit = None if fp is None else round(float(profile.score(np.asarray(fp, np.float64))), 3)
        out.append({"start_s": round(float(start), 3), "end_s": round(float(end), 3), "logit": logit})
    return out


class Profiles(EvidenceSource):
    name = NAME
    title = "Generator profiles (decoder fingerprints)"

    @staticmethod
    def _readings(m: Any, model: Any, rules: Any, profiles: tuple[Any, ...]) -> list[ProfileReading]:
        return read_profiles(_measured_fakeprint(m), profiles, model.calibration)

    def lines(self, m, model, rules, profiles) -> dict[str, Optional[float]]:
        if not profiles:
            return {}
        return {NAME: profiles_line(self._readings(m, model, rules, profiles))}

    def rows(self, it: Interpretation) -> list[DetectorEvidence]:
        if not it.profiles:
            return []
        readings = self._readings(it.m, it.model, it.rules, it.profiles)
        p_line = it.scored.decision.by_detector.get(NAME)
        measured = [r for r in readings if r.logit is not None]
        details: dict[str, Any] = {
            "threshold_note": "each profile's threshold: its highest cross-validated real-music reading + 1 logit",
            "profiles": [
                dict(profile_facts(r.profile), logit=None if r.logit is None else round(r.logit, 3), match=r.matches)
                for r in readings
            ],
            "matched": [r.profile.generator for r in readings if r.matches],
        }
        if not measured:
            ev = it.m.fakeprint
            why = (
                ev.reason if ev is not None and ev.reason else "the track is too quiet or too short between 1 and 8 kHz"
            )
            summary = f"Not measured: {why}. This says nothing either way."
            return [DetectorEvidence(NAME, self.title, None, None, summary, details)]
        best = max(measured, key=_measured_margin)
        margin = _measured_margin(best)
        details["closest"] = best.profile.generator
        details["windows"] = window_readings(it.m, best.profile)
        details["top_bins"] = [
            {"freq_hz": round(f, 1), "contribution": round(c, 3)}
            for f, c in best.profile.top_bins(_measured_fakeprint(it.m), 8)
        ]
        n = len(readings)
        if best.matches:
            others = [r.profile.generator for r in measured if r.matches and r is not best]
            summary = (
                f"Matches the decoder fingerprint of {_label(best.profile)}: {margin:+.1f} logits against "
                f"its threshold, which no real music we measured reached (profile taught from "
                f"{best.profile.n_examples} examples). The fingerprint belongs to the decoder's design: another "
                "generator built on the same decoder leaves it too."
                + (f" Also matched: {', '.join(others)}." if others else "")
            )
        else:
            within = margin < -REAL_MARGIN
            summary = (
                f"None of the {n} generator profile{'s' if n != 1 else ''} matches; the closest, "
                f"{_label(best.profile)}, is {-margin:.1f} logits below its threshold"
                + (
                    ", within what real music reaches."
                    if within
                    else ", above what the real music we measured reached but short of the threshold."
                )
            )
        return [DetectorEvidence(NAME, self.title, round(margin, 6), p_line, summary, details)]

    def coverage(self, model, profiles) -> list[str]:
        built = [_label(p) for p in profiles if p.kind != "user"]
        mine = [_label(p) for p in profiles if p.kind == "user"]
        out = []
        if built:
            out.append("the decoder fingerprints of " + ", ".join(built) + " (generator profiles)")
        if mine:
            out.append("your own generator profiles: " + ", ".join(mine))
        return out
