"""Decoded audio that is read again and again without being held in memory.

The window shows, plays and zooms into a file while it is analysed; holding the whole decode
costs 5.4 GB for a 2-hour stereo file. :func:`decode_to_disk` decodes the file once (the same
decode the analysis uses) into an anonymous temporary file of float32 frames, as Sonic
Visualiser's decode cache does, and computes the display overview, the waveform envelope, the
PCM hash and the file hash on the way. Any range is then read back in bounded memory; the analysis reads its blocks
from there instead of decoding the file a second time. The temporary file has no name on
POSIX systems (and is deleted on close on Windows), so a killed app leaves nothing behind.

:class:`ArraySource` is the same interface over samples already in memory (the robustness
check's manipulated copies), so every path into :func:`forensic_app.core.analysis.analyze`
meets one reader.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator, Optional

import numpy as np

from .audio import no_audio_error, open_audio
from .audio_source import AudioSource
from .errors import unusable_input
from .input_facts import PcmStats, file_fingerprint, file_sha256, make_input_info, unchanged_since
from .mono import Downmix, mean_channels
from .progress import CancelToken, check
from .result import InputInfo, Spectrogram
from .spectrogram import StreamingDisplaySpectrogram
from .waveform import WaveformEnvelope, WaveformOverview

DECODE_BLOCK_S = 10.0
SPARE_DISK_BYTES = 256 << 20  # left free on the temporary disk after the decoded copy


class PcmSource:
    """What the analysis reads: float32 blocks (n, channels) at ``source.sample_rate``.

    ``source`` is the opened file's description (format, rate, channels, exact frame count,
    container notes); ``file_sha256`` and ``fingerprint`` are the file's hash and its
    (size, mtime, inode) when it was decoded, or None when the samples are not the file's.
    """

    source: AudioSource
    file_sha256: Optional[str] = None
    fingerprint: Optional[tuple[int, int, int]] = None

    @property
    def path(self) -> Path:
        return self.source.path

    @property
    def sample_rate(self) -> int:
        return self.source.sample_rate

    @property
    def channels(self) -> int:
        return self.source.channels

    @property
    def n_frames(self) -> int:
        return self.source.n_frames

    @property
    def duration_s(self) -> float:
        return self.source.duration_s

    @property
    def container_notes(self) -> tuple[str, ...]:
        return self.source.container_notes

    @property
    def skipped_at_s(self) -> list[float]:
        """Where the decoder skipped damaged data (seconds, about)."""
        return self.source.skipped_at_s

    def read(self, start: int, n: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def blocks(self, block_frames: int, cancel: Optional[CancelToken] = None) -> Iterator[np.ndarray]:
        """Consecutive (≤ block_frames, channels) float32 blocks from the first frame to the last."""
        for start in range(0, self.n_frames, block_frames):
            check(cancel)
            yield self.read(start, block_frames)


class ArraySource(PcmSource):
    """Samples in memory, (n,) or (n, channels) float32 at ``rate``, described as coming from ``path``."""

    def __init__(
        self,
        samples: np.ndarray,
        rate: int,
        path: str | os.PathLike,
        *,
        format: str = "ARRAY",
        container_notes: tuple[str, ...] = (),
    ):
        x = np.asarray(samples, np.float32)
        self.samples = x[:, None] if x.ndim == 1 else x
        self.source = AudioSource(
            path=Path(path),
            format=format,
            subtype="FLOAT",
            is_lossy=False,
            sample_rate=int(rate),
            channels=int(self.samples.shape[1]),
            n_frames=int(self.samples.shape[0]),
            container_notes=container_notes,
        )

    def read(self, start: int, n: int) -> np.ndarray:
        return self.samples[max(0, start) : max(0, start) + max(0, n)]


class DecodedAudio(PcmSource):
    """One file's decoded frames in an anonymous temporary file; see :func:`decode_to_disk`.

    ``read(start, n)`` returns (≤ n, channels) float32 frames from frame ``start`` (fewer at the
    end, none past it). Safe to call from several threads. ``info`` describes the input (with
    both hashes); ``overview`` is the whole-band display spectrogram and ``waveform`` the
    min/max/RMS envelope of every channel (None when not made); ``polarity_inverted``
    says the mono mix flipped a channel back. The temporary file is closed (and gone) with
    :meth:`close` or when the object is collected.
    """

    def __init__(
        self,
        source: AudioSource,
        store,
        info: InputInfo,
        overview: Spectrogram,
        fingerprint: tuple[int, int, int],
        downmix: Downmix,
        waveform: Optional[WaveformEnvelope] = None,
    ):
        self.source, self._store, self.info, self.overview = source, store, info, overview
        self.waveform = waveform
        self.file_sha256, self.fingerprint = info.file_sha256, fingerprint
        self.polarity_inverted = downmix.inverted
        self._signs = downmix.signs if downmix.inverted else None
        self._lock = threading.Lock()
        self._frame_bytes = 4 * source.channels

    @property
    def rate(self) -> int:
        return self.source.sample_rate

    def read(self, start: int, n: int) -> np.ndarray:
        start = max(0, int(start))
        n = max(0, min(int(n), self.n_frames - start))
        if n == 0:
            return np.zeros((0, self.channels), np.float32)
        with self._lock:
            if self._store.closed:
                raise ValueError("the decoded audio was closed")
            self._store.seek(start * self._frame_bytes)
            raw = self._store.read(n * self._frame_bytes)
        return np.frombuffer(raw, dtype="<f4").reshape(-1, self.channels)

    def mono(self, start: int, n: int) -> np.ndarray:
        """(≤ n,) float32 mono mix of a range, mixed as the analysis mixed it (an inverted channel flipped back)."""
        block = self.read(start, n)
        if block.shape[1] == 1:
            return block[:, 0].copy()
        return mean_channels(block * self._signs if self._signs is not None else block)

    def close(self) -> None:
        with self._lock:
            self._store.close()

    def __enter__(self) -> "DecodedAudio":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _check_space(where: str, need: int, p: Path) -> None:
    try:
        free = shutil.disk_usage(where).free
    except OSError:
        return
    if need + SPARE_DISK_BYTES > free:
        raise unusable_input(
            p,
            f"not enough free disk space for the decoded copy the window works from (it needs "
            f"{need / 1e9:.1f} GB in {where}, {free / 1e9:.1f} GB are free)",
            "Free some space, or set TMPDIR to a "
            "folder on a larger disk and start the app again; `forensic-app analyze` needs no such copy",
        )


def decode_to_disk(
    path: str | os.PathLike,
    cancel: Optional[CancelToken] = None,
    on_fraction: Optional[Callable[[float], None]] = None,
    temp_dir: Optional[str] = None,
) -> DecodedAudio:
    """Decode ``path`` once into an anonymous temporary file; see the module docstring.

    Memory stays at one block (10 s) plus the overview, whatever the file's length; disk use
    is 4 bytes per sample (2.8 GB for 2 hours of stereo at 48 kHz), checked before starting.
    ``on_fraction(0..1)`` reports decoding progress. Raises UnusableInputError (unreadable,
    truncated, silent-length file, not enough disk), Cancelled.
    """
    p = Path(path)
    src = open_audio(p, cancel)
    where = temp_dir or tempfile.gettempdir()
    _check_space(where, int(src.n_frames * 4 * src.channels * 1.02), p)
    fingerprint = file_fingerprint(p)
    file_hash = file_sha256(p, cancel)  # before the decode, and again after it: see input_facts.unchanged_since
    store = tempfile.TemporaryFile(prefix="forensic-app-decoded-", dir=where)
    try:
        stats = PcmStats()
        downmix = Downmix(src.channels)
        display = StreamingDisplaySpectrogram(src.sample_rate, max(src.n_frames, 1))
        envelope = WaveformOverview(src.sample_rate, src.channels)
        done = 0
        for block in src.blocks(int(DECODE_BLOCK_S * src.sample_rate), cancel):
            stats.update(block, p, done / src.sample_rate, src.sample_rate)
            store.write(np.ascontiguousarray(block, dtype="<f4").tobytes())
            display.push(downmix(block))
            envelope.push(block)
            done += block.shape[0]
            if on_fraction:
                on_fraction(min(1.0, done / max(src.n_frames, 1)))
        if done == 0:
            raise no_audio_error(p)
        store.flush()
        check(cancel)
        if not unchanged_since(p, fingerprint, file_hash, cancel):
            raise unusable_input(
                p,
                "the file changed while it was being read (it is still being written, or was rewritten or replaced)",
                "Open it again once it is complete",
            )
        info = make_input_info(src, file_hash, stats.sha256)
        return DecodedAudio(replace(src), store, info, display.result(), fingerprint, downmix, envelope.result())
    except BaseException:
        store.close()
        raise
