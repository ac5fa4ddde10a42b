"""What the batch store keeps of each analysed file so that its verdict can be scored again without
decoding (``forensic-app batch --rescore``): the :class:`~forensic_app.core.scoring.Readings` the verdict
was scored from, the measured fakeprint (the generator profiles read it) and the lines of any further
evidence source (other than the profiles, which rescoring applies afresh).

Plain data both ways (numbers and bytes), so a worker's row pickles cheaply and the main process stores
it without importing torch: window logits as float64 bytes (the bootstrap reads them exactly as analysed),
the (3585,) fakeprint as float16 bytes (~7 KB a file; a profile's logit on it moves by well under 0.01).
"""

from __future__ import annotations

import json
from typing import Any, Optional

import numpy as np

FIELDS = ("comb_z", "comb_offset_bins", "fakeprint_logit", "content_s", "stationarity", "duration_s", "bandwidth_hz")
BUILT_IN_LINES = ("learned", "comb", "fakeprint")  # fusion.decide's own lines (from the readings)


def _num(x: Any) -> Optional[float]:
    return None if x is None else float(x)


def from_result(result: Any, skip_lines: tuple[str, ...] = ("profiles",)) -> Optional[dict[str, Any]]:
    """An AnalysisResult -> the stored readings (None when the result does not carry them)."""
    r = getattr(result, "readings", None)
    if r is None:
        return None
    fp = getattr(result, "fakeprint_curve", None)
    by = result.provenance.settings.get("probability_by_detector") or {}
    other = {k: _num(v) for k, v in by.items() if k not in BUILT_IN_LINES and k not in skip_lines}
    return {
        "window_logits": np.asarray(r.window_logits, "<f8").tobytes(),
        **{k: _num(getattr(r, k)) for k in FIELDS},
        "fakeprint": None if fp is None else np.asarray(fp, "<f2").tobytes(),
        "other_lines": json.dumps(other) if other else None,
    }


def to_readings(stored: Any) -> tuple[Any, Optional[np.ndarray], dict[str, Optional[float]]]:
    """A stored row (mapping with the keys of :func:`from_result`) -> (core.scoring.Readings, the (3585,)
    fakeprint as float64 or None, the further sources' lines)."""
    from ..core.scoring import Readings

    readings = Readings(window_logits=np.frombuffer(stored["window_logits"], "<f8"), **{k: stored[k] for k in FIELDS})
    fp = None if stored["fakeprint"] is None else np.frombuffer(stored["fakeprint"], "<f2").astype(np.float64)
    other = json.loads(stored["other_lines"]) if stored["other_lines"] else {}
    return readings, fp, other
