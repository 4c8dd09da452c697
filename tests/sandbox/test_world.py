"""The seeded world: deterministic, varied, with codes and tracking numbers in real formats."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

from sandbox.carriers.check_digits import dhl_check_digit, fedex_check_digit, ups_check_digit
from sandbox.world import OVERDUE, STORIES, build_world
from tests.sandbox.conftest import TODAY

POSTAL = {
    "US": r"\d{5}(-\d{4})?",
    "CA": r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] \d[ABCEGHJ-NPRSTV-Z]\d",
    "GB": r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}",
    "DE": r"\d{5}",
    "FR": r"\d{5}",
    "NL": r"[1-9]\d{3} [A-Z]{2}",
    "AU": r"\d{4}",
    "MX": r"\d{5}",
}


def test_the_same_seed_gives_the_same_world_and_another_seed_another():
    assert build_world(7, TODAY) == build_world(7, TODAY)
    assert build_world(7, TODAY) != build_world(8, TODAY)
    assert build_world(7, TODAY).customers != build_world(8, TODAY).customers


def test_reset_with_the_same_seed_stores_the_same_world(sandbox_state):
    first = sandbox_state.world
    sandbox_state.reset(1, TODAY)
    assert sandbox_state.world == first
    sandbox_state.reset(2, TODAY)
    assert sandbox_state.world != first


def test_dates_hang_off_today():
    world = build_world(3, date(2026, 6, 1))
    later = build_world(3, date(2026, 6, 11))
    assert [s.ship_date for s in later.shipments] != [s.ship_date for s in world.shipments]
    assert all(o.ordered_at.date() <= world.today for o in world.orders)
    assert all(e.at.date() < world.today for s in world.shipments for e in s.events)
    assert all(o.ordered_at.tzinfo is not None for o in world.orders)


def test_master_data_has_the_promised_variety():
    world = build_world(1, TODAY)
    assert 15 <= len(world.customers) <= 25
    assert all(re.fullmatch(r"C\d{5}", c.code) for c in world.customers)
    assert any(c.code.startswith("C00") for c in world.customers)
    assert {c.currency for c in world.customers} == {"USD", "EUR", "GBP", "CAD"}
    assert len({c.price_level for c in world.customers}) > 1
    assert {s.country for s in world.ship_tos} == set(POSTAL)
    for ship_to in world.ship_tos:
        assert re.fullmatch(POSTAL[ship_to.country], ship_to.postal_code), ship_to
    assert any(s.postal_code.startswith("0") for s in world.ship_tos)
    assert 40 <= len(world.items) <= 60
    assert all(isinstance(i.sku, str) and len(i.sku) == 5 for i in world.items)
    assert any(i.sku.startswith("0") for i in world.items)
    assert any(not i.is_active for i in world.items)
    assert any(i.drop_ship for i in world.items)
    kits = [i for i in world.items if i.is_kit]
    assert kits and all(i.components for i in kits)
    assert 2 <= len(world.warehouses) <= 3
    assert {s.warehouse for s in world.inventory} <= {w.code for w in world.warehouses}
    item = world.items[0]
    level, currency = world.customers[0].price_level, world.customers[0].currency
    assert world.price(item.sku, level, currency, 50) < world.price(item.sku, level, currency, 1)


def test_orders_shipments_and_invoices_tie_together():
    world = build_world(1, TODAY)
    assert 50 <= len(world.orders) <= 70
    assert all(o.lines and o.source == "salesforce" for o in world.orders)
    assert len(Counter(o.status for o in world.orders)) >= 5
    shipped = {o.number for o in world.orders if o.status in ("shipped", "partially_shipped")}
    assert {s.order_number for s in world.shipments} == shipped
    assert {i.order_number for i in world.invoices} == shipped
    for invoice in world.invoices:
        assert invoice.total == invoice.subtotal + invoice.tax + invoice.freight
    planted = world.planted["invoice_price_mismatch"]
    for number in planted:
        invoice = next(i for i in world.invoices if i.order_number == number)
        order = world.order(number)
        prices = {ln.line_no: ln.unit_price for ln in order.lines}
        assert any(ln.unit_price != prices[ln.line_no] for ln in invoice.lines)


def test_every_shipment_story_occurs_whatever_the_seed():
    for seed in range(10):
        world = build_world(seed, TODAY)
        assert {s.story for s in world.shipments} - {OVERDUE} == set(STORIES)
        assert all(world.tracking_numbers()[c] for c in ("ups", "fedex", "dhl"))
    world = build_world(1, TODAY)
    by_story = {s.story: s for s in world.shipments}
    assert by_story["delivered_signed"].signed_by and by_story["delivered_signed"].pod_available
    assert (
        by_story["delivered_no_pod"].delivered_at and not by_story["delivered_no_pod"].pod_available
    )
    late = by_story["late"]
    assert late.delivered_at.date() > late.promised_date
    stalled = by_story["stalled"]
    assert stalled.delivered_at is None
    assert (TODAY - stalled.events[-1].at.date()).days >= 4
    assert by_story["returned_to_sender"].status == "returned"
    assert by_story["damaged"].status == "exception"


def test_tracking_numbers_follow_each_carriers_format():
    numbers = build_world(1, TODAY).tracking_numbers()
    assert all(re.fullmatch(r"1Z[0-9A-Z]{16}", n) for n in numbers["ups"])
    assert all(ups_check_digit(n[2:17]) == n[17] for n in numbers["ups"])
    assert all(re.fullmatch(r"\d{12}", n) for n in numbers["fedex"])
    assert all(fedex_check_digit(n[:11]) == n[11] for n in numbers["fedex"])
    assert all(re.fullmatch(r"\d{10}", n) for n in numbers["dhl"])
    assert all(dhl_check_digit(n[:9]) == n[9] for n in numbers["dhl"])
    every = [n for ns in numbers.values() for n in ns]
    assert len(every) == len(set(every))


def test_check_digits_agree_with_published_numbers():
    assert ups_check_digit("999AA1012345678") == "4"  # 1Z999AA10123456784, UPS's own example
    assert fedex_check_digit("79479134181") == "8"  # 794791341818 in FedEx's tracking spec
    assert dhl_check_digit("777777777") == "0"


def test_the_readme_tables_of_planted_cases_are_the_registries():
    from sandbox.world.planted import INBOUND, OUTBOUND, readme_tables

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    outbound, inbound = readme_tables(TODAY).split("\n\n")
    assert outbound in readme and inbound in readme
    world = build_world(1, TODAY)
    assert set(world.planted) == set(INBOUND.cases) | set(OUTBOUND.cases)
    assert all(world.planted[name] for name in world.planted)
