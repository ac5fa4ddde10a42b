"""How the score moves when the audio is re-encoded or lightly manipulated.

Detectors of decoder artefacts are known to be fragile: a lossy round trip, a small pitch
shift or faint noise can move their score a long way. ``check_robustness`` analyses
manipulated copies of the audio with the same model and settings (``analyze()`` on each copy
in memory, through the same reader as a file; nothing is written to disk) so a person can see whether a finding survives processing that a distributor or
an encoder could also apply. The user's file is only read.

Each manipulation works on the mono mix (the analysis mixes to mono anyway) at the file's
own sample rate. Long tracks are checked on their first ``MAX_CHECK_S`` seconds, and then the
unmanipulated excerpt is analysed too, so every row compares like with like.
"""

from __future__ import annotations

import os
import subprocess
from contextlib import nullcontext
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import soundfile as sf

from .audio import open_audio
from .audio_source import ffmpeg_path
from .decoded import ArraySource, PcmSource
from .mono import Downmix
from .progress import CancelToken, Progress, ProgressCallback, check

MAX_CHECK_S = 300.0


@dataclass(frozen=True)
class Manipulation:
    label: str  # what the report and the window print
    apply: Callable[[np.ndarray, int], np.ndarray]  # (n,) float32 mono, rate -> (m,) float32
    needs_ffmpeg: bool = False


MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)


def encoder_rate(encoder: str, rate: int) -> int:
    """The rate a lossy round trip encodes at: Opus runs at 48 kHz only; MP3 at its nine legal
    rates (the nearest one not above the file's, 48 kHz for hi-res files, as a distributor would)."""
    if encoder == "libopus":
        return 48000
    return max([r for r in MP3_RATES if r <= rate] or [MP3_RATES[0]])


class ManipulationError(RuntimeError):
    """A manipulation could not be run; the message is plain words for the robustness table."""


def _run_ffmpeg(cmd: list[str], what: str) -> bytes:
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        last = (proc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise ManipulationError(f"ffmpeg could not {what}" + (f" ({last[-1][:120]})" if last else ""))
    return proc.stdout


def _ffmpeg_round_trip(x: np.ndarray, rate: int, encoder: str, ext: str, kbps: int) -> np.ndarray:
    exe = ffmpeg_path()
    if exe is None:
        raise ManipulationError("ffmpeg is not installed")
    with tempfile.TemporaryDirectory(prefix="fa-robust-") as tmp:
        src, enc = os.path.join(tmp, "in.wav"), os.path.join(tmp, f"enc.{ext}")
        sf.write(src, np.clip(x, -1, 1), rate, subtype="FLOAT")
        out_rate = encoder_rate(encoder, rate)
        _run_ffmpeg(
            [exe, "-v", "error", "-y", "-i", src, "-c:a", encoder, "-b:a", f"{kbps}k", "-ar", str(out_rate), enc],
            f"encode the audio at {out_rate} Hz",
        )
        raw = _run_ffmpeg(
            [exe, "-v", "error", "-i", enc, "-ac", "1", "-ar", str(rate), "-f", "f32le", "-"], "decode the encoded copy"
        )
    y = np.frombuffer(raw, np.float32)
    return (y[: x.size] if y.size >= x.size else np.pad(y, (0, x.size - y.size))).astype(np.float32)


def _gain(x: np.ndarray, rate: int) -> np.ndarray:
    return (x * 10 ** (-6 / 20)).astype(np.float32)


def _pitch_up(x: np.ndarray, rate: int) -> np.ndarray:
    import librosa

    return librosa.effects.pitch_shift(x, sr=rate, n_steps=1.0).astype(np.float32)


def _slower(x: np.ndarray, rate: int) -> np.ndarray:
    import librosa

    return librosa.effects.time_stretch(x, rate=1 / 1.04).astype(np.float32)


def _noise(x: np.ndarray, rate: int) -> np.ndarray:
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0
    noise = np.random.default_rng(0).standard_normal(x.size) * rms * 10 ** (-40 / 20)
    return (x + noise).astype(np.float32)


MANIPULATIONS: tuple[Manipulation, ...] = (
    Manipulation("MP3 round trip at 128 kbps", lambda x, r: _ffmpeg_round_trip(x, r, "libmp3lame", "mp3", 128), True),
    Manipulation(
        "Opus round trip at 96 kbps (as streaming sites use)",
        lambda x, r: _ffmpeg_round_trip(x, r, "libopus", "ogg", 96),
        True,
    ),
    Manipulation("Level 6 dB lower", _gain),
    Manipulation("Pitch shifted up 1 semitone", _pitch_up),
    Manipulation("Slowed down to 96 % speed (pitch kept)", _slower),
    Manipulation("White noise 40 dB below the music", _noise),
)


def _span(seconds: float) -> str:
    return f"{seconds / 60:g} minutes" if seconds >= 120 else f"{seconds:g} s"


def _read_mono(
    source: str | Path | PcmSource, max_s: float, cancel: Optional[CancelToken]
) -> tuple[np.ndarray, int, bool]:
    """(n,) float32 mono of at most ``max_s`` seconds, the rate, and whether the file was longer."""
    with nullcontext(source) if isinstance(source, PcmSource) else open_audio(source, cancel) as src:
        limit = int(max_s * src.sample_rate)
        parts, n = [], 0
        downmix = Downmix(src.channels)  # the analysis' own mix (inverted channels do not cancel)
        for block in src.blocks(src.sample_rate * 30, cancel):
            parts.append(downmix(block))
            n += block.shape[0]
            if n >= limit:
                break
        x = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        return x[:limit].astype(np.float32), src.sample_rate, src.n_frames > limit


def check_robustness(
    source: str | Path | PcmSource,
    *,
    weights_dir: Optional[str | Path] = None,
    manipulations: tuple[Manipulation, ...] = MANIPULATIONS,
    on_progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
    allow_modified: Optional[bool] = None,
) -> list[dict[str, Any]]:
    """Analyse manipulated copies of ``source``; one dict per row, in order:

    ``{"manipulation": label, "probability_fake": float | None, "verdict": str | None}`` plus
    ``"note"`` when a row could not be run (e.g. ffmpeg missing) or concerns an excerpt, and
    ``"reference": True`` on the unmanipulated excerpt row of a track longer than MAX_CHECK_S.
    Raises UnusableInputError for an unreadable file, ModelError, Cancelled.
    """
    from .analysis import analyze
    from .errors import UnusableInputError

    path = source.path if isinstance(source, PcmSource) else Path(source)
    if on_progress:
        on_progress(Progress(0.0, "Robustness check: reading the audio"))
    x, rate, truncated = _read_mono(source, MAX_CHECK_S, cancel)
    jobs: list[tuple[str, Optional[Manipulation]]] = []
    if truncated:
        jobs.append((f"None, first {_span(MAX_CHECK_S)} only (the reference for the rows below)", None))
    jobs += [(m.label, m) for m in manipulations]
    rows: list[dict[str, Any]] = []
    for i, (label, m) in enumerate(jobs):
        check(cancel)
        lo, hi = (i + 0.02) / len(jobs), (i + 1) / len(jobs)
        if on_progress:
            on_progress(Progress(lo, f"Robustness check: {label}"))
        row: dict[str, Any] = {"manipulation": label, "probability_fake": None, "verdict": None}
        if m is None:
            row["reference"] = True  # the unmanipulated excerpt the other rows compare with
        if truncated:
            row["note"] = f"first {_span(MAX_CHECK_S)} of the track"
        try:
            y = x if m is None else m.apply(x, rate)
        except (RuntimeError, OSError, ValueError) as exc:
            if m is not None and m.needs_ffmpeg and ffmpeg_path() is None:
                why = "ffmpeg is not installed"
            elif isinstance(exc, ManipulationError):
                why = str(exc)
            else:  # never a traceback or a command line in the table: what failed, in words
                why = f"the manipulation failed on this audio ({type(exc).__name__})"
            row["note"] = f"not run: {why}"
            rows.append(row)
            continue
        check(cancel)
        copy = ArraySource(np.clip(y, -1.0, 1.0), rate, path)

        def sub(p: Progress, lo=lo, hi=hi, label=label) -> None:
            if on_progress:
                on_progress(Progress(lo + (hi - lo) * p.fraction, f"Robustness check: {label}"))

        try:
            r = analyze(copy, weights_dir=weights_dir, on_progress=sub, cancel=cancel, allow_modified=allow_modified)
        except UnusableInputError as exc:  # e.g. a manipulation left too little audio
            row["note"] = f"not run: {exc}"
            rows.append(row)
            continue
        row["probability_fake"], row["verdict"] = float(r.probability_fake), r.verdict
        rows.append(row)
    if on_progress:
        on_progress(Progress(1.0, "Robustness check finished"))
    return rows


def reference_row(rows: list[dict[str, Any]]) -> Optional[dict[str, Any]]:
    """The unmanipulated-excerpt row of a long track, or None."""
    return next((r for r in rows if r.get("reference")), None)


def reference_probability(probability_fake: float, rows: list[dict[str, Any]]) -> float:
    """What the rows compare with: the excerpt's own score for a long track, else the track's."""
    ref = reference_row(rows)
    return (
        float(ref["probability_fake"])
        if ref is not None and ref.get("probability_fake") is not None
        else float(probability_fake)
    )


def points_change(p: float, p0: float) -> str:
    """'+3 points' / 'no change', as the two values print (core.vocabulary.format_change)."""
    from .vocabulary import format_change

    return format_change(p, p0)
