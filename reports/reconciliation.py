"""The finance reconciliation workbook: orders against shipments against invoices for a period,
read from the store's operational copy, matched by `reports.reconcile_core`, written as .xlsx.

`build_reconciliation(url, date_from, date_to)` reads the store (orders and lines dated in the
period, their shipments and invoices, and shipments and invoices dated in the period whose
order is unknown); what only the systems themselves can tell (an order missing in Salesforce
or the ERP, their statuses disagreeing) comes from the cases reconcile_orders recorded in the
exceptions table. `write_workbook(reconciliation, path)` writes Summary (first), Lines, one
sheet per discrepancy class and Definitions. The portal and the `report reconciliation` verb
call these two; nothing here reaches an external system.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.store import models as m
from core.store import session_scope
from reports.columns import (
    MONEY_COLUMNS,
    PRICE_COLUMNS,
    QTY_COLUMNS,
    Columns,
    from_decimal,
    places,
    to_decimal,
)
from reports.reconcile_core import (
    CLASSES,
    DETAIL_COLUMNS,
    LINE_COLUMNS,
    Tolerances,
    as_people_see_it,
    reconcile,
)
from reports.reconcile_store import load_sides
from reports.xlsx_stream import MAX_ROWS, Book, Sheet, Style, number_cells, text_cells

TITLES = {
    "missing_in_system": "Missing in a system",
    "quantity_mismatch": "Quantity mismatch",
    "price_mismatch": "Price mismatch",
    "shipped_not_invoiced": "Shipped not invoiced",
    "invoiced_not_shipped": "Invoiced not shipped",
    "delivered_without_pod": "Delivered without POD",
    "status_mismatch": "Status mismatch",
}
DEFINITIONS = (
    (
        "Period",
        "Orders dated from the first to the last day given, both included, with their "
        "shipments and invoices; shipments and invoices dated in the period whose order is not "
        "known are included too.",
    ),
    (
        "Order value",
        "Ordered quantity times the order's unit price, per line, rounded to the cent.",
    ),
    ("Shipped value", "Shipped quantity times the order's unit price, per line."),
    (
        "Invoiced value",
        "Invoiced quantity times the invoice's unit price, per invoice line, "
        "rounded to the cent, summed per order line.",
    ),
    (
        "Difference",
        "Invoiced value minus shipped value: positive is billed beyond what "
        "shipped, negative is shipped and not (yet) billed.",
    ),
    (
        "Missing in a system",
        "A shipment or invoice line with no order line, a shipment known "
        "to only one of the ERP and the 3PL, or an order known to only one of Salesforce and the "
        "ERP. Amount: the value at stake (order value, else the larger of invoiced and shipped "
        "value).",
    ),
    (
        "Quantity mismatch",
        "Invoiced quantity differs from shipped quantity (both non-zero), or "
        "more shipped than ordered. Amount: invoiced minus shipped value (or shipped minus "
        "ordered value).",
    ),
    (
        "Price mismatch",
        "An invoice unit price differs from the order's by more than the "
        "tolerance. Amount: invoiced value minus the invoiced quantity at the order price.",
    ),
    (
        "Shipped not invoiced",
        "Shipped, no invoice line, and shipped more than the grace days "
        "before the end of the period. Amount: shipped value.",
    ),
    ("Invoiced not shipped", "Invoiced, nothing shipped. Amount: invoiced value."),
    (
        "Delivered without POD",
        "The carrier reports the shipment delivered but gives no proof "
        "of delivery. One row per shipment. Amount: shipped value of the shipment.",
    ),
    (
        "Status mismatch",
        "Salesforce and the ERP disagree on the order's phase (draft, held, "
        "active, cancelled), as reconcile_orders last found. One row per order. Amount: order "
        "value.",
    ),
    ("Amounts", "In the line's currency, never converted; totals are per currency."),
)
# Classes only reconcile_orders can see (it reads the systems), kept in the exceptions table.
RECORDED = {
    "missing_in_system": "recon_missing_in_system",
    "status_mismatch": "recon_status_mismatch",
}


@dataclass
class Reconciliation:
    """The period's totals by currency (rows as people see them), and every line and each
    class's records as `Columns` (a million lines stay a few arrays)."""

    date_from: date
    date_to: date
    generated_at: datetime
    summary: list[dict[str, Any]]
    classes: dict[str, Columns]
    lines: Columns
    notes: list[str] = field(default_factory=list)

    def class_totals(self) -> list[dict[str, Any]]:
        """Records and amount per class and currency, as the Summary shows them."""
        totals = []
        for name in CLASSES:
            table = self.classes[name]
            if not len(table):
                continue
            currency, no_currency = table.values("currency")
            amount, no_amount = table.values("amount")
            frame = pd.DataFrame(
                {
                    "currency": np.where(no_currency, "", currency.astype(object)),
                    "amount": np.where(no_amount, 0, amount).astype(np.int64),
                }
            )
            grouped = frame.groupby("currency", sort=True)["amount"].agg(["size", "sum"])
            for code, records, cents in grouped.itertuples():
                totals.append(
                    {
                        "class": name,
                        "currency": code,
                        "records": int(records),
                        "amount": to_decimal(int(cents), 2),
                    }
                )
        return totals


# ---- reading the store --------------------------------------------------------------------


def _day(value: date | None) -> int | None:
    return (value - date(1970, 1, 1)).days if value else None


def _recorded(
    session: Session, name: str, seen: set[str], date_from: date, date_to: date
) -> list[dict[str, Any]]:
    """Open cases reconcile_orders recorded for a class the store alone cannot show, for
    orders dated in the period."""
    rows = session.scalars(
        select(m.OpsException)
        .where(m.OpsException.kind == RECORDED[name], m.OpsException.status == "open")
        .order_by(m.OpsException.order_number, m.OpsException.business_key)
    ).all()
    found = []
    for row in rows:
        details = row.details or {}
        dated = details.get("order_date")
        if row.order_number in seen or not dated:
            continue
        if not date_from <= date.fromisoformat(dated) <= date_to:
            continue
        found.append(
            {
                **{column: None for column in DETAIL_COLUMNS},
                "order_number": row.order_number,
                "currency": row.currency,
                "amount": row.amount,
                "reference": details.get("reference", ""),
                "note": row.message,
            }
        )
    return found


def tolerances_from(settings: Any | None, date_to: date) -> Tolerances:
    recon = settings.get_path("reconciliation") if settings is not None else None
    price = Decimal(str(recon.price_tolerance)) if recon else Decimal("0.01")
    grace = int(recon.invoice_grace_days) if recon else 3
    return Tolerances(from_decimal(price, 4), grace, _day(date_to))


def build_reconciliation(
    url: str, date_from: date, date_to: date, settings: Any | None = None
) -> Reconciliation:
    """Reconcile the period from the store; `settings` gives the tolerances (defaults else)."""
    with session_scope(url) as session:
        orders, shipments, invoices = load_sides(session, date_from, date_to)
        tolerances = tolerances_from(settings, date_to)
        result = reconcile(orders, shipments, invoices, tolerances, with_lines=True, columnar=True)
        classes = dict(result.classes)
        for name in RECORDED:
            numbers, missing = classes[name].values("order_number")
            seen = set(numbers[~missing].tolist())
            found = _recorded(session, name, seen, date_from, date_to)
            classes[name] = classes[name] + Columns.from_rows(found, DETAIL_COLUMNS)
    notes = []
    if orders.empty:
        notes.append("The store holds no orders dated in this period.")
    return Reconciliation(
        date_from,
        date_to,
        datetime.now(timezone.utc),
        [as_people_see_it(row) for row in result.summary],
        classes,
        result.lines,
        notes,
    )


# ---- writing the workbook -----------------------------------------------------------------

FORMATS = {"money": "#,##0.00", "price": "#,##0.0000", "qty": "#,##0.###"}
TEXT_COLUMNS = frozenset({"order_number", "sku", "currency", "reference", "note", "class"})
HEADINGS = {
    "order_number": "Order",
    "line_no": "Line",
    "sku": "SKU",
    "currency": "Currency",
    "ordered_qty": "Ordered qty",
    "shipped_qty": "Shipped qty",
    "invoiced_qty": "Invoiced qty",
    "order_price": "Order unit price",
    "invoice_price": "Invoice unit price",
    "order_value": "Order value",
    "shipped_value": "Shipped value",
    "invoiced_value": "Invoiced value",
    "difference": "Difference",
    "amount": "Amount",
    "reference": "First shipment / invoice",
    "note": "What is wrong",
    "lines": "Lines",
    "records": "Records",
    "class": "Class",
}
TOTALS = ("currency", "lines", "order_value", "shipped_value", "invoiced_value", "difference")
BY_CLASS = ("class", "currency", "records", "amount")
ROWS_PER_SHEET = MAX_ROWS - 1  # under the heading row
BLOCK = 20_000  # rows rendered at once: bounds the text a block holds in memory


def _format(name: str) -> str:
    if name in MONEY_COLUMNS:
        return FORMATS["money"]
    if name in PRICE_COLUMNS:
        return FORMATS["price"]
    if name in QTY_COLUMNS:
        return FORMATS["qty"]
    return "General"


def _widths(*tables: tuple[str, ...]) -> dict[int, float]:
    widths: dict[int, float] = {}
    for columns in tables:
        for col, name in enumerate(columns, start=1):
            width = 36 if name == "note" else max(12, len(HEADINGS.get(name, name)) + 2)
            widths[col] = max(widths.get(col, 0), width)
    return widths


def sheet_titles(title: str, records: int, per_sheet: int = ROWS_PER_SHEET) -> list[str]:
    """The sheets a table takes: its title, then "<title> (2)" and on when it is longer than
    a sheet holds; an empty table still gets its sheet."""
    parts = max(1, -(-records // per_sheet))
    return [title] + [f"{title} ({n})" for n in range(2, parts + 1)]


def _small_table(sheet: Sheet, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    sheet.row([HEADINGS.get(name, name) for name in columns], bold=True)
    formats = [_format(name) for name in columns]
    for row in rows:
        values = [row.get(name) for name in columns]
        values = [
            str(v) if name in TEXT_COLUMNS and v is not None else v
            for name, v in zip(columns, values, strict=True)
        ]
        sheet.row(values, formats)


def _continued(rec: Reconciliation, per_sheet: int) -> list[str]:
    tables = [("Lines", rec.lines)] + [(TITLES[n], rec.classes[n]) for n in CLASSES]
    notes = []
    for title, table in tables:
        titles = sheet_titles(title, len(table), per_sheet)
        if len(titles) > 1:
            notes.append(
                f"{title}: {len(table):,} records, more than a sheet holds ({per_sheet:,}), "
                f"on {len(titles)} sheets ({', '.join(titles)}); the totals above count them "
                "all."
            )
    return notes


def _summary(book: Book, rec: Reconciliation, per_sheet: int) -> None:
    widths = _widths(TOTALS, BY_CLASS)
    widths[1] = 24
    with book.sheet("Summary", widths) as sheet:
        sheet.row(["Order to cash reconciliation"], bold=True, size=14)
        sheet.row(["Period", f"{rec.date_from.isoformat()} to {rec.date_to.isoformat()}"])
        sheet.row(["Generated", rec.generated_at.strftime("%Y-%m-%d %H:%M UTC")])
        sheet.skip()
        sheet.row(["Totals by currency (tie out to the Lines sheet)"], bold=True)
        _small_table(sheet, TOTALS, rec.summary)
        sheet.skip()
        sheet.row(["Discrepancies by class (tie out to the class sheets)"], bold=True)
        by_class = [{**t, "class": TITLES[t["class"]]} for t in rec.class_totals()]
        _small_table(sheet, BY_CLASS, by_class)
        sheet.skip()
        for note in [*rec.notes, *_continued(rec, per_sheet)]:
            sheet.row([note])


def _block(sheet: Sheet, table: Columns, columns: tuple[str, ...], start: int, stop: int) -> None:
    numbers = sheet.numbers(stop - start)
    cells = []
    for col, name in enumerate(columns, start=1):
        values, missing = table.values(name)
        values, missing = values[start:stop], missing[start:stop]
        if name in TEXT_COLUMNS or values.dtype == object:
            values = values.astype(object)
            values[missing] = None
            cells.append(text_cells(values, col, numbers, sheet.styles))
        else:
            xf = sheet.styles.xf(Style(number_format=_format(name)))
            cells.append(number_cells(values, missing, places(name) or 0, col, numbers, xf))
    sheet.block(numbers, cells)


def _detail(
    book: Book, title: str, columns: tuple[str, ...], table: Columns, per_sheet: int
) -> None:
    """A table on its sheet, continued on "<title> (2)" and on past `per_sheet` rows."""
    for part, name in enumerate(sheet_titles(title, len(table), per_sheet)):
        start = part * per_sheet
        stop = min(start + per_sheet, len(table))
        with book.sheet(name, _widths(columns), freeze_header=True) as sheet:
            sheet.row([HEADINGS.get(c, c) for c in columns], bold=True)
            for first in range(start, stop, BLOCK):
                _block(sheet, table, columns, first, min(first + BLOCK, stop))


def _definitions(book: Book, per_sheet: int) -> None:
    continued = (
        "Continued sheets",
        f"A class or the Lines with more records than a sheet holds ({per_sheet:,} under "
        'the heading) continues on "<sheet> (2)", "<sheet> (3)" and so on, each with the '
        "heading; the Summary counts them all.",
    )
    with book.sheet("Definitions", {1: 24, 2: 110}) as sheet:
        for term, meaning in (*DEFINITIONS, continued):
            sheet.row([term, meaning], bold=(True, False))


def write_workbook(
    reconciliation: Reconciliation, path: str | Path, rows_per_sheet: int = ROWS_PER_SHEET
) -> Path:
    """Summary (first), Lines, a sheet per class, Definitions; amounts are numbers. Written
    as a stream, a block of rows at a time; a table longer than `rows_per_sheet` continues
    on further sheets."""
    if not 0 < rows_per_sheet <= ROWS_PER_SHEET:
        raise ValueError(f"rows_per_sheet must be 1 to {ROWS_PER_SHEET:,}")
    rec = reconciliation
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tables = [("Lines", rec.lines)] + [(TITLES[n], rec.classes[n]) for n in CLASSES]
    titles = [t for title, table in tables for t in sheet_titles(title, len(table), rows_per_sheet)]
    with Book(path, ["Summary", *titles, "Definitions"]) as book:
        _summary(book, rec, rows_per_sheet)
        _detail(book, "Lines", LINE_COLUMNS, rec.lines, rows_per_sheet)
        for name in CLASSES:
            _detail(book, TITLES[name], DETAIL_COLUMNS, rec.classes[name], rows_per_sheet)
        _definitions(book, rows_per_sheet)
    return path
