"""Reading audio files: validation, streaming decode, hashes.

Inputs are only ever opened for reading. Formats: WAV, FLAC, OGG (Vorbis/Opus), MP3 via
libsndfile (soundfile); M4A/AAC and anything else ffmpeg understands via a temporary
WAV decoded by ffmpeg when ffmpeg is installed.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import re
import stat
import sys
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import numpy as np
import soundfile as sf

from .containers import mp3_has_frame_count, ogg_facts, wav_layout
from .errors import UnusableInputError
from .mono import Downmix, mean_channels, to_mono  # noqa: F401 - re-exported: the public audio API
from .progress import CancelToken, check
from .result import InputInfo

LOSSY_SUBTYPES = {"VORBIS", "OPUS", "MPEG_LAYER_I", "MPEG_LAYER_II", "MPEG_LAYER_III"}
FFMPEG_EXTENSIONS = {".m4a", ".aac", ".mp4", ".m4b", ".wma", ".webm", ".mka", ".ac3", ".aiff_ffmpeg"}
MAX_CHANNELS = 64
CLIP_LEVEL = 0.999
# Real recordings run from 8 kHz telephone audio to 768 kHz DXD; a header outside this range
# is damaged, and resampling from it would cost minutes and gigabytes for a few kB of file.
MIN_RATE_HZ, MAX_RATE_HZ = 4000, 768000
MAX_DURATION_S = 24 * 3600.0


def _fail(path: Path, what: str, todo: str) -> UnusableInputError:
    return UnusableInputError(f"{path.name}: {what}. {todo}")


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


def check_path(path: Path) -> None:
    """Raise a user-facing error when ``path`` cannot be an audio file we can read."""
    try:
        exists, is_dir = path.exists(), path.is_dir()
        st = path.stat() if exists else None
    except OSError as exc:  # a folder we may not enter, a name component over 255 bytes, ...
        raise _fail(path, f"the file cannot be reached ({exc.strerror or exc})",
                    "Check that the path is right and that your user may open every folder on the way, "
                    "or copy the file somewhere you can read") from None
    if not exists:
        raise _fail(path, "file not found", f"Check the path ({path}) and try again")
    if is_dir:
        raise _fail(path, "this is a folder, not an audio file", "Choose an audio file inside it")
    if not os.access(path, os.R_OK):
        raise _fail(path, "permission denied", "Make the file readable for your user (or copy it somewhere you can read) and try again")
    if not stat.S_ISREG(st.st_mode):
        raise _fail(path, "this is not a regular file (a pipe, socket or device)",
                    "Save the audio to a file first and analyse that file")
    if st.st_size == 0:
        raise _fail(path, "the file is empty (0 bytes)", "It was probably not copied or downloaded completely; get the file again")


def file_fingerprint(path: Path) -> tuple[int, int, int]:
    """(size, mtime in ns, inode): compared before hashing and after decoding, so a file replaced
    or still being written in between is not reported with one version's hash and another's verdict."""
    st = path.stat()
    return st.st_size, st.st_mtime_ns, st.st_ino


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
            raise _fail(self.path, f"the file is truncated or corrupt after {read / self.sample_rate:.1f} s ({exc})",
                        "Get an intact copy of the file, or convert it to WAV/FLAC with another program") from None
        except RuntimeError as exc:  # libsndfile reports some decode errors this way
            raise _fail(self.path, f"the file could not be decoded after {read / self.sample_rate:.1f} s ({exc})",
                        "Get an intact copy of the file, or convert it to WAV/FLAC with another program") from None
        if self.exact_length and self.n_frames and read < 0.98 * self.n_frames - self.sample_rate:
            raise _fail(self.path, f"the file is truncated: its header promises {self.duration_s:.1f} s but only "
                        f"{read / self.sample_rate:.1f} s could be decoded", "Get a complete copy of the file")
        self.n_frames = read  # exact count (MP3 and ffmpeg lengths are estimates)

    def close(self) -> None:  # nothing is held open between reads; kept for the context-manager contract
        pass

    def __enter__(self) -> "AudioSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@contextlib.contextmanager
def _quiet_native_stderr(enabled: bool = True):
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


def _is_mp3(path: Path) -> bool:
    return path.suffix.lower() in (".mp3", ".mpga", ".mp2")


_RAW_BYTES = {"PCM_U8": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8}


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
        f = _FileSlice(src.path, offset, src.n_frames * src.channels * _RAW_BYTES[subtype])
        sfile = sf.SoundFile(f, format="RAW", subtype=subtype, samplerate=src.sample_rate,
                             channels=src.channels, endian="LITTLE")
    else:
        with _quiet_native_stderr(_is_mp3(src.path)):
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
        raise _fail(src.path, "ffmpeg is needed to decode this file but is no longer installed", "Install ffmpeg and try again")
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


def _declares_more_data(header_log: str) -> bool:
    """libsndfile's header log says ``data : 529200 (should be 176370)`` for a cut-off WAV.

    Streaming writers put placeholder sizes (0 or 0xFFFFFFFF) there; those are not truncation.
    """
    m = re.search(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", header_log, re.MULTILINE)
    if not m:
        return False
    declared, actual = int(m.group(1)), int(m.group(2))
    return actual < declared < 0xFFFFFF00


def _lossy(fmt: str, subtype: str) -> bool:
    return subtype.upper() in LOSSY_SUBTYPES or fmt.upper() in {"MP3", "MPEG"}


def _probe_with_ffmpeg(path: Path, notes: tuple[str, ...] = ()) -> AudioSource:
    """Facts of the first audio stream from ffprobe; decoding happens later, through a pipe."""
    exe, probe = ffmpeg_path(), shutil.which("ffprobe")
    if exe is None or probe is None:
        raise _fail(path, "this format (AAC/M4A or similar) needs ffmpeg, which is not installed",
                    "Install ffmpeg (Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg) or convert the file to WAV/FLAC")
    out = subprocess.run([probe, "-v", "error", "-select_streams", "a:0", "-show_entries",
                          "stream=codec_name,sample_rate,channels,duration:format=duration", "-of", "json", str(path)],
                         capture_output=True, text=True, timeout=120)
    try:
        facts = json.loads(out.stdout or "{}")
        stream = facts["streams"][0]
        rate, channels = int(stream["sample_rate"]), int(stream["channels"])
    except (ValueError, KeyError, IndexError, TypeError):
        msg = out.stderr.strip().splitlines()
        # ffprobe prefixes the full path, and its own "[mjpeg @ 0x55...]" tags mean nothing to people
        detail = re.sub(r"^\[[^\]]* @ 0x[0-9a-f]+\]\s*", "", msg[-1].replace(f"{path}: ", "")) if msg else "no audio stream"
        raise _fail(path, f"not a readable audio file ({detail})",
                    "Check that it plays in a media player; if it does, convert it to WAV or FLAC and try again") from None
    try:
        duration = float(stream.get("duration") or facts.get("format", {}).get("duration") or 0.0)
    except ValueError:
        duration = 0.0
    codec = str(stream.get("codec_name") or "unknown")
    container = path.suffix.lstrip(".").upper() or "ffmpeg"
    return AudioSource(path=path, format=container, subtype=codec,
                       is_lossy=codec not in {"flac", "alac", "pcm_s16le", "pcm_s24le", "pcm_f32le", "wavpack", "ape"},
                       sample_rate=rate, channels=channels, n_frames=max(1, int(round(duration * rate))),
                       exact_length=False, container_notes=notes, _ffmpeg=True)


def _open_with_soundfile(p: Path) -> Optional[AudioSource]:
    """libsndfile's view of the file, corrected by what containers.py reads; None if it cannot read it."""
    if p.suffix.lower() == ".wav" or p.suffix.lower() == ".wave":
        layout = wav_layout(p)
        if layout is not None and layout.unfinalised:
            return AudioSource(path=p, format="WAV", subtype=layout.subtype, is_lossy=False,
                               sample_rate=layout.sample_rate, channels=layout.channels,
                               n_frames=layout.data_bytes // layout.block_align, container_notes=("unfinalised_wav",),
                               _raw=(layout.data_offset, layout.subtype))
    try:
        with _quiet_native_stderr(_is_mp3(p)):
            info = sf.info(os.fsencode(p))
    except Exception:  # noqa: BLE001 - libsndfile does not know it
        return None
    fmt, subtype = str(info.format), str(info.subtype)
    if _declares_more_data(info.extra_info or ""):
        raise _fail(p, "the file is truncated: its header promises more audio than the file holds",
                    "Get a complete copy of the file (it was probably cut off while copying or downloading)")
    exact, notes = True, ()
    if fmt.upper() in {"MP3", "MPEG"} and not mp3_has_frame_count(p):
        # Without a Xing/Info frame libsndfile's length is an estimate from the first frame's
        # bitrate, and it stops decoding there: a VBR file would be cut short or called truncated.
        if ffmpeg_path() is not None:
            src = _probe_with_ffmpeg(p)
            src.format, src.subtype, src.is_lossy = fmt, subtype, True
            return src
        exact, notes = False, ("mp3_length_estimated",)
    if fmt.upper() == "OGG":
        facts = ogg_facts(p)
        if facts.chained:
            if ffmpeg_path() is None:
                raise _fail(p, "this Ogg file holds several chained streams, which need ffmpeg to be read in full",
                            "Install ffmpeg (Debian/Ubuntu: sudo apt-get install ffmpeg) or convert the file to WAV/FLAC")
            src = _probe_with_ffmpeg(p, notes=("chained_ogg",))
            src.format, src.subtype, src.is_lossy = fmt, subtype, True
            return src
        if not facts.complete:
            raise _fail(p, "the file is truncated: its Ogg stream stops without the end-of-stream page",
                        "Get a complete copy of the file (it was probably cut off while copying or downloading)")
    return AudioSource(path=p, format=fmt, subtype=subtype, is_lossy=_lossy(fmt, subtype),
                       sample_rate=int(info.samplerate), channels=int(info.channels), n_frames=int(info.frames),
                       exact_length=exact, container_notes=notes)


def open_audio(path: str | os.PathLike, cancel: Optional[CancelToken] = None) -> AudioSource:
    """Validate ``path`` and open it for block-wise reading (never for writing).

    Raises UnusableInputError (missing, unreadable, truncated, implausible header, ...).
    """
    p = Path(path)
    check_path(p)
    src = None if p.suffix.lower() in FFMPEG_EXTENSIONS else _open_with_soundfile(p)
    if src is None:
        if ffmpeg_path() is None and p.suffix.lower() not in FFMPEG_EXTENSIONS:
            raise _fail(p, "not a readable audio file (unknown or damaged format)",
                        "Use WAV, FLAC, OGG, Opus or MP3, or install ffmpeg for other formats")
        src = _probe_with_ffmpeg(p)
    if src.channels <= 0 or src.channels > MAX_CHANNELS:
        raise _fail(p, f"unsupported audio layout ({src.channels} channels at {src.sample_rate} Hz)",
                    "Export the track as stereo or mono WAV/FLAC and try again")
    if not MIN_RATE_HZ <= src.sample_rate <= MAX_RATE_HZ:
        raise _fail(p, f"the header gives an implausible sample rate ({src.sample_rate} Hz; real audio uses "
                    f"{MIN_RATE_HZ // 1000}-{MAX_RATE_HZ // 1000} kHz), so the file is damaged",
                    "Get an intact copy, or re-export the track from your audio program")
    if src.duration_s > MAX_DURATION_S:
        raise _fail(p, f"the header promises {src.duration_s / 3600:.0f} hours of audio, more than this app analyses "
                    f"({MAX_DURATION_S / 3600:.0f} h)", "Cut the recording into parts of under 24 hours and analyse those")
    if src.n_frames == 0:
        raise _fail(p, "the file contains no audio (zero length)", "Check the export settings of the program that made it")
    return src


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
            raise _fail(path, f"the audio contains invalid sample values (NaN or infinity) at {where:.1f} s",
                        "Re-export the track from your audio program; the file is damaged")
        self._h.update(np.ascontiguousarray(block, dtype="<f4"))  # the buffer itself, no bytes copy
        peak = max(hi, -lo)
        self.peak = max(self.peak, peak)
        if peak >= CLIP_LEVEL:
            self.n_clipped += int(np.count_nonzero(np.abs(block) >= CLIP_LEVEL))
        self.n_samples += block.size

    @property
    def sha256(self) -> str:
        return self._h.hexdigest()


@dataclass(frozen=True)
class AudioClip:
    """A whole file in memory: ``samples`` is (n_frames, channels) float32 at ``rate``."""

    samples: np.ndarray
    rate: int
    info: InputInfo


def load_audio(path: str | os.PathLike, cancel: Optional[CancelToken] = None) -> AudioClip:
    """Load a whole file (for display, playback and training). Raises UnusableInputError.

    Samples go straight into one buffer of the header's length (grown only when the length was
    an estimate), so the peak is the decoded size once, not twice (blocks + their concatenation).
    """
    p = Path(path)
    with open_audio(p, cancel) as src:
        stats = PcmStats()
        samples = np.empty((max(src.n_frames, 1), src.channels), np.float32)
        done = 0
        for block in src.blocks(src.sample_rate * 30, cancel):
            stats.update(block, p, done / src.sample_rate, src.sample_rate)
            if done + block.shape[0] > samples.shape[0]:  # the length was an estimate
                grown = np.empty((max(done + block.shape[0], int(samples.shape[0] * 1.5)), src.channels), np.float32)
                grown[:done] = samples[:done]
                samples = grown
            samples[done:done + block.shape[0]] = block
            done += block.shape[0]
        if done == 0:
            raise _fail(p, "the file contains no audio (zero length)", "Check the export settings of the program that made it")
        samples = samples[:done] if done == samples.shape[0] else samples[:done].copy()
        info = make_input_info(src, file_sha256(p, cancel), stats.sha256)
    return AudioClip(samples=samples, rate=src.sample_rate, info=info)


def make_input_info(src: AudioSource, file_hash: str, pcm_hash: str) -> InputInfo:
    return InputInfo(
        path=str(src.path), file_name=src.path.name, file_size_bytes=src.path.stat().st_size,
        format=src.format, subtype=src.subtype, is_lossy=src.is_lossy, sample_rate=src.sample_rate,
        channels=src.channels, duration_s=src.duration_s, n_frames=src.n_frames,
        file_sha256=file_hash, pcm_sha256=pcm_hash,
    )
