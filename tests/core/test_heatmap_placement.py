"""The heatmap lands where the audio was changed: time axis in seconds, rows in Hz.

A segment passed through a decoder-like transform (random transposed-convolution
upsampler, energy kept above 10 kHz) is spliced into music-like audio. With the tiny
random model we test placement and orientation, not detection quality: only heatmap
cells near the splice in time, and above ~7 kHz in frequency, may change.
"""

from __future__ import annotations

import numpy as np
import soundfile as sf
import torch

from forensic_app.core.analysis import analyze
from forensic_app.training.synth import music_like

RATE = 44100
SPLICE = (12.0, 18.0)


def decoder_like(x: np.ndarray, seed: int = 0) -> np.ndarray:
    torch.manual_seed(seed)
    down = x[::8]
    net = torch.nn.Sequential(
        torch.nn.ConvTranspose1d(1, 4, 4, stride=2, padding=1),
        torch.nn.Tanh(),
        torch.nn.ConvTranspose1d(4, 1, 8, stride=4, padding=2),
    )
    with torch.no_grad():
        y = net(torch.from_numpy(down.astype(np.float32))[None, None])[0, 0].numpy()
    y = np.resize(y, x.size)
    spec = np.fft.rfft(y)
    spec[np.fft.rfftfreq(y.size, 1 / RATE) < 10000] = 0  # keep only the band above 10 kHz
    hp = np.fft.irfft(spec, y.size)
    fade = int(0.05 * RATE)  # smooth edges so the splice itself adds no broadband click
    env = np.ones(y.size)
    env[:fade] = env[-fade:][::-1] = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, fade))
    return (hp * env / (np.abs(hp).max() + 1e-9) * 0.3).astype(np.float32)


def test_splice_lights_the_right_time_and_band(tmp_path, tiny_weights):
    base = music_like(30.0, RATE, seed=3)
    a, b = (int(s * RATE) for s in SPLICE)
    spliced = base.copy()
    spliced[a:b] += decoder_like(base[a:b])
    p0, p1 = tmp_path / "base.wav", tmp_path / "spliced.wav"
    sf.write(str(p0), base, RATE, subtype="FLOAT")
    sf.write(str(p1), spliced, RATE, subtype="FLOAT")
    r0 = analyze(p0, weights_dir=tiny_weights)
    r1 = analyze(p1, weights_dir=tiny_weights)
    h0, h1 = r0.heatmap, r1.heatmap
    np.testing.assert_allclose(h0.time_edges_s, h1.time_edges_s)
    diff = np.abs(h1.logits - h0.logits)
    changed = diff > 1e-7  # cells far from the change are bit-identical
    assert changed.any()

    t_lo, t_hi = h1.time_edges_s[:-1], h1.time_edges_s[1:]
    margin = 1.5  # the network's receptive field reaches about 1.1 s either side
    cols = np.nonzero(changed.any(axis=0))[0]
    assert t_lo[cols].min() >= SPLICE[0] - margin and t_hi[cols].max() <= SPLICE[1] + margin
    inside = np.nonzero((t_lo >= SPLICE[0]) & (t_hi <= SPLICE[1]))[0]
    assert changed[:, inside].any(axis=0).all()  # every column fully inside the splice reacts

    f_hi = h1.freq_edges_hz[1:]
    rows = np.nonzero(changed.any(axis=1))[0]
    assert f_hi[rows].min() > 6000  # row 0 is the lowest band; nothing below ~6 kHz moved
    assert h1.freq_edges_hz[0] == 0 and h1.freq_edges_hz[-1] <= 16000 + 1e-6
    assert h1.value_at(15.0, 13000.0) is not None and h1.value_at(40.0, 1000.0) is None
