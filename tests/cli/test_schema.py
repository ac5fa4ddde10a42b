"""`analyze --json` against its published JSON Schema (schema/analysis.schema.json, shipped in the package)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forensic_app.cli import main
from forensic_app.core.result import ANALYSIS_SCHEMA_VERSION
from forensic_app.schemas import analysis_schema

jsonschema = pytest.importorskip("jsonschema")
ROOT = Path(__file__).resolve().parents[2]


def test_the_published_schema_is_the_shipped_one_and_is_valid():
    published = json.loads((ROOT / "schema" / "analysis.schema.json").read_text(encoding="utf-8"))
    assert published == analysis_schema()
    jsonschema.Draft202012Validator.check_schema(published)
    assert ANALYSIS_SCHEMA_VERSION.split(".")[0] in published["$id"].split("/")[-2]


def test_real_analyze_output_follows_the_schema(capsys, make_wav, tiny_weights):
    schema = analysis_schema()
    wav = make_wav("music", 6.0, channels=2)
    assert main(["analyze", str(wav), "--json", "--weights", str(tiny_weights), "--no-progress"]) == 0
    out = json.loads(capsys.readouterr().out)
    jsonschema.validate(out, schema, cls=jsonschema.Draft202012Validator)
    assert out["schema_version"] == ANALYSIS_SCHEMA_VERSION

    # two files, one of them missing: a list of an analysis and an error object, each valid
    assert (
        main(
            [
                "analyze",
                str(wav),
                str(wav.with_name("missing.wav")),
                "--json",
                "--weights",
                str(tiny_weights),
                "--no-progress",
            ]
        )
        == 2
    )
    both = json.loads(capsys.readouterr().out)
    for item in both:
        jsonschema.validate(item, schema, cls=jsonschema.Draft202012Validator)
    assert "error" in both[1]

    broken = dict(out, verdict="probably fine")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema, cls=jsonschema.Draft202012Validator)
