"""Toy neural codecs (torch): a seeded encoder/decoder given a few training steps, whose
decoder upsamples with transposed convolutions (the comb lines real codecs' decoders leave)
or with nearest / linear interpolation (no comb), and ``codec_pair``, which mixes its output
into the real audio at a drawn comb strength.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .pair_signal import SR, comb_excess_db, match_loudness, resample


def _make_codec(strides: Sequence[int], upsample: str, *, ch_min: int = 8, ch_max: int = 64, latent: int = 32):
    """encoder (strided convs down to a latent at rate / prod(strides)) -> decoder.

    The decoder upsamples by ``strides`` (input-to-output order) with transposed
    convolutions (kernel 2s, stride s: the overlap pattern that leaves comb lines at
    rate / partial products) or with nearest / linear interpolation + conv (no comb).
    """
    from torch import nn
    from torch.nn import functional as F

    n = len(strides)
    chans = [min(ch_max, ch_min * 2**i) for i in range(n + 1)]  # chans[0]: waveform side

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
                return self.conv(x)[..., self.s // 2 : self.s // 2 + length]
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


def load_codec(
    *,
    strides: Sequence[int],
    upsample: str,
    seed: int,
    rate: int,
    model_dir: Optional[Path] = None,
    train_steps: int = 30,
):
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
            loss = (torch.log(spec(out) + 1e-4) - torch.log(spec(batch) + 1e-4)).abs().mean() + 10 * (
                out - batch
            ).abs().mean()
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


def run_codec(
    x: np.ndarray, *, strides: Sequence[int], upsample: str, seed: int, rate: int, model_dir: Optional[Path] = None
) -> np.ndarray:
    import torch

    model = load_codec(strides=strides, upsample=upsample, seed=seed, rate=rate, model_dir=model_dir)
    with torch.inference_mode():
        return model(torch.from_numpy(x.astype(np.float32))[None, None])[0, 0].numpy()


def codec_pair(
    x: np.ndarray,
    rng: np.random.Generator,
    *,
    strides: tuple[int, ...],
    run_rate: int,
    upsample: str,
    seed: int,
    model_dir: Optional[Path] = None,
    target_db: Optional[tuple[float, float]] = (1.0, 10.0),
    mix_range: tuple[float, float] = (0.15, 0.6),
) -> tuple[np.ndarray, np.ndarray]:
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
