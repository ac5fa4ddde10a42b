"""One integrity policy for the model bundle: the released hash lives in code, the seal is mandatory and covers
every file the manifest lists, and a bundle that is not the released one runs only when asked for, marked."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys

import pytest
import soundfile as sf

from forensic_app.cli import main
from forensic_app.core import bundle, released
from forensic_app.core.bundle import ENV_ALLOW_MODIFIED, check_bundle, write_manifest
from forensic_app.core.errors import BundleError
from forensic_app.core.weights import default_weights_dir, load_model
from forensic_app.resources import PACKAGE_DIR
from forensic_app.training.synth import music_like
from forensic_app.training.tiny import write_tiny_model
from tests.report._pdfread import page_texts, words

DEMO = PACKAGE_DIR.parent / "resources" / "demo" / "karissa_hobbs-lets_go_fishin-excerpt.flac"
RELEASE_STEP = "python -m forensic_app.core.bundle --release"


@pytest.fixture
def released_only(monkeypatch):
    """As a user runs the app: no --allow-modified-model (the test suite allows tiny bundles by default)."""
    monkeypatch.delenv(ENV_ALLOW_MODIFIED, raising=False)


@pytest.fixture
def shipped_copy(tmp_path):
    copy = tmp_path / "weights"
    shutil.copytree(default_weights_dir(), copy)
    return copy


def _manifest(d):
    return json.loads((d / "manifest.json").read_text(encoding="utf-8"))


def _save(d, raw):  # what an editor does: the file as it is, no seal recomputed
    (d / "manifest.json").write_text(json.dumps(raw, indent=1), encoding="utf-8")


def _rehash(d, raw, key):
    raw["files"][key]["sha256"] = hashlib.sha256((d / raw["files"][key]["path"]).read_bytes()).hexdigest()


def test_the_shipped_weights_are_the_released_bundle():
    digest = check_bundle(default_weights_dir()).sha256
    assert digest == released.RELEASED_BUNDLE_SHA256, (
        f"weights/ hashes to {digest}, but forensic_app/core/released.py says {released.RELEASED_BUNDLE_SHA256}. "
        f"After a retrain or recalibration run `{RELEASE_STEP}` (it rewrites RELEASED_BUNDLE_SHA256 and the README) "
        "and commit both with weights/"
    )
    readme = (PACKAGE_DIR.parent / "README.md").read_text(encoding="utf-8")
    assert f"released model bundle is sha256 `{digest}`" in readme, f"README.md: run `{RELEASE_STEP}`"


def test_the_demo_with_an_unsealed_edited_contract_is_refused(released_only, shipped_copy, capsys):
    """The user's edit: bundle_sha256 deleted, norm_scale_db 30 -> 10 (which turned the demo song 'likely AI')."""
    raw = _manifest(shipped_copy)
    del raw["bundle_sha256"]
    raw["input"]["norm_scale_db"] = 10.0
    _save(shipped_copy, raw)
    code = main(["analyze", str(DEMO), "--weights", str(shipped_copy), "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "no bundle_sha256 seal" in err and "--allow-modified-model" in err


def _edit_threshold(d, raw):
    cal = json.loads((d / "calibration.json").read_text(encoding="utf-8"))
    cal["thresholds"]["likely_fake"] = 0.3
    (d / "calibration.json").write_text(json.dumps(cal), encoding="utf-8")
    _rehash(d, raw, "calibration")


def _drop_fakeprint(d, raw):
    del raw["files"]["fakeprint"]


def _edit_contract(d, raw):
    raw["input"]["norm_scale_db"] = 10.0


@pytest.mark.parametrize("edit", [_edit_threshold, _drop_fakeprint, _edit_contract])
@pytest.mark.parametrize("sealing", ["unsealed", "resealed"])
def test_any_other_bundle_is_refused(released_only, shipped_copy, edit, sealing):
    raw = _manifest(shipped_copy)
    edit(shipped_copy, raw)
    if sealing == "unsealed":
        del raw["bundle_sha256"]
        _save(shipped_copy, raw)
        why = "no bundle_sha256 seal"
    else:  # consistently resealed: only the released hash in the code tells it apart
        write_manifest(shipped_copy, raw)
        why = "not the released one"
    with pytest.raises(BundleError, match=why):
        load_model(shipped_copy)


def test_the_licence_file_is_verified_too(shipped_copy):
    (shipped_copy / "fakeprint_lofcz.LICENSE").write_text("Any use, no conditions.\n", encoding="utf-8")
    with pytest.raises(BundleError, match="fakeprint_lofcz.LICENSE does not match its manifest"):
        load_model(shipped_copy, allow_modified=True)  # a changed file is refused even then


def test_a_modified_bundle_runs_when_asked_and_every_output_says_so(released_only, shipped_copy, tmp_path, capsys):
    raw = _manifest(shipped_copy)
    raw["input"]["norm_scale_db"] = 10.0
    _save(shipped_copy, raw)
    assert (
        subprocess.run(
            [sys.executable, "-m", "forensic_app.core.bundle", "--seal", str(shipped_copy)],
            capture_output=True,
            timeout=120,
        ).returncode
        == 0
    )
    wav = tmp_path / "music-44100-1-16.wav"
    sf.write(wav, music_like(6.0, 44100, 3), 44100, subtype="PCM_16")
    pdf = tmp_path / "report.pdf"
    args = [str(wav), "--weights", str(shipped_copy), "--no-progress", "--allow-modified-model"]
    assert main(["analyze", *args, "--json", "--report", str(pdf)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"]["modified"] is True and result["model"]["bundle_sha256"] != released.RELEASED_BUNDLE_SHA256
    assert result["notes"][0]["code"] == "modified_model" and "not the released one" in result["notes"][0]["text"]
    assert "--allow-modified-model" in result["provenance"]["command"]
    page1 = words(page_texts(pdf)[:1])
    assert "MODIFIED MODEL" in page1 and "modified model: not the released bundle" in page1
    assert main(["analyze", *args]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[1].startswith("  Modified model: this analysis ran on a model bundle that is not the released one")
    assert main(["analyze", str(wav), "--weights", str(shipped_copy), "--no-progress"]) == 2  # not without asking


def test_the_released_bundle_is_not_marked(released_only, tmp_path):
    from forensic_app.core.analysis import analyze

    wav = tmp_path / "music-44100-1-16.wav"
    sf.write(wav, music_like(4.0, 44100, 1), 44100, subtype="PCM_16")
    r = analyze(wav)
    assert r.provenance.model.modified is False and r.provenance.model.bundle_sha256 == released.RELEASED_BUNDLE_SHA256
    assert "modified_model" not in [n.code for n in r.notes]


def test_writing_the_checkouts_weights_records_the_released_hash(tmp_path, monkeypatch, capsys):
    """A retrain writes weights/ through write_manifest: the released constant and the README follow it."""
    source_weights, constant, readme = tmp_path / "weights", tmp_path / "released.py", tmp_path / "README.md"
    constant.write_text(bundle.RELEASED_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    readme.write_text(
        f"The released model bundle is sha256 `{released.RELEASED_BUNDLE_SHA256}` (About shows it).\n", encoding="utf-8"
    )
    monkeypatch.setattr(bundle, "SOURCE_WEIGHTS", source_weights)
    monkeypatch.setattr(bundle, "RELEASED_FILE", constant)
    monkeypatch.setattr(bundle, "README", readme)
    monkeypatch.setattr(bundle, "is_source_weights", lambda d: d.resolve() == source_weights.resolve())
    monkeypatch.setattr(released, "RELEASED_BUNDLE_SHA256", released.RELEASED_BUNDLE_SHA256)  # restored afterwards
    write_tiny_model(source_weights, seed=7)  # save_model_bundle -> write_manifest, as train and calibrate do
    digest = check_bundle(source_weights).sha256
    assert f'RELEASED_BUNDLE_SHA256 = "{digest}"' in constant.read_text(encoding="utf-8")
    assert f"released model bundle is sha256 `{digest}`" in readme.read_text(encoding="utf-8")
    assert digest in capsys.readouterr().err
    assert not check_bundle(source_weights).modified
    write_tiny_model(tmp_path / "elsewhere", seed=7)  # any other folder stays a modified bundle
    assert f'"{digest}"' in constant.read_text(encoding="utf-8")


def test_help_names_the_release_step():
    r = subprocess.run(
        [sys.executable, "-m", "forensic_app.core.bundle", "--help"], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0 and "--release" in r.stdout and "released.py" in r.stdout


def test_a_case_report_from_a_modified_model_says_so_on_page_1(tmp_path, tiny_weights):
    from forensic_app.case import new_case
    from forensic_app.case.report import write_case_report

    lanes = [write_wav(tmp_path / f"{name}.wav", seed) for seed, name in enumerate(("mix", "master"))]
    case = new_case(lanes, weights_dir=tiny_weights)  # allowed as --allow-modified-model allows it: the environment
    page1 = words(page_texts(write_case_report(case, tmp_path / "case.pdf"))[:1])
    assert "MODIFIED MODEL: this analysis ran on a model bundle that is not the released one" in page1


def write_wav(path, seed):
    sf.write(path, music_like(4.0, 44100, seed), 44100, subtype="PCM_16")
    return path
