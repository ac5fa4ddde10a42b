"""The case file: a faithful round trip, atomic saves, clear messages for files it cannot read."""

from __future__ import annotations

import dataclasses
import json
import os
import re

import numpy as np
import pytest

from forensic_app.case import (
    FORMAT_NAME,
    FORMAT_VERSION,
    Annotation,
    CaseFileError,
    Decision,
    load_case,
    result_from_document,
    result_to_document,
    save_case,
)
from forensic_app.case.resultdoc import encode_array
from forensic_app.core.analysis import analyze
from forensic_app.core.errors import ForensicError

# float16 keeps 10 bits of mantissa: at -64..-128 dB a step is 1/16 dB, so a value moves by at most 1/32 dB
OVERVIEW_DB_TOLERANCE = 1 / 32


def assert_same(a, b, path="result"):
    """Field-by-field equality; arrays equal (the overview's dB within float16 rounding)."""
    if dataclasses.is_dataclass(a):
        assert type(a) is type(b), path
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype, path
        if path.endswith("overview.db"):
            np.testing.assert_allclose(b, a, rtol=0, atol=OVERVIEW_DB_TOLERANCE, err_msg=path)
        else:
            np.testing.assert_array_equal(b, a, err_msg=path)
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            assert_same(a[k], b[k], f"{path}[{k!r}]")
    else:
        assert a == b, (path, a, b)


def test_a_result_comes_back_whole(stem_case):
    for lane in stem_case.lanes:
        doc = json.loads(json.dumps(result_to_document(lane.result)))
        back = result_from_document(doc)
        assert_same(lane.result, back)
        assert back.to_json_dict() == lane.result.to_json_dict()  # the CLI's contract reads the same


def test_a_case_round_trips_through_save_and_reopen(stem_case, tmp_path):
    case = dataclasses.replace(stem_case, lanes=[dataclasses.replace(f) for f in stem_case.lanes])
    case.lanes[2].offset_s = -0.25
    case.annotations = [
        Annotation(
            1.0, 2.5, "metallic sibilance", lane=case.lanes[0].lane_id, low_hz=4000.0, high_hz=9000.0, author="Ana"
        ),
        Annotation(6.0, 7.0, "chorus entry in every stem", author="Ana"),
    ]
    case.decision = Decision(
        "escalate", "ask the label for the project's own stems", "Ana", "2026-11-30T10:00:00+00:00"
    )
    path = save_case(case, tmp_path / "single.facase")
    back = load_case(path)
    assert_same(case, back, "case")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert (doc["format"], doc["format_version"]) == (FORMAT_NAME, FORMAT_VERSION)
    m = case.lanes[0].result.provenance.model
    assert doc["models"] == [
        {"name": m.name, "version": m.version, "sha256": m.sha256, "calibration_version": m.calibration_version}
    ]
    # one file, compact: the four overview spectrograms alone are 14 MB as float32 and ~40 MB as JSON numbers
    assert path.stat().st_size < 6_000_000


def test_the_file_is_written_atomically(stem_case, tmp_path, monkeypatch):
    path = save_case(stem_case, tmp_path / "case.facase")
    before = path.read_bytes()

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(CaseFileError, match="No space left on device.*choose another location"):
        save_case(stem_case, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["case.facase"]  # no half file left beside it


def test_a_case_from_a_newer_app_says_to_update(tmp_path):
    path = tmp_path / "new.facase"
    path.write_text(
        json.dumps(
            {
                "format": FORMAT_NAME,
                "format_version": FORMAT_VERSION + 1,
                "app_version": "3.2.0",
                "lanes": "a layout this app does not know",
            }
        )
    )
    with pytest.raises(CaseFileError) as err:
        load_case(path)
    assert "made by a newer forensic_app (3.2.0" in str(err.value)
    assert "update the app" in str(err.value)
    assert isinstance(err.value, ForensicError)


@pytest.mark.parametrize(
    "content, words",
    [
        (
            b"\x00\x01binary garbage\xff",
            "not a case file, or a damaged one (it stops being readable text at byte 16 of 17)",
        ),
        (
            b'{"format": "forensic_app case", "format_version": 1, "lanes": [',
            "stops being readable text at byte 63 of 63",
        ),
        (b'{"name": "a playlist", "tracks": []}', "not a forensic_app case file"),
        (b'{"format": "forensic_app case", "format_version": 1, "lanes": []}', "field 'annotations' is missing"),
    ],
)
def test_files_that_are_not_cases_give_a_clear_message(tmp_path, content, words):
    path = tmp_path / "x.facase"
    path.write_bytes(content)
    with pytest.raises(CaseFileError, match=re.escape(words)) as err:
        load_case(path)
    assert "\n" not in str(err.value) and "Traceback" not in str(err.value)


def test_a_lane_with_a_damaged_result_is_named(stem_case, tmp_path):
    path = save_case(stem_case, tmp_path / "case.facase")
    doc = json.loads(path.read_text(encoding="utf-8"))
    del doc["lanes"][1]["result"]["heatmap"]
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(CaseFileError, match=r"field 'lanes\[1\]\.result\.heatmap' is missing.*make the case again"):
        load_case(path)


def test_a_missing_case_file(tmp_path):
    with pytest.raises(CaseFileError, match="There is no case file at"):
        load_case(tmp_path / "nope.facase")


def test_a_result_of_the_tiny_model_round_trips_too(make_wav, tiny_weights):
    r = analyze(make_wav("music", 3.0), weights_dir=tiny_weights)
    assert_same(r, result_from_document(json.loads(json.dumps(result_to_document(r)))))


def test_a_case_saved_before_the_real_music_reference_shows_no_patch_as_unusual(stem_case):
    # such cases stored the CNN's display probability per patch, which is not a share of real music
    doc = json.loads(json.dumps(result_to_document(stem_case.lanes[0].result)))
    hm = doc["heatmap"]
    shape = stem_case.lanes[0].result.heatmap.real_share.shape
    hm["probabilities"] = encode_array(np.full(shape, 0.97, np.float32))
    del hm["real_share"], hm["logits"]
    back = result_from_document(doc).heatmap
    assert back.real_share.shape == shape and back.strength.max() == 0.0 and back.logits is None


def test_a_case_padded_past_the_largest_case_is_refused_unread(stem_case, tmp_path, capsys):
    import tracemalloc

    from forensic_app.cli import main

    path = save_case(stem_case, tmp_path / "padded.facase")
    with open(path, "r+b") as f:  # a valid case, then zero bytes to 1 GB (sparse: no disk used)
        f.truncate(1 << 30)
    tracemalloc.start()
    try:
        with pytest.raises(CaseFileError, match="larger than any case this app writes") as err:
            load_case(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"{peak / 1e6:.0f} MB held to refuse it"  # was 3.1 GB
    assert "1,074 MB" in str(err.value) and "\n" not in str(err.value)
    assert main(["case", str(path), "--no-progress"]) == 2
    lines = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert len(lines) == 1 and "padded.facase is not read" in lines[0]


def test_a_case_nested_ten_million_deep_is_one_line_and_exit_2(tmp_path, capsys):
    from forensic_app.cli import main

    path = tmp_path / "brackets.facase"
    path.write_bytes(b"[" * 10_000_000)
    assert main(["case", str(path), "--no-progress"]) == 2  # was a 28-line RecursionError traceback, exit 1
    lines = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert len(lines) == 1 and "nested 10,000,000 levels deep" in lines[0] and "Traceback" not in lines[0]


def test_brackets_inside_text_do_not_count_as_nesting(stem_case, tmp_path):
    case = dataclasses.replace(stem_case, annotations=[Annotation(1.0, 2.0, "[[[[" * 100 + ' "{{{{\\' * 50)])
    path = save_case(case, tmp_path / "brackets-in-notes.facase")
    assert load_case(path).annotations[0].text == case.annotations[0].text


def test_a_result_array_that_inflates_past_its_shape_is_refused_small(stem_case, tmp_path):
    import base64
    import tracemalloc
    import zlib

    path = save_case(stem_case, tmp_path / "bomb.facase")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["lanes"][0]["result"]["comb"]["freqs_hz"] = {  # 300 kB that inflate to 300 MB, behind a shape of 3 values
        "dtype": "float64",
        "shape": [3],
        "zlib_b64": base64.b64encode(zlib.compress(bytes(300 << 20), 9)).decode("ascii"),
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    tracemalloc.start()
    try:
        with pytest.raises(CaseFileError, match="damaged"):
            load_case(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 << 20, f"{peak / 1e6:.0f} MB inflated"
