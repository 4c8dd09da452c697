"""Order changes: per order line, change quantity, dates, ship-to or ship method; cancel the
line; place or release a hold on the order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from itertools import compress, count, repeat
from operator import eq, itemgetter, ne
from typing import Any

from marshmallow import validate
from sqlalchemy import select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from core import records as rec
from core.errors import RecordRejectedError
from core.store.models import Item, Order, OrderLine, ShipTo
from templates_xlsx.fields import Amount, Choice, Code, ExcelDate, Text, WholeNumber
from templates_xlsx.kind import (
    CLOSED_STATUSES,
    Change,
    CheckContext,
    RowProblem,
    SheetKind,
    SheetSchema,
    Table,
    among,
    chunked,
    jsonable,
)
from templates_xlsx.posting import day, money

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
    # Posting: the whole sales order is sent with the line changed.
    entity = "order"
    erps = frozenset({"netsuite", "sap"})

    def typed_key(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {"order": payload["order"], "line": int(payload["line"])}

    def change(self, session: Session, payload: dict[str, Any], erp: str, today: date) -> Change:
        return _order_change(session, payload, erp, today)

    def same_record(self, ours: Any, theirs: Any) -> bool:
        if theirs is None:
            return False
        mine = {(line.line_no, line.quantity.value, line.status) for line in ours.lines}
        their = {(line.line_no, line.quantity.value, line.status) for line in theirs.lines}
        return mine == their and theirs.on_hold == ours.on_hold

    def _load(self, session: Session, orders: list[str]) -> tuple[dict, dict]:
        """Plain tuples, (status, customer, ship-to, method, hold) per order and
        (sku, quantity, shipped, status, requested, promised) per line, in one query each:
        100,000 lines load several times faster through the connection than as ORM rows,
        and converting whole columns of them (each distinct value once) beats row by row."""
        connection = session.connection()
        wanted = sorted(set(orders))
        head_columns = (Order.status, Order.customer_number, Order.ship_to_code)
        heads_query = select(Order.number, *head_columns, Order.ship_method, Order.on_hold)
        heads = {
            row[0]: row[1:]
            for row in _fetch(connection, heads_query.where(among(session, Order.number, wanted)))
        }
        lines_query = select(
            OrderLine.order_number,
            OrderLine.line_no,
            OrderLine.sku,
            raw(OrderLine.quantity),
            raw(OrderLine.quantity_shipped),
            OrderLine.status,
            raw(OrderLine.requested_date),
            raw(OrderLine.promised_date),
        ).where(among(session, OrderLine.order_number, sorted(heads)))
        rows = _fetch(connection, lines_query) if heads else []
        if not rows:
            return heads, {}
        order, number, sku, qty, shipped, status, asked, due = zip(*rows, strict=True)
        values = zip(sku, _qtys(qty), _qtys(shipped), status, _days(asked), _days(due), strict=True)
        return heads, dict(zip(zip(order, number, strict=True), values, strict=True))

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
            if row.get(name) is not None and before[name] != row[name]
        }
        action = row.get("action") or "change"
        if action == "cancel" and before["status"] != "cancelled":
            diff["status"] = (before["status"], "cancelled")
        if action in ("hold", "release") and before["on_hold"] != (action == "hold"):
            diff["on_hold"] = (before["on_hold"], action == "hold")
        return diff

    def cross_check(self, table: Table, ctx: CheckContext) -> list[RowProblem]:
        good = table.good_indexes()
        rows = table.columns
        if len(good) < len(table):
            rows = {name: _take(values, good) for name, values in rows.items()}
        found = _Found.load(ctx.session, rows["order"], rows["line"])
        problems, shut = _existence_checks(found, rows)
        problems += _line_checks(found, rows, shut, ctx)
        for problem in problems:
            problem.index = good[problem.index]
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


@dataclass
class _Found:
    """The store's order and line values aligned with the checked rows (position k is the
    k-th row; None where the order or line is missing). Quantities stay as the driver
    returns them until a check converts them; stored dates are read only for the rows
    whose new date is in the past."""

    status: Sequence[Any]
    customer: Sequence[Any]
    ship_to: Sequence[Any]
    sku: Sequence[Any]
    quantity: Sequence[Any]
    shipped: Sequence[Any]
    line_status: Sequence[Any]

    @classmethod
    def load(cls, session: Session, orders: Sequence[str], numbers: Sequence[int]) -> _Found:
        """One query for the orders, one for their lines in (order, line) order."""
        connection = session.connection()
        heads_query = select(
            Order.number, Order.status, Order.customer_number, Order.ship_to_code
        ).where(among(session, Order.number, sorted(set(orders))))
        heads = _fetch(connection, heads_query)
        lines_query = select(
            OrderLine.order_number,
            OrderLine.line_no,
            OrderLine.sku,
            raw(OrderLine.quantity),
            raw(OrderLine.quantity_shipped),
            OrderLine.status,
        )
        wanted = among(session, OrderLine.order_number, sorted({row[0] for row in heads}))
        lines_query = lines_query.where(wanted).order_by(OrderLine.order_number, OrderLine.line_no)
        lines = _fetch(connection, lines_query) if heads else []
        return cls(*_aligned(heads, 4, [orders]), *_aligned(lines, 6, [orders, numbers]))


def _aligned(rows: list[tuple], width: int, keys: list[Sequence[Any]]) -> list[Sequence[Any]]:
    """The non-key columns of `rows` (each `width` wide, unique on its first len(keys)
    columns), reordered to follow the key columns `keys`; a key without a row gets None in
    every column. A result already in the sheet's order, with every key found, is used as
    it is: whole-column comparisons in C, no dict."""
    stored = list(zip(*rows, strict=True)) or [()] * width
    if all(map(_equal, stored, keys)):
        return stored[len(keys) :]
    row_keys = stored[0] if len(keys) == 1 else zip(*stored[: len(keys)], strict=True)
    position = dict(zip(row_keys, count(), strict=False))
    wanted = keys[0] if len(keys) == 1 else zip(*keys, strict=True)
    positions = list(map(position.get, wanted, repeat(len(rows))))
    return [_take((*column, None), positions) for column in stored[len(keys) :]]


def _equal(stored: tuple, wanted: Sequence[Any]) -> bool:
    return len(stored) == len(wanted) and stored == tuple(wanted)


def _take(values: Sequence[Any], positions: list[int]) -> Sequence[Any]:
    if len(positions) < 2:
        return [values[k] for k in positions]
    return itemgetter(*positions)(values)


def _where(flags: Iterable[Any]) -> list[int]:
    return list(compress(count(), flags))


def _existence_checks(found: _Found, rows: dict) -> tuple[list[RowProblem], set[int]]:
    """Rows whose order or line is missing or closed; those skip the other checks."""
    shut = CLOSED_STATUSES | {None}
    orders, numbers = rows["order"], rows["line"]
    problems = []
    for k in sorted(
        {*_where(map(shut.__contains__, found.status))}.union(
            _where(map(shut.__contains__, found.line_status))
        )
    ):
        status, line_status = found.status[k], found.line_status[k]
        if status is None:
            problems.append(
                RowProblem(k, "order", "unknown_order", f"Order {orders[k]} was not found.")
            )
        elif status in CLOSED_STATUSES:
            problems.append(
                RowProblem(k, "order", "order_closed", f"Order {orders[k]} is {status}.")
            )
        elif line_status is None:
            message = f"Order {orders[k]} has no line {numbers[k]}."
            problems.append(RowProblem(k, "line", "unknown_line", message))
        else:
            problems.append(
                RowProblem(k, "line", "line_closed", f"Line {numbers[k]} is {line_status}.")
            )
    return problems, {p.index for p in problems}


def _line_checks(found: _Found, rows: dict, shut: set[int], ctx: CheckContext) -> list[RowProblem]:
    """Each rule as a whole-column comparison that yields candidate rows; only those are
    looked at one by one, and messages are built only for rows that fail."""
    item, sku = rows["item"], found.sku
    problems = [
        RowProblem(k, "item", "item_mismatch", f"The line's item is {sku[k]}.")
        for k in _where(map(ne, item, sku))
        if item[k] is not None and k not in shut
    ]
    problems += _quantity_checks(found, rows, shut, ctx)
    action, shipped = rows["action"], found.shipped
    problems += [
        RowProblem(k, "action", "cancel_shipped", "Part of this line has shipped already.")
        for k in _where(map(eq, action, repeat("cancel")))
        if k not in shut and _qty(shipped[k]) > 0
    ]
    return problems + _date_checks(rows, shut, ctx) + _ship_to_checks(found, rows, shut, ctx)


def _date_checks(rows: dict, shut: set[int], ctx: CheckContext) -> list[RowProblem]:
    """A new date in the past is an error unless it is the line's date already; the
    stored dates are read for those few rows only."""
    past = {
        name: [
            k
            for k, value in enumerate(rows[name])
            if value is not None and value < ctx.today and k not in shut
        ]
        for name in ("requested_date", "promised_date")
    }
    if not any(past.values()):
        return []
    stored = _stored_dates(ctx.session, [rows["order"][k] for ks in past.values() for k in ks])
    problems = []
    for position, (name, ks) in enumerate(past.items()):
        new = rows[name]
        problems += [
            RowProblem(k, name, "date_in_past", f"{new[k].isoformat()} is in the past.")
            for k in ks
            if new[k] != stored[(rows["order"][k], rows["line"][k])][position]
        ]
    return problems


def _stored_dates(session: Session, orders: list[str]) -> dict[tuple[str, int], tuple]:
    """(requested, promised) per (order, line) of these orders."""
    query = select(
        OrderLine.order_number,
        OrderLine.line_no,
        raw(OrderLine.requested_date),
        raw(OrderLine.promised_date),
    ).where(among(session, OrderLine.order_number, sorted(set(orders))))
    return {
        (order, line): (_day(asked), _day(due))
        for order, line, asked, due in _fetch(session.connection(), query)
    }


def _quantity_checks(
    found: _Found, rows: dict, shut: set[int], ctx: CheckContext
) -> list[RowProblem]:
    qty, shipped = rows["quantity"], _qtys(found.shipped)
    changed = [
        k
        for k in _where(map(ne, qty, _qtys(found.quantity)))
        if qty[k] is not None and k not in shut
    ]
    problems = [
        RowProblem(k, "quantity", "below_shipped", f"{_plain(shipped[k])} already shipped.")
        for k in changed
        if qty[k] < shipped[k]
    ]
    sku = found.sku
    inactive = _inactive_skus(ctx.session, set(_take(sku, changed)))
    return problems + [
        RowProblem(k, "quantity", "item_inactive", f"Item {sku[k]} is inactive.")
        for k in changed
        if sku[k] in inactive
    ]


def _ship_to_checks(
    found: _Found, rows: dict, shut: set[int], ctx: CheckContext
) -> list[RowProblem]:
    ship_to, customer = rows["ship_to"], found.customer
    moved = [
        k
        for k in _where(map(ne, ship_to, found.ship_to))
        if ship_to[k] is not None and k not in shut
    ]
    pairs = list(zip(_take(customer, moved), _take(ship_to, moved), strict=True))
    known = _known_ship_tos(ctx.session, set(pairs))
    return [
        RowProblem(
            k,
            "ship_to",
            "ship_to_not_customer",
            f"Customer {customer[k]} has no ship-to {ship_to[k]}.",
        )
        for k, pair in zip(moved, pairs, strict=True)
        if pair not in known
    ]


def _fetch(connection: Any, query: Any) -> list[tuple]:
    """Rows as the driver's tuples: building SQLAlchemy Row objects for 100,000 lines costs
    more than the query; every column here is a plain or raw() one, so nothing is lost."""
    result = connection.execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def raw(column: Any) -> Any:
    """The driver's value, without SQLAlchemy's per-row conversion (slow on SQLite: dates
    come back as text, numbers as floats); _day and _qty convert them for both stores."""
    return type_coerce(column, NullType())


def _days(values: tuple) -> list[date | None]:
    days = {value: _day(value) for value in set(values)}
    return list(map(days.__getitem__, values))


def _qtys(values: tuple) -> list[Decimal]:
    """_qty of each; 10 and 10.0 are one dict key, so mixed ints and floats go one by one."""
    if {int, float} <= set(map(type, values)):
        return list(map(_qty, values))
    quantities = {value: _qty(value) for value in set(values)}
    return list(map(quantities.__getitem__, values))


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _qty(value: Any) -> Decimal:
    if isinstance(value, float):
        return Decimal(repr(value))
    return value if isinstance(value, Decimal) else Decimal(value or 0)


def _before(head: tuple, line: tuple) -> dict[str, Any]:
    return {
        "item": line[0],
        "quantity": line[1],
        "requested_date": line[4],
        "promised_date": line[5],
        "ship_to": head[2] or None,
        "ship_method": head[3] or None,
        "status": line[3],
        "on_hold": bool(head[4]),
    }


def _plain(number: Any) -> str:
    return format(number.normalize(), "f") if number is not None else ""


def _inactive_skus(session: Session, skus: set[str]) -> set[str]:
    inactive: set[str] = set()
    for part in chunked(sorted(skus), 5000):
        query = select(Item.sku).where(Item.sku.in_(part), Item.active.is_(False))
        inactive.update(session.scalars(query))
    return inactive


def _known_ship_tos(session: Session, pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    known: set[tuple[str, str]] = set()
    customers = sorted({customer for customer, _ in pairs})
    for part in chunked(customers, 5000):
        query = select(ShipTo.customer_number, ShipTo.code).where(ShipTo.customer_number.in_(part))
        known.update((row.customer_number, row.code) for row in session.execute(query))
    return known


LINE_FIELDS = {"quantity": money, "requested_date": day, "promised_date": day}
HEAD_FIELDS = {"ship_to": "ship_to_code", "ship_method": "ship_method"}
REOPEN = {"reopen": "open"}


def _order_change(session: Session, payload: dict, erp: str, today: date) -> Change:
    """The whole sales order is sent with the row's line (or head) changed."""
    number, line_no = payload["order"], int(payload["line"])
    head = session.scalars(select(Order).where(Order.number == number)).first()
    lines = session.scalars(
        select(OrderLine).where(OrderLine.order_number == number).order_by(OrderLine.line_no)
    ).all()
    if head is None or not any(line.line_no == line_no for line in lines):
        raise RecordRejectedError(f"order {number} line {line_no} is not in the store", key=number)
    current = KIND.current(session, [{"order": number, "line": line_no}])[0]
    head_values, line_values = _order_values(payload)
    target = next(line for line in lines if line.line_no == line_no)
    problem = _order_problem(head, target, head_values, line_values, payload.get("action"), erp)
    if problem is not None:
        raise RecordRejectedError(
            f"order {number} line {line_no}: {problem[0]}; nothing was sent",
            system=erp,
            key=f"{number}/{line_no}",
            hint=problem[1],
        )

    def canonical_line(line: OrderLine) -> rec.OrderLine:
        values = line_values if line.line_no == line_no else {}
        return rec.OrderLine(
            line_no=line.line_no,
            sku=line.sku,
            quantity=rec.Quantity(values.get("quantity", line.quantity), line.uom),
            unit_price=rec.Money(line.unit_price, line.currency),
            requested_date=values.get("requested_date", line.requested_date),
            promised_date=values.get("promised_date", line.promised_date),
            quantity_shipped=line.quantity_shipped,
            status=values.get("status", line.status),
            location=line.location,
        )

    order = rec.Order(
        source_system="orderbridge",
        source_key=head.source_key,
        external_id=head.number,
        number=head.number,
        customer_number=head.customer_number,
        ship_to_code=head_values.get("ship_to_code", head.ship_to_code),
        order_date=head.order_date,
        currency=head.currency,
        status=head.status,
        ship_method=head_values.get("ship_method", head.ship_method) or "",
        terms=head.terms,
        on_hold=head_values.get("on_hold", head.on_hold),
        lines=[canonical_line(line) for line in lines],
    )

    def apply(store: Session) -> None:
        stored = store.get(Order, head.id)
        for name, value in head_values.items():
            setattr(stored, name, value if value is not None else "")
        line = store.scalars(
            select(OrderLine).where(OrderLine.order_number == number, OrderLine.line_no == line_no)
        ).one()
        for name, value in line_values.items():
            setattr(line, name, value)
        stored.modified_at = datetime.now(timezone.utc)

    return Change("order", [order], current, apply)


def _order_problem(
    head: Order, line: OrderLine, head_values: dict, line_values: dict, action: Any, erp: str
) -> tuple[str, str] | None:
    """The upload's checks again, as the order stands when the row is posted (a fulfilment
    or a cancel may have come in since the check): (what is wrong, what to do) or None."""
    if head.status in CLOSED_STATUSES:
        return f"the order is {head.status} now", "closed orders are not changed"
    if line.status in CLOSED_STATUSES and action != "reopen":
        return f"the line is {line.status} now", "closed lines are not changed"
    shipped = line.quantity_shipped or Decimal(0)
    quantity = line_values.get("quantity")
    if quantity is not None and quantity < shipped:
        return (
            f"Quantity {jsonable(quantity)} is below the {jsonable(shipped)} shipped since the "
            "upload was checked",
            f"upload a quantity of at least {jsonable(shipped)}",
        )
    if line_values.get("status") == "cancelled" and shipped > 0:
        return f"{jsonable(shipped)} shipped since the upload was checked", "change the quantity"
    clears = "ship_method" in head_values and not head_values["ship_method"] and head.ship_method
    if clears and erp == "netsuite":
        # NetSuite upserts leave unsent fields as they are (clearing takes a nullFieldList the
        # connector does not send): blank would silently keep the old method. SAP sends it.
        return (
            f"Ship Method cannot be cleared in {erp} from Orderbridge",
            f"choose another ship method, or clear it in {erp}",
        )
    return None


def _order_values(payload: dict) -> tuple[dict[str, Any], dict[str, Any]]:
    head: dict[str, Any] = {}
    line: dict[str, Any] = {}
    for name, value in payload["set"].items():
        if name in LINE_FIELDS:
            line[name] = LINE_FIELDS[name](value)
        elif name in HEAD_FIELDS:
            head[HEAD_FIELDS[name]] = value
        elif name == "on_hold":
            head["on_hold"] = bool(value)
        elif name == "status":
            line["status"] = REOPEN.get(value, value)
    return head, line


KIND = OrderChanges()
