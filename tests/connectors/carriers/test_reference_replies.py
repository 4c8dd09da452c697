"""The carriers' real recorded replies (karrio) and spec examples parse through our parsers."""

from __future__ import annotations

import re
from decimal import Decimal

from connectors.carriers import dhl_records as dhl
from connectors.carriers import fedex_records as fedex
from connectors.carriers import status as st
from connectors.carriers import ups_records as ups
from connectors.carriers.client import Reply
from tests.connectors.carriers.reference_files import karrio, load_spec, walk


def test_ups_tracking_reply_parses_with_its_quirks(reference) -> None:
    body = karrio(reference, "ups/tracking_response.json")
    # the recorded reply breaks the spec: paymentInformation is an object, not an array
    package = body["trackResponse"]["shipment"][0]["package"][0]
    assert isinstance(package["paymentInformation"], dict)
    result = ups.parse_track("1Z1442YY7229014688", Reply(200, body))
    assert result.found
    assert result.status == st.DELIVERED
    assert [e.status for e in result.events] == [st.PRE_TRANSIT, st.DELIVERED]
    assert result.events[-1].location == "PARAMUS, NJ, US"
    assert result.pod is not None
    assert result.pod.delivered_at.isoformat() == "2022-01-26T16:30:00+00:00"
    assert result.pod.signed_by == ""  # the reply puts a time (163000) where the name goes


def test_ups_error_reply_is_a_number_ups_does_not_know(reference) -> None:
    body = karrio(reference, "ups/error_response.json")
    result = ups.parse_track("1Z0000000000000000", Reply(404, body))
    assert not result.found
    assert result.message == "Invalid Access License number"


def test_ups_rating_replies_parse_into_quotes(reference) -> None:
    replies = karrio(reference, "ups/rating_responses.json")
    quotes = [q for body in replies for q in ups.parse_rate(body)]
    assert quotes, "the recorded replies carry real rated shipments"
    real = [q for q in quotes if q.cost.currency == "CAD"]
    assert all(isinstance(q.cost.amount, Decimal) for q in real)
    assert {q.service for q in real} >= {"01", "13", "14"}
    assert any(q.transit_days == 1 for q in real)
    # placeholder replies ("string" values) are skipped, not turned into nonsense quotes
    assert all(re.fullmatch(r"[A-Z]{3}", q.cost.currency) for q in quotes)


def test_fedex_tracking_reply_parses_with_alerts_as_a_string(reference) -> None:
    body = karrio(reference, "fedex/tracking_response.json")
    assert isinstance(body["output"]["alerts"], str)
    results = fedex.parse_track(["123456789012", "39936862321"], Reply(200, body))
    first, second = results
    assert first.number == "123456789012" and first.found
    assert first.status == st.IN_TRANSIT
    assert (first.reason_code, first.on_whom) == ("weather_delay", "weather")
    assert first.events[0].location == "SEATTLE, WA, US"
    assert first.events[0].occurred_at.isoformat() == "2018-02-02T12:01:00-07:00"
    assert not second.found
    assert "cannot be found" in second.message
    assert fedex.alerts(body) == ["TRACKING.DATA.NOTFOUND -  Tracking data unavailable"]


def test_fedex_error_reply_marks_every_number_of_the_call(reference) -> None:
    body = karrio(reference, "fedex/error_response.json")
    results = fedex.parse_track(["1", "2"], Reply(400, body))
    assert [(r.found, r.message) for r in results] == [
        (False, "Please provide tracking number.")
    ] * 2


def test_fedex_rating_replies_parse_into_quotes(reference) -> None:
    replies = karrio(reference, "fedex/rating_responses.json")
    quotes = [q for body in replies for q in fedex.parse_rate(body)]
    services = {q.service: q for q in quotes}
    assert services["FEDEX_GROUND"].transit_days == 4
    assert services["INTERNATIONAL_ECONOMY"].cost.amount == Decimal("954.17")
    assert services["FEDEX_EXPRESS_SAVER"].cost.currency == "USD"


def test_dhl_tracking_reply_parses_with_numeric_ids(reference) -> None:
    body = karrio(reference, "dhl_universal/tracking.json")
    shipment = body["trackingResponse"]["shipments"][0]
    assert isinstance(shipment["id"], int)
    result = dhl.parse_track("7777777770", Reply(200, body))
    assert result.found
    assert result.status == st.PRE_TRANSIT  # the code says pre-transit; the code wins
    assert result.events[0].occurred_at.isoformat() == "2018-03-02T07:53:47+00:00"
    assert result.events[0].location == "Oderweg 2, AMSTERDAM, NL"
    assert (result.reason_code, result.on_whom) == ("customs_hold", "customs")


def test_dhl_not_found_problem_reads_its_detail(reference) -> None:
    import json

    body = json.loads((reference / "carriers/dhl/Error.json").read_text(encoding="utf-8-sig"))
    result = dhl.parse_track("8264715546", Reply(404, body))
    assert not result.found
    assert result.message == "No shipment with given tracking number found."


# ---- every status code in the specs and the recorded replies maps to a known status -------


def _codes_in_examples(description: str) -> list[str]:
    match = re.search(r"Example:\s*([A-Z0-9, ]+)", description or "")
    return [c.strip() for c in match.group(1).split(",") if c.strip()] if match else []


def test_every_ups_status_code_in_reference_maps(reference) -> None:
    spec = load_spec(reference / "carriers/ups/Tracking.yaml")
    example = spec["components"]["schemas"]["Status"]["properties"]
    seen = [(example["type"]["example"], example["statusCode"]["example"])]
    body = karrio(reference, "ups/tracking_response.json")
    for status in list(walk(body, "status")) + list(walk(body, "currentStatus")):
        if isinstance(status, dict):
            seen.append((status.get("type"), status.get("statusCode")))
    assert len(seen) >= 4
    for type_, code in seen:
        assert ups.map_status(type_, code) != st.UNKNOWN, (type_, code)
        assert ups.map_status(type_) != st.UNKNOWN, type_
        assert ups.map_status("", code) != st.UNKNOWN, code


def test_every_fedex_status_code_in_reference_maps(reference) -> None:
    spec = load_spec(reference / "carriers/fedex/TrackingNumbers-Resource.json")
    schemas = spec["components"]["schemas"]
    codes = set()
    for schema, field in (("StatusDetail", "code"), ("StatusDetail", "derivedCode")):
        prop = schemas[schema]["properties"][field]
        codes.update(_codes_in_examples(prop["description"]))
        codes.add(prop["example"])
    for schema, field in (("ScanEvent", "eventType"), ("ScanEvent", "derivedStatusCode")):
        codes.add(schemas[schema]["properties"][field]["example"])
    body = karrio(reference, "fedex/tracking_response.json")
    for latest in walk(body, "latestStatusDetail"):
        codes.update(filter(None, (latest.get("code"), latest.get("derivedCode"))))
    for scans in walk(body, "scanEvents"):
        for scan in scans:
            codes.update(filter(None, (scan.get("eventType"), scan.get("derivedStatusCode"))))
    assert {"PU", "DE", "DP", "HL", "OC"} <= codes
    assert {c: fedex.map_status(c) for c in codes if fedex.map_status(c) == st.UNKNOWN} == {}


def test_every_dhl_status_code_in_reference_maps(reference) -> None:
    spec = load_spec(reference / "carriers/dhl/utapi-traking-api-1.4.1.yaml")
    event = spec["components"]["schemas"]["supermodelIoLogisticsTrackingShipmentEvent"]
    codes = set(event["properties"]["statusCode"]["enum"])
    codes.update(walk(karrio(reference, "dhl_universal/tracking.json"), "statusCode"))
    # DHL's own "unknown" is refined from its words; every other code maps directly.
    for code in codes - {"unknown"}:
        assert dhl.map_status(code) != st.UNKNOWN, code
    assert dhl.map_status("unknown", "Shipment picked up, in transit") == st.IN_TRANSIT
    assert dhl.map_status("unknown", "Delivered") == st.DELIVERED
