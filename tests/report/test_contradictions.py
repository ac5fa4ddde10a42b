"""No page of a report contradicts another (#26), on every path a verdict can take.

Each result comes from :func:`tests.factories.scenario` (built directly, no model): decided by the
patch CNN, the comb, the fakeprint, a built-in or a user's generator profile; held (held tone, no
content), capped (the patch CNN within what real music reaches), a clip too short to tell, a
borderline score, a "No traces" near the line with single windows above 50 %, and declared
provenance. The checks read the pages' text as a reviewer would.
"""

from __future__ import annotations

import io
import re

import pytest

from forensic_app.report.pdf import render_report
from tests.factories import SCENARIOS, scenario

_cache: dict[str, list[str]] = {}

HELD_BELOW_LINE = "held just below the 'likely AI-generated' line"
NO_LIKELY_AI = "no 'likely AI' verdict is given"
TREAT_UNDECIDED = "treat it as undecided"
NO_TRACES = "Verdict: No traces of the AI generators this app covers"
LIKELY_AI = "Verdict: Likely AI-generated"
TOO_SHORT = "Too short to tell"
APPENDIX = "Part 2: Technical appendix"


def words(text: str) -> str:
    """A page's text as one line of single-spaced words (line breaks inside sentences do not matter)."""
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " ")).strip()


def pages(path: str) -> list[str]:
    if path not in _cache:
        from pypdf import PdfReader

        pdf, _ = render_report(scenario(path))
        _cache[path] = [words(p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages]
    return _cache[path]


def anywhere(path: str, phrase: str) -> list[int]:
    """The pages (1-based) that carry ``phrase`` (case-insensitive)."""
    return [i + 1 for i, p in enumerate(pages(path)) if phrase.lower() in p.lower()]


def headline(path: str) -> str:
    first = pages(path)[0]
    if TOO_SHORT in first:
        return "too_short"
    if NO_TRACES in first:
        return "no_traces_found"
    if LIKELY_AI in first:
        return "likely_fake"
    return "inconclusive"


@pytest.mark.parametrize("path", SCENARIOS)
def test_no_page_contradicts_the_verdict(path):
    said = headline(path)
    if said == "likely_fake":
        assert not anywhere(path, HELD_BELOW_LINE), f"{path}: 'held just below the line' under a likely-AI verdict"
        assert not anywhere(path, NO_LIKELY_AI), f"{path}: 'no likely AI verdict is given' under a likely-AI verdict"
        assert not anywhere(path, TREAT_UNDECIDED), f"{path}: 'treat it as undecided' under a likely-AI verdict"
    if said in ("no_traces_found", "too_short"):
        assert not anywhere(path, TREAT_UNDECIDED), f"{path}: 'treat it as undecided' under '{said}'"
        for i, page in enumerate(pages(path), start=1):
            if "Highest-scoring regions" in page:
                above = [
                    int(x)
                    for x in re.findall(r"(\d+) %", page.split("Highest-scoring regions", 1)[1])
                    if 50 < int(x) <= 100
                ]
                assert not above or "than the whole track" in page, (
                    f"{path}: page {i} lists regions above 50 % under '{said}' without saying why"
                )


def test_every_path_has_its_headline():
    expected = {
        "patch_cnn": "likely_fake",
        "comb": "likely_fake",
        "fakeprint": "likely_fake",
        "profile_builtin": "likely_fake",
        "profile_user": "likely_fake",
        "held_tone": "inconclusive",
        "capped_cnn": "inconclusive",
        "no_content": "inconclusive",
        "short_clip": "too_short",
        "borderline": "inconclusive",
        "no_traces_near_line": "no_traces_found",
        "declared": "no_traces_found",
    }
    assert {p: headline(p) for p in SCENARIOS} == expected


@pytest.mark.parametrize(
    "path,named",
    [
        ("patch_cnn", "patch CNN"),
        ("comb", "comb"),
        ("fakeprint", "fakeprint"),
        ("profile_builtin", "ACE-Step v1"),
        ("profile_user", "my-suno-exports"),
    ],
)
def test_page_one_names_the_evidence_that_decided(path, named):
    first = pages(path)[0]
    assert "rests on" in first and named.lower() in first.split("rests on", 1)[1].lower(), path


@pytest.mark.parametrize("path", ["held_tone", "capped_cnn", "no_content"])
def test_a_held_value_says_so_on_page_one(path):
    assert "held" in pages(path)[0]
    assert not anywhere(path, LIKELY_AI)


@pytest.mark.parametrize("path", ["profile_builtin", "profile_user"])
def test_a_profile_verdict_names_the_profile_on_page_one(path):
    from tests.factories import scenario as make

    facts = next(p for p in make(path).detector("profiles").details["profiles"] if p["match"])
    first = pages(path)[0]
    squashed = first.replace(" ", "")
    assert f"{facts['n_examples']} examples" in first and facts["created"] in first, path
    assert facts["sha256"] in squashed, path
    assert "held out" in first, path  # its validation figures
    if path == "profile_user":
        assert "taught on this computer" in first


def test_declared_provenance_sits_under_the_verdict_not_in_it():
    first = pages("declared")[0]
    line = "The file's own tags say it was made with Suno."
    assert line in first
    verdict_at = first.index(NO_TRACES)
    assert first.index(line) > verdict_at
    assert "What the file declares" in " ".join(pages("declared"))


def test_short_clip_is_too_short_to_tell():
    first = pages("short_clip")[0]
    assert TOO_SHORT in first and NO_TRACES not in first


@pytest.mark.parametrize("path", SCENARIOS)
def test_summary_is_at_most_two_pages(path):
    starts = anywhere(path, APPENDIX)
    assert starts and starts[0] <= 3, f"{path}: the technical appendix starts on page {starts[:1]}"


def test_short_clip_policy_is_one_function_for_every_output():
    """core.vocabulary.headline_verdict: report (above), result.verdict_words (window, CLI), batch table, verify."""
    from forensic_app.batch.triage import cell_words
    from forensic_app.cli import _human
    from forensic_app.core.vocabulary import TOO_SHORT, TOO_SHORT_WORDS, headline_verdict
    from forensic_app.report.verify import printed_figures

    assert headline_verdict("no_traces_found", 5.0) == TOO_SHORT
    assert headline_verdict("no_traces_found", 10.0) == "no_traces_found"
    assert headline_verdict("likely_fake", 2.0) == "likely_fake"  # traces found in a short clip are still traces
    short = scenario("short_clip")
    assert short.verdict == "no_traces_found" and short.verdict_words == TOO_SHORT_WORDS
    assert _human(short).splitlines()[0].endswith(f": {TOO_SHORT_WORDS}")
    assert cell_words("verdict", {"verdict": "no_traces_found", "duration_s": 5.0}) == TOO_SHORT_WORDS
    assert cell_words("verdict", {"verdict": "no_traces_found", "duration_s": 30.0}) == "No traces found"
    assert printed_figures(short.to_json_dict())["Verdict"] == TOO_SHORT_WORDS


def test_a_hold_counts_only_for_the_line_it_held():
    """The comb decided: the patch CNN's cap is not the value's; the CNN decided: it is."""
    from forensic_app.cli import _human
    from forensic_app.report.verify import printed_figures

    comb, capped = scenario("comb"), scenario("capped_cnn")
    assert comb.held is None and capped.held == "cnn_confounded"
    assert "held" not in printed_figures(comb.to_json_dict())["Probability"]
    assert "held" in printed_figures(capped.to_json_dict())["Probability"]
    text = _human(comb).lower()
    assert NO_LIKELY_AI not in text and HELD_BELOW_LINE not in text
