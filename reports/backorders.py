"""The backorder list: every line waiting for stock, what it is worth, how long it has waited,
and its place in release_backorders' queue, read from the same rule the job serves by."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.backorder_queue import backorder_queue, backordered, positions
from core.store import models as m
from reports.base import Column, Options, age_days, line_value

NOT_GIVEN = "not given"
NO_WAREHOUSE = "not recorded"
NO_PRIORITY = "none set"

DEFINITION = (
    "Order lines with units backordered (quantity backordered above 0), whatever their status. "
    "Value is the backordered quantity times the line's unit price, to the cent, in the line's "
    "currency. Age is the whole days from the order date to the as-of date (UTC). The warehouse "
    "is the line's location, the one that shipped part of it and is short of the rest; a line "
    "none of whose units shipped yet has none recorded. Expected availability: the store keeps "
    "no expected date (its inventory holds quantities on hand, allocated and available only), "
    "so it reads 'not given'. Queue position is the line's place among the backordered lines "
    "of the same SKU in the order release_backorders gives them new stock "
    "(flows.backorder_release_rule: customer priority, lower first and none set last, then "
    "order date, order number and line), computed by the job's own code; lines of an order "
    "on hold or not released by the ERP do not wait in the queue and say so."
)

COLUMNS = (
    Column("order_number", "Order"),
    Column("line_no", "Line", "count"),
    Column("customer", "Customer"),
    Column("customer_name", "Customer name"),
    Column("priority", "Customer priority", "count"),
    Column("sku", "SKU"),
    Column("backordered", "Quantity backordered", "qty"),
    Column("value", "Value", "money"),
    Column("currency", "Currency"),
    Column("order_date", "Order date", "date"),
    Column("age_days", "Age (days)", "count"),
    Column("warehouse", "Warehouse short"),
    Column("expected", "Expected availability"),
    Column("position", "Queue position", "count"),
)


def _not_queued(order: m.Order) -> str:
    if order.on_hold:
        return "not queued: order on hold"
    return f"not queued: order {order.status}"


def _row(line: m.OrderLine, order: m.Order, customer: m.Customer | None, place: int | None,
         options: Options) -> dict[str, Any]:  # fmt: skip
    return {
        "order_number": order.number,
        "line_no": line.line_no,
        "customer": order.customer_number,
        "customer_name": customer.name if customer else "",
        "priority": (customer.priority if customer else 0) or NO_PRIORITY,
        "sku": line.sku,
        "backordered": line.quantity_backordered,
        "value": line_value(line.quantity_backordered, line.unit_price),
        "currency": line.currency or order.currency,
        "order_date": order.order_date,
        "age_days": age_days(order.order_date, options.as_of),
        "warehouse": line.location or NO_WAREHOUSE,
        "expected": NOT_GIVEN,
        "position": place if place is not None else _not_queued(order),
    }


def rows(session: Session, options: Options) -> list[dict[str, Any]]:
    """One row per backordered line, by SKU and then queue position (unqueued lines last)."""
    places = positions(backorder_queue(session, options.release_rule))
    found = backordered(session)
    numbers = {order.customer_number for _, order in found}
    query = select(m.Customer).where(m.Customer.number.in_(numbers))
    customers = {customer.number: customer for customer in session.scalars(query)}
    ranked = []
    for line, order in found:
        place = places.get((order.number, line.line_no))
        key = (line.sku, place is None, place or 0, order.number, line.line_no)
        customer = customers.get(order.customer_number)
        ranked.append((key, _row(line, order, customer, place, options)))
    return [row for _, row in sorted(ranked, key=lambda pair: pair[0])]
