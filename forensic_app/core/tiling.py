"""The patch CNN over a stream of feature frames: tiles with a halo, optionally on a second core.

A heatmap column j covers frames [j*stride, (j+1)*stride); tiles start on multiples of the
stride so the pooling grids agree with a one-shot run over the whole file.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Optional

import numpy as np
import torch

from .weights import LoadedModel

TILE_CELLS = 32
HALO_CELLS = 2
BACKLOG = 4  # feature blocks (10 s each) waiting for the network at most: bounded memory


class PatchTiler:
    """Runs the network over consecutive feature frames in tiles with a halo.

    Output column j covers frames [j*stride, (j+1)*stride); tiles start on multiples of
    the stride so pooling grids agree with a one-shot run.
    """

    def __init__(self, model: LoadedModel, tile_cells: int = TILE_CELLS, halo_cells: int = HALO_CELLS):
        self.net = model.network
        self.stride = self.net.stride
        self.tile, self.halo = tile_cells, halo_cells * self.stride
        self._buf: list[np.ndarray] = []
        self._buf_start = 0  # absolute frame index of the buffer's first frame
        self._buf_len = 0
        self._next_col = 0
        self.fake: list[np.ndarray] = []  # (F', cols) per tile
        self.family: list[np.ndarray] = []  # (K, F', cols)

    def add(self, feats: np.ndarray) -> None:
        if feats.shape[1]:
            self._buf.append(feats)
            self._buf_len += feats.shape[1]
        while self._buf_start + self._buf_len >= (self._next_col + self.tile) * self.stride + self.halo:
            self._run(self._next_col + self.tile)

    def finish(self) -> None:
        last_col = (self._buf_start + self._buf_len) // self.stride
        while self._next_col < last_col:
            self._run(min(self._next_col + self.tile, last_col))

    def _run(self, end_col: int) -> None:
        buf = np.concatenate(self._buf, axis=1) if len(self._buf) > 1 else self._buf[0]
        start = max(0, self._next_col * self.stride - self.halo)
        stop = min(self._buf_start + self._buf_len, end_col * self.stride + self.halo)
        x = torch.from_numpy(np.ascontiguousarray(buf[:, start - self._buf_start : stop - self._buf_start]))
        with torch.inference_mode():
            fake, fam = self.net(x.unsqueeze(0))
        off = self._next_col - start // self.stride
        n = end_col - self._next_col
        self.fake.append(fake[0, :, off : off + n].numpy())
        self.family.append(fam[0, :, :, off : off + n].numpy())
        self._next_col = end_col
        keep_from = max(0, end_col * self.stride - self.halo)
        self._buf = [buf[:, keep_from - self._buf_start :]]
        self._buf_len = self._buf[0].shape[1]
        self._buf_start = keep_from

    def maps(self, n_bins_out: int, n_families: int) -> tuple[np.ndarray, np.ndarray]:
        if not self.fake:
            return np.zeros((n_bins_out, 0), np.float32), np.zeros((n_families, n_bins_out, 0), np.float32)
        return np.concatenate(self.fake, axis=1), np.concatenate(self.family, axis=2)


class BackgroundRunner:
    """Runs calls in submission order on one background thread, so the network works on one
    core while the caller decodes and transforms the next block on another.

    Torch and numpy release the GIL in their kernels; the patch CNN's small tiles gain nothing
    from torch's own threads (3-min track: 1.25 s on one thread, 1.26 s on two), but overlap
    with the rest of the analysis. ``submit`` blocks while ``BACKLOG`` calls wait (bounded
    memory); ``join`` waits for all and re-raises the first error of a call. Inline (no
    thread) when ``enabled`` is False, e.g. in batch workers that have one core each.
    """

    def __init__(self, enabled: bool):
        self._q: Optional[queue.Queue] = queue.Queue(maxsize=BACKLOG) if enabled else None
        self._error: Optional[BaseException] = None
        self._thread: Optional[threading.Thread] = None
        if self._q is not None:
            self._thread = threading.Thread(target=self._loop, name="patch-cnn", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        assert self._q is not None
        while True:
            item = self._q.get()
            if item is None:
                return
            if self._error is None:  # after an error the rest is skipped; join() raises it
                fn, args = item
                try:
                    fn(*args)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                    self._error = exc

    def submit(self, fn: Callable[..., None], *args) -> None:
        if self._error is not None:
            raise self._error
        if self._q is None:
            fn(*args)
        else:
            self._q.put((fn, args))

    def join(self) -> None:
        """Wait for every submitted call; re-raise the first error. The runner is finished after."""
        if self._thread is not None:
            assert self._q is not None  # a thread runs only with a queue
            self._q.put(None)
            self._thread.join()
            self._thread = None
        if self._error is not None:
            raise self._error

    def __enter__(self) -> "BackgroundRunner":
        return self

    def __exit__(self, *exc) -> None:
        """Leaving early (an error or a cancel in the caller): stop after the calls in flight."""
        if self._thread is not None:
            self._error = self._error or _Abandoned()
            assert self._q is not None  # a thread runs only with a queue
            self._q.put(None)
            self._thread.join()
            self._thread = None


class _Abandoned(Exception):
    """The caller left before join(): the remaining calls are skipped."""


def pipelined() -> bool:
    """Whether this process may use a second core for the network (torch's thread budget >= 2)."""
    return torch.get_num_threads() >= 2
