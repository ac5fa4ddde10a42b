"""The patch CNN (Afchar et al.): a heatmap of time-frequency patches and its window readings.

It measures through the shared frame stream (``core.tiling``, ``core.meters``): the tile maps of
:class:`~forensic_app.core.analysis.Measurements`. Its line is the learned fusion, whose caps
(held tones, within what real music reaches, band-limited or short input) live in ``core.fusion``.
"""

from __future__ import annotations

import numpy as np

from ..result import DetectorEvidence, WindowScore
from ..vocabulary import format_probability
from .base import EvidenceSource, Interpretation


def tail_words(duration_s: float, windows: list[WindowScore]) -> str:
    """Says when the end of the audio is shorter than one patch and so has no window of its own."""
    tail = duration_s - windows[-1].end_s if windows else 0.0
    if tail < 0.05:
        return ""
    return (
        f" The last {tail:.1f} s is shorter than one patch and has no window of its own "
        "(the comb and fakeprint detectors include it)."
    )


class PatchCnn(EvidenceSource):
    name = "patch_cnn"
    title = "Patch CNN (time-frequency heatmap)"

    def rows(self, it: Interpretation) -> list[DetectorEvidence]:
        cal, rules, scored, shown = it.model.calibration, it.rules, it.scored, it.shown
        w_probs, windows = shown.window_probs, shown.windows
        p_alone = cal.window_probability(np.array([scored.track_logit - rules.cnn_display_shift(cal)]))[0]
        summary = (
            (
                f"Window evidence averages {format_probability(float(np.mean(w_probs)))} over {len(windows)} "
                f"window{'s' if len(windows) != 1 else ''}; the highest is {format_probability(max(w_probs))}."
                + tail_words(it.m.info.duration_s, windows)
            )
            if len(windows)
            else "No complete window."
        )
        return [
            DetectorEvidence(
                name=self.name,
                title=self.title,
                score=scored.track_logit,
                probability_fake=float(min(p_alone, shown.display_cap)),
                summary=summary,
                details={
                    "n_windows": len(windows),
                    "max_window_probability": float(max(w_probs)) if len(windows) else None,
                    "heatmap_shape": list(it.m.fake_map.shape),
                },
            )
        ]

    def coverage(self, model, profiles) -> list[str]:
        from ..vocabulary import covered_kinds

        return covered_kinds(model.manifest.families, False)
