"""Waveform envelopes and the spectrum at a cursor, on generated audio."""

from __future__ import annotations

import numpy as np
import pytest

from forensic_app.core.spectrogram import DISPLAY_N_FFTS, display_spectrogram_of_range
from forensic_app.core.progress import CancelToken
from forensic_app.core.errors import Cancelled
from forensic_app.core.spectrum import interpolated_peak, loudest_peak, nearest_peak, peak_lines, spectrum_at
from forensic_app.core.waveform import WaveformOverview, envelope_from_reader, envelope_of


def reader_of(samples: np.ndarray):
    """read(start, n) over samples in memory, recording the largest request."""
    x = samples if samples.ndim == 2 else samples[:, None]

    def read(start: int, n: int) -> np.ndarray:
        read.largest = max(read.largest, n)
        read.calls += 1
        return x[start : start + n]

    read.largest, read.calls = 0, 0
    return read


def sine(freq_hz: float, rate: int, seconds: float, amplitude: float = 1.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


# ---------------------------------------------------------------- spectrum


def test_full_scale_sine_on_a_bin_reads_0_dbfs_at_its_frequency():
    rate, n_fft = 48000, 8192
    f = 171 * rate / n_fft  # 1001.95 Hz, on bin 171
    x = sine(f, rate, 3.0)
    spec = spectrum_at(reader_of(x), rate, x.size, 1.5, n_fft=n_fft)
    assert spec.frequencies_hz.shape == spec.level_db.shape == (n_fft // 2 + 1,)
    peak = int(np.argmax(spec.level_db))
    assert abs(spec.frequencies_hz[peak] - f) <= spec.bin_hz
    assert spec.level_db[peak] == pytest.approx(0.0, abs=0.1)
    assert spec.n_averaged == 8
    assert spec.start_s < 1.5 < spec.end_s


def test_sine_between_bins_peaks_within_one_bin_and_a_6db_quieter_one_reads_6db_lower():
    rate = 44100
    x = sine(3333.3, rate, 2.0, amplitude=0.5)
    spec = spectrum_at(reader_of(x), rate, x.size, 1.0)
    peak = int(np.argmax(spec.level_db))
    assert abs(spec.frequencies_hz[peak] - 3333.3) <= spec.bin_hz
    assert -6.02 - 1.5 < spec.level_db[peak] <= -6.02 + 0.1  # Hann scalloping reads at most 1.42 dB low


def test_a_sine_between_bins_reads_its_own_frequency_and_level_at_the_interpolated_peak():
    rate = 44100
    x = sine(1000.7, rate, 3.0, amplitude=0.5)  # 185.9 bins of 5.38 Hz: the nearest bin is 0.6 Hz off
    x += 0.001 * np.random.default_rng(2).standard_normal(x.size).astype(np.float32)
    spec = spectrum_at(reader_of(x), rate, x.size, 1.5)
    on_bin = float(spec.frequencies_hz[int(np.argmax(spec.level_db))])
    assert abs(on_bin - 1000.7) > 0.5  # what reading the highest bin gives
    for peak in (nearest_peak(spec, 990.0), nearest_peak(spec, 0.0, low_hz=900.0, high_hz=1100.0), loudest_peak(spec)):
        assert peak.freq_hz == pytest.approx(1000.7, abs=0.1)
        assert peak.level_db == pytest.approx(-6.02, abs=0.4)  # not the 1.4 dB low of the bin between two
    # far from the sine, the nearest peak is a small one of the noise floor, not the sine
    assert nearest_peak(spec, 15000.0).freq_hz == pytest.approx(15000.0, abs=3 * spec.bin_hz)


def test_interpolation_is_exact_on_a_parabola_and_leaves_ends_and_silence_alone():
    level = -0.5 * (np.arange(9) - 4.3) ** 2  # vertex at bin 4.3, height 0
    peak = interpolated_peak(level, 4, 10.0)
    assert (peak.freq_hz, peak.level_db, peak.bin) == (pytest.approx(43.0), pytest.approx(0.0), 4)
    assert interpolated_peak(level, 0, 10.0).freq_hz == 0.0
    silent = spectrum_at(reader_of(np.zeros(48000, np.float32)), 48000, 48000, 0.5)
    assert nearest_peak(silent, 1000.0) is None and loudest_peak(silent) is None


def test_the_display_spectrogram_of_a_range_has_the_bins_of_its_fft_size_at_absolute_times():
    rate = 44100
    x = sine(60.0, rate, 6.0, amplitude=0.5)
    mono = lambda start, n: x[start : start + n]  # noqa: E731
    for n_fft in DISPLAY_N_FFTS:
        spec = display_spectrogram_of_range(mono, rate, x.size, 2.0, 5.0, n_fft=n_fft, block_frames=30000)
        assert spec.db.shape[0] == n_fft // 2 + 1
        assert spec.time_edges_s[0] == pytest.approx(2.0 + (n_fft - 512) / 2 / rate, abs=0.05)
        assert spec.time_edges_s[-1] <= 5.0 + 1e-6
        loudest_hz = int(np.argmax(spec.db.mean(axis=1))) * rate / n_fft
        assert abs(loudest_hz - 60.0) <= rate / n_fft
    assert display_spectrogram_of_range(mono, rate, x.size, 2.0, 2.01, n_fft=8192) is None  # shorter than a frame
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        display_spectrogram_of_range(mono, rate, x.size, 0.0, 6.0, cancel=token)


def test_stereo_is_mixed_to_mono_and_an_inverted_channel_does_not_cancel():
    rate = 48000
    s = sine(1500.0, rate, 1.0)
    spec = spectrum_at(reader_of(np.stack([s, -s], axis=1)), rate, s.size, 0.5)
    assert spec.level_at(1500.0) > -3.0


def test_edges_keep_the_level_true_and_a_short_file_is_zero_padded():
    rate, n_fft = 48000, 8192
    f = 200 * rate / n_fft
    x = sine(f, rate, 2.0)
    for t in (0.0, 2.0, -5.0, 99.0):
        spec = spectrum_at(reader_of(x), rate, x.size, t, n_fft=n_fft)
        assert spec.level_at(f) == pytest.approx(0.0, abs=0.1), t
        assert 0.0 <= spec.start_s and spec.end_s <= 2.0 + 1e-9
    short = x[: n_fft // 2]
    spec = spectrum_at(reader_of(short), rate, short.size, 0.0, n_fft=n_fft)
    assert spec.n_averaged == 1
    assert spec.level_at(f) == pytest.approx(20 * np.log10(0.5), abs=1.0)  # half the frame is padding


def test_silence_reads_the_floor_and_bad_arguments_are_refused():
    z = np.zeros(20000, np.float32)
    spec = spectrum_at(reader_of(z), 48000, z.size, 0.1)
    assert np.isfinite(spec.level_db).all() and spec.level_db.max() <= -150
    with pytest.raises(ValueError):
        spectrum_at(reader_of(z), 48000, z.size, 0.1, n_fft=1001)
    with pytest.raises(ValueError):
        spectrum_at(reader_of(z), 48000, 0, 0.1)


def test_peak_lines_fall_on_the_comb():
    rate, f0 = 48000, 1500.0
    x = sum(sine(k * f0, rate, 1.0, 0.1) for k in range(1, 5))  # lines at 1.5-6 kHz
    spec = spectrum_at(reader_of(x), rate, x.size, 0.5)
    freqs, levels = peak_lines(spec, f0, max_hz=8000.0)
    assert np.allclose(freqs, [1500, 3000, 4500, 6000, 7500])
    assert np.all(levels[:4] > -22.0)  # 0.1 full scale = -20 dBFS (on or near a bin)
    assert levels[-1] < -100  # 7.5 kHz: no line there
    with pytest.raises(ValueError):
        peak_lines(spec, 0.0)


# ---------------------------------------------------------------- waveform


def test_a_click_shows_in_the_column_that_holds_its_time():
    rate = 44100
    x = np.zeros((rate * 10, 2), np.float32)
    x[:, 0] = 0.01 * np.sin(np.arange(x.shape[0]) * 0.05)
    click_s = 6.25
    x[int(click_s * rate), 1] = 0.9
    ov = WaveformOverview(rate, 2, target_columns=256)
    for start in range(0, x.shape[0], 10000):  # uneven blocks, as a decoder gives them
        ov.push(x[start : start + 10000])
    env = ov.result()
    assert env.maximum.shape == env.minimum.shape == env.rms.shape == (2, env.n_columns)
    assert env.time_edges_s.shape == (env.n_columns + 1,)
    assert env.time_edges_s[0] == 0.0 and env.time_edges_s[-1] == pytest.approx(10.0)
    k = env.column_at(click_s)
    assert env.maximum[1, k] == pytest.approx(0.9)
    assert np.all(np.delete(env.maximum[1], k) == 0.0)
    assert env.maximum[0].max() == pytest.approx(0.01, rel=1e-3)
    assert env.rms[0].mean() == pytest.approx(0.01 / np.sqrt(2), rel=0.02)


def test_overview_equals_a_direct_computation_and_edges_are_frame_exact():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((123457, 1)).astype(np.float32)
    ov = WaveformOverview(8000, 1, target_columns=64)
    for start in range(0, x.shape[0], 777):
        ov.push(x[start : start + 777, 0])  # (n,) blocks are accepted for mono
    env = ov.result()
    spc = ov.frames_per_column
    assert env.n_columns <= 128 and spc & (spc - 1) == 0
    edges = np.round(env.time_edges_s * 8000).astype(int)
    for k in (0, 17, env.n_columns - 1):
        seg = x[edges[k] : edges[k + 1], 0]
        assert env.minimum[0, k] == seg.min() and env.maximum[0, k] == seg.max()
        assert env.rms[0, k] == pytest.approx(np.sqrt(np.mean(seg.astype(np.float64) ** 2)), rel=1e-5)


def test_two_hours_of_48k_stereo_stays_within_twice_the_target_columns():
    rate, target = 48000, 4096
    block = np.full((1 << 20, 2), 0.25, np.float32)  # the same block again and again: cheap to generate
    total = 2 * 3600 * rate
    ov = WaveformOverview(rate, 2, target_columns=target)
    pushed, most = 0, 0
    while pushed < total:
        n = min(block.shape[0], total - pushed)
        ov.push(block[:n])
        pushed += n
        most = max(most, ov.n_columns)
    env = ov.result()
    assert most <= 2 * target and env.n_columns <= 2 * target
    assert env.n_columns >= target // 2
    assert env.time_edges_s[-1] == pytest.approx(7200.0)
    assert np.all(env.maximum == 0.25) and np.allclose(env.rms, 0.25)


def test_envelope_from_reader_reads_bounded_blocks_and_matches_samples_in_memory():
    rng = np.random.default_rng(2)
    rate = 1000
    x = (0.1 * rng.standard_normal((250_000, 2))).astype(np.float32)
    x[123_456, 0] = -0.95
    read = reader_of(x)
    env = envelope_from_reader(read, rate, x.shape[0], 20.0, 200.0, 300, max_read_frames=10_000)
    assert read.largest <= 10_000 and read.calls == 18
    assert env.n_columns == 300 and env.time_edges_s[0] == 20.0 and env.time_edges_s[-1] == 200.0
    assert env.minimum[0, env.column_at(123.456)] == pytest.approx(-0.95)
    same = envelope_of(x, rate, 20.0, 200.0, 300)
    for a, b in ((env.minimum, same.minimum), (env.maximum, same.maximum), (env.rms, same.rms)):
        assert np.array_equal(a, b)
    assert not env.maximum.flags.writeable


def test_default_reads_stay_within_a_million_frames_over_a_long_range():
    block = np.zeros((3_000_000, 1), np.float32)
    read = reader_of(block)
    env = envelope_from_reader(read, 48000, block.shape[0], 0.0, 1e9, 1000)
    assert read.largest <= 1 << 20 and env.n_columns == 1000


def test_zoomed_past_one_frame_per_column_gives_one_column_per_frame_and_empty_ranges_are_refused():
    x = np.arange(10, dtype=np.float32)
    env = envelope_of(x, 10, 0.2, 0.6, 100)
    assert env.n_columns == 4 and np.array_equal(env.maximum[0], [2, 3, 4, 5])
    with pytest.raises(ValueError):
        envelope_of(x, 10, 2.0, 3.0, 10)
