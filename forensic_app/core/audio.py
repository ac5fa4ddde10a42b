"""Reading audio files: validation, streaming decode, hashes.

Inputs are only ever opened for reading. Formats: WAV, FLAC, OGG (Vorbis/Opus), MP3 via
libsndfile (soundfile); M4A/AAC and anything else ffmpeg understands via a temporary
WAV decoded by ffmpeg when ffmpeg is installed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import numpy as np
import soundfile as sf

from .errors import UnusableInputError
from .progress import CancelToken, check
from .result import InputInfo

LOSSY_SUBTYPES = {"VORBIS", "OPUS", "MPEG_LAYER_I", "MPEG_LAYER_II", "MPEG_LAYER_III"}
FFMPEG_EXTENSIONS = {".m4a", ".aac", ".mp4", ".m4b", ".wma", ".webm", ".mka", ".ac3", ".aiff_ffmpeg"}
MAX_CHANNELS = 64
CLIP_LEVEL = 0.999


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
    if not path.exists():
        raise _fail(path, "file not found", f"Check the path ({path}) and try again")
    if path.is_dir():
        raise _fail(path, "this is a folder, not an audio file", "Choose an audio file inside it")
    if not os.access(path, os.R_OK):
        raise _fail(path, "permission denied", "Make the file readable for your user (or copy it somewhere you can read) and try again")
    if path.stat().st_size == 0:
        raise _fail(path, "the file is empty (0 bytes)", "It was probably not copied or downloaded completely; get the file again")


def ffmpeg_path() -> Optional[str]:
    return shutil.which("ffmpeg")


@dataclass
class AudioSource:
    """An opened, validated audio file that can be read in blocks.

    ``blocks`` yields float32 arrays of shape (n, channels) at the original rate.
    """

    path: Path
    format: str
    subtype: str
    is_lossy: bool
    sample_rate: int
    channels: int
    n_frames: int
    _decoded_path: Path  # the file libsndfile reads (a temporary WAV for ffmpeg inputs)
    _tmpdir: Optional[tempfile.TemporaryDirectory] = None

    @property
    def duration_s(self) -> float:
        return self.n_frames / float(self.sample_rate) if self.sample_rate else 0.0

    def blocks(self, block_frames: int, cancel: Optional[CancelToken] = None) -> Iterator[np.ndarray]:
        read = 0
        try:
            with sf.SoundFile(str(self._decoded_path)) as f:
                while True:
                    check(cancel)
                    data = f.read(block_frames, dtype="float32", always_2d=True)
                    if data.shape[0] == 0:
                        break
                    read += data.shape[0]
                    yield data
        except sf.LibsndfileError as exc:
            raise _fail(self.path, f"the file is truncated or corrupt after {read / self.sample_rate:.1f} s ({exc})",
                        "Get an intact copy of the file, or convert it to WAV/FLAC with another program") from None
        except RuntimeError as exc:  # libsndfile reports some decode errors this way
            raise _fail(self.path, f"the file could not be decoded after {read / self.sample_rate:.1f} s ({exc})",
                        "Get an intact copy of the file, or convert it to WAV/FLAC with another program") from None
        if self.n_frames and read < 0.98 * self.n_frames - self.sample_rate:
            raise _fail(self.path, f"the file is truncated: its header promises {self.duration_s:.1f} s but only "
                        f"{read / self.sample_rate:.1f} s could be decoded", "Get a complete copy of the file")
        self.n_frames = read  # exact count (MP3 headers can be approximate)

    def close(self) -> None:
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> "AudioSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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


def _decode_with_ffmpeg(path: Path, cancel: Optional[CancelToken]) -> AudioSource:
    exe = ffmpeg_path()
    if exe is None:
        raise _fail(path, "this format (AAC/M4A or similar) needs ffmpeg, which is not installed",
                    "Install ffmpeg (Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg) or convert the file to WAV/FLAC")
    codec = "unknown"
    probe = shutil.which("ffprobe")
    if probe:
        out = subprocess.run([probe, "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=codec_name",
                              "-of", "default=nw=1:nk=1", str(path)], capture_output=True, text=True, timeout=60)
        codec = out.stdout.strip() or codec
    tmp = tempfile.TemporaryDirectory(prefix="forensic_app_")
    wav = Path(tmp.name) / "decoded.wav"
    proc = subprocess.Popen([exe, "-nostdin", "-v", "error", "-i", str(path), "-vn", "-map", "0:a:0",
                             "-acodec", "pcm_f32le", "-f", "wav", str(wav)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            try:
                _, err = proc.communicate(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if cancel is not None and cancel.cancelled:
                    proc.kill()
                    proc.communicate()
                    tmp.cleanup()
                    check(cancel)
    except BaseException:
        tmp.cleanup()
        raise
    if proc.returncode != 0 or not wav.exists() or wav.stat().st_size <= 44:
        tmp.cleanup()
        msg = (err or b"").decode("utf-8", "replace").strip().splitlines()
        detail = msg[-1] if msg else "no audio stream"
        raise _fail(path, f"not a readable audio file ({detail})",
                    "Check that it plays in a media player; if it does, convert it to WAV or FLAC and try again")
    info = sf.info(str(wav))
    container = path.suffix.lstrip(".").upper() or "ffmpeg"
    return AudioSource(path=path, format=container, subtype=codec, is_lossy=codec not in {"flac", "alac", "pcm_s16le", "pcm_s24le", "pcm_f32le", "wavpack", "ape"},
                       sample_rate=int(info.samplerate), channels=int(info.channels), n_frames=int(info.frames),
                       _decoded_path=wav, _tmpdir=tmp)


def open_audio(path: str | os.PathLike, cancel: Optional[CancelToken] = None) -> AudioSource:
    """Validate ``path`` and open it for block-wise reading (never for writing)."""
    p = Path(path)
    check_path(p)
    if p.suffix.lower() in FFMPEG_EXTENSIONS:
        src = _decode_with_ffmpeg(p, cancel)
    else:
        try:
            info = sf.info(str(p))
        except Exception:  # libsndfile does not know it: ffmpeg may, else a clear message
            if ffmpeg_path() is not None:
                src = _decode_with_ffmpeg(p, cancel)
            else:
                raise _fail(p, "not a readable audio file (unknown or damaged format)",
                            "Use WAV, FLAC, OGG, Opus or MP3, or install ffmpeg for other formats") from None
        else:
            if _declares_more_data(info.extra_info or ""):
                raise _fail(p, "the file is truncated: its header promises more audio than the file holds",
                            "Get a complete copy of the file (it was probably cut off while copying or downloading)")
            src = AudioSource(path=p, format=str(info.format), subtype=str(info.subtype),
                              is_lossy=_lossy(str(info.format), str(info.subtype)), sample_rate=int(info.samplerate),
                              channels=int(info.channels), n_frames=int(info.frames), _decoded_path=p)
    if src.sample_rate <= 0 or src.channels <= 0 or src.channels > MAX_CHANNELS:
        src.close()
        raise _fail(p, f"unsupported audio layout ({src.channels} channels at {src.sample_rate} Hz)",
                    "Export the track as stereo or mono WAV/FLAC and try again")
    if src.n_frames == 0:
        src.close()
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
        finite = np.isfinite(block)
        if not finite.all():
            where = offset_s + int(np.argmin(finite.all(axis=1))) / rate
            raise _fail(path, f"the audio contains invalid sample values (NaN or infinity) at {where:.1f} s",
                        "Re-export the track from your audio program; the file is damaged")
        self._h.update(np.ascontiguousarray(block, dtype="<f4").tobytes())
        if block.size:
            a = np.abs(block)
            self.peak = max(self.peak, float(a.max()))
            self.n_clipped += int(np.count_nonzero(a >= CLIP_LEVEL))
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

    def mono(self) -> np.ndarray:
        return self.samples.mean(axis=1, dtype=np.float32)


def load_audio(path: str | os.PathLike, cancel: Optional[CancelToken] = None) -> AudioClip:
    """Load a whole file (for display, playback and training). Raises UnusableInputError."""
    p = Path(path)
    with open_audio(p, cancel) as src:
        stats = PcmStats()
        parts = []
        done = 0
        for block in src.blocks(src.sample_rate * 30, cancel):
            stats.update(block, p, done / src.sample_rate, src.sample_rate)
            parts.append(block)
            done += block.shape[0]
        samples = np.concatenate(parts) if parts else np.zeros((0, src.channels), np.float32)
        if samples.shape[0] == 0:
            raise _fail(p, "the file contains no audio (zero length)", "Check the export settings of the program that made it")
        info = make_input_info(src, file_sha256(p, cancel), stats.sha256)
    return AudioClip(samples=samples, rate=src.sample_rate, info=info)


def make_input_info(src: AudioSource, file_hash: str, pcm_hash: str) -> InputInfo:
    return InputInfo(
        path=str(src.path), file_name=src.path.name, file_size_bytes=src.path.stat().st_size,
        format=src.format, subtype=src.subtype, is_lossy=src.is_lossy, sample_rate=src.sample_rate,
        channels=src.channels, duration_s=src.duration_s, n_frames=src.n_frames,
        file_sha256=file_hash, pcm_sha256=pcm_hash,
    )
