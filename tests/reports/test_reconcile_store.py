from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import insert

from core.store import models as m
from core.store import session_scope
from reports.reconcile_core import from_decimal
from reports.reconcile_store import load_sides

DAY = date(2026, 3, 2)
SRC = {"source_system": "test", "source_key": "x"}


def store(url: str) -> None:
    """Two orders in the period (one line priced in another currency, one with a blank
    currency), one outside it; partial and odd quantities; a cancelled invoice."""
    with session_scope(url) as session:
        session.execute(
            insert(m.Order),
            [
                {"number": n, "customer_number": "C", "order_date": d, "currency": c, **SRC}
                for n, d, c in (
                    ("SO-2", DAY, "EUR"),
                    ("SO-10", DAY, "USD"),
                    ("SO-OLD", date(2025, 1, 1), "USD"),
                )
            ],
        )
        session.execute(
            insert(m.OrderLine),
            [
                {"order_number": "SO-2", "line_no": 1, "sku": "007", "quantity": Decimal("1.2345"),
                 "unit_price": Decimal("12.3456"), "currency": ""},
                {"order_number": "SO-10", "line_no": 2, "sku": "A", "quantity": Decimal("3"),
                 "unit_price": Decimal("0.0001"), "currency": "GBP"},
                {"order_number": "SO-10", "line_no": 1, "sku": "B", "quantity": Decimal("-0.0005"),
                 "unit_price": Decimal("99999.9999"), "currency": "USD"},
                {"order_number": "SO-OLD", "line_no": 1, "sku": "C", "quantity": Decimal("1"),
                 "unit_price": Decimal("1"), "currency": "USD"},
            ],
        )  # fmt: skip
        session.execute(
            insert(m.Shipment),
            [
                {"number": "SH-1", "order_number": "SO-10", "ship_date": DAY,
                 "status": "delivered", "pod_signed_by": "J. Doe", **SRC},
                {"number": "SH-2", "order_number": "SO-10", "ship_date": None,
                 "status": "delivered", **SRC},
                {"number": "SH-3", "order_number": "SO-2", "ship_date": date(2026, 3, 1), **SRC},
                {"number": "SH-9", "order_number": "SO-UNKNOWN", "ship_date": DAY, **SRC},
                {"number": "SH-OLD", "order_number": "SO-OLD", "ship_date": date(2025, 1, 2),
                 **SRC},
            ],
        )  # fmt: skip
        session.execute(
            insert(m.ShipmentLine),
            [
                {"shipment_number": s, "order_line_no": n, "sku": "x", "quantity": Decimal(q)}
                for s, n, q in (
                    ("SH-1", 2, "1.5"),
                    ("SH-2", 2, "1.5"),
                    ("SH-1", 1, "-0.0005"),
                    ("SH-3", 1, "1.2345"),
                    ("SH-9", 1, "1"),
                    ("SH-OLD", 1, "1"),
                )
            ],
        )
        session.execute(
            insert(m.Invoice),
            [
                {"number": n, "order_number": o, "customer_number": "C", "status": st,
                 "currency": c, **SRC}
                for n, o, st, c in (
                    ("INV-1", "SO-10", "open", "USD"),
                    ("INV-2", "SO-10", "cancelled", "USD"),
                    ("INV-3", "SO-2", "open", "EUR"),
                )
            ],
        )  # fmt: skip
        session.execute(
            insert(m.InvoiceLine),
            [
                {"invoice_number": "INV-1", "line_no": 1, "order_line_no": 2, "sku": "A",
                 "quantity": Decimal("3"), "unit_price": Decimal("0.0001"), "currency": "GBP"},
                {"invoice_number": "INV-1", "line_no": 2, "order_line_no": None, "sku": "B",
                 "quantity": Decimal("1"), "unit_price": Decimal("2.5"), "currency": ""},
                {"invoice_number": "INV-2", "line_no": 1, "order_line_no": 1, "sku": "B",
                 "quantity": Decimal("9"), "unit_price": Decimal("9"), "currency": "USD"},
                {"invoice_number": "INV-3", "line_no": 1, "order_line_no": 1, "sku": "007",
                 "quantity": Decimal("1.2345"), "unit_price": Decimal("12.3456"),
                 "currency": "EUR"},
            ],
        )  # fmt: skip


def rows(frame) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)]


def test_the_period_is_read_as_integer_columns_rounded_as_decimals_round(db_url):
    store(db_url)
    with session_scope(db_url) as session:
        orders, shipments, invoices = load_sides(session, DAY, DAY)
    assert sorted(rows(orders)) == [
        ("SO-10", 1, "B", "USD", from_decimal(Decimal("-0.0005"), 3), 999999999),
        ("SO-10", 2, "A", "GBP", 3000, 1),
        ("SO-2", 1, "007", "EUR", from_decimal(Decimal("1.2345"), 3), 123456),
    ]
    day = (DAY - date(1970, 1, 1)).days
    # The unknown order's shipment counts because it is dated in the period, the old one not.
    assert sorted(rows(shipments), key=lambda r: (r[0], r[1], r[3])) == [
        ("SO-10", 1, -1, "SH-1", day, True, True),
        ("SO-10", 2, 1500, "SH-1", day, True, True),
        ("SO-10", 2, 1500, "SH-2", None, True, False),
        ("SO-2", 1, 1235, "SH-3", day - 1, False, False),
        ("SO-UNKNOWN", 1, 1000, "SH-9", day, False, False),
    ]
    assert sorted(rows(invoices), key=lambda r: (r[0], r[1], r[2])) == [
        ("SO-10", 2, 1000, 25000, "USD", "INV-1"),
        ("SO-10", 2, 3000, 1, "GBP", "INV-1"),
        ("SO-2", 1, 1235, 123456, "EUR", "INV-3"),
    ]


def test_shipments_and_invoices_come_in_key_order_by_code_point(db_url):
    store(db_url)
    with session_scope(db_url) as session:
        _, shipments, invoices = load_sides(session, DAY, DAY)
    for side in (shipments, invoices):
        keys = list(zip(side["order_number"], side["line_no"], strict=True))
        assert keys == sorted(keys)  # "SO-10" before "SO-2", as Python compares text


def test_a_period_with_an_empty_side_reconciles_and_its_workbook_is_written(db_url, tmp_path):
    from openpyxl import load_workbook
    from sqlalchemy import delete

    from reports.reconciliation import build_reconciliation, write_workbook

    store(db_url)
    emptied = {
        "no invoices": (m.InvoiceLine, m.Invoice),
        "orders only": (m.ShipmentLine, m.Shipment),
        "nothing": (m.OrderLine, m.Order),
    }
    found = {}
    for name, models in emptied.items():  # each step empties one more side
        with session_scope(db_url) as session:
            for model in models:
                session.execute(delete(model))
        rec = build_reconciliation(db_url, date(2026, 3, 1), date(2026, 3, 31))
        found[name] = {k: len(v) for k, v in rec.classes.items() if len(v)}
        book = load_workbook(write_workbook(rec, tmp_path / f"{name}.xlsx"), read_only=True)
        assert book.sheetnames[0] == "Summary"
    # Shipped but never billed: SO-10's two lines and SO-2's; SH-2 delivered with no POD.
    assert found["no invoices"] == {
        "missing_in_system": 1,
        "shipped_not_invoiced": 3,
        "delivered_without_pod": 1,
    }
    assert found["orders only"] == {"quantity_mismatch": 1}  # the line of -0.0005 units
    assert found["nothing"] == {}
