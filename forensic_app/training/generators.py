"""Fake generators that return content-matched (fake, real) pairs.

Every generator takes a real excerpt at 44.1 kHz and returns ``(fake, real)``, both mono
float32 at 44.1 kHz with the input's length, where ``real`` went through the SAME
resampling path as ``fake`` (e.g. 44.1k -> 16k -> 44.1k for Lyra) and is time-aligned with
it, so band limits carry no label (Afchar et al.). ``family`` is the coarse group used for
leave-one-family-out evaluation; ``name`` is the specific configuration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import soxr
from scipy.ndimage import median_filter
from scipy.signal import welch

from .corpus import shared_dir  # one place knows where the handed material is

SR = 44100
DECODERS_DIR = shared_dir() / "decoders"  # $FORENSIC_APP_SHARED/decoders, default ../shared/decoders

PairFn = Callable[[np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class GeneratorSpec:
    family: str  # lyra | hifigan | griffinlim | tconv | upsample
    name: str  # unique generator id, e.g. "tconv-s8.5.4.2-24k"
    params: dict = field(default_factory=dict, hash=False, compare=False)
    heldout: bool = False  # never used for training splits: an honest transfer check


# ---------------------------------------------------------------- shared signal helpers

def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """soxr HQ resampling, output length exactly round(len(x) * sr_out / sr_in)."""
    if sr_in == sr_out:
        return x.astype(np.float32, copy=True)
    y = soxr.resample(x.astype(np.float32), sr_in, sr_out, quality="HQ").astype(np.float32)
    return fit_length(y, int(round(len(x) * sr_out / sr_in)))


def fit_length(x: np.ndarray, n: int) -> np.ndarray:
    return x[:n] if len(x) >= n else np.pad(x, (0, n - len(x)))


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)) + 1e-12))


def match_loudness(y: np.ndarray, ref: np.ndarray) -> np.ndarray:
    return (y * (rms(ref) / rms(y))).astype(np.float32)


def find_lag(y: np.ndarray, ref: np.ndarray, max_lag: int) -> int:
    """Lag L (samples) maximising sum y[n + L] * ref[n], |L| <= max_lag (FFT xcorr)."""
    n = len(ref) + len(y)
    nfft = 1 << (n - 1).bit_length()
    xc = np.fft.irfft(np.fft.rfft(y, nfft) * np.conj(np.fft.rfft(ref, nfft)), nfft)
    lags = np.r_[np.arange(0, max_lag + 1), np.arange(-max_lag, 0)]
    return int(lags[np.argmax(xc[lags])])


def shift(y: np.ndarray, lag: int) -> np.ndarray:
    """out[n] = y[n + lag], zero-padded, same length."""
    if lag > 0:
        return np.pad(y[lag:], (0, lag))
    if lag < 0:
        return np.pad(y[:lag], (-lag, 0))
    return y


def _envelope(x: np.ndarray, width: int = 64) -> np.ndarray:
    e = np.convolve(np.square(x, dtype=np.float64), np.ones(width) / width, mode="same")
    return (e - e.mean()).astype(np.float32)


def partial_products(strides: Sequence[int]) -> list[int]:
    """Upsampling factors seen from the output: strides (8,5,4,2) -> [2, 8, 40, 320]."""
    out, p = [], 1
    for s in reversed(list(strides)):
        p *= s
        out.append(p)
    return out


def comb_strength_db(x: np.ndarray, sr: int, f0_hz: float, *, n_fft: int = 32768,
                     max_harmonics: int = 200, min_harmonics: int = 3, band_hz: Optional[float] = None) -> float:
    """Mean prominence (dB) of the average spectrum at k * f0 above its median floor."""
    band = band_hz if band_hz is not None else 0.95 * sr / 2
    n_fft = min(n_fft, 1 << (len(x).bit_length() - 1))
    _, p = welch(x.astype(np.float64), fs=sr, nperseg=n_fft, noverlap=n_fft // 2, window="hann")
    # floor 70 dB under the mean density: a line in a band a lossy source left empty is
    # not "infinitely" prominent (16-bit output would bury most of it anyway)
    logp = 10 * np.log10(p + 1e-7 * np.mean(p) + 1e-20)
    floor = median_filter(logp, size=31, mode="nearest")
    df = sr / n_fft
    ks = np.arange(1, max_harmonics + 1)
    freqs = ks * f0_hz
    freqs = freqs[(freqs < band) & (freqs > 4 * df)]
    if len(freqs) < min_harmonics:  # one or two lines are not a comb
        return 0.0
    bins = np.round(freqs / df).astype(int)
    peaks = np.maximum(np.maximum(logp[bins - 1], logp[bins]), logp[bins + 1])
    return float(np.mean(peaks - floor[bins]))


def comb_excess_db(fake: np.ndarray, real: np.ndarray, sr: int, strides: Sequence[int],
                   run_rate: int, band_hz: Optional[float] = None) -> float:
    """Max over partial products P of comb strength at run_rate / P, fake minus real."""
    band = band_hz if band_hz is not None else 0.95 * min(run_rate, sr) / 2
    best = -np.inf
    for p in partial_products(strides):
        f0 = run_rate / p
        if f0 >= band or f0 < 5.0:
            continue
        best = max(best, comb_strength_db(fake, sr, f0, band_hz=band) - comb_strength_db(real, sr, f0, band_hz=band))
    return float(best) if np.isfinite(best) else 0.0


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
            feats = self._enc(input_audio=x16[None, i * 320:(i + 1) * 320])["output_0"]
            idx = self._qenc(input_frames=feats, num_quantizers=nq)["output_0"]
            q = self._qdec(encoding_indices=idx)["output_0"]
            out[i * 320:(i + 1) * 320] = self._dec(input_audio=q)["output_0"][0]
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


def griffinlim_pair(x: np.ndarray, rng: np.random.Generator, *, n_mels: int, n_iter: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Riffusion-style: 100-ms window, 10-ms hop, 400-ms n_fft at 44.1 kHz, pseudo-inverse + GL."""
    import librosa

    win, hop, n_fft = 4410, 441, 17640
    m, m_inv = _gl_mel(n_mels, n_fft)
    spec = np.abs(librosa.stft(x, n_fft=n_fft, hop_length=hop, win_length=win))
    mag = np.maximum(m_inv @ (m @ spec), 0.0)
    y = librosa.griffinlim(mag, n_iter=n_iter, hop_length=hop, win_length=win, n_fft=n_fft,
                           length=len(x), random_state=int(rng.integers(2**31)))
    real = x.astype(np.float32, copy=True)
    return match_loudness(y.astype(np.float32), real), real


# ---------------------------------------------------------------- home-made codecs (torch)

def _make_codec(strides: Sequence[int], upsample: str, *, ch_min: int = 8, ch_max: int = 64, latent: int = 32):
    """encoder (strided convs down to a latent at rate / prod(strides)) -> decoder.

    The decoder upsamples by ``strides`` (input-to-output order) with transposed
    convolutions (kernel 2s, stride s: the overlap pattern that leaves comb lines at
    rate / partial products) or with nearest / linear interpolation + conv (no comb).
    """
    from torch import nn
    from torch.nn import functional as F

    n = len(strides)
    chans = [min(ch_max, ch_min * 2 ** i) for i in range(n + 1)]  # chans[0]: waveform side

    class Down(nn.Module):
        def __init__(self, c_in: int, c_out: int, s: int):
            super().__init__()
            self.s, self.conv = s, nn.Conv1d(c_in, c_out, 2 * s, stride=s)

        def forward(self, x):
            return self.conv(F.pad(x, ((self.s + 1) // 2, self.s // 2)))

    class Up(nn.Module):
        def __init__(self, c_in: int, c_out: int, s: int):
            super().__init__()
            self.s = s
            if upsample == "tconv":
                self.conv = nn.ConvTranspose1d(c_in, c_out, 2 * s, stride=s)
            else:
                self.conv = nn.Conv1d(c_in, c_out, 2 * s + 1, padding=s)

        def forward(self, x):
            length = x.shape[-1] * self.s
            if upsample == "tconv":
                return self.conv(x)[..., self.s // 2: self.s // 2 + length]
            mode = "nearest" if upsample == "nearest" else "linear"
            kw = {} if mode == "nearest" else {"align_corners": False}
            return self.conv(F.interpolate(x, scale_factor=self.s, mode=mode, **kw))

    class Codec(nn.Module):
        def __init__(self):
            super().__init__()
            self.hop = int(np.prod(strides))
            enc: list[nn.Module] = [nn.Conv1d(1, chans[0], 7, padding=3), nn.ELU()]
            for i, s in enumerate(reversed(list(strides))):
                enc += [Down(chans[i], chans[i + 1], s), nn.ELU()]
            enc += [nn.Conv1d(chans[n], latent, 3, padding=1)]
            dec: list[nn.Module] = [nn.Conv1d(latent, chans[n], 7, padding=3), nn.ELU()]
            for i, s in enumerate(strides):
                dec += [Up(chans[n - i], chans[n - i - 1], s), nn.ELU()]
            dec += [nn.Conv1d(chans[0], 1, 7, padding=3)]
            self.encoder, self.decoder = nn.Sequential(*enc), nn.Sequential(*dec)

        def forward(self, x):  # (batch, 1, samples) -> same shape
            length = x.shape[-1]
            x = F.pad(x, (0, (-length) % self.hop))
            return self.decoder(self.encoder(x))[..., :length]

    return Codec()


def _training_signal(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """Notes with harmonics and envelopes plus noise bursts: enough to shape a toy codec."""
    t = np.arange(n) / rate
    x = np.zeros(n)
    for _ in range(int(rng.integers(3, 7))):
        f0, t0, dur = rng.uniform(80, 1000), rng.uniform(0, t[-1]), rng.uniform(0.1, 0.8)
        env = np.clip((t - t0) / 0.01, 0, 1) * np.exp(-np.clip(t - t0, 0, None) / dur) * (t >= t0)
        for k in range(1, 8):
            if k * f0 < rate / 2:
                x += env * rng.uniform(0.2, 1) / k * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6.3))
    x += 0.05 * rng.standard_normal(n) * (rng.uniform(size=n // 512 + 1).repeat(512)[:n] > 0.7)
    return (0.3 * x / (np.max(np.abs(x)) + 1e-9)).astype(np.float32)


_CODECS: dict[tuple, object] = {}


def load_codec(*, strides: Sequence[int], upsample: str, seed: int, rate: int,
               model_dir: Optional[Path] = None, train_steps: int = 30):
    """A seeded codec given ``train_steps`` quick Adam steps so it roughly reconstructs.

    Weights are cached in memory and, if ``model_dir`` is given, as a state dict on disk.
    """
    import torch

    key = (tuple(strides), upsample, seed, rate, train_steps)
    if key in _CODECS:
        return _CODECS[key]
    torch.manual_seed(seed)
    model = _make_codec(strides, upsample)
    path = None
    if model_dir is not None:
        tag = "-".join(map(str, strides))
        path = Path(model_dir) / f"codec-{upsample}-s{tag}-{rate}-seed{seed}-steps{train_steps}.pt"
    if path is not None and path.exists():
        model.load_state_dict(torch.load(path, weights_only=True))
    else:
        rng = np.random.default_rng(seed)
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        win = torch.hann_window(1024)
        for _ in range(train_steps):
            batch = torch.from_numpy(np.stack([_training_signal(rng, rate // 2, rate) for _ in range(2)]))[:, None]
            out = model(batch)
            spec = lambda z: torch.stft(z[:, 0], 1024, 256, window=win, return_complex=True).abs()  # noqa: E731
            loss = (torch.log(spec(out) + 1e-4) - torch.log(spec(batch) + 1e-4)).abs().mean() \
                + 10 * (out - batch).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            torch.save(model.state_dict(), tmp)
            tmp.replace(path)
    model.eval()
    _CODECS[key] = model
    return model


def run_codec(x: np.ndarray, *, strides: Sequence[int], upsample: str, seed: int, rate: int,
              model_dir: Optional[Path] = None) -> np.ndarray:
    import torch

    model = load_codec(strides=strides, upsample=upsample, seed=seed, rate=rate, model_dir=model_dir)
    with torch.inference_mode():
        return model(torch.from_numpy(x.astype(np.float32))[None, None])[0, 0].numpy()


def codec_pair(x: np.ndarray, rng: np.random.Generator, *, strides: tuple[int, ...], run_rate: int,
               upsample: str, seed: int, model_dir: Optional[Path] = None,
               target_db: Optional[tuple[float, float]] = (1.0, 10.0),
               mix_range: tuple[float, float] = (0.15, 0.6)) -> tuple[np.ndarray, np.ndarray]:
    """Run a tiny codec at ``run_rate`` and MIX its output into the real audio.

    Raw decoder output has comb peaks 20-70 dB above the floor where real codecs show a few
    dB, so the mixing fraction is solved (bisection) for a comb excess drawn uniformly from
    ``target_db``. ``upsample='nearest'|'linear'`` leaves no comb: a random fraction from
    ``mix_range`` is used instead.
    """
    xr = resample(x, SR, run_rate)
    y = run_codec(xr, strides=strides, upsample=upsample, seed=seed, rate=run_rate, model_dir=model_dir)
    # resampling is linear, so mixing after it equals mixing at run_rate; measuring at
    # 44.1 kHz targets the strength a detector will see in the written file
    real = resample(xr, run_rate, SR)
    y = match_loudness(resample(y, run_rate, SR), real)
    if upsample == "tconv" and target_db is not None:
        target = float(rng.uniform(*target_db))
        # bisect log(a): raw combs are so strong that a can be far below 1 %
        lo, hi = math.log(1e-5), 0.0
        for _ in range(12):
            mid = 0.5 * (lo + hi)
            a = math.exp(mid)
            if comb_excess_db((1 - a) * real + a * y, real, SR, strides, run_rate) < target:
                lo = mid
            else:
                hi = mid
        a = math.exp(0.5 * (lo + hi))
    else:
        a = float(rng.uniform(*mix_range))
    fake = ((1 - a) * real + a * y).astype(np.float32)
    return match_loudness(fake, real), real


# ---------------------------------------------------------------- the catalogue

# (strides input->output, nominal model rate, rate it actually runs at, heldout)
# "fed" configs model wrong-rate use: a 48 kHz / 24 kHz model handed 44.1 kHz samples.
TCONV_CONFIGS: tuple[tuple[tuple[int, ...], int, int, bool], ...] = (
    ((8, 5, 4, 2), 24000, 24000, False),      # Encodec-24k-like, hop 320
    ((8, 5, 4, 2), 44100, 44100, False),
    ((8, 8, 4, 2), 44100, 44100, False),      # DAC-44k-like, hop 512
    ((8, 8, 4, 2), 48000, 48000, False),
    ((4, 4, 4, 4), 32000, 32000, False),      # hop 256
    ((8, 5, 4, 3), 48000, 48000, False),      # hop 480
    ((8, 4, 4, 3, 2), 24000, 24000, False),   # hop 768
    ((8, 8, 4, 2, 4), 44100, 44100, False),   # hop 2048
    ((8, 5, 4, 4), 32000, 32000, False),      # MusicGen-32k-like, hop 640
    ((2, 4, 4, 8), 48000, 44100, False),      # 48k model fed 44.1k, hop 256, other order
    ((6, 5, 4, 2), 24000, 24000, True),       # HELD OUT: unseen hop 240
    ((8, 5, 4, 3), 48000, 44100, True),       # HELD OUT: hop 480 run at the wrong rate
)
UPSAMPLE_CONFIGS: tuple[tuple[tuple[int, ...], int, str], ...] = (
    ((8, 5, 4, 2), 24000, "nearest"),
    ((8, 8, 4, 2), 44100, "linear"),
    ((4, 4, 4, 4), 48000, "nearest"),
)


def _rate_tag(nominal: int, run: int) -> str:
    t = f"{nominal / 1000:g}k"
    return t if nominal == run else f"{t}-fed{run / 1000:g}k"


def all_generators() -> list[GeneratorSpec]:
    specs = [GeneratorSpec("lyra", f"lyra-{kbps}kbps", {"num_quantizers": nq})
             for kbps, nq in (("3.2", 16), ("6", 30), ("9.2", 46))]
    specs += [GeneratorSpec("hifigan", f"hifigan-v3-{v}", {"variant": v}) for v in ("dr", "float16")]
    specs += [GeneratorSpec("griffinlim", f"griffinlim-mel{m}", {"n_mels": m}) for m in (256, 512)]
    for i, (strides, nominal, run, held) in enumerate(TCONV_CONFIGS):
        name = f"tconv-s{'.'.join(map(str, strides))}-{_rate_tag(nominal, run)}"
        specs.append(GeneratorSpec("tconv", name, {"strides": strides, "run_rate": run, "upsample": "tconv",
                                                   "seed": 100 + i}, heldout=held))
    for i, (strides, rate, mode) in enumerate(UPSAMPLE_CONFIGS):
        name = f"upsample-{mode}-s{'.'.join(map(str, strides))}-{_rate_tag(rate, rate)}"
        specs.append(GeneratorSpec("upsample", name, {"strides": strides, "run_rate": rate, "upsample": mode,
                                                      "seed": 200 + i}))
    return specs


FAMILIES = ("lyra", "hifigan", "griffinlim", "tconv", "upsample")


def is_available(spec: GeneratorSpec) -> bool:
    """TFLite families need ai-edge-litert (a training-only extra) and the shared decoders."""
    if spec.family not in ("lyra", "hifigan"):
        return True
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return False
    return (DECODERS_DIR / spec.family).is_dir()


def make_pair_fn(spec: GeneratorSpec, *, model_dir: Optional[Path] = None) -> PairFn:
    p = spec.params
    if spec.family == "lyra":
        return lambda x, rng: lyra_pair(x, rng, num_quantizers=p["num_quantizers"])
    if spec.family == "hifigan":
        return lambda x, rng: hifigan_pair(x, rng, variant=p["variant"])
    if spec.family == "griffinlim":
        return lambda x, rng: griffinlim_pair(x, rng, n_mels=p["n_mels"])
    if spec.family in ("tconv", "upsample"):
        return lambda x, rng: codec_pair(x, rng, strides=tuple(p["strides"]), run_rate=p["run_rate"],
                                         upsample=p["upsample"], seed=p["seed"], model_dir=model_dir)
    raise ValueError(f"unknown generator family {spec.family!r}")


def measure_speed(spec: GeneratorSpec, *, seconds: float = 10.0, model_dir: Optional[Path] = None) -> float:
    """x real time on this process's threads (call after torch.set_num_threads(1))."""
    import time

    t = np.arange(int(seconds * SR)) / SR
    x = (0.2 * np.sin(2 * math.pi * 220 * t) + 0.02 * np.random.default_rng(0).standard_normal(len(t))).astype(np.float32)
    fn = make_pair_fn(spec, model_dir=model_dir)
    fn(x[: SR], np.random.default_rng(0))  # warm-up: model loading / codec training
    t0 = time.perf_counter()
    fn(x, np.random.default_rng(0))
    return seconds / (time.perf_counter() - t0)


if __name__ == "__main__":  # python -m forensic_app.training.generators: speed table, one core
    import torch

    torch.set_num_threads(1)
    for _spec in all_generators():
        if is_available(_spec):
            print(f"{_spec.family:10s} {_spec.name:34s} {measure_speed(_spec):6.2f}x real time", flush=True)
