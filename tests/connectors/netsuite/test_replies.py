"""The real replies in ../shared/reference/netsuite (namespaces 2_5 to 2021_2) parse."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from connectors.netsuite import records, replies
from connectors.netsuite.faults import ReplyError
from core.errors import ConfigError, OrderbridgeError, TransientError
from tests.conftest import REFERENCE
from tests.connectors.netsuite.conftest import envelope

ALL_REPLIES = sorted((REFERENCE / "netsuite" / "soap-responses-netsweet").glob("*/*.xml"))
# Two fixtures of the NetSweet gem are cut off before </soapenv:Envelope>: they must be refused.
TRUNCATED = {"upsert_list_customers.xml", "upsert_list_one_customer.xml"}


def read(replies_dir: Path, name: str):
    return replies.parse_envelope((replies_dir / name).read_bytes())


@pytest.mark.parametrize("path", ALL_REPLIES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_reference_reply_parses_or_gives_a_typed_error(path: Path):
    if path.name in TRUNCATED:
        with pytest.raises(ReplyError, match="truncated"):
            replies.parse_envelope(path.read_bytes())
        return
    try:
        payload = replies.parse_envelope(path.read_bytes())
    except OrderbridgeError as exc:
        assert path.parent.name == "login" and "failure" in path.name, exc
        return
    assert replies.local(payload.tag).endswith("Response")


def test_search_page_with_records(replies_dir):
    page = replies.read_search(read(replies_dir, "search/basic_search_contact.xml"))
    assert (page.total_records, page.total_pages, page.page_index) == (1, 1, 1)
    assert page.search_id == "WEBSERVICES_123456"
    assert [r.get("internalId") for r in page.records] == ["7272"]


def test_search_rows_of_a_saved_search_are_read_too(replies_dir):
    page = replies.read_search(read(replies_dir, "search/saved_search_item.xml"))
    assert page.total_records == 49 and len(page.records) == 1


def test_upsert_list_with_errors_rejects_each_record_with_its_code(replies_dir):
    outcomes = replies.read_writes(read(replies_dir, "upsert_list/upsert_list_with_errors.xml"))
    assert [(o.external_id, o.status.ok) for o in outcomes] == [("ext1", False), ("ext2", False)]
    assert outcomes[0].status.errors[0].code == "USER_ERROR"
    assert outcomes[0].status.errors[0].message == "Please enter value(s) for: Item"


def test_a_2_5_namespace_reply_reads_like_a_new_one(replies_dir):
    outcomes = replies.read_writes(read(replies_dir, "upsert/upsert_invoice_multiple_errors.xml"))
    assert outcomes[0].internal_id == "999"
    assert [d.message for d in outcomes[0].status.errors] == ["Some message", "Some message 2"]
    added = replies.read_writes(read(replies_dir, "add/add_customer.xml"))
    assert added[0].status.ok and added[0].internal_id == "979"


def test_get_invoice_maps_to_a_canonical_invoice(replies_dir):
    [(status, element)] = replies.read_reads(read(replies_dir, "get/get_invoice.xml"))
    assert status.ok
    invoice = records.parse_invoice(element)
    assert invoice.source_key == "439" and invoice.external_id == "2187"
    assert invoice.number == "2187" and invoice.customer_number == "100023 Office"
    assert str(invoice.invoice_date) == "2011-01-01" and invoice.status == "open"
    assert invoice.modified_at.utcoffset().total_seconds() == -8 * 3600
    [line] = invoice.lines
    assert line.sku == "Dummy Item For Import" and line.quantity.value == Decimal("1.0")


def test_get_customer_maps_customer_and_its_address_book(replies_dir):
    [(status, element)] = replies.read_reads(read(replies_dir, "get/get_customer.xml"))
    customer = records.parse_customer(element)
    assert (customer.number, customer.name, customer.active) == ("100157", "Test Inc.", True)
    [ship_to] = records.parse_ship_tos(element)
    assert ship_to.customer_number == "100157" and ship_to.code == "123 Happy Lane, #4"
    assert ship_to.address.city == "Chicago" and ship_to.address.country == "US"
    assert ship_to.default and ship_to.source_key == "567"


def test_item_availability_per_location(replies_dir):
    found = replies.read_availability(
        read(replies_dir, "get_item_availability/get_item_availability.xml")
    )
    rows = [records.parse_availability(e) for e in found]
    assert [(r.sku, r.location, r.on_hand, r.available) for r in rows] == [
        ("CD-R", "Warehouse - East Coast", Decimal("264.0"), Decimal("264.0")),
        ("CD-R", "Warehouse - West Coast", Decimal("-1.0"), Decimal("0.0")),
    ]


def test_concurrency_fault_is_transient(replies_dir):
    with pytest.raises(TransientError) as caught:
        read(replies_dir, "login/failure_concurrent_requests.xml")
    assert "WS_CONCUR_SESSION_DISALLWD" in str(caught.value)
    assert caught.value.error_class == "rate_limit"


def test_invalid_credentials_fault_is_a_config_error_with_a_hint(replies_dir):
    with pytest.raises(ConfigError) as caught:
        read(replies_dir, "login/failure_invalid_credentials.xml")
    assert "INVALID_LOGIN_CREDENTIALS" in caught.value.message
    assert "token" in caught.value.hint


def test_a_success_status_is_only_the_literal_true():
    for value, ok in (("true", True), ("false", False), ("", False), ("yes", False)):
        element = replies.parse_envelope(
            envelope(
                "<x:upsertListResponse xmlns:x='urn:m'>"
                "<x:writeResponseList><x:writeResponse>"
                f"<c:status xmlns:c='urn:c' isSuccess='{value}'/>"
                "</x:writeResponse></x:writeResponseList></x:upsertListResponse>"
            )
        )
        assert replies.read_writes(element)[0].status.ok is ok
