"""Human-made sounds that detectors of decoder artefacts mistake for AI: real negatives by kind.

A sawtooth's harmonics form a perfect line comb, a bitcrusher's sample-and-hold leaves images
of the spectrum at multiples of its hold rate, a limiter flattens the dynamics: ordinary
production that imitates decoder evidence. Every threshold that decides "likely AI" is set
against these kinds as well as against real recordings (``benchmarks/evidence_study.py``),
and the tests generate them to check that none is called likely AI.

Every generator returns (n,) float32 at ``SR`` with peak about 0.7 (``limited`` excepted).
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np
import soxr

from . import midi

SR = 44100
OVERSAMPLE = 8


def _midi_hz(m: float) -> float:
    return 440.0 * 2 ** ((m - 69) / 12)


def _norm(x: np.ndarray, peak: float = 0.7) -> np.ndarray:
    return (peak * x / (np.max(np.abs(x)) + 1e-12)).astype(np.float32)


def oscillator(freqs_hz: np.ndarray, shape: str, *, duty: float = 0.5, rate: int = SR) -> np.ndarray:
    """Naive oscillator run at 8x the rate and decimated (how many soft synths avoid aliasing).

    freqs_hz: (n,) instantaneous frequency per output sample; shape: saw | square | pulse | triangle.
    """
    f = np.repeat(np.asarray(freqs_hz, np.float64), OVERSAMPLE) / (rate * OVERSAMPLE)
    phase = np.cumsum(f) % 1.0
    if shape == "saw":
        y = 2 * phase - 1
    elif shape in ("square", "pulse"):
        y = np.where(phase < (0.5 if shape == "square" else duty), 1.0, -1.0)
    elif shape == "triangle":
        y = 4 * np.abs(phase - 0.5) - 1
    else:
        raise ValueError(shape)
    return soxr.resample(y.astype(np.float32), rate * OVERSAMPLE, rate, quality="HQ")


def _notes(pitches: list[float], note_s: float, n: int) -> np.ndarray:
    per = int(note_s * SR)
    return np.concatenate([np.full(per, _midi_hz(pitches[i % len(pitches)])) for i in range(n // per + 1)])[:n]


def saw_note(seed: int, seconds: float = 10.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    return _norm(oscillator(np.full(n, _midi_hz(rng.integers(33, 81))), "saw"))


def square_note(seed: int, seconds: float = 10.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    return _norm(oscillator(np.full(n, _midi_hz(rng.integers(33, 81))), "square"))


def detuned_pad(seed: int, seconds: float = 30.0) -> np.ndarray:
    """Detuned saw pad: four chords, three voices per note at -9, 0, +9 cents, slow attack."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    root = int(rng.integers(45, 57))
    chords = [[0, 4, 7], [-3, 0, 4], [5, 9, 12], [7, 11, 14]]
    x = np.zeros(n)
    per = n // 4
    for i, ch in enumerate(chords):
        seg = np.zeros(per)
        for iv in ch:
            for cents in (-9, 0, 9):
                seg += oscillator(np.full(per, _midi_hz(root + iv + cents / 100)), "saw")[:per]
        env = np.minimum(1.0, np.arange(per) / (0.5 * SR)) * np.minimum(1.0, (per - np.arange(per)) / (0.3 * SR))
        x[i * per : (i + 1) * per] = seg * env
    return _norm(x)


def saw_arpeggio(seed: int, seconds: float = 30.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    root = int(rng.integers(45, 60))
    pitches = [root + i for i in rng.choice([0, 3, 5, 7, 10, 12, 15], size=8)]
    return _norm(oscillator(_notes(pitches, 60 / 130 / 2, n), "saw"))


def chiptune(seed: int, seconds: float = 30.0) -> np.ndarray:
    """Pulse lead (12.5/25 % duty), triangle bass, noise hats: the sound of 8-bit consoles."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    root = int(rng.integers(57, 69))
    lead = oscillator(
        _notes([root + i for i in rng.choice([0, 2, 4, 7, 9, 12], 16)], 0.125, n),
        "pulse",
        duty=float(rng.choice([0.125, 0.25])),
    )
    bass = oscillator(_notes([root - 24, root - 24, root - 17, root - 19], 0.5, n), "triangle")
    hats = np.zeros(n)
    for s in range(0, n, int(0.125 * SR)):
        m = min(n - s, int(0.02 * SR))
        hats[s : s + m] = rng.choice([-1.0, 1.0], m) * np.exp(-np.arange(m) / (0.004 * SR))
    return _norm(0.5 * lead + 0.6 * bass + 0.2 * hats)


def fm_bells(seed: int, seconds: float = 30.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    x = np.zeros(n)
    for s in range(0, n, int(0.5 * SR)):
        m = min(n - s, int(2.0 * SR))
        t = np.arange(m) / SR
        f = _midi_hz(int(rng.integers(60, 84)))
        x[s : s + m] += np.exp(-t * 2) * np.sin(
            2 * np.pi * f * t + 3 * np.exp(-t * 3) * np.sin(2 * np.pi * 3.5 * f * t)
        )
    return _norm(x)


def vocoder(modulator: np.ndarray, seed: int, n_bands: int = 16) -> np.ndarray:
    """Channel vocoder: a saw chord carrier shaped by the modulator's band envelopes."""
    from scipy.signal import butter, sosfilt

    rng = np.random.default_rng(seed)
    n = modulator.size
    root = int(rng.integers(45, 57))
    carrier = sum(oscillator(np.full(n, _midi_hz(root + iv)), "saw")[:n] for iv in (0, 7, 12, 16))
    edges = np.geomspace(100, 12000, n_bands + 1)
    out = np.zeros(n)
    env_sos = butter(2, 30, fs=SR, output="sos")
    for lo, hi in zip(edges[:-1], edges[1:]):
        sos = butter(4, [lo, hi], btype="band", fs=SR, output="sos")
        env = sosfilt(env_sos, np.abs(sosfilt(sos, modulator)))
        out += sosfilt(sos, carrier) * env
    return _norm(out)


def bitcrush(x: np.ndarray, hold: int, bits: int) -> np.ndarray:
    """Sample-and-hold by ``hold`` samples, then rounding to ``bits`` bits (a stock bitcrusher)."""
    y = np.repeat(x[::hold], hold)[: x.size]
    q = 2 ** (bits - 1)
    return (np.round(y * q) / q).astype(np.float32)


def limited(x: np.ndarray, drive_db: float = 12.0) -> np.ndarray:
    """A loudness-war master: +drive, soft clip, then a hard ceiling at -0.1 dBFS."""
    y = np.tanh(x * 10 ** (drive_db / 20))
    return np.clip(y, -0.989, 0.989).astype(np.float32)


def lofi(x: np.ndarray, seed: int) -> np.ndarray:
    """Low-passed at 4 kHz with tape wobble and hiss (a 'lo-fi' preset)."""
    from scipy.signal import butter, sosfilt

    rng = np.random.default_rng(seed)
    t = np.arange(x.size) / SR
    wob = (0.002 * np.sin(2 * np.pi * 0.7 * t) * SR).astype(np.float64)
    idx = np.clip(np.arange(x.size) + wob, 0, x.size - 1)
    y = np.interp(idx, np.arange(x.size), x)
    y = sosfilt(butter(4, 4000, fs=SR, output="sos"), y)
    return _norm(y + 10 ** (-45 / 20) * rng.standard_normal(x.size))


def room_tone(seed: int, seconds: float = 60.0, level_dbfs: float = -74.0) -> np.ndarray:
    """Near silence: pink-ish noise at ``level_dbfs`` RMS."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    spec = np.fft.rfft(rng.standard_normal(n))
    spec /= np.sqrt(np.maximum(np.fft.rfftfreq(n, 1 / SR), 20.0))
    y = np.fft.irfft(spec, n)
    return (y * 10 ** (level_dbfs / 20) / (np.sqrt(np.mean(y**2)) + 1e-12)).astype(np.float32)


def supersaw_chords(seed: int, seconds: float = 20.0) -> np.ndarray:
    """Five detuned saws per note (-12..+12 cents), a new chord every beat: trance and EDM pads."""
    rng = np.random.default_rng(seed)
    n, beat = int(seconds * SR), int(rng.uniform(0.35, 0.6) * SR)
    roots = [int(r) for r in rng.integers(45, 57, size=4)]
    y = np.zeros(n)
    for k in range(n // beat + 1):
        seg = slice(k * beat, min(n, (k + 1) * beat))
        m = seg.stop - seg.start
        if m <= 0:
            break
        for iv in (0, 4, 7, 12):
            for cents in (-12, -5, 0, 5, 12):
                y[seg] += oscillator(np.full(m, _midi_hz(roots[k % 4] + iv + cents / 100)), "saw")[:m]
    return _norm(y)


def swept_saw_melody(seed: int, seconds: float = 20.0) -> np.ndarray:
    """A saw melody through a low-pass whose cutoff an LFO sweeps (a classic subtractive patch)."""
    from scipy.signal import butter, sosfilt

    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    x = oscillator(_notes([int(p) for p in rng.integers(45, 64, size=8)], 0.5, n), "saw")
    out = np.zeros(n)
    step = SR // 10
    for i in range(0, n, step):
        fc = 300 + 2500 * (0.5 + 0.5 * np.sin(2 * np.pi * i / SR / 4))
        out[i : i + step] = sosfilt(butter(2, fc, fs=SR, output="sos"), x[i : i + step])
    return _norm(out)


def pulse_note(seed: int, seconds: float = 10.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    return _norm(
        oscillator(np.full(n, _midi_hz(int(rng.integers(45, 86)))), "pulse", duty=float(rng.choice([0.125, 0.25])))
    )


def vocoder_melody(modulator: np.ndarray, seed: int) -> np.ndarray:
    """Channel vocoder whose saw carrier plays a melody (the robot-voice lead)."""
    from scipy.signal import butter, sosfilt

    rng = np.random.default_rng(seed)
    n = modulator.size
    carrier = oscillator(_notes([int(p) for p in rng.integers(43, 60, size=4)], 1.0, n), "saw")[:n]
    out = np.zeros(n)
    env_sos = butter(2, 30, fs=SR, output="sos")
    for lo, hi in zip(np.geomspace(100, 12000, 17)[:-1], np.geomspace(100, 12000, 17)[1:]):
        sos = butter(4, [lo, hi], btype="band", fs=SR, output="sos")
        out += sosfilt(sos, carrier) * sosfilt(env_sos, np.abs(sosfilt(sos, modulator)))
    return _norm(out)


# General MIDI programs of the sampled-instrument kinds: acoustic and electric sounds a producer plays
SAMPLED_PROGRAMS = {
    "piano": 0,
    "electric piano": 4,
    "church organ": 19,
    "nylon guitar": 24,
    "string ensemble": 48,
    "choir": 52,
    "brass section": 61,
    "flute": 73,
}


def sampled_instruments(seed: int, program: int, seconds: float = 20.0, soundfont: str = "FluidR3 GM") -> np.ndarray:
    """Chords and a melody on one General MIDI instrument, rendered through real sampled
    instruments (``soundfont``, a training.midi.SOUNDFONTS name, by fluidsynth): (n,) float32 at SR, peak 0.7.

    Needs fluidsynth and the soundfont's Debian package (``bash packaging/install-deps.sh --studies``)
    and mido; raises RuntimeError naming them when missing.
    """
    import tempfile
    from pathlib import Path

    import soundfile as sf

    midi.soundfont_path(soundfont)
    try:
        import mido
    except ImportError as exc:
        raise RuntimeError("sampled-instrument kinds write MIDI with mido: pip install -e '.[train]'") from exc

    rng = np.random.default_rng(seed)
    beat = 480
    key = int(rng.integers(48, 60))
    major = [0, 2, 4, 5, 7, 9, 11]
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(float(rng.uniform(80, 120)))))
    track.append(mido.Message("program_change", channel=0, program=program))
    events: list[tuple[int, mido.Message]] = []
    bars = int(seconds * 100 / 60 / 4) + 2

    def scale(step: int) -> int:  # a degree of the key's major scale, counting on into the next octave
        return key + major[step % 7] + 12 * (step // 7)

    for bar in range(bars):
        degree = [0, 5, 3, 4][bar % 4]  # I-vi-IV-V, a triad each
        for note in (scale(degree), scale(degree + 2), scale(degree + 4)):
            events += [
                (bar * 4 * beat, mido.Message("note_on", note=note, velocity=60)),
                (bar * 4 * beat + 4 * beat - 10, mido.Message("note_off", note=note)),
            ]
        for k in range(8):  # a melody in eighth notes, an octave up
            note = key + 12 + major[int(rng.integers(0, 7))]
            t0 = bar * 4 * beat + k * beat // 2
            events += [
                (t0, mido.Message("note_on", note=note, velocity=int(rng.integers(70, 100)))),
                (t0 + beat // 2 - 10, mido.Message("note_off", note=note)),
            ]
    now = 0
    for t, msg in sorted(events, key=lambda e: (e[0], e[1].type == "note_on")):
        track.append(msg.copy(time=t - now))
        now = t
    with tempfile.TemporaryDirectory() as tmp:
        mid, wav = Path(tmp) / "x.mid", Path(tmp) / "x.wav"
        mido.MidiFile(tracks=[track], ticks_per_beat=beat).save(mid)
        midi.render(mid, soundfont, wav, rate=SR)
        x, rate = sf.read(wav, dtype="float32", always_2d=True)
    x = x.mean(axis=1)[: int(seconds * rate)]
    return _norm(x)


SOLO_KINDS: dict[str, Callable[[int], np.ndarray]] = {
    "synth: supersaw chords": supersaw_chords,
    "synth: swept saw melody": swept_saw_melody,
    "synth: pulse note": pulse_note,
    "synth: short square note (3 s)": lambda seed: square_note(seed + 100, 3.0),
    "synth: saw note": saw_note,
    "synth: square note": square_note,
    "synth: detuned saw pad": detuned_pad,
    "synth: saw arpeggio": saw_arpeggio,
    "synth: chiptune": chiptune,
    "synth: FM bells": fm_bells,
    "near-silence: room tone": room_tone,
    # MIDI through recorded instruments, one General MIDI program per seed (SAMPLED_PROGRAMS in turn)
    **{
        f"sampled: MIDI through {sf_name}": (
            lambda seed, sf_name=sf_name: sampled_instruments(
                seed, list(SAMPLED_PROGRAMS.values())[seed % len(SAMPLED_PROGRAMS)], 20.0, sf_name
            )
        )
        for sf_name in midi.SOUNDFONTS
    },
}
# Kinds planned in some splits only (others: every split). The MuseScore set is never trained or
# calibrated on: its test clips measure sampled instruments the CNN has not heard.
KIND_SPLITS: dict[str, tuple[str, ...]] = {"sampled: MIDI through MuseScore General Lite": ("test",)}


def _pad_mix(music: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pad = detuned_pad(seed, music.size / SR)[: music.size]
    gain = float(rng.choice([0.5, 1.0]))
    return _norm(music / (np.max(np.abs(music)) + 1e-12) + gain * pad / 0.7)


def _saw_drone(music: np.ndarray, seed: int, rel_db: float) -> np.ndarray:
    # A naive (aliasing) sawtooth on an A (220, 440 Hz: whole hertz) puts exact lines on a lattice that
    # coincides with decoder spacings (k*100 Hz, k*200 Hz): the comb's lines are then "locked" as a
    # decoder's are. Under moving music the held-tone measure stays below its threshold down to
    # about -9 dB, so these are the comb's hardest real negatives.
    midi = (57, 69, 57)[seed % 3]
    base = music / (np.sqrt(np.mean(music**2)) + 1e-12)
    saw = oscillator(np.full(music.size, _midi_hz(midi)), "saw")
    saw = saw / (np.sqrt(np.mean(saw**2)) + 1e-12)
    return _norm(base + 10 ** (rel_db / 20) * saw)


# Kinds made from a piece of real music: name -> fn(music (n,) float at SR, seed) -> (n,) float32.
DERIVED_KINDS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "vocoder on real music": vocoder,
    "vocoder with a moving carrier on real music": vocoder_melody,
    "lo-fi: bitcrusher x4 8-bit": lambda music, seed: bitcrush(music, 4, 8),
    "lo-fi: bitcrusher x2 6-bit": lambda music, seed: bitcrush(music, 2, 6),
    "lo-fi: tape preset": lofi,
    "limited master (+12 dB)": lambda music, seed: limited(music),
    "synth pad mixed into real music": _pad_mix,
    **{
        f"A-tuned saw drone under real music ({db} dB)": (lambda music, seed, db=db: _saw_drone(music, seed, db))
        for db in (-9, -13, -17)
    },
}


def derived_kinds(music: np.ndarray, seed: int) -> Iterator[tuple[str, np.ndarray]]:
    """Kinds made from a piece of real music ``music`` (n,) at SR."""
    for name, fn in DERIVED_KINDS.items():
        yield name, fn(music, seed)


KIND_SOURCE_PREFIX = "kind/"  # a kind's clips in the training corpus carry source_package "kind/<name>"


def render(name: str, seed: int, seconds: float, music: np.ndarray | None = None) -> np.ndarray:
    """One clip of kind ``name``: (round(seconds*SR),) float32 at SR.

    Solo kinds are rendered at their own length and the middle ``seconds`` kept (zero-padded
    when shorter); derived kinds need ``music`` (n,) at SR and keep its length.
    Raises KeyError for an unknown kind, ValueError when a derived kind gets no music.
    """
    if name in DERIVED_KINDS:
        if music is None:
            raise ValueError(f"kind {name!r} is made from real music: pass music")
        return DERIVED_KINDS[name](np.asarray(music, np.float64), seed).astype(np.float32)
    y = SOLO_KINDS[name](seed)
    n = int(round(seconds * SR))
    if y.size < n:
        return np.pad(y, (0, n - y.size)).astype(np.float32)
    start = (y.size - n) // 2
    return y[start : start + n].astype(np.float32)


def kind_group(name: str) -> str:
    """The family a kind belongs to (synth, lo-fi, vocoder, ...): what one source package is to
    real recordings when training draws its real segments per source."""
    if name.startswith("synth:"):
        return "synth"
    if name.startswith("lo-fi") or name.startswith("near-silence"):
        return name.split(":")[0]
    if name.startswith("vocoder"):
        return "vocoder"
    if name.startswith("sampled:"):
        return "sampled instruments"
    if name.startswith("limited"):
        return "limited master"
    return "synth under real music"


def is_kind(row: dict) -> bool:
    """Whether a corpus index row is a generated kind clip (source_package ``kind/<name>``)."""
    return row.get("source_package", "").startswith(KIND_SOURCE_PREFIX)


def source_group(source_package: str) -> str:
    """The group a corpus row's source counts in: its package, or ``kind/<kind_group>`` for a kind."""
    if source_package.startswith(KIND_SOURCE_PREFIX):
        return KIND_SOURCE_PREFIX + kind_group(source_package[len(KIND_SOURCE_PREFIX) :])
    return source_package
