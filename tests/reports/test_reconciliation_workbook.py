from __future__ import annotations

import zipfile
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.store import models as m
from core.store import session_scope
from reports.reconcile_core import CLASSES, Tolerances, as_people_see_it, reconcile
from reports.reconciliation import (
    TITLES,
    Reconciliation,
    build_reconciliation,
    write_workbook,
)
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


# ---- the writer on a period built in memory (no sandbox) ----------------------------------

HOSTILE = (
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "-2+3",
)
Q, P = 1000, 10000  # one unit, one currency unit, in the match's integers


def in_memory_period(orders: int, hostile: tuple[str, ...] = ()) -> Reconciliation:
    """One line per order: every other one invoiced at a higher price (price mismatch), the
    rest shipped and never invoiced; every third delivered without proof; two currencies.
    The hostile strings become the first orders' SKUs and shipment numbers."""
    numbers = [f"{n:05d}" for n in range(orders)]
    texts = {n: hostile[i] for i, n in enumerate(numbers[: len(hostile)])}
    currency = ["USD" if i % 3 else "EUR" for i in range(orders)]
    sides = (
        {
            "order_number": numbers,
            "line_no": [1] * orders,
            "sku": [texts.get(n, f"0{n}") for n in numbers],
            "currency": currency,
            "quantity_milli": [3 * Q + i for i in range(orders)],
            "price_e4": [7 * P + 123 * i for i in range(orders)],
        },
        {
            "order_number": numbers,
            "line_no": [1] * orders,
            "quantity_milli": [3 * Q + i for i in range(orders)],
            "shipment_number": [texts.get(n, f"SH{n}") for n in numbers],
            "ship_day": [100] * orders,
            "delivered": [True] * orders,
            "has_pod": [i % 3 != 0 for i in range(orders)],
        },
        {
            "order_number": numbers[::2],
            "line_no": [1] * len(numbers[::2]),
            "quantity_milli": [3 * Q + i for i in range(0, orders, 2)],
            "price_e4": [9 * P + 123 * i for i in range(0, orders, 2)],
            "currency": currency[::2],
            "invoice_number": [f"INV{n}" for n in numbers[::2]],
        },
    )
    result = reconcile(*sides, Tolerances(as_of_day=200), with_lines=True, columnar=True)
    return Reconciliation(
        date(2026, 6, 1),
        date(2026, 6, 30),
        datetime.now(timezone.utc),
        [as_people_see_it(row) for row in result.summary],
        result.classes,
        result.lines,
    )


def rows_of(book, title: str) -> list[dict]:
    """A table's rows over its sheet and the sheets it continues on, in order."""
    sheets = [title] + [f"{title} ({n})" for n in range(2, len(book.sheetnames) + 1)]
    return [row for name in sheets if name in book.sheetnames for row in sheet_rows(book[name])]


def assert_ties_out(book) -> None:
    totals, classes = summary_tables(book["Summary"])
    recomputed = defaultdict(lambda: defaultdict(Decimal))
    for row in rows_of(book, "Lines"):
        sums = recomputed[row["Currency"]]
        sums["Lines"] += 1
        for column in ("Order value", "Shipped value", "Invoiced value", "Difference"):
            sums[column] += Decimal(str(row[column]))
    assert {t["Currency"] for t in totals} == set(recomputed)
    for total in totals:
        for column, value in recomputed[total["Currency"]].items():
            assert Decimal(str(total[column])) == value, (total["Currency"], column)
    by_class = defaultdict(lambda: [0, Decimal(0)])
    for name in CLASSES:
        for row in rows_of(book, TITLES[name]):
            by_class[(TITLES[name], row["Currency"])][0] += 1
            by_class[(TITLES[name], row["Currency"])][1] += Decimal(str(row["Amount"]))
    shown = {
        (c["Class"], c["Currency"]): [c["Records"], Decimal(str(c["Amount"]))] for c in classes
    }
    assert shown == dict(by_class)


def test_the_streamed_summary_ties_out_to_its_sheets_to_the_cent(tmp_path):
    rec = in_memory_period(40)
    book = load_workbook(write_workbook(rec, tmp_path / "r.xlsx"))
    assert book.sheetnames == ["Summary", "Lines", *(TITLES[n] for n in CLASSES), "Definitions"]
    assert_ties_out(book)
    lines = sheet_rows(book["Lines"])
    assert len(lines) == 40 and lines[0]["Order"] == "00000"  # leading zeros kept
    expected = [row["order_value"] for row in rec.lines]
    assert [Decimal(str(row["Order value"])) for row in lines] == expected
    for sheet in book.worksheets[1:-1]:
        assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    price = book[TITLES["price_mismatch"]]
    assert price["J2"].number_format == "#,##0.00" and price["H2"].number_format == "#,##0.0000"
    assert price["E2"].number_format == "#,##0.###" and price.column_dimensions["L"].width == 36
    assert book["Summary"].freeze_panes is None and book["Definitions"]["A1"].font.b


def test_a_class_longer_than_a_sheet_continues_and_still_ties_out(tmp_path):
    rec = in_memory_period(45)
    assert len(rec.classes["shipped_not_invoiced"]) == 22
    book = load_workbook(write_workbook(rec, tmp_path / "r.xlsx", rows_per_sheet=10))
    title = TITLES["shipped_not_invoiced"]
    assert [s for s in book.sheetnames if s.startswith(title)] == [
        title,
        f"{title} (2)",
        f"{title} (3)",
    ]
    assert [len(sheet_rows(book[s])) for s in (title, f"{title} (2)", f"{title} (3)")] == [
        10,
        10,
        2,
    ]
    assert book[f"{title} (3)"]["A1"].value == "Order"  # each part has the heading
    assert [s for s in book.sheetnames if s.startswith("Lines")] == [
        "Lines",
        *(f"Lines ({n})" for n in range(2, 6)),
    ]
    assert book.sheetnames[0] == "Summary" and book.sheetnames[-1] == "Definitions"
    assert_ties_out(book)
    summary = [c for row in book["Summary"].iter_rows(values_only=True) for c in row if c]
    assert any(f"{title} (3)" in str(c) and "22 records" in str(c) for c in summary)
    terms = [row[0] for row in book["Definitions"].iter_rows(values_only=True)]
    assert "Continued sheets" in terms


def test_hostile_text_from_outside_stays_text_in_the_written_file(tmp_path):
    rec = in_memory_period(12, HOSTILE)
    book = load_workbook(write_workbook(rec, tmp_path / "r.xlsx"))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    for text in HOSTILE:
        found = [c for c in cells if c.value == text]
        assert len(found) >= 2, text  # at least its SKU on the Lines and a class sheet
        for cell in found:
            # The project's rule for .xlsx: the value unchanged, a string, kept text by Excel.
            assert cell.data_type == "s" and cell.quotePrefix and cell.number_format == "@"
    plain = book["Lines"]["C8"]
    assert plain.value == "000006" and plain.data_type == "s" and not plain.quotePrefix


def test_text_xml_cannot_carry_is_replaced_not_a_broken_file(tmp_path):
    rec = in_memory_period(4, ("bad\x01char", "a<b>&c\r\nd", "LOT_x0041_7"))
    path = write_workbook(rec, tmp_path / "r.xlsx")
    skus = [row["SKU"] for row in sheet_rows(load_workbook(path)["Lines"])]
    assert skus[:2] == ["bad\ufffdchar", "a<b>&c\r\nd"]
    # Excel reads _xHHHH_ in text as an escaped character: a literal one has its _ escaped.
    with zipfile.ZipFile(path) as package:
        parts = [n for n in package.namelist() if n.startswith("xl/worksheets/")]
        xml = "".join(package.read(part).decode() for part in parts)
    assert "LOT_x005F_x0041_7" in xml and "LOT_x0041_7" not in xml
