"""The finding in words: the decoded stem is named, the clean ones read 'no traces', never 'real' or 'human'."""

from __future__ import annotations

import dataclasses
import re

import forensic_app.case as case_pkg
from forensic_app.case import summarize
from forensic_app.case.summary import SEPARATED_NOTE

NEVER = re.compile(r"\b(likely real|real music|human[- ]made|made by a person|authentic|genuine)\b", re.I)


def _unseparated(case):
    return dataclasses.replace(case, lanes=[dataclasses.replace(f, separated=False) for f in case.lanes])


def test_the_decoded_stem_is_named_and_the_clean_ones_show_no_traces(stem_case):
    assert [f.result.verdict for f in stem_case.lanes] == [
        "likely_fake",
        "no_traces_found",
        "no_traces_found",
        "no_traces_found",
    ]
    s = summarize(stem_case)
    vocals, rest = s.sentence.split("; ")
    assert vocals.startswith("vocals: ") and vocals.endswith("likely AI-generated")
    comb = stem_case.lanes[0].result.comb
    assert f"comb every {comb.f0_hz:.0f} Hz" in vocals  # HiFi-GAN's upsampling lines
    assert rest == "drums, bass, other: no traces of the covered generators."
    assert not NEVER.search(s.sentence + " ".join(s.notes))
    assert s.notes[0].startswith("Covered: ") and "Not covered: " in s.notes[0]


def test_per_lane_evidence_rows(stem_case):
    rows = {r.label: r for r in summarize(stem_case).rows}
    v, d = rows["vocals"], rows["drums"]
    assert v.probability == "> 99 %".replace(" ", "\u202f") and v.file_name == "vocals.wav"
    assert "comb every" in " ".join(v.traces)
    assert v.comb == "lines every 86.1 Hz"
    assert d.traces == () and d.comb == "no line pattern stands out"
    for r in rows.values():
        assert r.cnn.endswith(" on its own") and "logit" not in r.cnn
        assert r.fakeprint.startswith(("above its threshold", "below its threshold"))


def test_separated_stems_carry_the_separators_note(stem_case):
    marked = summarize(stem_case)  # vocals marked as separated
    assert SEPARATED_NOTE in marked.notes
    assert any(n.startswith("vocals: marked as a separated stem") for n in marked.notes)
    assert [r.separated for r in marked.rows] == [True, False, False, False]
    plain = summarize(_unseparated(stem_case))
    assert SEPARATED_NOTE not in plain.notes and not any("separated" in n for n in plain.notes)


def test_every_public_name_resolves():
    for name in case_pkg.__all__:
        assert getattr(case_pkg, name) is not None, name
