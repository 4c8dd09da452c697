"""The carriers' simulators tell the world's shipment stories; the connectors read them right."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.carriers import rate_across
from connectors.carriers import status as st
from connectors.carriers.base import Parcel, RateRequest
from core.errors import ConfigError
from core.records import Address

EXPECTED = {
    "on_time": (st.DELIVERED, ""),
    "late": (st.DELIVERED, ""),
    "delivered_signed": (st.DELIVERED, ""),
    "delivered_no_pod": (st.DELIVERED, ""),
    "stalled": (st.EXCEPTION, "no_movement"),
    "damaged": (st.EXCEPTION, "damaged"),
    # returned after a failed attempt: the reason says why (the attempt), on the consignee
    "returned_to_sender": (st.RETURNED_TO_SENDER, "recipient_unavailable"),
    # planted for track_shipments: still moving, past its promised date
    "overdue": (st.IN_TRANSIT, ""),
}


@pytest.mark.parametrize("carrier", ["ups", "fedex", "dhl"])
def test_every_world_shipment_tracks_to_its_story(connect, on_sandbox, carrier) -> None:
    world = on_sandbox.world
    numbers = on_sandbox.stats()["tracking_numbers"][carrier]
    assert numbers
    results = connect(carrier).track(numbers)
    for result in results:
        shipment = world.shipment_by_tracking(result.number)
        assert result.found, result.message
        assert (result.status, result.reason_code) == EXPECTED[shipment.story], shipment.story
        assert [e.occurred_at for e in result.events] == sorted(
            e.occurred_at for e in result.events
        )
        if shipment.story == "delivered_signed":
            assert result.pod.signed_by == shipment.signed_by
            assert result.pod.delivered_at == shipment.delivered_at
        if shipment.story == "delivered_no_pod":
            assert result.pod is None
        if shipment.story == "damaged":
            assert result.on_whom == "carrier"


@pytest.mark.parametrize(
    ("carrier", "number"),
    [("ups", "1Z999AA10123456784"), ("fedex", "799999999990"), ("dhl", "9999999999")],
)
def test_a_number_the_carrier_does_not_know_is_not_found(connect, carrier, number) -> None:
    (result,) = connect(carrier).track([number])
    assert not result.found and result.message


def test_fedex_batches_by_30_and_auth_is_counted_apart(connect, on_sandbox) -> None:
    numbers = on_sandbox.stats()["tracking_numbers"]["fedex"]
    padding = [f"7{n:011d}" for n in range(60 - len(numbers))]
    fedex = connect("fedex")
    results = fedex.track(numbers + padding)
    assert len(results) == 60
    calls = on_sandbox.stats()["systems"]["fedex"]
    assert calls["calls"] == {"oauth": 1, "track": 2}
    assert calls["max_batch"] == {"track": 30}


def test_token_expiring_mid_run_recovers(connect, on_sandbox) -> None:
    numbers = on_sandbox.stats()["tracking_numbers"]["ups"]
    ups = connect("ups")
    ups.track(numbers[:1])
    on_sandbox.set_fault("ups", "expired_token", times=1)
    results = ups.track(numbers)
    assert all(r.found for r in results)
    calls = on_sandbox.stats()["systems"]["ups"]["calls"]
    assert calls["oauth"] == 2 and calls["unauthorized"] == 1


def test_rate_limit_and_server_errors_are_retried(connect, on_sandbox) -> None:
    number = on_sandbox.stats()["tracking_numbers"]["dhl"][0]
    on_sandbox.set_fault("dhl", "rate_limit", retry_after=1, times=1)
    on_sandbox.set_fault("dhl", "server_error", status=503, times=1)
    waits: list[float] = []
    dhl = connect("dhl")
    dhl.client.sleep = waits.append
    (result,) = dhl.track([number])
    assert result.found and len(waits) == 2 and waits[0] >= 1


def test_wrong_credentials_fail_the_check_with_what_is_wrong(on_sandbox, make_settings) -> None:
    from connectors.carriers import dhl, fedex, ups

    bad = make_settings(
        environ={
            "ORDERBRIDGE__CONNECTIONS__UPS__CLIENT_SECRET": "wrong",
            "ORDERBRIDGE__CONNECTIONS__FEDEX__CLIENT_SECRET": "wrong",
            "ORDERBRIDGE__CONNECTIONS__DHL__API_KEY": "wrong",
        }
    )
    for module in (ups, fedex, dhl):
        check = module.from_settings(bad).check()
        assert not check.ok and "refused" in check.message, check
    with pytest.raises(ConfigError):
        dhl.from_settings(bad).track(["1234567890"])


def test_check_passes_with_the_sandbox_credentials(connect) -> None:
    for carrier in ("ups", "fedex", "dhl"):
        check = connect(carrier).check()
        assert check.ok and check.system == carrier and check.latency_ms >= 0, check
    assert "tracking answered that test number 0000000000 is unknown" in check.message
    assert "HTTP 404" not in check.message


def test_a_dhl_check_that_reaches_no_tracking_api_fails_naming_the_url(
    on_sandbox, make_settings
) -> None:
    from connectors.carriers import dhl

    # a base URL with the path doubled: the server answers 404 Not Found, not DHL's reply
    wrong = make_settings(
        environ={"ORDERBRIDGE__CONNECTIONS__DHL__URL": "https://api-test.dhl.com/track/shipments"}
    )
    check = dhl.from_settings(wrong).check()
    assert not check.ok and "HTTP 404 (Not Found)" in check.message, check
    assert "connections.dhl.url" in check.hint
    refused = make_settings(environ={"ORDERBRIDGE__CONNECTIONS__DHL__API_KEY": "wrong"})
    check = dhl.from_settings(refused).check()
    assert not check.ok and "connections.dhl.api_key" in check.hint, check


def test_rates_across_carriers_mark_cheapest_and_fastest(connect) -> None:
    request = RateRequest(
        origin=Address(
            lines=("1 Main St",), city="Newark", state="NJ", postal_code="07102", country="US"
        ),
        destination=Address(
            lines=("9 Harbor Rd",), city="Austin", state="TX", postal_code="78701", country="US"
        ),
        parcels=[Parcel(Decimal("2.5"), Decimal("30"), Decimal("20"), Decimal("10"))],
    )
    quotes, problems = rate_across([connect("ups"), connect("fedex"), connect("dhl")], request)
    assert problems == []
    assert {q.carrier for q in quotes} == {"ups", "fedex"}
    cheapest = [q for q in quotes if q.cheapest]
    fastest = [q for q in quotes if q.fastest]
    assert [(q.carrier, q.service) for q in cheapest] == [("fedex", "FEDEX_GROUND")]
    assert {q.transit_days for q in fastest} == {1}
    assert all(isinstance(q.cost.amount, Decimal) and q.cost.currency == "USD" for q in quotes)
