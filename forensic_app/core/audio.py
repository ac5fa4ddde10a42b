"""Opening audio files: validation, probing, and whole-file loading.

Inputs are only ever opened for reading. Formats: WAV, FLAC, OGG (Vorbis/Opus), MP3 via
libsndfile (soundfile); M4A/AAC and anything else ffmpeg understands via ffprobe and an
ffmpeg pipe when ffmpeg is installed. :func:`open_audio` checks the path, asks libsndfile
(corrected by :mod:`.containers`) or ffprobe what the file holds and refuses implausible
headers; the :class:`~.audio_source.AudioSource` it returns reads the blocks.
"""

from __future__ import annotations

import json
import os
import re
import stat
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import soundfile as sf

from .audio_source import AudioSource, decode_failure, ffmpeg_path, is_mp3, quiet_native_stderr
from .containers import mp3_has_frame_count, ogg_facts, wav_layout
from .errors import UnusableInputError, unusable_input
from .input_facts import PcmStats, file_sha256, make_input_info
from .mono import Downmix, mean_channels, to_mono  # noqa: F401 - re-exported: the public audio API
from .progress import CancelToken
from .result import InputInfo

LOSSY_SUBTYPES = {"VORBIS", "OPUS", "MPEG_LAYER_I", "MPEG_LAYER_II", "MPEG_LAYER_III"}
FFMPEG_EXTENSIONS = {".m4a", ".aac", ".mp4", ".m4b", ".wma", ".webm", ".mka", ".ac3", ".aiff_ffmpeg"}
MAX_CHANNELS = 64
# Real recordings run from 8 kHz telephone audio to 768 kHz DXD; a header outside this range
# is damaged, and resampling from it would cost minutes and gigabytes for a few kB of file.
MIN_RATE_HZ, MAX_RATE_HZ = 4000, 768000
MAX_DURATION_S = 24 * 3600.0
UNKNOWN_LENGTH = 1 << 62  # libsndfile reports SF_COUNT_MAX frames when the header does not say


def not_audio_error(path: Path) -> UnusableInputError:
    """A file in which no decoder finds audio: random bytes, a document, a damaged header."""
    return unusable_input(
        path,
        "not a readable audio file: it is damaged, or it is not audio at all",
        "Check that it plays in a media player; if it does, convert it to WAV or FLAC and try again",
    )


def no_audio_error(path: Path) -> UnusableInputError:
    """A file whose header or decode holds zero frames."""
    return unusable_input(
        path, "the file contains no audio (zero length)", "Check the export settings of the program that made it"
    )


def check_path(path: Path) -> None:
    """Raise a user-facing error when ``path`` cannot be an audio file we can read."""
    try:
        exists, is_dir = path.exists(), path.is_dir()
        st = path.stat() if exists else None
    except OSError as exc:  # a folder we may not enter, a name component over 255 bytes, ...
        raise unusable_input(
            path,
            f"the file cannot be reached ({exc.strerror or exc})",
            "Check that the path is right and that your user may open every folder on the way, "
            "or copy the file somewhere you can read",
        ) from None
    if st is None:  # not exists
        raise unusable_input(path, "file not found", f"Check the path ({path}) and try again")
    if is_dir:
        raise unusable_input(path, "this is a folder, not an audio file", "Choose an audio file inside it")
    if not os.access(path, os.R_OK):
        raise unusable_input(
            path,
            "permission denied",
            "Make the file readable for your user (or copy it somewhere you can read) and try again",
        )
    if not stat.S_ISREG(st.st_mode):
        raise unusable_input(
            path,
            "this is not a regular file (a pipe, socket or device)",
            "Save the audio to a file first and analyse that file",
        )
    if st.st_size == 0:
        raise unusable_input(
            path,
            "the file is empty (0 bytes)",
            "It was probably not copied or downloaded completely; get the file again",
        )


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
        raise unusable_input(
            path,
            "this format (AAC/M4A or similar) needs ffmpeg, which is not installed",
            "Install ffmpeg (Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg) or convert the file to WAV/FLAC",
        )
    out = subprocess.run(
        [
            probe,
            "-v",
            "error",
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=codec_name,sample_rate,channels,duration:format=duration",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        facts = json.loads(out.stdout or "{}")
        stream = facts["streams"][0]
        rate, channels = int(stream["sample_rate"]), int(stream["channels"])
    except (ValueError, KeyError, IndexError, TypeError):
        rate = channels = 0
    if rate <= 0 or channels <= 0:
        # ffprobe's own words ("Invalid data found when processing input", "moov atom not found") mean
        # nothing to people; random bytes named .mp3 even get a stream of 0 channels at 0 Hz
        raise not_audio_error(path)
    if not stream.get("codec_name"):
        raise decode_failure(path, 0.0, ["Decoder (codec none) not found"])
    try:
        duration = float(stream.get("duration") or facts.get("format", {}).get("duration") or 0.0)
    except ValueError:
        duration = 0.0
    codec = str(stream.get("codec_name") or "unknown")
    container = path.suffix.lstrip(".").upper() or "ffmpeg"
    # no stated length (a FLAC from a live stream): a length from the size, as if 16-bit PCM; only
    # the progress bar and the overview's column width use it, and the decode runs to the end
    n_frames = int(round(duration * rate)) if duration > 0 else path.stat().st_size // (2 * channels)
    return AudioSource(
        path=path,
        format=container,
        subtype=codec,
        is_lossy=codec not in {"flac", "alac", "pcm_s16le", "pcm_s24le", "pcm_f32le", "wavpack", "ape"},
        sample_rate=rate,
        channels=channels,
        n_frames=max(1, n_frames),
        exact_length=False,
        container_notes=notes,
        _ffmpeg=True,
    )


def _open_with_soundfile(p: Path) -> Optional[AudioSource]:
    """libsndfile's view of the file, corrected by what containers.py reads; None if it cannot read it."""
    if p.suffix.lower() == ".wav" or p.suffix.lower() == ".wave":
        layout = wav_layout(p)
        if layout is not None and layout.unfinalised:
            return AudioSource(
                path=p,
                format="WAV",
                subtype=layout.subtype,
                is_lossy=False,
                sample_rate=layout.sample_rate,
                channels=layout.channels,
                n_frames=layout.data_bytes // layout.block_align,
                container_notes=("unfinalised_wav",),
                _raw=(layout.data_offset, layout.subtype),
            )
    try:
        with quiet_native_stderr(is_mp3(p)):
            info = sf.info(os.fsencode(p))
    except Exception:  # noqa: BLE001 - libsndfile does not know it
        return None
    fmt, subtype = str(info.format), str(info.subtype)
    if _declares_more_data(info.extra_info or ""):
        raise unusable_input(
            p,
            "the file is truncated: its header promises more audio than the file holds",
            "Get a complete copy of the file (it was probably cut off while copying or downloading)",
        )
    exact = True
    notes: tuple[str, ...] = ()
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
                raise unusable_input(
                    p,
                    "this Ogg file holds several chained streams, which need ffmpeg to be read in full",
                    "Install ffmpeg (Debian/Ubuntu: sudo apt-get install ffmpeg) or convert the file to WAV/FLAC",
                )
            src = _probe_with_ffmpeg(p, notes=("chained_ogg",))
            src.format, src.subtype, src.is_lossy = fmt, subtype, True
            # ffprobe's duration is the first link's; the links' own end positions add up to the whole
            src.n_frames = max(src.n_frames, facts.granule_frames)
            return src
        if not facts.complete:
            raise unusable_input(
                p,
                "the file is truncated: its Ogg stream stops without the end-of-stream page",
                "Get a complete copy of the file (it was probably cut off while copying or downloading)",
            )
    if info.frames >= UNKNOWN_LENGTH:
        # libsndfile's answer for a stream that does not state its length (a FLAC with
        # total_samples 0, legal for live encoders): it cannot read such a file, ffmpeg can
        if ffmpeg_path() is None:
            raise unusable_input(
                p,
                "this file does not state its length (allowed, e.g. for a FLAC recorded from a "
                "live stream), and reading such a file needs ffmpeg, which is not installed",
                "Install ffmpeg (Debian/Ubuntu: sudo apt-get install ffmpeg) or re-encode the file "
                "with the program that made it",
            )
        src = _probe_with_ffmpeg(p)
        src.format, src.subtype, src.is_lossy = fmt, subtype, _lossy(fmt, subtype)
        return src
    return AudioSource(
        path=p,
        format=fmt,
        subtype=subtype,
        is_lossy=_lossy(fmt, subtype),
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
        n_frames=int(info.frames),
        exact_length=exact,
        container_notes=notes,
    )


def open_audio(path: str | os.PathLike, cancel: Optional[CancelToken] = None) -> AudioSource:
    """Validate ``path`` and open it for block-wise reading (never for writing).

    Raises UnusableInputError (missing, unreadable, truncated, implausible header, ...).
    """
    p = Path(path)
    check_path(p)
    src = None if p.suffix.lower() in FFMPEG_EXTENSIONS else _open_with_soundfile(p)
    if src is None:
        if ffmpeg_path() is None and p.suffix.lower() not in FFMPEG_EXTENSIONS:
            raise unusable_input(
                p,
                "not a readable audio file (unknown or damaged format)",
                "Use WAV, FLAC, OGG, Opus or MP3, or install ffmpeg for other formats",
            )
        src = _probe_with_ffmpeg(p)
    if src.channels <= 0 or src.sample_rate <= 0:
        raise not_audio_error(p)
    if src.channels > MAX_CHANNELS:
        raise unusable_input(
            p,
            f"unsupported audio layout ({src.channels} channels at {src.sample_rate} Hz)",
            "Export the track as stereo or mono WAV/FLAC and try again",
        )
    if not MIN_RATE_HZ <= src.sample_rate <= MAX_RATE_HZ:
        raise unusable_input(
            p,
            f"the header gives an implausible sample rate ({src.sample_rate} Hz; real audio uses "
            f"{MIN_RATE_HZ // 1000}-{MAX_RATE_HZ // 1000} kHz), so the file is damaged",
            "Get an intact copy, or re-export the track from your audio program",
        )
    if src.duration_s > MAX_DURATION_S:
        raise unusable_input(
            p,
            f"the header promises {src.duration_s / 3600:.0f} hours of audio, more than this app analyses "
            f"({MAX_DURATION_S / 3600:.0f} h)",
            "Cut the recording into parts of under 24 hours and analyse those",
        )
    if src.n_frames == 0:
        raise no_audio_error(p)
    return src


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
            samples[done : done + block.shape[0]] = block
            done += block.shape[0]
        if done == 0:
            raise no_audio_error(p)
        samples = samples[:done] if done == samples.shape[0] else samples[:done].copy()
        info = make_input_info(src, file_sha256(p, cancel), stats.sha256)
    return AudioClip(samples=samples, rate=src.sample_rate, info=info)
