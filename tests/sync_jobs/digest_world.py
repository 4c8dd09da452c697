"""A small store with known figures for every role's digest, as of NOW."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from core.store import models as m
from core.store import session_scope

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc)
TODAY = NOW.date()
SOURCE = {"source_system": "netsuite"}


def _order(session, number: str, age_days: int, lines: int, status: str = "open") -> None:
    session.add(
        m.Order(
            number=number,
            customer_number="C1",
            order_date=TODAY - timedelta(days=age_days),
            source_key=number,
            **SOURCE,
        )
    )
    for line_no in range(1, lines + 1):
        session.add(
            m.OrderLine(
                order_number=number,
                line_no=line_no,
                sku="SKU-1",
                quantity=Decimal(2),
                unit_price=Decimal(5),
                status=status,
                quantity_shipped=Decimal(2 if status == "shipped" else 0),
            )
        )


def _case(session, kind: str, key: str, hours_ago: float, **fields) -> None:
    values = {"status": "open", "message": kind, "source_job": "test", "order_number": key}
    values.update(fields)
    session.add(
        m.OpsException(
            kind=kind, business_key=key, opened_at=NOW - timedelta(hours=hours_ago), **values
        )
    )


def _run(session, job: str, status: str, hours_ago: float, **fields) -> None:
    at = NOW - timedelta(hours=hours_ago)
    session.add(
        m.JobRun(
            job_id=job,
            status=status,
            scheduled_at=at,
            started_at=at,
            finished_at=at + timedelta(minutes=1),
            **fields,
        )
    )


def seed(url: str) -> None:
    with session_scope(url) as session:
        # Aging: 0-7 now O1 (2 lines) + O3; a day ago O1 + O2; O2 moved into 8-14; O5 is 90+.
        _order(session, "O1", 3, 2)
        _order(session, "O2", 8, 1)
        _order(session, "O3", 0, 1)
        _order(session, "O4", 100, 1, status="shipped")
        _order(session, "O5", 95, 1)
        # Coordinator: three cases opened in the last day, one older.
        _case(session, "shipment_late", "S-1", 2)
        _case(session, "shipment_late", "S-2", 23)
        _case(session, "shipment_late", "S-3", 30)
        _case(session, "backorder", "O1/1", 1)
        # Backorders released: one in the last day, one before, one closed by a person.
        released = {"status": "resolved", "comment": "released", "resolved_by": "system"}
        _case(session, "backorder", "O2/1", 40, resolved_at=NOW - timedelta(hours=5), **released)
        _case(session, "backorder", "O3/1", 60, resolved_at=NOW - timedelta(hours=30), **released)
        _case(
            session,
            "backorder",
            "O5/1",
            60,
            resolved_at=NOW - timedelta(hours=2),
            status="resolved",
            comment="cancelled by the customer",
        )
        # Finance: open discrepancies with amounts; a resolved one does not count.
        _case(session, "invoice_price_mismatch", "I-1", 72, amount=Decimal("10.50"), currency="USD")
        _case(session, "invoice_price_mismatch", "I-2", 72, amount=Decimal("4.50"), currency="USD")
        _case(
            session, "recon_shipped_not_invoiced", "O1", 72, amount=Decimal("100"), currency="EUR"
        )
        _case(session, "invoice_tax_mismatch", "I-3", 72, status="resolved")
        # Delivered, not invoiced: SH-1 only (SH-2's order has its invoice, SH-3 travels).
        for number, order, status in (
            ("SH-1", "O1", "delivered"),
            ("SH-2", "O2", "delivered"),
            ("SH-3", "O3", "in_transit"),
        ):
            session.add(
                m.Shipment(
                    number=number,
                    order_number=order,
                    status=status,
                    delivered_at=NOW - timedelta(days=2),
                    source_key=number,
                    **SOURCE,
                )
            )
        session.add(
            m.Invoice(
                number="INV-2",
                order_number="O2",
                customer_number="C1",
                source_key="INV-2",
                **SOURCE,
            )
        )
        # Admin: two failed runs of sync_orders in the day, one older; API calls; a paused job.
        _run(session, "sync_orders", "failed", 2, error="ERP timed out")
        _run(session, "sync_orders", "abandoned", 1)
        _run(session, "sync_orders", "failed", 30, error="old")
        _run(session, "track_shipments", "completed", 3, api_calls=7)
        _run(session, "track_shipments", "completed", 4, api_calls=5)
        _run(session, "track_shipments", "completed", 26, api_calls=100)
        session.add(
            m.JobDefinition(
                job_id="pull_master_data",
                trigger="every 15m",
                paused=True,
                updated_at=NOW - timedelta(hours=6),
            )
        )
