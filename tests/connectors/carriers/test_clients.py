"""The carrier clients against recorded HTTP: auth flows, token expiry, batching, retries."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from urllib.parse import parse_qs

import pytest
import responses

from connectors.carriers import dhl, fedex, ups
from connectors.carriers import status as st
from core.errors import ConfigError

UPS = "https://wwwcie.ups.com"
FEDEX = "https://apis-sandbox.fedex.com"
DHL = "https://api-test.dhl.com"


NOW = datetime(2026, 3, 3, 12, 0, tzinfo=timezone.utc)


def _no_sleep(carrier):
    carrier.client.sleep = lambda seconds: None
    carrier.clock = lambda: NOW
    return carrier


def ups_track_body(number: str, type_: str = "I", code: str = "005") -> dict:
    activity = {
        "status": {"type": type_, "statusCode": code, "description": "On the way"},
        "date": "20260302",
        "time": "101500",
        "location": {"address": {"city": "LOUISVILLE", "stateProvince": "KY", "countryCode": "US"}},
    }
    package = {
        "trackingNumber": number,
        "activity": [activity],
        "currentStatus": activity["status"],
    }
    return {"trackResponse": {"shipment": [{"inquiryNumber": number, "package": [package]}]}}


def fedex_track_body(numbers: list[str]) -> dict:
    return {
        "transactionId": "t",
        "output": {
            "completeTrackResults": [
                {
                    "trackingNumber": n,
                    "trackResults": [
                        {
                            "latestStatusDetail": {"code": "DL", "derivedCode": "DL"},
                            "scanEvents": [
                                {"date": "2026-03-02T09:00:00-05:00", "derivedStatusCode": "DL"}
                            ],
                            "deliveryDetails": {"receivedByName": "M.SMITH"},
                        }
                    ],
                }
                for n in numbers
            ]
        },
    }


@responses.activate
def test_ups_oauth_uses_basic_auth_and_caches_the_token(settings) -> None:
    token = responses.post(
        f"{UPS}/security/v1/oauth/token",
        json={"access_token": "tok-1", "token_type": "Bearer", "expires_in": "14399"},
    )
    for n in ("1Z999AA10123456784", "1Z999AA10123456785"):
        responses.get(f"{UPS}/api/track/v1/details/{n}", json=ups_track_body(n))
    carrier = _no_sleep(ups.from_settings(settings))
    results = carrier.track(["1Z999AA10123456784", "1Z999AA10123456785", "1Z999AA10123456784"])
    assert [r.status for r in results] == [st.IN_TRANSIT, st.IN_TRANSIT]
    assert token.call_count == 1 and carrier.auth_calls == 1 and carrier.api_calls == 2
    sent = token.calls[0].request
    assert (
        sent.headers["Authorization"]
        == "Basic " + base64.b64encode(b"sandbox-ups-client:sandbox-ups-secret").decode()
    )
    assert parse_qs(sent.body) == {"grant_type": ["client_credentials"]}
    track = responses.calls[1].request
    assert track.headers["Authorization"] == "Bearer tok-1"
    assert track.headers["transactionSrc"] == "orderbridge"


@responses.activate
def test_ups_unknown_number_is_not_found_with_the_carriers_message(settings) -> None:
    responses.post(f"{UPS}/security/v1/oauth/token", json={"access_token": "t", "expires_in": 600})
    responses.get(
        f"{UPS}/api/track/v1/details/1Z0000000000000000",
        status=404,
        json={"response": {"errors": [{"code": "151044", "message": "Tracking number not found"}]}},
    )
    (result,) = _no_sleep(ups.from_settings(settings)).track(["1Z0000000000000000"])
    assert (result.found, result.message) == (False, "Tracking number not found")


@responses.activate
def test_fedex_oauth_sends_credentials_in_the_form(settings) -> None:
    token = responses.post(f"{FEDEX}/oauth/token", json={"access_token": "f1", "expires_in": 3600})
    responses.post(f"{FEDEX}/track/v1/trackingnumbers", json=fedex_track_body(["123456789012"]))
    (result,) = _no_sleep(fedex.from_settings(settings)).track(["123456789012"])
    assert result.status == st.DELIVERED and result.pod.signed_by == "M.SMITH"
    assert parse_qs(token.calls[0].request.body) == {
        "grant_type": ["client_credentials"],
        "client_id": ["sandbox-fedex-client"],
        "client_secret": ["sandbox-fedex-secret"],
    }


@responses.activate
def test_fedex_tracks_30_numbers_a_call_so_31_to_60_go_in_a_second(settings) -> None:
    numbers = [f"{700000000000 + i}" for i in range(1, 61)]
    responses.post(f"{FEDEX}/oauth/token", json={"access_token": "f1", "expires_in": 3600})

    def reply(request):
        asked = [
            t["trackingNumberInfo"]["trackingNumber"]
            for t in json.loads(request.body)["trackingInfo"]
        ]
        return 200, {}, json.dumps(fedex_track_body(asked))

    track = responses.add_callback(responses.POST, f"{FEDEX}/track/v1/trackingnumbers", reply)
    carrier = _no_sleep(fedex.from_settings(settings))
    results = carrier.track(numbers)
    assert [r.number for r in results] == numbers and all(r.found for r in results)
    batches = [
        [
            t["trackingNumberInfo"]["trackingNumber"]
            for t in json.loads(c.request.body)["trackingInfo"]
        ]
        for c in track.calls
    ]
    assert batches == [numbers[:30], numbers[30:]]
    assert (carrier.api_calls, carrier.auth_calls) == (2, 1)


@responses.activate
def test_token_expiring_mid_run_is_renewed_and_the_call_repeated(settings) -> None:
    tokens = responses.post(f"{FEDEX}/oauth/token", json={"access_token": "f1", "expires_in": 3600})
    url = f"{FEDEX}/track/v1/trackingnumbers"
    responses.post(url, json=fedex_track_body(["111111111111"]))
    responses.post(
        url,
        status=401,
        json={"errors": [{"code": "NOT.AUTHORIZED.ERROR", "message": "token expired"}]},
    )
    responses.post(url, json=fedex_track_body(["222222222222"]))
    carrier = _no_sleep(
        fedex.from_settings(settings.replace(**{"connections.fedex.batch_size": 1}))
    )
    results = carrier.track(["111111111111", "222222222222"])
    assert [r.found for r in results] == [True, True]
    assert tokens.call_count == 2 and carrier.api_calls == 3


@responses.activate
def test_credentials_refused_twice_is_a_config_error(settings) -> None:
    responses.post(f"{FEDEX}/oauth/token", json={"access_token": "f1", "expires_in": 3600})
    responses.post(f"{FEDEX}/track/v1/trackingnumbers", status=401, json={"errors": []})
    with pytest.raises(ConfigError, match="credentials refused"):
        _no_sleep(fedex.from_settings(settings)).track(["111111111111"])


@responses.activate
def test_token_refused_is_a_config_error_naming_the_connection(settings) -> None:
    responses.post(f"{UPS}/security/v1/oauth/token", status=401, json={"response": {"errors": []}})
    check = ups.from_settings(settings).check()
    assert not check.ok and "token request refused" in check.message
    assert "client id and secret" in check.hint


@responses.activate
def test_429_with_retry_after_and_5xx_are_retried_by_the_shared_policy(settings) -> None:
    url = f"{DHL}/track/shipments"
    responses.get(url, status=429, headers={"Retry-After": "2"}, json={"title": "Too many"})
    responses.get(url, status=503, json={"title": "down"})
    responses.get(
        url,
        json={
            "shipments": [
                {
                    "id": "1234567890",
                    "status": {"statusCode": "transit", "timestamp": "2026-03-02T10:00:00Z"},
                    "events": [{"statusCode": "transit", "timestamp": "2026-03-02T10:00:00Z"}],
                }
            ]
        },
    )
    waits: list[float] = []
    carrier = _no_sleep(dhl.from_settings(settings))
    carrier.client.sleep = waits.append
    (result,) = carrier.track(["1234567890"])
    assert result.status == st.IN_TRANSIT
    assert waits[0] >= 2 and len(waits) == 2
    assert responses.calls[0].request.headers["DHL-API-Key"] == "sandbox-dhl-key"
    assert carrier.api_calls == 3


@responses.activate
def test_dhl_check_reports_latency_and_a_bad_key(settings) -> None:
    responses.get(f"{DHL}/track/shipments", status=404, json={"title": "No result found"})
    good = dhl.from_settings(settings).check()
    assert good.ok and good.system == "dhl" and good.latency_ms >= 0
    responses.replace(responses.GET, f"{DHL}/track/shipments", status=401, json={})
    bad = dhl.from_settings(settings).check()
    assert not bad.ok and "credentials refused" in bad.message
    assert "connections.dhl.api_key" in bad.hint
    responses.replace(responses.GET, f"{DHL}/track/shipments", status=404, body="<html/>")
    nowhere = dhl.from_settings(settings).check()
    assert not nowhere.ok and "not a tracking reply" in nowhere.message


def test_missing_dhl_key_is_a_config_error(make_settings) -> None:
    settings = make_settings(environ={"ORDERBRIDGE__CONNECTIONS__DHL__API_KEY": ""})
    check = dhl.from_settings(settings).check()
    assert not check.ok and check.message == "no API key configured"
