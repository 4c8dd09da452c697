"""Hostile replies give a typed error, write nothing, and leak nothing from the local disk."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connectors.netsuite.faults import ReplyError
from core import http
from core.records import Money, Order, OrderLine, Quantity
from core.trace import install_tracing

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
SECRET = "top-secret-from-the-local-disk"


@pytest.mark.parametrize("shape", ["doctype", "entity", "truncated", "html"])
def test_hostile_search_replies_are_refused_with_a_typed_error(
    make_connector, sandbox_state, tmp_path, caplog, shape
):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    connector = make_connector()
    connector.check()
    sandbox_state.set_fault("netsuite", "hostile", shape=shape, path=str(secret_file))
    install_tracing(tmp_path / "trace")
    caplog.set_level(logging.DEBUG)
    try:
        with pytest.raises(ReplyError) as caught:
            list(connector.read_changed("customer", EPOCH, datetime.now(UTC)))
    finally:
        http.clear_session_hooks()
    assert caught.value.error_class == "parse"
    traces = "".join(p.read_text() for p in (tmp_path / "trace").glob("netsuite-*"))
    assert SECRET not in str(caught.value) and SECRET not in caplog.text and SECRET not in traces


def test_a_hostile_reply_to_upsert_list_writes_nothing(make_connector, sandbox_state):
    world = sandbox_state.world
    sandbox_state.set_fault("netsuite", "hostile", shape="truncated", operation="upsertList")
    line = OrderLine(1, world.items[0].sku, Quantity(Decimal("1")), Money(Decimal("5"), "USD"))
    record = Order(
        source_system="salesforce",
        source_key="H-1",
        external_id="H-1",
        number="H-1",
        customer_number=world.customers[0].code,
        lines=[line],
    )
    with pytest.raises(ReplyError, match="truncated"):
        make_connector().upsert("order", [record])
    assert sandbox_state.get_record("netsuite", "salesOrder", "H-1") is None


def test_an_html_page_with_status_200_is_not_success(make_connector, sandbox_state):
    sandbox_state.set_fault("netsuite", "hostile", shape="html")
    result = make_connector().check()
    assert not result.ok and "HTML page" in result.message


def test_every_request_is_traced_as_numbered_files(make_connector, sandbox_state, tmp_path):
    install_tracing(tmp_path / "trace")
    try:
        connector = make_connector(page_size=5)
        list(connector.read_changed("customer", EPOCH, datetime.now(UTC) + timedelta(minutes=1)))
    finally:
        http.clear_session_hooks()
    requests = sorted((tmp_path / "trace").glob("netsuite-*-request.xml"))
    assert len(requests) == connector.api_calls == 4
    assert all("sandbox-token-id" not in p.read_text() for p in requests)
    assert "searchMoreWithId" in requests[-1].read_text()
