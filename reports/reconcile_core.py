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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb
import pandas as pd

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
MONEY_COLUMNS = frozenset(
    {"order_value", "shipped_value", "invoiced_value", "difference", "amount"}
)
PRICE_COLUMNS = frozenset({"order_price", "invoice_price"})
QTY_COLUMNS = frozenset({"ordered_qty", "shipped_qty", "invoiced_qty"})

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

    Values are integers as in the match (cents, thousandths, ten-thousandths); `rows` turns
    them into Decimals for people."""

    summary: list[dict[str, Any]]
    classes: dict[str, list[dict[str, Any]]]
    lines: list[dict[str, Any]] | None = None
    counts: dict[str, int] = field(default_factory=dict)


def from_decimal(value: Decimal | None, places: int) -> int | None:
    if value is None:
        return None
    return int((value * (10**places)).to_integral_value(ROUND_HALF_UP))


def to_decimal(value: int | None, places: int) -> Decimal | None:
    return None if value is None else Decimal(int(value)).scaleb(-places)


def _frame(side: str, data: Mapping[str, Sequence[Any]] | pd.DataFrame) -> pd.DataFrame:
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(dict(data))
    missing = {n: None for n in _TYPES[side] if n not in frame.columns}
    return frame.assign(**missing) if missing else frame


def _register(con: duckdb.DuckDBPyConnection, side: str, data: Any) -> set[str]:
    """Register a side; returns the optional columns it did not bring."""
    frame = _frame(side, data)
    given = set(data.columns if isinstance(data, pd.DataFrame) else data)
    con.register(f"{side}_in", frame)
    casts = ", ".join(f"CAST({n} AS {t}) AS {n}" for n, t in _TYPES[side].items())
    # Names come from _TYPES, never from data.
    con.execute(f"CREATE TEMP VIEW {side} AS SELECT {casts} FROM {side}_in")  # noqa: S608
    return set(_TYPES[side]) - given


_LINES_SQL = """
CREATE TEMP TABLE lines AS
WITH s AS (
    SELECT order_number, line_no, SUM(quantity_milli) AS shipped_milli,
           MIN(ship_day) AS first_ship_day,
           BOOL_OR(in_erp IS NOT NULL AND in_3pl IS NOT NULL AND in_erp <> in_3pl) AS one_sided,
           STRING_AGG(DISTINCT shipment_number, ' ' ORDER BY shipment_number) AS shipments
    FROM shipments GROUP BY order_number, line_no
), i AS (
    SELECT order_number, line_no, SUM(quantity_milli) AS invoiced_milli,
           SUM((quantity_milli::HUGEINT * price_e4 + 50000) // 100000) AS invoiced_cents,
           MIN(price_e4) AS min_price, MAX(price_e4) AS max_price,
           ANY_VALUE(currency) AS currency,
           STRING_AGG(DISTINCT invoice_number, ' ' ORDER BY invoice_number) AS invoices
    FROM invoices GROUP BY order_number, line_no
), j AS (
    SELECT COALESCE(o.order_number, s.order_number, i.order_number) AS order_number,
           COALESCE(o.line_no, s.line_no, i.line_no) AS line_no,
           o.sku, COALESCE(o.currency, i.currency) AS currency,
           o.order_number IS NOT NULL AS has_order,
           COALESCE(o.quantity_milli, 0) AS ordered_milli, o.price_e4 AS order_price,
           COALESCE(s.shipped_milli, 0) AS shipped_milli,
           COALESCE(i.invoiced_milli, 0) AS invoiced_milli,
           COALESCE(i.invoiced_cents, 0)::BIGINT AS invoiced_value,
           i.min_price, i.max_price, s.first_ship_day, COALESCE(s.one_sided, FALSE) AS one_sided,
           o.sf_status, o.erp_status, s.shipments, i.invoices
    FROM orders o
    FULL JOIN s ON o.order_number = s.order_number AND o.line_no = s.line_no
    FULL JOIN i ON COALESCE(o.order_number, s.order_number) = i.order_number
               AND COALESCE(o.line_no, s.line_no) = i.line_no
)
SELECT *,
       ((ordered_milli::HUGEINT * COALESCE(order_price, 0) + 50000) // 100000)::BIGINT
           AS order_value,
       ((shipped_milli::HUGEINT * COALESCE(order_price, max_price, 0) + 50000) // 100000)::BIGINT
           AS shipped_value
FROM j
"""

# class -> (condition on `lines`, amount in cents, note)
_LINE_CLASSES = {
    "missing_in_system": (
        "NOT has_order OR one_sided OR ($systems AND (sf_status IS NULL) <> (erp_status IS NULL))",
        "CASE WHEN has_order THEN order_value ELSE GREATEST(invoiced_value, shipped_value) END",
        "CASE WHEN NOT has_order THEN 'no order line for this shipment or invoice'"
        " WHEN one_sided THEN 'shipment known to only one of the ERP and the 3PL'"
        " WHEN sf_status IS NULL THEN 'order not in Salesforce'"
        " ELSE 'order not in the ERP' END",
    ),
    "quantity_mismatch": (
        "has_order AND ((shipped_milli > 0 AND invoiced_milli > 0"
        " AND shipped_milli <> invoiced_milli) OR shipped_milli > ordered_milli)",
        "CASE WHEN shipped_milli > 0 AND invoiced_milli > 0 AND shipped_milli <> invoiced_milli"
        " THEN invoiced_value - shipped_value"
        " ELSE shipped_value - order_value END",
        "CASE WHEN shipped_milli > ordered_milli THEN 'shipped more than ordered'"
        " ELSE 'invoiced quantity differs from shipped quantity' END",
    ),
    "price_mismatch": (
        "has_order AND invoiced_milli > 0 AND (ABS(max_price - order_price) > $tol"
        " OR ABS(min_price - order_price) > $tol)",
        "invoiced_value - ((invoiced_milli::HUGEINT * order_price + 50000) // 100000)::BIGINT",
        "'invoice unit price differs from the order'",
    ),
    "shipped_not_invoiced": (
        "shipped_milli > 0 AND invoiced_milli = 0"
        " AND ($as_of IS NULL OR first_ship_day <= $as_of - $grace)",
        "shipped_value",
        "'shipped, no invoice'",
    ),
    "invoiced_not_shipped": (
        "invoiced_milli > 0 AND shipped_milli = 0",
        "invoiced_value",
        "'invoiced, never shipped'",
    ),
}

_DETAIL_SELECT = """
SELECT order_number, line_no, sku, currency, ordered_milli AS ordered_qty,
       shipped_milli AS shipped_qty, invoiced_milli AS invoiced_qty, order_price,
       max_price AS invoice_price,
       ({amount})::BIGINT AS amount,
       TRIM(COALESCE(shipments, '') || ' ' || COALESCE(invoices, '')) AS reference,
       {note} AS note
FROM lines WHERE {condition}
ORDER BY order_number, line_no
"""

_POD_SQL = """
SELECT s.order_number, NULL::INTEGER AS line_no, NULL AS sku,
       ANY_VALUE(o.currency) AS currency, NULL::BIGINT AS ordered_qty,
       SUM(s.quantity_milli) AS shipped_qty, NULL::BIGINT AS invoiced_qty,
       NULL::BIGINT AS order_price, NULL::BIGINT AS invoice_price,
       SUM((s.quantity_milli::HUGEINT * COALESCE(o.price_e4, 0) + 50000) // 100000)::BIGINT
           AS amount,
       s.shipment_number AS reference, 'delivered, no proof of delivery' AS note
FROM shipments s
LEFT JOIN orders o ON o.order_number = s.order_number AND o.line_no = s.line_no
WHERE s.delivered AND NOT COALESCE(s.has_pod, FALSE)
GROUP BY s.order_number, s.shipment_number
ORDER BY s.order_number, s.shipment_number
"""

_STATUS_SQL = """
SELECT order_number, NULL::INTEGER AS line_no, NULL AS sku, ANY_VALUE(currency) AS currency,
       NULL::BIGINT AS ordered_qty, NULL::BIGINT AS shipped_qty, NULL::BIGINT AS invoiced_qty,
       NULL::BIGINT AS order_price, NULL::BIGINT AS invoice_price,
       SUM(order_value)::BIGINT AS amount, '' AS reference,
       'Salesforce: ' || ANY_VALUE(sf_status) || '; ERP: ' || ANY_VALUE(erp_status) AS note
FROM lines
WHERE sf_status IS NOT NULL AND erp_status IS NOT NULL AND sf_status <> erp_status
GROUP BY order_number
ORDER BY order_number
"""

_SUMMARY_SQL = """
SELECT currency, COUNT(*) AS lines, SUM(order_value)::BIGINT AS order_value,
       SUM(shipped_value)::BIGINT AS shipped_value,
       SUM(invoiced_value)::BIGINT AS invoiced_value,
       (SUM(invoiced_value) - SUM(shipped_value))::BIGINT AS difference
FROM lines GROUP BY currency ORDER BY currency
"""

_LINES_SELECT = """
SELECT order_number, line_no, sku, currency, ordered_milli AS ordered_qty,
       shipped_milli AS shipped_qty, invoiced_milli AS invoiced_qty, order_value,
       shipped_value, invoiced_value, invoiced_value - shipped_value AS difference
FROM lines ORDER BY order_number, line_no
"""


def _dicts(relation: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in relation.description]
    return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]


def reconcile(
    orders: Any,
    shipments: Any,
    invoices: Any,
    tolerances: Tolerances = Tolerances(),
    *,
    with_lines: bool = False,
    threads: int | None = None,
) -> MatchResult:
    """Match the three sides; every discrepancy class with its records and amounts."""
    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        absent: set[str] = set()
        for side, data in (("orders", orders), ("shipments", shipments), ("invoices", invoices)):
            absent |= _register(con, side, data)
        con.execute(_LINES_SQL)
        params = {
            # Salesforce and the ERP are compared only when both views were given.
            "systems": not absent & {"sf_status", "erp_status"},
            "tol": tolerances.price_e4,
            "as_of": tolerances.as_of_day,
            "grace": tolerances.invoice_grace_days,
        }
        classes: dict[str, list[dict[str, Any]]] = {}
        for name, (condition, amount, note) in _LINE_CLASSES.items():
            sql = _DETAIL_SELECT.format(condition=condition, amount=amount, note=note)
            used = {k: v for k, v in params.items() if f"${k}" in sql}
            classes[name] = _dicts(con.execute(sql, used))
        classes["delivered_without_pod"] = _dicts(con.execute(_POD_SQL))
        classes["status_mismatch"] = _dicts(con.execute(_STATUS_SQL))
        summary = _dicts(con.execute(_SUMMARY_SQL))
        lines = _dicts(con.execute(_LINES_SELECT)) if with_lines else None
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
        if name in MONEY_COLUMNS:
            out[name] = to_decimal(value, 2)
        elif name in PRICE_COLUMNS:
            out[name] = to_decimal(value, 4)
        elif name in QTY_COLUMNS:
            out[name] = to_decimal(value, 3)
        else:
            out[name] = value
    return out
