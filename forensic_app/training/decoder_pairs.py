"""Pairs from real decoders: Lyra v2 and HiFi-GAN V3 (the handed TFLite models under
``$FORENSIC_APP_SHARED/decoders``, run with ai-edge-litert, a training-only extra) and
Riffusion-style Griffin-Lim mel inversion (librosa).

Each ``*_pair(x, rng, ...)`` takes a real 44.1 kHz excerpt and returns ``(fake, real)`` as
described in :mod:`.generators`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from .corpus import shared_dir  # one place knows where the handed material is
from .pair_signal import SR, find_lag, fit_length, match_loudness, resample, shift

DECODERS_DIR = shared_dir() / "decoders"  # $FORENSIC_APP_SHARED/decoders, default ../shared/decoders


# ---------------------------------------------------------------- Lyra v2 (TFLite)


class _Lyra:
    def __init__(self, directory: Path = DECODERS_DIR / "lyra"):
        from ai_edge_litert.interpreter import Interpreter

        def load(name: str):
            it = Interpreter(model_path=str(directory / name), num_threads=1)
            it.allocate_tensors()
            return it

        self._its = [load("soundstream_encoder.tflite"), load("quantizer.tflite"), load("lyragan.tflite")]
        self._enc = self._its[0].get_signature_runner()
        self._qenc = self._its[1].get_signature_runner("encode")
        self._qdec = self._its[1].get_signature_runner("decode")
        self._dec = self._its[2].get_signature_runner()

    def __call__(self, x16: np.ndarray, num_quantizers: int) -> np.ndarray:
        for it in self._its:  # streaming models keep state between frames: start clean
            if hasattr(it, "reset_all_variables"):
                it.reset_all_variables()
        n = len(x16) // 320
        out = np.zeros(len(x16), np.float32)
        nq = np.array(num_quantizers, dtype=np.int32)
        for i in range(n):
            feats = self._enc(input_audio=x16[None, i * 320 : (i + 1) * 320])["output_0"]
            idx = self._qenc(input_frames=feats, num_quantizers=nq)["output_0"]
            q = self._qdec(encoding_indices=idx)["output_0"]
            out[i * 320 : (i + 1) * 320] = self._dec(input_audio=q)["output_0"][0]
        return out


@lru_cache(maxsize=1)
def _lyra() -> _Lyra:
    return _Lyra()


def lyra_pair(x: np.ndarray, rng: np.random.Generator, *, num_quantizers: int) -> tuple[np.ndarray, np.ndarray]:
    x16 = resample(x, SR, 16000)
    y16 = _lyra()(x16, num_quantizers)
    y16 = shift(y16, find_lag(y16, x16, max_lag=16 * 320))  # a few frames of latency
    real = resample(x16, 16000, SR)
    return match_loudness(resample(y16, 16000, SR), real), real


# ---------------------------------------------------------------- HiFi-GAN V3 (TFLite)


def _envelope(x: np.ndarray, width: int = 64) -> np.ndarray:
    e = np.convolve(np.square(x, dtype=np.float64), np.ones(width) / width, mode="same")
    return (e - e.mean()).astype(np.float32)


@lru_cache(maxsize=2)
def _hifigan(variant: str):
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_path=str(DECODERS_DIR / "hifigan" / f"hifigan_{variant}.tflite"), num_threads=1)


@lru_cache(maxsize=1)
def _hifigan_mel_basis() -> np.ndarray:
    import librosa

    return librosa.filters.mel(sr=22050, n_fft=1024, n_mels=80, fmin=0, fmax=8000).astype(np.float32)


def hifigan_pair(x: np.ndarray, rng: np.random.Generator, *, variant: str) -> tuple[np.ndarray, np.ndarray]:
    import librosa

    x22 = resample(x, SR, 22050)
    peak = float(np.max(np.abs(x22))) + 1e-9
    spec = np.abs(librosa.stft(x22 * (0.95 / peak), n_fft=1024, hop_length=256, win_length=1024, center=True))
    mel = np.log(np.clip(_hifigan_mel_basis() @ spec, 1e-5, None)).astype(np.float32)[None]
    it = _hifigan(variant)
    inp = it.get_input_details()[0]
    it.resize_tensor_input(inp["index"], mel.shape)
    it.allocate_tensors()
    it.set_tensor(inp["index"], mel)
    it.invoke()
    y22 = fit_length(it.get_tensor(it.get_output_details()[0]["index"]).reshape(-1), len(x22))
    # vocoder phase is its own: align the energy envelopes, not the waveforms
    y22 = shift(y22, find_lag(_envelope(y22), _envelope(x22), max_lag=1024))
    real = resample(x22, 22050, SR)
    return match_loudness(resample(y22, 22050, SR), real), real


# ---------------------------------------------------------------- Griffin-Lim mel inversion


@lru_cache(maxsize=4)
def _gl_mel(n_mels: int, n_fft: int) -> tuple[np.ndarray, np.ndarray]:
    import librosa

    m = librosa.filters.mel(sr=SR, n_fft=n_fft, n_mels=n_mels).astype(np.float32)
    return m, np.linalg.pinv(m).astype(np.float32)


def griffinlim_pair(
    x: np.ndarray, rng: np.random.Generator, *, n_mels: int, n_iter: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """Riffusion-style: 100-ms window, 10-ms hop, 400-ms n_fft at 44.1 kHz, pseudo-inverse + GL."""
    import librosa

    win, hop, n_fft = 4410, 441, 17640
    m, m_inv = _gl_mel(n_mels, n_fft)
    spec = np.abs(librosa.stft(x, n_fft=n_fft, hop_length=hop, win_length=win))
    mag = np.maximum(m_inv @ (m @ spec), 0.0)
    y = librosa.griffinlim(
        mag,
        n_iter=n_iter,
        hop_length=hop,
        win_length=win,
        n_fft=n_fft,
        length=len(x),
        random_state=int(rng.integers(2**31)),
    )
    real = x.astype(np.float32, copy=True)
    return match_loudness(y.astype(np.float32), real), real
