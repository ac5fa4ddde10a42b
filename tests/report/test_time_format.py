"""One time format for window, report and case (core.vocabulary.format_clock): a time a user
chose (an annotation at 59.96 s) prints as a player shows it, never as 0:60.0."""

from __future__ import annotations

import pytest

from forensic_app.core.vocabulary import format_clock
from forensic_app.gui.scales import format_time
from forensic_app.report.figures import _clock
from forensic_app.report.wording import fmt_clock


@pytest.mark.parametrize(
    "seconds, report, axis, window",
    [
        (59.96, "1:00.0", "1:00", "1:00"),
        (59.94, "0:59.9", "0:59.9", "1:00"),
        (3725.04, "1:02:05.0", "1:02:05", "1:02:05"),
        (0.04, "0:00.0", "0:00", "0:00"),
    ],
)
def test_every_face_of_the_app_prints_a_time_the_same_way(seconds, report, axis, window):
    assert fmt_clock(seconds) == report  # report tables, annotations, case offsets
    assert _clock(seconds) == axis  # report figure axes
    assert format_time(seconds) == window  # window axes and readouts


def test_a_negative_offset_keeps_its_sign_but_zero_has_none():
    assert format_clock(-1.25, 3) == "-0:01.250"
    assert format_clock(-0.0004, 3) == "0:00.000"
    assert format_clock(float("nan")) == "?"
