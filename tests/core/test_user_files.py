"""Files shaped like real users' files that the app used to refuse, cut or misread
(the handed cases in ../shared/cases, as kinds, on audio generated here)."""

from __future__ import annotations

import hashlib
import shutil
import struct
import time

import numpy as np
import pytest
import soundfile as sf

from forensic_app.cli import main
from forensic_app.core.analysis import analyze
from forensic_app.core.audio import Downmix, open_audio
from forensic_app.training.synth import music_like

SR = 44100
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


def duration_of(path) -> float:
    with open_audio(path) as src:
        n = sum(b.shape[0] for b in src.blocks(SR * 5))
        return n / src.sample_rate


def wav_with_sizes(path, x: np.ndarray, riff_size: int, data_size: int) -> None:
    """16-bit stereo PCM WAV whose RIFF/data size fields are what an unfinalised recorder leaves."""
    data = (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 2, SR, SR * 4, 4, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", data_size) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", riff_size) + body)


@pytest.mark.parametrize("size", [0, 0x7FFFFFFF, 0xFFFFFFFF])
def test_unfinalised_wav_is_read_to_its_end(tmp_path, tiny_weights, size):
    x = np.repeat(music_like(2.5, SR, 3)[:, None], 2, axis=1)
    p = tmp_path / f"unfinalised-{size:x}.wav"
    wav_with_sizes(p, x, size, size)
    r = analyze(p, weights_dir=tiny_weights)
    assert r.input.duration_s == pytest.approx(2.5, abs=1e-3)
    assert "unfinalised_wav" in [n.code for n in r.notes]
    # the samples are the file's, not its header read as audio
    with open_audio(p) as src:
        y = np.concatenate(list(src.blocks(SR)))
    assert np.abs(y - (np.clip(x, -1, 1) * 32767).astype("<i2") / 32768).max() < 1e-6


def test_cut_off_wav_is_still_refused(capsys, tmp_path, tiny_weights):
    x = np.repeat(music_like(3.0, SR, 3)[:, None], 2, axis=1)
    p = tmp_path / "cut.wav"
    full = 3 * SR * 4
    wav_with_sizes(p, x[:SR], full + 36, full)  # header promises 3 s, file holds 1 s
    assert main(["analyze", str(p), "--weights", str(tiny_weights), "--no-progress"]) == 2
    assert "truncated" in capsys.readouterr().err


@needs_ffmpeg
def test_mp3_without_xing_frame_is_analysed_in_full(tmp_path, tiny_weights):
    import subprocess

    src = tmp_path / "in.wav"
    sf.write(src, music_like(8.0, SR, 1), SR)
    mp3 = tmp_path / "vbr.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(src), "-c:a", "libmp3lame", "-q:a", "2", "-write_xing", "0", str(mp3)],
        check=True,
    )
    r = analyze(mp3, weights_dir=tiny_weights)
    assert r.input.duration_s == pytest.approx(8.0, abs=0.1)


@needs_ffmpeg
def test_chained_ogg_is_decoded_in_full_and_says_so(tmp_path, tiny_weights):
    a, b = tmp_path / "a.ogg", tmp_path / "b.ogg"
    sf.write(a, music_like(4.0, SR, 1), SR, format="OGG", subtype="VORBIS")
    sf.write(b, music_like(3.0, SR, 2), SR, format="OGG", subtype="VORBIS")
    chained = tmp_path / "chained.ogg"
    chained.write_bytes(a.read_bytes() + b.read_bytes())
    before = hashlib.sha256(chained.read_bytes()).hexdigest()
    r = analyze(chained, weights_dir=tiny_weights)
    assert r.input.duration_s == pytest.approx(7.0, abs=0.05)
    assert "chained_ogg" in [n.code for n in r.notes]
    assert hashlib.sha256(chained.read_bytes()).hexdigest() == before


def test_truncated_ogg_is_refused_not_analysed_short(capsys, tmp_path, tiny_weights):
    p = tmp_path / "song.ogg"
    sf.write(p, music_like(6.0, SR, 1), SR, format="OGG", subtype="VORBIS")
    data = p.read_bytes()
    cut = tmp_path / "cut.ogg"
    cut.write_bytes(data[: len(data) * 2 // 3])
    assert main(["analyze", str(cut), "--weights", str(tiny_weights), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "truncated" in err and "Traceback" not in err


def test_implausible_rate_is_refused_at_once(capsys, tmp_path, tiny_weights):
    p = tmp_path / "rate1.wav"
    sf.write(p, np.zeros(20000, np.float32) + 0.1, 8000, subtype="PCM_16")
    raw = bytearray(p.read_bytes())
    struct.pack_into("<II", raw, 24, 1, 2)  # sample rate 1 Hz, byte rate 2
    p.write_bytes(bytes(raw))
    t0 = time.monotonic()
    assert main(["analyze", str(p), "--weights", str(tiny_weights), "--no-progress"]) == 2
    assert time.monotonic() - t0 < 10  # refused before any resampling (it used to take minutes and GBs)
    assert "sample rate" in capsys.readouterr().err


def test_polarity_inverted_channel_does_not_cancel_the_music(tmp_path, tiny_weights):
    x = music_like(4.0, SR, 5)
    p = tmp_path / "right-inverted.wav"
    sf.write(p, np.stack([x, -x], axis=1), SR, subtype="FLOAT")
    r = analyze(p, weights_dir=tiny_weights)
    codes = [n.code for n in r.notes]
    assert "polarity_inverted" in codes
    assert not any("silent" in n.text.lower() for n in r.notes)
    ref = tmp_path / "mono.wav"
    sf.write(ref, x, SR, subtype="FLOAT")
    assert r.windows == analyze(ref, weights_dir=tiny_weights).windows  # the same music was analysed


def test_ordinary_stereo_is_mixed_as_the_mean():
    rng = np.random.default_rng(0)
    left = rng.standard_normal(4000).astype(np.float32)
    block = np.stack([left, 0.3 * left + 0.1 * rng.standard_normal(4000)], axis=1).astype(np.float32)
    mix = Downmix(2)
    assert np.allclose(mix(block), block.mean(axis=1)) and not mix.inverted


def test_hi_res_file_robustness_rows_in_plain_words(tmp_path, tiny_weights):
    from forensic_app.core.robustness import MANIPULATIONS, check_robustness

    p = tmp_path / "hires-384k.wav"
    rate = 384000
    sf.write(p, music_like(2.0, rate, 4), rate, subtype="PCM_24")
    rows = check_robustness(p, weights_dir=tiny_weights, manipulations=MANIPULATIONS[:2])
    for row in rows:
        text = str(row.get("note", ""))
        assert "exit status" not in text and "Command '" not in text
        if shutil.which("ffmpeg"):
            assert row["probability_fake"] is not None, row  # MP3 at a legal rate, Opus at 48 kHz


def test_an_edited_manifest_is_refused(tmp_path):
    import json

    from forensic_app.core.errors import ModelError
    from forensic_app.core.weights import default_weights_dir, load_model

    copy = tmp_path / "weights"
    shutil.copytree(default_weights_dir(), copy)
    raw = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    raw["input"]["norm_scale_db"] = float(raw["input"]["norm_scale_db"]) + 10  # one edited number
    (copy / "manifest.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ModelError, match="edited after it was sealed"):
        load_model(copy)


def test_report_identifies_the_model_bundle(tmp_path):
    from forensic_app.core.weights import load_model

    p = tmp_path / "music.wav"
    sf.write(p, music_like(3.0, SR, 2), SR)
    r = analyze(p)
    assert r.provenance.model.bundle_sha256 == load_model().manifest.bundle_sha256
    assert r.to_json_dict()["model"]["bundle_sha256"] == r.provenance.model.bundle_sha256


def test_unreachable_paths_are_input_errors_not_crashes(capsys, tmp_path, tiny_weights):
    long_name = tmp_path / ("x" * 300 + ".wav")  # a name component over 255 bytes
    assert main(["analyze", str(long_name), "--weights", str(tiny_weights), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "cannot be reached" in err and "internal error" not in err


def test_a_pipe_is_not_called_empty(capsys, tmp_path, tiny_weights):
    import os

    fifo = tmp_path / "stream.wav"
    os.mkfifo(fifo)
    assert main(["analyze", str(fifo), "--weights", str(tiny_weights), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "not a regular file" in err and "0 bytes" not in err


def test_a_file_replaced_during_analysis_is_refused(tmp_path, tiny_weights, monkeypatch):
    from forensic_app.core import analysis as analysis_mod
    from forensic_app.core.errors import UnusableInputError

    p = tmp_path / "music.wav"
    sf.write(p, music_like(3.0, SR, 2), SR)
    real = analysis_mod.file_fingerprint
    calls = []

    def replaced_after_first_look(path):
        calls.append(path)
        if len(calls) == 2:  # after decoding: another version was written in between
            sf.write(p, music_like(3.5, SR, 3), SR)
        return real(path)

    monkeypatch.setattr(analysis_mod, "file_fingerprint", replaced_after_first_look)
    with pytest.raises(UnusableInputError, match="changed while it was being analysed"):
        analyze(p, weights_dir=tiny_weights)


def test_a_killed_reports_leftover_is_removed_on_the_next_write(tmp_path):
    import os

    from forensic_app.report import write_report
    from tests.factories import make_result

    stale = tmp_path / ".forensic-report-deadbeef0000.pdf.part"
    stale.write_bytes(b"%PDF half")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    fresh = tmp_path / ".forensic-report-0123456789ab.pdf.part"  # another writer's, still in progress
    fresh.write_bytes(b"%PDF writing")
    write_report(make_result(), tmp_path / "report.pdf")
    assert not stale.exists() and fresh.exists()


@needs_ffmpeg
def test_truncated_mp3_message_is_ours_alone(tmp_path, tiny_weights):
    import subprocess
    import sys

    src = tmp_path / "in.wav"
    sf.write(src, music_like(6.0, SR, 2), SR)
    mp3 = tmp_path / "song.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(src), "-c:a", "libmp3lame", str(mp3)], check=True)
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(mp3.read_bytes()[: mp3.stat().st_size // 2])
    proc = subprocess.run(
        [sys.executable, "-m", "forensic_app", "analyze", str(cut), "--weights", str(tiny_weights), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "truncated" in lines[0], proc.stderr  # no decoder library's own warnings


def test_an_unscored_tail_is_said(tmp_path, tiny_weights):
    p = tmp_path / "music.wav"
    sf.write(p, music_like(6.5, SR, 3), SR)
    r = analyze(p, weights_dir=tiny_weights)
    tail = r.input.duration_s - r.windows[-1].end_s
    cnn = {d.name: d for d in r.detectors}["patch_cnn"]
    assert tail > 0.05 and f"The last {tail:.1f} s is shorter than one patch" in cnn.summary


def flac_without_length(path, seconds: float) -> None:
    """A FLAC whose STREAMINFO says total_samples = 0 ("unknown", as live encoders write it)."""
    sf.write(path, music_like(seconds, SR, 6), SR, format="FLAC", subtype="PCM_16")
    raw = bytearray(path.read_bytes())
    assert raw[:4] == b"fLaC" and raw[4] & 0x7F == 0  # STREAMINFO first; its 36-bit total ends the 18th byte
    raw[8 + 13] &= 0xF0
    raw[8 + 14 : 8 + 18] = b"\0\0\0\0"
    path.write_bytes(bytes(raw))


@needs_ffmpeg
def test_a_flac_that_does_not_state_its_length_is_analysed_in_full(tmp_path, tiny_weights):
    p = tmp_path / "live-stream.flac"
    flac_without_length(p, 6.0)
    r = analyze(p, weights_dir=tiny_weights)  # was refused: "the header promises 58096321724 hours"
    assert r.input.duration_s == pytest.approx(6.0, abs=0.01)
    assert not r.input.is_lossy


def test_a_flac_without_its_length_and_without_ffmpeg_says_to_install_it(capsys, tmp_path, tiny_weights, monkeypatch):
    from forensic_app.core import audio as audio_mod

    p = tmp_path / "live-stream.flac"
    flac_without_length(p, 3.0)
    monkeypatch.setattr(audio_mod, "ffmpeg_path", lambda: None)
    assert main(["analyze", str(p), "--weights", str(tiny_weights), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "does not state its length" in err and "Install ffmpeg" in err and "hours" not in err


@needs_ffmpeg
@pytest.mark.parametrize("same_serial", [True, False], ids=["cat-one-file-twice", "two-files-one-layout"])
def test_ogg_links_are_decoded_in_full(tmp_path, tiny_weights, same_serial):
    one, other = tmp_path / "one.ogg", tmp_path / "other.ogg"
    sf.write(one, music_like(4.0, SR, 7), SR, format="OGG", subtype="VORBIS")
    # over 64 kB, so that libsndfile calls the chain's length unknown
    sf.write(other, music_like(6.0, SR, 14), SR, format="OGG", subtype="VORBIS")
    chained = tmp_path / "chained.ogg"  # `cat one.ogg one.ogg`: two links with one serial number
    chained.write_bytes(one.read_bytes() + (one if same_serial else other).read_bytes())
    r = analyze(chained, weights_dir=tiny_weights)
    assert r.input.duration_s == pytest.approx(8.0 if same_serial else 10.0, abs=0.05)  # one serial: was 4.0, no note
    codes = [n.code for n in r.notes]
    assert "chained_ogg" in codes and "decoder_skipped" not in codes  # ffmpeg's remark at the seam is no damage


def mp3_with_damage(tmp_path, xing: bool):
    import subprocess

    src = tmp_path / "in.wav"
    sf.write(src, music_like(8.0, SR, 8), SR)
    mp3 = tmp_path / ("song.mp3" if xing else "song-no-xing.mp3")
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(src),
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
            "-write_xing",
            "1" if xing else "0",
            str(mp3),
        ],
        check=True,
    )
    raw = bytearray(mp3.read_bytes())
    at = len(raw) // 2  # about 4 s in
    raw[at:at] = np.random.default_rng(3).integers(0, 256, 16, dtype=np.uint8).tobytes()
    mp3.write_bytes(bytes(raw))
    return mp3


@needs_ffmpeg
@pytest.mark.parametrize("xing", [True, False], ids=["libsndfile", "ffmpeg"])
def test_a_damaged_mp3_says_where_the_decoder_skipped(capfd, tmp_path, tiny_weights, xing):
    import json

    mp3 = mp3_with_damage(tmp_path, xing)
    assert main(["analyze", str(mp3), "--weights", str(tiny_weights), "--no-progress", "--json"]) == 0
    out, err = capfd.readouterr()
    assert err.strip() == "", err  # libmpg123's "Illegal Audio-MPEG-Header ... Trying to resync" went to the terminal
    notes = {n["code"]: n["text"] for n in json.loads(out)["notes"]}
    assert "decoder_skipped" in notes
    assert any(f"0:0{s}" in notes["decoder_skipped"] for s in (3, 4, 5)), notes["decoder_skipped"]


@needs_ffmpeg
def test_an_intact_mp3_has_no_damage_note(tmp_path, tiny_weights):
    import subprocess

    src = tmp_path / "in.wav"
    sf.write(src, music_like(4.0, SR, 9), SR)
    mp3 = tmp_path / "song.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(src), "-c:a", "libmp3lame", str(mp3)], check=True)
    assert "decoder_skipped" not in [n.code for n in analyze(mp3, weights_dir=tiny_weights).notes]


def test_a_constant_level_has_no_content(tmp_path, tiny_weights):
    p = tmp_path / "dc-only.wav"  # a stuck converter: one sample value, far from zero, for 12 s
    sf.write(p, np.full(12 * SR, 0.25, np.float32), SR, subtype="PCM_16")
    r = analyze(p, weights_dir=tiny_weights)
    assert r.verdict == "inconclusive"  # was "no traces", with no note
    notes = {n.code: n.text for n in r.notes}
    assert "no_content" in notes and "constant level" in notes["no_content"]
    offset_music = tmp_path / "offset-music.wav"  # the same offset under music: the music still counts
    sf.write(offset_music, 0.25 + 0.5 * music_like(12.0, SR, 10), SR, subtype="FLOAT")
    assert "no_content" not in [n.code for n in analyze(offset_music, weights_dir=tiny_weights).notes]


def rewrite_in_place_keeping_mtime(p) -> None:
    """Another program rewrites the middle of the file, same size, and puts the old mtime back."""
    import os

    st = p.stat()
    with open(p, "r+b") as f:
        f.seek(st.st_size // 2)
        f.write(np.random.default_rng(11).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert p.stat().st_size == st.st_size and p.stat().st_mtime_ns == st.st_mtime_ns


def test_a_same_size_rewrite_with_the_old_mtime_during_analysis_is_refused(tmp_path, tiny_weights):
    from forensic_app.core.errors import UnusableInputError

    p = tmp_path / "music.wav"
    sf.write(p, music_like(30.0, SR, 12), SR)
    old_sha = hashlib.sha256(p.read_bytes()).hexdigest()
    done = []

    def rewrite_once_decoding(progress):
        if progress.stage.startswith("Decoding") and not done:  # after the first 10-s block
            done.append(progress.fraction)
            rewrite_in_place_keeping_mtime(p)

    with pytest.raises(UnusableInputError, match="changed while it was being analysed"):
        r = analyze(p, weights_dir=tiny_weights, on_progress=rewrite_once_decoding)
        pytest.fail(f"analysed as {r.input.file_sha256[:12]} (the old file was {old_sha[:12]})")
    assert done


def test_a_same_size_rewrite_while_the_window_decodes_is_refused(tmp_path):
    from forensic_app.core.decoded import decode_to_disk
    from forensic_app.core.errors import UnusableInputError

    p = tmp_path / "music.wav"
    sf.write(p, music_like(30.0, SR, 13), SR)
    done = []

    def rewrite_once(fraction):
        if not done:
            done.append(fraction)
            rewrite_in_place_keeping_mtime(p)

    with pytest.raises(UnusableInputError, match="changed while it was being read"):
        decode_to_disk(p, on_fraction=rewrite_once).close()
    with decode_to_disk(p) as audio:  # left alone, its hash is of the bytes decoded
        assert audio.info.file_sha256 == hashlib.sha256(p.read_bytes()).hexdigest()
