"""One mono mix for every path that needs mono (analysis, display, detail view, training).

A plain channel mean mixes a stereo file whose right channel is polarity-inverted to near
silence; :class:`Downmix` flips such a channel back. Ordinary stereo is the plain mean.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

DECIDE_FRAMES = 1 << 19  # about 11 s at 48 kHz
INVERTED_MIX_DB = -20.0  # the plain mix this far below the channels' own level: a channel is polarity-inverted


def mean_channels(block: np.ndarray) -> np.ndarray:
    """(n, channels) -> (n,) float32 mean; a loop over channels is ~10x faster than ``mean(axis=1)``."""
    mono = block[:, 0].astype(np.float32, copy=True)
    for c in range(1, block.shape[1]):
        mono += block[:, c]
    if block.shape[1] > 1:
        mono *= np.float32(1.0 / block.shape[1])
    return mono


class Downmix:
    """Mono mix of (n, channels) blocks that an inverted channel cannot cancel.

    A plain mean mixes a stereo file whose right channel is polarity-inverted to near silence.
    At the first block with content the channels are compared: if their mean lies more than
    20 dB below their own level, every channel anti-correlated with the first is flipped back
    (for the rest of the file; ``inverted`` says so). Ordinary stereo, whose channels correlate,
    is mixed as the mean. Returns (n,) float32.
    """

    def __init__(self, channels: int):
        self.channels = channels
        self.signs: Optional[np.ndarray] = None if channels > 1 else np.ones(1, np.float32)
        self.inverted = False

    def __call__(self, block: np.ndarray) -> np.ndarray:
        block = np.asarray(block, np.float32)
        if block.ndim == 1:
            return block
        if self.signs is None:
            head = block[:DECIDE_FRAMES]  # decide on a bounded stretch: a whole file in one call stays cheap
            ch_rms = np.sqrt(np.mean(np.square(head, dtype=np.float64), axis=0))
            if head.shape[0] and ch_rms.max() > 10 ** (-70 / 20):  # decide on content, not on a silent intro
                mix_rms = float(np.sqrt(np.mean(np.square(mean_channels(head), dtype=np.float64))))
                signs = np.ones(self.channels, np.float32)
                if mix_rms < ch_rms.mean() * 10 ** (INVERTED_MIX_DB / 20):
                    ref = head[:, int(np.argmax(ch_rms))]
                    signs = np.where(head.T @ ref < 0, -1.0, 1.0).astype(np.float32)
                    self.inverted = bool((signs < 0).any())
                self.signs = signs
            else:
                return mean_channels(block)
        if self.inverted:
            return mean_channels(block * self.signs)
        return mean_channels(block)


def to_mono(samples: np.ndarray) -> np.ndarray:
    """(n,) or (n, channels) -> (n,) float32, with :class:`Downmix`'s protection against cancelling channels."""
    samples = np.asarray(samples, np.float32)
    return samples if samples.ndim == 1 else Downmix(samples.shape[1])(samples)
