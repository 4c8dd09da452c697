"""What NetSuite computes on a sales order by itself: each line's quantityFulfilled and
quantityBilled (read-only: the sum of the item fulfilments and invoices created from it), the
order status that follows from them, and the shipping address its shipAddressList names.

A write of the order never sets these: an upsert that replaces the item list keeps each line's
computed quantities (lines matched by `line`), and writing an item fulfilment or billing an
invoice recomputes them for its sales order. Status moves as NetSuite moves it:
_pendingFulfillment -> _partiallyFulfilled / _pendingBillingPartFulfilled -> _pendingBilling ->
_fullyBilled; _cancelled and _closed stay.
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.netsuite import nodes
from sandbox.netsuite.seed import SALES, SYSTEM

COMPUTED = ("quantityBilled", "quantityFulfilled")
FINAL = ("_cancelled", "_closed")
ORDER_TYPE = nodes.RECORD_TYPES["salesOrder"]


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text or "0")
    except InvalidOperation:
        return Decimal(0)


def _text(value: Decimal) -> str:
    return str(int(value)) if value == value.to_integral_value() else str(value)


def _lines(order: nodes.Node) -> list[nodes.Node]:
    found = nodes.child(order, "itemList")
    return [c for c in found[4] if c[0] == "item"] if found else []


def _set(line: nodes.Node, name: str, value: str) -> None:
    nodes.set_child(line, "tranSales:SalesOrderItem", nodes.node(name, SALES, value))


def keep_computed(old: nodes.Node | None, new: nodes.Node) -> None:
    """The written order keeps what NetSuite computed on its lines and its status beyond
    pending fulfilment; a sent value of a read-only field is ignored."""
    before = {nodes.text_of(line, "line"): line for line in _lines(old)} if old else {}
    for line in _lines(new):
        kept = before.get(nodes.text_of(line, "line"))
        for name in COMPUTED:
            _set(line, name, (nodes.text_of(kept, name) if kept else "") or "0")
    sent = nodes.text_of(new, "orderStatus")
    previous = nodes.text_of(old, "orderStatus") if old else ""
    _set_status(new, previous if previous in FINAL else sent or previous)


def _set_status(order: nodes.Node, base: str) -> None:
    """The status the line quantities give, from `base` (the approval status) when nothing
    was fulfilled or billed yet."""
    open_lines = [line for line in _lines(order) if nodes.text_of(line, "isClosed") != "true"]
    ordered = [_decimal(nodes.text_of(line, "quantity")) for line in open_lines]
    fulfilled = [_decimal(nodes.text_of(line, "quantityFulfilled")) for line in open_lines]
    billed = [_decimal(nodes.text_of(line, "quantityBilled")) for line in open_lines]
    status = base or "_pendingFulfillment"
    if base not in FINAL and any(fulfilled):
        whole = all(f >= q for f, q in zip(fulfilled, ordered, strict=True))
        unbilled = any(b < f for b, f in zip(billed, fulfilled, strict=True))
        if whole:
            status = "_pendingBilling" if unbilled else "_fullyBilled"
        else:
            status = "_pendingBillingPartFulfilled" if unbilled else "_partiallyFulfilled"
    if status:
        found = nodes.child(order, "orderStatus")
        if found is None:
            nodes.set_child(order, ORDER_TYPE, nodes.node("orderStatus", SALES, status))
        else:
            found[3] = status


def _sums(state: Any, rtype: str, order_id: str) -> dict[str, Decimal]:
    """Quantity per order line of the records of `rtype` created from the order."""
    sums: dict[str, Decimal] = {}
    for record in state.find_records(SYSTEM, rtype):
        source = nodes.child(record["node"], "createdFrom")
        if source is None or source[2].get("internalId") != order_id:
            continue
        for line in _lines(record["node"]):
            key = nodes.text_of(line, "orderLine") or nodes.text_of(line, "line")
            quantity = _decimal(nodes.text_of(line, "quantity"))
            sums[key] = sums.get(key, Decimal(0)) + quantity
    return sums


def refresh(state: Any, order_id: str | None) -> None:
    """Recompute a sales order's fulfilled and billed quantities and its status after an item
    fulfilment or invoice created from it was saved; nothing is written when nothing moved."""
    record = state.get_record(SYSTEM, "salesOrder", order_id) if order_id else None
    if record is None:
        return
    order = copy.deepcopy(record["node"])
    fulfilled = _sums(state, "itemFulfillment", record["internal_id"])
    billed = _sums(state, "invoice", record["internal_id"])
    for line in _lines(order):
        key = nodes.text_of(line, "line")
        _set(line, "quantityFulfilled", _text(fulfilled.get(key, Decimal(0))))
        _set(line, "quantityBilled", _text(billed.get(key, Decimal(0))))
    status = nodes.text_of(order, "orderStatus")
    _set_status(order, status if status in FINAL or status == "_pendingApproval" else "")
    if order != record["node"]:
        payload = {"node": order, "display": record.get("display", "")}
        state.put_record(SYSTEM, "salesOrder", record["external_id"], payload)


def ship_to(state: Any, order: nodes.Node) -> tuple[str, str] | None:
    """(problem code, message) when the order's shipAddressList is not an address book entry
    of its customer; otherwise fills the order's shippingAddress from that entry."""
    chosen = nodes.child(order, "shipAddressList")
    if chosen is None or not chosen[2].get("internalId"):
        return None
    entity = nodes.child(order, "entity")
    customer = state.get_record(
        SYSTEM, "customer", (entity[2].get("internalId") or "") if entity else ""
    )
    book = nodes.child(customer["node"], "addressbookList") if customer else None
    entry = next(
        (
            e
            for e in (book[4] if book else [])
            if nodes.text_of(e, "internalId") == chosen[2]["internalId"]
        ),
        None,
    )
    if entry is None:
        return (
            "INVALID_KEY_OR_REF",
            f"Invalid shipaddresslist reference key {chosen[2]['internalId']} for entity "
            f"{customer['external_id'] if customer else '?'}.",
        )
    place = nodes.child(entry, "addressbookAddress")
    if place is not None:
        address = copy.deepcopy(place)
        address[0], address[1] = "shippingAddress", SALES
        nodes.set_child(order, ORDER_TYPE, address)
    return None
