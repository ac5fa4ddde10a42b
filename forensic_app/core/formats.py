"""Which file names are audio the app reads: one list, for whatever picks audio out of a folder.

``batch`` takes only these from the folders it walks and the globs it expands (``--ext`` changes the
list), so a cover image or a credits file beside the tracks is not a row. The loader decides by
content, not by name; the names it sends to ffmpeg rather than libsndfile
(:data:`~.audio.FFMPEG_EXTENSIONS`) are part of this list, so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Iterable, Optional

from .audio import FFMPEG_EXTENSIONS

# What libsndfile (soundfile) opens: WAV and its relatives, FLAC, Ogg Vorbis/Opus, MP3, AIFF, AU, CAF
LIBSNDFILE_EXTENSIONS = frozenset(
    {
        ".wav",
        ".wave",
        ".bwf",
        ".rf64",
        ".w64",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".mp3",
        ".mp2",
        ".mpga",
        ".aif",
        ".aiff",
        ".aifc",
        ".au",
        ".snd",
        ".caf",
    }
)
AUDIO_EXTENSIONS = LIBSNDFILE_EXTENSIONS | frozenset(e for e in FFMPEG_EXTENSIONS if e[1:].isalnum())


def normalise_extension(ext: str) -> str:
    """``"WAV"``, ``".wav"`` or ``"*.wav"`` -> ``".wav"``."""
    e = ext.strip().lower()
    if e.startswith("*"):
        e = e[1:]
    return e if e.startswith(".") else "." + e


def parse_extensions(text: str) -> Optional[frozenset[str]]:
    """``--ext``'s value (``"wav,flac"``, ``".mp3"``, ``"*"``) -> the extensions to take, or None for every file.
    Raises ValueError, with what to write instead, for an empty list."""
    items = [x.strip() for x in text.split(",") if x.strip()]
    if not items:
        raise ValueError("--ext needs at least one extension, e.g. --ext wav,flac (or --ext '*' for every file)")
    if any(x in ("*", "*.*") for x in items):
        return None
    exts = {normalise_extension(x) for x in items}
    if "." in exts:
        raise ValueError(f"--ext {text!r} names an empty extension: write e.g. --ext wav,flac")
    return frozenset(exts)


def has_extension(name: str, extensions: Optional[Iterable[str]]) -> bool:
    """Whether the file name ``name`` ends in one of ``extensions`` (case-insensitive); None takes every name."""
    if extensions is None:
        return True
    lower = name.lower()
    return any(lower.endswith(e) for e in extensions)


def describe_extensions(extensions: Iterable[str]) -> str:
    """'audio' for the default list, else 'wav/flac' style words for the summary line."""
    exts = frozenset(extensions)
    if exts == AUDIO_EXTENSIONS:
        return "audio"
    return "/".join(sorted(e.lstrip(".") for e in exts))
