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

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.formula_safety import write_text
from core.store import models as m
from core.store import session_scope
from reports.reconcile_core import (
    CLASSES,
    DETAIL_COLUMNS,
    LINE_COLUMNS,
    MONEY_COLUMNS,
    PRICE_COLUMNS,
    QTY_COLUMNS,
    Tolerances,
    as_people_see_it,
    from_decimal,
    reconcile,
)
from reports.reconcile_store import load_sides

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
    date_from: date
    date_to: date
    generated_at: datetime
    summary: list[dict[str, Any]]
    classes: dict[str, list[dict[str, Any]]]
    lines: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)

    def class_totals(self) -> list[dict[str, Any]]:
        """Records and amount per class and currency, as the Summary shows them."""
        totals: dict[tuple[str, str], dict[str, Any]] = {}
        for name in CLASSES:
            for row in self.classes[name]:
                key = (name, row["currency"] or "")
                entry = totals.setdefault(
                    key,
                    {"class": name, "currency": key[1], "records": 0, "amount": Decimal(0)},
                )
                entry["records"] += 1
                entry["amount"] += row["amount"] or Decimal(0)
        return [totals[k] for k in sorted(totals, key=lambda k: (CLASSES.index(k[0]), k[1]))]


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
        result = reconcile(
            orders, shipments, invoices, tolerances_from(settings, date_to), with_lines=True
        )
        classes = {
            name: [as_people_see_it(row) for row in rows] for name, rows in result.classes.items()
        }
        for name in RECORDED:
            seen = {row["order_number"] for row in classes[name]}
            classes[name] += _recorded(session, name, seen, date_from, date_to)
    notes = []
    if orders.empty:
        notes.append("The store holds no orders dated in this period.")
    return Reconciliation(
        date_from,
        date_to,
        datetime.now(timezone.utc),
        [as_people_see_it(row) for row in result.summary],
        classes,
        [as_people_see_it(row) for row in result.lines or []],
        notes,
    )


# ---- writing the workbook -----------------------------------------------------------------

FORMATS = {"money": "#,##0.00", "price": "#,##0.0000", "qty": "#,##0.###", "int": "0"}
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


def _put(cell: Any, name: str, value: Any) -> None:
    if name in TEXT_COLUMNS or isinstance(value, str):
        write_text(cell, value)
        return
    cell.value = value
    if name in MONEY_COLUMNS:
        cell.number_format = FORMATS["money"]
    elif name in PRICE_COLUMNS:
        cell.number_format = FORMATS["price"]
    elif name in QTY_COLUMNS:
        cell.number_format = FORMATS["qty"]


def _table(sheet: Any, top: int, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> int:
    """Headings at row `top`, one row per record under them; returns the next free row."""
    for col, name in enumerate(columns, start=1):
        cell = sheet.cell(row=top, column=col, value=HEADINGS.get(name, name))
        cell.font = Font(bold=True)
    for r, row in enumerate(rows, start=top + 1):
        for col, name in enumerate(columns, start=1):
            _put(sheet.cell(row=r, column=col), name, row.get(name))
    for col, name in enumerate(columns, start=1):
        width = 36 if name == "note" else max(12, len(HEADINGS.get(name, name)) + 2)
        sheet.column_dimensions[get_column_letter(col)].width = width
    return top + len(rows) + 2


def write_workbook(reconciliation: Reconciliation, path: str | Path) -> Path:
    """Summary (first), Lines, a sheet per class, Definitions; amounts are numbers."""
    rec = reconciliation
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    summary["A1"] = "Order to cash reconciliation"
    summary["A1"].font = Font(bold=True, size=14)
    summary["A2"] = "Period"
    write_text(summary["B2"], f"{rec.date_from.isoformat()} to {rec.date_to.isoformat()}")
    summary["A3"] = "Generated"
    write_text(summary["B3"], rec.generated_at.strftime("%Y-%m-%d %H:%M UTC"))
    summary["A5"] = "Totals by currency (tie out to the Lines sheet)"
    summary["A5"].font = Font(bold=True)
    totals = ("currency", "lines", "order_value", "shipped_value", "invoiced_value", "difference")
    row = _table(summary, 6, totals, rec.summary)
    summary.cell(row=row, column=1, value="Discrepancies by class (tie out to the class sheets)")
    summary.cell(row=row, column=1).font = Font(bold=True)
    by_class = [{**t, "class": TITLES[t["class"]]} for t in rec.class_totals()]
    row = _table(summary, row + 1, ("class", "currency", "records", "amount"), by_class)
    for note in rec.notes:
        write_text(summary.cell(row=row, column=1), note)
        row += 1
    _table(book.create_sheet("Lines"), 1, LINE_COLUMNS, rec.lines)
    for name in CLASSES:
        _table(book.create_sheet(TITLES[name]), 1, DETAIL_COLUMNS, rec.classes[name])
    definitions = book.create_sheet("Definitions")
    definitions.column_dimensions["A"].width = 24
    definitions.column_dimensions["B"].width = 110
    for r, (term, meaning) in enumerate(DEFINITIONS, start=1):
        definitions.cell(row=r, column=1, value=term).font = Font(bold=True)
        definitions.cell(row=r, column=2, value=meaning)
    for sheet in book.worksheets[:-1]:
        sheet.freeze_panes = "A2" if sheet.title != "Summary" else None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
