"""The KPIs on a small hand-built store whose every answer is worked out by hand below:
a backorder filled later, an undelivered shipment, an unshipped line, a cancelled line, a
damaged shipment with a wrong invoice, two currencies."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import insert, update

from core.store import models as m
from core.store import session_scope
from reports import kpi
from reports.kpi_data import DATA_COLUMNS, load_lines

SRC = {"source_system": "test", "source_key": "x"}
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def d(day: int) -> date:
    return date(2026, 3, day)


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 15, 30, tzinfo=timezone.utc)


# order, customer, currency; every order is dated 2 March except SO-OLD
ORDERS = (("SO-A", "C1", "USD"), ("SO-B", "C2", "EUR"), ("SO-C", "C1", "USD"))
ORDERS += (("SO-D", "C2", "USD"), ("SO-E", "C1", "USD"), ("SO-OLD", "C1", "USD"))
# order, line, qty, promised, requested, status, invoiced qty
LINES = (
    ("SO-A", 1, "10", d(10), d(8), "open", "10"),
    ("SO-A", 2, "5", d(10), None, "open", "5"),
    ("SO-B", 1, "4", d(20), None, "open", "4"),
    ("SO-B", 2, "2", d(20), None, "cancelled", "0"),
    ("SO-C", 1, "6", d(15), None, "open", "0"),
    ("SO-D", 1, "8", d(10), None, "open", "0"),
    ("SO-E", 1, "3", d(10), None, "open", "2"),
    ("SO-OLD", 1, "1", d(10), None, "open", "1"),
)
# shipment, order, ship day, carrier, status, delivered at, POD signer
SHIPMENTS = (
    ("SH-A1", "SO-A", 5, "ups", "delivered", at(9), "J. Doe"),
    ("SH-A2", "SO-A", 12, "ups", "delivered", at(14), "J. Doe"),
    ("SH-B1", "SO-B", 6, "fedex", "delivered", at(8), None),
    ("SH-C1", "SO-C", 7, "ups", "in_transit", None, None),
    ("SH-E1", "SO-E", 4, "dhl", "delivered", at(6), "R. Roe"),
)
SHIPPED = (("SH-A1", 1, "10"), ("SH-A1", 2, "3"), ("SH-A2", 2, "2"), ("SH-B1", 1, "4"))
SHIPPED += (("SH-C1", 1, "6"), ("SH-E1", 1, "3"))


def build(url: str) -> None:
    with session_scope(url) as session:
        session.execute(
            insert(m.Order),
            [
                {"number": n, "customer_number": c, "currency": cur, **SRC,
                 "order_date": date(2025, 1, 1) if n == "SO-OLD" else d(2)}
                for n, c, cur in ORDERS
            ],
        )  # fmt: skip
        session.execute(
            insert(m.OrderLine),
            [
                {"order_number": o, "line_no": n, "sku": f"SKU-{o[-1]}", "quantity": Decimal(q),
                 "unit_price": Decimal("2.50"), "currency": "", "promised_date": p,
                 "requested_date": r, "status": st, "quantity_invoiced": Decimal(inv),
                 "location": "WH-EAST" if o in ("SO-A", "SO-B") else "WH-WEST"}
                for o, n, q, p, r, st, inv in LINES
            ],
        )  # fmt: skip
        session.execute(
            insert(m.Shipment),
            [
                {"number": s, "order_number": o, "ship_date": d(day), "carrier": c,
                 "status": st, "delivered_at": when, "pod_signed_by": pod, **SRC}
                for s, o, day, c, st, when, pod in SHIPMENTS
            ],
        )  # fmt: skip
        session.execute(
            insert(m.ShipmentLine),
            [
                {"shipment_number": s, "order_line_no": n, "sku": "x", "quantity": Decimal(q)}
                for s, n, q in SHIPPED
            ],
        )
        for kind, key, status in (
            ("shipment_damaged", "SH-E1", "resolved"),
            ("invoice_quantity_mismatch", "INV-E", "open"),
        ):
            session.add(
                m.OpsException(
                    kind=kind,
                    business_key=key,
                    order_number="SO-E",
                    source_job="test",
                    message="x",
                    status=status,
                )
            )


@pytest.fixture
def lines(db_url):
    build(db_url)
    with session_scope(db_url) as session:
        return load_lines(session, *MARCH)


def test_the_data_frame_holds_each_line_of_the_period_with_its_outcome(lines):
    assert list(lines.columns) == list(DATA_COLUMNS)
    assert list(zip(lines["order"], lines["line"], strict=True)) == [
        ("SO-A", 1), ("SO-A", 2), ("SO-B", 1), ("SO-B", 2), ("SO-C", 1), ("SO-D", 1), ("SO-E", 1)
    ]  # fmt: skip
    a2 = lines.iloc[1]
    assert (a2.first_shipped_qty, a2.shipped_qty, a2.carrier) == (3.0, 5.0, "ups")
    assert a2.ship_date.date() == d(5) and a2.delivery_date.date() == d(14)
    c1, d1, e1 = lines.iloc[4], lines.iloc[5], lines.iloc[6]
    assert c1.ship_date.date() == d(7) and pd.isna(c1.delivery_date)
    assert d1.carrier == "" and d1.shipped_qty == 0.0 and not d1.pod_on_file
    assert e1.damaged and e1.discrepancy and not e1.documentation_correct
    assert list(lines["currency"]) == ["USD", "USD", "EUR", "EUR", "USD", "USD", "USD"]
    assert list(lines["value"]) == [25.0, 12.5, 10.0, 5.0, 15.0, 20.0, 7.5]
    assert list(lines["cancelled"]) == [False, False, False, True, False, False, False]


def test_every_kpi_has_the_value_worked_out_by_hand(lines):
    got = kpi.compute(lines)
    assert got["kpis"] == pytest.approx(
        {
            "otd_line_promised": 3 / 4,  # A1, B1, E1 of the delivered A1, A2, B1, E1
            "otd_order_promised": 2 / 3,  # B and E of the delivered A, B, E
            "otd_line_requested": 0.0,  # only A1 has one, and it came a day after it
            "otd_order_requested": None,  # no delivered order has a requested date on every line
            "otif_line": 3 / 4,
            "otif_order": 2 / 3,
            "line_fill": 4 / 5,  # A2's first shipment was short; D1 has not shipped
            "line_fill_final": 1.0,  # A2's backorder shipped later
            "unit_fill": 26 / 28,
            "unit_fill_final": 1.0,
            "order_fill": 3 / 4,  # of A, B, C, E: A was short first time
            "order_fill_final": 1.0,
            "perfect_order": 1 / 3,  # B: A was late, E damaged and invoiced wrong
            "order_accuracy": 2 / 3,  # A and B shipped exactly what was ordered
            "backorder_rate": 1 / 5,
            "pod_on_file": 2 / 3,  # invoiced A, B, E: B has no proof of delivery
        }
    )
    assert got["cycle_time_days"] == {
        "order_to_delivery": pytest.approx({"mean": 22 / 3, "median": 6.0, "p90": 10.8}),
        "order_to_ship": pytest.approx({"mean": 3.5, "median": 3.5, "p90": 4.7}),
    }
    assert got["counts"] == {
        "lines": 6,
        "cancelled_lines": 1,
        "delivered_lines": 4,
        "open_lines": 2,
        "orders": 5,
        "delivered_orders": 3,
        "open_orders": 2,
    }


def test_the_same_code_gives_each_customer_carrier_and_warehouse(lines):
    by = kpi.compute(lines)["by"]
    assert sorted(by["customer"]) == ["C1", "C2"]
    assert by["customer"]["C1"]["otd_line_promised"] == pytest.approx(2 / 3)  # A1, E1 of 3
    assert by["customer"]["C2"]["otd_line_promised"] == 1.0
    assert by["customer"]["C2"]["line_fill"] == 1.0  # B1 only: D1 has not shipped
    assert by["carrier"][""]["line_fill"] is None  # D1, never shipped: nothing to count
    assert by["warehouse"]["WH-WEST"]["perfect_order"] == 0.0  # E, damaged; C not delivered
    one = kpi.compute(kpi.filtered(lines, customer="C2"), by=())
    assert one["kpis"]["otd_line_promised"] == by["customer"]["C2"]["otd_line_promised"]
    assert one["counts"]["orders"] == 2


def test_a_period_with_nothing_in_it_counts_nothing_and_says_so(db_url):
    with session_scope(db_url) as session:
        empty = load_lines(session, *MARCH)
    got = kpi.compute(empty)
    assert set(got["kpis"]) == set(kpi.DEFINITIONS)
    assert all(value is None for value in got["kpis"].values())
    assert got["counts"]["lines"] == 0 and got["by"]["customer"] == {}
    assert got["cycle_time_days"]["order_to_delivery"] == {
        "mean": None, "median": None, "p90": None
    }  # fmt: skip


def test_the_report_says_its_period_filters_and_exceptions_within_sla(db_url):
    build(db_url)
    with session_scope(db_url) as session:
        for kind, opened, due, resolved in (
            ("shipment_late", at(3), at(5), at(4)),  # in SLA
            ("shipment_no_movement", at(3), at(5), at(6)),  # past it
            ("invoice_tax_mismatch", datetime(2026, 2, 27, tzinfo=timezone.utc), None, None),
        ):
            session.add(
                m.OpsException(
                    kind=kind, business_key=kind, order_number="SO-A", source_job="t",
                    message="x", status="resolved" if resolved else "open", opened_at=opened,
                    sla_due_at=due, resolved_at=resolved,
                )
            )  # fmt: skip
    with session_scope(db_url) as session:
        whole = kpi.report(session, *MARCH)
        c2 = kpi.report(session, *MARCH, customer="C2", carrier=None)
    assert (whole["from"], whole["to"], whole["filters"]) == ("2026-03-01", "2026-03-31", {})
    # the two of 3 March count; February's and the two build() opens today do not
    assert whole["exceptions"]["opened"] == 2 and whole["exceptions"]["resolved"] == 2
    assert whole["exceptions"]["resolved_within_sla"] == 0.5
    assert c2["filters"] == {"customer": "C2"}
    assert c2["exceptions"] == {"opened": 0, "resolved": 0, "resolved_within_sla": None}
    assert c2["kpis"]["perfect_order"] == 1.0  # B, the one delivered order of C2


def test_the_readme_gives_every_kpi_s_definition_as_the_code_does():
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for name, text in {**kpi.DEFINITIONS, **kpi.CYCLE_DEFINITIONS}.items():
        assert f"| `{name}` | {text} |" in readme, name
    assert kpi.SCOPE in readme


def test_report_kpi_prints_json_and_writes_the_workbook(db_url, settings, tmp_path):
    from openpyxl import load_workbook

    from tests.helpers import cli

    build(db_url)
    period = ["--from", "2026-03-01", "--to", "2026-03-31"]
    done = cli(settings, "report", "kpi", *period, "--json")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert (printed["from"], printed["to"]) == ("2026-03-01", "2026-03-31")
    assert printed["kpis"]["perfect_order"] == pytest.approx(1 / 3)
    assert printed["kpis"]["otd_order_requested"] is None
    assert set(printed["by"]) == {"customer", "carrier", "warehouse"}
    one = json.loads(cli(settings, "report", "kpi", *period, "--json", "--customer", "C2").stdout)
    assert one["filters"] == {"customer": "C2"} and one["counts"]["orders"] == 2
    out = tmp_path / "kpi.xlsx"
    done = cli(settings, "report", "kpi", *period, "--out", str(out))
    assert done.returncode == 0 and "7 order line(s)" not in done.stdout  # cancelled apart
    assert "6 order line(s), 5 order(s)" in done.stdout
    assert load_workbook(out, read_only=True).sheetnames == ["Summary", "Definitions", "Data"]
    bad = cli(settings, "report", "kpi", "--from", "2026-03-31", "--to", "2026-03-01", "--json")
    assert bad.returncode == 64 and "--from is after --to" in bad.stderr


def test_a_line_with_no_promise_of_its_own_goes_by_its_shipment_s_and_invoices_say_what_is_billed(
    db_url,
):
    build(db_url)
    with session_scope(db_url) as session:
        session.execute(
            update(m.OrderLine)
            .where(m.OrderLine.order_number == "SO-B", m.OrderLine.line_no == 1)
            .values(promised_date=None)
        )
        session.execute(
            update(m.Shipment).where(m.Shipment.number == "SH-B1").values(promised_date=d(7))
        )
        session.add(m.Invoice(number="INV-E", order_number="SO-E", customer_number="C1", **SRC))
        session.add(m.InvoiceLine(invoice_number="INV-E", line_no=1, order_line_no=1, sku="x",
                                  quantity=Decimal(3), unit_price=Decimal("2.50")))  # fmt: skip
    with session_scope(db_url) as session:
        lines = load_lines(session, *MARCH)
    b1 = lines[(lines["order"] == "SO-B") & (lines["line"] == 1)].iloc[0]
    assert b1.promised_date.date() == d(7)  # SH-B1's promise, delivered the 8th: late
    assert kpi.compute(lines, by=())["kpis"]["otd_line_promised"] == pytest.approx(2 / 4)
    e1 = lines[lines["order"] == "SO-E"].iloc[0]
    assert e1.documentation_correct  # its invoice bills the 3 shipped, not the line's 2
