"""Make the demo's two derived files from the bundled CC excerpt (needs the `train` extra and
../shared/decoders; run once, the outputs are committed in resources/demo/):

- ``...-through-hifigan.flac``: the whole excerpt through HiFi-GAN V3 (one of the training
  decoders), mono: a newcomer sees what "likely AI-generated" looks like;
- ``...-spliced.flac``: the original stereo excerpt with 12.0-18.0 s replaced by the decoded
  copy (50 ms crossfades): the heatmap lights up where the splice is.

usage: python packaging/make_demo.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from forensic_app.training.decoder_pairs import hifigan_pair

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo"
SRC = DEMO / "karissa_hobbs-lets_go_fishin-excerpt.flac"
SPLICE_S = (12.0, 18.0)
FADE_S = 0.05


def main() -> None:
    x, sr = sf.read(SRC, dtype="float32", always_2d=True)
    assert sr == 44100, sr
    fake, _ = hifigan_pair(x.mean(axis=1), np.random.default_rng(0), variant="float16")
    fake = np.clip(fake[: x.shape[0]], -1, 1).astype(np.float32)
    sf.write(DEMO / "karissa_hobbs-lets_go_fishin-excerpt-through-hifigan.flac", fake, sr, subtype="PCM_16")
    a, b = (int(t * sr) for t in SPLICE_S)
    n = int(FADE_S * sr)
    w = np.ones(x.shape[0], np.float32)[:, None] * 0.0
    w[a:b] = 1.0
    w[a - n : a, 0] = np.linspace(0, 1, n)
    w[b : b + n, 0] = np.linspace(1, 0, n)
    spliced = (1 - w) * x + w * fake[:, None]
    sf.write(DEMO / "karissa_hobbs-lets_go_fishin-excerpt-spliced.flac", np.clip(spliced, -1, 1), sr, subtype="PCM_16")


if __name__ == "__main__":
    main()
