"""Every reply the carrier simulators give validates against the carrier's real OpenAPI schema."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

from connectors.carriers.base import Parcel, RateRequest
from core.records import Address
from tests.sandbox.carriers.openapi import response_schema, validate


def _request(origin: str, destination: str) -> RateRequest:
    return RateRequest(
        origin=Address(lines=("1 Main St",), city="Newark", postal_code="07102", country=origin),
        destination=Address(
            lines=("9 Keizersgracht",), city="Utrecht", postal_code="3511 LX", country=destination
        ),
        parcels=[Parcel(Decimal("4.2"))],
    )


def _exercise(connect, state, make_settings) -> None:
    from connectors.carriers import dhl, fedex, ups

    numbers = state.stats()["tracking_numbers"]
    for carrier, unknown in (
        ("ups", "1Z999AA10123456784"),
        ("fedex", "799999999990"),
        ("dhl", "9999999999"),
    ):
        connector = connect(carrier)
        connector.check()
        connector.track([*numbers[carrier], unknown])
        connector.rate(_request("US", "US"))
        connector.rate(_request("US", "NL"))
    state.set_fault("ups", "expired_token", times=1)
    state.set_fault("fedex", "expired_token", times=1)
    connect("ups").track(numbers["ups"][:1])
    connect("fedex").track(numbers["fedex"][:1])
    too_many = [{"trackingNumberInfo": {"trackingNumber": f"7{n:011d}"}} for n in range(31)]
    body = {"includeDetailedScans": True, "trackingInfo": too_many}
    connect("fedex").client.call("POST", "/track/v1/trackingnumbers", json=body)
    bad = make_settings(
        environ={
            "ORDERBRIDGE__CONNECTIONS__UPS__CLIENT_SECRET": "wrong",
            "ORDERBRIDGE__CONNECTIONS__FEDEX__CLIENT_SECRET": "wrong",
            "ORDERBRIDGE__CONNECTIONS__DHL__API_KEY": "wrong",
        }
    )
    for module in (ups, fedex, dhl):
        module.from_settings(bad).check()


def test_every_carrier_simulator_reply_validates_against_the_real_schema(
    reference, connect, on_sandbox, replies, make_settings
) -> None:
    _exercise(connect, on_sandbox, make_settings)
    checked: dict[tuple[str, int], int] = {}
    problems = []
    for system, response in replies:
        method, path = response.request.method, urlsplit(response.request.url).path
        found = response_schema(
            reference,
            system,
            method,
            path,
            response.status_code,
            response.headers.get("Content-Type", ""),
        )
        assert found is not None, (
            f"{system} {method} {path} {response.status_code}: no schema in the spec"
        )
        schema, spec = found
        errors = validate(schema, spec, response.json())
        if errors:
            problems.append((system, method, path, response.status_code, errors[:3]))
        checked[(system, response.status_code)] = checked.get((system, response.status_code), 0) + 1
    assert problems == []
    assert {key for key in checked} >= {
        ("ups", 200),
        ("ups", 401),
        ("ups", 404),
        ("fedex", 200),
        ("fedex", 400),
        ("fedex", 401),
        ("dhl", 200),
        ("dhl", 401),
        ("dhl", 404),
    }


def test_the_validator_catches_a_reply_that_breaks_the_spec(reference) -> None:
    found = response_schema(
        reference, "ups", "GET", "/api/track/v1/details/1Z", 200, "application/json"
    )
    schema, spec = found
    quirky = {
        "trackResponse": {"shipment": [{"package": [{"paymentInformation": {"amount": "0"}}]}]}
    }
    # karrio's recorded reply: an object where an array is due
    broken = validate(schema, spec, quirky)
    assert any(
        e.startswith("trackResponse/shipment/0/package/0/paymentInformation") for e in broken
    )
