"""Order-to-cash KPIs for a period, as the field defines them (SCOR, APICS, retailers' OTIF),
computed from the line-level frame of `reports.kpi_data` and nothing else, so the KPI
workbook's Summary is exactly what its Data sheet gives.

Every rate is a share between 0 and 1, None where nothing was there to count. Each figure is
a sum of yes/no columns over a sum of yes/no columns, per line or per order, so the same code
gives the whole period and each customer, carrier or warehouse (a group by).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.store.models import OpsException
from reports.kpi_data import load_lines

# (name, what is counted ÷ out of what); the order they are shown in.
DEFINITIONS: dict[str, str] = {
    "otd_line_promised": "Delivered lines delivered on or before their promised date ÷ "
    "delivered lines that have a promised date.",
    "otd_order_promised": "Delivered orders whose every line was delivered on or before its "
    "promised date ÷ delivered orders whose every line has a promised date.",
    "otd_line_requested": "Delivered lines delivered on or before the date the customer "
    "requested ÷ delivered lines that have a requested date.",
    "otd_order_requested": "As on-time by order, against the requested dates.",
    "otif_line": "Delivered lines delivered on time (promised date) and in full (shipped at "
    "least the ordered quantity) ÷ delivered lines that have a promised date.",
    "otif_order": "Delivered orders with every line on time and in full ÷ delivered orders "
    "whose every line has a promised date.",
    "line_fill": "Shipped lines whose first shipment carried the whole ordered quantity ÷ "
    "lines shipped at least once (first-time fill).",
    "line_fill_final": "Shipped lines that reached the ordered quantity, backorders included "
    "÷ lines shipped at least once.",
    "unit_fill": "Units on first shipments (at most the ordered quantity per line) ÷ units "
    "ordered on lines shipped at least once (first-time fill).",
    "unit_fill_final": "Units shipped in all (at most the ordered quantity per line) ÷ units "
    "ordered on lines shipped at least once.",
    "order_fill": "Orders whose every line shipped complete on its first shipment ÷ orders "
    "with at least one shipment (first-time fill).",
    "order_fill_final": "Orders whose every line reached the ordered quantity ÷ orders with "
    "at least one shipment.",
    "perfect_order": "SCOR RL.1.1: delivered orders on time and in full, with no damaged "
    "shipment, every line invoiced for exactly what shipped and no invoice or reconciliation "
    "discrepancy open ÷ delivered orders whose every line has a promised date.",
    "order_accuracy": "Delivered orders where every line shipped exactly the ordered quantity "
    "and no shipment was damaged ÷ delivered orders.",
    "backorder_rate": "Shipped lines whose first shipment was short ÷ lines shipped at least once.",
    "pod_on_file": "Invoiced orders whose every shipment has a proof of delivery ÷ invoiced "
    "orders.",
}
SCOPE = (
    "Lines of orders dated in the period. Cancelled lines are left out of every figure and "
    "counted apart. A line's promised date is the ERP's promise for it, else the promised "
    "delivery date of the shipment carrying it; what is invoiced is what its invoices say. "
    "A line is delivered when it has shipped and every shipment carrying it is "
    "delivered, on the last of those deliveries; lines and orders not delivered yet are left "
    "out of the delivery figures and counted as open. An order is the lines of it that pass "
    "the filters."
)
CYCLE_DEFINITIONS = {
    "order_to_delivery": "Days from the order date to the delivery of its last line, over "
    "delivered orders.",
    "order_to_ship": "Days from the order date to its first shipment, over orders shipped at "
    "least once.",
}
STATISTICS = "mean, median and p90 (Excel's PERCENTILE.INC: linear between ranks)"
BY = ("customer", "carrier", "warehouse")


def _line_flags(lines: pd.DataFrame) -> pd.DataFrame:
    """The yes/no facts each line rate counts, per line; cancelled lines are dropped after."""
    delivered = lines["delivery_date"].notna()
    shipped = lines["ship_date"].notna()
    ordered = lines["ordered_qty"]
    flags = pd.DataFrame(index=lines.index)
    flags["delivered"] = delivered
    flags["has_promised"] = lines["promised_date"].notna()
    flags["has_requested"] = lines["requested_date"].notna()
    flags["on_time_p"] = delivered & (lines["delivery_date"] <= lines["promised_date"])
    flags["on_time_r"] = delivered & (lines["delivery_date"] <= lines["requested_date"])
    flags["in_full"] = lines["shipped_qty"] >= ordered
    flags["shipped"] = shipped
    flags["first_full"] = shipped & (lines["first_shipped_qty"] >= ordered)
    flags["exact"] = lines["shipped_qty"] == ordered
    flags["units_ordered"] = ordered.where(shipped, 0.0)
    flags["units_first"] = np.minimum(lines["first_shipped_qty"], ordered).where(shipped, 0.0)
    flags["units_total"] = np.minimum(lines["shipped_qty"], ordered).where(shipped, 0.0)
    flags["pod_ok"] = lines["pod_on_file"] | ~shipped
    for column in ("damaged", "documentation_correct", "discrepancy", "invoiced"):
        flags[column] = lines[column]
    flags["order"] = pd.factorize(lines["order"])[0]  # numbers group faster than text
    flags["order_date"] = lines["order_date"]
    flags["delivery_date"] = lines["delivery_date"]
    flags["ship_date"] = lines["ship_date"]
    return flags


def _sums(frame: pd.DataFrame, keys: list) -> pd.DataFrame:
    """The yes/no and number columns summed per group (one row when there are no keys)."""
    numbers = frame.select_dtypes(include=["bool", "number"])
    if not keys:
        return numbers.sum().to_frame().T
    return numbers.groupby([frame[key] for key in keys], sort=True).sum()


def _share(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).astype("float64")


def _line_rates(f: pd.DataFrame, keys: list) -> pd.DataFrame:
    d = f.assign(
        p=f.delivered & f.has_promised,
        r=f.delivered & f.has_requested,
        otd_p=f.on_time_p & f.has_promised,
        otd_r=f.on_time_r & f.has_requested,
        otif=f.on_time_p & f.has_promised & f.in_full,
        final=f.shipped & f.in_full,
        short=f.shipped & ~f.first_full,
    )
    s = _sums(d, keys)
    return pd.DataFrame(
        {
            "otd_line_promised": _share(s.otd_p, s.p),
            "otd_line_requested": _share(s.otd_r, s.r),
            "otif_line": _share(s.otif, s.p),
            "line_fill": _share(s.first_full, s.shipped),
            "line_fill_final": _share(s.final, s.shipped),
            "unit_fill": _share(s.units_first, s.units_ordered),
            "unit_fill_final": _share(s.units_total, s.units_ordered),
            "backorder_rate": _share(s.short, s.shipped),
        }
    )


def _orders(f: pd.DataFrame, keys: list) -> pd.DataFrame:
    """One row per order (per group and order): what its lines add up to."""
    f = f.assign(
        on_time_p=f.on_time_p | ~f.has_promised,
        on_time_r=f.on_time_r | ~f.has_requested,
    )
    groups = f.groupby([*keys, "order"], sort=False)
    every = ["delivered", "has_promised", "has_requested", "on_time_p", "on_time_r", "in_full"]
    every += ["first_full", "exact", "documentation_correct", "pod_ok"]
    orders = groups[every].all()
    orders[["shipped", "damaged", "discrepancy", "invoiced"]] = groups[
        ["shipped", "damaged", "discrepancy", "invoiced"]
    ].any()
    orders["order_date"] = groups["order_date"].min()
    orders["delivery_date"] = groups["delivery_date"].max()
    orders["ship_date"] = groups["ship_date"].min()
    return orders.reset_index()


def _order_rates(o: pd.DataFrame, keys: list) -> pd.DataFrame:
    delivered = o.delivered
    d = o.assign(
        p=delivered & o.has_promised,
        r=delivered & o.has_requested,
        otd_p=delivered & o.has_promised & o.on_time_p,
        otd_r=delivered & o.has_requested & o.on_time_r,
        otif=delivered & o.has_promised & o.on_time_p & o.in_full,
        first=o.shipped & o.first_full,
        final=o.shipped & o.in_full,
        perfect=delivered & o.has_promised & o.on_time_p & o.in_full & ~o.damaged
        & o.documentation_correct & ~o.discrepancy,
        accurate=delivered & o.exact & ~o.damaged,
        pod=o.invoiced & o.pod_ok,
    )  # fmt: skip
    s = _sums(d, keys)
    return pd.DataFrame(
        {
            "otd_order_promised": _share(s.otd_p, s.p),
            "otd_order_requested": _share(s.otd_r, s.r),
            "otif_order": _share(s.otif, s.p),
            "order_fill": _share(s["first"], s.shipped),
            "order_fill_final": _share(s.final, s.shipped),
            "perfect_order": _share(s.perfect, s.p),
            "order_accuracy": _share(s.accurate, s.delivered),
            "pod_on_file": _share(s.pod, s.invoiced),
        }
    )


def _stats(days: pd.Series) -> dict[str, float | None]:
    days = days.dropna().astype("float64")
    if days.empty:
        return {"mean": None, "median": None, "p90": None}
    values = days.to_numpy()
    return {
        "mean": float(values.mean()),
        "median": float(np.median(values)),
        "p90": float(np.percentile(values, 90)),
    }


def cycle_times(orders: pd.DataFrame) -> dict[str, dict[str, float | None]]:
    delivered = orders[orders.delivered]
    to_delivery = (delivered.delivery_date - delivered.order_date).dt.days
    shipped = orders[orders.shipped]
    return {
        "order_to_delivery": _stats(to_delivery),
        "order_to_ship": _stats((shipped.ship_date - shipped.order_date).dt.days),
    }


def _plain(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _rates(flags: pd.DataFrame, orders: pd.DataFrame, keys: list) -> pd.DataFrame:
    rates = _line_rates(flags, keys).join(_order_rates(orders, keys))
    return rates[list(DEFINITIONS)]


def counts(lines: pd.DataFrame, flags: pd.DataFrame, orders: pd.DataFrame) -> dict[str, int]:
    return {
        "lines": int(len(flags)),
        "cancelled_lines": int(lines["cancelled"].sum()),
        "delivered_lines": int(flags.delivered.sum()),
        "open_lines": int((~flags.delivered).sum()),
        "orders": int(len(orders)),
        "delivered_orders": int(orders.delivered.sum()),
        "open_orders": int((~orders.delivered).sum()),
    }


def compute(lines: pd.DataFrame, by: Sequence[str] = BY) -> dict[str, Any]:
    """Every KPI of these lines (the kpi_data frame), overall and per value of each `by`."""
    flags = _line_flags(lines)[~lines["cancelled"].to_numpy(dtype=bool)]
    orders = _orders(flags, [])
    overall = _rates(flags, orders, []).iloc[0] if len(flags) else None
    kpis = {name: _plain(overall[name]) if overall is not None else None for name in DEFINITIONS}
    result: dict[str, Any] = {
        "kpis": kpis,
        "cycle_time_days": cycle_times(orders),
        "counts": counts(lines, flags, orders),
        "by": {},
    }
    for dimension in by:
        keyed = flags.assign(**{dimension: lines.loc[flags.index, dimension]})
        table = _rates(keyed, _orders(keyed, [dimension]), [dimension]) if len(flags) else None
        result["by"][dimension] = (
            {}
            if table is None
            else {
                str(value): {name: _plain(row[name]) for name in DEFINITIONS}
                for value, row in table.iterrows()
            }
        )
    return result


def filtered(lines: pd.DataFrame, **filters: str | None) -> pd.DataFrame:
    """The lines of one customer, carrier, warehouse or item (any combination); None or
    empty for all."""
    keep = pd.Series(True, index=lines.index)
    for column, value in filters.items():
        if value:
            keep &= lines[column] == value
    return lines[keep]


EXCEPTIONS_DEFINITION = (
    "Exceptions opened in the period (of the filtered orders' when a filter is set), those "
    "resolved, and resolved on or before their SLA ÷ resolved."
)


def exceptions_within_sla(
    session: Session, date_from: date, date_to: date, orders: set[str] | None = None
) -> dict[str, Any]:
    """Exceptions opened in the period: how many, resolved, and the share resolved in SLA."""
    start = datetime.combine(date_from, time(), timezone.utc)
    end = datetime.combine(date_to + timedelta(days=1), time(), timezone.utc)
    query = select(OpsException.status, OpsException.resolved_at, OpsException.sla_due_at)
    query = query.where(OpsException.opened_at >= start, OpsException.opened_at < end)
    if orders is not None:
        query = query.where(OpsException.order_number.in_(sorted(orders)))
    rows = session.execute(query).all()
    resolved = [row for row in rows if row.status == "resolved" and row.resolved_at]
    within = [r for r in resolved if r.sla_due_at is None or r.resolved_at <= r.sla_due_at]
    return {
        "opened": len(rows),
        "resolved": len(resolved),
        "resolved_within_sla": len(within) / len(resolved) if resolved else None,
    }


def report_lines(
    session: Session, date_from: date, date_to: date, **filters: str | None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The period's line-level data (what the workbook's Data sheet holds) and its report."""
    lines = filtered(load_lines(session, date_from, date_to), **filters)
    orders = set(lines["order"]) if any(filters.values()) else None
    result = compute(lines)
    return lines, {
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "filters": {key: value for key, value in filters.items() if value},
        "kpis": result["kpis"],
        "cycle_time_days": result["cycle_time_days"],
        "exceptions": exceptions_within_sla(session, date_from, date_to, orders),
        "counts": result["counts"],
        "by": result["by"],
    }


def report(session: Session, date_from: date, date_to: date, **filters: str | None) -> dict:
    """The KPI report of a period as `run.py report kpi --json` prints it."""
    return report_lines(session, date_from, date_to, **filters)[1]


def weekly(lines: pd.DataFrame, first_monday: date, weeks: int) -> list[tuple[date, dict]]:
    """Every KPI per week of order date (Monday to Sunday), oldest first: the trend."""
    start = np.datetime64(first_monday, "D")
    week = (lines["order_date"].to_numpy().astype("datetime64[D]") - start).astype(np.int64) // 7
    trend = []
    for n in range(weeks):
        monday = first_monday + timedelta(days=7 * n)
        trend.append((monday, compute(lines[week == n], by=())["kpis"]))
    return trend
