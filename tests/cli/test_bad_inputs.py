"""Every kind of unusable input exits 2 with one readable line, and inputs are never modified."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from forensic_app.cli import main
from forensic_app.core import audio as audio_mod


def run(capsys, *argv):
    code = main(["analyze", *map(str, argv), "--json", "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


def expect_unusable(capsys, path, weights, *words):
    code, out, err = run(capsys, path, "--weights", weights)
    assert code == 2, err
    obj = json.loads(out)  # --json prints an error object, so a script never gets an empty answer
    assert obj["exit"] == 2 and obj["error"] and obj["file"] == os.path.abspath(str(path))
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err  # one line, no traceback
    assert "Traceback" not in err
    for w in words:
        assert w.lower() in err.lower(), err
    return err


def test_missing_file(capsys, tmp_path, tiny_weights):
    expect_unusable(capsys, tmp_path / "nope.wav", tiny_weights, "not found", "check the path")


def test_directory(capsys, tmp_path, tiny_weights):
    expect_unusable(capsys, tmp_path, tiny_weights, "folder")


def test_empty_file(capsys, tmp_path, tiny_weights):
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    expect_unusable(capsys, p, tiny_weights, "empty", "again")


def test_truncated_wav(capsys, make_wav, tiny_weights):
    p = make_wav("music", 6.0)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 3])
    expect_unusable(capsys, p, tiny_weights, "truncated")


def test_corrupt_flac(capsys, make_wav, tiny_weights):
    p = make_wav("music", 4.0, fmt="FLAC")
    data = bytearray(p.read_bytes())
    rng = np.random.default_rng(0)
    data[200:] = rng.integers(0, 256, len(data) - 200, dtype=np.uint8).tobytes()
    p.write_bytes(bytes(data))
    err = expect_unusable(capsys, p, tiny_weights)
    assert any(w in err for w in ("corrupt", "truncated", "not a readable", "invalid"))


@pytest.mark.parametrize("ext", [".mp3", ".wav", ".m4a"])
def test_text_with_audio_extension(capsys, tmp_path, tiny_weights, ext):
    p = tmp_path / f"notes{ext}"
    p.write_text("These are my lyrics, not audio.\n" * 50)
    expect_unusable(capsys, p, tiny_weights, "not a readable audio file")


def test_zero_length_audio(capsys, tmp_path, tiny_weights):
    p = tmp_path / "44100-1-16-zero.wav"
    sf.write(str(p), np.zeros((0, 1), np.float32), 44100, subtype="PCM_16")
    expect_unusable(capsys, p, tiny_weights, "no audio")


def test_digital_silence(capsys, make_wav, tiny_weights):
    expect_unusable(capsys, make_wav("silence", 5.0), tiny_weights, "silence")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_float_wav(capsys, tmp_path, tiny_weights, bad):
    x = np.random.default_rng(0).standard_normal((44100 * 3, 2)).astype(np.float32) * 0.1
    x[44100 * 2, 1] = bad
    p = tmp_path / "44100-2-f32.wav"
    sf.write(str(p), x, 44100, subtype="FLOAT")
    err = expect_unusable(capsys, p, tiny_weights, "invalid sample values")
    assert "2.0 s" in err  # says where


def test_shorter_than_one_patch(capsys, make_wav, tiny_weights):
    expect_unusable(capsys, make_wav("music", 0.4), tiny_weights, "too short", "longer")


def test_permission_denied_message(capsys, make_wav, tiny_weights, monkeypatch):
    p = make_wav("music", 3.0)
    real_access = os.access
    monkeypatch.setattr(
        audio_mod.os, "access", lambda path, mode: False if str(path) == str(p) else real_access(path, mode)
    )
    expect_unusable(capsys, p, tiny_weights, "permission denied", "readable")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read any file")
def test_permission_denied_real(capsys, make_wav, tiny_weights):
    p = make_wav("music", 3.0)
    p.chmod(0)
    try:
        expect_unusable(capsys, p, tiny_weights, "permission denied")
    finally:
        p.chmod(0o644)


def test_m4a_without_ffmpeg_names_ffmpeg(capsys, tmp_path, tiny_weights, monkeypatch):
    p = tmp_path / "song.m4a"
    p.write_bytes(b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 100)
    monkeypatch.setattr(audio_mod, "ffmpeg_path", lambda: None)
    expect_unusable(capsys, p, tiny_weights, "ffmpeg", "install")


def sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("rate,channels", [(8000, 1), (192000, 2), (48000, 8), (22050, 3)])
def test_unusual_rates_and_channels_work_and_say_so(capsys, make_wav, tiny_weights, rate, channels):
    p = make_wav("music", 3.0, rate=rate, channels=channels)
    before, mtime = sha(p), p.stat().st_mtime_ns
    code, out, err = run(capsys, p, "--weights", tiny_weights)
    assert code == 0, err
    import json

    d = json.loads(out)
    assert d["sample_rate"] == rate and d["channels"] == channels
    assert abs(d["duration_s"] - 3.0) < 0.01
    codes = {n["code"] for n in d["notes"]}
    if rate > 48000:
        assert "high_rate" in codes
    if rate < 32000:
        assert "band_limited" in codes
    if channels > 2:
        assert "multichannel" in codes
    assert sha(p) == before and p.stat().st_mtime_ns == mtime  # never written to


def test_non_ascii_path(capsys, tmp_path, make_wav, tiny_weights):
    src = make_wav("music", 3.0)
    d = tmp_path / "Ünïcödé ordner"
    d.mkdir()
    p = d / "曲 — chanson d'été.wav"
    shutil.copy(src, p)
    code, out, err = run(capsys, p, "--weights", tiny_weights)
    assert code == 0, err
    assert "chanson d'été" in out


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_m4a_through_ffmpeg(capsys, make_wav, tiny_weights):
    wav = make_wav("music", 4.0, channels=2)
    m4a = wav.with_suffix(".m4a")
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "aac", "-b:a", "128k", str(m4a)], check=True)
    code, out, err = run(capsys, m4a, "--weights", tiny_weights)
    assert code == 0, err
    import json

    d = json.loads(out)
    assert d["channels"] == 2 and d["sample_rate"] == 44100 and d["subtype"] == "aac"
    assert "lossy_container" in {n["code"] for n in d["notes"]}


def test_analyze_piped_into_head_ends_quietly(make_wav, tiny_weights):
    import sys

    p = make_wav("music", 3.0)
    cmd = f"{sys.executable} -m forensic_app analyze {p} {p} --json --no-progress --weights {tiny_weights} | head -c 10"
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr


def test_non_utf8_file_name_gives_valid_json(tmp_path, make_wav, tiny_weights):
    import sys

    src = make_wav("music", 3.0)
    name = os.fsencode(tmp_path) + b"/caf\xe9-latin1.wav"  # a Latin-1 name on a UTF-8 system
    with open(name, "wb") as f:
        f.write(src.read_bytes())
    env = dict(os.environ, PYTHONIOENCODING="utf-8:strict", LC_ALL="C.UTF-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "forensic_app",
            "analyze",
            name,
            "--json",
            "--no-progress",
            "--weights",
            str(tiny_weights),
        ],
        capture_output=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout.decode("utf-8"))  # valid UTF-8 and valid JSON
    assert d["verdict"] in ("no_traces_found", "inconclusive", "likely_fake")
    assert d["format"] == "WAV" and d["subtype"] == "PCM_16"  # read by libsndfile, not sent round through ffmpeg


DECODER_JARGON = (
    "@ 0x",
    "#0:",
    "Last message repeated",
    "codec none",
    "Error number",
    "Decoder (",
    "when processing input",
    "channels at 0 Hz",
    "psf_",
    "moov atom",
)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
@pytest.mark.parametrize("ext", [".mp3", ".flac", ".mp2", ".aac", ".ac3", ".m4a", ".ogg"])
def test_random_bytes_named_as_audio_are_called_not_audio_in_plain_words(capsys, tmp_path, tiny_weights, ext):
    p = tmp_path / f"upload{ext}"
    p.write_bytes(np.random.default_rng(len(ext)).integers(0, 256, 200_000, dtype=np.uint8).tobytes())
    err = expect_unusable(capsys, p, tiny_weights)
    assert "damaged" in err or "not audio" in err, err  # was "unsupported audio layout (0 channels at 0 Hz)" for .mp3
    assert not any(j in err for j in DECODER_JARGON), err


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_audio_in_a_codec_ffmpeg_lacks_is_said_plainly(capsys, make_wav, tiny_weights):
    p = make_wav("music", 3.0, name="unknown-codec.wav")
    raw = bytearray(p.read_bytes())
    raw[20:22] = (0x9999).to_bytes(2, "little")  # the fmt chunk's format tag: a codec nobody has
    p.write_bytes(bytes(raw))
    err = expect_unusable(capsys, p, tiny_weights, "format", "cannot decode", "convert it")
    assert not any(j in err for j in DECODER_JARGON), err  # was "Decoder (codec none) not found for input stream #0:0"
