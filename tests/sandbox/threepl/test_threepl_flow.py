"""The 3PL connector against its simulator: idempotent orders, cursors, inventory, cancels."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from connectors.threepl.records import FulfilmentRequest, tracking_numbers
from core.records import Address, Money, Order, OrderLine, Quantity
from sandbox.threepl.app import ship_pending


def _request(state, reference: str, sku: str | None = None, qty: str = "3") -> FulfilmentRequest:
    level = next(s for s in state.world.inventory if s.on_hand >= 10)
    line = OrderLine(1, sku or level.sku, Quantity(Decimal(qty)), Money(Decimal("9.50"), "USD"))
    line.requested_date = date(2026, 3, 4)
    order = Order(source_system="netsuite", source_key="1", number=reference, lines=[line])
    ship_to = Address(
        name="Summit Foods", lines=("1 Main St",), city="Boston", postal_code="02110", country="US"
    )
    return FulfilmentRequest(order, ship_to, level.warehouse, "fedex", "FEDEX_GROUND")


def test_a_resent_order_returns_the_existing_one(threepl, sandbox_state) -> None:
    first = threepl.submit_order(_request(sandbox_state, "SO-9001"))
    again = threepl.submit_order(_request(sandbox_state, "SO-9001"))
    assert first.ok and first.warnings == []
    assert again.ok and again.their_id == first.their_id and again.warnings
    orders = [
        o
        for o in sandbox_state.find_records("threepl", "order")
        if o["client_reference"] == "SO-9001"
    ]
    assert len(orders) == 1
    assert threepl.order_status("SO-9001") == "received"


def test_a_refused_order_marks_only_itself(threepl, sandbox_state) -> None:
    results = threepl.submit_orders(
        [
            _request(sandbox_state, "SO-9002"),
            _request(sandbox_state, "SO-9003", sku="NOPE"),
            _request(sandbox_state, "SO-9004"),
        ]
    )
    assert [r.ok for r in results] == [True, False, True]
    refused = results[1]
    assert (refused.external_id, refused.code, refused.error_class) == (
        "SO-9003",
        "invalid_order",
        "value",
    )
    assert "NOPE" in refused.message


def test_shipment_confirmations_are_read_since_a_cursor(threepl, sandbox_state) -> None:
    world = sandbox_state.world
    shipped, cursor = threepl.read_shipments(None)
    assert len(shipped) == len(world.shipments) and cursor
    assert threepl.api_calls >= len(world.shipments) // 7  # paged by 7
    first = shipped[0]
    source = world.shipment_by_tracking(tracking_numbers(first)[0])
    assert first.order_number == source.order_number and first.carrier == source.carrier
    assert first.ship_date == source.ship_date
    assert [(ln.sku, ln.quantity.value) for ln in first.lines] == [
        (s.sku, Decimal(s.quantity)) for s in source.lines
    ]
    assert threepl.read_shipments(cursor) == ([], cursor)

    threepl.submit_order(_request(sandbox_state, "SO-9005"))
    ship_pending(sandbox_state)
    new, later = threepl.read_shipments(cursor)
    assert [s.order_number for s in new] == ["SO-9005"] and later != cursor
    confirmation = new[0]
    assert confirmation.carrier == "fedex" and confirmation.service == "FEDEX_GROUND"
    assert tracking_numbers(confirmation) and confirmation.packages[0].carrier == "fedex"
    assert confirmation.lines[0].quantity.value == Decimal("3")
    assert threepl.order_status("SO-9005") == "shipped"


def test_inventory_by_warehouse_and_sku_moves_with_orders(threepl, sandbox_state) -> None:
    request = _request(sandbox_state, "SO-9006")
    sku, warehouse = request.order.lines[0].sku, request.warehouse
    (before,) = threepl.inventory(warehouse=warehouse, sku=sku)
    assert before.available == before.on_hand - before.allocated
    assert isinstance(before.sku, str) and before.sku == sku
    threepl.submit_order(request)
    (after,) = threepl.inventory(warehouse=warehouse, sku=sku)
    assert after.allocated == before.allocated + 3 and after.available == before.available - 3
    everything = threepl.inventory()
    assert len(everything) == len(sandbox_state.world.inventory)


def test_cancel_only_while_unshipped(threepl, sandbox_state) -> None:
    threepl.submit_order(_request(sandbox_state, "SO-9007"))
    assert threepl.cancel_order("SO-9007").ok
    assert threepl.order_status("SO-9007") == "cancelled"
    assert threepl.cancel_order("SO-9007").ok  # cancelling twice changes nothing
    shipped = sandbox_state.world.shipments[0].order_number
    refused = threepl.cancel_order(shipped)
    assert (refused.ok, refused.code, refused.error_class) == (False, "order_shipped", "value")
    missing = threepl.cancel_order("SO-NEVER")
    assert (missing.ok, missing.error_class) == (False, "missing")


def test_check_and_a_wrong_key(threepl, make_settings) -> None:
    from connectors.threepl.connector import from_settings

    assert threepl.check().ok
    bad = from_settings(
        make_settings(environ={"ORDERBRIDGE__CONNECTIONS__THREEPL__API_KEY": "wrong"})
    )
    check = bad.check()
    assert not check.ok and "credentials refused" in check.message


def test_orders_sent_at_once_from_many_threads_each_get_their_own_id(threepl, sandbox_state):
    """The worker pool runs push_fulfillments and release_backorders side by side: the 3PL
    must never hand two orders one id (nor overwrite one with the other)."""
    import threading

    references = [f"SO-95{n:02d}" for n in range(16)]
    requests = {r: _request(sandbox_state, r, qty="1") for r in references}
    start, results = threading.Barrier(len(references)), {}

    def send(reference: str) -> None:
        start.wait()
        results[reference] = threepl.submit_order(requests[reference])

    threads = [threading.Thread(target=send, args=(r,)) for r in references]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results[r].ok for r in references)
    held = {
        o["client_reference"]: o["id"]
        for o in sandbox_state.find_records("threepl", "order")
        if o["client_reference"] in requests
    }
    assert sorted(held) == references
    assert len(set(held.values())) == len(references)
    assert {r: results[r].their_id for r in references} == held


def test_shipping_the_received_orders_twice_at_once_ships_each_once(threepl, sandbox_state):
    import threading

    for n in range(6):
        assert threepl.submit_order(_request(sandbox_state, f"SO-96{n:02d}", qty="1")).ok
    start, shipped = threading.Barrier(2), []

    def ship() -> None:
        start.wait()
        shipped.extend(ship_pending(sandbox_state))

    threads = [threading.Thread(target=ship) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    confirmations = [
        s
        for s in sandbox_state.find_records("threepl", "shipment")
        if str(s.get("order_id", "")).startswith("ORD-") and s["id"] in shipped
    ]
    assert len(shipped) == len(set(shipped)) == 6
    assert sorted(c["client_reference"] for c in confirmations) == [
        f"SO-96{n:02d}" for n in range(6)
    ]
