"""The connector against `responses`: paging, per-record writes, faults, tracing, check."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import responses as responses_lib

from core import http
from core.errors import ConfigError, TransientError
from core.records import Money, Order, OrderLine, Quantity
from core.trace import install_tracing
from tests.connectors.netsuite.conftest import (
    ENDPOINT,
    envelope,
    fault,
    real_validator,
    sales_order_xml,
    search_reply,
    upsert_reply,
    validate_request,
)

SINCE = datetime(2026, 3, 1, tzinfo=UTC)
UNTIL = datetime(2026, 3, 3, tzinfo=UTC)


def order(number: str, sku: str = "SKU-001") -> Order:
    return Order(
        source_system="salesforce",
        source_key=number,
        external_id=number,
        number=number,
        customer_number="C0001",
        order_date=date(2026, 3, 2),
        ship_method="UPS Ground",
        terms="NET30",
        lines=[OrderLine(1, sku, Quantity(Decimal("3")), Money(Decimal("12.50"), "USD"))],
    )


def test_orders_are_read_page_by_page_with_search_more_with_id(mock, make_connector, sent):
    mock.post(ENDPOINT, body=search_reply(sales_order_xml("1", "SO1"), pages=2, total=2))
    mock.post(
        ENDPOINT,
        body=search_reply(sales_order_xml("2", "SO2"), page=2, pages=2, total=2,
                          response="searchMoreWithIdResponse"),
    )  # fmt: skip
    connector = make_connector(lookback_seconds=120)
    found = list(connector.read_changed("order", SINCE, UNTIL))
    assert [o.number for o in found] == ["SO1", "SO2"]
    first = found[0]
    assert first.customer_number == "C0001" and first.ship_to_code == "C0001-01"
    assert first.order_date == date(2026, 3, 2) and first.status == "open"
    assert first.lines[0].unit_price == Money(Decimal("12.50"), "USD")
    assert first.lines[0].quantity_shipped == Decimal("1.0")
    assert connector.api_calls == 2
    assert b"<ns2:searchValue" in sent[0] or b"searchValue" in sent[0]
    assert b"2026-02-28T23:58:00" in sent[0]  # since minus the two-minute lookback
    assert b"SID-1" in sent[1] and b"<ns0:pageIndex>2</ns0:pageIndex>" in sent[1]


def test_one_bad_record_is_rejected_alone_with_its_code(mock, make_connector):
    mock.post(ENDPOINT, body=upsert_reply([("SO1", True, ""), ("SO2", False, "INVALID_KEY_OR_REF"),
                                           ("SO3", True, "")]))  # fmt: skip
    results = make_connector().upsert("order", [order("SO1"), order("SO2"), order("SO3")])
    assert [(r.external_id, r.ok) for r in results] == [
        ("SO1", True),
        ("SO2", False),
        ("SO3", True),
    ]
    assert results[1].code == "INVALID_KEY_OR_REF" and results[1].error_class == "missing"
    assert "INVALID_KEY_OR_REF for SO2" in results[1].message
    assert results[0].their_id == "9"


def test_upserts_go_in_batches_of_the_configured_size(mock, make_connector, sent):
    mock.post(ENDPOINT, body=upsert_reply([("SO1", True, ""), ("SO2", True, "")]))
    mock.post(ENDPOINT, body=upsert_reply([("SO3", True, "")]))
    results = make_connector(batch_size=2).upsert("order", [order(f"SO{i}") for i in (1, 2, 3)])
    assert all(r.ok for r in results) and len(sent) == 2
    assert sent[0].count(b'xsi:type="ns') == 2 and sent[1].count(b"SalesOrder") == 1


def test_batch_size_over_200_is_refused(make_connector):
    with pytest.raises(ConfigError, match="200"):
        make_connector(batch_size=201)


def test_a_reply_with_fewer_results_than_records_writes_nothing(mock, make_connector):
    mock.post(ENDPOINT, body=upsert_reply([("SO1", True, "")]))
    with pytest.raises(TransientError, match="1 results for 2 records"):
        make_connector(batch_size=2).upsert("order", [order("SO1"), order("SO2")])


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("exceededConcurrentRequestLimitFault", "WS_CONCUR_SESSION_DISALLWD"),
        ("exceededRequestLimitFault", "WS_REQUEST_BLOCKED"),
        ("exceededUsageLimitFault", "SOME_LIMIT"),
    ],
)
def test_concurrency_and_limit_faults_are_retried_then_transient(mock, make_connector, kind, code):
    mock.post(ENDPOINT, body=fault(kind, code), status=500)
    connector = make_connector()
    with pytest.raises(TransientError) as caught:
        list(connector.read_changed("order", SINCE, UNTIL))
    assert caught.value.error_class == "rate_limit"
    assert connector.api_calls == 3  # the retry policy's three attempts


def test_a_transient_fault_then_success_reads_normally(mock, make_connector):
    mock.post(ENDPOINT, body=fault("exceededRequestLimitFault", "WS_REQUEST_BLOCKED"), status=500)
    mock.post(ENDPOINT, body=search_reply(sales_order_xml("1", "SO1")))
    assert [o.number for o in make_connector().read_changed("order", SINCE, UNTIL)] == ["SO1"]


@pytest.mark.parametrize(
    ("kind", "code", "hint"),
    [
        ("invalidCredentialsFault", "INVALID_LOGIN_ATTEMPT", "token"),
        ("invalidAccountFault", "INVALID_ACCT", "account"),
        ("insufficientPermissionFault", "INSUFFICIENT_PERMISSION", "role"),
    ],
)
def test_login_account_and_permission_faults_are_config_errors(
    mock, make_connector, kind, code, hint
):
    mock.post(ENDPOINT, body=fault(kind, code), status=500)
    connector = make_connector()
    with pytest.raises(ConfigError) as caught:
        list(connector.read_changed("customer", SINCE, UNTIL))
    assert code in caught.value.message and hint in caught.value.hint
    assert connector.api_calls == 1  # never retried


def test_a_429_honours_retry_after(mock, make_connector):
    mock.post(ENDPOINT, body="busy", status=429, headers={"Retry-After": "7"})
    waits = []
    connector = make_connector()
    connector.sleep = waits.append
    with pytest.raises(TransientError):
        list(connector.read_changed("order", SINCE, UNTIL))
    assert waits and all(w >= 7 for w in waits)


def test_check_says_ok_with_latency(mock, make_connector):
    mock.post(
        ENDPOINT,
        body=envelope(
            '<m:getServerTimeResponse xmlns:m="urn:messages_2023_2.platform.'
            'webservices.netsuite.com">'
            '<c:getServerTimeResult xmlns:c="urn:core_2023_2.platform.webservices.netsuite.com">'
            '<c:status isSuccess="true"/><c:serverTime>2026-03-02T10:00:00Z</c:serverTime>'
            "</c:getServerTimeResult></m:getServerTimeResponse>"
        ),
    )
    result = make_connector().check()
    assert result.ok and result.message.startswith("NetSuite 123456_SB1 OK in")


def test_check_names_bad_credentials_with_the_hint(mock, make_connector):
    mock.post(ENDPOINT, body=fault("invalidCredentialsFault", "INVALID_LOGIN_ATTEMPT"), status=500)
    result = make_connector().check()
    assert not result.ok and "INVALID_LOGIN_ATTEMPT" in result.message
    assert "consumer_key" in result.hint


def test_check_says_unreachable(mock, make_connector):
    mock.post(ENDPOINT, body=responses_lib.ConnectionError("no route"))
    result = make_connector().check()
    assert not result.ok and "unreachable" in result.message and "account" in result.hint


def test_soap_calls_are_traced_with_the_passport_masked(mock, make_connector, tmp_path):
    mock.post(ENDPOINT, body=search_reply(sales_order_xml("1", "SO1")))
    install_tracing(tmp_path / "trace")
    try:
        list(make_connector().read_changed("order", SINCE, UNTIL))
    finally:
        http.clear_session_hooks()
    files = sorted(p.name for p in (tmp_path / "trace").iterdir() if not p.name.startswith("."))
    assert files == ["netsuite-000001-meta.json", "netsuite-000001-request.xml",
                     "netsuite-000001-response.xml"]  # fmt: skip
    request = (tmp_path / "trace" / "netsuite-000001-request.xml").read_text()
    assert "sandbox-token-id" not in request and "sandbox-consumer-key" not in request
    assert "HMAC-SHA256" in request and request.count("***") >= 3
    meta = json.loads((tmp_path / "trace" / "netsuite-000001-meta.json").read_text())
    assert meta["url"].endswith("/services/NetSuitePort_2023_2")


def test_request_bodies_validate_against_the_real_xsds(mock, make_connector, sent, reference):
    mock.post(ENDPOINT, body=search_reply(sales_order_xml("1", "SO1")))
    mock.post(ENDPOINT, body=upsert_reply([("SO1", True, "")]))
    connector = make_connector()
    list(connector.read_changed("order", SINCE, UNTIL))
    connector.upsert("order", [order("SO1")])
    assert real_validator() is not None and len(sent) == 2
    for body in sent:
        validate_request(body)


def test_a_record_that_cannot_be_mapped_is_rejected_alone(mock, make_connector, sent):
    mock.post(ENDPOINT, body=upsert_reply([("SO1", True, "")]))
    bad = order("SO2")
    bad.lines[0].promised_date = "2026-13-01"  # not a date
    results = make_connector().upsert("order", [order("SO1"), bad])
    assert [(r.external_id, r.ok) for r in results] == [("SO1", True), ("SO2", False)]
    assert results[1].code == "BUILD" and "TypeError" in results[1].message
    assert len(sent) == 1 and b"SO2" not in sent[0]
