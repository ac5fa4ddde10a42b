"""train -> calibrate -> weights bundle that the engine loads; resume; mismatch refusal."""

from __future__ import annotations

import csv
import json
import math

import pytest
import soundfile as sf

from forensic_app.core.analysis import analyze
from forensic_app.core.errors import ModelError
from forensic_app.core.fusion import EvidenceRules
from forensic_app.core.weights import default_weights_dir, load_model
from forensic_app.training.pipeline import main as pipeline_main
from forensic_app.training.synth import music_like

from .conftest import FIELDS, RATE


def test_train_writes_weights_the_engine_loads(mini_dataset, tmp_path, capsys):
    out = tmp_path / "weights"
    args = [
        "train",
        "--cache-dir",
        str(mini_dataset),
        "--out",
        str(out),
        "--steps",
        "6",
        "--batch",
        "4",
        "--channels",
        "4,4,8,8,8,8",
    ]
    assert pipeline_main(args) == 0
    man = json.loads((out / "manifest.json").read_text())
    assert man["trained"] is True and man["training"]["seed"] == 1234
    assert man["training"]["data"]["by_split_family"]["train/tconv"] == 4
    # the third-party fakeprint detector travels with every retrained bundle
    assert set(man["files"]) == {"weights", "calibration", "comb_reference", "fakeprint", "fakeprint_licence"}
    model = load_model(out)
    assert model.calibration.model_sha256 == man["files"]["weights"]["sha256"]
    assert 0.5 <= model.calibration.threshold_fake <= 0.99
    wav = tmp_path / "x.wav"
    sf.write(str(wav), music_like(12.0, RATE, seed=7), RATE)
    r = analyze(wav, weights_dir=out)
    assert r.provenance.model.name == man["name"] and "untrained_model" not in {n.code for n in r.notes}
    # the comb's and fakeprint's evidence thresholds travel (the defaults would let a comb of z 9 decide
    # alone); the patch CNN's threshold, on the old weights' scale, does not: the CNN cannot decide alone
    shipped_cal = json.loads((default_weights_dir() / "calibration.json").read_text())["evidence"]
    rules = EvidenceRules.from_calibration(model.calibration)
    assert rules.comb_threshold_z == shipped_cal["comb_threshold_z"] > EvidenceRules().comb_threshold_z
    assert rules.fakeprint_threshold_logit == shipped_cal["fakeprint_threshold_logit"]
    assert rules.cnn_confound_logit == math.inf and "cnn_confound_logit" not in model.calibration.raw["evidence"]

    # Resuming a finished run trains nothing more and gives identical weights.
    before = (out / "patch_cnn.pt").read_bytes()
    assert pipeline_main(args) == 0
    assert "resumed at step 6" in capsys.readouterr().err
    assert (out / "patch_cnn.pt").read_bytes() == before


def test_calibration_for_other_weights_is_refused(mini_dataset, tmp_path, tiny_weights):
    import shutil

    w = tmp_path / "w"
    shutil.copytree(tiny_weights, w)
    cal = json.loads((w / "calibration.json").read_text())
    cal["model_sha256"] = "0" * 64
    (w / "calibration.json").write_text(json.dumps(cal))
    man = json.loads((w / "manifest.json").read_text())
    import hashlib

    man["files"]["calibration"]["sha256"] = hashlib.sha256((w / "calibration.json").read_bytes()).hexdigest()
    from forensic_app.core.weights import write_manifest

    write_manifest(w, man)  # even a consistently re-sealed bundle cannot pair a calibration with other weights
    with pytest.raises(ModelError, match="fitted for other weights"):
        load_model(w)


def test_tampered_weights_are_refused(tmp_path, tiny_weights):
    import shutil

    w = tmp_path / "w"
    shutil.copytree(tiny_weights, w)
    data = bytearray((w / "patch_cnn.pt").read_bytes())
    data[-10] ^= 0xFF
    (w / "patch_cnn.pt").write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match its manifest"):
        load_model(w)


def test_recalibrating_in_place_keeps_weights_and_binds_the_new_calibration(mini_dataset, tmp_path):
    out = tmp_path / "weights"
    assert (
        pipeline_main(
            [
                "train",
                "--cache-dir",
                str(mini_dataset),
                "--out",
                str(out),
                "--steps",
                "4",
                "--batch",
                "4",
                "--channels",
                "4,4,8,8,8,8",
            ]
        )
        == 0
    )
    weights_before = (out / "patch_cnn.pt").read_bytes()
    cal = json.loads((out / "calibration.json").read_text())
    cal["thresholds"]["likely_fake"] = 0.123  # a stale fit that recalibration must replace
    # what the evidence and heatmap studies fitted on these weights' readings must survive the refit
    cal["evidence"] = {"comb_threshold_z": 20.5, "fakeprint_threshold_logit": 5.2, "rule": "study"}
    cal["patch_null"] = {
        "levels": [1.0],
        "logit_at_level": [[0.0]],
        "row_max": [1.0],
        "floor": 0.5,
        "margin_logit": 0.5,
        "n_patches": 1,
    }
    (out / "calibration.json").write_text(json.dumps(cal))

    assert pipeline_main(["calibrate", "--cache-dir", str(mini_dataset), "--weights", str(out)]) == 0
    model = load_model(out)  # verifies every sha256 in the manifest
    assert (out / "patch_cnn.pt").read_bytes() == weights_before
    assert model.calibration.threshold_fake >= 0.6 and "margin" in model.calibration.raw["thresholds"]["rule"]
    assert (
        model.calibration.raw["evidence"] == cal["evidence"]
        and model.calibration.raw["patch_null"] == cal["patch_null"]
    )

    data = bytearray(weights_before)
    data[-10] ^= 0xFF
    (out / "patch_cnn.pt").write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match its manifest"):
        pipeline_main(["calibrate", "--cache-dir", str(mini_dataset), "--weights", str(out)])


def test_a_checkpoint_from_before_the_dataset_grew_is_not_resumed(mini_dataset, tmp_path, capsys):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(mini_dataset, data, ignore=shutil.ignore_patterns("features", "runs", "comb_scores*"))
    args = [
        "train",
        "--cache-dir",
        str(data),
        "--out",
        str(tmp_path / "w"),
        "--steps",
        "4",
        "--batch",
        "4",
        "--channels",
        "4,4,8,8,8,8",
    ]
    assert pipeline_main(args) == 0
    with open(data / "index.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    extra = {**next(r for r in rows if r["split"] == "train" and r["label"] == "real"), "id": "real-train-extra"}
    with open(data / "index.csv", "a", newline="") as f:
        csv.DictWriter(f, FIELDS).writerow(extra)
    capsys.readouterr()

    assert pipeline_main(args) == 0
    err = capsys.readouterr().err
    assert "training data changed" in err and "resumed at step" not in err
    man = json.loads((tmp_path / "w" / "manifest.json").read_text())
    assert man["training"]["data"]["by_split_family"]["train/real"] == 5


def test_kinds_train_but_leave_calibration_and_the_comb_reference_to_real_recordings(mini_dataset, tmp_path):
    """A held pulse note in validation (a perfect line comb) must not set the likely_fake line or speak
    for real music in the comb reference; it is still a real segment that training draws."""
    import shutil

    from forensic_app.core.detectors.comb.reference import CombReference
    from forensic_app.training import kinds

    data = tmp_path / "data"
    shutil.copytree(mini_dataset, data, ignore=shutil.ignore_patterns("features", "runs", "comb_scores*"))
    new_rows = []
    for split in ("train", "val"):
        rid = f"kind-pulse-{split}"
        sf.write(str(data / f"segments/{rid}.flac"), kinds.pulse_note(3, 10.0), RATE, subtype="PCM_16")
        new_rows.append(
            {
                "id": rid,
                "path": f"segments/{rid}.flac",
                "label": "real",
                "family": "real",
                "generator": "original",
                "pair_id": "",
                "source_package": "kind/synth: pulse note",
                "split": split,
                "augment": "",
                "heldout": "0",
                "duration_s": "10.0",
            }
        )
    with open(data / "index.csv", "a", newline="") as f:
        csv.DictWriter(f, FIELDS).writerows(new_rows)
    out = tmp_path / "w"
    assert (
        pipeline_main(
            [
                "train",
                "--cache-dir",
                str(data),
                "--out",
                str(out),
                "--steps",
                "4",
                "--batch",
                "4",
                "--channels",
                "4,4,8,8,8,8",
            ]
        )
        == 0
    )
    man = json.loads((out / "manifest.json").read_text())
    assert man["training"]["data"]["real_by_split_source"]["train/kind/synth: pulse note"] == 1
    with open(mini_dataset / "index.csv", newline="") as f:
        n_val_real = sum(r["split"] == "val" and r["label"] == "real" for r in csv.DictReader(f))
    cal = json.loads((out / "calibration.json").read_text())
    assert cal["fit"]["n_val_real"] == n_val_real  # the kind is not among them
    ref = CombReference.from_json(out / "comb_reference.json")
    assert ref.z_scores_by_source and not any(s.startswith("kind/") for s in ref.z_scores_by_source)
