"""The report's sections 1-5 as reportlab flowables, drawn only from an AnalysisResult.

Every dynamic string goes through :func:`fonts.para_text` (escape + missing glyphs).
Numbers shown here are the ones in ``result.to_json_dict()`` (same rounding or coarser),
so a reviewer can check the PDF against the CLI's JSON.
"""

from __future__ import annotations

from typing import Sequence

from reportlab.lib.colors import HexColor
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table

from forensic_app.core.detectors.comb import comb_finding, comb_grade
from forensic_app.core.result import VERDICT_WORDS, VERDICTS, AnalysisResult
from forensic_app.core.vocabulary import HELD_WORDS, PROBABILITY_LABEL, display_name, probability_words
from forensic_app.core.vocabulary import format_range, probability_text
from forensic_app.core.vocabulary import MODIFIED_MODEL_NOTE, MODIFIED_MODEL_WORDS
from forensic_app.core.robustness import points_change, reference_probability, reference_row

from . import figures
from .decision import value_words
from .fonts import MONO, needs_code_points, para_text as t
from .styles import INK, SHADE, VERDICT_COLOURS, Styles, cells, grid_table, table_style
from .wording import (
    NOT_PROOF_OF_HUMAN,
    PROBABILITY_DOES_NOT_MEAN,
    PROBABILITY_MEANS,
    SEVERITY_COLOURS,
    SEVERITY_WORDS,
    VERDICT_MEANING,
    fmt_bytes,
    fmt_channels,
    fmt_clock,
    fmt_duration,
    fmt_prob,
    fmt_rate,
    fmt_value,
)


class _Picture(Flowable):
    """A figure (PIL image) scaled to ``width`` with its aspect ratio; platypus' Image wants
    a file, and encoding one would cost time for nothing."""

    def __init__(self, picture, width: float) -> None:
        super().__init__()
        self._reader = ImageReader(picture)
        self._w, self._h = width, width * picture.height / picture.width

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self._w, self._h

    def draw(self) -> None:
        self.canv.drawImage(self._reader, 0, 0, self._w, self._h)


def _image(picture, width: float) -> Flowable:
    return _Picture(picture, width)


def modified_model_banner(results: Sequence[AnalysisResult], s: Styles, width: float) -> list[Flowable]:
    """Page 1's red box when any result comes from a bundle that is not the released one (else nothing)."""
    if not any(r.provenance.model.modified for r in results):
        return []
    note = next((n for r in results for n in r.notes if n.code == MODIFIED_MODEL_NOTE), None)
    text = note.text if note is not None else f"{MODIFIED_MODEL_WORDS}: not the released model bundle."
    words, _, rest = text.partition(":")
    box = Table([[Paragraph(f"<b>{t(words.upper())}</b>:{t(rest)}", s.body)]], colWidths=[width])
    colour = HexColor(SEVERITY_COLOURS["warning"])
    box.setStyle(
        table_style(
            [
                ("BOX", (0, 0), (-1, -1), 1.5, colour),
                ("BACKGROUND", (0, 0), (-1, -1), SHADE),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return [box, Spacer(1, 6)]


def identification(result: AnalysisResult, s: Styles, width: float, *, include_path: bool = False) -> list[Flowable]:
    info, model = result.input, result.provenance.model
    mono = lambda v: Paragraph(t(v, MONO), s.mono)  # noqa: E731
    plain = lambda v: Paragraph(t(v), s.cell)  # noqa: E731
    kind = "lossy" if info.is_lossy else "lossless"
    rows = [
        ("File name", plain(info.file_name)),
        *([("Analysed path", plain(info.path))] if include_path else []),
        ("File size", plain(fmt_bytes(info.file_size_bytes))),
        ("Format", plain(f"{info.format} / {info.subtype} ({kind})")),
        ("Duration", plain(fmt_duration(info.duration_s))),
        ("Sample rate", plain(f"{info.sample_rate:,} Hz")),
        ("Channels", plain(fmt_channels(info.channels))),
        ("SHA-256 of the file", mono(info.file_sha256)),
        ("SHA-256 of the decoded audio", mono(info.pcm_sha256)),
        ("Date of analysis (UTC)", plain(result.provenance.analysed_at)),
        ("App version", plain(f"forensic_app {result.provenance.app_version}")),
        (
            "Model",
            plain(
                f"{model.name}, version {model.version}"
                + (f" ({MODIFIED_MODEL_WORDS.lower()}: not the released bundle)" if model.modified else "")
            ),
        ),
        ("SHA-256 of the model weights", mono(model.sha256)),
        ("SHA-256 of the model bundle", mono(model.bundle_sha256 or "not recorded")),
        # the parts of a composite id on their own, so a narrow column breaks between them, never inside one
        ("Calibration version", plain(" + ".join(model.calibration_version.split("+")))),
    ]  # the generator kinds covered are stated once, under the verdict (section 2)
    table = grid_table([[Paragraph(k, s.cell_bold), v] for k, v in rows], [0.30 * width, 0.70 * width], header=False)
    out: list[Flowable] = [Paragraph("1. Identification", s.h1), table]
    out.append(
        Paragraph(
            "The file's SHA-256 identifies these exact bytes; the decoded audio's SHA-256 (float32 "
            "little-endian, interleaved, original rate) identifies the sound even if tags are edited.",
            s.small,
        )
    )
    if needs_code_points(info.file_name) or needs_code_points(info.path):
        out.append(
            Paragraph(
                "Characters that the report's embedded font cannot draw (for example Chinese, "
                "Japanese or Korean characters) are shown as their Unicode code point, such as "
                "[U+66F2]; the SHA-256 above is what identifies the file.",
                s.small,
            )
        )
    return out


def probability_line(result: AnalysisResult) -> str:
    """Page 1's probability, as markup: the label and core.vocabulary.probability_text, the value in bold
    (what ``forensic-app verify`` looks for on page 1)."""
    value, _, rest = probability_text(result.probability_fake, result.interval, result.held).partition(" (")
    return f"<b>{PROBABILITY_LABEL}: {t(value)}</b> ({t(rest)}"


def finding(result: AnalysisResult, s: Styles, width: float) -> list[Flowable]:
    p = result.probability_fake
    lo, hi = result.interval
    colour = VERDICT_COLOURS.get(result.verdict, INK)
    box = Table(
        [
            [Paragraph(f'Verdict: <font color="#{colour.hexval()[2:]}">{t(result.verdict_words)}</font>', s.verdict)],
            [Paragraph(t(result.coverage_line), s.small)],
            [Paragraph(probability_line(result) + (". " + t(HELD_WORDS[result.held]) if result.held else ""), s.body)],
            [Paragraph(t(VERDICT_MEANING.get(result.verdict, "")), s.body)],
        ],
        colWidths=[width],
    )
    box.setStyle(
        table_style(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, colour),
                ("BACKGROUND", (0, 0), (-1, -1), SHADE),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (0, 0), 7),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 6),
            ]
        )
    )
    pct = t(probability_words(p))
    out: list[Flowable] = [Paragraph("2. The finding in plain words", s.h1), box, Spacer(1, 6)]
    out.append(
        Paragraph(
            "<b>The verdict</b> is one of three bands ("
            + ", ".join(VERDICT_WORDS[v] for v in VERDICTS)
            + '), chosen from the calibrated probability and its interval; "Inconclusive" is a real '
            "answer, not a failure.",
            s.body,
        )
    )
    if result.held:  # a held value is not an estimate: no calibration story for it
        out.append(
            Paragraph(
                "<b>What the probability means here.</b> Nothing beyond what the box above says: "
                "it is held, not estimated. The notes in section 4 say why.",
                s.body,
            )
        )
    else:
        p_value, in_100 = value_words(p, lo, hi)
        out.append(
            Paragraph(
                "<b>What the probability means.</b> "
                + PROBABILITY_MEANS.format(p_value=t(p_value), n=in_100, range_words=t(format_range(lo, hi))),
                s.body,
            )
        )
    out.append(Paragraph("<b>What it does not mean.</b>", s.body))
    out[-1].keepWithNext = 1
    for line in PROBABILITY_DOES_NOT_MEAN:
        out.append(Paragraph(line.format(p=p, pct=pct), s.bullet, bulletText="•"))
    out.append(Paragraph(NOT_PROOF_OF_HUMAN, s.body))
    return out


def evidence(
    result: AnalysisResult, s: Styles, width: float, *, regions: Sequence[figures.Region] = ()
) -> list[Flowable]:
    """Section 3. ``regions``: marked regions to outline on the spectrogram (a case's annotations)."""
    from .decision import decide

    width_in = width / 72.0
    duration = max(
        result.input.duration_s, float(result.overview.time_edges_s[-1]) if len(result.overview.time_edges_s) else 0.0
    )
    out: list[Flowable] = []
    spec = figures.spectrogram_figure(
        result.overview, result.heatmap, duration_s=duration, width_in=width_in, regions=regions
    )
    out.append(
        KeepTogether(
            [
                Paragraph("3. Evidence", s.h1),  # inside: keepWithNext does not hold across a KeepTogether
                Paragraph("3.1 Where in the sound the detector reacted", s.h2),
                _image(spec, width),
                Paragraph(
                    "Top: the spectrogram (time left to right, pitch bottom to top, louder is darker). "
                    "Bottom: the same spectrogram with each patch coloured by how unusual the patch CNN's reading "
                    "is for real music: the share of real-music reference patches (same frequency band) that reach "
                    "it. A patch is coloured only where fewer than 1 in 100 do, and full red where 1 in 10,000 or "
                    "fewer do; uncoloured patches read like ordinary music. A coloured patch is a place to listen, "
                    "not proof. Each coloured cell sits exactly over the time and frequency range the detector "
                    "looked at.",
                    s.small,
                ),
            ]
        )
    )

    top = [w for w in result.top_regions() if w.probability_fake >= 0.5]  # ranking zeros would read as findings
    timeline = figures.timeline_figure(
        result.windows, top, probability_fake=result.probability_fake, duration_s=duration, width_in=width_in
    )
    out.append(
        KeepTogether(
            [
                Paragraph("3.2 Probability over time", s.h2),
                _image(timeline, width),
                Paragraph(
                    "Each short coloured line is one analysis window, drawn from its start to its end time "
                    "at the probability the detector gave it; the numbers and shading mark the highest-scoring "
                    "windows listed below.",
                    s.small,
                ),
            ]
        )
    )
    if result.windows and not top:
        out.append(Paragraph("No window's evidence reaches 50 %: no region of the track stands out.", s.body))
    d = decide(result)
    why = d.region_note if top and d.held is None else None  # windows above 50 % under "No traces": say why
    if why:
        out.append(Paragraph(t(why), s.small))
    if top:
        rows = [cells(["Rank", "From", "To", "Window evidence"], s.cell_bold)]
        for rank, w in enumerate(top, start=1):
            rows.append(
                cells([str(rank), fmt_clock(w.start_s), fmt_clock(w.end_s), fmt_prob(w.probability_fake)], s.cell)
            )
        block = [
            Spacer(1, 4),
            Paragraph("Highest-scoring regions (minutes:seconds)", s.h2),
            grid_table(rows, [0.12 * width, 0.22 * width, 0.22 * width, 0.25 * width]),
        ]
        # where more windows print the same value as the last one listed, the ranking is a tie, not a finding
        last = fmt_prob(top[-1].probability_fake)
        tied = sum(
            1
            for w in result.windows
            if w.probability_fake >= top[-1].probability_fake or fmt_prob(w.probability_fake) == last
        )
        if tied > len(top):
            block.append(
                Paragraph(
                    f"{tied} of the {len(result.windows)} windows score {t(last)}"
                    f"{'' if last.startswith('>') else ' or more'}; the table lists "
                    f"{len(top)} of them, so the shaded span in the chart is not the only one that high.",
                    s.small,
                )
            )
        out.append(KeepTogether(block))
    elif not result.windows:
        out.append(Paragraph("No per-window scores were produced.", s.body))

    if result.detectors:
        rows = [cells(["Detector", "Raw score", "Alone", "Summary"], s.cell_bold)]
        learned = (result.provenance.settings.get("probability_by_detector") or {}).get("learned")
        if learned is not None:  # the line of evidence the probability above is usually taken from
            rows.append(
                [
                    Paragraph("Patch CNN + comb (learned fusion)", s.cell),
                    Paragraph("n/a", s.cell),
                    Paragraph(fmt_prob(learned), s.cell),
                    Paragraph(
                        t(
                            "The patch CNN's reading and the comb's combined and calibrated; the "
                            "probability above is the highest of this line, the comb on its own "
                            "(only where its lines sit exactly on a decoder's spacing) and the fakeprint."
                        ),
                        s.cell,
                    ),
                ]
            )
        for d in result.detectors:
            rows.append(
                [
                    Paragraph(t(d.title), s.cell),
                    Paragraph("not measured" if d.score is None else f"{d.score:.3f}", s.cell),
                    Paragraph(fmt_prob(d.probability_fake), s.cell),
                    Paragraph(t(d.summary), s.cell),
                ]
            )
        out += [
            Paragraph("3.3 Individual detectors", s.h2),
            grid_table(rows, [0.22 * width, 0.12 * width, 0.10 * width, 0.56 * width]),
        ]

    out += _comb(result, s, width)
    out += _fakeprint(result, s, width)
    out += _attribution(result, s, width)
    return out


def _comb(result: AnalysisResult, s: Styles, width: float) -> list[Flowable]:
    head = Paragraph("Spectral comb (upsampling artefacts)", s.h2)
    c = result.comb
    if c is None:
        return [
            head,
            Paragraph(
                "The comb check produced no result for this file (it was not run, or the audio was too short for it).",
                s.body,
            ),
        ]
    fig = figures.comb_figure(c, width_in=width / 72.0)
    found = ", ".join(f"{f:.0f}" for f in c.lines_found_hz) or "none"
    out: list[Flowable] = [
        KeepTogether(
            [
                head,
                Paragraph(
                    "Neural decoders that upsample with transposed convolutions can leave faint, evenly "
                    "spaced lines in the long-term spectrum. The plot shows the average spectrum minus its "
                    "smooth floor; dashed lines are where such a comb would lie, circles are lines that "
                    "stand out.",
                    s.small,
                ),
                Paragraph(t(comb_finding(c)), s.body),
                _image(fig, width),
            ]
        )
    ]
    rate_words = (
        "not measured"
        if c.real_fp_rate is None
        else f"{fmt_rate(c.real_fp_rate)} of real-music reference tracks show a comb at least this strong"
    )
    rows = [
        ("Best-matching architecture", t(c.architecture) if comb_grade(c) != "none" else "none (no comb stands out)"),
        ("Line spacing", f"{c.f0_hz:.2f} Hz"),
        ("Strength", f"{c.strength_db:.2f} dB above the floor"),
        ("z-score vs. jittered spacings", f"{c.z_score:.2f}"),
        ("Lines found (Hz)", t(found)),
        ("False-positive rate on real music", rate_words),
    ]
    out.append(
        KeepTogether(
            grid_table(
                [[Paragraph(k, s.cell_bold), Paragraph(v, s.cell)] for k, v in rows],
                [0.34 * width, 0.66 * width],
                header=False,
            )
        )
    )
    if c.segments:
        seg_rows = [cells(["From", "To", "z-score", "Strength (dB)"], s.cell_bold)]
        for seg in c.segments:
            seg_rows.append(
                cells(
                    [
                        fmt_clock(float(seg.get("start_s", float("nan")))),
                        fmt_clock(float(seg.get("end_s", float("nan")))),
                        fmt_value(seg.get("z_score")),
                        fmt_value(seg.get("strength_db")),
                    ],
                    s.cell,
                )
            )
        out.append(
            KeepTogether([Spacer(1, 4), Paragraph("Comb per segment", s.h2), grid_table(seg_rows, [0.2 * width] * 4)])
        )
    return out


def _fakeprint(result: AnalysisResult, s: Styles, width: float) -> list[Flowable]:
    head = Paragraph("Fakeprint (Suno/Udio; third-party model)", s.h2)
    ev = result.fakeprint
    if ev is None:
        return [head, Paragraph("This model does not include the fakeprint detector.", s.body)]
    intro = Paragraph(
        "A logistic regression by Matěj Štágl (MIT licence), trained by its author on Suno and Udio songs "
        "against FMA real tracks, over the track's <i>fakeprint</i>: the peaks of its average 1-8 kHz "
        "spectrum above a lower hull (first 5 minutes, 16 kHz). Its decision threshold here was set on our "
        "real music, not the author's.",
        s.small,
    )
    if not ev.measured:
        return [head, intro, Paragraph(t(f"Not measured: {ev.reason}. This says nothing either way."), s.body)]
    det = next((d for d in result.detectors if d.name == "fakeprint"), None)
    thr = det.details.get("threshold_logit") if det is not None else None
    fig = figures.fakeprint_figure(ev, width_in=width / 72.0)
    rows = [
        ("Logit", f"{ev.logit:+.2f}" + ("" if thr is None else f" (threshold on our real music {thr:+.2f})")),
        ("Audio used", f"first {ev.seconds_used:.0f} s"),
        ("Bins that weigh most towards 'AI'", t(", ".join(f"{f:.0f} Hz ({c:+.2f})" for f, c in ev.top_bins) or "none")),
    ]
    return [
        KeepTogether([head, intro, _image(fig, width)]),
        grid_table(
            [[Paragraph(k, s.cell_bold), Paragraph(v, s.cell)] for k, v in rows],
            [0.34 * width, 0.66 * width],
            header=False,
        ),
    ]


def _attribution(result: AnalysisResult, s: Styles, width: float) -> list[Flowable]:
    out: list[Flowable] = [Paragraph("Decoder-family attribution", s.h2)]
    if not result.attribution:
        out.append(Paragraph("No decoder-family attribution was made for this file.", s.body))
        return out
    out.append(
        Paragraph(
            "Which known family of neural decoders the artefacts resemble most. This is a comparison "
            "among the families the model knows, not the identification of a product or service.",
            s.small,
        )
    )
    rows = [cells(["Decoder family", "Probability"], s.cell_bold)]
    for fam, prob in sorted(result.attribution.items(), key=lambda kv: -kv[1]):
        rows.append([Paragraph(t(display_name(fam)), s.cell), Paragraph(fmt_prob(prob), s.cell)])
    out.append(grid_table(rows, [0.5 * width, 0.2 * width]))
    return [KeepTogether(out)]


def notes(result: AnalysisResult, s: Styles, width: float) -> list[Flowable]:
    from .decision import decide  # the notes as the decision words them: none contradicts the verdict (#26)

    out: list[Flowable] = [Paragraph("4. Confidence notes", s.h1)]
    shown = decide(result).notes
    if not shown:
        out.append(Paragraph("No confidence notes were raised for this file.", s.body))
        return out
    rows = [cells(["Severity", "Note"], s.cell_bold)]
    for n in shown:
        word = SEVERITY_WORDS.get(n.severity, n.severity)
        colour = SEVERITY_COLOURS.get(n.severity, "#1a1a1a")
        rows.append(
            [Paragraph(f'<font color="{colour}"><b>{t(word)}</b></font>', s.cell), Paragraph(t(n.text), s.cell)]
        )
    out.append(grid_table(rows, [0.29 * width, 0.71 * width]))
    return out


def robustness(result: AnalysisResult, s: Styles, width: float) -> list[Flowable]:
    out: list[Flowable] = [Paragraph("5. Robustness", s.h1)]
    if result.robustness is None:
        out.append(
            Paragraph(
                "This check was not run: the report cannot say how the score moves when the file is "
                "re-encoded or otherwise manipulated.",
                s.body,
            )
        )
        return out
    if not result.robustness:
        out.append(Paragraph("The robustness check ran but produced no manipulated versions.", s.body))
        return out
    out.append(
        Paragraph(
            "The same analysis repeated on manipulated copies of the audio. Large changes mean the score "
            "depends on processing that a distributor or an encoder could also apply: a finding that "
            "survives them is sturdier, one that vanishes rests on fragile traces.",
            s.body,
        )
    )
    reference = reference_row(result.robustness)
    p0 = reference_probability(result.probability_fake, result.robustness)  # long tracks: the same excerpt
    rows = [cells(["Manipulation", "Probability", "Change", "Verdict"], s.cell_bold)]
    rows.append(
        cells(["none (the file as given)", fmt_prob(result.probability_fake), "", result.verdict_words], s.cell)
    )
    for item in result.robustness:
        prob = item.get("probability_fake")
        d = None if prob is None or item is reference else float(prob) - p0
        change = "" if d is None else points_change(float(prob), p0)
        verdict = VERDICT_WORDS.get(item.get("verdict") or "", "")
        if prob is None:
            verdict = item.get("note", "not run")
        rows.append(
            [
                Paragraph(t(item.get("manipulation", "?")), s.cell),
                Paragraph(fmt_prob(None if prob is None else float(prob)), s.cell),
                Paragraph(change, s.cell),
                Paragraph(t(verdict), s.cell),
            ]
        )
    out.append(grid_table(rows, [0.40 * width, 0.15 * width, 0.13 * width, 0.32 * width]))
    return out
