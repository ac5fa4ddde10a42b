"""Everything analyze() measures on the audio besides the patch CNN, as one streaming object.

:class:`TrackMeters` takes mono blocks at the file's rate and feeds, in one place and one order,
the network's frames (:class:`~.spectrogram.FeatureStream`), the comb detector, the fakeprint,
the content and held-tone measures and the band's mean power. ``analyze()`` runs it over a file;
``forensic-app evaluate`` over each test segment (training/scoring.measure_readings), so a
segment's readings are made exactly as a file's are.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
from scipy.ndimage import uniform_filter1d

from .detectors.comb import CombAnalyzer, CombReference
from .content import ContentMeter, Stationarity
from .fakeprint import (
    FakeprintEvidence,
    FakeprintModel,
    FakeprintStream,
    fakeprint_windows,
    measure_fakeprint,
    score_fakeprint,
)
from .result import CombEvidence
from .spectrogram import FeatureContract, FeatureStream, FrameBlock


def effective_bandwidth_hz(mean_power: np.ndarray, bin_hz: float) -> float:
    """Highest frequency with real content, in Hz: above both a floor and (loudest band - 80 dB).

    ``mean_power``: (n_bins,) mean power spectrum whose bins lie ``bin_hz`` apart."""
    db = 10 * np.log10(np.maximum(mean_power, 1e-20))
    smooth = uniform_filter1d(db, 5, mode="nearest")
    ref = np.percentile(smooth[1:], 99)
    thresh = max(ref - 80.0, -115.0)
    above = np.nonzero(smooth[1:] > thresh)[0]
    return float((above[-1] + 1) * bin_hz) if above.size else 0.0


class TrackMeters:
    """Mono blocks (n,) float32 at ``rate`` in order; :meth:`finish` once after the last.

    ``frames``: the FeatureStream (its ``n_frames``, ``overview()``); ``content``: ContentMeter;
    ``stationarity``: Stationarity; ``power_sum``: (n_fft//2+1,) float64 sum of the frames' power.
    """

    def __init__(
        self,
        contract: FeatureContract,
        rate: int,
        duration_s: float,
        *,
        fakeprint: Optional[FakeprintModel],
        comb_reference: Optional[CombReference] = None,
        overview_columns: int = 1,
        windows: bool = False,
        extra_meters: Optional[dict[str, Any]] = None,
    ):
        self.frames = FeatureStream(contract, rate, duration_s, overview_columns)
        n_full = self.frames.n_full
        self.comb = CombAnalyzer(
            contract.sample_rate, max_freq_hz=min(rate, contract.sample_rate) / 2, reference=comb_reference
        )
        self.stationarity = Stationarity(
            n_full, contract.sample_rate / contract.n_fft, contract.sample_rate / contract.hop
        )
        self.content = ContentMeter(rate)
        self.bin_hz = contract.sample_rate / contract.n_fft
        self.power_sum = np.zeros(n_full, np.float64)
        self._fakeprint_model = fakeprint
        self._fakeprint = FakeprintStream(rate) if fakeprint is not None or windows else None
        self._windows = windows
        # (3585,) the measured fakeprint (profiles read it), after finish() (when ``windows``)
        self.fakeprint_curve: Optional[np.ndarray] = None
        self.fakeprint_windows: tuple = ()  # fakeprint.fakeprint_windows, after finish() (when ``windows``)
        self.extra_meters = dict(extra_meters or {})  # further sources' StreamMeters (core.detectors), by name

    def push(self, mono: np.ndarray, last: bool = False) -> FrameBlock:
        """Measure the next block; returns its frames for the network. ``last``: flush (call once,
        with an empty block, after the last one)."""
        if self._fakeprint is not None:
            self._fakeprint.add(mono)
        self.content.add(mono)
        for meter in self.extra_meters.values():
            if mono.size:
                meter.push(mono)
        fb = self.frames.push(mono, last=last)
        if fb.samples.size:
            self.comb.add(fb.samples)
        if fb.db.shape[1]:
            self.power_sum += fb.power.sum(axis=1, dtype=np.float64)
            self.stationarity.add_power(fb.power)
        return fb

    def bandwidth_hz(self) -> float:
        """The track's effective bandwidth (:func:`effective_bandwidth_hz` of the mean power so far)."""
        return effective_bandwidth_hz(self.power_sum / max(self.frames.n_frames, 1), self.bin_hz)

    def finish(self) -> tuple[Optional[CombEvidence], Optional[FakeprintEvidence]]:
        """The comb's and the fakeprint's evidence (None: not measured); sets ``fakeprint_windows``."""
        fp = None
        if self._fakeprint is not None:
            samples = self._fakeprint.samples()
            if self._fakeprint_model is not None:
                fp = score_fakeprint(samples, self._fakeprint_model)
            if self._windows:
                self.fakeprint_curve = (
                    fp.fakeprint
                    if fp is not None and fp.measured
                    else None
                    if fp is not None
                    else measure_fakeprint(samples)[0]
                )
                self.fakeprint_windows = fakeprint_windows(samples)
        return self.comb.finish(), fp

    def extra_readings(self) -> dict[str, Any]:
        """{source name: its StreamMeter's reading}: call once, after :meth:`finish`."""
        return {name: meter.finish() for name, meter in self.extra_meters.items()}
