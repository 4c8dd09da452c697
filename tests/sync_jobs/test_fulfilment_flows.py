"""push_fulfillments, pull_shipments and release_backorders against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from connectors import get_connector
from core.retry import breaker_for
from core.store import models as m
from core.store import session_scope
from sandbox.threepl.app import ship_pending
from sync_jobs.flows_common import carrier_service
from tests.sync_jobs.flows import Flows, make_flows

TPL = "threepl"


@pytest.fixture
def flows(make_settings) -> Iterator[Flows]:
    yield from make_flows(make_settings)


@pytest.fixture
def pushed(flows: Flows) -> Flows:
    """Master data pulled, orders posted, released orders pushed to the 3PL."""
    for job in ("pull_master_data", "sync_orders", "push_fulfillments"):
        outcome = flows.run(job)
        assert outcome.status == "completed", (job, outcome.summary)
    return flows


def line(flows: Flows, number: str, line_no: int) -> m.OrderLine:
    (row,) = flows.rows(m.OrderLine, order_number=number, line_no=line_no)
    return row


def held(flows: Flows, number: str) -> dict:
    return flows.state.get_record(TPL, "order", f"OB-{number}-F1")


def put_stock(flows: Flows, warehouse: str, sku: str, on_hand: int) -> None:
    key = f"{warehouse}:{sku}"
    row = flows.state.get_record(TPL, "inventory", key) or {"allocated": 0}
    row = {**row, "sku": sku, "warehouse": warehouse, "on_hand": on_hand}
    for name in ("internal_id", "external_id", "modified_at"):
        row.pop(name, None)
    flows.state.put_record(TPL, "inventory", key, row)


def test_released_orders_go_to_the_3pl_once_split_by_stock_and_item(pushed: Flows) -> None:
    planted = pushed.world.planted
    for number in planted["new_order"]:
        order = held(pushed, number)
        assert order["status"] == "received"
        assert {x["line_no"] for x in order["lines"]} == {1, 2}
    # Short of stock: what the best warehouse has ships now, the rest is backordered.
    (short,) = planted["short_of_stock"]
    sent = held(pushed, short)["lines"][0]["quantity"]
    row = line(pushed, short, 1)
    assert row.status == "backordered" and row.quantity_backordered == row.quantity - sent
    (exception,) = pushed.rows(m.OpsException, business_key=f"{short}/1")
    assert exception.kind == "backorder" and exception.status == "open"
    # Drop-ship lines stay with the ERP's purchase order; kit lines ship whole.
    (drop,) = planted["drop_ship_line"]
    assert [x["line_no"] for x in held(pushed, drop)["lines"]] == [1]
    assert line(pushed, drop, 2).status == "drop_ship"
    (kit,) = planted["kit_line"]
    kit_line = next(x for x in held(pushed, kit)["lines"] if x["line_no"] == 2)
    assert Decimal(kit_line["quantity"]) == line(pushed, kit, 2).quantity
    # Rejected orders never reach the ERP, so never the 3PL.
    assert held(pushed, planted["unknown_sku"][0]) is None
    assert pushed.stats(TPL)["duplicates"]["order"] == 0


def test_a_second_push_sends_nothing_new(pushed: Flows) -> None:
    before = pushed.stats(TPL)["calls"]["submit_order"]
    again = pushed.run("push_fulfillments")
    assert again.status == "completed"
    assert pushed.stats(TPL)["calls"]["submit_order"] == before


def test_confirmations_become_item_fulfilments_shipments_and_tracking(pushed: Flows) -> None:
    shipped = ship_pending(pushed.state)
    outcome = pushed.run("pull_shipments")
    assert outcome.status == "completed", outcome.summary
    netsuite = pushed.stats("netsuite")
    assert netsuite["duplicates"]["itemFulfillment"] == 0
    carriers = set()
    for number in shipped:
        assert pushed.state.get_record("netsuite", "itemFulfillment", f"3PL-{number}")
        (stored,) = pushed.rows(m.Shipment, number=number)
        # The carrier the ERP order's ship method names, else the 3PL's default (UPS).
        carrier, service = carrier_service(pushed.world.order(stored.order_number).ship_method)
        assert stored.tracking_number and stored.carrier == (carrier or "ups")
        held = pushed.state.get_record(TPL, "shipment", number)["carrier"]
        assert (held["code"], held["service"]) == ((carrier, service) if carrier else ("ups", "03"))
        carriers.add(stored.carrier)
    assert carriers == {"ups", "fedex", "dhl"}
    new = pushed.world.planted["new_order"][0]
    assert {row.status for row in pushed.rows(m.OrderLine, order_number=new)} == {"shipped"}
    # The partial shipment of the short line counts what shipped; the rest still waits.
    (short,) = pushed.world.planted["short_of_stock"]
    row = line(pushed, short, 1)
    assert row.status == "backordered" and 0 < row.quantity_shipped < row.quantity
    assert pushed.run("pull_shipments").status == "completed"
    assert (
        pushed.stats("netsuite")["records"]["itemFulfillment"]
        == netsuite["records"]["itemFulfillment"]
    )


def test_backorders_take_stock_from_other_warehouses_and_the_rest_waits(pushed: Flows) -> None:
    (short,) = pushed.world.planted["short_of_stock"]
    waiting = line(pushed, short, 1).quantity_backordered
    outcome = pushed.run("release_backorders")
    assert outcome.status == "completed", outcome.summary
    row = line(pushed, short, 1)
    assert 0 < row.quantity_backordered < waiting  # another warehouse gave what it had
    (exception,) = pushed.rows(m.OpsException, business_key=f"{short}/1")
    assert exception.status == "open" and "still backordered" in exception.message
    released = [r for r in pushed.state.find_records(TPL, "order") if r["client_reference"]
                .startswith(f"OB-{short}-1R")]  # fmt: skip
    assert len(released) == 1
    assert pushed.run("release_backorders").status == "completed"
    assert pushed.stats(TPL)["duplicates"]["order"] == 0


def test_new_stock_goes_to_the_higher_priority_customer_first(pushed: Flows) -> None:
    (short,) = pushed.world.planted["short_of_stock"]
    pushed.run("release_backorders")  # the other warehouses give what they have
    sku = line(pushed, short, 1).sku
    waiting = line(pushed, short, 1).quantity_backordered
    first = pushed.rows(m.Order, number=short)[0]
    rival = _rival_order(pushed, first, sku, waiting)
    put_stock(pushed, "WH-NJ", sku, int(waiting))  # enough for one of the two
    assert pushed.run("release_backorders").status == "completed"
    assert line(pushed, rival, 1).quantity_backordered == 0  # the high-priority customer
    assert line(pushed, short, 1).quantity_backordered == waiting


def test_the_order_date_rule_serves_the_earlier_order_first(make_settings) -> None:
    for flows in make_flows(make_settings, flows__backorder_release_rule="order_date"):
        for job in ("pull_master_data", "sync_orders", "push_fulfillments", "release_backorders"):
            flows.run(job)
        (short,) = flows.world.planted["short_of_stock"]
        sku = line(flows, short, 1).sku
        waiting = line(flows, short, 1).quantity_backordered
        first = flows.rows(m.Order, number=short)[0]
        rival = _rival_order(flows, first, sku, waiting)
        put_stock(flows, "WH-NJ", sku, int(waiting))
        assert flows.run("release_backorders").status == "completed"
        assert line(flows, short, 1).quantity_backordered == 0  # ordered before the rival
        assert line(flows, rival, 1).quantity_backordered == waiting


def _rival_order(flows: Flows, first: m.Order, sku: str, waiting: Decimal) -> str:
    """A later order of a top-priority customer, backordered on the same SKU."""
    with session_scope(flows.settings.database_url) as session:
        customers = session.scalars(select(m.Customer).order_by(m.Customer.number)).all()
        vip = next(c for c in customers if c.number != first.customer_number)
        for customer in customers:
            customer.priority = 1 if customer is vip else 9
        ship_to = session.scalars(select(m.ShipTo).filter_by(customer_number=vip.number)).first()
        session.add(
            m.Order(
                number="99000001",
                customer_number=vip.number,
                ship_to_code=ship_to.code,
                order_date=date(2099, 1, 1),
                status="open",
                source_system="salesforce",
                source_key="801RIVAL",
            )
        )
        session.add(
            m.OrderLine(
                order_number="99000001",
                line_no=1,
                sku=sku,
                quantity=waiting,
                unit_price=Decimal("1"),
                quantity_backordered=waiting,
                status="backordered",
            )
        )
    return "99000001"


def test_a_3pl_outage_keeps_the_push_watermark_and_the_retry_sends_once(flows: Flows) -> None:
    flows.run("pull_master_data")
    flows.run("sync_orders")
    flows.state.set_fault(TPL, "server_error", status=503, path="/v1/orders")
    failed = flows.run("push_fulfillments")
    assert failed.status == "failed"
    assert not flows.rows(m.Watermark, job_id="push_fulfillments")
    flows.state.clear_faults(TPL)
    breaker_for(TPL).record_success()
    assert flows.run("push_fulfillments").status == "completed"
    assert flows.rows(m.Watermark, job_id="push_fulfillments")
    assert flows.stats(TPL)["duplicates"]["order"] == 0
    for number in flows.world.planted["new_order"]:
        assert held(flows, number) is not None


def test_the_3pl_ships_by_itself_what_waited_long_enough(pushed: Flows) -> None:
    pushed.state.meta_set(TPL, "ship_after_seconds", 0)  # as `make run` sees it a minute later
    assert pushed.run("pull_shipments").status == "completed"  # the read makes it ship
    outcome = pushed.run("pull_shipments")  # and the next run reads what shipped since
    assert outcome.status == "completed"
    new = pushed.world.planted["new_order"][0]
    assert {row.status for row in pushed.rows(m.OrderLine, order_number=new)} == {"shipped"}


def test_connectors_read_back_what_was_written_by_our_keys(pushed: Flows) -> None:
    new = pushed.world.planted["new_order"][0]
    (order,) = get_connector("netsuite", pushed.settings).read("order", [f"SF-{new}", "nope"])
    assert order.external_id == f"SF-{new}" and order.number == new
    threepl = get_connector(TPL, pushed.settings)
    assert threepl.get_order(f"OB-{new}-F1")["status"] == "received"
    assert threepl.get_order("OB-nothing-F1") is None


def test_an_id_the_3pl_now_gives_another_order_moves_its_binding(pushed: Flows) -> None:
    """The 3PL was reseeded (or reused an id) after we bound its order id to an older key of
    ours: release_backorders binds the id anew instead of failing on every run."""
    (short,) = pushed.world.planted["short_of_stock"]
    next_id = f"ORD-{pushed.state.count_records(TPL, 'order') + 1:06d}"
    with session_scope(pushed.settings.database_url) as session:
        session.add(m.IdMap(entity="fulfilment", system=TPL, our_key="OB-OLD-F1", their_id=next_id))
    outcome = pushed.run("release_backorders")
    assert outcome.status == "completed", outcome.summary
    assert line(pushed, short, 1).status == "backordered"  # moved: WH-NL sent what it has
    (bound,) = pushed.rows(m.IdMap, entity="fulfilment", system=TPL, their_id=next_id)
    assert bound.our_key.startswith("OB-") and "R" in bound.our_key.split("-")[-1]
    assert pushed.rows(m.IdMap, our_key="OB-OLD-F1") == []
    assert pushed.run("release_backorders").status == "completed"
    assert pushed.stats(TPL)["duplicates"]["order"] == 0


def test_binding_what_is_bound_already_changes_nothing(flows: Flows) -> None:
    from sync_jobs.flows_common import bind

    url = flows.settings.database_url
    for _ in range(2):  # a resumed write binds again
        with session_scope(url) as session:
            bind(session, "fulfilment", TPL, "OB-1-F1", "ORD-000001")
    assert [(r.our_key, r.their_id) for r in flows.rows(m.IdMap, entity="fulfilment")] == [
        ("OB-1-F1", "ORD-000001")
    ]
    with session_scope(url) as session:  # the system now says ORD-000001 is OB-2-F1
        bind(session, "fulfilment", TPL, "OB-2-F1", "ORD-000001")
        bind(session, "fulfilment", TPL, "OB-3-F1", "ORD-000003")
        bind(session, "fulfilment", TPL, "OB-3-F1", "ORD-000004")  # and OB-3-F1 is 4, not 3
    rows = sorted((r.our_key, r.their_id) for r in flows.rows(m.IdMap, entity="fulfilment"))
    assert rows == [("OB-2-F1", "ORD-000001"), ("OB-3-F1", "ORD-000004")]
