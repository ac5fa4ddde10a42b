"""Evidence figures for the report, drawn with matplotlib's Agg backend into RGB images.

Only ``matplotlib.figure.Figure`` with an explicit Agg canvas is used (never pyplot, never
``matplotlib.use``), so the report neither depends on nor changes the process's
matplotlib backend, and can be written from a worker thread. One palette (:data:`HEATMAP_CMAP`,
the window's) colours the window timeline's probabilities and the heatmap's strength (how rare a
patch's reading is among real-music patches, core.vocabulary.heat_strength), as in the window.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
from PIL import Image as PILImage
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from forensic_app.core.result import CombEvidence, Heatmap, Spectrogram, WindowScore
from forensic_app.core.vocabulary import (
    HEAT_LABEL,
    format_clock,
    HEAT_TICKS,
    HEAT_UNCOLOURED_SHARE,
    PROBABILITY_ALPHA,
    PROBABILITY_RGB,
    PROBABILITY_STOPS,
    format_probability,
)

DPI = 200
SPECTROGRAM_DPI = 160  # the overview has more columns than the page has dots anyway
PROBABILITY_NORM = Normalize(vmin=0.0, vmax=1.0, clip=True)
# The window's probability palette (core.vocabulary's stops): blue (no traces) through amber to red,
# translucent at the low end so the spectrogram shows through, as in the window.
HEATMAP_CMAP = LinearSegmentedColormap.from_list(
    "forensic_probability",
    [
        (stop, tuple(c / 255.0 for c in (*rgb, alpha)))
        for stop, rgb, alpha in zip(PROBABILITY_STOPS, PROBABILITY_RGB, PROBABILITY_ALPHA)
    ],
)
SPECTROGRAM_CMAP = "Greys"  # loud = dark on white paper
SPECTROGRAM_RANGE_DB = 70.0
REGION_COLOUR = "#1565c0"  # annotation rectangles: dark blue outlines, apart from the heatmap's translucent fills
_KHZ = FuncFormatter(lambda v, _pos: f"{v / 1000:g}")


def _raster(fig: Figure, dpi: int = DPI) -> PILImage.Image:
    """The figure as an RGB image: handed to reportlab as pixels, no PNG encode/decode
    round trip (that cost about half a second per report)."""
    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return PILImage.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy())


def _uniform(edges: np.ndarray) -> bool:
    steps = np.diff(np.asarray(edges, dtype=float))
    return steps.size > 0 and bool(np.allclose(steps, steps[0], rtol=1e-3, atol=0.0))


def _draw_grid(ax, x_edges: np.ndarray, y_edges: np.ndarray, values: np.ndarray, **kwargs):
    """Cells ``values[i, j]`` over ``[x_edges[j], x_edges[j+1]) x [y_edges[i], y_edges[i+1])``.

    Evenly spaced edges go through ``imshow`` (fast, antialiased downsampling of a
    1025 x 2580 overview); uneven ones through ``pcolormesh``, which places every cell
    exactly but is slow for big grids.
    """
    if _uniform(x_edges) and _uniform(y_edges):
        extent = (float(x_edges[0]), float(x_edges[-1]), float(y_edges[0]), float(y_edges[-1]))
        return ax.imshow(values, origin="lower", extent=extent, aspect="auto", interpolation="antialiased", **kwargs)
    return ax.pcolormesh(x_edges, y_edges, values, shading="flat", rasterized=True, **kwargs)


def _clock(value: float, _pos: object = None) -> str:
    """Axis ticks: whole seconds as m:ss, others with tenths (core.vocabulary.format_clock)."""
    return format_clock(value, 0 if round(value * 10) % 10 == 0 else 1)


def _time_axis(ax, duration_s: float) -> None:
    """Minutes:seconds, as in the report's tables and in any audio player."""
    ax.set_xlim(0.0, duration_s)
    ax.set_xlabel("Time (minutes:seconds)")
    ax.xaxis.set_major_locator(MaxNLocator(nbins=12, steps=[1, 1.5, 2, 3, 5, 6, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(_clock))


def _levels(db: np.ndarray) -> tuple[float, float]:
    """A fixed dB range below a robust top (a single click should not wash the rest out)."""
    finite = db[np.isfinite(db)]
    top = float(np.percentile(finite, 99.5)) if finite.size else 0.0
    return top - SPECTROGRAM_RANGE_DB, top


def spectrogram_figure(
    overview: Spectrogram,
    heatmap: Heatmap,
    *,
    duration_s: float,
    width_in: float,
    regions: Sequence["Region"] = (),
) -> PILImage.Image:
    """:func:`build_spectrogram_figure` as an image."""
    fig = build_spectrogram_figure(overview, heatmap, duration_s=duration_s, width_in=width_in)
    if regions:
        draw_regions(fig.axes[:2], regions)
    return _raster(fig, dpi=SPECTROGRAM_DPI)


# (label, start_s, end_s, low_hz or None, high_hz or None): a marked region (a case annotation)
Region = tuple[str, float, float, Optional[float], Optional[float]]


def draw_regions(axes, regions: Sequence[Region]) -> None:
    """Outline each region on each of ``axes`` (time on x, Hz on y), labelled at its top left.
    A region without a frequency range spans the whole height."""
    from matplotlib.patches import Rectangle

    for ax in axes:
        y0, y1 = ax.get_ylim()
        for label, start, end, low, high in regions:
            lo = y0 if low is None else float(low)
            hi = y1 if high is None else float(high)
            ax.add_patch(
                Rectangle(
                    (start, lo), end - start, hi - lo, fill=False, ec=REGION_COLOUR, lw=1.2, ls=(0, (4, 2)), zorder=5
                )
            )
            ax.text(
                start,
                min(hi, y1),
                label,
                color=REGION_COLOUR,
                fontsize=7,
                fontweight="bold",
                va="top",
                ha="left",
                zorder=6,
                clip_on=True,
                bbox=dict(facecolor="white", alpha=0.8, lw=0, pad=1.0),
            )


def build_spectrogram_figure(
    overview: Spectrogram,
    heatmap: Heatmap,
    *,
    duration_s: float,
    width_in: float,
) -> Figure:
    """Two stacked panels sharing axes: the plain spectrogram, and the same spectrogram
    with the detector heatmap over it, each placed at its true time/frequency edges.
    ``fig.axes[1]`` is the overlay panel."""
    fig = Figure(figsize=(width_in, 5.0), layout="constrained")
    axes = fig.subplots(2, 1, sharex=True, sharey=True)
    vmin, vmax = _levels(overview.db)
    for ax in axes:
        mesh = _draw_grid(
            ax, overview.time_edges_s, overview.freq_edges_hz, overview.db, cmap=SPECTROGRAM_CMAP, vmin=vmin, vmax=vmax
        )
        ax.set_ylabel("Frequency (kHz)")
        ax.yaxis.set_major_formatter(_KHZ)
        ax.set_ylim(float(overview.freq_edges_hz[0]), float(overview.freq_edges_hz[-1]))
    axes[0].set_title("Spectrogram of the analysed audio", fontsize=10, loc="left")
    bar = fig.colorbar(mesh, ax=axes[0], pad=0.01, fraction=0.04)
    bar.set_label("Level (dB)", fontsize=8)
    bar.ax.tick_params(labelsize=7)

    strength = np.asarray(heatmap.strength, dtype=float)
    if strength.size:
        # Always pcolormesh: a few hundred cells, drawn as crisp rectangles at their edges. Cells
        # whose reading real music reaches (strength 0) are left out, as in the window.
        hm = axes[1].pcolormesh(
            heatmap.time_edges_s,
            heatmap.freq_edges_hz,
            np.ma.masked_less_equal(strength, 0.0),
            cmap=HEATMAP_CMAP,
            norm=PROBABILITY_NORM,
            shading="flat",
            edgecolors="none",
            rasterized=True,
        )
    else:
        from matplotlib.cm import ScalarMappable

        hm = ScalarMappable(norm=PROBABILITY_NORM, cmap=HEATMAP_CMAP)
        axes[1].text(0.5, 0.5, "no heatmap cells", transform=axes[1].transAxes, ha="center")
    axes[1].set_title(
        f"How unusual each patch is for real music (uncoloured: reached by {100 * HEAT_UNCOLOURED_SHARE:g} % or more)",
        fontsize=10,
        loc="left",
    )
    bar = fig.colorbar(hm, ax=axes[1], pad=0.01, fraction=0.04, ticks=[v for v, _ in HEAT_TICKS])
    bar.ax.set_yticklabels([t for _, t in HEAT_TICKS])
    bar.set_label(HEAT_LABEL.replace(" share ", " share\n", 1), fontsize=7)
    bar.ax.tick_params(labelsize=7)
    _time_axis(axes[1], duration_s)
    for ax in axes:
        ax.tick_params(labelsize=8)
        ax.set_xlim(0.0, duration_s)
    return fig


def _bar_colour(p: float) -> tuple[float, float, float]:
    """The heatmap's colour for ``p``, opaque (as the window's timeline draws its bars)."""
    q = float(PROBABILITY_NORM(p))
    return tuple(float(np.interp(q, PROBABILITY_STOPS, [c[i] for c in PROBABILITY_RGB])) / 255.0 for i in range(3))


def timeline_figure(
    windows: Sequence[WindowScore],
    top: Sequence[WindowScore],
    *,
    probability_fake: float,
    duration_s: float,
    width_in: float,
) -> PILImage.Image:
    """Per-window probability over time; the highest-scoring windows are numbered."""
    fig = Figure(figsize=(width_in, 2.3), layout="constrained")
    ax = fig.subplots()
    if windows:
        centres = np.array([(w.start_s + w.end_s) / 2 for w in windows])
        probs = np.array([w.probability_fake for w in windows])
        order = np.argsort(centres)
        ax.plot(centres[order], probs[order], color="0.55", lw=0.8, zorder=1)
        for w in windows:
            ax.hlines(
                w.probability_fake, w.start_s, w.end_s, colors=[_bar_colour(w.probability_fake)], lw=3.0, zorder=2
            )
        for rank, w in enumerate(top, start=1):
            ax.axvspan(w.start_s, w.end_s, color="#3b6fb6", alpha=0.10, lw=0, zorder=0)
            ax.annotate(
                str(rank),
                ((w.start_s + w.end_s) / 2, w.probability_fake),
                xytext=(0, 5),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
                color="#1d3f73",
                fontweight="bold",
            )
    else:
        ax.text(0.5, 0.5, "no windows", transform=ax.transAxes, ha="center")
    ax.axhline(
        probability_fake,
        color="#1d3f73",
        ls="--",
        lw=0.9,
        label=f"whole-track probability {format_probability(probability_fake)}",
    )
    if top:
        from matplotlib.patches import Patch

        handles, labels = ax.get_legend_handles_labels()
        handles.append(Patch(color="#3b6fb6", alpha=0.15, lw=0))
        labels.append("highest-scoring windows (numbered as in the table)")
        ax.legend(
            handles,
            labels,
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncol=2,
            fontsize=7,
            frameon=False,
            borderaxespad=0.2,
        )
    else:
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=7, frameon=False, borderaxespad=0.2)
    ax.set_ylim(0.0, 1.1)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_ylabel("Window evidence")
    ax.grid(axis="y", color="0.9", lw=0.6)
    _time_axis(ax, duration_s)
    ax.tick_params(labelsize=8)
    return _raster(fig)


def comb_figure(comb: CombEvidence, *, width_in: float) -> PILImage.Image:
    """Residual spectrum with the expected comb lines (dashed) and the ones found (red)."""
    fig = Figure(figsize=(width_in, 2.6), layout="constrained")
    ax = fig.subplots()
    freqs = np.asarray(comb.freqs_hz, dtype=float)
    resid = np.asarray(comb.residual_db, dtype=float)
    ax.plot(freqs, resid, color="0.25", lw=0.6, label="residual spectrum")
    for i, f in enumerate(np.asarray(comb.expected_lines_hz, dtype=float)):
        ax.axvline(
            f,
            color="#3b6fb6",
            ls=(0, (3, 3)),
            lw=0.6,
            alpha=0.7,
            label=f"expected line (multiple of {comb.f0_hz:.1f} Hz)" if i == 0 else None,
        )
    found = np.asarray(comb.lines_found_hz, dtype=float)
    if found.size and freqs.size:
        ax.scatter(
            found,
            np.interp(found, freqs, resid),
            s=18,
            facecolors="none",
            edgecolors="#c0151b",
            lw=1.1,
            zorder=3,
            label="line found",
        )
    ax.set_xlabel("Frequency (kHz)")
    ax.xaxis.set_major_formatter(_KHZ)
    ax.set_ylabel("Above floor (dB)")
    if freqs.size:
        ax.set_xlim(float(freqs[0]), float(freqs[-1]))
    ax.grid(axis="y", color="0.9", lw=0.6)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, fontsize=7, frameon=False, borderaxespad=0.2)
    ax.tick_params(labelsize=8)
    return _raster(fig)


def fakeprint_figure(ev, *, width_in: float) -> PILImage.Image:
    """The fakeprint (1-8 kHz peak residue, 0-1) with the bins that weigh most towards 'AI' circled."""
    fig = Figure(figsize=(width_in, 2.2), layout="constrained")
    ax = fig.subplots()
    freqs = np.asarray(ev.freqs_hz, dtype=float)
    ax.plot(freqs, np.asarray(ev.fakeprint, dtype=float), color="0.25", lw=0.5, label="fakeprint (peak residue)")
    if ev.top_bins:
        f = np.array([b[0] for b in ev.top_bins])
        ax.scatter(
            f,
            np.interp(f, freqs, ev.fakeprint),
            s=18,
            facecolors="none",
            edgecolors="#c0151b",
            lw=1.1,
            zorder=3,
            label="bins that weigh most towards 'AI'",
        )
    ax.set_xlabel("Frequency (kHz)")
    ax.xaxis.set_major_formatter(_KHZ)
    ax.set_ylabel("Residue (0-1)")
    ax.set_xlim(float(freqs[0]), float(freqs[-1]))
    ax.set_ylim(-0.02, 1.05)
    ax.grid(axis="y", color="0.9", lw=0.6)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, fontsize=7, frameon=False, borderaxespad=0.2)
    ax.tick_params(labelsize=8)
    return _raster(fig)
