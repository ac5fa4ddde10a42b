"""Settings persist per user and survive a corrupt file."""

from __future__ import annotations

import json

from forensic_app.gui import settings as s


def test_defaults_when_no_file(isolated_settings):
    loaded, problem = s.load_settings()
    assert problem is None and loaded == s.Settings()


def test_round_trip(isolated_settings):
    st = s.Settings(colour_map="viridis", db_floor=-80, freq_scale="mel", overlay_opacity=0.3)
    st.add_recent("/a/b.wav")
    assert s.save_settings(st) is None
    loaded, problem = s.load_settings()
    assert problem is None
    assert loaded.colour_map == "viridis" and loaded.freq_scale == "mel" and loaded.recent_files == ["/a/b.wav"]


def test_corrupt_file_resets_with_a_message_and_keeps_a_copy(isolated_settings):
    isolated_settings.mkdir(parents=True)
    (isolated_settings / "settings.json").write_text("{not json")
    loaded, problem = s.load_settings()
    assert loaded == s.Settings()
    assert "defaults were restored" in problem
    assert (isolated_settings / "settings.json.corrupt").read_text() == "{not json"


def test_wrong_types_and_values_are_repaired(isolated_settings):
    isolated_settings.mkdir(parents=True)
    (isolated_settings / "settings.json").write_text(json.dumps({"colour_map": "rainbow", "overlay_opacity": 7}))
    loaded, problem = s.load_settings()
    assert problem is None and loaded.colour_map == s.Settings().colour_map and loaded.overlay_opacity == 1.0
    (isolated_settings / "settings.json").write_text(json.dumps({"fft_size": 3000, "case_freq_scale": "bark"}))
    loaded, problem = s.load_settings()
    assert problem is None and loaded.fft_size == 2048 and loaded.case_freq_scale == "linear"
    (isolated_settings / "settings.json").write_text(json.dumps({"fft_size": 8192.0}))
    assert s.load_settings()[0].fft_size == 8192 and isinstance(s.load_settings()[0].fft_size, int)
    (isolated_settings / "settings.json").write_text(json.dumps({"overlay_visible": "yes"}))
    loaded, problem = s.load_settings()
    assert problem and loaded == s.Settings()


def test_recent_files_are_unique_and_capped():
    st = s.Settings()
    for i in range(15):
        st.add_recent(f"/x/{i}.wav")
    st.add_recent("/x/3.wav")
    assert st.recent_files[0] == "/x/3.wav" and len(st.recent_files) == s.MAX_RECENT
    assert len(set(st.recent_files)) == len(st.recent_files)


def test_a_settings_file_nested_too_deep_resets_instead_of_crashing(isolated_settings):
    isolated_settings.mkdir(parents=True)
    (isolated_settings / "settings.json").write_text("[" * 100_000)  # was a RecursionError at start-up
    loaded, problem = s.load_settings()
    assert loaded == s.Settings() and "defaults were restored" in problem and "nested" in problem
