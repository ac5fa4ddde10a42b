"""How unusual a heatmap patch is for real music: the patch CNN's per-patch tail probability.

A raw patch output (or a probability calibrated for whole windows) paints red patches on real
songs: patch logits of real music have a heavy tail, and a picture that looks like evidence
against an artist is worse than none. The heatmap therefore shows, for each patch, the share of
real-music patches that reach its reading: an empirical tail probability (p-value) against a
reference of real music and of ordinary production that imitates decoder evidence (synth notes,
pads, vocoder, bitcrusher, lo-fi, limited masters, near-silence), per heatmap frequency row.

The reference is an equal-weight mixture of its groups (each real source and each kind is one
group), so a small group whose bulk reaches a reading keeps that reading uncoloured even if the
large groups never reach it. Beyond the highest reading any reference patch reached, the share
is the resolution floor ``1 / (n_patches + 1)`` ("rarer than any real-music patch measured").
A new source may sit further out than any in the reference: ``margin_logit`` (fitted by
leaving each group out in turn, see ``benchmarks/patch_null_study.py``) is subtracted from
every reading first, so the shares are conservative for a group the fit did not see.

Stored in calibration.json under ``"patch_null"`` (bound to the weights like the rest of it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

import numpy as np

# Tail levels of the stored table: 1 (every patch) down to 1e-6, 8 per decade.
LEVELS = np.logspace(0.0, -6.0, 49)


@dataclass(frozen=True)
class PatchNull:
    """Per-row tail table of real-music patch logits.

    ``logit_at_level[i, k]``: the patch logit that a share ``levels[k]`` of reference patches in
    heatmap row ``i`` reaches or exceeds (non-decreasing in k; NaN past the floor).
    """

    levels: np.ndarray  # (n_levels,) descending tail shares, levels[0] = 1
    logit_at_level: np.ndarray  # (n_rows, n_levels)
    row_max: np.ndarray  # (n_rows,) highest reference logit per row: beyond it the share is ``floor``
    floor: float  # share given beyond every reference patch: 1 / (n_patches + 1)
    margin_logit: float  # subtracted from readings before the lookup (conservative for new sources)
    groups: tuple[str, ...]
    n_patches: int  # reference patches per frequency row (floor = 1 / (n_patches + 1))
    fitted_on: str = ""

    @property
    def n_rows(self) -> int:
        return int(self.logit_at_level.shape[0])

    def real_share(self, logits: np.ndarray) -> np.ndarray:
        """Share of reference patches reaching each reading.

        logits: (n_rows, n_cols) raw patch-CNN logits (heatmap rows, row 0 lowest frequency).
        Returns (n_rows, n_cols) float32 in [floor, 1]; log-linear between table levels.
        Raises ValueError when the number of rows differs from the table's.
        """
        x = np.asarray(logits, np.float64)
        if x.ndim != 2 or x.shape[0] != self.n_rows:
            raise ValueError(f"patch logits of shape {x.shape} do not match the reference's {self.n_rows} rows")
        out = np.empty(x.shape, np.float32)
        logl = np.log10(self.levels)
        for i in range(self.n_rows):
            q = self.logit_at_level[i]
            ok = np.isfinite(q)
            qi, li = q[ok], logl[ok]
            if self.row_max[i] > qi[-1]:  # the last stretch: from the last level reached to the highest reading
                qi, li = np.append(qi, self.row_max[i]), np.append(li, np.log10(self.floor))
            xi = x[i] - self.margin_logit
            out[i] = 10.0 ** np.interp(xi, qi, li, left=0.0, right=np.log10(self.floor))
        return np.clip(out, self.floor, 1.0)

    def summary(self) -> dict[str, Any]:
        """What an analysis records about the reference it used (provenance)."""
        return {
            "groups": len(self.groups),
            "n_patches": self.n_patches,
            "margin_logit": self.margin_logit,
            "fitted_on": self.fitted_on,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "levels": [float(v) for v in self.levels],
            "logit_at_level": [
                [None if not np.isfinite(v) else round(float(v), 4) for v in row] for row in self.logit_at_level
            ],
            "row_max": [round(float(v), 4) for v in self.row_max],
            "floor": self.floor,
            "margin_logit": self.margin_logit,
            "groups": list(self.groups),
            "n_patches": self.n_patches,
            "fitted_on": self.fitted_on,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "PatchNull":
        table = np.array([[np.nan if v is None else float(v) for v in row] for row in d["logit_at_level"]], np.float64)
        levels = np.asarray(d["levels"], np.float64)
        if table.ndim != 2 or table.shape[1] != len(levels) or not np.all(np.isfinite(table[:, 0])):
            raise ValueError("patch_null table does not match its levels")
        row_max = np.asarray(d["row_max"], np.float64)
        if row_max.shape != (table.shape[0],):
            raise ValueError("patch_null row_max does not match its table")
        return cls(
            levels=levels,
            logit_at_level=table,
            row_max=row_max,
            floor=float(d["floor"]),
            margin_logit=float(d["margin_logit"]),
            groups=tuple(d.get("groups", ())),
            n_patches=int(d["n_patches"]),
            fitted_on=str(d.get("fitted_on", "")),
        )

    @classmethod
    def from_calibration(cls, raw: Mapping[str, Any]) -> Optional["PatchNull"]:
        """The table of a calibration.json dict, or None for calibrations fitted before it existed."""
        d = raw.get("patch_null")
        return None if not d else cls.from_dict(d)


def mixture_tail(groups: Mapping[str, Sequence[np.ndarray]], row: int, grid: np.ndarray) -> tuple[np.ndarray, int]:
    """Equal-weight mixture share of patches in ``row`` reaching each ``grid`` logit, and its patch count.

    groups: name -> list of (n_rows, n_cols) logit maps.
    """
    shares, n_total = [], 0
    for maps in groups.values():
        v = np.sort(np.concatenate([np.asarray(m, np.float64)[row] for m in maps]))
        if v.size == 0:
            continue
        n_total += v.size
        shares.append(1.0 - np.searchsorted(v, grid, side="left") / v.size)
    return np.mean(shares, axis=0), n_total


def fit_patch_null(
    groups: Mapping[str, Sequence[np.ndarray]], *, margin_logit: float = 0.0, fitted_on: str = ""
) -> PatchNull:
    """The table from reference logit maps.

    groups: name (a real source or a kind) -> list of (n_rows, n_cols) raw patch-logit maps.
    Raises ValueError for no groups, no patches, or maps with different row counts.
    """
    maps = [m for ms in groups.values() for m in ms]
    if not maps:
        raise ValueError("no reference patches")
    rows = {np.asarray(m).shape[0] for m in maps}
    if len(rows) != 1:
        raise ValueError(f"reference maps have different row counts: {sorted(rows)}")
    n_rows = rows.pop()
    table = np.full((n_rows, len(LEVELS)), np.nan)
    row_max = np.empty(n_rows)
    n_total = 0
    for i in range(n_rows):
        values = np.unique(np.concatenate([np.asarray(m, np.float64)[i] for m in maps]))
        row_max[i] = values[-1]
        share, n_total = mixture_tail(groups, i, values)  # non-increasing over the sorted values
        for k, level in enumerate(LEVELS):
            reach = np.nonzero(share <= level)[0]
            if k == 0:
                table[i, k] = values[0]
            elif reach.size:
                table[i, k] = values[reach[0]]
        # strictly increasing where defined (flat runs from ties would make interp ambiguous)
        finite = np.isfinite(table[i])
        table[i, finite] = np.maximum.accumulate(table[i, finite] + np.arange(finite.sum()) * 1e-6)
    return PatchNull(
        levels=LEVELS.copy(),
        logit_at_level=table,
        row_max=row_max,
        floor=1.0 / (n_total + 1),
        margin_logit=float(margin_logit),
        groups=tuple(groups),
        n_patches=int(n_total),
        fitted_on=fitted_on,
    )
