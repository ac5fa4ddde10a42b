"""Help > About: versions of app, model and calibration, licences of what ships, where to get it."""

from __future__ import annotations

import html
from typing import Optional

from PySide6 import QtCore, QtWidgets

from ..about import AboutInfo, gather
from . import geometry

ABOUT_SIZE = (740, 560)  # wide enough for a sha256 on one line


def credit_entries(credits: str) -> list[tuple[str, str]]:
    """CREDITS.txt as (file name, text) pairs: an unindented line names a file, indented lines describe it."""
    entries: list[tuple[str, list[str]]] = []
    for line in credits.splitlines():
        if line.strip() and not line[0].isspace():
            entries.append((line.strip(), []))
        elif line.strip():
            if not entries:
                entries.append(("", []))
            entries[-1][1].append(line.strip())
    return [(name, " ".join(lines)) for name, lines in entries]


def about_html(info: AboutInfo) -> str:
    e = html.escape
    rows = [("App", f"forensic_app {e(info.app_version)} (Python {e(info.python_version)}, Qt {e(QtCore.qVersion())})")]
    if info.problem:
        rows.append(("Model", e(info.problem)))
    else:
        status = e(info.bundle_status)
        if info.modified:
            status = f"<b style='color:#c0392b'>{status}</b>"
        rows += [
            ("Model", f"{e(info.model_name)} {e(info.model_version)}"),
            ("Calibration", e(info.calibration_version) or "not listed in the manifest"),
            ("Model bundle", f"<tt>{e(info.bundle_sha256)}</tt><br>{status}"),
        ]
    rows.append(
        (
            "Released bundle",
            f"<tt>{e(info.released_bundle_sha256)}</tt><br>the sha256 this version's "
            "weights must have (also in the README)",
        )
    )
    rows.append(("Weights folder", e(str(info.weights_dir))))
    table = "".join(f"<tr><td style='padding-right:12px'><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows)
    parts = [
        f"<h3>forensic_app {e(info.app_version)}</h3>",
        "<p>Offline analyzer for AI-generated music. Nothing leaves your machine.</p>",
        f"<table>{table}</table>",
        "<h4>Licences</h4>",
        f"<p><b>The app</b>: {e(info.app_licence)}. <b>Its detector weights</b> (trained by this project): "
        f"{e(info.weights_licence) if info.weights_licence else 'shipped with the app, under its licence'}.</p>",
    ]
    if info.third_party:
        for tp in info.third_party:
            bits = [f"<b>{e(tp.name)}</b> (third-party model)"]
            bits.append(f"licence: {e(tp.licence)}" if tp.licence else "licence: see its licence file")
            if tp.source:
                bits.append(f"source: {e(tp.source)}")
            if tp.licence_file is not None:
                where = e(str(tp.licence_file)) + (
                    "" if tp.licence_file.is_file() else " (missing from this installation)"
                )
                bits.append(f"licence text: {where}")
            if tp.notes:
                bits.append(e(tp.notes))
            parts.append("<p>" + "; ".join(bits) + ".</p>")
    else:
        parts.append("<p>No third-party model ships with this version.</p>")
    if info.coverage:
        parts.append(
            "<h4>Generator profiles applied (decoder fingerprints)</h4><p>"
            + "<br>".join(e(line) for line in info.coverage)
            + "</p>"
        )
    if info.demo_credits:
        for name, text in credit_entries(info.demo_credits):
            parts.append(f"<p><b>Demo track</b> <tt>{e(name)}</tt>: {e(text)}</p>")
    else:
        parts.append("<p>No demo track in this installation.</p>")
    parts.append(f"<h4>Where to get the app</h4><p>{e(info.home)}</p>")
    return "".join(parts)


class AboutDialog(QtWidgets.QDialog):
    def __init__(self, parent: Optional[QtWidgets.QWidget] = None, *, weights_dir: Optional[str] = None):
        super().__init__(parent)
        self.setWindowTitle("About forensic_app")
        self.info = gather(weights_dir)
        lay = QtWidgets.QVBoxLayout(self)
        self.text = QtWidgets.QTextBrowser()
        self.text.setOpenExternalLinks(False)
        self.text.setHtml(about_html(self.info))
        lay.addWidget(self.text, 1)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        geometry.size_to_screen(self, ABOUT_SIZE)
