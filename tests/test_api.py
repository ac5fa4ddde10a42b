"""The public API (forensic_app.api): one Analyzer holds the model, the CLI's answers come from it."""

from __future__ import annotations

import doctest

import pytest


def test_the_api_names_what_a_script_needs():
    import forensic_app.api as api

    for name in api.__all__:
        assert hasattr(api, name), name
    assert issubclass(api.BundleError, api.ModelError)


def test_its_examples_run():
    import forensic_app.api as api

    failures, tried = doctest.testmod(api, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


def test_an_analyzer_loads_the_model_once_and_gives_what_analyze_gives(make_wav):
    from forensic_app.api import Analyzer, analyze

    path = make_wav("music", 6.0, 44100)
    a = Analyzer()
    r1, r2 = a.analyze(path), a.analyze(path)
    assert a.model is Analyzer().model  # the bundle is verified and loaded once per process
    assert r1.verdict == r2.verdict == analyze(path).verdict and r1.probability_fake == r2.probability_fake
    again = a.interpret(a.measure(path))  # the two halves give the same result
    assert again.to_json_dict()["probability_fake"] == r1.to_json_dict()["probability_fake"]
    assert again.provenance.command == r1.provenance.command


def test_an_unusable_file_raises_the_error_the_api_names(tmp_path):
    from forensic_app.api import UnusableInputError, analyze

    bad = tmp_path / "noise.mp3"
    bad.write_bytes(b"\x00\x01not audio" * 100)
    with pytest.raises(UnusableInputError):
        analyze(bad)


def test_the_package_offers_the_api_names_without_importing_torch_first():
    import subprocess
    import sys

    code = (
        "import sys, forensic_app; assert 'torch' not in sys.modules; import forensic_app.api as api; "
        "assert set(api.__all__) == set(forensic_app._API_NAMES); print(forensic_app.Analyzer.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "Analyzer", out.stderr
