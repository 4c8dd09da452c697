from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from connectors.base import CONNECTORS
from core import records as rec
from core.errors import TransientError
from core.store import models as m
from core.store import session_scope
from core.store.opcopy import upsert_shipment
from sync_jobs.sync_invoices import KINDS
from tests.sync_jobs.flows_in import count, open_cases, run_job, sandboxed  # noqa: F401

WHEN = datetime(2026, 11, 1, tzinfo=timezone.utc)


def found_orders(url: str) -> dict[str, set[str]]:
    with session_scope(url) as session:
        rows = session.scalars(
            select(m.OpsException).where(
                m.OpsException.status == "open", m.OpsException.kind.in_(KINDS)
            )
        ).all()
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row.kind, set()).add(row.order_number)
    return found


def expected(world) -> dict[str, set[str]]:
    return {kind: set(world.planted[kind]) for kind in KINDS if world.planted.get(kind)}


def test_every_planted_invoice_discrepancy_is_found_from_the_erp_alone(sandboxed):  # noqa: F811
    outcome = run_job(sandboxed.settings, "sync_invoices")
    assert outcome.status == "completed", outcome.summary
    assert count(sandboxed.url, m.Invoice) == len(sandboxed.world.invoices)
    assert found_orders(sandboxed.url) == expected(sandboxed.world)
    with session_scope(sandboxed.url) as session:
        cases = session.scalars(select(m.OpsException)).all()
    assert all(c.owner == "finance" and c.amount and c.currency for c in cases)


def test_the_same_cases_are_found_from_the_store(sandboxed):  # noqa: F811
    for job in ("pull_master_data", "track_shipments", "sync_invoices"):
        outcome = run_job(sandboxed.settings, job)
        assert outcome.status == "completed", (job, outcome.summary)
    assert found_orders(sandboxed.url) == expected(sandboxed.world)
    invoice_lines = sum(len(i.lines) for i in sandboxed.world.invoices)
    assert count(sandboxed.url, m.InvoiceLine) == invoice_lines
    # A second run re-reads the window and changes nothing.
    before = count(sandboxed.url, m.OpsException)
    assert run_job(sandboxed.settings, "sync_invoices").status == "completed"
    assert count(sandboxed.url, m.OpsException) == before


# ---- a fake ERP whose invoices a test decides --------------------------------------------------


def order() -> rec.Order:
    line = rec.OrderLine(1, "00042", rec.Quantity(Decimal("10")), rec.Money(Decimal("5.00"), "USD"))
    return rec.Order("netsuite", "o1", number="SO-1", customer_number="C1", lines=[line])


def shipment() -> rec.Shipment:
    line = rec.ShipmentLine(1, "00042", rec.Quantity(Decimal("10")))
    return rec.Shipment("netsuite", "s1", number="SH-1", order_number="SO-1", lines=[line])


def invoice(number: str, price: str, *, modified: datetime = WHEN, customer="C1") -> rec.Invoice:
    line = rec.InvoiceLine(
        1, "00042", rec.Quantity(Decimal("10")), rec.Money(Decimal(price), "USD"), 1
    )
    return rec.Invoice(
        "netsuite",
        number,
        modified_at=modified,
        number=number,
        order_number="SO-1",
        customer_number=customer,
        invoice_date=date(2026, 11, 1),
        lines=[line],
    )


class FakeErp:
    reads = frozenset({"invoice", "order", "shipment", "customer", "ship_to", "price"})
    invoices: list[rec.Invoice] = []
    fail = False

    def __init__(self, settings) -> None:
        self.api_calls = 0

    def read_changed(self, entity, since, until):
        if FakeErp.fail:
            raise TransientError("ERP timed out", system="netsuite")
        self.api_calls += 1
        yield from {
            "invoice": FakeErp.invoices,
            "order": [order()],
            "shipment": [shipment()],
        }.get(entity, [])


@pytest.fixture
def fake_erp(monkeypatch):
    monkeypatch.setitem(CONNECTORS, "netsuite", f"{__name__}:FakeErp")
    FakeErp.invoices, FakeErp.fail = [], False
    return FakeErp


def test_a_corrected_invoice_resolves_its_discrepancy(settings, fake_erp):
    fake_erp.invoices = [invoice("INV-1", "5.50")]
    assert run_job(settings, "sync_invoices").status == "completed"
    assert open_cases(settings.database_url) == {"invoice_price_mismatch": {"INV-1/1"}}
    with session_scope(settings.database_url) as session:
        case = session.scalars(select(m.OpsException)).one()
    assert (case.amount, case.currency) == (Decimal("5.00"), "USD")
    fake_erp.invoices = [
        invoice("INV-1", "5.00", modified=datetime(2026, 11, 2, tzinfo=timezone.utc))
    ]
    assert run_job(settings, "sync_invoices").status == "completed"
    assert open_cases(settings.database_url) == {}
    with session_scope(settings.database_url) as session:
        stored = session.scalars(select(m.InvoiceLine)).one()
    assert stored.unit_price == Decimal("5.00")


def test_an_invoice_that_cannot_be_stored_is_rejected_alone(settings, fake_erp):
    fake_erp.invoices = [invoice("INV-1", "5.00", customer="C" * 200), invoice("INV-2", "5.00")]
    outcome = run_job(settings, "sync_invoices")
    assert outcome.status == "completed"
    with session_scope(settings.database_url) as session:
        error = session.scalars(select(m.RecordError)).one()
        numbers = session.scalars(select(m.Invoice.number)).all()
    assert error.business_key == "INV-1" and numbers == ["INV-2"]


def test_a_transient_failure_keeps_the_watermark(settings, fake_erp):
    fake_erp.invoices = [invoice("INV-1", "5.00")]
    fake_erp.fail = True
    assert run_job(settings, "sync_invoices").status == "failed"
    with session_scope(settings.database_url) as session:
        assert session.get(m.Watermark, ("sync_invoices", "")) is None
    fake_erp.fail = False
    assert run_job(settings, "sync_invoices").status == "completed"
    assert count(settings.database_url, m.Invoice) == 1


def store_shipment(url: str, number: str, quantity: str) -> None:
    line = rec.ShipmentLine(1, "00042", rec.Quantity(Decimal(quantity)))
    shipped = rec.Shipment("threepl", number, number=number, order_number="SO-1", lines=[line])
    with session_scope(url) as session:
        upsert_shipment(session, shipped)


def test_a_shipment_stored_after_its_invoice_settles_the_quantity_discrepancy(settings, fake_erp):
    url = settings.database_url
    store_shipment(url, "SH-A", "6")
    fake_erp.invoices = [invoice("INV-1", "5.00")]  # bills all 10 ahead of the last 4
    assert run_job(settings, "sync_invoices").status == "completed"
    assert open_cases(url) == {"invoice_quantity_mismatch": {"INV-1/1"}}
    fake_erp.invoices = []  # the invoice is not changed again in the ERP
    assert run_job(settings, "sync_invoices").status == "completed"
    assert open_cases(url) == {"invoice_quantity_mismatch": {"INV-1/1"}}  # still 6 shipped
    store_shipment(url, "SH-B", "4")
    assert run_job(settings, "sync_invoices").status == "completed"
    assert open_cases(url) == {}
    items = count(url, m.WorkItem)
    assert run_job(settings, "sync_invoices").status == "completed"
    assert count(url, m.WorkItem) == items  # settled: nothing is checked again
