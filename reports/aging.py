"""Open-order aging: what customers ordered and have not yet been sent, by how long it has
waited since the order date, per customer, warehouse, line status, channel and currency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.store import models as m
from reports.base import Column, Options, age_days, line_value

# Line statuses the flow jobs set when a line will not ship (push_fulfillments: "cancelled"
# when the ERP closed or cancelled it); order statuses the ERPs report for a finished order.
CLOSED_LINE = ("cancelled", "closed")
CLOSED_ORDER = ("cancelled", "closed")
# Where an order came from, by the system the store copied it from (Order.source_system).
CHANNELS = {"salesforce": "Salesforce", "netsuite": "ERP", "sap": "ERP", "edi": "EDI"}
NO_WAREHOUSE = "not assigned"
NO_DATE = "no order date"

DEFINITION = (
    "Open order lines by age. A line is open when neither it nor its order is cancelled or "
    "closed and some of it is not yet shipped (quantity minus quantity shipped above 0); "
    "backordered, released and drop-ship lines still waiting are open. Age is the whole days "
    "from the order date to the as-of date (UTC); orders dated after it are left out and lines "
    "without an order date are shown as 'no order date'. Buckets are 0-7, 8-14, 15-30, 31-60, "
    "61-90 and more than 90 days unless reports.aging_buckets sets other edges; a line aged "
    "exactly an edge falls in the bucket that ends there. Rows group lines by customer, "
    "warehouse (the line's location; 'not assigned' before a warehouse takes it), line status, "
    "channel (Salesforce, ERP, EDI: the system the order came from) and currency. Open value is "
    "the open quantity times the line's unit price, to the cent, in the line's currency (the "
    "order's when the line has none); different currencies are never added together."
)

COLUMNS = (
    Column("customer", "Customer"),
    Column("customer_name", "Customer name"),
    Column("warehouse", "Warehouse"),
    Column("status", "Line status"),
    Column("channel", "Channel"),
    Column("bucket", "Age (days)"),
    Column("currency", "Currency"),
    Column("lines", "Open lines", "count"),
    Column("open_quantity", "Open quantity", "qty"),
    Column("open_value", "Open value", "money"),
)
GROUP = ("customer", "customer_name", "warehouse", "status", "channel", "bucket", "currency")


@dataclass(frozen=True)
class OpenLine:
    order_number: str
    line_no: int
    customer: str
    customer_name: str
    warehouse: str
    status: str
    channel: str
    age: int | None
    currency: str
    open_quantity: Decimal
    open_value: Decimal


def bucket_labels(edges: Sequence[int]) -> list[str]:
    """'0-7', '8-14', ..., '90+' for edges 7, 14, ..., 90."""
    starts = [0, *(edge + 1 for edge in edges[:-1])]
    return [f"{start}-{edge}" for start, edge in zip(starts, edges, strict=True)] + [
        f"{edges[-1]}+"
    ]


def bucket_index(age: int, edges: Sequence[int]) -> int:
    """The bucket of an age in days: the first whose edge it does not pass."""
    return next((n for n, edge in enumerate(edges) if age <= edge), len(edges))


def channel(source_system: str) -> str:
    return CHANNELS.get(source_system, source_system or "unknown")


def open_lines(session: Session, as_of: date) -> list[OpenLine]:
    """Every open order line ordered on or before `as_of`, with its age on that day."""
    query = (
        select(m.OrderLine, m.Order, m.Customer.name)
        .join(m.Order, m.Order.number == m.OrderLine.order_number)
        .outerjoin(m.Customer, m.Customer.number == m.Order.customer_number)
        .where(
            m.OrderLine.status.not_in(CLOSED_LINE),
            m.Order.status.not_in(CLOSED_ORDER),
            m.OrderLine.quantity > m.OrderLine.quantity_shipped,
        )
    )
    found = []
    for line, order, name in session.execute(query).all():
        if order.order_date is not None and order.order_date > as_of:
            continue
        quantity = line.quantity - line.quantity_shipped
        found.append(
            OpenLine(
                order_number=order.number,
                line_no=line.line_no,
                customer=order.customer_number,
                customer_name=name or "",
                warehouse=line.location or NO_WAREHOUSE,
                status=line.status,
                channel=channel(order.source_system),
                age=age_days(order.order_date, as_of),
                currency=line.currency or order.currency,
                open_quantity=quantity,
                open_value=line_value(quantity, line.unit_price),
            )
        )
    return found


def rows(session: Session, options: Options) -> list[dict[str, Any]]:
    """The aging table: one row per customer, warehouse, status, channel, bucket, currency."""
    edges = options.aging_buckets
    labels = [*bucket_labels(edges), NO_DATE]
    groups: dict[tuple, dict[str, Any]] = {}
    for line in open_lines(session, options.as_of):
        index = len(labels) - 1 if line.age is None else bucket_index(line.age, edges)
        values = {**asdict(line), "bucket": labels[index]}
        key = (*(values[name] for name in GROUP[:5]), index, line.currency)
        row = groups.setdefault(key, {name: values[name] for name in GROUP})
        row["lines"] = row.get("lines", 0) + 1
        row["open_quantity"] = row.get("open_quantity", 0) + line.open_quantity
        row["open_value"] = row.get("open_value", 0) + line.open_value
    return [groups[key] for key in sorted(groups)]
