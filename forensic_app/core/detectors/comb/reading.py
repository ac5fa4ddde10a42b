"""Reading a comb finding: is it locked to a decoder spacing, how strong, in which words.

What :class:`~forensic_app.core.result.CombEvidence` means once the comb detector (comb.py) has
found it: :func:`comb_locked` (do its lines sit where a decoder puts them), :func:`comb_grade` and
:func:`comb_finding` (the sentences the window, the report and the result share). The scalar the
fusion reads is ``scoring.clipped_comb_z``.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from ...result import CombEvidence

# Suggested reading of the best z until a CombReference fitted on the real corpus says
# better. Measured: 5 CC tracks <= 3.8 (13 30-s excerpts <= 3.0), 20 synthetic songs
# <= 3.0; faint decoder mixes: median 3.5 with 5-dB lines, 6.5 with 10-dB lines.
Z_WEAK = 4.0  # "weak comb evidence"
Z_STRONG = 5.0  # "comb evidence"
# A comb is "locked" when its found lines sit where a decoder puts them: upsampling by P makes exact,
# stationary lines at k*rate/P, found to ~0.05 bins of a 16384-point FFT (measured on HiFi-GAN and 12
# transposed-convolution decoders at 2-5 dB: median offsets 0.02-0.15 bins); the partials of music,
# held tones and codec artefacts that light the same bins scatter over +-1 bin (0.86-1.6 measured).
LOCK_MIN_LINES = 3
LOCK_MAX_OFFSET_BINS = 0.25
FEATURE_CLIP = (-5.0, 20.0)  # range of the comb z fusion reads (scoring.clipped_comb_z)


def line_offsets_bins(level_db: np.ndarray, lines_hz: np.ndarray, df_hz: float) -> np.ndarray:
    """(k,) |peak - line| in bins: for each line frequency, the highest bin of ``level_db`` (a
    log spectrum, (n,)) within +-1 bin of it, refined by a parabola through that bin and its
    neighbours (a Hann-windowed stationary line is placed to ~0.05 bins)."""
    out = []
    for f in np.asarray(lines_hz, float):
        e = f / df_hz
        b = int(round(e))
        if b < 2 or b + 2 >= level_db.size:
            continue
        j = b - 1 + int(np.argmax(level_db[b - 1 : b + 2]))
        a, m, c = level_db[j - 1], level_db[j], level_db[j + 1]
        den = a - 2.0 * m + c
        out.append(abs(j + (0.5 * (a - c) / den if den < 0 else 0.0) - e))
    return np.array(out)


def comb_locked(evidence: Optional[CombEvidence], max_offset_bins: float = LOCK_MAX_OFFSET_BINS) -> bool:
    """Whether the comb's found lines sit at k*f0 as a decoder's do (see LOCK_MAX_OFFSET_BINS)."""
    return (
        evidence is not None and evidence.line_offset_bins is not None and evidence.line_offset_bins <= max_offset_bins
    )


def comb_grade(evidence: CombEvidence) -> str:
    """ "strong" (z >= Z_STRONG), "weak" (Z_WEAK <= z < Z_STRONG) or "none"."""
    z = evidence.z_score
    if not math.isfinite(z) or z < Z_WEAK:
        return "none"
    return "strong" if z >= Z_STRONG else "weak"


def comb_finding(evidence: CombEvidence) -> str:
    """Plain sentences on what the comb check found, and whether its lines sit where a decoder puts
    them (:func:`comb_locked`); never calls chance lines evidence."""
    grade = comb_grade(evidence)
    spacing = f"every {evidence.f0_hz:.1f} Hz"
    if grade == "none":
        return (
            f"No regular line pattern stands out: the best candidate ({spacing}, z = {evidence.z_score:.1f}) "
            "is within what real music shows, so this check found no upsampling artefacts."
        )
    off = evidence.line_offset_bins
    if off is None:
        lock = "Too few of its lines stand out to tell whether they sit exactly where a decoder puts them."
    elif off > LOCK_MAX_OFFSET_BINS:
        lock = (
            f"Its lines sit {off:.2f} of a frequency bin from that spacing on average, as the partials of music "
            f"do (a decoder's sit within {LOCK_MAX_OFFSET_BINS:g}): not the mark of a decoder."
        )
    else:
        lock = f"Its lines sit exactly where a decoder puts them (within {off:.2f} of a frequency bin)."
    if grade == "weak":
        return (
            f"A weak regular line pattern {spacing} (z = {evidence.z_score:.1f}, {evidence.strength_db:.1f} dB): "
            f"suggestive at most. Closest known upsampling pattern: {evidence.architecture}. {lock}"
        )
    return (
        f"Regularly spaced spectral lines {spacing} stand out (z = {evidence.z_score:.1f}, "
        f"{evidence.strength_db:.1f} dB above chance spacings). Closest known upsampling pattern: "
        f"{evidence.architecture}. {lock}"
    )
