"""Exports that travel (forensic_app/exports): Audacity labels round-trip, a Sonic Visualiser layer file
its importer can read, JAMS that the jams package validates, labels imported into a case, and the
`export` / `import-labels` commands on a saved case (no analysis needed)."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from forensic_app.case.document import Annotation, Case, CaseFile, load_case, save_case
from forensic_app.core.outputs import OutputExistsError, OutputIsInputError
from forensic_app.core.result import Heatmap, WindowScore
from forensic_app.exports.audacity import (
    LabelFileError,
    format_audacity_labels,
    parse_audacity_labels,
    read_audacity_labels,
    write_audacity_labels,
)
from forensic_app.exports.case_labels import import_audacity_labels
from forensic_app.exports.jams_export import jams_document, write_jams
from forensic_app.exports.regions import Region, heatmap_boxes, result_regions, window_regions
from forensic_app.exports.sonic_visualiser import svl_document, write_svl
from tests.factories import make_result


def _result():
    """A result with two hot spots on the heatmap (an asymmetric stamp) and windows above the line."""
    share = np.ones((4, 10), dtype=np.float32)
    share[2:4, 1:3] = 1e-4  # 2..3 s, 1-4 kHz: rarest
    share[0, 7] = 5e-3  # 7..8 s, 0-500 Hz
    heat = Heatmap(
        real_share=share, time_edges_s=np.arange(11.0), freq_edges_hz=np.array([0.0, 500.0, 1000.0, 2000.0, 4000.0])
    )
    windows = [
        WindowScore(0.0, 2.0, 0.1),
        WindowScore(1.0, 3.0, 0.8),
        WindowScore(2.0, 4.0, 0.9),
        WindowScore(5.0, 7.0, 0.2),
        WindowScore(6.0, 8.0, 0.7),
    ]
    result = make_result()
    settings = dict(result.provenance.settings, threshold_likely_fake=0.65)
    return dataclasses.replace(
        result, heatmap=heat, windows=windows, provenance=dataclasses.replace(result.provenance, settings=settings)
    )


def test_regions_of_a_result():
    result = _result()
    windows = window_regions(result.windows, 0.65)
    assert [(r.start_s, r.end_s, r.value) for r in windows] == [(1.0, 4.0, 0.9), (6.0, 8.0, 0.7)]
    boxes = heatmap_boxes(result.heatmap.real_share, result.heatmap.time_edges_s, result.heatmap.freq_edges_hz)
    assert [(b.start_s, b.end_s, b.low_hz, b.high_hz) for b in boxes] == [
        (1.0, 3.0, 1000.0, 4000.0),
        (7.0, 8.0, 0.0, 500.0),
    ]
    assert boxes[0].value == pytest.approx(1e-4)
    regions = result_regions(result)
    combs = [r for r in regions if r.kind == "comb"]
    assert len(combs) == len(result.comb.lines_found_hz) and all(r.low_hz == r.high_hz for r in combs)
    assert all(r.end_s == result.input.duration_s for r in combs)


def test_audacity_labels_round_trip(tmp_path):
    regions = result_regions(_result()) + [Region(2.5, 2.5, "a point\twith a tab", "annotation")]
    text = format_audacity_labels(regions)
    assert "\\\t1000.000000\t4000.000000" in text.splitlines()
    path = write_audacity_labels(regions, tmp_path / "labels.txt")
    back = read_audacity_labels(path)
    assert len(back) == len(regions)
    for a, b in zip(regions, back):
        assert (b.start_s, b.end_s) == pytest.approx((a.start_s, a.end_s), abs=1e-6)
        assert b.label == a.label.replace("\t", " ")
        assert (b.low_hz is None) == (a.low_hz is None)
        if a.has_band:
            assert (b.low_hz, b.high_hz) == pytest.approx((a.low_hz, a.high_hz), abs=1e-6)


def test_labels_as_audacity_writes_them_and_bad_ones():
    audacity = "1.500000\t3.250000\tsnare\n\\\t200.000000\t5000.000000\n4.000000\t4.000000\tclick\n"
    (a, b) = parse_audacity_labels(audacity)
    assert (a.start_s, a.end_s, a.label, a.low_hz, a.high_hz) == (1.5, 3.25, "snare", 200.0, 5000.0)
    assert (b.start_s, b.end_s, b.label, b.low_hz) == (4.0, 4.0, "click", None)
    with pytest.raises(LabelFileError, match="line 1"):
        parse_audacity_labels("abc\t1\tx\n")
    with pytest.raises(LabelFileError, match="before it starts"):
        parse_audacity_labels("3\t1\tx\n")
    with pytest.raises(LabelFileError, match="frequency line"):
        parse_audacity_labels("\\\t1\t2\n")


def test_sonic_visualiser_layer_file_has_what_its_importer_reads(tmp_path):
    regions = result_regions(_result())
    path = write_svl(regions, tmp_path / "layers.svl", sample_rate=44100)
    text = path.read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE sonic-visualiser>')
    root = ET.fromstring(text.split("\n", 2)[2])  # well-formed
    assert root.tag == "sonic-visualiser"
    models = {m.get("id"): m for m in root.iter("model")}
    for m in models.values():  # READ_MANDATORY in SVFileReader::readModel
        for attr in ("id", "sampleRate", "type", "dimensions", "resolution", "dataset"):
            assert m.get(attr) not in (None, ""), attr
        assert m.get("sampleRate") == "44100" and m.get("type") == "sparse"
    datasets = {d.get("id"): d for d in root.iter("dataset")}
    region_model = next(m for m in models.values() if m.get("subtype") == "region")
    box_model = next(m for m in models.values() if m.get("subtype") == "box")
    assert (region_model.get("dimensions"), box_model.get("dimensions"), box_model.get("units")) == ("3", "2", "Hz")
    spans = list(datasets[region_model.get("dataset")].iter("point"))
    boxes = list(datasets[box_model.get("dataset")].iter("point"))
    assert datasets[region_model.get("dataset")].get("dimensions") == "3"
    assert [(p.get("frame"), p.get("duration")) for p in spans] == [("44100", "132300"), ("264600", "88200")]
    first = boxes[0]
    assert (first.get("frame"), first.get("value"), first.get("extent"), first.get("duration")) == (
        "44100",
        "1000",
        "3000",
        "88200",
    )
    assert all(p.get("label") for p in spans + boxes)
    layers = [layer for layer in root.find("data").iter("layer")]
    assert {(layer.get("type"), layer.get("model")) for layer in layers} == {
        ("regions", region_model.get("id")),
        ("boxes", box_model.get("id")),
    }
    assert {layer.get("id") for layer in root.find("display").iter("layer")} == {layer.get("id") for layer in layers}


def test_svl_escapes_labels():
    text = svl_document([Region(0.0, 1.0, 'a "quoted" <tag> & more', "annotation")], sample_rate=8000)
    root = ET.fromstring(text.split("\n", 2)[2])
    assert next(root.iter("point")).get("label") == 'a "quoted" <tag> & more'


def test_jams_validates(tmp_path):
    jams = pytest.importorskip("jams")
    result = _result()
    regions = result_regions(result) + [Region(2.0, 3.0, "reviewer: check this", "annotation", 100.0, 900.0)]
    doc = jams_document(regions, duration_s=result.input.duration_s, title="x", sha256=result.input.file_sha256)
    assert [a.sandbox.kind for a in doc.annotations] == ["window", "heatmap", "comb", "annotation"]
    path = write_jams(regions, tmp_path / "out.jams", duration_s=result.input.duration_s)
    loaded = jams.load(str(path), validate=True)
    window = loaded.annotations[0]
    assert window.namespace == "segment_open"
    obs = list(window.data)
    assert (obs[0].time, obs[0].duration, obs[0].confidence) == (1.0, 3.0, 0.9)
    heat = loaded.annotations[1]
    assert heat.sandbox.frequency_ranges_hz[0] == [1000.0, 4000.0]


def test_writers_go_through_the_output_guard(tmp_path):
    audio = tmp_path / "song.wav"
    audio.write_bytes(b"RIFF")
    with pytest.raises(OutputIsInputError):
        write_audacity_labels([], audio, inputs=[audio], overwrite=True)
    (tmp_path / "labels.txt").write_text("")
    with pytest.raises(OutputExistsError):
        write_audacity_labels([], tmp_path / "labels.txt")


def _saved_case(tmp_path):
    result = _result()
    lane = CaseFile(
        lane_id="lane-1",
        path=result.input.path,
        sha256=result.input.file_sha256,
        size_bytes=result.input.file_size_bytes,
        label="mix",
        result=result,
    )
    case = Case(
        lanes=[lane], annotations=[Annotation(10.0, 12.0, "listen here", lane="lane-1", low_hz=50.0, high_hz=300.0)]
    )
    return save_case(case, tmp_path / "review.facase")


def test_audacity_labels_import_into_a_case(tmp_path):
    path = _saved_case(tmp_path)
    labels = tmp_path / "from-audacity.txt"
    labels.write_text("1.5\t3.25\tsnare\n\\\t200\t5000\n4\t4\tclick\n", encoding="utf-8")
    case = load_case(path)
    added = import_audacity_labels(case, labels, lane="lane-1", author="rev")
    assert [(a.start_s, a.end_s, a.text, a.low_hz, a.high_hz, a.lane) for a in added] == [
        (1.5, 3.25, "snare", 200.0, 5000.0, "lane-1"),
        (4.0, 4.0, "click", None, None, "lane-1"),
    ]
    assert len(case.annotations) == 3


def test_export_and_import_commands_on_a_saved_case(tmp_path, capsys):
    from forensic_app.cli import main

    path = _saved_case(tmp_path)
    out = tmp_path / "mix.txt"
    assert main(["export", str(path), "--format", "audacity", "-o", str(out)]) == 0
    labels = read_audacity_labels(out)
    assert any(r.label == "listen here" and r.low_hz == 50.0 for r in labels)
    assert any(r.label.startswith("Above the likely-AI line") for r in labels)
    assert main(["export", str(path), "--format", "audacity", "-o", str(out)]) == 2  # exists, no --force
    assert "--force" in capsys.readouterr().err
    assert main(["export", str(path), "--format", "sv", "-o", str(tmp_path / "mix.svl")]) == 0
    assert main(["export", str(path), "--format", "jams", "-o", str(tmp_path / "mix.jams"), "--lane", "mix"]) == 0
    assert main(["export", str(path), "--format", "jams", "-o", str(path), "--force"]) == 2  # never over the case

    assert main(["import-labels", str(path), str(out), "--lane", "mix"]) == 0
    assert len(load_case(path).annotations) == 1 + len(labels)
