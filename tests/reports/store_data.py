"""Small hand-built order books for the report tests: customers, orders and their lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from core.store import models as m
from core.store import session_scope

AS_OF = date(2026, 12, 1)
SRC = {"source_key": "x"}


def add_customers(url: str, *customers: tuple[str, str, int]) -> None:
    """(number, name, priority) each."""
    with session_scope(url) as session:
        for number, name, priority in customers:
            session.add(
                m.Customer(
                    number=number, name=name, priority=priority, source_system="netsuite", **SRC
                )
            )


def add_order(url: str, number: str, customer: str, age: int | None, *lines: dict[str, Any],
              source: str = "netsuite", **order: Any) -> None:  # fmt: skip
    """An order dated `age` days before AS_OF, its lines numbered from 1; a line's keys
    override a 10 x 5.00 USD open line of SKU A."""
    ordered = None if age is None else date.fromordinal(AS_OF.toordinal() - age)
    with session_scope(url) as session:
        session.add(
            m.Order(
                number=number,
                customer_number=customer,
                order_date=ordered,
                source_system=source,
                **SRC,
                **order,
            )  # fmt: skip
        )
        for line_no, line in enumerate(lines, start=1):
            values = {"sku": "A", "quantity": Decimal(10), "unit_price": Decimal("5.00"),
                      "currency": "USD", **line}  # fmt: skip
            session.add(m.OrderLine(order_number=number, line_no=line_no, **values))
