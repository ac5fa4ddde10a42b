"""About reads versions and third-party licences from the manifest, whatever shape the entry takes."""

from __future__ import annotations

import json
import shutil

import pytest

from forensic_app import about, resources


@pytest.fixture
def weights(tmp_path):
    d = tmp_path / "weights"
    shutil.copytree(resources.weights_dir(), d)
    return d


def _with_third_party(d, value):
    m = json.loads((d / "manifest.json").read_text())
    if value is None:
        m.pop("third_party", None)
    else:
        m["third_party"] = value
    (d / "manifest.json").write_text(json.dumps(m))
    return about.gather(d)


def test_versions_come_from_the_weights_in_use(weights):
    info = _with_third_party(weights, None)
    m = json.loads((weights / "manifest.json").read_text())
    assert (info.model_name, info.model_version) == (m["name"], m["version"])
    assert info.calibration_version.startswith("cal-") and not info.problem
    assert info.third_party == [] and "Creative Commons" in info.demo_credits


@pytest.mark.parametrize(
    "value",
    [
        [{"name": "X", "license": "Apache-2.0", "license_file": "X-LICENSE"}],
        {"name": "X", "licence": "Apache-2.0", "license_file": "X-LICENSE"},
        {"X": {"license": "Apache-2.0", "license_file": "X-LICENSE"}},
    ],
)
def test_third_party_entry_in_any_reasonable_shape(weights, value):
    (info,) = [_with_third_party(weights, value)]
    assert [(t.name, t.licence, t.licence_file.name) for t in info.third_party] == [("X", "Apache-2.0", "X-LICENSE")]


def test_unreadable_weights_give_a_message_not_an_exception(tmp_path):
    info = about.gather(tmp_path)
    assert "Reinstall" in info.problem and info.app_version


def test_about_lists_the_profiles_applied_built_in_and_the_users(weights, tmp_path, monkeypatch):
    from tests.core.test_registry import toy_profile
    from forensic_app.core.profiles import save_profile, user_profiles_dir

    monkeypatch.setenv("FORENSIC_APP_DATA_DIR", str(tmp_path / "data"))
    info = about.gather(weights)
    m = json.loads((weights / "manifest.json").read_text())
    n_built = sum(k.startswith("profile:") for k in m["files"])
    assert n_built >= 1 and len(info.coverage) == n_built
    assert all("examples" in line for line in info.coverage)
    save_profile(toy_profile("My Gen"), user_profiles_dir(create=True) / "mine.json")
    (user_profiles_dir() / "broken.json").write_text("{}")
    info = about.gather(weights)
    assert info.coverage[n_built].startswith("My Gen (yours): taught on this computer from 5 examples")
    assert info.coverage[-1].startswith("yours, not applied:")
