"""What `run.py track` and rating across carriers need: guessing, formatting, marking."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from connectors.carriers import TrackResult, format_tracking, guess_carrier, rate_across
from connectors.carriers.base import RateQuote
from core.errors import TransientError
from core.records import Money, ProofOfDelivery, TrackingEvent


@pytest.mark.parametrize(
    ("number", "carrier"),
    [
        ("1Z999AA10123456784", "ups"),
        ("1z 999 aa1 0123 4567 84", "ups"),
        ("123456789012", "fedex"),
        ("9612345678901234567890", "fedex"),
        ("1234567890", "dhl"),
        ("00340434292135100186", "dhl"),
        ("JJD0099999999", None),
        ("JD014600006281230704", "dhl"),
        ("hello", None),
        ("", None),
    ],
)
def test_guess_carrier_from_the_numbers_format(number, carrier) -> None:
    assert guess_carrier(number) == carrier


def _delivered() -> TrackResult:
    when = datetime(2026, 3, 2, 14, 5, tzinfo=timezone.utc)
    return TrackResult(
        "1Z999AA10123456784",
        "ups",
        status="delivered",
        events=[TrackingEvent(when, "delivered", "Delivered", "PARAMUS, NJ, US")],
        pod=ProofOfDelivery(when, "J SMITH", "FRONT DOOR"),
    )


def test_format_tracking_shows_status_pod_and_events() -> None:
    out = format_tracking(_delivered())
    assert out.splitlines()[0] == "1Z999AA10123456784 (ups): delivered"
    assert "signed by J SMITH at FRONT DOOR" in out
    assert "Delivered [PARAMUS, NJ, US]" in out
    missing = TrackResult("1Z0", "ups", found=False, message="Tracking number not found")
    assert format_tracking(missing) == "1Z0 (ups): not found - Tracking number not found"


def test_track_result_is_json_able() -> None:
    data = json.loads(json.dumps(_delivered().to_dict()))
    assert data["pod"] == {
        "delivered_at": "2026-03-02T14:05:00+00:00",
        "signed_by": "J SMITH",
        "location": "FRONT DOOR",
    }
    assert data["events"][0]["status"] == "delivered"


class _Fixed:
    def __init__(self, system, quotes=None, error=None):
        self.system, self.quotes, self.error = system, quotes or [], error

    def rate(self, request):
        if self.error:
            raise self.error
        return self.quotes


def q(carrier, service, amount, days, currency="USD"):
    return RateQuote(carrier, service, Money(Decimal(amount), currency), days)


def test_rates_across_carriers_mark_cheapest_and_fastest() -> None:
    quotes, problems = rate_across(
        [
            _Fixed("ups", [q("ups", "03", "12.40", 4), q("ups", "01", "48.10", 1)]),
            _Fixed("fedex", [q("fedex", "FEDEX_GROUND", "11.95", 5)]),
            _Fixed("dhl", error=TransientError("HTTP 503", system="dhl")),
        ],
        request=None,
    )
    assert [(x.carrier, x.service) for x in quotes if x.cheapest] == [("fedex", "FEDEX_GROUND")]
    assert [(x.carrier, x.service) for x in quotes if x.fastest] == [("ups", "01")]
    assert quotes[0].service == "FEDEX_GROUND"
    assert problems == ["dhl: dhl: HTTP 503"]
