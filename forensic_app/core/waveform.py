"""Min/max/RMS envelopes of the waveform, for a waveform lane. Pure numpy.

Two ways to get one:

* :class:`WaveformOverview` streams a whole file once (blocks in order, as a decode gives
  them) into a bounded number of columns, like an audio editor's peak file: it starts at one
  frame per column and, whenever the columns would pass twice the target, merges adjacent
  pairs (doubling the frames per column). Memory is O(target x channels) whatever the length.
* :func:`envelope_from_reader` (and :func:`envelope_of` for samples already in memory) gives
  a zoomed time range at a chosen column count, reading at most ``MAX_READ_FRAMES`` at a time.

Both return a :class:`WaveformEnvelope`. Amplitudes are in full-scale units (1.0 = 0 dBFS).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

DEFAULT_TARGET_COLUMNS = 4096
MAX_READ_FRAMES = 1 << 20  # about 22 s at 48 kHz: a zoomed envelope never holds more than this

Reader = Callable[[int, int], np.ndarray]  # read(start_frame, n_frames) -> (n, channels) float32


@dataclass(frozen=True)
class WaveformEnvelope:
    """Per-column extremes and RMS of each channel; arrays are read-only.

    minimum, maximum, rms: (channels, n_columns) float32, amplitudes in full-scale units.
    time_edges_s: (n_columns + 1,) float64, column k spans ``[edges[k], edges[k+1])`` seconds;
    columns may differ in width by a frame (and the last one of an overview may be short).
    rate: the file's sample rate (Hz).
    """

    minimum: np.ndarray
    maximum: np.ndarray
    rms: np.ndarray
    time_edges_s: np.ndarray
    rate: int

    @property
    def channels(self) -> int:
        return int(self.minimum.shape[0])

    @property
    def n_columns(self) -> int:
        return int(self.minimum.shape[1])

    @property
    def start_s(self) -> float:
        return float(self.time_edges_s[0])

    @property
    def end_s(self) -> float:
        return float(self.time_edges_s[-1])

    def column_at(self, time_s: float) -> Optional[int]:
        """Index of the column holding ``time_s``, or None outside the envelope."""
        k = int(np.searchsorted(self.time_edges_s, time_s, side="right")) - 1
        return k if 0 <= k < self.n_columns else None


def _frozen(a: np.ndarray, dtype) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=dtype)
    a.flags.writeable = False
    return a


def _envelope(mins, maxs, sumsq, edge_frames: np.ndarray, rate: int) -> WaveformEnvelope:
    counts = np.maximum(np.diff(edge_frames), 1)
    return WaveformEnvelope(
        minimum=_frozen(mins, np.float32),
        maximum=_frozen(maxs, np.float32),
        rms=_frozen(np.sqrt(sumsq / counts), np.float32),
        time_edges_s=_frozen(edge_frames / float(rate), np.float64),
        rate=int(rate),
    )


def _as_frames(block: np.ndarray, channels: Optional[int] = None) -> np.ndarray:
    x = np.asarray(block, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or (channels is not None and x.shape[1] != channels):
        raise ValueError(f"expected a block of shape (n, {channels or 'channels'}), got {np.shape(block)}")
    return x


def _accumulate(
    mins: np.ndarray, maxs: np.ndarray, sumsq: np.ndarray, cols: np.ndarray, x: np.ndarray, cuts: np.ndarray
) -> None:
    """Fold the segments of ``x`` that start at ``cuts`` into columns ``cols`` (one column per segment)."""
    mins[:, cols] = np.minimum(mins[:, cols], np.minimum.reduceat(x, cuts, axis=0).T)
    maxs[:, cols] = np.maximum(maxs[:, cols], np.maximum.reduceat(x, cuts, axis=0).T)
    sumsq[:, cols] += np.add.reduceat(np.square(x), cuts, axis=0, dtype=np.float64).T


def _identity(channels: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.full((channels, n), np.inf, np.float32),
        np.full((channels, n), -np.inf, np.float32),
        np.zeros((channels, n), np.float64),
    )


class WaveformOverview:
    """Streaming envelope of a whole file in at most ``2 * target_columns`` columns.

    ``push(block)`` takes (n, channels) float32 blocks (or (n,) for mono) at the file's rate,
    in order, of any size. ``result()`` may be called at any time (also mid-stream) and gives
    ``n_columns <= 2 * target_columns`` columns, each ``frames_per_column`` frames (a power
    of two) but the last. Raises ValueError for a block of the wrong channel count.
    """

    def __init__(self, rate: int, channels: int, *, target_columns: int = DEFAULT_TARGET_COLUMNS):
        if rate <= 0 or channels <= 0 or target_columns <= 0:
            raise ValueError("rate, channels and target_columns must be positive")
        self.rate = int(rate)
        self.channels = int(channels)
        self.target_columns = int(target_columns)
        self.frames_per_column = 1
        self.frames_pushed = 0
        self._mins, self._maxs, self._sumsq = _identity(self.channels, 2 * self.target_columns)

    @property
    def n_columns(self) -> int:
        return -(-self.frames_pushed // self.frames_per_column)

    def push(self, block: np.ndarray) -> None:
        x = _as_frames(block, self.channels)
        start = 0
        while start < x.shape[0]:
            # a chunk adds at most target/2 columns, so one merge always makes room for it
            n = min(x.shape[0] - start, max(1, self.target_columns // 2) * self.frames_per_column)
            self._push_chunk(x[start : start + n])
            start += n

    def _push_chunk(self, x: np.ndarray) -> None:
        n = x.shape[0]
        while -(-(self.frames_pushed + n) // self.frames_per_column) > 2 * self.target_columns:
            self._merge_pairs()
        spc, pos = self.frames_per_column, self.frames_pushed
        first = (-pos) % spc or spc  # first column boundary inside the chunk
        cuts = np.concatenate(([0], np.arange(first, n, spc)))
        _accumulate(self._mins, self._maxs, self._sumsq, (pos + cuts) // spc, x, cuts)
        self.frames_pushed += n

    def _merge_pairs(self) -> None:
        used = self.n_columns + self.n_columns % 2  # unused columns hold identity values
        half = used // 2
        for acc, fold in ((self._mins, np.minimum), (self._maxs, np.maximum), (self._sumsq, np.add)):
            acc[:, :half] = fold(acc[:, 0:used:2], acc[:, 1:used:2])
        fresh = _identity(self.channels, used - half)
        self._mins[:, half:used], self._maxs[:, half:used], self._sumsq[:, half:used] = fresh
        self.frames_per_column *= 2

    def result(self) -> WaveformEnvelope:
        n = self.n_columns
        edges = np.minimum(np.arange(n + 1, dtype=np.int64) * self.frames_per_column, self.frames_pushed)
        return _envelope(self._mins[:, :n], self._maxs[:, :n], self._sumsq[:, :n], edges, self.rate)


def _column_edges(rate: int, n_frames: int, start_s: float, end_s: float, n_columns: int) -> np.ndarray:
    first = int(np.clip(np.floor(start_s * rate), 0, n_frames))
    last = int(np.clip(np.ceil(end_s * rate), 0, n_frames))
    if last <= first:
        raise ValueError(f"empty time range {start_s:.3f}-{end_s:.3f} s in a file of {n_frames / rate:.3f} s")
    n_columns = int(min(max(int(n_columns), 1), last - first))  # never narrower than a frame
    return np.round(np.linspace(first, last, n_columns + 1)).astype(np.int64)


def envelope_from_reader(
    read: Reader,
    rate: int,
    n_frames: int,
    start_s: float,
    end_s: float,
    n_columns: int,
    *,
    max_read_frames: int = MAX_READ_FRAMES,
) -> WaveformEnvelope:
    """Envelope of ``[start_s, end_s)`` in ``n_columns`` equal columns, from a random-access reader.

    read(start_frame, n_frames) -> (n, channels) float32 (or (n,) for mono); it is asked for
    at most ``max_read_frames`` frames at a time, in order, so memory stays bounded for any
    range. A short read (end of data) ends the envelope there. The range is clipped to the
    file (``n_frames`` frames at ``rate`` Hz); columns are whole frames, so a range shorter
    than ``n_columns`` frames gets one column per frame. Raises ValueError for an empty range.
    """
    edges = _column_edges(rate, n_frames, start_s, end_s, n_columns)
    first, last = int(edges[0]), int(edges[-1])
    acc = None
    pos = first
    while pos < last:
        x = _as_frames(read(pos, min(max_read_frames, last - pos)), acc[0].shape[0] if acc else None)
        if x.shape[0] == 0:
            break
        x = x[: min(x.shape[0], last - pos)]
        if acc is None:
            acc = _identity(x.shape[1], len(edges) - 1)
        cols = np.arange(
            np.searchsorted(edges, pos, side="right") - 1, np.searchsorted(edges, pos + x.shape[0], side="left")
        )
        cuts = np.maximum(edges[cols], pos) - pos
        _accumulate(*acc, cols, x, cuts)
        pos += x.shape[0]
    if acc is None:
        raise ValueError("the reader returned no audio for this range")
    n_done = int(np.searchsorted(edges, pos, side="left"))  # columns fully or partly read
    edges = np.minimum(edges[: n_done + 1], pos)
    mins, maxs, sumsq = (a[:, :n_done] for a in acc)
    return _envelope(mins, maxs, sumsq, edges, rate)


def envelope_of(samples: np.ndarray, rate: int, start_s: float, end_s: float, n_columns: int) -> WaveformEnvelope:
    """:func:`envelope_from_reader` over samples in memory: (n,) or (n, channels) from frame 0."""
    x = _as_frames(samples)
    return envelope_from_reader(lambda start, n: x[start : start + n], rate, x.shape[0], start_s, end_s, n_columns)
