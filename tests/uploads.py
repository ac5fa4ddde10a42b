"""A moderator's folder of uploads for the Queue's tests and the README screenshot: audio files in nested
folders (the same base names, ``000001.mp3`` ..., in different folders, as upload dumps name them), real
and decoded music mixed, one upload that is not audio under an audio name, and sidecar ``.txt`` files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from forensic_app.resources import data_dir
from forensic_app.training import kinds
from forensic_app.training.synth import music_like

RATE = 44100
DEMO = "karissa_hobbs-lets_go_fishin-excerpt.flac"  # a real song
DECODED_DEMO = "karissa_hobbs-lets_go_fishin-excerpt-through-hifigan.flac"  # the same through HiFi-GAN
FOLDERS = ("label_north/2026-12-01", "label_north/2026-12-02", "label_south/2026-12-01", "direct")
BROKEN = 13  # this upload's bytes are not audio (a row that says so)
SIDECARS = (2, 7, 21, 40)  # uploads with a description beside them (not audio: left out of the Queue)


def _piece(x: np.ndarray, i: int, n: int) -> np.ndarray:
    start = (i * 7919 * 13) % max(len(x) - n, 1)
    return x[start : start + n]


def write_uploads(folder: Path, n: int = 60, seconds: float = 2.0) -> tuple[list[Path], list[Path]]:
    """``n`` uploads of ``seconds`` each under ``folder``; returns (the audio-named files, the sidecar .txt files).
    Upload i is kind i % 6: the real demo song, the demo through HiFi-GAN (decoded), generated notes,
    a bitcrushed beat, a held synth pad, room tone; upload BROKEN is not audio at all."""
    real, rate = sf.read(data_dir("demo") / DEMO, dtype="float32")
    decoded, rate_d = sf.read(data_dir("demo") / DECODED_DEMO, dtype="float32")
    assert rate == rate_d == RATE
    m = int(seconds * RATE)
    pad = kinds.detuned_pad(31, seconds)  # slow to make: one, at a different level in each upload
    audio, sidecars = [], []
    for i in range(n):
        sub = folder / FOLDERS[i % len(FOLDERS)]
        sub.mkdir(parents=True, exist_ok=True)
        ext = ".mp3" if i % len(FOLDERS) < 3 else (".wav", ".flac")[(i // len(FOLDERS)) % 2]
        path = sub / f"{i // len(FOLDERS) + 1:06d}{ext}"  # 000001.mp3 in label_north/... and in label_south/...
        kind = i % 6
        if i == BROKEN:
            path.write_bytes(b"ID3\x04" + bytes(range(256)) * 4)  # an upload cut off after its tag
        else:
            if kind == 0:
                x = _piece(real, i, m)
            elif kind == 1:
                x = _piece(decoded, i, m)
            elif kind == 2:
                x = music_like(seconds, RATE, i)
            elif kind == 3:
                x = kinds.bitcrush(music_like(seconds, RATE, i).astype(np.float32), 4, 8)
            elif kind == 4:
                x = pad * (0.5 + 0.5 * ((i * 37) % 10) / 10)
            else:
                x = kinds.room_tone(i, seconds)
            sf.write(str(path), np.asarray(x, np.float32), RATE, subtype=None if ext == ".mp3" else "PCM_16")
        audio.append(path)
        if i in SIDECARS:
            sidecar = path.with_suffix(".txt")
            sidecar.write_text(f"Upload {i}: the uploader's description of the track.\n")
            sidecars.append(sidecar)
    return audio, sidecars
