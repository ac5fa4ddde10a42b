"""Value -> colour mapping, kept apart from drawing (as svgui's ColourScale / ColourMapper).

Everything here returns plain numpy lookup tables so it can be tested without a window.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from ..core.vocabulary import PROBABILITY_ALPHA, PROBABILITY_RGB, PROBABILITY_STOPS
from ..core.vocabulary import VERDICT_COLOURS  # noqa: F401 - one palette for window and report

# The probability palette's stops (core.vocabulary: the report draws with the same ones)
_PROB_STOPS = np.array(PROBABILITY_STOPS)
_PROB_RGB = np.array(PROBABILITY_RGB, dtype=np.float64)
_PROB_ALPHA = np.array(PROBABILITY_ALPHA, dtype=np.float64)

SEVERITY_COLOURS = {"info": "#2a6fbf", "caution": "#9a6700", "warning": "#c0392b"}

# The evidence lanes (spectrogram, waveform, spectrum at cursor) share a dark background. Colour
# there means evidence, so the audio itself is drawn in neutral greys: a waveform or spectrum
# in blue or red would read as "no traces" or "likely AI".
PLOT_BACKGROUND = "#15151a"
PLAYHEAD = "#ffffff"
WAVEFORM_PEAK = "#7c7c8c"  # min..max band
WAVEFORM_RMS = "#c4c4d0"  # RMS band inside it
WAVEFORM_AXIS = "#3a3a46"  # each channel's zero line
SPECTRUM_LINE = "#d0d0d8"
ANNOTATION = "#78c8ff"  # a reviewer's marked region: its outline (a pale fill of the same colour)
ANNOTATION_TEXT = "#bfe4ff"
SPECTRUM_MARK = "#9ad0ff"  # where the spectrum at the cursor was taken / the cursor in every case lane
# a matched generator profile's evidence: its peak frequencies on the spectrogram, its per-window readings.
# Green, apart from the probability palette (blue-amber-red), the annotations (pale blue) and magma.
PROFILE_MARK = "#a6f05a"
PROFILE_MARK_ON_LIGHT = "#3d8a14"  # the same marks on the verdict panel's white plots


def probability_rgba(p: np.ndarray | float, *, with_alpha: bool = True) -> np.ndarray:
    """RGBA uint8 for probabilities in 0..1 (any shape -> shape + (4,))."""
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    out = np.empty(p.shape + (4,), dtype=np.uint8)
    for c in range(3):
        out[..., c] = np.round(np.interp(p, _PROB_STOPS, _PROB_RGB[:, c]))
    out[..., 3] = np.round(np.interp(p, _PROB_STOPS, _PROB_ALPHA)) if with_alpha else 255
    return out


def probability_lut(n: int = 256, *, with_alpha: bool = True) -> np.ndarray:
    """(n, 4) uint8 table for ``ImageItem.setLookupTable`` with levels fixed at (0, 1)."""
    return probability_rgba(np.linspace(0.0, 1.0, n), with_alpha=with_alpha)


def probability_colormap(*, with_alpha: bool = False) -> pg.ColorMap:
    """The probability colours as a ColorMap (for the colour bar legend)."""
    rgba = probability_rgba(_PROB_STOPS, with_alpha=with_alpha)
    return pg.ColorMap(_PROB_STOPS, rgba, name="forensic-probability")


def heat_lut(n: int = 256) -> np.ndarray:
    """The heatmap's (n, 4) table over colour strength 0..1 (core.vocabulary.heat_strength): the
    probability palette, with strength 0 (a reading that real music reaches) fully transparent."""
    lut = probability_lut(n)
    lut[0, 3] = 0
    return lut


def heat_colormap() -> pg.ColorMap:
    """The heatmap's colours as a ColorMap (for its colour bar)."""
    return probability_colormap(with_alpha=True)


def spectrogram_colormap(name: str) -> pg.ColorMap:
    if name == "grey":
        return pg.ColorMap([0.0, 1.0], [(0, 0, 0), (255, 255, 255)], name="grey")
    return pg.colormap.get(name)


def spectrogram_lut(name: str, n: int = 256) -> np.ndarray:
    return spectrogram_colormap(name).getLookupTable(0.0, 1.0, n, alpha=False)


def probability_hex(p: float) -> str:
    r, g, b, _ = probability_rgba(float(p), with_alpha=False)
    return f"#{int(r):02x}{int(g):02x}{int(b):02x}"
