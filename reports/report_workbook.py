"""A registry report as an .xlsx: its rows on the first sheet, then what they mean, written
with the streaming writer so every text cell goes through core.formula_safety."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from reports.base import FORMATS, Options, cell
from reports.registry import Report
from reports.xlsx_stream import Book

DEFINITIONS = "Definition"


def write_report(
    report: Report,
    rows: Iterable[dict[str, Any]],
    options: Options,
    path: str | Path,
    generated_at: datetime,
) -> Path:
    """The report's table (heading row frozen), then a sheet with its definition and as-of."""
    columns = report.columns
    widths = {n: max(12, len(c.heading) + 2) for n, c in enumerate(columns, start=1)}
    formats = [FORMATS.get(c.kind) for c in columns]
    with Book(path, [report.title, DEFINITIONS]) as book:
        with book.sheet(report.title, widths, freeze_header=True) as sheet:
            sheet.row([c.heading for c in columns], bold=True)
            for row in rows:
                sheet.row([cell(row.get(c.key)) for c in columns], formats)
        with book.sheet(DEFINITIONS, {1: 16, 2: 110}) as sheet:
            sheet.row([report.title], bold=True, size=14)
            for term, meaning in (
                ("As of", options.as_of.isoformat()),
                ("Generated", generated_at.strftime("%Y-%m-%d %H:%M UTC")),
                ("Definition", report.definition),
            ):
                sheet.row([term, meaning], bold=(True, False))
    return Path(path)
