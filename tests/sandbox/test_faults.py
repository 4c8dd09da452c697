"""Faults switched on per system reach the client as the real failures would."""

from __future__ import annotations

import pytest
import requests

UPS = "https://wwwcie.ups.com/"


def test_rate_limit_answers_429_with_retry_after_for_n_calls_then_succeeds(
    sandbox_session, sandbox_state
):
    sandbox_state.set_fault("ups", "rate_limit", times=2, retry_after=7)
    answers = [sandbox_session.get(UPS) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "7"
    assert sandbox_state.stats()["systems"]["ups"]["calls"] == {"GET /": 1, "fault:rate_limit": 2}


def test_server_error_answers_the_chosen_status(sandbox_session, sandbox_state):
    sandbox_state.set_fault("dhl", "server_error", status=502, times=1)
    assert sandbox_session.get("https://api-test.dhl.com/").status_code == 502
    assert sandbox_session.get("https://api-test.dhl.com/").status_code == 200
    sandbox_state.set_fault("dhl", "server_error")
    assert [sandbox_session.get("https://api-eu.dhl.com/").status_code for _ in range(3)] == [
        503
    ] * 3
    sandbox_state.clear_faults("dhl")
    assert sandbox_session.get("https://api-eu.dhl.com/").status_code == 200


def test_latency_within_the_timeout_is_only_slow(sandbox_session, sandbox_state):
    sandbox_state.set_fault("fedex", "latency", seconds=0.2)
    response = sandbox_session.get("https://apis-sandbox.fedex.com/", timeout=2)
    assert response.status_code == 200
    assert response.elapsed.total_seconds() >= 0.2


def test_latency_past_the_timeout_raises_read_timeout(sandbox_session, sandbox_state):
    sandbox_state.set_fault("fedex", "latency", seconds=5)
    with pytest.raises(requests.exceptions.ReadTimeout, match="apis-sandbox.fedex.com"):
        sandbox_session.get("https://apis-sandbox.fedex.com/", timeout=(1, 0.1))


def test_timeout_fault_raises_read_timeout_at_once(sandbox_session, sandbox_state):
    sandbox_state.set_fault("threepl", "timeout", times=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        sandbox_session.get("https://api.sandbox-3pl.example/", timeout=30)
    assert sandbox_session.get("https://api.sandbox-3pl.example/").status_code == 200


def test_a_path_filter_limits_the_fault_to_matching_requests(sandbox_session, sandbox_state):
    sandbox_state.set_fault("ups", "rate_limit", path="/api/track")
    assert sandbox_session.get(UPS).status_code == 200
    assert sandbox_session.get(UPS + "api/track/v1/details/1Z").status_code == 429
    assert sandbox_session.get(UPS + "api/rating/v2/Rate").status_code == 404


def test_faults_of_one_system_leave_the_others_alone(sandbox_session, sandbox_state):
    sandbox_state.set_fault("sap", "server_error")
    assert sandbox_session.get("https://my300000-api.s4hana.cloud.sap/").status_code == 503
    assert sandbox_session.get(UPS).status_code == 200
