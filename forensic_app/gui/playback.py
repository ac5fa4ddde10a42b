"""Playback through sounddevice. Optional: no PortAudio or no output device is normal.

The PortAudio callback runs on its own thread and only copies samples and advances an
integer position; the GUI polls that position with a QTimer to move the playhead. Samples
come from a reader (the window's decoded copy on disk), a quarter second at a time, so a
two-hour file plays without being held in memory.
"""

from __future__ import annotations

import threading
from typing import Any, Optional

import numpy as np
from PySide6 import QtCore

POLL_MS = 33
READ_AHEAD_S = 0.25  # the callback reads this much from the decoded copy at a time


def _import_sounddevice() -> Any:
    import sounddevice  # raises OSError when the PortAudio library is missing

    return sounddevice


def probe_output() -> tuple[Optional[Any], str]:
    """(sounddevice module, "") when playback can work, else (None, reason for a tooltip)."""
    try:
        sd = _import_sounddevice()
    except OSError as err:
        return None, f"Playback is unavailable: the PortAudio sound library could not be loaded ({err})."
    except ImportError:
        return None, "Playback is unavailable: the sounddevice package is not installed."
    try:
        device = sd.query_devices(kind="output")
        if not device or int(device.get("max_output_channels", 0)) < 1:
            raise ValueError("no output channels")
    except Exception:  # noqa: BLE001 - PortAudioError, ValueError: all mean "no device"
        return None, "Playback is unavailable: no audio output device was found on this computer."
    return sd, ""


class Player(QtCore.QObject):
    position_changed = QtCore.Signal(float)  # seconds; None-like -1.0 when stopped
    state_changed = QtCore.Signal(str)  # "playing" | "paused" | "stopped"
    error = QtCore.Signal(str)

    def __init__(self, parent: Optional[QtCore.QObject] = None):
        super().__init__(parent)
        self._sd, self.unavailable_reason = probe_output()
        self._source: Any = None  # has read(start, n) -> (n, channels) float32, n_frames, channels, rate
        self._buf = np.zeros((0, 1), np.float32)  # read-ahead: frames [_buf_start, _buf_start + len(_buf))
        self._buf_start = 0
        self._rate = 0
        self._stream = None
        self._lock = threading.Lock()
        self._pos = 0  # next frame to play; written by the audio thread
        self._start = 0
        self._end = 0
        self._loop = False
        self._finished = False
        self.state = "stopped"
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._on_tick)

    @property
    def available(self) -> bool:
        return self._sd is not None

    @property
    def has_audio(self) -> bool:
        return self._source is not None

    @property
    def position_s(self) -> float:
        return self._pos / self._rate if self._rate else 0.0

    def set_source(self, source: Any) -> None:
        """Play from ``source`` (``read(start, n)``, ``n_frames``, ``channels``, ``rate``), or nothing (None)."""
        self.stop()
        self._source = source
        self._rate = int(source.rate) if source is not None else 0
        self._buf, self._buf_start = np.zeros((0, 1), np.float32), 0
        self._pos = 0

    def set_loop(self, loop: bool) -> None:
        self._loop = bool(loop)

    def play(self, start_s: Optional[float] = None, end_s: Optional[float] = None) -> None:
        """Play from ``start_s`` (default: where it paused) to ``end_s`` (default: the end)."""
        if not self.available or self._source is None:
            return
        resume = start_s is None and end_s is None and self.state == "paused"
        self._close_stream()
        n = int(self._source.n_frames)
        if not resume:  # a paused selection resumes within the same selection
            self._start = 0 if start_s is None else int(np.clip(start_s * self._rate, 0, n))
            self._end = n if end_s is None else int(np.clip(end_s * self._rate, 0, n))
            self._pos = self._start
        if not (self._start <= self._pos < self._end):
            self._pos = self._start
        self._finished = False
        try:
            device = self._sd.query_devices(kind="output")
            channels = max(1, min(int(self._source.channels), int(device["max_output_channels"])))
            self._stream = self._sd.OutputStream(
                samplerate=self._rate,
                channels=channels,
                dtype="float32",
                callback=self._callback,
                finished_callback=self._on_finished,
            )
            self._stream.start()
        except Exception as err:  # noqa: BLE001 - device busy, unsupported rate...
            self._stream = None
            self.error.emit(f"Playback could not start: {err}")
            self._set_state("stopped")
            return
        self._timer.start()
        self._set_state("playing")

    def pause(self) -> None:
        if self.state == "playing":
            self._close_stream()
            self._timer.stop()
            self._set_state("paused")

    def toggle(self, start_s: Optional[float] = None, end_s: Optional[float] = None) -> None:
        if self.state == "playing":
            self.pause()
        else:
            self.play(start_s, end_s)

    def stop(self) -> None:
        self._close_stream()
        self._timer.stop()
        self._pos = self._start = 0
        if self.state != "stopped":
            self._set_state("stopped")
        self.position_changed.emit(-1.0)

    # ----------------------------------------------------------- audio thread
    def _frames_at(self, pos: int, n: int) -> np.ndarray:
        """Up to ``n`` frames from ``pos``, from the read-ahead buffer (refilled from the source)."""
        off = pos - self._buf_start
        if off < 0 or off + n > len(self._buf):
            self._buf = self._source.read(pos, max(n, int(READ_AHEAD_S * self._rate)))
            self._buf_start, off = pos, 0
        return self._buf[off : off + n]

    def _callback(self, outdata, n_frames, time_info, status) -> None:
        ch = outdata.shape[1]
        written = 0
        while written < n_frames:
            take = min(n_frames - written, self._end - self._pos)
            if take <= 0:
                if self._loop and self._end > self._start:
                    self._pos = self._start
                    continue
                outdata[written:] = 0
                raise self._sd.CallbackStop()
            chunk = self._frames_at(self._pos, take)
            if len(chunk) == 0:  # the source ended early: stop rather than spin
                outdata[written:] = 0
                raise self._sd.CallbackStop()
            take = len(chunk)
            outdata[written : written + take] = chunk[:, :ch] if chunk.shape[1] >= ch else chunk[:, :1]
            written += take
            self._pos += take

    def _on_finished(self) -> None:
        self._finished = True

    # ----------------------------------------------------------- GUI thread
    def _on_tick(self) -> None:
        self.position_changed.emit(self.position_s)
        if self._finished and self.state == "playing":
            self._close_stream()
            self._timer.stop()
            self._pos = self._start
            self._set_state("stopped")
            self.position_changed.emit(-1.0)

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except Exception:  # noqa: BLE001 - closing a dead device must not crash the app
                pass

    def _set_state(self, state: str) -> None:
        self.state = state
        self.state_changed.emit(state)
