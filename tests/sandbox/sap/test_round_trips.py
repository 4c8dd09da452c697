"""Round trips through the SAP simulator: reads of the shared world, create, change, test run."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from core.records import Quantity

EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


def later() -> datetime:
    return datetime.now(timezone.utc) + timedelta(minutes=5)


def sap_calls(state, operation: str) -> int:
    return state.stats()["systems"]["sap"]["calls"].get(operation, 0)


def test_check_says_ok_with_latency(sap):
    result = sap.check()
    assert result.ok and result.system == "sap"
    assert result.latency_ms >= 0 and "answered" in result.message


def test_reads_give_the_shared_world(sap, sandbox_state):
    world = sandbox_state.world
    orders = {o.number: o for o in sap.read_changed("order", EPOCH, later())}
    assert set(orders) == {o.number for o in world.orders}
    first = world.orders[0]
    assert orders[first.number].customer_number == first.customer_code
    assert [line.sku for line in orders[first.number].lines] == [ln.sku for ln in first.lines]
    shipments = list(sap.read_changed("shipment", EPOCH, later()))
    assert {s.number for s in shipments} == {s.number for s in world.shipments}
    invoices = list(sap.read_changed("invoice", EPOCH, later()))
    assert sum(i.tax for i in invoices) == sum(i.tax for i in world.invoices)
    customers = {c.number: c for c in sap.read_changed("customer", EPOCH, later())}
    assert customers[world.customers[0].code].price_level == world.customers[0].price_level
    assert len(list(sap.read_changed("item", EPOCH, later()))) == len(world.items)
    assert len(list(sap.read_changed("price", EPOCH, later()))) == len(world.price_entries)
    assert len(list(sap.read_changed("availability", EPOCH, later()))) == len(world.inventory)


def test_reads_page_by_page(make_sap, sandbox_state):
    sap = make_sap(connections__sap__page_size=7)
    orders = list(sap.read_changed("order", EPOCH, later()))
    assert len(orders) == len(sandbox_state.world.orders)
    assert sap_calls(sandbox_state, "ZOB_SALESORDER_GETLIST") == -(-len(orders) // 7)


def test_window_excludes_records_changed_outside_it(sap):
    assert list(sap.read_changed("order", EPOCH, EPOCH + timedelta(days=1))) == []


def test_create_then_read_back(sap, sandbox_state, new_order):
    order = new_order("OB-1001")
    [result] = sap.upsert("order", [order])
    assert result.ok and result.message == "created" and result.their_id
    stored = sap.get_order("OB-1001")
    assert stored.number == result.their_id
    assert stored.customer_number == order.customer_number
    assert [(ln.line_no, ln.sku, ln.quantity.value) for ln in stored.lines] == [
        (ln.line_no, ln.sku, ln.quantity.value) for ln in order.lines
    ]
    assert stored.lines[0].requested_date == order.lines[0].requested_date


def test_change_posts_only_what_differs_and_never_twice(sap, sandbox_state, new_order):
    order = new_order("OB-1002")
    sap.upsert("order", [order])
    order.lines[0].quantity = Quantity(Decimal("9"))
    order.on_hold = True
    [result] = sap.upsert("order", [order])
    assert result.ok and result.message == "changed"
    stored = sap.get_order("OB-1002")
    assert stored.lines[0].quantity.value == Decimal("9") and stored.on_hold
    [again] = sap.upsert("order", [order])
    assert again.ok and again.message == "unchanged"
    assert sap_calls(sandbox_state, "BAPI_SALESORDER_CHANGE") == 1


def test_change_adds_a_line_and_cancels_one(sap, new_order, sandbox_state):
    order = new_order("OB-1003")
    sap.upsert("order", [order])
    extra_sku = [i.sku for i in sandbox_state.world.items if i.is_active][2]
    order.lines.append(dataclasses.replace(order.lines[0], line_no=3, sku=extra_sku))
    order.lines[1].status = "cancelled"
    [result] = sap.upsert("order", [order])
    assert result.ok, result.message
    stored = sap.get_order("OB-1003")
    assert [ln.sku for ln in stored.lines][-1] == extra_sku
    assert stored.lines[1].status == "cancelled"


def test_test_run_validates_and_posts_nothing(make_sap, sandbox_state, new_order):
    before = sandbox_state.count_records("sap", "sales_order")
    dry = make_sap(connections__sap__test_run=True)
    [ok] = dry.upsert("order", [new_order("OB-2001")])
    assert ok.ok and ok.message.startswith("test run") and ok.their_id is None
    [bad] = dry.upsert("order", [new_order("OB-2002", skus=("NOPE",))])
    assert not bad.ok and "NOPE" in bad.message
    assert sandbox_state.count_records("sap", "sales_order") == before
    # The test run did not claim the real create's MessageHeader UUID.
    [real] = make_sap().upsert("order", [new_order("OB-2001")])
    assert real.ok and real.their_id
    assert sandbox_state.count_records("sap", "sales_order") == before + 1


def test_change_in_test_run_posts_nothing(make_sap, new_order):
    make_sap().upsert("order", [new_order("OB-2003")])
    dry = make_sap(connections__sap__test_run=True)
    order = new_order("OB-2003", quantity=8)
    [result] = dry.upsert("order", [order])
    assert result.ok and result.message.startswith("test run")
    assert make_sap().get_order("OB-2003").lines[0].quantity.value == Decimal("5")
