"""A faithful, JSON-able round trip of :class:`AnalysisResult`, for the case file.

``AnalysisResult.to_json_dict`` is the CLI's contract and summarises the arrays; a case must
bring the whole result back (heatmap, overview spectrogram, windows, detectors, comb and
fakeprint curves, notes, provenance, model card) so that reopening it never re-analyses.

Arrays are stored as ``{"dtype", "shape", "zlib_b64"}``: little-endian bytes, zlib-compressed,
base64 text. Every array keeps its own dtype (lossless) except the overview spectrogram's dB
values, stored as float16 (about 0.03 dB of rounding at -60 dB; the overview is only drawn).
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import asdict
from typing import Any, Mapping, Optional

import numpy as np

from forensic_app.core.fakeprint import FakeprintEvidence
from forensic_app.core.result import (
    AnalysisResult,
    CombEvidence,
    DetectorEvidence,
    Heatmap,
    InputInfo,
    ModelInfo,
    Note,
    Provenance,
    Spectrogram,
    WindowScore,
)

OVERVIEW_DTYPE = "float16"
# The largest array a result holds is the heatmap of a 24-hour file, about 1.3 million values
# with the shipped model; a model with four times the frequency rows still fits.
MAX_ARRAY_VALUES = 1 << 25
_ALLOWED_DTYPES = {"float16", "float32", "float64", "int32", "int64", "uint8", "bool"}


def _readings_to(r: Any) -> dict[str, Any]:
    out = {k: v for k, v in asdict(r).items() if k != "window_logits"}
    out["window_logits"] = encode_array(np.asarray(r.window_logits))
    return out


def _readings_from(d: Mapping[str, Any]) -> Any:
    from forensic_app.core.scoring import Readings

    fields = {k: v for k, v in d.items() if k in Readings.__dataclass_fields__ and k != "window_logits"}
    return Readings(window_logits=decode_array(d["window_logits"]), **fields)


def encode_array(a: np.ndarray, dtype: Optional[str] = None) -> dict[str, Any]:
    """``a`` (any shape) -> ``{"dtype", "shape", "zlib_b64"}``, cast to ``dtype`` if given."""
    arr = np.asarray(a)
    if dtype is not None:
        arr = arr.astype(dtype)
    arr = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
    return {
        "dtype": arr.dtype.name,
        "shape": list(arr.shape),
        "zlib_b64": base64.b64encode(zlib.compress(arr.tobytes(), 6)).decode("ascii"),
    }


def decode_array(d: Mapping[str, Any]) -> np.ndarray:
    """The reverse of :func:`encode_array`. Raises ValueError for anything malformed.

    Never inflates more than the shape promises, and the shape at most :data:`MAX_ARRAY_VALUES`
    values: a few kB of zlib data can otherwise unpack to gigabytes."""
    dtype = str(d["dtype"])
    if dtype not in _ALLOWED_DTYPES:
        raise ValueError(f"unknown array type {dtype!r}")
    shape = tuple(int(n) for n in d["shape"])
    n_values = int(np.prod(shape, dtype=np.int64))
    if min(shape, default=0) < 0 or n_values > MAX_ARRAY_VALUES:
        raise ValueError(f"an array of shape {list(shape)} is larger than any this app writes")
    expected = n_values * np.dtype(dtype).itemsize
    inflate = zlib.decompressobj()
    raw = inflate.decompress(base64.b64decode(d["zlib_b64"], validate=True), expected + 1)
    if len(raw) > expected or not inflate.eof:
        raise ValueError(f"array data longer than its shape {list(shape)}")
    arr = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"))
    if arr.size != n_values:
        raise ValueError(f"array of {arr.size} values cannot have the shape {list(shape)}")
    return arr.reshape(shape).astype(np.dtype(dtype), copy=True)  # native byte order, writeable


def _comb_to(c: CombEvidence) -> dict[str, Any]:
    return {
        "architecture": c.architecture,
        "f0_hz": c.f0_hz,
        "strength_db": c.strength_db,
        "z_score": c.z_score,
        "real_fp_rate": c.real_fp_rate,
        "freqs_hz": encode_array(c.freqs_hz),
        "residual_db": encode_array(c.residual_db),
        "expected_lines_hz": encode_array(c.expected_lines_hz),
        "lines_found_hz": encode_array(c.lines_found_hz),
        "segments": list(c.segments),
        "line_offset_bins": c.line_offset_bins,
    }


def _comb_from(d: Mapping[str, Any]) -> CombEvidence:
    return CombEvidence(
        architecture=d["architecture"],
        f0_hz=float(d["f0_hz"]),
        strength_db=float(d["strength_db"]),
        z_score=float(d["z_score"]),
        real_fp_rate=d["real_fp_rate"],
        freqs_hz=decode_array(d["freqs_hz"]),
        residual_db=decode_array(d["residual_db"]),
        expected_lines_hz=decode_array(d["expected_lines_hz"]),
        lines_found_hz=decode_array(d["lines_found_hz"]),
        segments=list(d["segments"]),
        line_offset_bins=d.get("line_offset_bins"),
    )


def _fakeprint_to(f: FakeprintEvidence) -> dict[str, Any]:
    return {
        "logit": f.logit,
        "reason": f.reason,
        "measured_share": f.measured_share,
        "seconds_used": f.seconds_used,
        "freqs_hz": encode_array(f.freqs_hz),
        "fakeprint": encode_array(f.fakeprint),
        "top_bins": [[float(a), float(b)] for a, b in f.top_bins],
    }


def _fakeprint_from(d: Mapping[str, Any]) -> FakeprintEvidence:
    return FakeprintEvidence(
        logit=d["logit"],
        reason=d["reason"],
        measured_share=float(d["measured_share"]),
        seconds_used=float(d["seconds_used"]),
        freqs_hz=decode_array(d["freqs_hz"]),
        fakeprint=decode_array(d["fakeprint"]),
        top_bins=tuple((float(a), float(b)) for a, b in d["top_bins"]),
    )


def result_to_document(result: AnalysisResult) -> dict[str, Any]:
    """Everything in ``result`` as JSON-able data (see the module docstring for arrays)."""
    r = result
    prov = r.provenance
    return {
        "input": asdict(r.input),
        "probability_fake": r.probability_fake,
        "interval": [r.interval[0], r.interval[1]],
        "verdict": r.verdict,
        "windows": [[w.start_s, w.end_s, w.probability_fake] for w in r.windows],
        "heatmap": {
            "real_share": encode_array(r.heatmap.real_share),
            **({} if r.heatmap.logits is None else {"logits": encode_array(r.heatmap.logits)}),
            "time_edges_s": encode_array(r.heatmap.time_edges_s),
            "freq_edges_hz": encode_array(r.heatmap.freq_edges_hz),
        },
        "overview": {
            "db": encode_array(r.overview.db, OVERVIEW_DTYPE),
            "time_edges_s": encode_array(r.overview.time_edges_s),
            "freq_edges_hz": encode_array(r.overview.freq_edges_hz),
        },
        "detectors": [asdict(d) for d in r.detectors],
        "comb": None if r.comb is None else _comb_to(r.comb),
        "attribution": dict(r.attribution),
        "notes": [asdict(n) for n in r.notes],
        "provenance": {
            "app_version": prov.app_version,
            "model": {**asdict(prov.model), "families": list(prov.model.families)},
            "settings": prov.settings,
            "analysed_at": prov.analysed_at,
            "command": prov.command,
        },
        "robustness": r.robustness,
        "fakeprint": None if r.fakeprint is None else _fakeprint_to(r.fakeprint),
        "model_card": r.model_card,
        "coverage": r.coverage,
        # what the verdict was scored from (scoring.Readings) and the measured fakeprint: a case lane can be
        # re-scored with today's profiles as a batch store can
        "readings": None if r.readings is None else _readings_to(r.readings),
        "fakeprint_curve": None if r.fakeprint_curve is None else encode_array(r.fakeprint_curve),
    }


def _heatmap_from(hm: Mapping[str, Any]) -> Heatmap:
    if "real_share" in hm:
        share = decode_array(hm["real_share"])
    else:
        # a case saved before the heatmap had a real-music reference stored the CNN's
        # display probability; it is not a share of real music, so nothing is shown as unusual
        share = np.ones(decode_array(hm["probabilities"]).shape, np.float32)
    return Heatmap(
        share,
        decode_array(hm["time_edges_s"]),
        decode_array(hm["freq_edges_hz"]),
        logits=decode_array(hm["logits"]) if "logits" in hm else None,
    )


def result_from_document(d: Mapping[str, Any]) -> AnalysisResult:
    """The reverse of :func:`result_to_document`.

    Raises KeyError, TypeError or ValueError when ``d`` is incomplete or malformed (the case
    loader turns these into a :class:`~forensic_app.case.document.CaseFileError`).
    """
    hm, ov, prov = d["heatmap"], d["overview"], d["provenance"]
    overview_db = decode_array(ov["db"]).astype(np.float32)
    model = dict(prov["model"])
    model["families"] = tuple(model.get("families", ()))
    return AnalysisResult(
        input=InputInfo(**d["input"]),
        probability_fake=float(d["probability_fake"]),
        interval=(float(d["interval"][0]), float(d["interval"][1])),
        verdict=str(d["verdict"]),
        windows=[WindowScore(float(a), float(b), float(p)) for a, b, p in d["windows"]],
        heatmap=_heatmap_from(hm),
        overview=Spectrogram(overview_db, decode_array(ov["time_edges_s"]), decode_array(ov["freq_edges_hz"])),
        detectors=[DetectorEvidence(**x) for x in d["detectors"]],
        comb=None if d["comb"] is None else _comb_from(d["comb"]),
        attribution={str(k): float(v) for k, v in d["attribution"].items()},
        notes=[Note(**n) for n in d["notes"]],
        provenance=Provenance(
            app_version=prov["app_version"],
            model=ModelInfo(**model),
            settings=prov["settings"],
            analysed_at=prov["analysed_at"],
            command=prov["command"],
        ),
        robustness=d.get("robustness"),
        fakeprint=None if d.get("fakeprint") is None else _fakeprint_from(d["fakeprint"]),
        model_card=d.get("model_card") or {},
        coverage=str(d.get("coverage") or ""),
        readings=None if d.get("readings") is None else _readings_from(d["readings"]),
        fakeprint_curve=None if d.get("fakeprint_curve") is None else decode_array(d["fakeprint_curve"]),
    )
