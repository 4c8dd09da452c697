"""The order in which backordered lines wait for stock: release_backorders serves them in it and
the backorder report shows each line's place in it, so both read this one rule.

A line waits in its SKU's queue when it has units backordered and its order is released to the
warehouse (an ERP status in RELEASED, not on hold). `flows.backorder_release_rule` ranks it:
customer priority (lower first, none set last), then order date (none last), order number and
line number; or, under "order_date", the order date alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.store import models as m

# ERP statuses under which an order's lines may go to the warehouse.
RELEASED = ("open", "partially_shipped", "in_progress")
NO_PRIORITY = 10**6
ORDER_DATE_RULE = "order_date"


@dataclass(frozen=True)
class Waiting:
    """A backordered line, its order and its customer's priority (NO_PRIORITY when none)."""

    line: m.OrderLine
    order: m.Order
    priority: int


def rank(rule: str, priority: int, ordered: date | None, number: str, line_no: int) -> tuple:
    """A line's sort key in its SKU's queue under `rule`."""
    by_date = (ordered or date.max, number, line_no)
    if rule == ORDER_DATE_RULE:
        return by_date
    return (priority, *by_date)


def queued(order: m.Order) -> bool:
    """Whether the order's backordered lines wait in the queue at all."""
    return order.status in RELEASED and not order.on_hold


def customer_priorities(session: Session, numbers: Iterable[str]) -> dict[str, int]:
    """Customer priority from the store; lower is served first, 0 means none set."""
    rows = session.execute(
        select(m.Customer.number, m.Customer.priority).where(m.Customer.number.in_(set(numbers)))
    ).all()
    return {number: priority for number, priority in rows if priority}


def backordered(session: Session, sku: str | None = None) -> list[tuple[m.OrderLine, m.Order]]:
    """Every line with units backordered (of one SKU, or all), with its order."""
    query = (
        select(m.OrderLine, m.Order)
        .join(m.Order, m.Order.number == m.OrderLine.order_number)
        .where(m.OrderLine.quantity_backordered > 0)
    )
    if sku is not None:
        query = query.where(m.OrderLine.sku == sku)
    return [(line, order) for line, order in session.execute(query).all()]


def backorder_queue(session: Session, rule: str, sku: str | None = None) -> list[Waiting]:
    """The lines waiting for stock, in the order they are served (SKUs mixed when `sku` is
    None: a line's place is among the lines of its own SKU, see `positions`)."""
    rows = [(line, order) for line, order in backordered(session, sku) if queued(order)]
    priorities = customer_priorities(session, {order.customer_number for _, order in rows})
    waiting = [
        Waiting(line, order, priorities.get(order.customer_number) or NO_PRIORITY)
        for line, order in rows
    ]
    return sorted(
        waiting,
        key=lambda w: rank(rule, w.priority, w.order.order_date, w.order.number, w.line.line_no),
    )


def positions(queue: Iterable[Waiting]) -> dict[tuple[str, int], int]:
    """Each queued line's place (1 first) in its SKU's queue, by (order number, line number)."""
    seen: dict[str, int] = {}
    places: dict[tuple[str, int], int] = {}
    for waiting in queue:
        seen[waiting.line.sku] = seen.get(waiting.line.sku, 0) + 1
        places[(waiting.order.number, waiting.line.line_no)] = seen[waiting.line.sku]
    return places
