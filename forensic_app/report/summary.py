"""Part 1 of the report: the summary, at most two pages in plain words (#26).

The finding (verdict, what the file declares, what the verdict rests on, the profile it rests on),
the exhibits (spectrogram with the evidence, the timeline, the one plot that decided), what it means
and does not mean, the cautions, and what the artist can add. Everything it says comes from the one
:class:`~.decision.ReportDecision`; internals (settings, per-source tables, rules) stay in the
appendix, the embedded analysis.json and the model card.
"""

from __future__ import annotations

from reportlab.lib.colors import HexColor
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table

from forensic_app.core.vocabulary import MODIFIED_MODEL_WORDS
from forensic_app.core.result import AnalysisResult
from forensic_app.core.vocabulary import PROBABILITY_LABEL, probability_words

from . import figures
from .decision import VERDICT_BASIS_WORDS, ReportDecision, profile_name, validation_words
from .fonts import MONO, para_text as t
from .sections import _Picture, fmt_clock, fmt_prob
from .styles import INK, SHADE, VERDICT_COLOURS, Styles, cells, grid_table, table_style
from .wording import SEVERITY_COLOURS, SEVERITY_WORDS, fmt_duration

PART_1 = "Part 1: Summary"
ON_PAGE_ONE = ("profile_decided", "user_profile_decided")  # said by the profile block under the verdict
PART_2 = "Part 2: Technical appendix"

ARTIST_CAN_ADD = [
    "<b>Stems</b> (the separate tracks as exported from the session);",
    "<b>project files</b> (the DAW session with its plug-ins and samples);",
    "<b>session history</b> (earlier versions, demos and rough mixes with their dates, raw takes, file dates, "
    "cloud or e-mail history, studio bookings).",
]

DOES_NOT_MEAN = [
    "It is <b>not a percentage of AI content</b>: {pct} does not mean that {pct} of the song was made with AI.",
    "It says nothing about who wrote, performed or produced the music, nor about AI tools for composition, lyrics "
    "or mixing that leave no trace in the sound.",
    "It is a statistical indication, not proof; a low or undecided result is <b>not proof of human origin</b> "
    "either: generators of kinds this app does not cover can leave no trace it knows.",
]


def _fit(picture, width: float, max_height: float) -> Flowable:
    """A figure at ``width``, or narrower so that it is at most ``max_height`` tall."""
    w = min(width, max_height * picture.width / picture.height)
    return _Picture(picture, w)


def _boxed(rows: list[list], width: float, colour) -> Table:
    box = Table(rows, colWidths=[width])
    box.setStyle(
        table_style(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, colour),
                ("BACKGROUND", (0, 0), (-1, -1), SHADE),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (0, 0), 6),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 5),
            ]
        )
    )
    return box


def probability_markup(d: ReportDecision) -> str:
    """Page 1's probability line: the label and the value in bold (what ``forensic-app verify`` reads)."""
    value, _, rest = d.probability_text.partition(" (")
    return f"<b>{PROBABILITY_LABEL}: {t(value)}</b>" + (f" ({t(rest)}" if rest else "")


def finding(result: AnalysisResult, d: ReportDecision, s: Styles, width: float) -> list[Flowable]:
    info, model = result.input, result.provenance.model
    ident = grid_table(
        [
            [
                Paragraph("File", s.cell_bold),
                Paragraph(t(f"{info.file_name} ({info.format}, {fmt_duration(info.duration_s)})"), s.cell),
            ],
            [Paragraph("File SHA-256", s.cell_bold), Paragraph(t(info.file_sha256, MONO), s.mono)],
            [
                Paragraph("Analysed", s.cell_bold),
                Paragraph(
                    t(
                        f"{result.provenance.analysed_at} by forensic_app {result.provenance.app_version}, model "
                        f"{model.name} {model.version}"
                        + (f" ({MODIFIED_MODEL_WORDS.lower()}: not the released bundle)" if model.modified else "")
                    ),
                    s.cell,
                ),
            ],
        ],
        [0.2 * width, 0.8 * width],
        header=False,
    )
    colour = VERDICT_COLOURS.get(d.colour_key, INK)
    hexcol = colour.hexval()[2:]
    box = _boxed(
        [
            [Paragraph(f'Verdict: <font color="#{hexcol}">{t(d.headline_words)}</font>', s.verdict)],
            [Paragraph(t(result.coverage_line), s.small)],
            [Paragraph(probability_markup(d) + (". " + t(d.held_words) if d.held_words else ""), s.body)],
            [Paragraph(t(d.meaning), s.body)],
        ],
        width,
        colour,
    )
    out: list[Flowable] = [Paragraph(PART_1, s.h1), ident, Spacer(1, 6), box]
    if d.declaration:  # directly under the verdict, never inside it
        decl = _boxed(
            [
                [
                    Paragraph(
                        "<b>What the file itself declares:</b> " + t(d.declaration) + " A declaration is a "
                        "claim anyone can write or remove; the verdict above is about the audio alone.",
                        s.body,
                    )
                ]
            ],
            width,
            HexColor(SEVERITY_COLOURS["info"]),
        )
        out += [Spacer(1, 3), decl]
    out += [
        Spacer(1, 5),
        Paragraph(
            "<b>What the verdict rests on.</b> " + t(d.decided_sentence) + "".join(" " + t(x) for x in d.set_aside),
            s.body,
        ),
    ]
    if d.profile is not None:
        out += profile_block(d, s, width)
    return out


def profile_block(d: ReportDecision, s: Styles, width: float) -> list[Flowable]:
    """The profile a verdict rests on: name, kind, examples, date, validation figures, sha256."""
    p = d.profile or {}
    mine = p.get("kind") == "user"
    name, ver = profile_name(p), str(p.get("version") or "")
    if ver and ver.split()[0].lower() not in name.lower():  # "ACE-Step v1" with version "v1 (3.5B)": said once
        name += f" ({ver})"
    rows = [
        ("Profile", name),
        ("Kind", VERDICT_BASIS_WORDS["profile_kind_user" if mine else "profile_kind_builtin"]),
        ("Taught from", f"{p.get('n_examples', '?')} examples, on {p.get('created') or 'an unrecorded date'}"),
        ("Validation", validation_words(p)),
    ]
    table = grid_table(
        [[Paragraph(k, s.cell_bold), Paragraph(t(v), s.cell)] for k, v in rows]
        + [[Paragraph("Profile SHA-256", s.cell_bold), Paragraph(t(str(p.get("sha256", "")), MONO), s.mono)]],
        [0.2 * width, 0.8 * width],
        header=False,
    )
    out: list[Flowable] = [table]
    if mine:
        out.append(
            Paragraph(
                "This verdict rests on a profile taught on this computer, not on one shipped with the "
                "app: anyone checking it needs that profile file (forensic-app profile export).",
                s.small,
            )
        )
    return [KeepTogether(out)]


def exhibits(result: AnalysisResult, d: ReportDecision, s: Styles, width: float) -> list[Flowable]:
    width_in = width / 72.0
    duration = max(
        result.input.duration_s, float(result.overview.time_edges_s[-1]) if len(result.overview.time_edges_s) else 0.0
    )
    spec = figures.spectrogram_figure(result.overview, result.heatmap, duration_s=duration, width_in=width_in)
    out: list[Flowable] = [
        KeepTogether(
            [
                Paragraph("The evidence", s.h2),
                _fit(spec, width, 165),
                Paragraph(
                    "Top: the sound (time left to right, pitch bottom to top). Bottom: the same, with each patch "
                    "coloured where the patch CNN's reading is rare in real music (coloured: fewer than 1 in 100 "
                    "real-music patches reach it; red: 1 in 10,000). A coloured patch is a place to listen, not proof.",
                    s.small,
                ),
            ]
        )
    ]
    timeline = figures.timeline_figure(
        result.windows,
        list(d.regions),
        probability_fake=result.probability_fake,
        duration_s=duration,
        width_in=width_in,
    )
    block: list[Flowable] = [
        _fit(timeline, width, 80),
        Paragraph(
            "The probability window by window (each short line is one window)."
            + (" " + t(d.timeline_note) if d.timeline_note else ""),
            s.small,
        ),
    ]
    if d.regions:
        rows = [cells(["Rank", "From", "To", "Window"], s.cell_bold)]
        rows += [
            cells([str(i), fmt_clock(w.start_s), fmt_clock(w.end_s), fmt_prob(w.probability_fake)], s.cell)
            for i, w in enumerate(d.regions, start=1)
        ]
        block += [
            Paragraph("Highest-scoring regions (minutes:seconds)", s.cell_bold),
            grid_table(rows, [0.1 * width, 0.18 * width, 0.18 * width, 0.18 * width]),
        ]
    if d.tie_note:
        block.append(Paragraph(t(d.tie_note), s.small))
    if d.region_note:
        block.append(Paragraph(t(d.region_note), s.small))
    elif result.windows and not d.regions and d.held is None:
        block.append(Paragraph("No window reaches 50 %: no region of the track stands out.", s.small))
    out.append(KeepTogether(block))
    if d.exhibit == "comb" and result.comb is not None:
        out.append(
            KeepTogether(
                [
                    Paragraph("The plot that decided: the spectral comb", s.h2),
                    _fit(figures.comb_figure(result.comb, width_in=width_in), width, 100),
                    Paragraph(
                        "The track's average spectrum minus its smooth floor. Dashed lines: where a decoder's "
                        "upsampling would leave lines; circles: lines that stand out.",
                        s.small,
                    ),
                ]
            )
        )
    elif d.exhibit == "fakeprint" and result.fakeprint is not None and result.fakeprint.measured:
        what = "the fingerprint the generator profile reads" if d.deciding == "profiles" else "the fakeprint"
        out.append(
            KeepTogether(
                [
                    Paragraph(f"The plot that decided: {what}", s.h2),
                    _fit(figures.fakeprint_figure(result.fakeprint, width_in=width_in), width, 95),
                    Paragraph(
                        "The peaks of the track's average 1-8 kHz spectrum above its lower hull: the pattern a "
                        "decoder leaves, read by the model named above.",
                        s.small,
                    ),
                ]
            )
        )
    return out


def meaning(result: AnalysisResult, d: ReportDecision, s: Styles, width: float) -> list[Flowable]:
    pct = t(probability_words(result.probability_fake))
    out: list[Flowable] = [
        Paragraph("What this means, and what it does not", s.h2),
        Paragraph(d.probability_paragraph, s.body),
    ]  # markup of the decision's own making
    out += [Paragraph(line.format(pct=pct), s.bullet, bulletText="•") for line in DOES_NOT_MEAN]
    cautions = [n for n in d.cautions if n.code not in ON_PAGE_ONE]
    if cautions:
        out.append(Paragraph("Cautions", s.h2))
        for n in cautions:
            colour = SEVERITY_COLOURS.get(n.severity, "#1a1a1a")
            out.append(
                Paragraph(
                    f'<font color="{colour}"><b>{t(SEVERITY_WORDS.get(n.severity, n.severity))}:</b></font> '
                    + t(n.text),
                    s.bullet,
                    bulletText="•",
                )
            )
    out.append(Paragraph("What the artist can add", s.h2))
    out.append(
        Paragraph(
            "Material that shows how the music was made is the strongest answer to an automated flag: "
            + " ".join(ARTIST_CAN_ADD)
            + " Part 2 gives each check's reading against real music, the "
            "robustness test, the limitations and the model's identity.",
            s.body,
        )
    )
    return out


def summary(result: AnalysisResult, d: ReportDecision, s: Styles, width: float) -> list[Flowable]:
    return finding(result, d, s, width) + exhibits(result, d, s, width) + meaning(result, d, s, width)
