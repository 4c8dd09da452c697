from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.store import models as m
from core.store import session_scope
from reports.reconcile_core import CLASSES
from reports.reconciliation import TITLES, build_reconciliation, write_workbook
from tests.helpers import cli
from tests.sync_jobs.flows_in import run_job, sandboxed, store_salesforce_orders  # noqa: F401

FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def reconciled(sandboxed):  # noqa: F811
    store_salesforce_orders(sandboxed.settings)
    for job in ("track_shipments", "sync_invoices", "reconcile_orders"):
        outcome = run_job(sandboxed.settings, job)
        assert outcome.status == "completed", (job, outcome.summary)
    return sandboxed


def period() -> tuple[date, date]:
    today = date.today()
    return today - timedelta(days=120), today


def test_every_planted_discrepancy_is_in_the_workbook_and_nothing_else(reconciled):
    rec = build_reconciliation(reconciled.url, *period(), reconciled.settings)
    found = {name: {r["order_number"] for r in rows} for name, rows in rec.classes.items() if rows}
    planted = reconciled.world.planted
    expected = {n: set(planted[f"recon_{n}"]) for n in CLASSES if planted.get(f"recon_{n}")}
    # Orders entered in Salesforce that sync_orders has not posted (it does not run here)
    # are missing in the ERP, rightly.
    expected["missing_in_system"] |= {o.number for o in reconciled.world.incoming_orders}
    assert found == expected


def sheet_rows(sheet, first: int = 2) -> list[dict]:
    head = [c.value for c in sheet[first - 1]]
    return [
        dict(zip(head, (c.value for c in row), strict=True))
        for row in sheet.iter_rows(min_row=first)
        if any(c.value is not None for c in row)
    ]


def summary_tables(sheet) -> tuple[list[dict], list[dict]]:
    """The two tables of the Summary sheet: totals by currency, then classes."""
    tables, current, head = [], None, None
    for row in sheet.iter_rows(min_row=6, values_only=True):
        if row[0] in ("Currency", "Class"):
            head, current = row, []
            tables.append(current)
        elif row[0] is None or head is None:
            head = None if row[0] is None else head
        else:
            current.append(dict(zip(head, row, strict=True)))
    return tables[0], tables[1]


def test_the_summary_ties_out_to_the_detail_sheets(reconciled, tmp_path):
    path = write_workbook(build_reconciliation(reconciled.url, *period()), tmp_path / "r.xlsx")
    book = load_workbook(path)
    assert book.sheetnames[0] == "Summary" and book.sheetnames[-1] == "Definitions"
    assert [TITLES[n] for n in CLASSES] == book.sheetnames[2:-1]
    totals, classes = summary_tables(book["Summary"])
    recomputed = defaultdict(lambda: defaultdict(Decimal))
    for row in sheet_rows(book["Lines"]):
        sums = recomputed[row["Currency"]]
        sums["Lines"] += 1
        for column in ("Order value", "Shipped value", "Invoiced value", "Difference"):
            sums[column] += Decimal(str(row[column]))
    assert totals and {t["Currency"] for t in totals} == set(recomputed)
    for total in totals:
        for column, value in recomputed[total["Currency"]].items():
            assert Decimal(str(total[column])) == value, (total["Currency"], column)
        assert Decimal(str(total["Difference"])) == Decimal(str(total["Invoiced value"])) - Decimal(
            str(total["Shipped value"])
        )
    by_class = defaultdict(lambda: [0, Decimal(0)])
    for name in CLASSES:
        for row in sheet_rows(book[TITLES[name]]):
            entry = by_class[(TITLES[name], row["Currency"])]
            entry[0] += 1
            entry[1] += Decimal(str(row["Amount"]))
    assert {
        (c["Class"], c["Currency"]): [c["Records"], Decimal(str(c["Amount"]))] for c in classes
    } == {k: v for k, v in by_class.items()}
    amount = book[TITLES["price_mismatch"]]["J2"]
    assert isinstance(amount.value, (int, float)) and amount.number_format == "#,##0.00"
    assert book["Lines"]["A2"].data_type == "s"  # order numbers stay text: leading zeros


def test_text_from_outside_is_never_a_formula(reconciled, tmp_path):
    with session_scope(reconciled.url) as session:
        line = session.scalars(select(m.OrderLine).order_by(m.OrderLine.id)).first()
        line.sku = FORMULA
        shipment = session.scalars(
            select(m.Shipment).filter_by(order_number=line.order_number)
        ).first()
        if shipment is not None:
            session.get(m.Shipment, shipment.id).number  # noqa: B018 - loaded, not changed
    path = write_workbook(build_reconciliation(reconciled.url, *period()), tmp_path / "r.xlsx")
    book = load_workbook(path)
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value == FORMULA]
    assert cells and all(c.data_type == "s" for c in cells)
    assert not any(c.data_type == "f" for sheet in book for row in sheet.iter_rows() for c in row)


def test_report_verb_writes_the_workbook_and_refuses_bad_dates(reconciled, tmp_path):
    out = tmp_path / "recon.xlsx"
    date_from, date_to = period()
    result = cli(
        reconciled.settings,
        "report",
        "reconciliation",
        "--from",
        date_from.isoformat(),
        "--to",
        date_to.isoformat(),
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert out.exists() and "missing_in_system" in result.stdout
    bad = cli(
        reconciled.settings,
        "report",
        "reconciliation",
        "--from",
        "2026-02-30",
        "--to",
        "2026-03-01",
        "--out",
        str(out),
    )
    assert bad.returncode == 64
    (line,) = bad.stderr.strip().splitlines()
    assert "--from" in line and "YYYY-MM-DD" in line and "'2026-02-30'" in line
