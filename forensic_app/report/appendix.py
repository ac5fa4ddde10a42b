"""Part 2 of the report: the technical appendix (#26).

A.1 identification, A.2 each evidence source's reading against real music (the registry's rows, generic,
then the comb, the fakeprint, the generator profiles and what the file declares), A.3 all notes, A.4
robustness, A.5 limitations, A.6 the model's identity and how to reproduce and verify. Internals
(settings, per-source false-positive tables, evidence rules) are not printed: they travel in the
attached analysis.json and the model card.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Spacer

from forensic_app.core.result import AnalysisResult
from forensic_app.core.vocabulary import display_name, format_clock, generator_name

from . import recourse, sections
from .decision import ReportDecision
from .fonts import para_text as t
from .styles import Styles, cells, grid_table
from .summary import PART_2
from .wording import SEVERITY_COLOURS, SEVERITY_WORDS, fmt_prob

_FAILURE_KEYS = ("known_failure_modes", "failure_modes", "limitations")
_FAMILY_KEYS = ("covered_families", "families")


def _reading(d) -> str:
    if d.score is None:
        return "not measured" if d.name != "declared" else "n/a"
    return f"{d.score:+.2f}"


def sources_table(result: AnalysisResult, s: Styles, width: float) -> list[Flowable]:
    """Every evidence source's row (result.detectors, in registry order): generic, whatever sources there are."""
    rows = [cells(["Evidence source", "Reading", "Alone", "What it found"], s.cell_bold)]
    learned = (result.provenance.settings.get("probability_by_detector") or {}).get("learned")
    if learned is not None:  # the line the probability is usually taken from: the CNN's reading with the comb's
        rows.append(
            [
                Paragraph("Patch CNN + comb (learned fusion)", s.cell),
                Paragraph("n/a", s.cell),
                Paragraph(fmt_prob(learned), s.cell),
                Paragraph(
                    "The patch CNN's reading and the comb's, combined and calibrated on labelled reference "
                    "tracks: one of the lines the verdict takes the strongest of.",
                    s.cell,
                ),
            ]
        )
    for d in result.detectors:
        rows.append(
            [
                Paragraph(t(d.title), s.cell),
                Paragraph(_reading(d), s.cell),
                Paragraph("n/a" if d.probability_fake is None else fmt_prob(d.probability_fake), s.cell),
                Paragraph(t(d.summary), s.cell),
            ]
        )
    return [
        Paragraph("A.2 Each evidence source against real music", s.h1),
        Paragraph(
            "Each source reads the track on its own and is placed on the verdict's scale against the real "
            "music it was measured on: its line (where traces count as found) is one no real music we "
            "measured reached. The strongest source decides; 'Alone' is what each would say by itself.",
            s.body,
        ),
        grid_table(rows, [0.24 * width, 0.11 * width, 0.09 * width, 0.56 * width]),
    ]


def profiles_part(result: AnalysisResult, d: ReportDecision, s: Styles, width: float) -> list[Flowable]:
    row = result.detector("profiles")
    head = Paragraph("Generator profiles (decoder fingerprints)", s.h2)
    if row is None:
        return [head, Paragraph("No generator profiles were applied to this file.", s.body)]
    det = row.details
    listed = det.get("profiles") or []
    matched = det.get("matched") or []
    closest = det.get("closest")
    if matched:
        lead = "Matched: " + ", ".join(generator_name(m) for m in matched) + "."
    elif closest:
        lead = f"No profile matched; the closest is {generator_name(closest)}."
    else:
        lead = "No profile could read this file (its fingerprint was not measured)."
    out: list[Flowable] = [
        head,
        Paragraph(
            "A profile is a small model taught on one generator's output; it recognises the fingerprint that "
            "generator's decoder leaves in the track's average spectrum (any generator built on the same decoder "
            "leaves it too). Its line is set above the highest reading of the real music it was checked against. "
            + t(lead),
            s.body,
        ),
    ]
    rows = [cells(["Profile", "Kind", "Examples", "Taught on", "Reading vs. its line", "Match"], s.cell_bold)]
    for p in listed:
        logit, thr = p.get("logit"), p.get("threshold_logit")
        margin = "not measured" if logit is None or thr is None else f"{float(logit) - float(thr):+.1f}"
        kind = "yours (taught on this computer)" if p.get("kind") == "user" else "built-in"
        rows.append(
            cells(
                [
                    t(generator_name(str(p.get("name", "?")))),
                    kind,
                    str(p.get("n_examples", "?")),
                    t(str(p.get("created") or "?")),
                    margin,
                    "yes" if p.get("match") else "no",
                ],
                s.cell,
            )
        )
    out.append(grid_table(rows, [0.22 * width, 0.22 * width, 0.12 * width, 0.14 * width, 0.2 * width, 0.1 * width]))
    out += _profile_evidence(det, s)
    return [KeepTogether(out[:3])] + out[3:]


def _profile_evidence(det: Mapping[str, Any], s: Styles) -> list[Flowable]:
    """Where a matched profile's evidence lies: the peak frequencies that weigh most towards it, and its
    reading on each ~10 s window against its line (shown for reading only: the verdict reads the whole track)."""
    closest, matched = det.get("closest"), det.get("matched") or []
    if not closest or closest not in matched:
        return []
    thr = next((p.get("threshold_logit") for p in det.get("profiles", ()) if p.get("name") == closest), None)
    out: list[Flowable] = []
    peaks = sorted({round(float(b["freq_hz"])) for b in det.get("top_bins", ()) if b.get("freq_hz") is not None})
    if peaks:
        out.append(
            Paragraph(
                t(
                    f"Peaks of the {generator_name(closest)} fingerprint in this track (Hz): "
                    + ", ".join(str(f) for f in peaks)
                    + "."
                ),
                s.body,
            )
        )
    wins = [w for w in det.get("windows", ()) if w.get("logit") is not None]
    if wins and thr is not None:
        parts = [
            f"{format_clock(w['start_s'], 0)}-{format_clock(w['end_s'], 0)} {float(w['logit']) - float(thr):+.1f}"
            for w in wins
        ]
        out.append(
            Paragraph(
                t(
                    "Its reading on each ~10 s window against its line (for reading only; the verdict "
                    "reads the whole track): " + "; ".join(parts) + "."
                ),
                s.body,
            )
        )
    return out


def declared_part(result: AnalysisResult, s: Styles, width: float) -> list[Flowable]:
    row = result.detector("declared")
    out: list[Flowable] = [Paragraph("What the file declares", s.h2)]
    if row is None:
        out.append(Paragraph("The file's tags and Content Credentials were not read for this analysis.", s.body))
        return [KeepTogether(out)]
    lines = row.details.get("lines") or [row.summary]
    out += [Paragraph(t(x), s.bullet, bulletText="•") for x in lines]
    if not row.details.get("headline"):
        out.append(Paragraph("The file declares no AI origin; its absence says nothing about who made it.", s.small))
    return [KeepTogether(out)]


def notes_part(d: ReportDecision, s: Styles, width: float) -> list[Flowable]:
    out: list[Flowable] = [Paragraph("A.3 Notes on this file", s.h1)]
    if not d.notes:
        return out + [Paragraph("No notes were raised for this file.", s.body)]
    rows = [cells(["Severity", "Note"], s.cell_bold)]
    for n in d.notes:
        colour = SEVERITY_COLOURS.get(n.severity, "#1a1a1a")
        rows.append(
            [
                Paragraph(
                    f'<font color="{colour}"><b>{t(SEVERITY_WORDS.get(n.severity, n.severity))}</b></font>', s.cell
                ),
                Paragraph(t(n.text), s.cell),
            ]
        )
    return out + [grid_table(rows, [0.24 * width, 0.76 * width])]


def limitations(
    model_card: Optional[Mapping[str, Any]], result: AnalysisResult, s: Styles, width: float
) -> list[Flowable]:
    out: list[Flowable] = [Paragraph("A.5 Limitations", s.h1)]
    card = dict(model_card or {})
    fams = next((card[k] for k in _FAMILY_KEYS if k in card), None) or list(result.provenance.model.families)
    if fams:
        out.append(
            Paragraph(
                "<b>Generator families the model was trained on:</b> "
                + t(", ".join(display_name(str(f)) for f in fams))
                + ".",
                s.body,
            )
        )
    fails = next((card[k] for k in _FAILURE_KEYS if k in card), None)
    if fails:
        out.append(Paragraph("<b>Known failure modes:</b>", s.body))
        out += [Paragraph(t(str(x)), s.bullet, bulletText="•") for x in (fails if isinstance(fails, list) else [fails])]
    else:
        out.append(
            Paragraph("The model card states no known failure modes: treat them as unknown, not as absent.", s.body)
        )
    out.append(
        Paragraph(
            "The model card's measured figures (false-positive rates on real music by source, detection of generator "
            "families held out of training) and this analysis' settings and evidence rules are in the file "
            "<i>analysis.json</i> attached to this PDF (open the attachments pane of a PDF reader).",
            s.small,
        )
    )
    return out


def third_party(model_card: Optional[Mapping[str, Any]], s: Styles) -> list[Flowable]:
    """The third-party models the analysis used: name, version, author, source, licence, what they were trained on."""
    out: list[Flowable] = []
    for m in (model_card or {}).get("third_party_models") or []:
        if not isinstance(m, Mapping):
            continue
        bits = [
            f"{m.get('name', '?')} {m.get('version', '')}".strip(),
            f"by {m['author']}" if m.get("author") else "",
            f"source {m['source']}" if m.get("source") else "",
            f"{m['licence']} licence" if m.get("licence") else "",
            f"trained on {m['trained_on']}" if m.get("trained_on") else "",
        ]
        out.append(Paragraph("<b>Third-party model.</b> " + t("; ".join(b for b in bits if b)) + ".", s.body))
    return out


def identity(
    result: AnalysisResult,
    s: Styles,
    width: float,
    *,
    include_path: bool,
    model_card: Optional[Mapping[str, Any]] = None,
) -> list[Flowable]:
    out = recourse.contest(result, s, width, include_path=include_path)
    # recourse.contest's heading and its list of material (the summary has it) give way to the appendix's
    start = next(i for i, f in enumerate(out) if isinstance(f, Spacer))
    model = result.provenance.model
    who = Paragraph(
        t(f"Model {model.name}, version {model.version} (its weights, bundle and calibration are identified in A.1)."),
        s.body,
    )
    return (
        [Paragraph("A.6 Model identity, reproducing and verifying", s.h1), who]
        + third_party(model_card, s)
        + out[start + 1 :]
        + [
            Paragraph(
                '<b>Checking this report.</b> <font face="DejaVuSansMono">forensic-app verify REPORT.pdf [AUDIO]</font> '
                "checks that the pages and the attached analysis belong together and were not edited (the report digest in "
                "every footer), and with the audio file re-runs the analysis and compares the figures.",
                s.body,
            )
        ]
    )


def appendix(
    result: AnalysisResult,
    d: ReportDecision,
    s: Styles,
    width: float,
    *,
    model_card: Optional[Mapping[str, Any]],
    include_path: bool,
) -> list[Flowable]:
    ident = sections.identification(result, s, width, include_path=include_path)
    ident[0] = Paragraph("A.1 Identification", s.h1)
    out: list[Flowable] = [PageBreak(), Paragraph(PART_2, s.title), Spacer(1, 2)] + ident
    out += sources_table(result, s, width)
    out += sections._comb(result, s, width)
    out += sections._fakeprint(result, s, width)
    out += profiles_part(result, d, s, width)
    out += declared_part(result, s, width)
    out += sections._attribution(result, s, width)
    out += notes_part(d, s, width)
    rob = sections.robustness(result, s, width)
    rob[0] = Paragraph("A.4 Robustness", s.h1)
    out += rob
    out += limitations(model_card, result, s, width)
    out += identity(result, s, width, include_path=include_path, model_card=model_card)
    out += recourse.reviewer(s, width)
    return out
