"""The backorder list: its values, ages and warehouses, and queue positions that are the order
release_backorders really releases in (the job run on the same store with a recording 3PL)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from core.store import models as m
from core.store import session_scope
from reports import backorders
from reports.base import Options
from sync_jobs.release_backorders import ReleaseBackorders
from tests.reports.store_data import AS_OF, SRC, add_customers, add_order

RULES = ("customer_priority,order_date", "order_date")


class RecordingThreePL:
    """Takes every release and remembers the order it came in."""

    api_calls = 0

    def __init__(self) -> None:
        self.released: list[tuple[str, int]] = []

    def get_order(self, reference: str) -> None:
        return None

    def submit_order(self, request) -> SimpleNamespace:
        line = request.order.lines[0]
        self.released.append((request.order.number, line.line_no))
        return SimpleNamespace(ok=True, their_id=f"T{len(self.released)}")


def backorder(quantity: int = 4, **line) -> dict:
    return {"status": "backordered", "quantity_backordered": Decimal(quantity), **line}


def waiting_world(url: str) -> None:
    """SKU A waits for six lines of customers of different priorities and dates (one on hold,
    one whose order the ERP has not released); SKU B for one."""
    add_customers(url, ("VIP", "Very Important", 1), ("MID", "Middling", 5), ("ANY", "No Prio", 0))
    add_order(url, "SO-1", "ANY", 30, backorder(), backorder(sku="B"))
    add_order(url, "SO-2", "MID", 20, backorder(location="WH-NV"))
    add_order(url, "SO-3", "VIP", 5, backorder(), backorder(2))
    add_order(url, "SO-4", "MID", 25, backorder())
    add_order(url, "SO-5", "VIP", 40, backorder(), on_hold=True)
    add_order(url, "SO-6", "VIP", 50, backorder(), status="pending_approval")
    with session_scope(url) as session:
        for customer in ("VIP", "MID", "ANY"):
            address = {"name": customer, "line1": "1 Main", "city": "Newark", "country": "US"}
            session.add(
                m.ShipTo(
                    customer_number=customer, code="", source_system="netsuite", **SRC, **address
                )
            )


def stock(url: str, sku: str, units: int) -> None:
    with session_scope(url) as session:
        units = Decimal(units)
        session.add(
            m.Inventory(
                sku=sku,
                location="WH-NJ",
                available=units,
                on_hand=units,
                source_system="netsuite",
                **SRC,
            )  # fmt: skip
        )


def report(url: str, rule: str) -> list[dict]:
    with session_scope(url) as session:
        return backorders.rows(session, Options(as_of=AS_OF, release_rule=rule))


def release(make_settings, rule: str, sku: str) -> list[tuple[str, int]]:
    settings = make_settings(flows__backorder_release_rule=rule, flows__availability_source="erp")
    job = ReleaseBackorders(settings)
    job.tpl = RecordingThreePL()
    job.perform(None, f"sku:{sku}", {"sku": sku})
    return job.tpl.released


def queue_of(rows: list[dict], sku: str) -> list[tuple[str, int]]:
    queued = [r for r in rows if r["sku"] == sku and isinstance(r["position"], int)]
    return [(r["order_number"], r["line_no"]) for r in sorted(queued, key=lambda r: r["position"])]


@pytest.mark.parametrize("rule", RULES)
def test_queue_positions_are_the_order_release_backorders_releases_in(db_url, make_settings, rule):
    waiting_world(db_url)
    stock(db_url, "A", 1000)
    expected = queue_of(report(db_url, rule), "A")
    assert len(expected) == 5
    assert release(make_settings, rule, "A") == expected


def test_the_priority_rule_serves_priority_then_date_and_the_date_rule_date_alone(db_url):
    waiting_world(db_url)
    assert queue_of(report(db_url, RULES[0]), "A") == [
        ("SO-3", 1), ("SO-3", 2), ("SO-4", 1), ("SO-2", 1), ("SO-1", 1)
    ]  # fmt: skip
    assert queue_of(report(db_url, RULES[1]), "A") == [
        ("SO-1", 1), ("SO-4", 1), ("SO-2", 1), ("SO-3", 1), ("SO-3", 2)
    ]  # fmt: skip


def test_stock_for_two_lines_goes_to_positions_one_and_two(db_url, make_settings):
    waiting_world(db_url)
    stock(db_url, "A", 6)  # SO-3's lines wait for 4 and 2
    expected = queue_of(report(db_url, RULES[0]), "A")[:2]
    assert release(make_settings, RULES[0], "A") == expected


def test_a_line_shows_value_age_warehouse_priority_and_why_it_is_not_queued(db_url):
    waiting_world(db_url)
    rows = {(r["order_number"], r["line_no"]): r for r in report(db_url, RULES[0])}
    assert len(rows) == 8
    second = rows[("SO-2", 1)]
    assert second["backordered"] == 4 and second["value"] == Decimal("20.00")
    assert (second["currency"], second["age_days"], second["warehouse"]) == ("USD", 20, "WH-NV")
    assert (second["customer_name"], second["priority"], second["position"]) == ("Middling", 5, 4)
    assert rows[("SO-1", 1)]["priority"] == backorders.NO_PRIORITY
    assert rows[("SO-1", 1)]["warehouse"] == backorders.NO_WAREHOUSE
    assert rows[("SO-1", 2)]["position"] == 1  # first (and only) in SKU B's queue
    assert rows[("SO-5", 1)]["position"] == "not queued: order on hold"
    assert rows[("SO-6", 1)]["position"] == "not queued: order pending_approval"
    assert {r["expected"] for r in rows.values()} == {backorders.NOT_GIVEN}


def test_lines_not_backordered_are_not_listed(db_url):
    add_order(db_url, "SO-1", "C1", 3, {}, {"status": "shipped", "quantity_shipped": Decimal(10)})
    assert report(db_url, RULES[0]) == []
