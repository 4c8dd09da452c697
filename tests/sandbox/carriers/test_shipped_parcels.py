"""Parcels the 3PL simulator ships are tracked by the carrier simulators: a story told from the
sandbox clock, in each carrier's real wire shape, ending delivered with proof of delivery."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

from connectors.carriers import guess_carrier
from connectors.carriers import status as st
from sandbox.carriers.common import find_parcel, transit_days
from sandbox.threepl.app import ship_pending
from tests.sandbox.carriers.openapi import response_schema, validate

SHIPPED_AT = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
SERVICES = {"ups": "03", "fedex": "FEDEX_2_DAY", "dhl": "EXPRESS_WORLDWIDE"}


@pytest.fixture
def clock(on_sandbox):
    """The sandbox clock, moved by the test: `clock.now = ...`."""

    class Clock:
        now = SHIPPED_AT

    on_sandbox.clock = lambda: Clock.now
    return Clock


def ship(state, carrier: str, reference: str) -> str:
    """A 3PL order shipped with `carrier` at the clock's now; its tracking number."""
    level = next(s for s in state.world.inventory if s.on_hand >= 10)
    with state.transaction():
        state.put_record(
            "threepl",
            "order",
            reference,
            {
                "id": f"ORD-{reference}",
                "client_reference": reference,
                "order_number": reference,
                "warehouse": level.warehouse,
                "ship_to": {"name": "Summit Foods", "city": "Boston", "country": "US"},
                "carrier": {"code": carrier, "service": SERVICES[carrier]},
                "lines": [{"line_no": 1, "sku": level.sku, "quantity": 2, "weight_kg": 3.5}],
                "status": "received",
                "created_at": state.clock().isoformat(),
            },
        )
    (shipment_id,) = ship_pending(state)
    (number,) = state.get_record("threepl", "shipment", shipment_id)["tracking_numbers"]
    return number


def transit(state, carrier: str) -> timedelta:
    seconds = state.meta_get(carrier, "transit_day_seconds")
    return timedelta(seconds=transit_days(carrier, SERVICES[carrier]) * seconds)


@pytest.mark.parametrize("carrier", ["ups", "fedex", "dhl"])
def test_a_3pl_parcel_is_tracked_from_label_to_delivery_with_proof(
    connect, on_sandbox, clock, carrier
) -> None:
    number = ship(on_sandbox, carrier, f"OB-9{carrier}-F1")
    assert guess_carrier(number) == carrier
    connector = connect(carrier)

    (label,) = connector.track([number])
    assert label.found, label.message
    assert label.status == st.PRE_TRANSIT and label.pod is None
    assert [e.occurred_at for e in label.events] == [SHIPPED_AT]

    clock.now = SHIPPED_AT + transit(on_sandbox, carrier) / 2
    (moving,) = connector.track([number])
    assert moving.status == st.IN_TRANSIT and moving.pod is None
    assert len(moving.events) > len(label.events)
    assert connector.track([number])[0].events == moving.events  # the same clock, the same story

    clock.now = SHIPPED_AT + transit(on_sandbox, carrier) + timedelta(minutes=1)
    (done,) = connector.track([number])
    assert done.status == st.DELIVERED and done.reason_code == ""
    assert done.pod is not None and done.pod.signed_by
    assert done.pod.delivered_at == done.events[-1].occurred_at > SHIPPED_AT
    assert "BOSTON" in done.events[-1].location.upper()
    assert [e.occurred_at for e in done.events] == sorted(e.occurred_at for e in done.events)


def test_a_longer_service_takes_longer(on_sandbox, clock) -> None:
    assert transit_days("ups", "01") < transit_days("ups", "03")
    assert transit_days("fedex", "PRIORITY_OVERNIGHT") < transit_days("fedex", "FEDEX_GROUND")
    number = ship(on_sandbox, "ups", "OB-9ground-F1")
    clock.now = SHIPPED_AT + timedelta(seconds=on_sandbox.meta_get("ups", "transit_day_seconds"))
    parcel = find_parcel(on_sandbox, "ups", number)
    assert parcel.delivered_at is None  # a day's worth of time is not five days of Ground


def test_a_3pl_parcel_is_unknown_to_the_other_carriers(connect, on_sandbox, clock) -> None:
    number = ship(on_sandbox, "fedex", "OB-9other-F1")
    for carrier in ("ups", "dhl"):
        (result,) = connect(carrier).track([number])
        assert not result.found


def test_the_replies_for_3pl_parcels_validate_against_the_real_schema(
    reference, connect, on_sandbox, clock, replies
) -> None:
    numbers = {c: ship(on_sandbox, c, f"OB-9{c}-F1") for c in SERVICES}
    for moment in (SHIPPED_AT, SHIPPED_AT + timedelta(minutes=30)):  # label, then delivered
        clock.now = moment
        for carrier, number in numbers.items():
            connect(carrier).track([number])
    tracked = [(s, r) for s, r in replies if "track" in urlsplit(r.request.url).path]
    assert {(s, r.status_code) for s, r in tracked} == {(c, 200) for c in SERVICES}
    for system, response in tracked:
        schema, spec = response_schema(
            reference,
            system,
            response.request.method,
            urlsplit(response.request.url).path,
            response.status_code,
            response.headers.get("Content-Type", ""),
        )
        assert validate(schema, spec, response.json()) == []


def test_a_broken_3pl_confirmation_is_not_found_rather_than_a_crash(
    sandbox_session, on_sandbox, clock
) -> None:
    number = ship(on_sandbox, "dhl", "OB-9broken-F1")
    (confirmation,) = [
        s for s in on_sandbox.find_records("threepl", "shipment") if number in s["tracking_numbers"]
    ]
    broken = {k: v for k, v in confirmation.items() if k not in ("internal_id", "modified_at")}
    broken["created_at"] = "not a time"
    on_sandbox.put_record("threepl", "shipment", broken.pop("external_id"), broken)
    response = sandbox_session.get(
        "https://api-test.dhl.com/track/shipments",
        params={"trackingNumber": number},
        headers={"DHL-API-Key": "sandbox-dhl-key"},
    )
    assert response.status_code == 404
