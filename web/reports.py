"""The reports page: finance's order-to-cash reconciliation workbook for a period, the KPI
workbook and JSON of a period, and a page and an .xlsx download for every report in
reports/registry.py (aging, backorders). All are
built from the store's operational copy inside the request (no external system is asked)."""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from io import BytesIO
from pathlib import Path

from flask import Blueprint, jsonify, render_template, request, send_file
from sqlalchemy import func, select

from core.store.models import Order, OrderLine
from reports import kpi
from reports.base import Options, display
from reports.kpi_workbook import write_workbook as write_kpi_workbook
from reports.reconciliation import build_reconciliation, write_workbook
from reports.registry import REPORTS
from reports.report_workbook import write_report
from web.store import db, settings, utcnow

log = logging.getLogger(__name__)
bp = Blueprint("reports", __name__, url_prefix="/reports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Longer periods take longer than a request should; the CLI builds those. 100,000 order lines
# take about 3 s to read, match and write (bench/: the store reads a million lines in about
# 10 s; the streamed workbook writes 100,000 lines in about 1.3 s).
MAX_DAYS = 366
MAX_LINES = 100_000
# A report page shows this many rows; its workbook holds them all.
PAGE_ROWS = 500
CLI = "python run.py report reconciliation --from {0} --to {1} --out reconciliation.xlsx"
KPI_FILTERS = ("customer", "carrier", "warehouse", "item")


class PeriodError(ValueError):
    """A period the form cannot use; the message says what to enter instead."""


@dataclass(frozen=True)
class Period:
    date_from: date
    date_to: date

    @property
    def filename(self) -> str:
        # Built from two parsed dates only, so nothing the user typed reaches the header.
        return f"reconciliation_{self.date_from.isoformat()}_{self.date_to.isoformat()}.xlsx"


def _day(text: str, label: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(f"{label}: enter a date as YYYY-MM-DD, e.g. 2026-10-31.") from None


def parse_period(args) -> Period:
    date_from = _day(args.get("from", ""), "From")
    date_to = _day(args.get("to", ""), "To")
    if date_from > date_to:
        raise PeriodError("From must be on or before To.")
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise PeriodError(
            f"Pick at most {MAX_DAYS} days; for a longer period run "
            f"`{CLI.format(date_from, date_to)}` on the server."
        )
    return Period(date_from, date_to)


def check_size(period: Period) -> None:
    """Refuse a period too big to build while the person waits (a cheap count first)."""
    query = (
        select(func.count())
        .select_from(OrderLine)
        .join(Order, Order.number == OrderLine.order_number)
        .where(Order.order_date.between(period.date_from, period.date_to))
    )
    with db() as store:
        lines = store.scalar(query)
    if lines > MAX_LINES:
        raise PeriodError(
            f"The period holds {lines:,} order lines; the portal builds at most {MAX_LINES:,} "
            "while you wait. Pick a shorter period, or run "
            f"`{CLI.format(period.date_from, period.date_to)}` on the server."
        )


def presets(today: date) -> list[tuple[str, Period]]:
    """Periods finance asks for most: last month, this month so far, the last 90 days."""
    first_this = today.replace(day=1)
    last_prev = first_this - timedelta(days=1)
    return [
        ("Last month", Period(last_prev.replace(day=1), last_prev)),
        ("This month so far", Period(first_this, today)),
        ("Last 90 days", Period(today - timedelta(days=89), today)),
    ]


def _form(problem: str | None = None, status: int = 200):
    today = utcnow().date()
    choices = presets(today)
    page = render_template(
        "reports/index.html",
        reports=REPORTS.values(),
        presets=choices,
        default=choices[0][1],
        entered={"from": request.args.get("from", ""), "to": request.args.get("to", "")},
        problem=problem,
        max_days=MAX_DAYS,
    )
    return page, status


@bp.get("")
def index():
    return _form()


def build_workbook(period: Period) -> bytes:
    """The reconciliation for the period, read from the store, as .xlsx bytes."""
    started = time.monotonic()
    current = settings()
    result = build_reconciliation(
        current.database_url, period.date_from, period.date_to, settings=current
    )
    with tempfile.TemporaryDirectory(prefix="ob-recon-") as folder:
        data = write_workbook(result, Path(folder) / period.filename).read_bytes()
    log.info(
        "reconciliation %s to %s built in %.2f s (%d bytes)",
        period.date_from,
        period.date_to,
        time.monotonic() - started,
        len(data),
    )
    return data


@bp.get("/reconciliation.xlsx")
def reconciliation():
    try:
        period = parse_period(request.args)
        check_size(period)
    except PeriodError as exc:
        return _form(str(exc), 400)
    return _download(build_workbook(period), period.filename)


def _download(data: bytes, filename: str):
    """A workbook as an attachment no cache keeps (it holds customers' orders and money)."""
    response = send_file(
        BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=filename, max_age=0
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- the registry's reports --------------------------------------------------------------


def parse_as_of(args) -> date:
    """The day a report is measured on: ?as_of=YYYY-MM-DD, today (UTC) when not given."""
    text = args.get("as_of", "").strip()
    return _day(text, "As of") if text else utcnow().date()


def _computed(name: str, as_of: date) -> tuple[Options, list[dict]]:
    options = Options.from_settings(settings(), as_of)
    with db() as store:
        return options, REPORTS[name].compute(store, options)


def report_page(name: str):
    report, problem, status = REPORTS[name], None, 200
    try:
        as_of = parse_as_of(request.args)
    except PeriodError as exc:
        as_of, problem, status = utcnow().date(), str(exc), 400
    _, rows = _computed(name, as_of)
    table = [[display(c, row.get(c.key)) for c in report.columns] for row in rows[:PAGE_ROWS]]
    page = render_template(
        "reports/report.html",
        report=report,
        table=table,
        total=len(rows),
        as_of=as_of,
        problem=problem,
    )
    return page, status


def report_download(name: str):
    try:
        as_of = parse_as_of(request.args)
    except PeriodError as exc:
        return _form(str(exc), 400)
    options, rows = _computed(name, as_of)
    filename = f"{name}_{as_of.isoformat()}.xlsx"  # a parsed date only reaches the header
    with tempfile.TemporaryDirectory(prefix=f"ob-{name}-") as folder:
        path = write_report(REPORTS[name], rows, options, Path(folder) / filename, utcnow())
        data = path.read_bytes()
    return _download(data, filename)


for _name in REPORTS:  # endpoints reports.<name> and reports.<name>_xlsx, no URL arguments
    bp.add_url_rule(f"/{_name}", _name, partial(report_page, _name))
    bp.add_url_rule(f"/{_name}.xlsx", f"{_name}_xlsx", partial(report_download, _name))


# ---- the KPIs ------------------------------------------------------------------------------


def _kpi_period():
    period = parse_period(request.args)
    check_size(period)
    filters = {name: request.args.get(name, "").strip()[:80] or None for name in KPI_FILTERS}
    with db() as store:
        lines, result = kpi.report_lines(store, period.date_from, period.date_to, **filters)
    return period, lines, result


@bp.get("/kpi.xlsx")
def kpi_xlsx():
    """The KPI workbook of a period: Summary, Definitions, and the Data every figure
    recomputes from."""
    try:
        period, lines, result = _kpi_period()
    except PeriodError as exc:
        return _form(str(exc), 400)
    filename = f"kpi_{period.date_from.isoformat()}_{period.date_to.isoformat()}.xlsx"
    with tempfile.TemporaryDirectory(prefix="ob-kpi-") as folder:
        data = write_kpi_workbook(lines, result, Path(folder) / filename).read_bytes()
    return _download(data, filename)


@bp.get("/kpi.json")
def kpi_json():
    """The KPIs of a period as `run.py report kpi --json` prints them."""
    try:
        _, _, result = _kpi_period()
    except PeriodError as exc:
        return jsonify({"error": str(exc)}), 400
    response = jsonify(result)
    response.headers["Cache-Control"] = "no-store"
    return response
