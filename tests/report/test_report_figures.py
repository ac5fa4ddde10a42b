"""What the evidence figures show, checked on the rendered pixels."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

from forensic_app.report import figures

from tests.factories import HOT_END_S, HOT_HIGH_HZ, HOT_LOW_HZ, HOT_START_S, make_result


def _pixel(fig, ax, time_s: float, freq_hz: float) -> np.ndarray:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    x, y = ax.transData.transform((time_s, freq_hz))
    return rgba[int(round(rgba.shape[0] - y)), int(round(x)), :3].astype(int)


def _is_dark_red(rgb: np.ndarray) -> bool:
    r, g, b = rgb
    return r > 110 and g < 60 and b < 80


def test_heatmap_hot_region_is_drawn_where_it_is_in_time_and_frequency():
    # The factory's heatmap has one hot block (12-18 s, 2-8 kHz) on uneven frequency edges:
    # a transposed, flipped or index-placed overlay puts the red somewhere else.
    result = make_result()
    fig = figures.build_spectrogram_figure(result.overview, result.heatmap, duration_s=30.0, width_in=6.8)
    overlay = fig.axes[1]
    mid_t, mid_f = (HOT_START_S + HOT_END_S) / 2, (HOT_LOW_HZ + HOT_HIGH_HZ) / 2
    assert _is_dark_red(_pixel(fig, overlay, mid_t, mid_f))
    for t, f in [(mid_t, 12000.0), (mid_t, 1000.0), (5.0, mid_f), (25.0, mid_f), (30.0 - mid_t, 16000 - mid_f)]:
        assert not _is_dark_red(_pixel(fig, overlay, t, f)), (t, f)
    # The plain spectrogram panel carries no overlay at the same place.
    assert not _is_dark_red(_pixel(fig, fig.axes[0], mid_t, mid_f))


def test_report_package_does_not_import_qt():
    code = (
        "import sys, forensic_app.report; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
