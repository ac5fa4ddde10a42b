"""An opened audio file read in float32 blocks: :class:`AudioSource`.

Three readers stand behind ``AudioSource.blocks``: libsndfile (soundfile), the raw PCM of
an unfinalised WAV read as headerless data, and an ``ffmpeg ... -f f32le -`` pipe (no
temporary file, no 4 GiB limit). Which one a file gets, and the facts an ``AudioSource``
holds, are decided when :func:`forensic_app.core.audio.open_audio` probes the file.

Decoders that meet damaged data skip it and go on (libmpg123 resyncs to the next frame,
ffmpeg drops the packet); what they print about it is captured, never shown, and becomes
``AudioSource.skipped_at_s`` (a note in the result). When decoding stops instead, the message
says so in plain words (:func:`decode_failure`), not in the decoder's.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

import numpy as np
import soundfile as sf

from .containers import SAMPLE_BYTES
from .errors import UnusableInputError, unusable_input
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
    ``skipped_at_s``: where (seconds, about) the decoder met damaged data and skipped it, filled
    while the blocks are read.
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
    skipped_at_s: list[float] = field(default_factory=list)
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
        except (sf.LibsndfileError, RuntimeError) as exc:  # libsndfile reports some decode errors as RuntimeError
            raise decode_failure(self.path, read / self.sample_rate, str(exc).splitlines()) from None
        if self.exact_length and self.n_frames and read < 0.98 * self.n_frames - self.sample_rate:
            raise unusable_input(
                self.path,
                f"the file is truncated: its header promises {self.duration_s:.1f} s but only "
                f"{read / self.sample_rate:.1f} s could be decoded",
                "Get a complete copy of the file",
            )
        self.n_frames = read  # exact count (MP3 and ffmpeg lengths are estimates)

    def close(self) -> None:  # nothing is held open between reads; kept for the context-manager contract
        pass

    def __enter__(self) -> "AudioSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# What decoders print about damaged data: libmpg123 inside libsndfile ("Note: Illegal
# Audio-MPEG-Header 0x... at offset 48527.", "Note: Trying to resync...", "[src/libmpg123/...]
# error: ..."); ffmpeg ("[mp3float @ 0x...] Header missing", "[ogg @ 0x...] CRC mismatch!",
# "[flac @ 0x...] invalid residual", and for each packet dropped "Error while decoding stream
# #0:0: ..."). Not damage: ffmpeg's remarks at the seam of a chained Ogg ("[ogg @ 0x...] failed
# to create or replace stream", our f32le output's "non monotonically increasing dts").
_MPG123_LINE = re.compile(r"^(?:Note|Warning|Error): |^\[[^\]]*libmpg123[^\]]*\]")
_FFMPEG_DAMAGE = re.compile(
    r"Error while decoding|Decoding error|Header missing|CRC mismatch|invalid residual|"
    r"decode_frame\(\) failed|corrupt|damaged|conceal",
    re.IGNORECASE,
)
_STDERR_LOCK = threading.RLock()  # one redirect of file descriptor 2 at a time, process-wide


class NativeStderr:
    """Captures what native code writes straight to file descriptor 2, past Python (libmpg123
    inside libsndfile prints its warnings there), while :meth:`capturing` runs.

    The redirect is process-wide, so only one is active at a time; lines another thread wrote
    meanwhile (anything that is not a decoder's) are given back to stderr by :meth:`decoder_lines`.
    Where file descriptor 2 cannot be redirected, nothing is captured.
    """

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="forensic-app-stderr-")
        self._done = 0

    @contextlib.contextmanager
    def capturing(self) -> Iterator[None]:
        with _STDERR_LOCK:
            try:
                sys.stderr.flush()
                saved = os.dup(2)
            except (OSError, ValueError):
                yield
                return
            os.dup2(self._file.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
                os.close(saved)

    def decoder_lines(self) -> list[str]:
        """The decoder's lines captured since the last call; other lines go back to stderr."""
        size = os.fstat(self._file.fileno()).st_size
        if size == self._done:
            return []
        self._file.seek(self._done)
        text = self._file.read(size - self._done)
        self._done = size
        lines, other = [], b""
        for line in text.splitlines(keepends=True):
            if _MPG123_LINE.match(line.decode("utf-8", "replace")):
                lines.append(line.decode("utf-8", "replace").strip())
            else:
                other += line
        if other:
            with contextlib.suppress(OSError):
                os.write(2, other)
        return lines

    def close(self) -> None:
        self._file.close()


@contextlib.contextmanager
def quiet_native_stderr(enabled: bool = True):
    """libmpg123 prints warnings ("Xing stream size off by more than 1 %") straight to file
    descriptor 2, past Python: hide them while libsndfile opens an MP3. Our own message says
    what matters."""
    if not enabled:
        yield
        return
    capture = NativeStderr()
    try:
        with capture.capturing():
            yield
        capture.decoder_lines()  # dropped; anything else written meanwhile goes back to stderr
    finally:
        capture.close()


_UNKNOWN_CODEC = re.compile(r"Decoder \(codec [^)]*\) not found|Decoder not found|codec not currently supported")


def decode_failure(path: Path, at_s: float, lines: list[str]) -> UnusableInputError:
    """The one message for a decode that stopped, from the decoder's own lines (never shown:
    "Decoder (codec none) not found for input stream #0:0" means nothing to people)."""
    if any(_UNKNOWN_CODEC.search(x) for x in lines):
        return unusable_input(
            path,
            "the audio in this file is stored in a format (codec) that the installed ffmpeg cannot decode",
            "Convert it to WAV or FLAC with the program that made it and try again",
        )
    where = f" past {at_s:.1f} s" if at_s >= 0.05 else ""
    return unusable_input(
        path,
        f"the file is damaged or truncated: its audio could not be decoded{where}",
        "Get an intact copy of the file, or convert it to WAV/FLAC with another program",
    )


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
    capture = None
    if src._raw is not None:
        offset, subtype = src._raw
        # an unfinalised WAV: read its PCM as headerless data from the data chunk to the end of the file
        f = _FileSlice(src.path, offset, src.n_frames * src.channels * SAMPLE_BYTES[subtype])
        sfile = sf.SoundFile(
            f, format="RAW", subtype=subtype, samplerate=src.sample_rate, channels=src.channels, endian="LITTLE"
        )
    else:
        with quiet_native_stderr(is_mp3(src.path)):
            f, sfile = None, sf.SoundFile(os.fsencode(src.path))
        if is_mp3(src.path):
            capture = NativeStderr()
    try:
        with sfile:
            while True:
                check(cancel)
                data = (
                    sfile.read(block_frames, dtype="float32", always_2d=True)
                    if capture is None
                    else _read_watched(sfile, src, block_frames, capture)
                )
                if data.shape[0] == 0:
                    break
                yield data
    finally:
        if f is not None:
            f.close()
        if capture is not None:
            capture.close()


def _read_watched(sfile: sf.SoundFile, src: AudioSource, block_frames: int, capture: NativeStderr) -> np.ndarray:
    """One block, read half a second at a time with libmpg123's stderr captured: where it complains,
    it met damaged data and skipped it, by the time the audio read so far reaches (its byte
    offsets mean nothing to people)."""
    out = np.empty((block_frames, src.channels), np.float32)
    step, done = max(1, src.sample_rate // 2), 0
    while done < block_frames:
        n = min(step, block_frames - done)
        with capture.capturing():
            got = sfile.read(n, dtype="float32", always_2d=True, out=out[done : done + n])
        done += got.shape[0]
        if capture.decoder_lines():
            _note_skip(src, sfile.tell() / src.sample_rate)
        if got.shape[0] < n:
            break
    return out[:done]


def _note_skip(src: AudioSource, at_s: float) -> None:
    if not src.skipped_at_s or at_s - src.skipped_at_s[-1] > 1.5:  # one damaged stretch, one place
        src.skipped_at_s.append(at_s)


def _ffmpeg_blocks(src: AudioSource, block_frames: int, cancel: Optional[CancelToken]) -> Iterator[np.ndarray]:
    """float32 blocks from ``ffmpeg ... -f f32le -`` at the first stream's rate and channel count.

    ffmpeg's stderr goes to a temporary file (a pipe could fill up and stall it), looked at after
    each half second of output: what it says about damaged data it skipped becomes ``src.skipped_at_s``."""
    exe = ffmpeg_path()
    if exe is None:
        raise unusable_input(
            src.path, "ffmpeg is needed to decode this file but is no longer installed", "Install ffmpeg and try again"
        )
    errors = tempfile.TemporaryFile(prefix="forensic-app-ffmpeg-")
    proc = subprocess.Popen(
        [
            exe,
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(src.path),
            "-vn",
            "-map",
            "0:a:0",
            "-f",
            "f32le",
            "-acodec",
            "pcm_f32le",
            "-ac",
            str(src.channels),
            "-ar",
            str(src.sample_rate),
            "-",
        ],
        stdout=subprocess.PIPE,
        stderr=errors,
    )
    assert proc.stdout is not None  # stdout=PIPE
    frame_bytes = 4 * src.channels
    seen = 0  # bytes of stderr already looked at
    lines: list[str] = []

    def new_lines() -> list[str]:
        nonlocal seen
        size = os.fstat(errors.fileno()).st_size
        if size == seen:
            return []
        errors.seek(seen)
        text = errors.read(size - seen).decode("utf-8", "replace")
        seen = size
        return [x.strip() for x in text.splitlines() if x.strip()]

    try:
        block_bytes, step_bytes = block_frames * frame_bytes, max(1, src.sample_rate // 2) * frame_bytes
        pending, received = bytearray(), 0
        while True:
            check(cancel)
            chunk = proc.stdout.read(step_bytes)  # half a second at a time, so a complaint is placed to about that
            received += len(chunk)
            fresh = new_lines()
            lines = (lines + fresh)[-20:]  # enough to tell why it stopped, however much it complained
            if any(_FFMPEG_DAMAGE.search(x) for x in fresh):
                _note_skip(src, received // frame_bytes / src.sample_rate)
            pending += chunk
            while len(pending) >= block_bytes or (not chunk and len(pending) >= frame_bytes):
                n = min(len(pending), block_bytes) // frame_bytes * frame_bytes
                yield np.frombuffer(bytes(pending[:n]), dtype="<f4").reshape(-1, src.channels)
                del pending[:n]
            if not chunk:
                break
        if proc.wait() != 0:
            lines += new_lines()
            raise RuntimeError("\n".join(lines[-5:]) or f"ffmpeg stopped with status {proc.returncode}")
        if any(_FFMPEG_DAMAGE.search(x) for x in new_lines()):
            _note_skip(src, received // frame_bytes / src.sample_rate)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        errors.close()
