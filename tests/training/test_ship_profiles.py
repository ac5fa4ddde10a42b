"""Shipping profiles into a model bundle: sealed in the manifest, loaded by the analysis, named in the model card."""

from __future__ import annotations

import json
import shutil

import pytest

from forensic_app.core.errors import ModelError
from forensic_app.core.profiles import save_profile
from forensic_app.core.weights import load_model
from forensic_app.training.ship_profiles import ship
from tests.core.test_registry import toy_profile


def test_shipped_profiles_are_sealed_loaded_and_in_the_model_card(tmp_path, tiny_weights):
    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_weights, bundle)
    src = tmp_path / "profiles"
    save_profile(toy_profile("Peaky Gen", kind="built-in"), src / "peaky.json")
    (src / "profile_teaching.json").write_text(json.dumps({"chain_key": "lattice_enrichment", "chain_min": 5.0}))
    ref = tmp_path / "ref.npz"
    ref.write_bytes(b"not read here")
    keys = ship(src, ref, bundle)
    assert keys == ["profile:Peaky Gen", "profile_reference", "profile_teaching"]
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["model_card"]["generator_profiles"]["shipped"][0]["name"] == "Peaky Gen"
    model = load_model(bundle, allow_modified=True)
    assert [p.generator for p in model.profiles] == ["Peaky Gen"]
    # a profile edited after shipping breaks the bundle: refused, never silently applied (the next load)
    from forensic_app.core import weights

    weights._CACHE.clear()
    (bundle / "profiles" / "peaky.json").write_text(
        (bundle / "profiles" / "peaky.json").read_text().replace("toy", "t0y")
    )
    with pytest.raises(ModelError):
        load_model(bundle, allow_modified=True)
