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
SELECT order_number, line_no, quantity_milli AS shipped_milli, ship_day AS first_ship_day,
       {one_sided} AS one_sided, delivered AND NOT COALESCE(has_pod, FALSE) AS pod_missing,
       pos AS s_pos
FROM shipments
"""
SHIPMENTS_GROUPED = """
SELECT order_number, line_no, SUM(quantity_milli)::BIGINT AS shipped_milli,
       MIN(ship_day) AS first_ship_day, {one_sided} AS one_sided,
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

# class -> condition on a matched line; each sets one bit of `flags`, in this order.
FLAGS = {
    "missing_in_system": "NOT has_order OR one_sided"
    " OR (sf_status IS NULL) <> (erp_status IS NULL)",
    "quantity_mismatch": "has_order AND ((shipped_milli > 0 AND invoiced_milli > 0"
    " AND shipped_milli <> invoiced_milli) OR shipped_milli > ordered_milli)",
    "price_mismatch": "has_order AND invoiced_milli > 0 AND (ABS(max_price - order_price) > $tol"
    " OR ABS(min_price - order_price) > $tol)",
    "shipped_not_invoiced": "shipped_milli > 0 AND invoiced_milli = 0"
    " AND ($as_of IS NULL OR first_ship_day <= $as_of - $grace)",
    "invoiced_not_shipped": "invoiced_milli > 0 AND shipped_milli = 0",
    "delivered_without_pod": "pod_missing",
    "status_mismatch": "sf_status IS NOT NULL AND erp_status IS NOT NULL"
    " AND sf_status <> erp_status",
}
BITS = {name: 1 << n for n, name in enumerate(FLAGS)}
MATCH_AS_GIVEN = {"s_ref": "s.s_pos", "i_ref": "i.i_pos", "min_price": "i.max_price"}
MATCH_GROUPED = {"s_ref": "s.s_ref", "i_ref": "i.i_ref", "min_price": "i.min_price"}

# A line flagged (or every line, with $all) is its own group, keyed by its row positions; the
# others fold into one group per currency, so only the kept lines and the totals leave.
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
           {min_price} AS min_price, i.max_price, s.first_ship_day,
           COALESCE(s.one_sided, FALSE) AS one_sided,
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
), k AS (
    SELECT *, $all OR flags <> 0 AS keep FROM f
)
SELECT currency, keep, COUNT(*) AS lines, SUM(order_value)::BIGINT AS order_value,
       SUM(shipped_value)::BIGINT AS shipped_value,
       SUM(invoiced_value)::BIGINT AS invoiced_value,
       ANY_VALUE(order_number) AS order_number, ANY_VALUE(line_no) AS line_no,
       ANY_VALUE(flags) AS flags, ANY_VALUE(has_order) AS has_order,
       ANY_VALUE(one_sided) AS one_sided, ANY_VALUE(ordered_milli) AS ordered_milli,
       ANY_VALUE(order_price) AS order_price, ANY_VALUE(shipped_milli) AS shipped_milli,
       ANY_VALUE(invoiced_milli) AS invoiced_milli, ANY_VALUE(max_price) AS max_price,
       ANY_VALUE(o_pos) AS o_pos, ANY_VALUE(s_ref) AS s_ref, ANY_VALUE(i_ref) AS i_ref
FROM k
GROUP BY currency, keep, CASE WHEN keep THEN o_pos END, CASE WHEN keep THEN s_pos END,
         CASE WHEN keep THEN i_pos END
"""

KEPT = "SELECT * EXCLUDE (keep, lines) FROM matched WHERE keep"
# The looked-up text arrives as the sides gave it; typed as the side views type it.
KEPT_VIEW = """
CREATE TEMP VIEW kept AS SELECT * REPLACE (
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
SELECT currency, SUM(lines)::BIGINT AS lines, SUM(order_value)::BIGINT AS order_value,
       SUM(shipped_value)::BIGINT AS shipped_value,
       SUM(invoiced_value)::BIGINT AS invoiced_value,
       (SUM(invoiced_value) - SUM(shipped_value))::BIGINT AS difference
FROM matched GROUP BY currency ORDER BY currency
"""

LINES = """
SELECT order_number, line_no, sku, currency, ordered_milli AS ordered_qty,
       shipped_milli AS shipped_qty, invoiced_milli AS invoiced_qty, order_value,
       shipped_value, invoiced_value, invoiced_value - shipped_value AS difference
FROM kept
ORDER BY order_number, line_no
"""
