"""The three-way match: order lines against shipment lines against invoice lines, as a pure
function over columns in memory (no store, no systems), run by DuckDB.

Money travels as integers inside the match: unit prices in ten-thousandths (`price_e4`),
quantities in thousandths (`quantity_milli`), line values in cents (rounded half up per line,
as invoices round them). `to_decimal` and `from_decimal` are the edges. Each side is a mapping
of column name to a sequence (a pandas DataFrame, or a dict of lists or numpy arrays):

orders:    order_number, line_no, sku, currency, quantity_milli, price_e4,
           sf_status, erp_status (the order's phase in each system; None = not there)
shipments: order_number, line_no, quantity_milli, shipment_number, ship_day (days since
           1970-01-01), delivered, has_pod, in_erp, in_3pl
invoices:  order_number, line_no, quantity_milli, price_e4, currency, invoice_number

A side that does not know a system leaves that column out (a missing sf_status or in_3pl
column means "not compared"), so the same match serves the store and the live systems.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from reports import reconcile_sql as sql
from reports.columns import Columns, places, to_decimal
from reports.columns import from_decimal as from_decimal  # the match's edge, as before

CLASSES = (
    "missing_in_system",
    "quantity_mismatch",
    "price_mismatch",
    "shipped_not_invoiced",
    "invoiced_not_shipped",
    "delivered_without_pod",
    "status_mismatch",
)
DETAIL_COLUMNS = (
    "order_number",
    "line_no",
    "sku",
    "currency",
    "ordered_qty",
    "shipped_qty",
    "invoiced_qty",
    "order_price",
    "invoice_price",
    "amount",
    "reference",
    "note",
)
LINE_COLUMNS = (
    "order_number",
    "line_no",
    "sku",
    "currency",
    "ordered_qty",
    "shipped_qty",
    "invoiced_qty",
    "order_value",
    "shipped_value",
    "invoiced_value",
    "difference",
)

_TYPES = {
    "orders": {
        "order_number": "VARCHAR",
        "line_no": "INTEGER",
        "sku": "VARCHAR",
        "currency": "VARCHAR",
        "quantity_milli": "BIGINT",
        "price_e4": "BIGINT",
        "sf_status": "VARCHAR",
        "erp_status": "VARCHAR",
    },
    "shipments": {
        "order_number": "VARCHAR",
        "line_no": "INTEGER",
        "quantity_milli": "BIGINT",
        "shipment_number": "VARCHAR",
        "ship_day": "INTEGER",
        "delivered": "BOOLEAN",
        "has_pod": "BOOLEAN",
        "in_erp": "BOOLEAN",
        "in_3pl": "BOOLEAN",
    },
    "invoices": {
        "order_number": "VARCHAR",
        "line_no": "INTEGER",
        "quantity_milli": "BIGINT",
        "price_e4": "BIGINT",
        "currency": "VARCHAR",
        "invoice_number": "VARCHAR",
    },
}


@dataclass(frozen=True)
class Tolerances:
    price_e4: int = 100  # 0.01 a unit
    invoice_grace_days: int = 3
    as_of_day: int | None = None  # shipments after as_of_day - grace are not yet due


@dataclass
class MatchResult:
    """Summary per currency, the discrepancies per class, and (when asked) every line.

    Values are integers as in the match (cents, thousandths, ten-thousandths);
    `as_people_see_it` turns a row into Decimals for people. Classes and lines are lists of
    dicts, or `Columns` when the match was asked for columns."""

    summary: list[dict[str, Any]]
    classes: dict[str, Any]
    lines: Any = None
    counts: dict[str, int] = field(default_factory=dict)


def _frame(data: Any) -> pd.DataFrame:
    return data if isinstance(data, pd.DataFrame) else pd.DataFrame(dict(data))


def _register(con: duckdb.DuckDBPyConnection, side: str, frame: pd.DataFrame) -> set[str]:
    """Register a side as a typed view with its row positions (`pos`); returns the optional
    columns it did not bring (they read as NULL, without a column of Nones to scan)."""
    # Positions as INTEGER where they fit: less to carry through the joins.
    kind = np.int32 if len(frame) < 2**31 else np.int64
    con.register(f"{side}_in", frame.assign(pos=np.arange(len(frame), dtype=kind)))
    given = set(frame.columns)
    casts = ", ".join(
        f"CAST({n} AS {t}) AS {n}" if n in given else f"NULL::{t} AS {n}"
        for n, t in _TYPES[side].items()
    )
    # Names come from _TYPES, never from data.
    con.execute(f"CREATE TEMP VIEW {side} AS SELECT {casts}, pos FROM {side}_in")  # noqa: S608
    return set(_TYPES[side]) - given


def _unique_keys(frame: pd.DataFrame) -> bool:
    """True when the side's (order_number, line_no) keys are strictly increasing as given,
    hence unique, so the side joins as it is, without grouping (the store reads in key order).
    Anything else (unsorted, missing values, other types) is grouped: never wrong, slower."""
    if len(frame) < 2:
        return True
    number, line = frame.get("order_number"), frame.get("line_no")
    if number is None or line is None:
        return False
    if not (pd.api.types.is_string_dtype(number) and pd.api.types.is_integer_dtype(line)):
        return False
    if line.isna().any():  # a nullable integer column with a gap
        return False
    numbers, lines = number.to_numpy(dtype=object), line.to_numpy(dtype=np.int64)
    try:
        after, same = numbers[1:] > numbers[:-1], numbers[1:] == numbers[:-1]
    except TypeError:  # a missing order number
        return False
    return bool((after | (same & (lines[1:] > lines[:-1]))).all())


def _at(frame: pd.DataFrame, column: str, positions: pd.Series) -> np.ndarray:
    """The side's raw `column` at the given row positions (None where a position is NULL);
    only ever asked for the few lines kept, never for a whole side."""
    out = np.full(len(positions), None, dtype=object)
    if column not in frame.columns:
        return out
    present = positions.notna().to_numpy()
    rows = positions[present].to_numpy(dtype=np.int64)
    # to_numpy may hand back a read-only view (pandas 3, copy-on-write; an empty side does):
    # build a new array rather than write into one we may not own.
    values = frame[column].iloc[rows].to_numpy(dtype=object)
    out[present] = np.where(pd.isna(values), None, values)
    return out


def _kept(
    con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame], systems: bool
) -> pd.DataFrame:
    """The kept lines with their SKU, first shipment and invoice numbers and statuses, looked
    up by row position in the sides (the match carried only positions)."""
    kept = con.execute(sql.KEPT).df()
    orders, shipments, invoices = frames["orders"], frames["shipments"], frames["invoices"]
    kept["sku"] = _at(orders, "sku", kept["o_pos"])
    kept["order_currency"] = _at(orders, "currency", kept["o_pos"])
    for column in ("sf_status", "erp_status"):
        kept[column] = _at(orders, column, kept["o_pos"]) if systems else None
    kept["shipment"] = _at(shipments, "shipment_number", kept["s_ref"])
    kept["invoice"] = _at(invoices, "invoice_number", kept["i_ref"])
    return kept


def _pod_rows(
    con: duckdb.DuckDBPyConnection, shipments: pd.DataFrame, kept: pd.DataFrame, as_given: bool
) -> pd.DataFrame:
    """The shipment lines delivered without proof of delivery, with their keys and numbers.
    Joined as given, each is the one shipment row of a kept line; grouped, they are asked for."""
    if as_given:
        positions = kept["s_ref"][(kept["flags"] & sql.BITS["delivered_without_pod"]) != 0]
    else:
        positions = con.execute(sql.POD_POSITIONS).df()["pos"]
    columns = ("order_number", "line_no", "quantity_milli", "shipment_number")
    return pd.DataFrame({c: _at(shipments, c, positions) for c in columns})


def _dicts(relation: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in relation.description]
    return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]


def _columns(relation: duckdb.DuckDBPyConnection) -> Columns:
    return Columns.from_numpy(relation.fetchnumpy())


@dataclass(frozen=True)
class _Plan:
    match: str  # the one pass
    systems: bool  # Salesforce and the ERP are compared
    shipments_as_given: bool  # shipments joined without grouping


def _plan(frames: dict[str, pd.DataFrame], absent: set[str]) -> _Plan:
    systems = not absent & {"sf_status", "erp_status"}
    both = not absent & {"in_erp", "in_3pl"}
    columns: dict[str, str] = {}
    shipments_as_given = _unique_keys(frames["shipments"])
    if shipments_as_given:
        one_sided = sql.ONE_SIDED_GIVEN if both else sql.ONE_SIDED_UNKNOWN
        shipments = sql.SHIPMENTS_AS_GIVEN.format(one_sided=one_sided[0])
        columns["s_ref"] = sql.MATCH_AS_GIVEN["s_ref"]
    else:
        one_sided = sql.ONE_SIDED_GROUPED if both else sql.ONE_SIDED_UNKNOWN
        shipments = sql.SHIPMENTS_GROUPED.format(one_sided=one_sided[0])
        columns["s_ref"] = sql.MATCH_GROUPED["s_ref"]
    columns["one_sided"] = one_sided[1]
    if _unique_keys(frames["invoices"]):
        invoices, given = sql.INVOICES_AS_GIVEN, sql.MATCH_AS_GIVEN
    else:
        invoices, given = sql.INVOICES_GROUPED, sql.MATCH_GROUPED
    columns |= {"i_ref": given["i_ref"], "min_price": given["min_price"]}
    statuses = (
        "o.sf_status, o.erp_status"
        if systems
        else "NULL::VARCHAR AS sf_status, NULL::VARCHAR AS erp_status"
    )
    conditions = dict(sql.FLAGS)
    more = [term for term, on in ((sql.ONE_SIDED, both), (sql.ONE_SYSTEM, systems)) if on]
    conditions["missing_in_system"] = " OR ".join([conditions["missing_in_system"], *more])
    if not systems:
        del conditions["status_mismatch"]
    # A CASE, not COALESCE(...)::INTEGER * bit: NULL reads as "not this class" in one step.
    flags = " + ".join(
        f"CASE WHEN {condition} THEN {sql.BITS[name]} ELSE 0 END"
        for name, condition in conditions.items()
    )
    text = sql.MATCH.format(
        shipments=shipments, invoices=invoices, statuses=statuses, flags=flags, **columns
    )
    return _Plan(text, systems, shipments_as_given)


def reconcile(
    orders: Any,
    shipments: Any,
    invoices: Any,
    tolerances: Tolerances = Tolerances(),
    *,
    with_lines: bool = False,
    columnar: bool = False,
    threads: int | None = None,
) -> MatchResult:
    """Match the three sides; every discrepancy class with its records and amounts.

    One DuckDB pass joins the sides, values every line, flags its classes and totals by
    currency, keeping only the flagged lines (every line `with_lines`); the rest works on
    those few. `columnar` gives the classes and lines as `Columns` instead of dicts, for a
    period too big for a dict per row (the workbook)."""
    con = duckdb.connect()
    try:
        # Every result is sorted explicitly, so DuckDB need not keep the input order.
        con.execute("SET preserve_insertion_order = false")
        # A library call: no progress bar on the caller's terminal or in a worker's log.
        con.execute("SET enable_progress_bar = false")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        frames = {"orders": _frame(orders), "shipments": _frame(shipments)}
        frames["invoices"] = _frame(invoices)
        absent: set[str] = set()
        for side, frame in frames.items():
            absent |= _register(con, side, frame)
        plan = _plan(frames, absent)
        params = {
            "tol": tolerances.price_e4,
            "as_of": tolerances.as_of_day,
            "grace": tolerances.invoice_grace_days,
            "all": with_lines,
        }
        con.execute(plan.match, params)
        kept = _kept(con, frames, plan.systems)
        con.register("kept_in", kept)
        con.execute(sql.KEPT_TABLE)
        pod = _pod_rows(con, frames["shipments"], kept, plan.shipments_as_given)
        con.register("pod_in", pod)
        con.execute(sql.POD_VIEW)
        rows = _columns if columnar else _dicts
        classes: dict[str, Any] = {}
        for name, (amount, note) in sql.DETAILS.items():
            query = sql.DETAIL.format(bit=sql.BITS[name], amount=amount, note=note)
            classes[name] = rows(con.execute(query))
        classes["delivered_without_pod"] = rows(con.execute(sql.POD))
        status = sql.STATUS.format(bit=sql.BITS["status_mismatch"])
        classes["status_mismatch"] = rows(con.execute(status))
        summary = _dicts(con.execute(sql.SUMMARY))
        lines = rows(con.execute(sql.LINES)) if with_lines else None
        return MatchResult(
            summary,
            {name: classes[name] for name in CLASSES},
            lines,
            {name: len(rows) for name, rows in classes.items()},
        )
    finally:
        con.close()


def as_people_see_it(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row with money as Decimal (cents), prices as Decimal (ten-thousandths) and
    quantities as Decimal (thousandths): the edge where integers become money again."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        digits = places(name)
        out[name] = value if digits is None else to_decimal(value, digits)
    return out
