"""Music stored as notes in the real corpus (#12 item 6): MIDI rendered through recorded General MIDI
soundfonts and tracker modules rendered with their own samples become ordinary real tracks; the
sampled-instrument kinds render through each soundfont, and the soundfont kept for testing is never
planned into training or calibration."""

from __future__ import annotations

import shutil
import struct
import subprocess

import numpy as np
import pytest

from forensic_app.training import corpus, kinds, midi, plan

needs_fluidsynth = pytest.mark.skipif(
    not midi.available(), reason="needs fluidsynth and the GM soundfonts (install-deps.sh --studies)"
)


def _peak_hz(x: np.ndarray, rate: int, lo: float = 50.0) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    freqs = np.fft.rfftfreq(x.size, 1 / rate)
    spec[freqs < lo] = 0
    return float(freqs[np.argmax(spec)])


def _write_midi(path, seconds: float, note: int = 69, program: int = 0) -> None:
    import mido

    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(120)))  # a beat = 0.5 s
    track.append(mido.Message("program_change", program=program))
    beats = int(seconds / 0.5)
    for _ in range(beats):  # the same note on every beat
        track.append(mido.Message("note_on", note=note, velocity=90, time=0))
        track.append(mido.Message("note_off", note=note, time=470))
        track.append(mido.Message("note_off", note=note, time=10))
    mido.MidiFile(tracks=[track], ticks_per_beat=480).save(path)


def _write_mod(path, n_orders: int = 5) -> None:
    """A four-channel ProTracker module: one looped 8-bit square sample (32 samples a cycle) held from
    row 0 at period 428, pattern 0 played ``n_orders`` times (7.68 s each at speed 6, 125 BPM)."""
    cycle = np.where(np.arange(32) < 16, 100, -100).astype(np.int8)
    sample = np.tile(cycle, 2)  # 64 bytes = 32 words, looped whole
    header = b"forensic test".ljust(20, b"\0")
    header += b"square".ljust(22, b"\0") + struct.pack(">HBBHH", sample.size // 2, 0, 64, 0, sample.size // 2)
    header += (b"\0" * 22 + struct.pack(">HBBHH", 0, 0, 0, 0, 1)) * 30
    header += bytes([n_orders, 127]) + bytes(128) + b"M.K."
    pattern = bytearray(64 * 4 * 4)
    period, sample_no = 428, 1
    pattern[0:4] = bytes([(sample_no & 0xF0) | (period >> 8), period & 0xFF, (sample_no & 0x0F) << 4, 0])
    path.write_bytes(header + bytes(pattern) + sample.tobytes())


def test_a_package_of_notes_that_cannot_be_rendered_is_skipped_saying_what_to_install(tmp_path, monkeypatch):
    root = tmp_path / "pkgs" / "tiny-midi"
    (root / "music").mkdir(parents=True)
    _write_midi(root / "music" / "theme.mid", 4.0)
    monkeypatch.setattr(shutil, "which", lambda name: None)  # no fluidsynth, no ffmpeg
    spec = corpus.PackageSpec("tiny-midi", "test", render="midi", soundfonts=("TimGM6mb",))
    with pytest.raises(RuntimeError, match="install-deps.sh --studies"):
        corpus.render_notes(spec, root)
    logged = []
    monkeypatch.setattr(
        corpus, "fetch_package", lambda spec, cache, max_download_mb=None: corpus.render_notes(spec, root)
    )
    assert corpus.collect_tracks(tmp_path, packages=[spec], include_real_cc=False, log=logged.append) == []
    assert logged and "skipped tiny-midi" in logged[0] and "fluidsynth" in logged[0]


@needs_fluidsynth
def test_midi_is_rendered_through_each_soundfont_and_listed_as_real_tracks(tmp_path):
    root = tmp_path / "tiny-midi"
    (root / "usr" / "music").mkdir(parents=True)
    _write_midi(root / "usr" / "music" / "theme.mid", 32.0)  # an A4 (440 Hz) on every beat
    (root / "usr" / "music" / "jingle.wav").write_bytes(b"")  # the package's own audio is not listed
    spec = corpus.PackageSpec("tiny-midi", "test", render="midi", soundfonts=("FluidR3 GM", "TimGM6mb"))
    made = corpus.render_notes(spec, root)
    assert [p.name for p in made] == ["theme.FluidR3-GM.flac", "theme.TimGM6mb.flac"]
    mtimes = [p.stat().st_mtime_ns for p in made]
    assert [p.stat().st_mtime_ns for p in corpus.render_notes(spec, root)] == mtimes  # resumable: kept
    tracks = corpus.list_tracks(spec, root)
    assert sorted(t.name for t in tracks) == ["theme.FluidR3-GM", "theme.TimGM6mb"]
    renders = []
    for t in tracks:
        assert t.duration_s >= corpus.MIN_TRACK_S
        x = corpus.load_excerpt(t, 5.0, 10.0)
        assert np.sqrt(np.mean(x**2)) > 0.01
        assert abs(_peak_hz(x, corpus.SR) - 440.0) < 3.0  # the piano's A4, not noise
        renders.append(x)
    assert np.corrcoef(renders[0], renders[1])[0, 1] < 0.9  # two different recorded pianos


def _ffmpeg_plays_modules() -> bool:
    if shutil.which("ffmpeg") is None:
        return False
    out = subprocess.run(["ffmpeg", "-hide_banner", "-formats"], capture_output=True, text=True).stdout
    return "libopenmpt" in out


@pytest.mark.skipif(not _ffmpeg_plays_modules(), reason="needs an ffmpeg with libopenmpt (Debian's has it)")
def test_a_tracker_module_is_rendered_with_its_own_samples(tmp_path):
    root = tmp_path / "tiny-tracker"
    (root / "data" / "music").mkdir(parents=True)
    _write_mod(root / "data" / "music" / "song.mod")
    spec = corpus.PackageSpec("tiny-tracker", "test", render="tracker")
    corpus.render_notes(spec, root)
    (track,) = corpus.list_tracks(spec, root)
    assert track.name == "song" and 36.0 < track.duration_s < 40.0  # 5 x 7.68 s
    x = corpus.load_excerpt(track, 5.0, 10.0)
    # 7,093,789.2 / (2 * 428) samples a second through a 32-sample cycle: 258.9 Hz
    assert abs(_peak_hz(x, corpus.SR) - 258.9) < 2.0


@needs_fluidsynth
def test_sampled_instrument_kinds_render_through_their_own_soundfont():
    names = [n for n in kinds.SOLO_KINDS if n.startswith("sampled:")]
    assert names == [f"sampled: MIDI through {s}" for s in midi.SOUNDFONTS]
    clips = [kinds.render(n, 7, 10.0) for n in names]
    for name, x in zip(names, clips):
        assert x.shape == (10 * kinds.SR,) and np.sqrt(np.mean(x**2)) > 0.02, name
        assert kinds.kind_group(name) == "sampled instruments"
    # the same notes (seed 7: one program, one melody) through three sets of recordings
    assert (
        max(abs(np.corrcoef(a, b)[0, 1]) for a, b in ((clips[0], clips[1]), (clips[0], clips[2]), (clips[1], clips[2])))
        < 0.9
    )


def test_the_held_back_soundfont_is_planned_in_the_test_split_only():
    tracks = [
        corpus.Track(f"pkg-{i}", (f"/music/pkg-{i}/song-{j}.ogg",), 300.0, "test") for i in range(6) for j in range(2)
    ]
    config = plan.SubsetConfig(
        real_per_source={"train": 1, "val": 1, "test": 1},
        fakes_per_generator={"train": 0, "val": 0, "test": 0},
        family_scale={},
        cap_minutes_per_source=2.0,
        generators=(),
        kind_seeds={"train": 2, "val": 1, "test": 3},
    )
    items, _ = plan.plan_items(tracks, config)
    by_kind: dict[str, list[str]] = {}
    for it in items:
        if it.kind:
            by_kind.setdefault(it.kind, []).append(it.split)
    held = "sampled: MIDI through MuseScore General Lite"
    assert sorted(by_kind[held]) == ["test"] * 3
    assert sorted(by_kind["sampled: MIDI through FluidR3 GM"]) == ["test"] * 3 + ["train"] * 2 + ["val"]
    assert sorted(by_kind["sampled: MIDI through TimGM6mb"]) == ["test"] * 3 + ["train"] * 2 + ["val"]


@pytest.mark.skipif(not _ffmpeg_plays_modules(), reason="needs an ffmpeg with libopenmpt (Debian's has it)")
def test_a_broken_module_is_left_out_and_the_others_are_rendered(tmp_path):
    root = tmp_path / "tiny-tracker"
    (root / "music").mkdir(parents=True)
    _write_mod(root / "music" / "good.mod")
    (root / "music" / "broken.it").write_bytes(b"IMPM" + bytes(40))  # a truncated Impulse Tracker header
    spec = corpus.PackageSpec("tiny-tracker", "test", render="tracker")
    assert [p.name for p in corpus.render_notes(spec, root)] == ["good.flac"]
    assert [t.name for t in corpus.list_tracks(spec, root)] == ["good"]
    assert not list((root / corpus.RENDERED_DIR).glob("*.tmp.*"))
