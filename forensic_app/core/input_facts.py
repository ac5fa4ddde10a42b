"""What is certain about one input file, gathered while it is read: the file's sha256 and its
(size, mtime, inode) fingerprint, the decoded PCM's hash, peak, clipping and finiteness
(:class:`PcmStats`), and the :class:`~forensic_app.core.result.InputInfo` made of them.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Optional

import numpy as np

from .audio_source import AudioSource
from .errors import unusable_input
from .progress import CancelToken, check
from .result import InputInfo

CLIP_LEVEL = 0.999


def file_sha256(path: Path, cancel: Optional[CancelToken] = None, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            check(cancel)
            b = f.read(chunk)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def file_fingerprint(path: Path) -> tuple[int, int, int]:
    """(size, mtime in ns, inode): compared before hashing and after decoding, so a file replaced
    or still being written in between is not reported with one version's hash and another's verdict."""
    st = path.stat()
    return st.st_size, st.st_mtime_ns, st.st_ino


def unchanged_since(
    path: Path,
    fingerprint: Optional[tuple[int, int, int]],
    file_hash: Optional[str] = None,
    cancel: Optional[CancelToken] = None,
) -> bool:
    """Whether ``path`` still has the ``fingerprint`` and, when given, the sha256 ``file_hash`` it had
    before it was decoded.

    The fingerprint alone misses a rewrite in place that keeps the size and puts the old mtime
    back; the hash does not. Hashed before and after the decode with the same result, the file
    held those bytes on both sides of the decode, so the hash is of what was decoded (short of
    a change undone again while decoding). Costs one more read of the file (about 1 GB/s).
    """
    try:
        if fingerprint is not None and file_fingerprint(path) != fingerprint:
            return False
        return file_hash is None or file_sha256(path, cancel) == file_hash
    except OSError:
        return False


class PcmStats:
    """Running facts about decoded PCM: hash, peak, clipping, non-finite samples."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()
        self.peak = 0.0
        self.n_samples = 0
        self.n_clipped = 0

    def update(self, block: np.ndarray, path: Path, offset_s: float, rate: int) -> None:
        """Take the next (n, channels) float32 block at ``offset_s`` into the file.
        Raises UnusableInputError at the first NaN or infinity."""
        if not block.size:
            return
        hi, lo = float(block.max()), float(block.min())  # NaN and infinity propagate
        if not (math.isfinite(hi) and math.isfinite(lo)):
            finite = np.isfinite(block)
            where = offset_s + int(np.argmin(finite.all(axis=1))) / rate
            raise unusable_input(
                path,
                f"the audio contains invalid sample values (NaN or infinity) at {where:.1f} s",
                "Re-export the track from your audio program; the file is damaged",
            )
        # the buffer itself, no bytes copy; numpy's stubs declare ndarray.__buffer__ only for Python >= 3.12
        self._h.update(np.ascontiguousarray(block, dtype="<f4"))  # type: ignore[arg-type]
        peak = max(hi, -lo)
        self.peak = max(self.peak, peak)
        if peak >= CLIP_LEVEL:
            self.n_clipped += int(np.count_nonzero(np.abs(block) >= CLIP_LEVEL))
        self.n_samples += block.size

    @property
    def sha256(self) -> str:
        return self._h.hexdigest()


def make_input_info(src: AudioSource, file_hash: str, pcm_hash: str) -> InputInfo:
    return InputInfo(
        path=str(src.path),
        file_name=src.path.name,
        file_size_bytes=src.path.stat().st_size,
        format=src.format,
        subtype=src.subtype,
        is_lossy=src.is_lossy,
        sample_rate=src.sample_rate,
        channels=src.channels,
        duration_s=src.duration_s,
        n_frames=src.n_frames,
        file_sha256=file_hash,
        pcm_sha256=pcm_hash,
    )
