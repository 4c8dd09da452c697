"""Order changes: per order line, change quantity, dates, ship-to or ship method; cancel the
line; place or release a hold on the order."""

from __future__ import annotations

from typing import Any

from marshmallow import validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.store.models import Item, Order, OrderLine, ShipTo
from templates_xlsx.fields import Amount, Choice, Code, ExcelDate, Text, WholeNumber
from templates_xlsx.kind import (
    CLOSED_STATUSES,
    CheckContext,
    RowProblem,
    SheetKind,
    SheetSchema,
    Table,
    chunked,
)

ACTIONS = ("change", "cancel", "hold", "release")
EDITABLE = ("quantity", "requested_date", "promised_date", "ship_to", "ship_method")


class OrderChangeSchema(SheetSchema):
    order = Code(
        "Order",
        required=True,
        key=True,
        validate=validate.Length(max=80),
        help="Sales order number as the ERP shows it.",
        example="00000123",
    )
    line = WholeNumber(
        "Line",
        required=True,
        key=True,
        validate=validate.Range(min=1, max=9999),
        help="Line number on the order.",
        width=8,
    )
    action = Choice(
        "Action",
        choices=ACTIONS,
        help="change (or blank): apply the values in this row; cancel: cancel the line; "
        "hold / release: place or release a hold on the whole order.",
        width=10,
    )
    item = Code(
        "Item",
        validate=validate.Length(max=80),
        help="For reference; when filled it must be the line's item.",
    )
    quantity = Amount(
        "Quantity",
        places=4,
        validate=validate.Range(min=0),
        help="New ordered quantity; not below what has already shipped.",
        width=10,
    )
    requested_date = ExcelDate(
        "Requested Date", help="Date the customer wants it; a new date cannot be in the past."
    )
    promised_date = ExcelDate(
        "Promised Date", help="Date we promise; a new date cannot be in the past."
    )
    ship_to = Code(
        "Ship-To",
        validate=validate.Length(max=80),
        help="Address code of one of the order's customer's ship-to addresses.",
        width=10,
    )
    ship_method = Text(
        "Ship Method", validate=validate.Length(max=80), help="Carrier service for the order."
    )


class OrderChanges(SheetKind):
    name = "order_changes"
    version = 1
    title = "Order changes"
    purpose = (
        "Change open order lines in bulk: quantities, requested and promised dates, ship-to, "
        "ship method; cancel lines; place or release holds."
    )
    schema = OrderChangeSchema

    def _load(self, session: Session, orders: list[str]) -> tuple[dict, dict]:
        heads: dict[str, Any] = {}
        lines: dict[tuple[str, int], Any] = {}
        for part in chunked(sorted(set(orders))):
            for row in session.execute(
                select(
                    Order.number,
                    Order.status,
                    Order.customer_number,
                    Order.ship_to_code,
                    Order.ship_method,
                    Order.on_hold,
                ).where(Order.number.in_(part))
            ):
                heads[row.number] = row
            for row in session.execute(
                select(
                    OrderLine.order_number,
                    OrderLine.line_no,
                    OrderLine.sku,
                    OrderLine.quantity,
                    OrderLine.quantity_shipped,
                    OrderLine.status,
                    OrderLine.requested_date,
                    OrderLine.promised_date,
                ).where(OrderLine.order_number.in_(part))
            ):
                lines[(row.order_number, row.line_no)] = row
        return heads, lines

    def current(self, session: Session, rows: list[dict[str, Any]]) -> list[dict | None]:
        heads, lines = self._load(session, [row["order"] for row in rows])
        result: list[dict | None] = []
        for row in rows:
            head, line = heads.get(row["order"]), lines.get((row["order"], row["line"]))
            result.append(None if head is None or line is None else _before(head, line))
        return result

    def changes(self, row: dict[str, Any], before: dict | None) -> dict[str, tuple[Any, Any]]:
        if before is None:
            return {}
        diff = {
            name: (before[name], row[name])
            for name in EDITABLE
            if row.get(name) is not None and _differs(before[name], row[name])
        }
        action = row.get("action") or "change"
        if action == "cancel" and before["status"] != "cancelled":
            diff["status"] = (before["status"], "cancelled")
        if action in ("hold", "release") and before["on_hold"] != (action == "hold"):
            diff["on_hold"] = (before["on_hold"], action == "hold")
        return diff

    def cross_check(self, table: Table, ctx: CheckContext) -> list[RowProblem]:
        cols = table.columns
        good = table.good_indexes()
        heads, lines = self._load(ctx.session, [cols["order"][i] for i in good])
        problems: list[RowProblem] = []
        add = problems.append
        checks: list[tuple[int, Any, Any]] = []
        for i in good:
            order, line_no = cols["order"][i], cols["line"][i]
            head = heads.get(order)
            if head is None:
                add(RowProblem(i, "order", "unknown_order", f"Order {order} was not found."))
                continue
            if head.status in CLOSED_STATUSES:
                add(RowProblem(i, "order", "order_closed", f"Order {order} is {head.status}."))
                continue
            line = lines.get((order, line_no))
            if line is None:
                add(RowProblem(i, "line", "unknown_line", f"Order {order} has no line {line_no}."))
                continue
            if line.status in CLOSED_STATUSES:
                add(RowProblem(i, "line", "line_closed", f"Line {line_no} is {line.status}."))
                continue
            checks.append((i, head, line))
        problems += self._line_checks(checks, cols, ctx)
        return problems

    def _line_checks(self, checks: list, cols: dict, ctx: CheckContext) -> list[RowProblem]:
        problems: list[RowProblem] = []
        add = problems.append
        skus_changed, ship_tos = set(), set()
        for i, head, line in checks:
            item, qty = cols["item"][i], cols["quantity"][i]
            if item is not None and item != line.sku:
                add(RowProblem(i, "item", "item_mismatch", f"Line's item is {line.sku}."))
            if qty is not None and qty != line.quantity:
                skus_changed.add(line.sku)
                if qty < line.quantity_shipped:
                    shipped = _plain(line.quantity_shipped)
                    add(
                        RowProblem(
                            i,
                            "quantity",
                            "below_shipped",
                            f"{shipped} already shipped on this line.",
                        )
                    )
            if cols["action"][i] == "cancel" and line.quantity_shipped > 0:
                add(
                    RowProblem(
                        i, "action", "cancel_shipped", "Part of this line has shipped already."
                    )
                )
            for name in ("requested_date", "promised_date"):
                new = cols[name][i]
                if new is not None and new != getattr(line, name) and new < ctx.today:
                    add(RowProblem(i, name, "date_in_past", f"{new.isoformat()} is in the past."))
            ship_to = cols["ship_to"][i]
            if ship_to is not None and ship_to != head.ship_to_code:
                ship_tos.add((head.customer_number, ship_to))
        inactive = _inactive_skus(ctx.session, skus_changed)
        known = _known_ship_tos(ctx.session, ship_tos)
        for i, head, line in checks:
            qty = cols["quantity"][i]
            if qty is not None and qty != line.quantity and line.sku in inactive:
                add(RowProblem(i, "quantity", "item_inactive", f"Item {line.sku} is inactive."))
            ship_to = cols["ship_to"][i]
            if ship_to is not None and ship_to != head.ship_to_code:
                if (head.customer_number, ship_to) not in known:
                    message = f"Customer {head.customer_number} has no ship-to {ship_to}."
                    add(RowProblem(i, "ship_to", "ship_to_not_customer", message))
        return problems

    def export_rows(self, session: Session, filters: dict[str, str | None]) -> list[dict]:
        query = (
            select(Order, OrderLine)
            .join(OrderLine, OrderLine.order_number == Order.number)
            .where(Order.status.not_in(CLOSED_STATUSES), OrderLine.status.not_in(CLOSED_STATUSES))
            .order_by(Order.number, OrderLine.line_no)
        )
        if filters.get("customer"):
            query = query.where(Order.customer_number == filters["customer"])
        if filters.get("item"):
            query = query.where(OrderLine.sku == filters["item"])
        return [
            {
                "order": head.number,
                "line": line.line_no,
                "action": None,
                "item": line.sku,
                "quantity": line.quantity,
                "requested_date": line.requested_date,
                "promised_date": line.promised_date,
                "ship_to": head.ship_to_code or None,
                "ship_method": head.ship_method or None,
            }
            for head, line in session.execute(query)
        ]

    def work_item(self, row: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        return {
            "order": row["order"],
            "line": row["line"],
            "action": row.get("action") or "change",
            "set": changes,
        }

    def inverse(self, payload: dict[str, Any], before: dict | None) -> dict[str, Any] | None:
        if before is None:
            return None
        undo = {name: before.get(name) for name in payload["set"]}
        action = {"hold": "release", "release": "hold", "cancel": "reopen"}.get(payload["action"])
        return {
            "order": payload["order"],
            "line": payload["line"],
            "action": action or "change",
            "set": undo,
        }


def _before(head: Any, line: Any) -> dict[str, Any]:
    return {
        "item": line.sku,
        "quantity": line.quantity,
        "requested_date": line.requested_date,
        "promised_date": line.promised_date,
        "ship_to": head.ship_to_code or None,
        "ship_method": head.ship_method or None,
        "status": line.status,
        "on_hold": bool(head.on_hold),
    }


def _differs(current: Any, new: Any) -> bool:
    return current is None or current != new


def _plain(number: Any) -> str:
    return format(number.normalize(), "f") if number is not None else ""


def _inactive_skus(session: Session, skus: set[str]) -> set[str]:
    inactive: set[str] = set()
    for part in chunked(sorted(skus)):
        query = select(Item.sku).where(Item.sku.in_(part), Item.active.is_(False))
        inactive.update(session.scalars(query))
    return inactive


def _known_ship_tos(session: Session, pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    known: set[tuple[str, str]] = set()
    customers = sorted({customer for customer, _ in pairs})
    for part in chunked(customers):
        query = select(ShipTo.customer_number, ShipTo.code).where(ShipTo.customer_number.in_(part))
        known.update((row.customer_number, row.code) for row in session.execute(query))
    return known


KIND = OrderChanges()
