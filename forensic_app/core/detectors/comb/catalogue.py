"""Known upsampling architectures and the spectral combs they leave, as data.

A decoder that upsamples with transposed convolutions of strides ``s_1 .. s_n`` (input end
first, output end last) and whose output is played at ``run_rate_hz`` leaves spectral lines
at the multiples of ``run_rate_hz / P`` for every partial product ``P`` of the strides
counted from the OUTPUT end: ``s_n``, ``s_n * s_(n-1)``, ..., the full hop. The coarse
partial products (few, widely spaced lines) are usually the strongest. Line positions
depend on the architecture and the run rate only, not on the weights, so a catalogue of
(strides, rate) pairs is enough to say where to look.

"Wrong-rate" use (a 48 kHz model fed and played at 44.1 kHz) moves every line by the rate
ratio; such uses are listed as their own entries.

Nothing here looks at audio: :func:`candidate_combs` turns the catalogue into the
deduplicated list of comb spacings that :mod:`forensic_app.core.detectors.comb` tests.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

# Bump when entries change: a stored CombReference is only valid for the catalogue it was
# fitted with (the best-of-catalogue z depends on how many spacings are tried).
CATALOGUE_VERSION = "1"


@dataclass(frozen=True)
class Architecture:
    """One decoder architecture run at one sample rate."""

    name: str  # human readable, e.g. "EnCodec-style 24 kHz, hop 320 (strides 8·5·4·2)"
    family: str  # short id: "encodec", "dac", "hifigan", ...
    strides: tuple[int, ...]  # upsampling strides, input end first, OUTPUT END LAST
    native_rate_hz: int  # rate the model was built for
    run_rate_hz: int  # rate its output is played at (differs for wrong-rate use)

    @property
    def hop(self) -> int:
        """Output samples per latent frame (product of all strides)."""
        p = 1
        for s in self.strides:
            p *= s
        return p

    def partial_products(self) -> tuple[int, ...]:
        """Stride products counted from the output end, finest spacing last.

        strides (8, 5, 4, 2) -> (2, 8, 40, 320).
        """
        out, p = [], 1
        for s in reversed(self.strides):
            p *= s
            if s > 1:
                out.append(p)
        return tuple(out)

    def comb_f0s_hz(self) -> tuple[float, ...]:
        """Line spacings this architecture can produce: ``run_rate_hz / P`` per partial product."""
        return tuple(self.run_rate_hz / p for p in self.partial_products())


def _arch(
    family: str, label: str, strides: Sequence[int], native_khz: float, run_khz: Optional[float] = None
) -> Architecture:
    native = int(round(native_khz * 1000))
    run = native if run_khz is None else int(round(run_khz * 1000))
    hop = 1
    for s in strides:
        hop *= s
    stride_txt = "·".join(str(s) for s in strides)
    name = f"{label} {_khz(native)}, hop {hop} (upsampling strides {stride_txt})"
    if run != native:
        name += f", run at {_khz(run)}"
    return Architecture(
        name=name, family=family, strides=tuple(int(s) for s in strides), native_rate_hz=native, run_rate_hz=run
    )


def _khz(rate_hz: int) -> str:
    khz = rate_hz / 1000
    return f"{khz:g} kHz"


# Strides are the DECODER's upsampling strides, input end first, output end last. Where
# a published model was checked, the order is its decoder's; "-style" marks entries that
# stand for a family of similar models rather than one checkpoint.
DEFAULT_CATALOGUE: tuple[Architecture, ...] = (
    # EnCodec / SoundStream / SEANet decoders (ratios 8,5,4,2 applied in this order)
    _arch("encodec", "EnCodec-style", (8, 5, 4, 2), 24),
    _arch("encodec", "EnCodec-style", (8, 5, 4, 2), 32),
    _arch("encodec", "EnCodec-style", (8, 5, 4, 2), 44.1),
    _arch("encodec", "EnCodec-style", (8, 5, 4, 2), 48),
    _arch("encodec", "SoundStream-style", (8, 5, 4, 2), 16),
    # MusicGen's 32 kHz EnCodec: hop 640
    _arch("encodec", "MusicGen EnCodec-style", (8, 5, 4, 4), 32),
    # Mimi-style 24 kHz, 12.5 Hz frames
    _arch("encodec", "Mimi-style", (8, 6, 5, 4), 24),
    # DAC (decoder rates 8,8,4,2 at 44.1 kHz; 8,5,4,2 at 24 and 16 kHz)
    _arch("dac", "DAC-style", (8, 8, 4, 2), 44.1),
    _arch("dac", "DAC-style", (8, 5, 4, 2), 24),
    _arch("dac", "SNAC-style", (8, 8, 4, 2), 24),
    _arch("dac", "SNAC-style", (8, 8, 4, 2), 32),
    # other hops that generators use
    _arch("generic", "Codec-style", (8, 6, 4, 4), 44.1),  # hop 768
    _arch("generic", "Codec-style", (8, 6, 4, 4), 48),
    _arch("generic", "Codec-style", (8, 5, 4, 3), 24),  # hop 480
    _arch("generic", "Codec-style", (8, 5, 4, 3), 48),
    _arch("generic", "Codec-style", (4, 4, 4, 4), 44.1),  # hop 256
    _arch("generic", "Codec-style", (4, 4, 4, 4), 48),
    _arch("generic", "Codec-style", (4, 4, 4, 4), 24),
    # Stable-Audio-style VAE (oobleck: decoder strides 8,8,4,4,2 -> hop 2048)
    _arch("vae", "Stable-Audio-VAE-style", (8, 8, 4, 4, 2), 44.1),
    # Jukebox-style top-level VQ-VAE (hop 128 made of 2x steps)
    _arch("vae", "Jukebox-style", (2, 2, 2, 2, 2, 2, 2), 44.1),
    # neural vocoders
    _arch("hifigan", "HiFi-GAN-V1-style", (8, 8, 2, 2), 22.05),
    _arch("hifigan", "HiFi-GAN-V3-style", (8, 8, 4), 22.05),
    _arch("hifigan", "HiFi-GAN-style", (8, 8, 2, 2), 24),
    _arch("bigvgan", "BigVGAN-style", (4, 4, 2, 2, 2, 2), 24),
    _arch("bigvgan", "BigVGAN-style", (4, 4, 2, 2, 2, 2), 44.1),
    _arch("bigvgan", "BigVGAN-style", (8, 4, 2, 2, 2, 2), 44.1),  # hop 512
    # iSTFT vocoders: one synthesis hop (frame-rate lines)
    _arch("vocos", "Vocos-style iSTFT", (256,), 24),
    _arch("vocos", "Vocos-style iSTFT", (512,), 44.1),
    _arch("vocos", "Vocos-style iSTFT", (320,), 24),
    # wrong-rate use: a model fed and played at a rate it was not built for
    _arch("encodec", "EnCodec-style", (8, 5, 4, 2), 48, 44.1),
    _arch("encodec", "EnCodec-style", (8, 5, 4, 2), 24, 22.05),
    _arch("encodec", "MusicGen EnCodec-style", (8, 5, 4, 4), 32, 44.1),
    _arch("dac", "DAC-style", (8, 8, 4, 2), 44.1, 48),
    _arch("hifigan", "HiFi-GAN-V1-style", (8, 8, 2, 2), 22.05, 24),
    _arch("bigvgan", "BigVGAN-style", (4, 4, 2, 2, 2, 2), 24, 22.05),
)


@dataclass(frozen=True)
class CombCandidate:
    """One comb spacing to test, with every (architecture, partial product) it explains."""

    f0_hz: float
    explains: tuple[tuple[Architecture, int], ...]  # (architecture, partial product P), f0 = run_rate / P
    max_freq_hz: float  # highest line any explaining architecture can make (its run-rate Nyquist)

    def describe(self, max_names: int = 3) -> str:
        """Human-readable explanation, e.g. "EnCodec-style 24 kHz, hop 320 (...): 24000/8 Hz"."""
        parts = [f"{a.name}: lines every {a.run_rate_hz}/{p} Hz" for a, p in self.explains[:max_names]]
        text = "; ".join(parts)
        extra = len(self.explains) - max_names
        if extra > 0:
            text += f"; and {extra} more known decoder{'s' if extra > 1 else ''} with lines at this spacing"
        return text


def candidate_combs(
    catalogue: Optional[Iterable[Architecture]] = None,
    *,
    max_freq_hz: float = 16000.0,
    min_line_hz: float = 0.0,
    min_lines: int = 2,
) -> list[CombCandidate]:
    """Deduplicated comb spacings of a catalogue, finest first.

    A spacing is kept when at least ``min_lines`` of its multiples lie in
    ``[min_line_hz, min(max_freq_hz, run-rate Nyquist))``; this also drops spacings whose
    first multiple is beyond ``max_freq_hz``. Spacings equal to 1 part in 10^6 are merged
    and list every architecture they explain.
    """
    arches = DEFAULT_CATALOGUE if catalogue is None else tuple(catalogue)
    by_f0: dict[float, list[tuple[Architecture, int]]] = {}
    keys: dict[float, float] = {}
    for arch in arches:
        for p in arch.partial_products():
            f0 = arch.run_rate_hz / p
            key = round(f0, 4)
            keys.setdefault(key, f0)
            entry = by_f0.setdefault(key, [])
            if (arch, p) not in entry:
                entry.append((arch, p))
    out = []
    for key, explains in by_f0.items():
        f0 = keys[key]
        top = max(a.run_rate_hz for a, _ in explains) / 2.0
        hi = min(max_freq_hz, top)
        lo = max(min_line_hz, f0)
        k_lo = int(-(-lo // f0))  # ceil
        n_lines = 0 if hi <= 0 else int((hi - 1e-9) // f0) - k_lo + 1
        if f0 > max_freq_hz or n_lines < min_lines:
            continue
        # models run at their own rate first, then coarse partial products (strongest lines)
        explains.sort(key=lambda ap: (ap[0].run_rate_hz != ap[0].native_rate_hz, ap[1], ap[0].name))
        out.append(CombCandidate(f0_hz=f0, explains=tuple(explains), max_freq_hz=top))
    out.sort(key=lambda c: c.f0_hz)
    return out


def catalogue_fingerprint(catalogue: Optional[Iterable[Architecture]] = None) -> str:
    """Short hash of the catalogue's (strides, run rate) pairs, stored with a CombReference."""
    arches = DEFAULT_CATALOGUE if catalogue is None else tuple(catalogue)
    text = "|".join(f"{a.strides}@{a.run_rate_hz}" for a in sorted(arches, key=lambda a: (a.run_rate_hz, a.strides)))
    return hashlib.sha256(text.encode()).hexdigest()[:12]
