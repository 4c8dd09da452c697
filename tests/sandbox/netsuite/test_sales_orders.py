"""A sales order in the NetSuite simulator as NetSuite keeps it: the ship-to named by its address
book entry (shipAddressList) becomes its shipping address and the tax country of its
invoices; the fulfilled and billed quantities on its lines are NetSuite's own, kept across
writes of the order and moved by item fulfilments and billing, and so is its status."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from core.records import Money, Order, OrderLine, Package, Quantity, Shipment, ShipmentLine

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
NUMBER = "00009101"
CUSTOMER = "C00729"  # USD; default ship-to in the US (no tax), C00729-03 in Mexico (16%)


def order(ship_to: str = "C00729-03", quantity: str = "4") -> Order:
    return Order(
        source_system="salesforce",
        source_key=NUMBER,
        external_id=f"SF-{NUMBER}",
        number=NUMBER,
        customer_number=CUSTOMER,
        ship_to_code=ship_to,
        currency="USD",
        lines=[
            OrderLine(1, "00849", Quantity(Decimal(quantity)), Money(Decimal("10.00"), "USD")),
            OrderLine(2, "51062", Quantity(Decimal("2")), Money(Decimal("5.00"), "USD")),
        ],
    )


def fulfil(connector, key: str, quantities: dict[int, str]) -> None:
    sku = {1: "00849", 2: "51062"}
    shipment = Shipment(
        source_system="threepl",
        source_key=key,
        external_id=f"3PL-{key}",
        number=key,
        order_number=f"SF-{NUMBER}",
        ship_date=date(2026, 3, 2),
        status="in_transit",
        lines=[ShipmentLine(n, sku[n], Quantity(Decimal(q))) for n, q in quantities.items()],
        packages=[Package(tracking_number="1Z3PLW010300000118", carrier="ups")],
    )
    assert connector.upsert("shipment", [shipment])[0].ok


def read_order(connector) -> Order:
    (found,) = connector.read("order", [f"SF-{NUMBER}"])
    return found


def status(state) -> str:
    node = state.get_record("netsuite", "salesOrder", f"SF-{NUMBER}")["node"]
    return next(c[3] for c in node[4] if c[0] == "orderStatus")


def bill(connector, state) -> list:
    state.meta_set("netsuite", "bill_after_seconds", 0)  # bill what is fulfilled now
    until = datetime.now(UTC) + timedelta(minutes=10)
    return [
        i
        for i in connector.read_changed("invoice", EPOCH, until)
        if i.order_number.endswith(NUMBER)
    ]


@pytest.fixture
def connector(make_connector):
    return make_connector()


def test_the_ship_to_is_sent_by_its_address_book_entry_and_bills_its_countrys_tax(
    connector, sandbox_state
) -> None:
    (result,) = connector.upsert("order", [order()])
    assert result.ok, result.message
    entry = sandbox_state.get_record("netsuite", "addressbook", "C00729-03")
    node = sandbox_state.get_record("netsuite", "salesOrder", f"SF-{NUMBER}")["node"]
    kids = {c[0]: c for c in node[4]}
    assert kids["shipAddressList"][2]["internalId"] == entry["internal_id"]
    assert {c[0]: c[3] for c in kids["shippingAddress"][4]}["country"] == "_mexico"
    assert read_order(connector).ship_to_code == "C00729-03"

    fulfil(connector, "SHP-910001", {1: "4", 2: "2"})
    (invoice,) = bill(connector, sandbox_state)
    assert invoice.tax == (Decimal("50.00") * Decimal("0.16")).quantize(Decimal("0.01"))


def test_a_ship_to_outside_the_customers_address_book_is_refused_alone(connector) -> None:
    bad = replace(order(ship_to="C00042-09"), external_id="SF-00009102", number="00009102")
    results = connector.upsert("order", [order(), bad])
    assert [r.ok for r in results] == [True, False]
    assert results[1].code == "BUILD" and "C00042-09" in results[1].message


def test_fulfilled_and_billed_quantities_survive_a_rewrite_and_move_the_status(
    connector, sandbox_state
) -> None:
    assert connector.upsert("order", [order()])[0].ok
    assert status(sandbox_state) == "_pendingFulfillment"
    fulfil(connector, "SHP-910001", {1: "3"})
    assert status(sandbox_state) == "_pendingBillingPartFulfilled"
    # The coordinator raises line 1 to 6: the whole item list is sent again.
    assert connector.upsert("order", [order(quantity="6")])[0].ok
    line = read_order(connector).lines[0]
    assert (line.quantity.value, line.quantity_shipped) == (Decimal("6"), Decimal("3"))

    assert len(bill(connector, sandbox_state)) == 1
    assert status(sandbox_state) == "_partiallyFulfilled"
    read = read_order(connector)
    assert read.status == "partially_shipped"
    assert [(ln.quantity_shipped, ln.quantity_invoiced) for ln in read.lines] == [
        (Decimal("3"), Decimal("3")),
        (Decimal("0"), Decimal("0")),
    ]

    fulfil(connector, "SHP-910002", {1: "3", 2: "2"})
    assert status(sandbox_state) == "_pendingBilling"
    assert len(bill(connector, sandbox_state)) == 2
    assert status(sandbox_state) == "_fullyBilled"
    assert read_order(connector).status == "billed"
    assert sandbox_state.stats()["systems"]["netsuite"]["duplicates"]["salesOrder"] == 0
