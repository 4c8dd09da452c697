"""The KPI workbook: Summary (every KPI of the period), Definitions, and Data with one row per
order line, from which every Summary figure recomputes by the definitions beside it.

Written with the streaming writer (`reports.xlsx_stream`), a block of rows at a time: dates
are Excel dates, quantities and values exact decimals, yes/no columns 1 or 0 (so a SUM
counts them), text through the formula rule. Data longer than a sheet continues on
"Data (2)" and on, as the reconciliation's tables do.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reports import kpi
from reports.kpi_data import DATA_COLUMNS, DATE_COLUMNS
from reports.reconciliation import ROWS_PER_SHEET, sheet_titles
from reports.xlsx_stream import Book, Sheet, Style, number_cells, text_cells

BLOCK = 50_000
EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
FLAG_COLUMNS = ("damaged", "documentation_correct", "discrepancy", "cancelled")
FLAG_COLUMNS += ("invoiced", "pod_on_file")
TEXT_COLUMNS = ("order", "customer", "item", "warehouse", "carrier", "currency")
# column: (decimal places kept exact, number format)
NUMBER_COLUMNS = {
    "line": (0, "0"),
    "ordered_qty": (4, "#,##0.####"),
    "first_shipped_qty": (4, "#,##0.####"),
    "shipped_qty": (4, "#,##0.####"),
    "value": (2, "#,##0.00"),
}
DATA_MEANINGS = {
    "first_shipped_qty": "Quantity on the line's first shipment (earliest ship date).",
    "shipped_qty": "Quantity on all its shipments.",
    "ship_date": "Ship date of the first shipment; empty when it has not shipped.",
    "delivery_date": "Delivery of the last shipment carrying it; empty until every one is "
    "delivered.",
    "carrier": "Carrier of the first shipment.",
    "damaged": "1 when a shipment carrying it was reported damaged.",
    "documentation_correct": "1 when the quantity invoiced equals the quantity shipped.",
    "discrepancy": "1 when an invoice or reconciliation discrepancy of its order is open.",
    "invoiced": "1 when some of it is invoiced.",
    "pod_on_file": "1 when every shipment carrying it has a proof of delivery.",
    "value": "Ordered quantity times unit price, in the line's currency.",
}


def _scaled(values: pd.Series, digits: int) -> np.ndarray:
    return np.round(values.to_numpy(dtype=np.float64) * 10**digits).astype(np.int64)


def _cells(sheet: Sheet, frame: pd.DataFrame) -> tuple[np.ndarray, list[np.ndarray]]:
    numbers = sheet.numbers(len(frame))
    cells = []
    for col, name in enumerate(DATA_COLUMNS, start=1):
        series = frame[name]
        if name in TEXT_COLUMNS:
            cells.append(text_cells(series.to_numpy(dtype=object), col, numbers, sheet.styles))
            continue
        if name in DATE_COLUMNS:
            days = series.to_numpy().astype("datetime64[D]")
            missing = np.isnat(days)
            values = np.where(missing, 0, (days - EXCEL_EPOCH).astype(np.int64))
            digits, code = 0, "yyyy-mm-dd"
        elif name in FLAG_COLUMNS:
            values, missing, digits, code = series.to_numpy(dtype=np.int64), None, 0, "0"
        else:
            digits, code = NUMBER_COLUMNS[name]
            values, missing = _scaled(series, digits), series.isna().to_numpy()
        missing = np.zeros(len(frame), dtype=bool) if missing is None else missing
        xf = sheet.styles.xf(Style(number_format=code))
        cells.append(number_cells(values, missing, digits, col, numbers, xf))
    return numbers, cells


def _data(book: Book, lines: pd.DataFrame, per_sheet: int) -> None:
    widths = {col: max(12, len(name) + 2) for col, name in enumerate(DATA_COLUMNS, start=1)}
    for part, title in enumerate(sheet_titles("Data", len(lines), per_sheet)):
        start = part * per_sheet
        stop = min(start + per_sheet, len(lines))
        with book.sheet(title, widths, freeze_header=True) as sheet:
            sheet.row(list(DATA_COLUMNS), bold=True)
            for first in range(start, stop, BLOCK):
                numbers, cells = _cells(sheet, lines.iloc[first : min(first + BLOCK, stop)])
                sheet.block(numbers, cells)


def _summary(book: Book, result: dict[str, Any]) -> None:
    with book.sheet("Summary", {1: 26, 2: 14, 3: 12, 4: 12}) as sheet:
        sheet.row(["Order-to-cash KPIs"], bold=True, size=14)
        sheet.row(["Period", f"{result['from']} to {result['to']}"])
        for key, value in result["filters"].items():
            sheet.row([key.capitalize(), value])
        sheet.skip()
        sheet.row(["KPI", "Share"], bold=True)
        for name in kpi.DEFINITIONS:
            sheet.row([name, result["kpis"][name]], ["", "0.00%"])
        sheet.skip()
        sheet.row(["Cycle time (days)", "mean", "median", "p90"], bold=True)
        for name, stats in result["cycle_time_days"].items():
            values = [stats["mean"], stats["median"], stats["p90"]]
            sheet.row([name, *values], ["", "0.00", "0.00", "0.00"])
        sheet.skip()
        sheet.row(["Counts", ""], bold=True)
        for name, value in (*result["counts"].items(), *result["exceptions"].items()):
            sheet.row([f"exceptions_{name}" if name in result["exceptions"] else name, value])


def _definitions(book: Book) -> None:
    rows = [("Scope", kpi.SCOPE), *kpi.DEFINITIONS.items(), *kpi.CYCLE_DEFINITIONS.items()]
    rows += [("Statistics", kpi.STATISTICS), ("exceptions", kpi.EXCEPTIONS_DEFINITION)]
    rows += [(f"Data: {name}", meaning) for name, meaning in DATA_MEANINGS.items()]
    with book.sheet("Definitions", {1: 28, 2: 110}) as sheet:
        for term, meaning in rows:
            sheet.row([term, meaning], bold=(True, False))


def write_workbook(
    lines: pd.DataFrame,
    result: dict[str, Any],
    path: str | Path,
    rows_per_sheet: int = ROWS_PER_SHEET,
) -> Path:
    """Summary, Definitions, Data (continued past `rows_per_sheet`) for `lines` and the
    report `result` computed from them (`kpi.report`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    titles = sheet_titles("Data", len(lines), rows_per_sheet)
    with Book(path, ["Summary", "Definitions", *titles]) as book:
        _summary(book, result)
        _definitions(book)
        _data(book, lines, rows_per_sheet)
    return path


def period_label(date_from: date, date_to: date) -> str:
    return f"kpi_{date_from.isoformat()}_{date_to.isoformat()}.xlsx"
