"""The catalogue of fake generators that return content-matched (fake, real) pairs.

Every generator takes a real excerpt at 44.1 kHz and returns ``(fake, real)``, both mono
float32 at 44.1 kHz with the input's length, where ``real`` went through the SAME
resampling path as ``fake`` (e.g. 44.1k -> 16k -> 44.1k for Lyra) and is time-aligned with
it, so band limits carry no label (Afchar et al.). ``family`` is the coarse group used for
leave-one-family-out evaluation; ``name`` is the specific configuration.

The generators themselves: :mod:`.decoder_pairs` (Lyra, HiFi-GAN, Griffin-Lim) and
:mod:`.toy_codecs` (transposed-convolution and interpolating codecs), on the shared tools of
:mod:`.pair_signal`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from .decoder_pairs import DECODERS_DIR, griffinlim_pair, hifigan_pair, lyra_pair
from .pair_signal import SR
from .toy_codecs import codec_pair

PairFn = Callable[[np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class GeneratorSpec:
    family: str  # lyra | hifigan | griffinlim | tconv | upsample
    name: str  # unique generator id, e.g. "tconv-s8.5.4.2-24k"
    params: dict = field(default_factory=dict, hash=False, compare=False)
    heldout: bool = False  # never used for training splits: an honest transfer check


# (strides input->output, nominal model rate, rate it actually runs at, heldout)
# "fed" configs model wrong-rate use: a 48 kHz / 24 kHz model handed 44.1 kHz samples.
TCONV_CONFIGS: tuple[tuple[tuple[int, ...], int, int, bool], ...] = (
    ((8, 5, 4, 2), 24000, 24000, False),  # Encodec-24k-like, hop 320
    ((8, 5, 4, 2), 44100, 44100, False),
    ((8, 8, 4, 2), 44100, 44100, False),  # DAC-44k-like, hop 512
    ((8, 8, 4, 2), 48000, 48000, False),
    ((4, 4, 4, 4), 32000, 32000, False),  # hop 256
    ((8, 5, 4, 3), 48000, 48000, False),  # hop 480
    ((8, 4, 4, 3, 2), 24000, 24000, False),  # hop 768
    ((8, 8, 4, 2, 4), 44100, 44100, False),  # hop 2048
    ((8, 5, 4, 4), 32000, 32000, False),  # MusicGen-32k-like, hop 640
    ((2, 4, 4, 8), 48000, 44100, False),  # 48k model fed 44.1k, hop 256, other order
    ((6, 5, 4, 2), 24000, 24000, True),  # HELD OUT: unseen hop 240
    ((8, 5, 4, 3), 48000, 44100, True),  # HELD OUT: hop 480 run at the wrong rate
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
    specs = [
        GeneratorSpec("lyra", f"lyra-{kbps}kbps", {"num_quantizers": nq})
        for kbps, nq in (("3.2", 16), ("6", 30), ("9.2", 46))
    ]
    specs += [GeneratorSpec("hifigan", f"hifigan-v3-{v}", {"variant": v}) for v in ("dr", "float16")]
    specs += [GeneratorSpec("griffinlim", f"griffinlim-mel{m}", {"n_mels": m}) for m in (256, 512)]
    for i, (strides, nominal, run, held) in enumerate(TCONV_CONFIGS):
        name = f"tconv-s{'.'.join(map(str, strides))}-{_rate_tag(nominal, run)}"
        specs.append(
            GeneratorSpec(
                "tconv", name, {"strides": strides, "run_rate": run, "upsample": "tconv", "seed": 100 + i}, heldout=held
            )
        )
    for i, (strides, rate, mode) in enumerate(UPSAMPLE_CONFIGS):
        name = f"upsample-{mode}-s{'.'.join(map(str, strides))}-{_rate_tag(rate, rate)}"
        specs.append(
            GeneratorSpec("upsample", name, {"strides": strides, "run_rate": rate, "upsample": mode, "seed": 200 + i})
        )
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
        return lambda x, rng: codec_pair(
            x,
            rng,
            strides=tuple(p["strides"]),
            run_rate=p["run_rate"],
            upsample=p["upsample"],
            seed=p["seed"],
            model_dir=model_dir,
        )
    raise ValueError(f"unknown generator family {spec.family!r}")


def measure_speed(spec: GeneratorSpec, *, seconds: float = 10.0, model_dir: Optional[Path] = None) -> float:
    """x real time on this process's threads (call after torch.set_num_threads(1))."""
    import time

    t = np.arange(int(seconds * SR)) / SR
    x = (0.2 * np.sin(2 * math.pi * 220 * t) + 0.02 * np.random.default_rng(0).standard_normal(len(t))).astype(
        np.float32
    )
    fn = make_pair_fn(spec, model_dir=model_dir)
    fn(x[:SR], np.random.default_rng(0))  # warm-up: model loading / codec training
    t0 = time.perf_counter()
    fn(x, np.random.default_rng(0))
    return seconds / (time.perf_counter() - t0)


if __name__ == "__main__":  # python -m forensic_app.training.generators: speed table, one core
    import torch

    torch.set_num_threads(1)
    for _spec in all_generators():
        if is_available(_spec):
            print(f"{_spec.family:10s} {_spec.name:34s} {measure_speed(_spec):6.2f}x real time", flush=True)
