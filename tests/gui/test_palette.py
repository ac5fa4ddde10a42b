"""One probability palette: the window's heatmap colours and the report's are the same colours."""

from __future__ import annotations

import numpy as np

from forensic_app.gui import colours
from forensic_app.report.figures import HEATMAP_CMAP, _bar_colour


def test_window_and_report_paint_a_probability_in_the_same_colour():
    p = np.linspace(0.0, 1.0, 41)
    window = colours.probability_rgba(p, with_alpha=True).astype(float)
    report = np.array([HEATMAP_CMAP(float(x)) for x in p]) * 255.0
    assert np.abs(window - report).max() <= 3.0  # 8-bit rounding and the colour map's 256-step table
    bars = np.array([_bar_colour(float(x)) for x in p]) * 255.0
    assert np.abs(colours.probability_rgba(p, with_alpha=False)[:, :3] - bars).max() <= 1.0
    # and it runs from blue (no traces) to red (likely AI)
    assert window[0, 2] > window[0, 0] and window[-1, 0] > window[-1, 2]
