from __future__ import annotations

from datetime import datetime, timedelta, timezone

from connectors.base import window_end

T = datetime(2026, 11, 26, 10, 33, 5, 200500, tzinfo=timezone.utc)


def test_a_window_end_rounds_up_to_the_systems_resolution():
    assert window_end(T) == T.replace(second=6, microsecond=0)
    assert window_end(T, timedelta(milliseconds=1)) == T.replace(microsecond=201000)
    whole = T.replace(microsecond=0)
    assert window_end(whole) == whole
