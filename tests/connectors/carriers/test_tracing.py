"""Every carrier call is traced as <system>-<seq>-request/-response.json with secrets masked."""

from __future__ import annotations

import json

import pytest
import responses

from connectors.carriers import dhl, fedex, ups
from core import http
from core.trace import install_tracing

SECRETS = ("sandbox-ups-secret", "sandbox-fedex-secret", "sandbox-dhl-key", "tok-ups", "tok-fedex")


@pytest.fixture
def trace_dir(tmp_path):
    install_tracing(tmp_path / "trace")
    yield tmp_path / "trace"
    http.clear_session_hooks()


@responses.activate
def test_oauth_and_api_key_calls_are_traced_fully_masked(settings, trace_dir) -> None:
    responses.post(
        "https://wwwcie.ups.com/security/v1/oauth/token",
        json={"access_token": "tok-ups", "token_type": "Bearer", "expires_in": "14399"},
    )
    responses.get(
        "https://wwwcie.ups.com/api/track/v1/details/1Z999AA10123456784",
        status=404,
        json={"response": {"errors": [{"code": "151044", "message": "not found"}]}},
    )
    responses.post(
        "https://apis-sandbox.fedex.com/oauth/token",
        json={"access_token": "tok-fedex", "token_type": "bearer", "expires_in": 3600},
    )
    responses.post(
        "https://apis-sandbox.fedex.com/track/v1/trackingnumbers",
        json={"output": {"completeTrackResults": []}},
    )
    responses.get("https://api-test.dhl.com/track/shipments", status=404, json={"status": 404})
    ups.from_settings(settings).track(["1Z999AA10123456784"])
    fedex.from_settings(settings).track(["123456789012"])
    dhl.from_settings(settings).track(["1234567890"])

    names = sorted(p.name for p in trace_dir.glob("*.json"))
    assert names == [
        "dhl-000005-request.json",
        "dhl-000005-response.json",
        "fedex-000003-request.json",
        "fedex-000003-response.json",
        "fedex-000004-request.json",
        "fedex-000004-response.json",
        "ups-000001-request.json",
        "ups-000001-response.json",
        "ups-000002-request.json",
        "ups-000002-response.json",
    ]
    for path in trace_dir.glob("*.json"):
        raw = path.read_text()
        for secret in SECRETS:
            assert secret not in raw, (path.name, secret)
    ups_token = json.loads((trace_dir / "ups-000001-request.json").read_text())
    assert ups_token["headers"]["authorization"] == "***"
    fedex_token = json.loads((trace_dir / "fedex-000003-request.json").read_text())
    assert fedex_token["body"]["client_secret"] == "***"
    assert fedex_token["body"]["client_id"] == "sandbox-fedex-client"
    issued = json.loads((trace_dir / "fedex-000003-response.json").read_text())
    assert issued["body"]["access_token"] == "***" and issued["body"]["token_type"] == "bearer"
    dhl_call = json.loads((trace_dir / "dhl-000005-request.json").read_text())
    assert dhl_call["headers"]["dhl-api-key"] == "***"
