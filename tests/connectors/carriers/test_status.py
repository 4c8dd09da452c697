"""The normalised status set: order, terminal states, events append-only, reasons."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from connectors.carriers import status as st
from connectors.carriers.base import TrackResult, finish, flag_no_movement
from core.records import TrackingEvent

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def ev(hours: int, status: str, description: str = "") -> TrackingEvent:
    return TrackingEvent(T0 + timedelta(hours=hours), status, description)


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        (st.UNKNOWN, st.PRE_TRANSIT, st.PRE_TRANSIT),
        (st.PRE_TRANSIT, st.IN_TRANSIT, st.IN_TRANSIT),
        (st.IN_TRANSIT, st.PRE_TRANSIT, st.IN_TRANSIT),
        (st.OUT_FOR_DELIVERY, st.IN_TRANSIT, st.OUT_FOR_DELIVERY),
        (st.IN_TRANSIT, st.UNKNOWN, st.IN_TRANSIT),
        (st.IN_TRANSIT, st.EXCEPTION, st.EXCEPTION),
        (st.EXCEPTION, st.DELIVERED, st.DELIVERED),
        (st.EXCEPTION, st.IN_TRANSIT, st.IN_TRANSIT),
        (st.EXCEPTION, st.PRE_TRANSIT, st.EXCEPTION),
        (st.DELIVERED, st.IN_TRANSIT, st.DELIVERED),
        (st.DELIVERED, st.EXCEPTION, st.DELIVERED),
        (st.DELIVERED, st.RETURNED_TO_SENDER, st.DELIVERED),
        (st.RETURNED_TO_SENDER, st.DELIVERED, st.RETURNED_TO_SENDER),
        (st.CANCELLED, st.IN_TRANSIT, st.CANCELLED),
        (st.IN_TRANSIT, st.RETURNED_TO_SENDER, st.RETURNED_TO_SENDER),
        (st.AVAILABLE_FOR_PICKUP, st.OUT_FOR_DELIVERY, st.AVAILABLE_FOR_PICKUP),
        (st.AVAILABLE_FOR_PICKUP, st.DELIVERED, st.DELIVERED),
        ("garbage", st.IN_TRANSIT, st.IN_TRANSIT),
    ],
)
def test_merge_status_never_moves_backwards(current: str, new: str, expected: str) -> None:
    assert st.merge_status(current, new) == expected


def test_terminal_states_absorb_everything() -> None:
    for terminal in st.TERMINAL:
        for new in st.STATUSES:
            assert st.merge_status(terminal, new) == terminal


def test_merge_events_appends_and_never_drops() -> None:
    old = [ev(0, st.PRE_TRANSIT, "label"), ev(5, st.IN_TRANSIT, "departed")]
    new = [ev(5, st.IN_TRANSIT, "departed "), ev(9, st.DELIVERED, "delivered")]
    merged = st.merge_events(old, new)
    assert [e.description for e in merged] == ["label", "departed", "delivered"]
    assert st.merge_events(merged, []) == merged


def test_finish_folds_events_and_takes_the_latest_reason() -> None:
    result = TrackResult("1", "ups", events=[ev(3, st.EXCEPTION), ev(0, st.PRE_TRANSIT)])
    result.events[0].reason_code, result.events[0].on_whom = "weather_delay", "weather"
    finish(result, st.IN_TRANSIT)
    assert result.status == st.IN_TRANSIT
    assert (result.reason_code, result.on_whom) == ("weather_delay", "weather")
    assert result.events[0].status == st.PRE_TRANSIT


def test_no_movement_turns_a_live_shipment_into_an_exception_on_the_carrier() -> None:
    result = finish(TrackResult("1", "fedex", events=[ev(0, st.IN_TRANSIT)]))
    flag_no_movement(result, T0 + timedelta(days=5), days=4)
    assert (result.status, result.reason_code, result.on_whom) == (
        st.EXCEPTION,
        "no_movement",
        "carrier",
    )
    delivered = finish(TrackResult("2", "fedex", events=[ev(0, st.DELIVERED)]))
    assert flag_no_movement(delivered, T0 + timedelta(days=50), 4).status == st.DELIVERED


@pytest.mark.parametrize(
    ("words", "reason", "on_whom"),
    [
        ("Severe weather conditions have delayed delivery", "weather_delay", "weather"),
        ("Package held by customs for inspection", "customs_hold", "customs"),
        ("Package damaged, contents being evaluated", "damaged", "carrier"),
        ("The address is incorrect", "address_problem", "shipper"),
        ("Customer not available or business closed", "recipient_unavailable", "consignee"),
        ("Delivery refused by recipient", "refused", "consignee"),
        ("Departed from facility", "", ""),
    ],
)
def test_carrier_words_name_a_reason_and_who_it_is_on(words, reason, on_whom) -> None:
    assert st.classify_reason(words) == (reason, on_whom)
