"""The KPI workbook: every Summary figure recomputed from its Data sheet by this file's own
code, written from the definitions, not by reports.kpi."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from statistics import mean, median

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from core.store import models as m
from core.store import session_scope
from reports import kpi
from reports.kpi_data import DATA_COLUMNS
from reports.kpi_workbook import write_workbook
from tests.reports.test_kpi import MARCH, build


def share(yes: int, out_of: int) -> float | None:
    return yes / out_of if out_of else None


def p90(values: list[float]) -> float:
    """Excel's PERCENTILE.INC."""
    values = sorted(values)
    rank = 0.9 * (len(values) - 1)
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (rank - low) * (values[high] - values[low])


def count(rows: list[dict], flag: str) -> int:
    return sum(1 for r in rows if r[flag])


def capped(rows: list[dict], quantity: str) -> float:
    return sum(min(r[quantity], r["ordered_qty"]) for r in rows)


def recompute(data: list[dict]) -> dict:
    rows = [r for r in data if not r["cancelled"]]
    for r in rows:
        r["delivered"] = r["delivery_date"] is not None
        r["shipped"] = r["ship_date"] is not None
        r["on_time_p"] = (
            r["delivered"] and r["promised_date"] and r["delivery_date"] <= r["promised_date"]
        )
        r["on_time_r"] = (
            r["delivered"] and r["requested_date"] and r["delivery_date"] <= r["requested_date"]
        )
        r["in_full"] = r["shipped_qty"] >= r["ordered_qty"]
        r["first_full"] = r["shipped"] and r["first_shipped_qty"] >= r["ordered_qty"]
    delivered_p = [r for r in rows if r["delivered"] and r["promised_date"]]
    delivered_r = [r for r in rows if r["delivered"] and r["requested_date"]]
    shipped = [r for r in rows if r["shipped"]]
    orders = defaultdict(list)
    for r in rows:
        orders[r["order"]].append(r)
    done = {o: ls for o, ls in orders.items() if all(r["delivered"] for r in ls)}
    done_p = {o: ls for o, ls in done.items() if all(r["promised_date"] for r in ls)}
    done_r = {o: ls for o, ls in done.items() if all(r["requested_date"] for r in ls)}
    sent = {o: ls for o, ls in orders.items() if any(r["shipped"] for r in ls)}
    invoiced = {o: ls for o, ls in orders.items() if any(r["invoiced"] for r in ls)}

    def every(group, test):
        return sum(1 for ls in group.values() if all(test(r) for r in ls))

    def on_time_full(r):
        return r["on_time_p"] and r["in_full"]

    def perfect(ls):
        return all(
            on_time_full(r) and not r["damaged"] and r["documentation_correct"]
            and not r["discrepancy"] for r in ls
        )  # fmt: skip

    units = sum(r["ordered_qty"] for r in shipped)
    days = [
        (max(r["delivery_date"] for r in ls) - ls[0]["order_date"]).days for ls in done.values()
    ]
    to_ship = [
        (min(r["ship_date"] for r in ls if r["shipped"]) - ls[0]["order_date"]).days
        for ls in sent.values()
    ]
    return {
        "otd_line_promised": share(count(delivered_p, "on_time_p"), len(delivered_p)),
        "otd_order_promised": share(every(done_p, lambda r: r["on_time_p"]), len(done_p)),
        "otd_line_requested": share(count(delivered_r, "on_time_r"), len(delivered_r)),
        "otd_order_requested": share(every(done_r, lambda r: r["on_time_r"]), len(done_r)),
        "otif_line": share(sum(1 for r in delivered_p if on_time_full(r)), len(delivered_p)),
        "otif_order": share(every(done_p, on_time_full), len(done_p)),
        "line_fill": share(sum(1 for r in shipped if r["first_full"]), len(shipped)),
        "line_fill_final": share(sum(1 for r in shipped if r["in_full"]), len(shipped)),
        "unit_fill": share(capped(shipped, "first_shipped_qty"), units),
        "unit_fill_final": share(capped(shipped, "shipped_qty"), units),
        "order_fill": share(every(sent, lambda r: r["first_full"]), len(sent)),
        "order_fill_final": share(every(sent, lambda r: r["in_full"]), len(sent)),
        "perfect_order": share(sum(1 for ls in done_p.values() if perfect(ls)), len(done_p)),
        "order_accuracy": share(
            every(done, lambda r: r["shipped_qty"] == r["ordered_qty"] and not r["damaged"]),
            len(done),
        ),
        "backorder_rate": share(sum(1 for r in shipped if not r["first_full"]), len(shipped)),
        "pod_on_file": share(
            every(invoiced, lambda r: r["pod_on_file"] or not r["shipped"]), len(invoiced)
        ),
        "order_to_delivery": (mean(days), median(days), p90(days)),
        "order_to_ship": (mean(to_ship), median(to_ship), p90(to_ship)),
    }  # fmt: skip


def read_back(path):
    book = load_workbook(path, read_only=True)
    summary = {}
    for row in book["Summary"].iter_rows(values_only=True):
        if row and isinstance(row[0], str) and row[0] in kpi.DEFINITIONS:
            summary[row[0]] = row[1] if len(row) > 1 else None
        elif row and row[0] in kpi.CYCLE_DEFINITIONS:
            summary[row[0]] = tuple(row[1:4])
    data = []
    for title in [t for t in book.sheetnames if t.startswith("Data")]:
        rows = book[title].iter_rows(values_only=True)
        assert next(rows) == DATA_COLUMNS
        data += [dict(zip(DATA_COLUMNS, row, strict=True)) for row in rows]
    for r in data:
        for name in ("order_date", "promised_date", "requested_date", "ship_date"):
            r[name] = r[name].date() if isinstance(r[name], datetime) else r[name]
        if isinstance(r["delivery_date"], datetime):
            r["delivery_date"] = r["delivery_date"].date()
    return book, summary, data


@pytest.fixture
def written(db_url, tmp_path):
    build(db_url)
    with session_scope(db_url) as session:
        lines, result = kpi.report_lines(session, *MARCH)
    return write_workbook(lines, result, tmp_path / "kpi.xlsx", rows_per_sheet=4), result


def test_every_summary_figure_recomputes_from_the_data_sheet(written):
    path, result = written
    book, summary, data = read_back(path)
    assert book.sheetnames == ["Summary", "Definitions", "Data", "Data (2)"]
    assert len(data) == 7  # four on Data, three continued on Data (2)
    again = recompute(data)
    for name in kpi.DEFINITIONS:
        assert summary[name] == pytest.approx(again[name]), name
        assert summary[name] == pytest.approx(result["kpis"][name]), name
    for name in kpi.CYCLE_DEFINITIONS:
        assert summary[name] == pytest.approx(again[name]), name
    assert summary["perfect_order"] == pytest.approx(1 / 3)  # the hand-worked answer


def test_text_from_outside_never_becomes_a_formula(db_url, tmp_path):
    build(db_url)
    hostile = "=cmd|'/c calc'!A1"
    with session_scope(db_url) as session:
        session.execute(
            update(m.Order).where(m.Order.number == "SO-A").values(customer_number=hostile)
        )
    with session_scope(db_url) as session:
        lines, result = kpi.report_lines(session, *MARCH)
    path = write_workbook(lines, result, tmp_path / "kpi.xlsx")
    sheet = load_workbook(path)["Data"]
    cell = sheet["C2"]
    assert cell.value == hostile and cell.data_type == "s"  # kept as the text it is
    assert cell.quotePrefix or cell.number_format == "@"
