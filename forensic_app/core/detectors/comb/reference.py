"""Distribution of the comb detector's best z over real music, per source.

Fitted by the training code (:func:`fit_reference`) and shipped as JSON beside the weights;
turns a track's z into "how often real music from the reference reaches this".
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np

from ...errors import ModelError


@dataclass
class CombReference:
    """Best comb z-scores of real-music tracks, per source (e.g. Debian package).

    Fitted by the training code with :func:`fit_reference`; shipped as JSON next to the
    weights. ``settings`` must equal :func:`comb_recipe` of the analyser that uses it.
    """

    z_scores_by_source: dict[str, list[float]]  # source -> sorted best z per real track
    settings: dict[str, Any]  # comb.comb_recipe() of the analyser that produced the z-scores

    @property
    def n_tracks(self) -> int:
        return sum(len(v) for v in self.z_scores_by_source.values())

    def _all_z(self) -> np.ndarray:
        return np.concatenate([np.asarray(v, float) for v in self.z_scores_by_source.values()] or [np.zeros(0)])

    def fp_rate(self, z: float) -> Optional[float]:
        """Share of all reference tracks with best z >= ``z`` (None when empty)."""
        all_z = self._all_z()
        if all_z.size == 0:
            return None
        return float(np.mean(all_z >= z))

    def fp_rate_by_source(self, z: float) -> dict[str, float]:
        """Per-source share of tracks with best z >= ``z``."""
        return {s: float(np.mean(np.asarray(v, float) >= z)) for s, v in self.z_scores_by_source.items() if len(v)}

    def threshold_for_fp_rate(self, fp_rate: float) -> float:
        """Smallest z whose pooled false-positive rate is <= ``fp_rate``."""
        all_z = np.sort(self._all_z())
        if all_z.size == 0:
            raise ValueError("empty reference")
        n_allowed = int(math.floor(fp_rate * all_z.size))
        if n_allowed >= all_z.size:
            return float(all_z[0])
        return float(np.nextafter(all_z[all_z.size - 1 - n_allowed], np.inf))

    def to_json(self, path: Union[str, Path]) -> None:
        data = {
            "format": "forensic_app.comb_reference",
            "settings": self.settings,
            "z_scores_by_source": {
                s: [round(float(z), 4) for z in v] for s, v in sorted(self.z_scores_by_source.items())
            },
        }
        Path(path).write_text(json.dumps(data, indent=1))

    @classmethod
    def from_json(cls, path: Union[str, Path]) -> "CombReference":
        try:
            data = json.loads(Path(path).read_text())
            if data.get("format") != "forensic_app.comb_reference":
                raise ValueError("not a comb reference")
            z = {str(s): sorted(float(x) for x in v) for s, v in data["z_scores_by_source"].items()}
            return cls(z_scores_by_source=z, settings=dict(data["settings"]))
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ModelError(f"Comb reference {path} is unreadable ({err}); reinstall the app's model files.") from err


def fit_reference(z_scores_by_source: dict[str, Sequence[float]], *, settings: dict[str, Any]) -> CombReference:
    """Build a :class:`CombReference` from best z-scores of real tracks, keyed by source.

    ``settings``: ``comb.comb_recipe()`` of the analyser that produced the z-scores (``comb.fit_reference``
    fills in the default analyser's).
    """
    clean = {}
    for src, zs in z_scores_by_source.items():
        arr = np.asarray(list(zs), float)
        arr = arr[np.isfinite(arr)]
        clean[str(src)] = sorted(arr.tolist())
    return CombReference(z_scores_by_source=clean, settings=dict(settings))
