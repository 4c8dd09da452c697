"""The NetSuite simulator bills each item fulfilment it received into one invoice, lazily, once
the fulfilment is `bill_after_seconds` old; read back through the real connector."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from core.records import Money, Order, OrderLine, Package, Quantity, Shipment, ShipmentLine
from sandbox.netsuite.billing import bill_due

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
NUMBER = "00009001"


def later() -> datetime:
    return datetime.now(UTC) + timedelta(minutes=5)


@pytest.fixture
def posted(make_connector, sandbox_state):
    """A sales order of a world customer (as sync_orders posts it) and its connector."""
    world = sandbox_state.world
    customer = next(c for c in world.customers if c.is_active)
    skus = [i.sku for i in world.items if i.is_active][:2]
    prices = (Decimal("12.50"), Decimal("7.25"))
    lines = [
        OrderLine(n, sku, Quantity(Decimal(q)), Money(price, customer.currency))
        for n, sku, q, price in zip((1, 2), skus, ("2", "3"), prices, strict=True)
    ]
    order = Order(
        source_system="salesforce",
        source_key=NUMBER,
        external_id=f"SF-{NUMBER}",
        number=NUMBER,
        customer_number=customer.code,
        currency=customer.currency,
        lines=lines,
    )
    connector = make_connector(version="2025_2")
    assert connector.upsert("order", [order])[0].ok
    return connector, customer, order


def fulfil(connector, key: str, quantities: dict[int, str], order: Order) -> None:
    sku = {line.line_no: line.sku for line in order.lines}
    shipment = Shipment(
        source_system="threepl",
        source_key=key,
        external_id=f"3PL-{key}",
        number=key,
        order_number=order.external_id,
        ship_date=date(2026, 3, 2),
        status="in_transit",
        lines=[ShipmentLine(n, sku[n], Quantity(Decimal(q))) for n, q in quantities.items()],
        packages=[Package(tracking_number="1Z3PLW010300000118", carrier="ups")],
    )
    assert connector.upsert("shipment", [shipment])[0].ok


def billed(connector) -> list:
    return [
        i
        for i in connector.read_changed("invoice", EPOCH, later())
        if i.order_number.endswith(NUMBER)
    ]


def move_clock(state, seconds: float) -> None:
    state.clock = lambda: datetime.now(UTC) + timedelta(seconds=seconds)


def test_a_fulfilment_is_billed_once_after_it_waited(posted, sandbox_state) -> None:
    connector, customer, order = posted
    fulfil(connector, "SHP-900001", {1: "2", 2: "1"}, order)
    assert billed(connector) == []  # a minute has not passed yet
    invoices_before = sandbox_state.count_records("netsuite", "invoice")

    move_clock(sandbox_state, 120)
    (invoice,) = billed(connector)
    assert invoice.order_number == f"SF-{NUMBER}" and invoice.customer_number == customer.code
    assert [
        (ln.order_line_no, ln.sku, ln.quantity.value, ln.unit_price.amount) for ln in invoice.lines
    ] == [
        (1, order.lines[0].sku, Decimal("2"), Decimal("12.50")),
        (2, order.lines[1].sku, Decimal("1"), Decimal("7.25")),
    ]
    ship_to = next(
        s for s in sandbox_state.world.ship_tos if s.customer_code == customer.code and s.is_default
    )
    rates = {"US": "0", "CA": "0.13", "GB": "0.20", "DE": "0.19", "FR": "0.20", "NL": "0.21"}
    rates |= {"AU": "0.10", "MX": "0.16"}
    assert invoice.tax == (Decimal("32.25") * Decimal(rates[ship_to.country])).quantize(
        Decimal("0.01")
    )
    assert invoice.freight == 0 and invoice.currency == customer.currency
    fulfilment = sandbox_state.get_record("netsuite", "itemFulfillment", "3PL-SHP-900001")
    due = datetime.fromisoformat(fulfilment["modified_at"]) + timedelta(seconds=60)
    assert abs(invoice.modified_at - due) < timedelta(milliseconds=1)  # billed when it fell due

    # Searched again, read by number: still one invoice, never written twice.
    assert len(billed(connector)) == 1
    (read,) = connector.read("invoice", [invoice.number])
    assert read.number == invoice.number
    stats = sandbox_state.stats()["systems"]["netsuite"]
    assert stats["records"]["invoice"] == invoices_before + 1
    assert stats["duplicates"]["invoice"] == 0


def test_later_fulfilments_bill_what_is_left_and_never_more_than_ordered(
    posted, sandbox_state
) -> None:
    connector, _, order = posted
    fulfil(connector, "SHP-900001", {1: "2", 2: "1"}, order)
    fulfil(connector, "SHP-900002", {2: "5"}, order)  # 2 of line 2 are left to bill
    fulfil(connector, "SHP-900003", {1: "1"}, order)  # line 1 is billed in full already
    move_clock(sandbox_state, 120)
    invoices = billed(connector)
    assert [[(ln.order_line_no, ln.quantity.value) for ln in i.lines] for i in invoices] == [
        [(1, Decimal("2")), (2, Decimal("1"))],
        [(2, Decimal("2"))],
    ]
    assert len({i.number for i in invoices}) == 2
    assert bill_due(sandbox_state) == []  # every fulfilment is settled


def test_the_worlds_own_fulfilments_are_not_billed_again(sandbox_state) -> None:
    move_clock(sandbox_state, 3600)
    assert bill_due(sandbox_state) == []
    assert sandbox_state.count_records("netsuite", "invoice") == len(sandbox_state.world.invoices)


def test_billing_waits_for_its_setting_and_can_be_switched_off(posted, sandbox_state) -> None:
    connector, _, order = posted
    sandbox_state.meta_set("netsuite", "bill_after_seconds", None)
    fulfil(connector, "SHP-900001", {1: "2"}, order)
    move_clock(sandbox_state, 3600)
    assert billed(connector) == []
    sandbox_state.meta_set("netsuite", "bill_after_seconds", "soon")  # nonsense is "off"
    assert billed(connector) == []
    sandbox_state.meta_set("netsuite", "bill_after_seconds", 0)
    assert len(billed(connector)) == 1


def test_a_fulfilment_without_its_sales_order_is_left_alone(sandbox_state) -> None:
    sandbox_state.put_record(
        "netsuite", "itemFulfillment", "3PL-BROKEN", {"node": ["record", "", {}, None, []]}
    )
    move_clock(sandbox_state, 3600)
    assert bill_due(sandbox_state) == []
    assert sandbox_state.count_records("netsuite", "invoice") == len(sandbox_state.world.invoices)
