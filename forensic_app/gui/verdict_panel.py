"""The verdict in words: calibrated probability with its interval, band, attribution,
comb evidence (with its residual spectrum), the generator profiles, every confidence note, and
what the file declares about itself (its own headline under the verdict when it declares an AI
origin, never part of the verdict). Never a bare score."""

from __future__ import annotations

import html
import re
from typing import Any, Optional

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ..core.detectors.comb import comb_finding
from ..core.result import AnalysisResult, CombEvidence, InputInfo
from ..core.robustness import points_change, reference_probability, reference_row
from ..core.vocabulary import HELD_WORDS, PROBABILITY_LABEL, display_name, VERDICT_MEANING, format_probability
from ..core.vocabulary import probability_text, profile_label
from ..core.vocabulary import peak_frequencies_words
from ..core.vocabulary import HEADLINE_COLOUR_OF, TOO_SHORT, TOO_SHORT_MEANING
from . import colours
from .profile_lane import profile_evidence
from .scales import format_hz, format_time


def _pct(p: float) -> str:
    """format_probability for rich text: '< 1 %' must not read as a tag."""
    return html.escape(format_probability(p))


MAX_DRAWN_LINES = 24
PROFILES_LISTED = 3  # the closest profiles named in the panel (all of them are in the report and the JSON)
_LONG_TOKEN = re.compile(r"\S{40,}")  # a hash, a URL: not a long word of the coverage line


def breakable(text: str) -> str:
    """``text`` with a zero-width space every 16 characters of a long unbroken run (a sha256, a URL):
    a label wraps only at spaces, and one 64-character hash would set the whole panel's width."""
    return _LONG_TOKEN.sub(lambda m: "\u200b".join(m.group(0)[i : i + 16] for i in range(0, len(m.group(0)), 16)), text)


def _text(text: str) -> str:
    """Plain text for a rich-text label: escaped, and breakable where it runs long."""
    return html.escape(breakable(text))


def probability_sentence(result: AnalysisResult) -> str:
    """The score as a sentence, always with its interval and what it is not."""
    text = probability_text(result.probability_fake, result.interval, result.held)
    value, _, rest = text.partition(" (")
    shown = f"<b>{html.escape(value)}</b> ({html.escape(rest)}"
    if result.held:
        return f"{PROBABILITY_LABEL}: {shown}. <i>{html.escape(HELD_WORDS[result.held])}</i>"
    return f"{PROBABILITY_LABEL}: {shown}. An estimate from statistical detectors, not proof."


def coverage_html(result: AnalysisResult) -> str:
    return _text(result.coverage_line)


def declared_html(result: AnalysisResult) -> str:
    """The "What the file declares" lines (tags, encoder, Content Credential), one a line."""
    row = result.detector("declared")
    if row is None:
        return "Not read for this analysis."
    lines = row.details.get("lines") or [row.summary]
    return "<br>".join(_text(str(line)) for line in lines)


def _profile_name(p: dict[str, Any]) -> str:
    return profile_label(str(p.get("name", "")), str(p.get("kind", "built-in")))


def _validation_words(v: dict[str, Any]) -> str:
    """A profile's validation figures in words (built-in profiles and taught ones name them differently)."""
    detected = v.get("cv_detection", v.get("detection_logo"))
    fp = v.get("fp_leave_one_source_out_max", v.get("fp_reference_loso_max"))
    parts = []
    if detected is not None:
        parts.append(f"recognised {float(detected):.0%} of its own examples held out in turn")
    if fp is not None:
        parts.append(
            "no real-music source of the reference reached it, each held out in turn"
            if float(fp) == 0
            else f"at most {float(fp):.1%} of a real-music source of the reference reached it"
        )
    return "; ".join(parts)


def profile_facts_html(p: dict[str, Any]) -> str:
    """Name, kind, examples, date, validation and sha256 of the profile a verdict rests on."""
    kind = "your own profile" if p.get("kind") == "user" else "built-in profile"
    parts = [
        f"<b>{_text(_profile_name(p))}</b> ({kind})",
        f"taught from {int(p.get('n_examples', 0))} examples on {_text(str(p.get('created') or 'an unknown date'))}",
    ]
    words = _validation_words(p.get("validation") or {})
    if words:
        parts.append(_text(words))
    parts.append(f"sha256 <span style='font-family: monospace'>{_text(str(p.get('sha256', '')))}</span>")
    return "; ".join(parts) + "."


def profiles_html(result: AnalysisResult) -> str:
    """Which generator profile matched (or the closest and how far below its threshold), the profile the
    verdict rests on with its facts, and the closest few with their distance to their thresholds."""
    row = result.detector("profiles")
    if row is None:
        return "No generator profiles were applied in this analysis."
    alone = "" if row.probability_fake is None else f"(this line alone: {_pct(row.probability_fake)}) "
    out = [alone + _text(row.summary)]
    profiles = [p for p in row.details.get("profiles", ()) if p.get("logit") is not None]
    closest = row.details.get("closest")
    if result.deciding_evidence == "profiles":
        decided = next((p for p in profiles if p.get("name") == closest), None)
        if decided is not None:
            out.append("<b>The verdict rests on this profile:</b> " + profile_facts_html(decided))
    if profiles:
        ranked = sorted(profiles, key=lambda p: -(p["logit"] - p["threshold_logit"]))[:PROFILES_LISTED]
        rows = []
        for p in ranked:
            m = p["logit"] - p["threshold_logit"]
            where = (
                f"<b>matches</b>, {m:+.1f} logits over its threshold"
                if p.get("match")
                else f"{-m:.1f} logits below its threshold"
            )
            rows.append(f"{_text(_profile_name(p))}: {where}")
        n = len(row.details.get("profiles", ()))
        out.append(f"Closest of the {n} profiles applied:<br>" + "<br>".join(rows))
    if profile_evidence(result) is not None:
        out.append(
            "Its strongest peak frequencies are drawn on the spectrogram and marked on the fakeprint plot "
            "below (green); the lane under the timeline shows its reading per ~10 s window (display only)."
        )
    return "<p style='margin:0 0 4px 0'>" + "</p><p style='margin:0 0 4px 0'>".join(out) + "</p>"


def fakeprint_sentence(ev) -> str:
    if ev is None:
        return "This model does not include the fakeprint detector."
    if not ev.measured:
        return html.escape(f"Not measured: {ev.reason}.")
    tops = peak_frequencies_words(f for f, _ in ev.top_bins)
    return html.escape(
        f"Logit {ev.logit:+.1f} (first {ev.seconds_used:.0f} s). The bins that weigh most towards "
        f"'AI' here: {tops or 'none'}."
    )


def comb_sentence(comb: CombEvidence) -> str:
    parts = [html.escape(comb_finding(comb))]
    if comb.real_fp_rate is not None:
        share = comb.real_fp_rate
        if share <= 0:
            parts.append("No track in our reference set of real music showed a comb this strong.")
        else:
            # "1 in N" reads well only for rare events: 40 % is not "1 track in 2"
            odds = f" (about 1 track in {round(1.0 / share)})" if share <= 0.2 else ""
            parts.append(
                f"A comb at least this strong occurs in about {_pct(share)} of real music in our reference set{odds}."
            )
    else:
        parts.append("How often real music shows such a comb was not measured for this model.")
    return " ".join(parts)


def robustness_html(result: AnalysisResult) -> str:
    """The robustness rows in words, or how to run the check."""
    if result.robustness is None:
        return (
            "Not checked. <i>Analysis ▸ Check robustness</i> repeats the analysis on re-encoded and "
            "manipulated copies to show whether the score depends on such processing."
        )
    ref = reference_row(result.robustness)
    p0 = reference_probability(result.probability_fake, result.robustness)
    lines = []
    for row in result.robustness:
        p = row.get("probability_fake")
        if p is None:
            value = html.escape(row.get("note", "not run"))
        elif row is ref:
            value = _pct(p)
        else:
            value = f"{_pct(p)} ({points_change(p, p0)})"
        value = value.replace("\u202f", "&nbsp;")  # Qt may break at a narrow space: "3 / %"
        lines.append(f"{html.escape(row['manipulation'])}: <b>{value}</b>")
    moved = [
        abs(r["probability_fake"] - p0)
        for r in result.robustness
        if r.get("probability_fake") is not None and r is not ref
    ]
    summary = ""
    if moved:
        summary = (
            "<br>The score stayed within 10 points under every manipulation."
            if max(moved) < 0.1
            else "<br><b>The score moved by 10 points or more under some manipulations: it depends on fragile "
            "traces, so give it less weight.</b>"
        )
    changed = [
        r["manipulation"]
        for r in result.robustness
        if r.get("verdict") and r is not ref and r["verdict"] != result.verdict
    ]
    if changed:
        summary += "<br>The verdict changed after: " + html.escape("; ".join(changed)) + "."
    return "Same analysis on manipulated copies:<br>" + "<br>".join(lines) + summary


def input_sentence(info: InputInfo) -> str:
    lossy = "lossy" if info.is_lossy else "lossless"
    return (
        f"{html.escape(info.file_name)} \u2014 {html.escape(info.format)} {html.escape(info.subtype)} ({lossy}), "
        f"{info.sample_rate} Hz, {info.channels} ch, {format_time(info.duration_s)}; "
        f"SHA-256 {info.file_sha256[:16]}\u2026"
    )


def _label(text: str = "", *, rich: bool = True, selectable: bool = True) -> QtWidgets.QLabel:
    lab = QtWidgets.QLabel(text)
    lab.setWordWrap(True)
    lab.setTextFormat(QtCore.Qt.TextFormat.RichText if rich else QtCore.Qt.TextFormat.PlainText)
    if selectable:
        lab.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
    lab.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop)
    return lab


def _heading(text: str) -> QtWidgets.QLabel:
    lab = QtWidgets.QLabel(text)
    lab.setWordWrap(True)  # an unwrapped heading would set the panel's minimum width
    font = lab.font()
    font.setBold(True)
    lab.setFont(font)
    lab.setStyleSheet("color: #404050; margin-top: 6px;")
    return lab


def _small_plot(left: str, bottom: str) -> pg.PlotWidget:
    plot = pg.PlotWidget(background="#ffffff")
    plot.setMinimumHeight(150)
    plot.setMinimumWidth(120)
    plot.setMaximumHeight(190)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    pi = plot.getPlotItem()
    for name in ("left", "bottom"):
        ax = pi.getAxis(name)
        ax.setPen("#606070")
        ax.setTextPen("#303040")
    pi.setLabel("left", left)
    pi.setLabel("bottom", bottom)
    pi.getAxis("bottom").enableAutoSIPrefix(True)
    plot.setMouseEnabled(x=False, y=False)  # the panel scrolls with the wheel; a plot must not swallow it and zoom away
    return plot


class VerdictPanel(QtWidgets.QScrollArea):
    def __init__(self, parent: Optional[QtWidgets.QWidget] = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setMinimumWidth(300)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QtWidgets.QWidget()
        self.setWidget(body)
        lay = QtWidgets.QVBoxLayout(body)
        lay.setContentsMargins(12, 10, 12, 10)
        lay.setSpacing(4)

        self.verdict_label = QtWidgets.QLabel()
        font = self.verdict_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.verdict_label.setFont(font)
        self.verdict_label.setWordWrap(True)
        self.probability_label = _label()
        self.meter = _IntervalMeter()
        self.band_label = _label()
        self.coverage_label = _label()
        self.coverage_label.setStyleSheet("color: #505060;")
        # what the file itself declares (an AI origin only): under the verdict, never inside it
        self.declared_headline = _label()
        self.declared_headline.setStyleSheet(
            "color: #7a4a00; background: #fff4dc; border-left: 3px solid #d08a00; padding: 3px 6px;"
        )
        self.declared_headline.setToolTip(
            "What the file's own tags or Content Credentials say. A declaration is a "
            "claim anyone can write or remove: the verdict above is about the audio alone."
        )
        self.declared_headline.hide()
        lay.addWidget(self.verdict_label)
        lay.addWidget(self.declared_headline)
        lay.addWidget(self.coverage_label)
        lay.addWidget(self.probability_label)
        lay.addWidget(self.meter)
        lay.addWidget(self.band_label)

        lay.addWidget(_heading("What to read with it"))
        self.notes_label = _label()
        lay.addWidget(self.notes_label)

        lay.addWidget(_heading("Generator profiles"))
        self.profiles_label = _label()
        lay.addWidget(self.profiles_label)

        lay.addWidget(_heading("Which generator family?"))
        self.attribution_label = _label()
        lay.addWidget(self.attribution_label)

        lay.addWidget(_heading("Spectral comb (upsampling artefacts)"))
        self.comb_label = _label()
        lay.addWidget(self.comb_label)
        self.comb_plot = _small_plot("dB", "Hz")
        lay.addWidget(self.comb_plot)

        lay.addWidget(_heading("Fakeprint (Suno/Udio, third-party model)"))
        self.fakeprint_label = _label()
        lay.addWidget(self.fakeprint_label)
        self.fakeprint_plot = _small_plot("1-8 kHz peak residue (0-1)", "Hz")
        lay.addWidget(self.fakeprint_plot)
        self.fakeprint_legend = _label()
        self.fakeprint_legend.setStyleSheet("color: #505060;")
        lay.addWidget(self.fakeprint_legend)

        lay.addWidget(_heading("Detectors"))
        self.detectors_label = _label()
        lay.addWidget(self.detectors_label)

        lay.addWidget(_heading("What the file declares"))
        self.declared_label = _label()
        lay.addWidget(self.declared_label)

        lay.addWidget(_heading("Robustness"))
        self.robustness_label = _label()
        lay.addWidget(self.robustness_label)

        lay.addWidget(_heading("File and model"))
        self.input_label = _label()
        self.provenance_label = _label()
        lay.addWidget(self.input_label)
        lay.addWidget(self.provenance_label)
        lay.addStretch(1)
        self.show_waiting("No track open.")

    # ------------------------------------------------------------------
    def show_waiting(self, message: str) -> None:
        self.verdict_label.setText("No verdict yet")
        self.verdict_label.setStyleSheet("color: #606070;")
        self.probability_label.setText(html.escape(message))
        self.meter.set_values(None, None)
        for lab in (
            self.band_label,
            self.coverage_label,
            self.fakeprint_label,
            self.notes_label,
            self.attribution_label,
            self.comb_label,
            self.detectors_label,
            self.robustness_label,
            self.input_label,
            self.provenance_label,
            self.profiles_label,
            self.declared_label,
        ):
            lab.setText("\u2014")
        self.declared_headline.hide()
        self.fakeprint_legend.hide()
        self.comb_plot.clear()
        self.comb_plot.hide()
        self.fakeprint_plot.clear()
        self.fakeprint_plot.hide()

    def show_robustness_running(self) -> None:
        self.robustness_label.setText("Analysing manipulated copies of the audio… (progress in the status bar)")

    def set_input(self, info: InputInfo) -> None:
        self.input_label.setText(input_sentence(info))

    def set_result(self, result: AnalysisResult) -> None:
        headline = (
            result.headline
        )  # "too_short": a "No traces" on a clip too short to tell (vocabulary.headline_verdict)
        colour = colours.VERDICT_COLOURS.get(HEADLINE_COLOUR_OF.get(headline, headline), "#303040")
        self.verdict_label.setText(html.escape(result.verdict_words))
        self.verdict_label.setStyleSheet(f"color: {colour};")
        self.probability_label.setText(probability_sentence(result))
        self.meter.set_values(result.probability_fake, result.interval)
        self.band_label.setText(
            html.escape(TOO_SHORT_MEANING if headline == TOO_SHORT else VERDICT_MEANING.get(result.verdict, ""))
        )
        headline = result.declaration_headline
        self.declared_headline.setText(_text(headline or ""))
        self.declared_headline.setVisible(bool(headline))
        self.coverage_label.setText(coverage_html(result))
        self._set_fakeprint(result.fakeprint, result)
        self.profiles_label.setText(profiles_html(result))
        self.declared_label.setText(declared_html(result))
        self.notes_label.setText(self._notes_html(result))
        self.attribution_label.setText(self._attribution_html(result))
        self._set_comb(result.comb)
        self.detectors_label.setText(self._detectors_html(result))
        self.robustness_label.setText(robustness_html(result))
        self.input_label.setText(input_sentence(result.input))
        m = result.provenance.model
        self.provenance_label.setText(
            f"Model {html.escape(m.name)} {html.escape(m.version)} (calibration {html.escape(m.calibration_version).replace('+', '+&#8203;')}), "
            f"forensic_app {html.escape(result.provenance.app_version)}, analysed {html.escape(result.provenance.analysed_at)}."
        )

    @staticmethod
    def _notes_html(result: AnalysisResult) -> str:
        if not result.notes:
            return "No special conditions were detected for this file."
        from ..report.decision import decide  # the notes as the report words them: none contradicts the verdict (#26)

        words = {"info": "Note", "caution": "Caution", "warning": "Warning"}
        rows = []
        for note in decide(result).notes:
            c = colours.SEVERITY_COLOURS.get(note.severity, "#303040")
            rows.append(
                f"<p style='margin:0 0 4px 0'><b style='color:{c}'>{words.get(note.severity, 'Note')}:</b> "
                f"{_text(note.text)}</p>"
            )
        return "".join(rows)

    @staticmethod
    def _attribution_html(result: AnalysisResult) -> str:
        if not result.attribution:
            return "No attribution: the evidence does not single out a known generator family."
        items = sorted(result.attribution.items(), key=lambda kv: -kv[1])
        lines = [f"{html.escape(display_name(name))}: {_pct(p)}" for name, p in items[:4]]
        return "Closest among the families the model was trained on (not an identification):<br>" + "<br>".join(lines)

    @staticmethod
    def _detectors_html(result: AnalysisResult) -> str:
        if not result.detectors:
            return "\u2014"
        rows = []
        for d in result.detectors:
            if d.name in ("declared", "profiles"):  # each has its own section (a declaration is no detector)
                continue
            p = "" if d.probability_fake is None else f" (this detector alone: {_pct(d.probability_fake)})"
            rows.append(f"<p style='margin:0 0 4px 0'><b>{html.escape(d.title)}</b>{p}: {_text(d.summary)}</p>")
        return "".join(rows)

    def _set_fakeprint(self, ev, result: Optional[AnalysisResult] = None) -> None:
        self.fakeprint_label.setText(fakeprint_sentence(ev))
        self.fakeprint_plot.clear()
        self.fakeprint_legend.hide()
        if ev is None or not ev.fakeprint.size or not ev.fakeprint.any():
            self.fakeprint_plot.hide()
            return
        self.fakeprint_plot.show()
        pi = self.fakeprint_plot.getPlotItem()
        pi.plot(ev.freqs_hz, ev.fakeprint, pen=pg.mkPen("#303848", width=1))
        if ev.top_bins:
            f = np.array([b[0] for b in ev.top_bins])
            pi.plot(
                f,
                np.interp(f, ev.freqs_hz, ev.fakeprint),
                pen=None,
                symbol="o",
                symbolSize=6,
                symbolBrush=colours.probability_hex(0.95),
                symbolPen=None,
            )
        pi.setToolTip(
            "The track's average 1-8 kHz spectrum minus its lower hull, scaled to 0-1 (the model's input). "
            "Dots: the bins that push the logit most towards 'AI'."
        )
        matched = profile_evidence(result) if result is not None else None
        if matched is not None and matched.peaks_hz:
            f = np.array(matched.peaks_hz)
            pi.plot(
                f,
                np.interp(f, ev.freqs_hz, ev.fakeprint),
                pen=None,
                symbol="t1",
                symbolSize=9,
                symbolBrush=colours.PROFILE_MARK_ON_LIGHT,
                symbolPen=None,
            )
            self.fakeprint_legend.setText(
                f"<span style='color:{colours.probability_hex(0.95)}'>\u25cf</span> the bins that weigh most for the "
                f"third-party model; <span style='color:{colours.PROFILE_MARK_ON_LIGHT}'>\u25b2</span> the peaks that "
                f"weigh most for the matched profile {_text(matched.name)} (also drawn on the spectrogram)."
            )
            self.fakeprint_legend.show()

    def _set_comb(self, comb: Optional[CombEvidence]) -> None:
        self.comb_plot.clear()
        if comb is None:
            self.comb_label.setText("No regular comb of spectral lines was found.")
            self.comb_plot.hide()
            return
        self.comb_label.setText(comb_sentence(comb))
        self.comb_plot.show()
        pi = self.comb_plot.getPlotItem()
        if comb.freqs_hz.size:
            pi.plot(comb.freqs_hz, comb.residual_db, pen=pg.mkPen("#303848", width=1))
        # a dense comb (every 21-50 Hz) would draw as a solid wall: mark the first lines only
        for f in comb.expected_lines_hz[:MAX_DRAWN_LINES]:
            pi.addItem(
                pg.InfiniteLine(
                    pos=float(f),
                    angle=90,
                    pen=pg.mkPen(colours.probability_hex(0.9), width=1, style=QtCore.Qt.PenStyle.DashLine),
                ),
                ignoreBounds=True,
            )
        if comb.lines_found_hz.size and comb.freqs_hz.size:
            y = np.interp(comb.lines_found_hz, comb.freqs_hz, comb.residual_db)
            pi.plot(
                comb.lines_found_hz,
                y,
                pen=None,
                symbol="o",
                symbolSize=6,
                symbolBrush=colours.probability_hex(0.95),
                symbolPen=None,
            )
        pi.setToolTip(
            f"Residual spectrum (average minus its floor). Dashed: multiples of {format_hz(comb.f0_hz, 1)}; "
            "dots: lines that stand out."
        )


class _IntervalMeter(QtWidgets.QWidget):
    """A 0..100 % bar with the interval as a band and the estimate as a tick."""

    def __init__(self):
        super().__init__()
        self.setMinimumHeight(30)
        self.setMaximumHeight(34)
        self._p: Optional[float] = None
        self._interval: Optional[tuple[float, float]] = None

    def set_values(self, p: Optional[float], interval: Optional[tuple[float, float]]) -> None:
        self._p, self._interval = p, interval
        self.update()

    def paintEvent(self, ev) -> None:
        from PySide6 import QtGui

        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        r = self.rect().adjusted(2, 4, -2, -14)
        grad = QtGui.QLinearGradient(r.left(), 0, r.right(), 0)
        for stop in np.linspace(0, 1, 9):
            grad.setColorAt(float(stop), QtGui.QColor(colours.probability_hex(float(stop))))
        painter.setOpacity(0.35)
        painter.fillRect(r, grad)
        painter.setOpacity(1.0)
        painter.setPen(QtGui.QColor("#808090"))
        painter.drawRect(r)
        if self._interval is not None:
            lo, hi = self._interval
            band = QtCore.QRectF(r.left() + lo * r.width(), r.top(), max((hi - lo) * r.width(), 2), r.height())
            painter.fillRect(band, QtGui.QColor(40, 40, 50, 90))
        if self._p is not None:
            x = r.left() + self._p * r.width()
            painter.setPen(QtGui.QPen(QtGui.QColor("#101018"), 3))
            painter.drawLine(QtCore.QPointF(x, r.top() - 3), QtCore.QPointF(x, r.bottom() + 3))
        painter.setPen(QtGui.QColor("#505060"))
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 0.8)
        painter.setFont(font)
        y = self.rect().bottom() - 1
        painter.drawText(QtCore.QPointF(r.left(), y), "no traces")
        text = "traces of covered generators"
        w = painter.fontMetrics().horizontalAdvance(text)
        painter.drawText(QtCore.QPointF(r.right() - w, y), text)
        painter.end()
