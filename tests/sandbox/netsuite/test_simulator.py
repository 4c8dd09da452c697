"""Round trips through the real connector (zeep, requests) and the NetSuite simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.errors import ConfigError, TransientError
from core.records import Money, Order, OrderLine, Quantity

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def now() -> datetime:
    return datetime.now(UTC) + timedelta(minutes=1)


def order(number: str, sku: str, customer: str = "") -> Order:
    return Order(
        source_system="salesforce",
        source_key=number,
        external_id=number,
        number=number,
        customer_number=customer,
        currency="USD",
        lines=[OrderLine(1, sku, Quantity(Decimal("2")), Money(Decimal("10.00"), "USD"))],
    )


def test_the_wsdl_is_fetched_once_per_version_with_local_schema_locations(
    make_connector, sandbox_state, settings
):
    connector = make_connector()
    assert connector.check().ok
    bundle = settings.data_path / "netsuite" / "wsdl" / "v2023_2"
    text = (bundle / "netsuite.wsdl").read_text()
    assert (
        'schemaLocation="xsd/platform.core.xsd"' in text
        and "https://" not in text.split("<message")[0]
    )
    assert (
        'schemaLocation="platform.coreTypes.xsd"'
        in (bundle / "xsd" / "platform.core.xsd").read_text()
    )
    calls = sandbox_state.stats()["systems"]["netsuite"]["calls"]
    make_connector().check()
    assert (
        sandbox_state.stats()["systems"]["netsuite"]["calls"]["GET wsdl"] == calls["GET wsdl"] == 1
    )


def test_seeded_customers_and_ship_tos_read_back(make_connector, sandbox_state):
    connector = make_connector(page_size=5)
    customers = list(connector.read_changed("customer", EPOCH, now()))
    world = sandbox_state.world
    assert sorted(c.number for c in customers) == sorted(c.code for c in world.customers)
    ship_tos = list(connector.read_changed("ship_to", EPOCH, now()))
    assert sorted(s.code for s in ship_tos) == sorted(s.code for s in world.ship_tos)
    calls = sandbox_state.stats()["systems"]["netsuite"]["calls"]
    assert calls["searchMoreWithId"] == 2 * (len(world.customers) // 5 - 1)


def test_orders_items_prices_shipments_invoices_read_back(make_connector, sandbox_state):
    connector = make_connector(version="2025_2")
    world = sandbox_state.world
    orders = {o.number: o for o in connector.read_changed("order", EPOCH, now())}
    assert set(orders) == {o.number for o in world.orders}
    sample = world.orders[0]
    got = orders[sample.number]
    assert got.customer_number == sample.customer_code and got.ship_to_code == sample.ship_to_code
    assert [line.sku for line in got.lines] == [line.sku for line in sample.lines]
    assert got.lines[0].unit_price == Money(sample.lines[0].unit_price, sample.currency)
    items = list(connector.read_changed("item", EPOCH, now()))
    assert len(items) == len(world.items)
    prices = list(connector.read_changed("price", EPOCH, now()))
    assert len(prices) == len(world.price_entries)
    shipments = list(connector.read_changed("shipment", EPOCH, now()))
    by_number = {s.number: s for s in world.shipments}
    assert {s.number for s in shipments} == set(by_number)
    first = shipments[0]
    assert first.packages[0].tracking_number == by_number[first.number].tracking_number
    assert first.carrier == by_number[first.number].carrier
    invoices = list(connector.read_changed("invoice", EPOCH, now()))
    assert len(invoices) == len(world.invoices)


def test_availability_per_location(make_connector, sandbox_state):
    rows = list(make_connector().read_changed("availability", EPOCH, now()))
    world = sandbox_state.world
    assert len(rows) == len(world.inventory)
    level = world.inventory[0]
    row = next(r for r in rows if r.sku == level.sku and r.location == level.warehouse)
    assert row.on_hand == level.on_hand and row.allocated == level.allocated


def test_upsert_is_keyed_by_external_id_and_idempotent(make_connector, sandbox_state):
    world = sandbox_state.world
    customer = next(c for c in world.customers if c.is_active).code
    sku = world.items[0].sku
    connector = make_connector()
    first = connector.upsert("order", [order("EXT-1", sku, customer)])
    again = connector.upsert("order", [order("EXT-1", sku, customer)])
    assert first[0].ok and again[0].their_id == first[0].their_id
    stats = sandbox_state.stats()["systems"]["netsuite"]
    assert stats["duplicates"]["salesOrder"] == 1
    read = [o for o in connector.read_changed("order", EPOCH, now()) if o.number == "EXT-1"]
    assert read[0].lines[0].sku == sku and read[0].customer_number == customer


def test_one_bad_reference_rejects_that_record_alone(make_connector, sandbox_state):
    world = sandbox_state.world
    customer, sku = world.customers[0].code, world.items[0].sku
    results = make_connector().upsert(
        "order", [order("OK-1", sku, customer), order("BAD-1", "NO-SUCH-SKU", customer)]
    )
    assert [(r.external_id, r.ok) for r in results] == [("OK-1", True), ("BAD-1", False)]
    assert results[1].code == "INVALID_KEY_OR_REF" and "NO-SUCH-SKU" in results[1].message
    assert sandbox_state.get_record("netsuite", "salesOrder", "BAD-1") is None


def test_batches_respect_the_200_limit(make_connector, sandbox_state):
    world = sandbox_state.world
    customer, sku = world.customers[0].code, world.items[0].sku
    results = make_connector().upsert("order", [order(f"B-{i}", sku, customer) for i in range(450)])
    assert all(r.ok for r in results) and len(results) == 450
    stats = sandbox_state.stats()["systems"]["netsuite"]
    assert stats["calls"]["upsertList"] == 3 and stats["max_batch"]["upsertList"] == 200


def test_partial_batch_failure_marks_exactly_the_failed_records(make_connector, sandbox_state):
    world = sandbox_state.world
    customer, sku = world.customers[0].code, world.items[0].sku
    sandbox_state.set_fault("netsuite", "partial_batch", external_ids=["P-2"], code="USER_ERROR")
    results = make_connector().upsert("order", [order(f"P-{i}", sku, customer) for i in (1, 2, 3)])
    assert [r.ok for r in results] == [True, False, True] and results[1].code == "USER_ERROR"


@pytest.mark.parametrize("kind", ["concurrency", "request_blocked"])
def test_concurrency_faults_are_retried(make_connector, sandbox_state, kind):
    sandbox_state.set_fault("netsuite", kind, times=1)
    assert make_connector().check().ok is False  # check does not retry
    sandbox_state.set_fault("netsuite", kind, times=2)
    customers = list(make_connector().read_changed("customer", EPOCH, now()))
    assert len(customers) == len(sandbox_state.world.customers)


def test_session_fault_after_retries_is_transient(make_connector, sandbox_state):
    sandbox_state.set_fault("netsuite", "concurrency")
    with pytest.raises(TransientError) as caught:
        list(make_connector().read_changed("customer", EPOCH, now()))
    assert caught.value.error_class == "rate_limit"


def test_permission_fault_is_a_config_error(make_connector, sandbox_state):
    sandbox_state.set_fault("netsuite", "permission")
    with pytest.raises(ConfigError) as caught:
        list(make_connector().read_changed("order", EPOCH, now()))
    assert "INSUFFICIENT_PERMISSION" in caught.value.message and "role" in caught.value.hint


def test_check_names_bad_credentials_and_wrong_accounts(make_connector):
    bad = make_connector(token_secret="wrong").check()
    assert not bad.ok and "Invalid login attempt" in bad.message and "token_secret" in bad.hint
    wrong = make_connector(account="999999").check()
    assert not wrong.ok and "INVALID_ACCT" in wrong.message and "account" in wrong.hint


def test_check_is_one_line_with_latency(make_connector):
    result = make_connector().check()
    assert result.ok and "\n" not in result.message and result.latency_ms >= 0


def test_slow_replies_time_out_as_transient(make_connector, sandbox_state):
    connector = make_connector()
    connector.check()
    sandbox_state.set_fault("netsuite", "timeout", operation="search")
    with pytest.raises(TransientError, match="timed out"):
        list(connector.read_changed("customer", EPOCH, now()))
