"""From three detectors' scores to one probability, interval and verdict.

The learned fusion (``Calibration.track_probability``: patch-CNN mean logit + comb z, fitted
on our synthetic decoder families) gives the comb little weight and reads ordinary
synthesizer sounds as decoder texture. So the verdict takes the *strongest* of three
separately grounded lines of evidence, each with a threshold set against real music, per
source and per kind (orchestral, synth, lo-fi, limited masters...):

- ``learned``: the fused probability; it may reach likely_fake on its own only when the patch
  CNN's mean logit lies beyond what real music and real-negative kinds (synth pads under
  music, vocoders, bitcrushers, lo-fi, limited masters) reach (``cnn_confound_logit``), and
  never for held tones (``content.Stationarity`` >= ``static_threshold``: single synth notes,
  held pads), on which the CNN's score means nothing. Otherwise a high CNN score is capped
  just under the likely_fake threshold: the evidence cannot tell such sounds from decoder output.
- ``comb``: z of decoder lines at k·rate/P, mapped so that ``threshold_z`` (its real-music
  false-positive point) lands on the likely_fake threshold; counted only when its lines are
  *locked* to k·rate/P to sub-bin precision as a decoder's are (``comb.comb_locked``: music's
  partials, codec artefacts and most synth harmonics that light the same bins are not), and
  never for held tones or clips too short to tell (a held sawtooth is a perfect comb);
- ``fakeprint``: the third-party Suno/Udio model's logit, mapped the same way around our own
  real-music threshold ``threshold_logit`` (its author's 0.5 was set on FMA, not here).

- ``CnnReference``: the patch CNN's reading depends on the input's bandwidth (real singing resampled
  to 16 or 22.05 kHz reads about one logit higher than the same recording at 44.1 kHz) and is
  noisier on short clips. On band-limited input its reading is first placed against real music of
  the same bandwidth (shifted by how much real music rises there), and on band-limited or short
  input the CNN (and so the learned fusion, which carries its reading) may call likely_fake only
  beyond the line set on real music of that kind (``limited_confound_logit``); without such a
  fitted line it never may there.

A file with too little content (``min_content_s`` of audio above -60 dBFS) gets no verdict
beyond ``inconclusive``. ``no_traces_found`` means only that none of the covered generator
kinds left traces; it is never a statement that a person made the track.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

import numpy as np

from .calibration import Calibration, sigmoid
from .detectors.comb.reading import LOCK_MAX_OFFSET_BINS
from .content import STATIC_THRESHOLD

CAP_MARGIN = 0.02  # a capped probability stays this far below the likely_fake threshold
FULL_BAND_HZ = 15500.0  # effective bandwidth from which input counts as full band (the band_limited note's too)
SHORT_S = 10.0  # shorter input counts as a short clip (the short_clip note's too)


@dataclass(frozen=True)
class CnnReference:
    """Where real music of a given bandwidth and length puts the patch CNN's mean logit.

    ``shift_knots``: ((bandwidth_hz, shift_logit), ...) ascending in bandwidth: real music band-limited
    to ``bandwidth_hz`` reads ``shift_logit`` logits higher than the same music at full band (median
    of paired differences); linear in between, 0 from ``FULL_BAND_HZ``, the lowest knot's shift below
    it. ``limited_confound_logit``: on band-limited (< ``FULL_BAND_HZ``) or short (< ``SHORT_S``)
    input, the shifted CNN reading from which the CNN may decide alone (inf: it never may there).
    Fitted by ``training.singing`` (``benchmarks/singing_study.py fit``) on recorded singing and cut,
    resampled real music;
    stored in calibration.json's ``evidence.cnn_reference``.
    """

    shift_knots: tuple[tuple[float, float], ...] = ()
    limited_confound_logit: float = math.inf
    rule: str = ""

    def shift_logit(self, bandwidth_hz: Optional[float]) -> float:
        """Logits to subtract from the CNN's readings on input of this effective bandwidth (Hz; None: full band)."""
        if bandwidth_hz is None or not self.shift_knots or bandwidth_hz >= FULL_BAND_HZ:
            return 0.0
        bw = [k[0] for k in self.shift_knots] + [FULL_BAND_HZ]
        sh = [k[1] for k in self.shift_knots] + [0.0]
        return float(max(0.0, np.interp(bandwidth_hz, bw, sh)))

    @staticmethod
    def limited(bandwidth_hz: Optional[float], duration_s: float) -> bool:
        """Band-limited or short input: where the full-band, whole-track CNN line does not hold."""
        return (bandwidth_hz is not None and bandwidth_hz < FULL_BAND_HZ) or duration_s < SHORT_S

    @classmethod
    def from_dict(cls, d: Optional[dict]) -> "CnnReference":
        if not d:
            return cls()
        return cls(
            shift_knots=tuple((float(b), float(v)) for b, v in d.get("shift_knots") or ()),
            limited_confound_logit=float(d.get("limited_confound_logit", math.inf)),
            rule=str(d.get("rule", "")),
        )


@dataclass(frozen=True)
class EvidenceRules:
    """Thresholds of the per-detector evidence; from calibration.json's ``evidence`` block."""

    comb_threshold_z: float = 9.0
    comb_slope: float = 0.8
    comb_max_offset_bins: float = LOCK_MAX_OFFSET_BINS  # the comb counts only when locked this tightly
    fakeprint_threshold_logit: float = 0.0
    fakeprint_slope: float = 0.5
    cnn_confound_logit: float = math.inf  # inf: the learned fusion can never call likely_fake alone
    static_threshold: float = STATIC_THRESHOLD  # content.Stationarity at or above: held tones, CNN is no evidence
    min_content_s: float = 3.0
    rule: str = ""
    cnn_reference: CnnReference = field(default_factory=CnnReference)

    def cnn_line(self, bandwidth_hz: Optional[float], duration_s: float) -> float:
        """The (shifted) CNN mean logit from which the CNN may decide alone on this input: the full-band
        line, or on band-limited or short input the line set on real music of that kind (never lower)."""
        if CnnReference.limited(bandwidth_hz, duration_s):
            return max(self.cnn_confound_logit, self.cnn_reference.limited_confound_logit)
        return self.cnn_confound_logit

    def to_dict(self) -> dict[str, Any]:
        """The rules as JSON-native values (lists, not tuples), as a result's provenance stores them."""
        d = asdict(self)
        d["cnn_reference"]["shift_knots"] = [list(k) for k in self.cnn_reference.shift_knots]
        return d

    def cnn_display_shift(self, cal: Calibration) -> float:
        """Logits subtracted from patch and window logits before they are drawn.

        The learned fusion crosses the likely_fake line at a CNN mean logit ``line`` (comb term 0);
        the CNN alone is evidence only beyond ``cnn_confound_logit``. Shifting by the gap puts that
        point on the line, so a patch is painted red only where it goes beyond what real music and
        synth sounds reach. 0 without a fitted confound threshold (older calibrations).
        """
        if not math.isfinite(self.cnn_confound_logit) or "cnn_mean_logit" not in cal.track_features:
            return 0.0
        coef = cal.track_coef[cal.track_features.index("cnn_mean_logit")]
        if coef <= 0:
            return 0.0
        line = (_logit(cal.threshold_fake) - cal.track_intercept) / coef
        return max(0.0, self.cnn_confound_logit - line)

    @classmethod
    def from_calibration(cls, cal: Calibration) -> "EvidenceRules":
        d = dict(cal.raw.get("evidence") or {})
        kw: dict[str, Any] = {}
        for name in (
            "comb_threshold_z",
            "comb_slope",
            "comb_max_offset_bins",
            "fakeprint_threshold_logit",
            "fakeprint_slope",
            "cnn_confound_logit",
            "static_threshold",
            "min_content_s",
        ):
            if d.get(name) is not None:
                kw[name] = float(d[name])
        return cls(rule=str(d.get("rule", "")), cnn_reference=CnnReference.from_dict(d.get("cnn_reference")), **kw)


@dataclass(frozen=True)
class Decision:
    probability: float
    interval: tuple[float, float]
    verdict: str
    by_detector: dict[
        str, Optional[float]
    ]  # probability each line of evidence alone gives (None: not measured, or no evidence here)
    reasons: tuple[str, ...] = field(default=())  # note codes explaining a cap or a withheld verdict


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _mapped(score: float, threshold: float, slope: float, p_line: float) -> float:
    """sigmoid with the detector's real-music threshold placed on the likely_fake line ``p_line``."""
    return float(sigmoid(slope * (score - threshold) + _logit(p_line)))


def mapped_probability(cal: Calibration, score: float, threshold: float, slope: float) -> float:
    """A reading placed on the verdict's scale: ``threshold`` (the reading's real-music line) lands on
    the likely_fake threshold, ``slope`` per unit of reading (the fakeprint's and the profiles' way)."""
    return _mapped(score, threshold, slope, cal.threshold_fake)


def comb_counts(
    rules: EvidenceRules, *, comb_z: Optional[float], comb_offset_bins: Optional[float], stationarity: Optional[float]
) -> bool:
    """Whether the comb is evidence on its own: measured, its lines locked to the decoder spacing
    (``comb_offset_bins`` <= ``rules.comb_max_offset_bins``), and neither a held tone nor a clip too
    short to tell (``stationarity`` None), whose harmonics form such a comb too."""
    held_or_short = stationarity is None or stationarity >= rules.static_threshold
    return (
        comb_z is not None
        and not held_or_short
        and comb_offset_bins is not None
        and comb_offset_bins <= rules.comb_max_offset_bins
    )


def decide(
    cal: Calibration,
    rules: EvidenceRules,
    *,
    learned_p: float,
    learned_interval: tuple[float, float],
    cnn_logit: float,
    comb_z: Optional[float],
    fakeprint_logit: Optional[float],
    content_s: float,
    stationarity: Optional[float] = None,
    duration_s: float = math.inf,
    comb_offset_bins: Optional[float] = None,
    cnn_line: Optional[float] = None,
    extra_lines: Optional[dict[str, Optional[float]]] = None,
) -> Decision:
    """Combine the three lines of evidence. ``comb_z`` / ``fakeprint_logit``: None when not measured;
    ``comb_offset_bins``: CombEvidence.line_offset_bins (None: too few lines to tell, not locked);
    ``stationarity``: content.Stationarity's value (None: too short to tell); ``content_s`` of
    ``duration_s`` seconds rise above -60 dBFS (under 3 s, or under half of a short file: no content);
    ``cnn_line``: the line from which ``cnn_logit`` may decide alone (EvidenceRules.cnn_line for the
    input's bandwidth and length; None: the full-band line). The cap holds the learned fusion, which
    carries the CNN's reading, whenever the CNN is within that line. ``extra_lines``: the lines of
    the registry's further sources (core.detectors, e.g. generator profiles), each already on the
    verdict's scale (None: no evidence here); the strongest line decides, as for the built-in ones."""
    cnn_line = rules.cnn_confound_logit if cnn_line is None else cnn_line
    line = cal.threshold_fake
    reasons: list[str] = []
    p_learned, (lo, hi) = learned_p, learned_interval
    held_tone = stationarity is not None and stationarity >= rules.static_threshold
    too_short = stationarity is None  # too short to tell whether it is a held tone: the CNN may not decide either
    if held_tone and p_learned > cal.threshold_real:
        # on a held tone the CNN's reading means nothing: held at the bottom of the undecided band
        cap = min(cal.threshold_real + 0.01, line - CAP_MARGIN)
        p_learned, lo, hi = min(p_learned, cap), min(lo, cap), min(hi, cap)
        reasons.append("held_tone")
    elif p_learned >= line and (too_short or cnn_logit < cnn_line):
        cap = line - CAP_MARGIN
        p_learned, lo, hi = min(p_learned, cap), min(lo, cap), min(hi, cap)
        reasons.append("cnn_confounded")
    counted = comb_counts(rules, comb_z=comb_z, comb_offset_bins=comb_offset_bins, stationarity=stationarity)
    by = {
        "learned": p_learned,
        "comb": (
            _mapped(comb_z, rules.comb_threshold_z, rules.comb_slope, line) if counted and comb_z is not None else None
        ),  # counted: comb_z is not None
        "fakeprint": None
        if fakeprint_logit is None
        else _mapped(fakeprint_logit, rules.fakeprint_threshold_logit, rules.fakeprint_slope, line),
    }
    by.update(extra_lines or {})
    fixed = [v for k, v in by.items() if k != "learned" and v is not None]
    p = max([p_learned, *fixed])
    lo, hi = max([lo, *fixed]), max([hi, *fixed])
    if content_s < min(rules.min_content_s, 0.5 * duration_s):
        # Nothing to examine: the readings mean nothing, either way, so the probability is held at the
        # bottom of the undecided band, whatever they said (a moderator's queue, sorted by probability,
        # does not put room tone on top, and an "inconclusive" never shows a no-traces probability)
        held = min(cal.threshold_real + 0.01, line - CAP_MARGIN)
        reasons.append("no_content")
        return Decision(held, (held, held), "inconclusive", by, tuple(reasons))
    interval = (min(lo, p), max(hi, p))
    return Decision(p, interval, cal.verdict(p, interval), by, tuple(reasons))
