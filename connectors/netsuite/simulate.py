"""What a NetSuite upsert would answer, found by reading only: SuiteTalk has no test mode.

Each record to be written is judged against the records NetSuite holds now (getList by our
external ids): the customer and item active, the currency and price level defined, the sales
order open, the line open and not fulfilled past the new quantity, the ship-to still in the
customer's address book. The reasons name the record and what to fix in NetSuite; nothing is
written. A read that fails raises as every read does (TransientError for an outage).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from connectors.base import WriteResult
from connectors.netsuite import records

# Sales order statuses NetSuite no longer changes lines of.
CLOSED_ORDERS = frozenset({"closed", "cancelled", "billed"})


class Reader:
    """NetSuite records by type and our external id, each read once per simulation."""

    def __init__(self, get_list: Callable[[list[dict]], list]) -> None:
        self.get_list = get_list
        self.seen: dict[tuple[str, str], Any] = {}

    def element(self, record_type: str, key: str) -> Any:
        """The record's element, or None when NetSuite has no record of that key."""
        if (record_type, key) not in self.seen:
            [(status, element)] = self.get_list([{"type": record_type, "externalId": key}])
            self.seen[(record_type, key)] = element if status.ok else None
        return self.seen[(record_type, key)]

    def exists(self, record_type: str, key: str) -> bool:
        return self.element(record_type, key) is not None


def simulate(reader: Reader, entity: str, items: Sequence[Any]) -> list[WriteResult]:
    """One result per record: ok, or refused with every reason found."""
    check = CHECKS.get(entity)
    results = []
    for item in items:
        problems = check(reader, item) if check is not None else []
        key = item.external_id or ""
        if problems:
            results.append(WriteResult(key, False, code="SIMULATED", message="; ".join(problems)))
        else:
            results.append(WriteResult(key, True, message="would be written"))
    return results


def _customer(reader: Reader, number: str) -> list[str]:
    element = reader.element("customer", number)
    if element is None:
        return [f"customer {number} is not in NetSuite"]
    if not records.parse_customer(element).active:
        return [f"customer {number} is inactive in NetSuite"]
    return []


def _item(reader: Reader, sku: str) -> list[str]:
    element = reader.element("inventoryItem", sku)
    if element is None:
        return [f"item {sku} is not in NetSuite"]
    if not records.parse_item(element).active:
        return [f"item {sku} is inactive in NetSuite"]
    return []


def _ship_to_known(reader: Reader, customer: str, code: str) -> list[str]:
    element = reader.element("customer", customer)
    if element is None:
        return []  # said already: the customer itself is missing
    codes = {ship_to.code for ship_to in records.parse_ship_tos(element)}
    if code not in codes:
        return [f"address {code} is no longer in customer {customer}'s address book in NetSuite"]
    return []


def _price(reader: Reader, entry: Any) -> list[str]:
    problems = _item(reader, entry.sku)
    currency = entry.unit_price.currency
    if not reader.exists("currency", currency):
        problems.append(f"currency {currency} does not exist in NetSuite")
    if not reader.exists("priceLevel", entry.price_level):
        problems.append(f"price level {entry.price_level} does not exist in NetSuite")
    return problems


def _ship_to(reader: Reader, ship_to: Any) -> list[str]:
    return _customer(reader, ship_to.customer_number)


def _order(reader: Reader, order: Any) -> list[str]:
    element = reader.element("salesOrder", order.external_id or order.number)
    if element is None:
        return [f"sales order {order.number} is not in NetSuite"]
    theirs = records.parse_order(element)
    if theirs.status in CLOSED_ORDERS:
        return [f"sales order {order.number} is {theirs.status} in NetSuite"]
    problems = _customer(reader, order.customer_number)
    if order.ship_to_code and order.ship_to_code != theirs.ship_to_code:
        problems += _ship_to_known(reader, order.customer_number, order.ship_to_code)
    lines = {line.line_no: line for line in theirs.lines}
    for line in order.lines:
        problems += _line(reader, order.number, line, lines.get(line.line_no))
    return problems


def _line(reader: Reader, number: str, ours: Any, theirs: Any) -> list[str]:
    """Problems of a line the write changes; a line sent as NetSuite holds it is not judged."""
    where = f"order {number} line {ours.line_no}"
    if theirs is None:
        return [f"{where} is not in NetSuite"]
    if _same_line(ours, theirs):
        return []
    if theirs.status == "closed" and ours.status not in ("closed", "cancelled"):
        return [f"{where} is closed in NetSuite"]
    problems = _item(reader, ours.sku)
    if ours.status != "cancelled" and ours.quantity.value < theirs.quantity_shipped:
        problems.append(
            f"{where}: NetSuite has fulfilled {theirs.quantity_shipped}, more than the new "
            f"quantity {ours.quantity.value}"
        )
    return problems


def _same_line(ours: Any, theirs: Any) -> bool:
    return (ours.quantity.value, ours.status, ours.requested_date, ours.promised_date) == (
        theirs.quantity.value, theirs.status, theirs.requested_date, theirs.promised_date
    )  # fmt: skip


CHECKS: dict[str, Callable[[Reader, Any], list[str]]] = {
    "order": _order,
    "price": _price,
    "ship_to": _ship_to,
    "ship_to_book": _ship_to,
}
