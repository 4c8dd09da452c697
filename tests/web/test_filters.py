"""How times and durations read on the pages."""

from __future__ import annotations

import pytest

from web.filters import duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (4.24, "4.2 s"),
        (42, "42 s"),
        (83, "1 min 23 s"),
        (120, "2 min"),
        (7500, "2 h 5 min"),
    ],
)
def test_durations_read_plainly(seconds, text):
    assert duration(seconds) == text
