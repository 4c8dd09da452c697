"""A queue as a download: exactly the rows its filters, search and sort select, every page of
them, as CSV or as a workbook, every cell formula-safe (core/formula_safety.py). The workbook
is written by the reports' streaming writer (reports/xlsx_stream.py)."""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flask import flash, redirect, request, send_file
from openpyxl.utils.datetime import to_excel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.formula_safety import neutralise
from reports.xlsx_stream import Book
from web.queues import ActionRefusedError
from web.reports import XLSX
from web.store import db, utcnow

# The person waits while the file is built: 100,000 rows write in about 1 s as CSV and 3 s
# as a workbook (Sheet.row, a cell at a time); more means the filters are too wide to be of
# use in a spreadsheet anyway.
EXPORT_MAX = 100_000
CSV = "text/csv"
FORMATS = {"when": "yyyy-mm-dd hh:mm:ss", "money": "#,##0.00"}


@dataclass(frozen=True)
class Column:
    """One column of a download: its heading, the SQL column it reads and what it holds
    (text, number, money or when: a UTC timestamp)."""

    heading: str
    expression: Any
    kind: str = "text"
    width: float = 16


def read_rows(session: Session, columns, where: list, order: list, noun: str) -> list[tuple]:
    """The selected rows, all pages, in the page's order; refused above EXPORT_MAX rows."""
    query = select(*(column.expression for column in columns)).where(*where)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    if total > EXPORT_MAX:
        raise ActionRefusedError(
            f"These filters select {total:,} {noun}; a download holds at most {EXPORT_MAX:,}. "
            "Narrow the filters or the search, then download again.",
            400,
        )
    return [tuple(row) for row in session.execute(query.order_by(*order).limit(EXPORT_MAX))]


def _utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def csv_cell(value: Any) -> Any:
    value = neutralise(value)
    if value is None:
        return ""
    return (
        _utc(value).isoformat(sep=" ", timespec="seconds") if isinstance(value, datetime) else value
    )


def csv_bytes(columns, rows: list[tuple]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads accented names right when it opens it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(column.heading) for column in columns])
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_cell(value: Any) -> Any:
    """Timestamps as Excel dates (UTC); text goes through the writer's formula-safe path."""
    return to_excel(_utc(value)) if isinstance(value, datetime) else value


def xlsx_bytes(title: str, columns, rows: list[tuple]) -> bytes:
    formats = [FORMATS.get(column.kind) for column in columns]
    widths = {n: column.width for n, column in enumerate(columns, start=1)}
    with tempfile.TemporaryDirectory(prefix="ob-queue-") as folder:
        path = Path(folder) / "export.xlsx"
        with Book(path, [title]) as book, book.sheet(title, widths, freeze_header=True) as sheet:
            sheet.row([column.heading for column in columns], bold=True)
            for row in rows:
                sheet.row([xlsx_cell(value) for value in row], formats)
        return path.read_bytes()


@dataclass(frozen=True)
class Download:
    """How one queue downloads: its sheet title, file name stem, columns and row noun."""

    title: str
    stem: str
    columns: tuple[Column, ...]
    noun: str

    def rows(self, session: Session, where: list, order: list) -> list[tuple]:
        return read_rows(session, self.columns, where, order, self.noun)

    def respond(self, read, back: str):
        """The file the path names (.csv or .xlsx) of the rows `read(store)` returns; too
        many rows: back to the page `back` with a message saying to narrow the filters."""
        fmt = "csv" if request.path.endswith(".csv") else "xlsx"
        try:
            with db() as store:
                rows = read(store)
        except ActionRefusedError as refused:
            flash(refused.message, "warn")
            return redirect(back)
        if fmt == "csv":
            data, mimetype = csv_bytes(self.columns, rows), CSV
        else:
            data, mimetype = xlsx_bytes(self.title, self.columns, rows), XLSX
        name = f"{self.stem}_{utcnow().date().isoformat()}.{fmt}"
        response = send_file(
            io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0
        )
        response.headers["Cache-Control"] = "no-store"
        return response
