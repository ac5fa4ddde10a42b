"""Help > About shows the released model bundle's hash, and says when the weights in use are not that bundle."""

from __future__ import annotations

import json
import shutil

from forensic_app import resources
from forensic_app.core import released


def test_about_shows_the_released_bundle(qtbot):
    from forensic_app.gui.about_dialog import AboutDialog

    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    text = " ".join(dialog.text.toPlainText().split())
    assert text.count(released.RELEASED_BUNDLE_SHA256) == 2  # the bundle in use, and the released one
    assert "the released bundle" in text and "modified model" not in text


def test_about_says_when_the_weights_are_a_modified_model(qtbot, tmp_path):
    from forensic_app.core.weights import write_manifest
    from forensic_app.gui.about_dialog import AboutDialog

    weights = tmp_path / "weights"
    shutil.copytree(resources.weights_dir(), weights)
    raw = json.loads((weights / "manifest.json").read_text(encoding="utf-8"))
    raw["input"]["norm_scale_db"] = 10.0
    write_manifest(weights, raw)  # sealed, but not the released bundle
    dialog = AboutDialog(weights_dir=str(weights))
    qtbot.addWidget(dialog)
    text = " ".join(dialog.text.toPlainText().split())
    assert "modified model: not the released bundle" in text
    assert text.count(released.RELEASED_BUNDLE_SHA256) == 1  # only as the released one
    assert json.loads((weights / "manifest.json").read_text())["bundle_sha256"] in text  # the bundle in use
