"""An opened audio file read in float32 blocks: :class:`AudioSource`.

Three readers stand behind ``AudioSource.blocks``: libsndfile (soundfile), the raw PCM of
an unfinalised WAV read as headerless data, and an ``ffmpeg ... -f f32le -`` pipe (no
temporary file, no 4 GiB limit). Which one a file gets, and the facts an ``AudioSource``
holds, are decided when :func:`forensic_app.core.audio.open_audio` probes the file.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import numpy as np
import soundfile as sf

from .containers import SAMPLE_BYTES
from .errors import unusable_input
from .progress import CancelToken, check


def ffmpeg_path() -> Optional[str]:
    return shutil.which("ffmpeg")


@dataclass
class AudioSource:
    """An opened, validated audio file that can be read in blocks.

    ``blocks`` yields float32 arrays of shape (n, channels) at the original rate. ``n_frames``
    is the header's length until the file has been read to its end, then the exact count.
    ``exact_length``: the header's length is exact, so a shorter decode means truncation.
    ``container_notes``: note codes about the container (``unfinalised_wav``, ``chained_ogg``).
    """

    path: Path
    format: str
    subtype: str
    is_lossy: bool
    sample_rate: int
    channels: int
    n_frames: int
    exact_length: bool = True
    container_notes: tuple[str, ...] = ()
    _raw: Optional[tuple[int, str]] = None  # (data offset, soundfile subtype) of an unfinalised WAV
    _ffmpeg: bool = False  # decode through an ffmpeg pipe (no temporary file, no 4 GiB limit)

    @property
    def duration_s(self) -> float:
        return self.n_frames / float(self.sample_rate) if self.sample_rate else 0.0

    def blocks(self, block_frames: int, cancel: Optional[CancelToken] = None) -> Iterator[np.ndarray]:
        read = 0
        reader = _ffmpeg_blocks if self._ffmpeg else _soundfile_blocks
        try:
            for data in reader(self, block_frames, cancel):
                read += data.shape[0]
                yield data
        except sf.LibsndfileError as exc:
            raise unusable_input(self.path, f"the file is truncated or corrupt after {read / self.sample_rate:.1f} s ({exc})",
                                 "Get an intact copy of the file, or convert it to WAV/FLAC with another program") from None
        except RuntimeError as exc:  # libsndfile reports some decode errors this way
            raise unusable_input(self.path, f"the file could not be decoded after {read / self.sample_rate:.1f} s ({exc})",
                                 "Get an intact copy of the file, or convert it to WAV/FLAC with another program") from None
        if self.exact_length and self.n_frames and read < 0.98 * self.n_frames - self.sample_rate:
            raise unusable_input(self.path, f"the file is truncated: its header promises {self.duration_s:.1f} s but only "
                                 f"{read / self.sample_rate:.1f} s could be decoded", "Get a complete copy of the file")
        self.n_frames = read  # exact count (MP3 and ffmpeg lengths are estimates)

    def close(self) -> None:  # nothing is held open between reads; kept for the context-manager contract
        pass

    def __enter__(self) -> "AudioSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@contextlib.contextmanager
def quiet_native_stderr(enabled: bool = True):
    """libmpg123 prints warnings ("Xing stream size off by more than 1 %") straight to file
    descriptor 2, past Python: hide them while libsndfile opens an MP3. Our own message says
    what matters."""
    if not enabled:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def is_mp3(path: Path) -> bool:
    return path.suffix.lower() in (".mp3", ".mpga", ".mp2")


class _FileSlice(io.RawIOBase):
    """A read-only view of ``length`` bytes of a file from ``offset`` (libsndfile's virtual I/O seeks and tells)."""

    def __init__(self, path: Path, offset: int, length: int):
        self._f = open(path, "rb")
        self._offset, self._length, self._pos = offset, length, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        self._pos = min(max(0, base + pos), self._length)
        return self._pos

    def readinto(self, buf) -> int:
        view = memoryview(buf).cast("B")
        n = min(len(view), self._length - self._pos)
        self._f.seek(self._offset + self._pos)
        got = self._f.readinto(view[:n])
        self._pos += got
        return got

    def close(self) -> None:
        self._f.close()
        super().close()


def _soundfile_blocks(src: AudioSource, block_frames: int, cancel: Optional[CancelToken]) -> Iterator[np.ndarray]:
    if src._raw is not None:
        offset, subtype = src._raw
        # an unfinalised WAV: read its PCM as headerless data from the data chunk to the end of the file
        f = _FileSlice(src.path, offset, src.n_frames * src.channels * SAMPLE_BYTES[subtype])
        sfile = sf.SoundFile(f, format="RAW", subtype=subtype, samplerate=src.sample_rate,
                             channels=src.channels, endian="LITTLE")
    else:
        with quiet_native_stderr(is_mp3(src.path)):
            f, sfile = None, sf.SoundFile(os.fsencode(src.path))
    try:
        with sfile:
            while True:
                check(cancel)
                data = sfile.read(block_frames, dtype="float32", always_2d=True)
                if data.shape[0] == 0:
                    break
                yield data
    finally:
        if f is not None:
            f.close()


def _ffmpeg_blocks(src: AudioSource, block_frames: int, cancel: Optional[CancelToken]) -> Iterator[np.ndarray]:
    """float32 blocks from ``ffmpeg ... -f f32le -`` at the first stream's rate and channel count."""
    exe = ffmpeg_path()
    if exe is None:
        raise unusable_input(src.path, "ffmpeg is needed to decode this file but is no longer installed", "Install ffmpeg and try again")
    proc = subprocess.Popen([exe, "-nostdin", "-v", "error", "-i", str(src.path), "-vn", "-map", "0:a:0",
                             "-f", "f32le", "-acodec", "pcm_f32le", "-ac", str(src.channels), "-ar", str(src.sample_rate), "-"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    frame_bytes = 4 * src.channels
    try:
        rest = b""
        while True:
            check(cancel)
            chunk = proc.stdout.read(block_frames * frame_bytes)
            if not chunk:
                break
            chunk = rest + chunk
            n = len(chunk) // frame_bytes * frame_bytes
            rest = chunk[n:]
            if n:
                yield np.frombuffer(chunk[:n], dtype="<f4").reshape(-1, src.channels)
        err = proc.stderr.read().decode("utf-8", "replace").strip().splitlines()
        if proc.wait() != 0:
            raise RuntimeError(err[-1] if err else f"ffmpeg stopped with status {proc.returncode}")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
