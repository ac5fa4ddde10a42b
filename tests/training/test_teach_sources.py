"""Teaching a profile from real music must never make a profile that calls that music AI.

These run on the real-music reference the app ships (weights/profile_reference.npz: fakeprints of
every real source, as it is and through every rate and codec) and with the app's own teaching
rules (weights/profile_teaching.json): a user who teaches 5 tracks of one artist or label, or real
songs of different artists that went through one encoder, gets a refusal, or at worst a profile
that flags none of that source's other tracks.
"""

from __future__ import annotations

import json
from collections import defaultdict

import numpy as np
import pytest

from forensic_app.resources import weights_dir
from forensic_app.training.profile_data import load_table
from forensic_app.training.profiles import Refused, TeachRules, teach

MIN_TRACKS = 6  # 5 to teach, at least one to test


@pytest.fixture(scope="module")
def reference():
    d = weights_dir()
    path = d / "profile_reference.npz"
    if not path.is_file():
        pytest.fail("the shipped model bundle has no profile_reference.npz")
    readings, X = load_table(path)
    rules_raw = json.loads((d / "profile_teaching.json").read_text())
    rules = TeachRules(**{k: v for k, v in rules_raw.items() if k in TeachRules.__dataclass_fields__})
    tracks: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, r in enumerate(readings):
        tracks[r.source][r.path].append(i)
    return readings, X, rules, tracks


def _whole(readings, rows):
    """The reading of the whole file as it is (the first such row), else the first row."""
    return next((i for i in rows if readings[i].variant == "orig" and readings[i].dur_s == 0), rows[0])


def _teach(readings, X, rules, chosen_rows: list[list[int]], leave_out: set[str]):
    rows = [i for rs in chosen_rows for i in rs]
    owner = [k for k, rs in enumerate(chosen_rows) for _ in rs]
    orig = [_whole(readings, rs) for rs in chosen_rows]
    keep = np.array([r.source not in leave_out for r in readings])
    return teach(
        "taught",
        X[orig],
        X[rows],
        owner,
        X[keep],
        [r.source for r in readings if r.source not in leave_out],
        rules=rules,
    )


def test_five_tracks_of_any_single_real_source_are_refused_or_flag_none_of_its_other_tracks(reference):
    readings, X, rules, tracks = reference
    sources = sorted(s for s, t in tracks.items() if len(t) >= MIN_TRACKS)
    assert len(sources) >= 15  # the loop below is over the whole shipped reference, not a sample
    outcomes = {}
    for src in sources:
        paths = sorted(tracks[src])
        try:
            prof = _teach(readings, X, rules, [tracks[src][p] for p in paths[:5]], {src})
        except Refused:
            outcomes[src] = "refused"
            continue
        others = [i for p in paths[5:] for i in tracks[src][p]]
        flagged = int(np.sum(prof.score_many(X[others]) >= prof.threshold_logit))
        outcomes[src] = f"made, flags {flagged} of {len(others)} readings of its other tracks"
    bad = {s: o for s, o in outcomes.items() if o != "refused" and not o.startswith("made, flags 0 ")}
    assert not bad, bad


def test_real_songs_of_different_sources_are_refused_as_they_are_and_through_one_encoder(reference):
    readings, X, rules, tracks = reference
    big = sorted(s for s, t in tracks.items() if len(t) >= MIN_TRACKS)
    rng = np.random.default_rng(0)
    for draw in range(3):
        picked = rng.choice(big, 5, replace=False)
        rows = [tracks[s][sorted(tracks[s])[draw]] for s in picked]
        with pytest.raises(Refused):
            _teach(readings, X, rules, rows, set(picked))
    # the same encoder chain (MP3 128 kbit/s) over songs of different sources: only their MP3 readings
    mp3 = {s: [i for p in sorted(tracks[s]) for i in tracks[s][p] if readings[i].variant == "mp3-128k"] for s in big}
    with_mp3 = [s for s in big if mp3[s]]
    picked = with_mp3[:5]
    try:
        prof = _teach(readings, X, rules, [[mp3[s][0]] for s in picked], set(picked))
    except Refused:
        return
    others = [i for s in with_mp3[5:] for i in mp3[s]]
    assert int(np.sum(prof.score_many(X[others]) >= prof.threshold_logit)) == 0
