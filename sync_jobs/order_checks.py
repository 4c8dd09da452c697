"""The checks every new order passes before it reaches the ERP, whichever channel brought it
(Salesforce, EDI): its customer and ship-to known there, every line's item known and active,
its price within flows.price_tolerance_percent of the price list at the best quantity break
reached that day. A channel that can create a missing customer (Salesforce, from its account)
hands in how to find one; the others require the ERP to have it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import records as rec
from core.errors import RecordRejectedError, TransientError
from core.store import models as m
from core.store import session_scope
from sync_jobs.flows_common import FlowSettings, bound

EPOCH = date(2000, 1, 1)


class OrderChecks:
    def __init__(
        self,
        url: str,
        erp: Any,
        erp_system: str,
        flows: FlowSettings,
        account: Callable[[str], Any] | None = None,
    ) -> None:
        self.url, self.erp, self.erp_system, self.flows = url, erp, erp_system, flows
        # The channel's own record of a customer or ship-to the ERP lacks, to create it from.
        self.account = account or (lambda key: None)

    def problems(self, order: rec.Order) -> list[str]:
        with session_scope(self.url) as session:
            customer = session.scalars(
                select(m.Customer).filter_by(number=order.customer_number)
            ).first()
            problems = self._parties(session, order, customer)
            # A customer still to be created is priced at its channel account's level.
            source = customer or self.account(order.customer_number)
            level = source.price_level if source else ""
            for line in order.lines:
                problems += self._line(session, order, line, level)
        return problems

    def ship_tos_apart(self) -> bool:
        """Whether the ERP keeps ship-tos as their own records (NetSuite's address book). SAP's
        ship-to is a partner the order names; SAP itself refuses one it does not know."""
        return "ship_to" in self.erp.reads

    def _parties(self, session: Session, order: rec.Order, customer: Any) -> list[str]:
        if customer is not None and not customer.active:
            return [f"customer {order.customer_number} is inactive in the ERP"]
        if customer is None and not self._can_create(session, order.customer_number):
            return [f"customer {order.customer_number} is not in the ERP"]
        if not self.ship_tos_apart():
            return []
        ship_to = session.scalars(
            select(m.ShipTo).filter_by(
                customer_number=order.customer_number, code=order.ship_to_code
            )
        ).first()
        if order.ship_to_code and ship_to is None and not self.account(order.ship_to_code):
            return [f"ship-to {order.ship_to_code} is not in the ERP"]
        return []

    def _can_create(self, session: Session, number: str) -> bool:
        if bound(session, "customer", self.erp_system, number):
            return True
        if self.erp.read("customer", [number]):
            return True
        return self.flows.create_missing_customers and self.account(number) is not None

    def _line(
        self, session: Session, order: rec.Order, line: rec.OrderLine, level: str
    ) -> list[str]:
        where = f"line {line.line_no} SKU {line.sku}"
        item = session.scalars(select(m.Item).filter_by(sku=line.sku)).first()
        if item is None:
            return [f"{where}: unknown SKU, not in the ERP's item master"]
        if not item.active:
            return [f"{where}: the item is inactive in the ERP"]
        listed = list_price(session, line.sku, level, order, line.quantity.value)
        if listed is None:
            return [f"{where}: no list price for {level or 'the base level'} in {order.currency}"]
        asked = line.unit_price.amount
        off = (asked - listed) / listed * 100 if listed else Decimal("100")
        if abs(off) > self.flows.price_tolerance_percent:
            side = "above" if off > 0 else "below"
            return [
                f"{where}: price {asked} is {abs(off):.1f}% {side} the list price {listed:.2f} "
                f"(tolerance {self.flows.price_tolerance_percent}%)"
            ]
        return []


def list_price(
    session: Session, sku: str, level: str, order: rec.Order, quantity: Decimal
) -> Decimal | None:
    """The price list's unit price at the best quantity break reached, effective that day."""
    day = order.order_date
    entries = session.scalars(
        select(m.PriceListEntry).filter_by(sku=sku, price_level=level, currency=order.currency)
    ).all()
    usable = [
        e
        for e in entries
        if e.min_quantity <= quantity
        and (day is None or e.effective_from is None or e.effective_from <= day)
        and (day is None or e.effective_to is None or day <= e.effective_to)
    ]
    if not usable:
        return None
    best = max(usable, key=lambda e: (e.min_quantity, e.effective_from or EPOCH))
    return best.unit_price


def refusal(result: Any, system: str, key: str, hint: str) -> TransientError | RecordRejectedError:
    """The error for an order the ERP did not take: passing (a lock, a lost reply) or the
    order's own, with the ERP's code and class."""
    if result.transient:
        return TransientError(result.message, system=system, key=key)
    return RecordRejectedError(
        result.message or "the ERP refused the order",
        system=system,
        key=key,
        code=result.code,
        error_class=result.error_class,
        hint=hint,
    )


def is_missing(problems: list[str]) -> bool:
    """Whether a refusal is for something missing (the error queue's class), not a value."""
    return any("unknown" in p or "not in the ERP" in p for p in problems)
