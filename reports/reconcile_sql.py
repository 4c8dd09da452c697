"""The SQL of the three-way match (`reports.reconcile_core`), run by DuckDB over the typed
views `orders`, `shipments` and `invoices`, each with its row positions in `pos`.

One pass (`MATCH`) joins the sides, values and flags every line and totals per currency; the
few lines kept then get their SKU and document numbers by position and are split per class by
the small queries after it.
"""

from __future__ import annotations

# A side whose keys are unique joins as it is; otherwise it is grouped per order line first.
# As given, a line's own row is its reference and its price both bounds (MATCH_AS_GIVEN says
# so, rather than carrying the same column twice through the join).
# Only keys, numbers, the currency and row positions travel through the match. Products stay
# in BIGINT (sums cast back to it, so no HUGEINT reaches pandas as a float): DuckDB raises on
# overflow (a line above 9.2e11 in value), it never wraps.
SHIPMENTS_AS_GIVEN = """
SELECT order_number, line_no, quantity_milli AS shipped_milli,
       $as_of IS NULL OR ship_day <= $as_of - $grace AS due, {one_sided}
       delivered AND NOT COALESCE(has_pod, FALSE) AS pod_missing, pos AS s_pos
FROM shipments
"""
SHIPMENTS_GROUPED = """
SELECT order_number, line_no, SUM(quantity_milli)::BIGINT AS shipped_milli,
       $as_of IS NULL OR MIN(ship_day) <= $as_of - $grace AS due, {one_sided}
       BOOL_OR(delivered AND NOT COALESCE(has_pod, FALSE)) AS pod_missing,
       MIN(pos) AS s_pos, ARG_MIN(pos, shipment_number) AS s_ref
FROM shipments GROUP BY order_number, line_no
"""
INVOICES_AS_GIVEN = """
SELECT order_number, line_no, quantity_milli AS invoiced_milli,
       (quantity_milli * price_e4 + 50000) // 100000 AS invoiced_cents,
       price_e4 AS max_price, currency, pos AS i_pos
FROM invoices
"""
INVOICES_GROUPED = """
SELECT order_number, line_no, SUM(quantity_milli)::BIGINT AS invoiced_milli,
       SUM((quantity_milli * price_e4 + 50000) // 100000)::BIGINT AS invoiced_cents,
       MIN(price_e4) AS min_price, MAX(price_e4) AS max_price, MIN(currency) AS currency,
       MIN(pos) AS i_pos, ARG_MIN(pos, invoice_number) AS i_ref
FROM invoices GROUP BY order_number, line_no
"""

# class -> condition on a matched line; each sets one bit of `flags`, in this order. A term
# about systems a side did not bring is left out rather than evaluated on NULLs: ONE_SIDED
# joins missing_in_system when shipments know the ERP and the 3PL; ONE_SYSTEM joins it, and
# status_mismatch is asked at all, when orders know Salesforce and the ERP.
FLAGS = {
    "missing_in_system": "NOT has_order",
    "quantity_mismatch": "has_order AND ((shipped_milli > 0 AND invoiced_milli > 0"
    " AND shipped_milli <> invoiced_milli) OR shipped_milli > ordered_milli)",
    # Off by more than $tol either way, for some invoice line (min_price <= max_price).
    "price_mismatch": "has_order AND invoiced_milli > 0"
    " AND (max_price - order_price > $tol OR order_price - min_price > $tol)",
    "shipped_not_invoiced": "shipped_milli > 0 AND invoiced_milli = 0"
    " AND due",  # shipped more than the grace days before as_of
    "invoiced_not_shipped": "invoiced_milli > 0 AND shipped_milli = 0",
    "delivered_without_pod": "pod_missing",
    "status_mismatch": "sf_status IS NOT NULL AND erp_status IS NOT NULL"
    " AND sf_status <> erp_status",
}
ONE_SIDED = "one_sided"
# (select item on the shipments, then the matched line's column) with and without both views
ONE_SIDED_GIVEN = ("in_erp <> in_3pl AS one_sided,", "COALESCE(s.one_sided, FALSE)")
ONE_SIDED_GROUPED = ("BOOL_OR(in_erp <> in_3pl) AS one_sided,", "COALESCE(s.one_sided, FALSE)")
ONE_SIDED_UNKNOWN = ("", "FALSE")
ONE_SYSTEM = "(sf_status IS NULL) <> (erp_status IS NULL)"
BITS = {name: 1 << n for n, name in enumerate(FLAGS)}
MATCH_AS_GIVEN = {"s_ref": "s.s_pos", "i_ref": "i.i_pos", "min_price": "i.max_price"}
MATCH_GROUPED = {"s_ref": "s.s_ref", "i_ref": "i.i_ref", "min_price": "i.min_price"}

# Totals per currency, and the flagged lines (every line, with $all) gathered in a list beside
# them: only those few and the totals leave the pass.
MATCH = """
CREATE TEMP TABLE matched AS
WITH s AS ({shipments}), i AS ({invoices}), j AS (
    SELECT COALESCE(o.order_number, s.order_number, i.order_number) AS order_number,
           COALESCE(o.line_no, s.line_no, i.line_no) AS line_no,
           COALESCE(o.currency, i.currency) AS currency,
           o.order_number IS NOT NULL AS has_order,
           COALESCE(o.quantity_milli, 0) AS ordered_milli, o.price_e4 AS order_price,
           COALESCE(s.shipped_milli, 0) AS shipped_milli,
           COALESCE(i.invoiced_milli, 0) AS invoiced_milli,
           COALESCE(i.invoiced_cents, 0)::BIGINT AS invoiced_value,
           {min_price} AS min_price, i.max_price, COALESCE(s.due, FALSE) AS due,
           {one_sided} AS one_sided,
           COALESCE(s.pod_missing, FALSE) AS pod_missing,
           o.pos AS o_pos, s.s_pos, {s_ref} AS s_ref, i.i_pos, {i_ref} AS i_ref, {statuses}
    FROM orders o
    FULL JOIN s ON o.order_number = s.order_number AND o.line_no = s.line_no
    FULL JOIN i ON COALESCE(o.order_number, s.order_number) = i.order_number
               AND COALESCE(o.line_no, s.line_no) = i.line_no
), v AS (
    SELECT *,
           ((ordered_milli * COALESCE(order_price, 0) + 50000) // 100000)::BIGINT AS order_value,
           ((shipped_milli * COALESCE(order_price, max_price, 0) + 50000) // 100000)::BIGINT
               AS shipped_value
    FROM j
), f AS (
    SELECT *, {flags} AS flags FROM v
)
SELECT currency, COUNT(*) AS lines, SUM(order_value)::BIGINT AS order_value,
       SUM(shipped_value)::BIGINT AS shipped_value,
       SUM(invoiced_value)::BIGINT AS invoiced_value,
       LIST({{
           'order_number': order_number, 'line_no': line_no, 'currency': currency,
           'flags': flags, 'has_order': has_order, 'one_sided': one_sided,
           'ordered_milli': ordered_milli, 'order_price': order_price,
           'shipped_milli': shipped_milli, 'invoiced_milli': invoiced_milli,
           'max_price': max_price, 'order_value': order_value, 'shipped_value': shipped_value,
           'invoiced_value': invoiced_value, 'o_pos': o_pos, 's_ref': s_ref, 'i_ref': i_ref
       }}) FILTER (WHERE $all OR flags <> 0) AS kept
FROM f
GROUP BY currency
"""

KEPT = "SELECT UNNEST(kept, recursive := true) FROM matched"
# The looked-up text arrives as the sides gave it; typed as the side views type it, and kept
# in DuckDB once rather than rescanned from pandas by every query after.
KEPT_TABLE = """
CREATE TEMP TABLE kept AS SELECT * REPLACE (
    CAST(sku AS VARCHAR) AS sku, CAST(order_currency AS VARCHAR) AS order_currency,
    CAST(sf_status AS VARCHAR) AS sf_status, CAST(erp_status AS VARCHAR) AS erp_status,
    CAST(shipment AS VARCHAR) AS shipment, CAST(invoice AS VARCHAR) AS invoice)
FROM kept_in
"""
POD_POSITIONS = "SELECT pos FROM shipments WHERE delivered AND NOT COALESCE(has_pod, FALSE)"
POD_VIEW = """
CREATE TEMP VIEW pod AS
SELECT CAST(order_number AS VARCHAR) AS order_number, CAST(line_no AS INTEGER) AS line_no,
       CAST(quantity_milli AS BIGINT) AS quantity_milli,
       CAST(shipment_number AS VARCHAR) AS shipment_number
FROM pod_in
"""

# line class -> (amount in cents, note)
DETAILS = {
    "missing_in_system": (
        "CASE WHEN has_order THEN order_value ELSE GREATEST(invoiced_value, shipped_value) END",
        "CASE WHEN NOT has_order THEN 'no order line for this shipment or invoice'"
        " WHEN one_sided THEN 'shipment known to only one of the ERP and the 3PL'"
        " WHEN sf_status IS NULL THEN 'order not in Salesforce'"
        " ELSE 'order not in the ERP' END",
    ),
    "quantity_mismatch": (
        "CASE WHEN shipped_milli > 0 AND invoiced_milli > 0 AND shipped_milli <> invoiced_milli"
        " THEN invoiced_value - shipped_value"
        " ELSE shipped_value - order_value END",
        "CASE WHEN shipped_milli > ordered_milli THEN 'shipped more than ordered'"
        " ELSE 'invoiced quantity differs from shipped quantity' END",
    ),
    "price_mismatch": (
        "invoiced_value - ((invoiced_milli * order_price + 50000) // 100000)::BIGINT",
        "'invoice unit price differs from the order'",
    ),
    "shipped_not_invoiced": ("shipped_value", "'shipped, no invoice'"),
    "invoiced_not_shipped": ("invoiced_value", "'invoiced, never shipped'"),
}

DETAIL = """
SELECT order_number, line_no, sku, currency, ordered_milli AS ordered_qty,
       shipped_milli AS shipped_qty, invoiced_milli AS invoiced_qty, order_price,
       max_price AS invoice_price, ({amount})::BIGINT AS amount,
       TRIM(COALESCE(shipment, '') || ' ' || COALESCE(invoice, '')) AS reference,
       {note} AS note
FROM kept WHERE flags & {bit} <> 0
ORDER BY order_number, line_no
"""

POD = """
SELECT p.order_number, NULL::INTEGER AS line_no, NULL AS sku,
       ANY_VALUE(k.order_currency) AS currency, NULL::BIGINT AS ordered_qty,
       SUM(p.quantity_milli) AS shipped_qty, NULL::BIGINT AS invoiced_qty,
       NULL::BIGINT AS order_price, NULL::BIGINT AS invoice_price,
       SUM((p.quantity_milli * COALESCE(k.order_price, 0) + 50000) // 100000)::BIGINT
           AS amount,
       p.shipment_number AS reference, 'delivered, no proof of delivery' AS note
FROM pod p
LEFT JOIN kept k ON k.has_order AND k.order_number = p.order_number AND k.line_no = p.line_no
GROUP BY p.order_number, p.shipment_number
ORDER BY p.order_number, p.shipment_number
"""

STATUS = """
SELECT order_number, NULL::INTEGER AS line_no, NULL AS sku, ANY_VALUE(currency) AS currency,
       NULL::BIGINT AS ordered_qty, NULL::BIGINT AS shipped_qty, NULL::BIGINT AS invoiced_qty,
       NULL::BIGINT AS order_price, NULL::BIGINT AS invoice_price,
       SUM(order_value)::BIGINT AS amount, '' AS reference,
       'Salesforce: ' || ANY_VALUE(sf_status) || '; ERP: ' || ANY_VALUE(erp_status) AS note
FROM kept
WHERE flags & {bit} <> 0
GROUP BY order_number
ORDER BY order_number
"""

SUMMARY = """
SELECT currency, lines, order_value, shipped_value, invoiced_value,
       invoiced_value - shipped_value AS difference
FROM matched ORDER BY currency
"""

LINES = """
SELECT order_number, line_no, sku, currency, ordered_milli AS ordered_qty,
       shipped_milli AS shipped_qty, invoiced_milli AS invoiced_qty, order_value,
       shipped_value, invoiced_value, invoiced_value - shipped_value AS difference
FROM kept
ORDER BY order_number, line_no
"""
