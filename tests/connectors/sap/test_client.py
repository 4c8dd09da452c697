"""The SAP client at the HTTP edge (responses): WSDL download, error mapping, timeouts."""

from __future__ import annotations

import pytest
import requests
import responses

from connectors.sap.client import SapClient
from connectors.sap.connector import DEFAULT_SERVICE_PATH, SapConnector
from core import http
from core.errors import ConfigError, RecordRejectedError, TransientError
from core.retry import CircuitBreaker, RetryPolicy
from sandbox.sap import soap, wsdl

BASE = "https://sap.example.test"
ENDPOINT = BASE + DEFAULT_SERVICE_PATH


@pytest.fixture(autouse=True)
def real_network_path():
    http.set_transport(None)
    http.clear_session_hooks()


@pytest.fixture
def client(tmp_path) -> SapClient:
    return SapClient(
        url=BASE,
        service_path=DEFAULT_SERVICE_PATH,
        username="RFC_USER",
        password="s3cret-pw",
        timeout=7,
        wsdl_dir=tmp_path / "wsdl",
    )


def serve_wsdl(body: str | None = None) -> None:
    responses.add(responses.GET, ENDPOINT, body=body or wsdl.render(BASE), status=200)


def reply(operation: str, values: dict, status: int = 200) -> None:
    responses.add(responses.POST, ENDPOINT, body=soap.response(operation, values), status=status)


@responses.activate
def test_wsdl_is_downloaded_once_with_basic_auth_and_kept(client, tmp_path):
    serve_wsdl()
    reply("ZOB_CUSTOMER_GETLIST", {"ENTRIES": [{"KUNNR": "C1"}], "MORE": "", "RETURN": []})
    reply("ZOB_CUSTOMER_GETLIST", {"ENTRIES": [], "MORE": "", "RETURN": []})
    client.call("ZOB_CUSTOMER_GETLIST", MAX_ROWS=1)
    again = SapClient(
        url=BASE,
        service_path=DEFAULT_SERVICE_PATH,
        username="RFC_USER",
        password="s3cret-pw",
        timeout=7,
        wsdl_dir=tmp_path / "wsdl",
    )
    again.call("ZOB_CUSTOMER_GETLIST", MAX_ROWS=1)
    gets = [c for c in responses.calls if c.request.method == "GET"]
    assert len(gets) == 1 and gets[0].request.url.endswith("?wsdl=")
    assert gets[0].request.headers["Authorization"].startswith("Basic ")
    assert client.wsdl_path.exists() and client.posts == 1


@responses.activate
def test_every_operation_runs_with_the_operation_timeout(client):
    serve_wsdl()
    reply("ZOB_CUSTOMER_GETLIST", {"ENTRIES": [], "MORE": "", "RETURN": []})
    client.call("ZOB_CUSTOMER_GETLIST")
    assert client._service._client.transport.operation_timeout == 7
    assert client.session.default_timeout == 7


@responses.activate
def test_a_wsdl_with_a_doctype_is_refused_and_not_kept(client):
    serve_wsdl('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]>' + wsdl.render(BASE)[39:])
    with pytest.raises(TransientError) as raised:
        client.call("ZOB_CUSTOMER_GETLIST")
    assert raised.value.error_class == "parse" and not client.wsdl_path.exists()


@responses.activate
def test_logon_failure_is_a_config_error_naming_the_settings(client):
    responses.add(responses.GET, ENDPOINT, body=soap.logon_page(), status=401)
    with pytest.raises(ConfigError) as raised:
        client.call("ZOB_CUSTOMER_GETLIST")
    assert "ORDERBRIDGE__CONNECTIONS__SAP__PASSWORD" in raised.value.hint
    assert "ORDERBRIDGE__CONNECTIONS__SAP__USERNAME" in raised.value.hint
    assert "s3cret-pw" not in str(raised.value)


@responses.activate
def test_logon_failure_on_a_call_is_a_config_error(client):
    serve_wsdl()
    responses.add(
        responses.POST, ENDPOINT, body=soap.logon_page(), status=401, content_type="text/html"
    )
    with pytest.raises(ConfigError):
        client.call("ZOB_CUSTOMER_GETLIST")


@responses.activate
def test_server_errors_are_transient_and_keep_retry_after(client):
    serve_wsdl()
    responses.add(
        responses.POST, ENDPOINT, body="<html>busy</html>", status=503, headers={"Retry-After": "7"}
    )
    with pytest.raises(TransientError) as raised:
        client.call("ZOB_CUSTOMER_GETLIST")
    assert raised.value.retry_after == 7.0


@responses.activate
def test_a_server_fault_is_transient_and_a_client_fault_rejects_the_record(client):
    serve_wsdl()
    responses.add(responses.POST, ENDPOINT, body=soap.fault("Server", "SRT error"), status=500)
    responses.add(
        responses.POST, ENDPOINT, body=soap.fault("Client", "Deserialization failed"), status=500
    )
    with pytest.raises(TransientError):
        client.call("ZOB_CUSTOMER_GETLIST")
    with pytest.raises(RecordRejectedError) as raised:
        client.call(
            "BAPI_SALESORDER_CHANGE",
            record_key="OB-1",
            SALESDOCUMENT="1",
            ORDER_HEADER_INX={"UPDATEFLAG": "U", "PMNTTRMS": "", "DLV_BLOCK": "", "SHIP_COND": ""},
        )
    assert raised.value.key == "OB-1"


@responses.activate
def test_timeouts_and_dropped_connections_are_transient(client):
    serve_wsdl()
    responses.add(responses.POST, ENDPOINT, body=requests.exceptions.ReadTimeout("slow"))
    responses.add(responses.POST, ENDPOINT, body=requests.exceptions.ConnectionError("reset"))
    with pytest.raises(TransientError, match="timed out"):
        client.call("ZOB_CUSTOMER_GETLIST")
    with pytest.raises(TransientError, match="ConnectionError"):
        client.call("ZOB_CUSTOMER_GETLIST")


@responses.activate
def test_upsert_maps_bapi_return_messages_per_record(client):
    serve_wsdl()
    reply("ZOB_SALESORDER_GETLIST", {"HEADERS": [], "ITEMS": [], "MORE": "", "RETURN": []})
    reply(
        "BAPI_SALESORDER_CREATEFROMDAT2",
        {
            "RETURN": [
                {"TYPE": "W", "ID": "V1", "NUMBER": "555", "MESSAGE": "Date moved"},
                {"TYPE": "S", "ID": "V1", "NUMBER": "311", "MESSAGE": "Saved"},
            ],
            "SALESDOCUMENT": "0010000007",
        },
    )
    reply(
        "BAPI_SALESORDER_CREATEFROMDAT2",
        {
            "RETURN": [{"TYPE": "A", "ID": "V4", "NUMBER": "219", "MESSAGE": "Not changed"}],
            "SALESDOCUMENT": "",
        },
    )
    from tests.connectors.sap.test_records import order

    connector = SapConnector(client, retry=RetryPolicy(attempts=1), breaker=CircuitBreaker("sap"))
    ok, refused = connector.upsert("order", [order(), order(external_id="OB-2")])
    assert ok.ok and ok.their_id == "0010000007" and ok.warnings == ["Date moved [V1/555]"]
    assert not refused.ok and refused.code == "V4/219" and "Not changed" in refused.message
    assert connector.api_calls == 3
