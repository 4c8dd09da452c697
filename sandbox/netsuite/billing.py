"""Bill Sales Orders, as the sandbox account runs it: each item fulfilment written to the
simulator becomes an Invoice once it is `bill_after_seconds` old (meta, set on reset; None
switches billing off).

Billing is lazy: it happens when invoices are searched or read, and the invoice says it was
saved at the moment it fell due, so the search that bills it also finds it. Each fulfilment is
billed once (the meta `billed_fulfillments` remembers it, inside the write transaction, so two
processes searching at once do not bill twice). The invoice bills what shipped at the sales
order's line prices, never beyond what the order line still has unbilled, with the tax of the
order's ship-to country (the customer's default shipping address when the order names none,
as NetSuite defaults it) and no freight; the sales order's lines then count what is billed
(`orders.refresh`). The world's own fulfilments are billed by the world.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.netsuite import nodes, orders
from sandbox.netsuite.seed import COUNTRIES, SYSTEM, invoice_record
from sandbox.world import TAX_RATE, Invoice, InvoiceLine

BILL_AFTER_SECONDS = 60
BILLED = "billed_fulfillments"  # meta: fulfilment internal id -> invoice number ("": nothing)
CENT = Decimal("0.01")
YEAR = 365 * 86400.0
ISO_OF = {name: code for code, name in COUNTRIES.items()}


def on_reset(state: Any) -> None:
    state.meta_set(SYSTEM, "bill_after_seconds", BILL_AFTER_SECONDS)


def bill_due(state: Any) -> list[str]:
    """Bill every fulfilment that has waited long enough; the new invoice numbers."""
    wait = _number(state.meta_get(SYSTEM, "bill_after_seconds"))
    if wait is None:
        return []
    now, seeded = state.clock(), {s.number for s in state.world.shipments}
    billed = state.meta_get(SYSTEM, BILLED) or {}
    due = []
    for record in state.find_records(SYSTEM, "itemFulfillment"):
        if record["internal_id"] in billed or record["external_id"] in seeded:
            continue
        at = datetime.fromisoformat(record["modified_at"]) + timedelta(seconds=wait)
        if at <= now:
            due.append((record, at))
    made = []
    for record, at in due:
        with state.transaction():
            billed = state.meta_get(SYSTEM, BILLED) or {}
            if record["internal_id"] in billed:
                continue  # another process billed it meanwhile
            number = _bill(state, record, at)
            state.meta_set(SYSTEM, BILLED, {**billed, record["internal_id"]: number})
        if number:
            made.append(number)
    return made


def _number(value: Any) -> float | None:
    """Seconds to wait, between none and a year; None (billing off) for anything else."""
    try:
        seconds = float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return min(max(0.0, seconds), YEAR) if seconds is not None and seconds == seconds else None


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text or "0")
    except InvalidOperation:
        return Decimal(0)


def _line_no(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


def _key(ref: nodes.Node | None) -> str:
    return (ref[2].get("externalId") or ref[2].get("internalId") or "") if ref else ""


def _items(item: nodes.Node) -> list[nodes.Node]:
    found = nodes.child(item, "itemList")
    return [c for c in found[4] if c[0] == "item"] if found else []


def _bill(state: Any, fulfilment: dict[str, Any], at: datetime) -> str:
    """The invoice of one fulfilment, saved as of `at`; its number, or "" when nothing is
    billable (no such sales order, or its lines are billed already)."""
    source = nodes.child(fulfilment["node"], "createdFrom")
    order = _record_of(state, "salesOrder", source)
    if order is None:
        return ""
    prices = {}
    for line in _items(order["node"]):
        line_no = _line_no(nodes.text_of(line, "line"))
        if line_no is not None:
            ordered = _decimal(nodes.text_of(line, "quantity"))
            sku = _key(nodes.child(line, "item"))
            prices[line_no] = (sku, ordered, _decimal(nodes.text_of(line, "rate")))
    shipped: dict[int, Decimal] = {}
    for line in _items(fulfilment["node"]):
        line_no = _line_no(nodes.text_of(line, "orderLine"))
        if line_no in prices:
            shipped[line_no] = shipped.get(line_no, Decimal(0)) + _decimal(
                nodes.text_of(line, "quantity")
            )
    already = _billed_so_far(state, order["internal_id"])
    lines = []
    for line_no, quantity in sorted(shipped.items()):
        sku, ordered, rate = prices[line_no]
        quantity = min(quantity, ordered - already.get(line_no, Decimal(0)))
        if quantity > 0:
            amount = (rate * quantity).quantize(CENT)
            lines.append(InvoiceLine(line_no, sku, quantity, rate, amount))
    if not lines:
        return ""
    return _save(state, order, fulfilment, lines, at)


def _save(state: Any, order: dict, fulfilment: dict, lines: list[InvoiceLine], at: datetime) -> str:
    so = order["node"]
    customer = _key(nodes.child(so, "entity"))
    subtotal = sum((ln.amount for ln in lines), Decimal(0))
    rate = Decimal(TAX_RATE.get(_country(state, so, customer), "0"))
    tax = (subtotal * rate).quantize(CENT)
    number = _next_number(state)
    invoice = Invoice(
        number=number,
        order_number=order["external_id"] or order["internal_id"],
        shipment_number=fulfilment["external_id"] or fulfilment["internal_id"],
        customer_code=customer,
        currency=_key(nodes.child(so, "currency")) or "USD",
        invoice_date=at.date(),
        due_date=at.date(),
        status="open",
        lines=tuple(lines),
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
    )
    payload = {"node": invoice_record(state, invoice), "display": f"Invoice #{number}"}
    state.put_record(SYSTEM, "invoice", number, payload, modified_at=at)
    orders.refresh(state, order["internal_id"])
    return number


def _record_of(state: Any, rtype: str, ref: nodes.Node | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    key = ref[2].get("internalId") or ref[2].get("externalId")
    return state.get_record(SYSTEM, rtype, key) if key else None


def _billed_so_far(state: Any, order_id: str) -> dict[int, Decimal]:
    billed: dict[int, Decimal] = {}
    for invoice in state.find_records(SYSTEM, "invoice"):
        source = nodes.child(invoice["node"], "createdFrom")
        if source is None or source[2].get("internalId") != order_id:
            continue
        for line in _items(invoice["node"]):
            line_no = _line_no(nodes.text_of(line, "orderLine") or nodes.text_of(line, "line"))
            if line_no is not None:
                quantity = _decimal(nodes.text_of(line, "quantity"))
                billed[line_no] = billed.get(line_no, Decimal(0)) + quantity
    return billed


def _country(state: Any, so: nodes.Node, customer: str) -> str:
    """The ship-to country: the order's shipping address, else the customer's address book
    entry the order names (by internalId, else label), else the default shipping address
    (what NetSuite puts on an order sent without one)."""
    place = nodes.child(so, "shippingAddress")
    if place is None:
        record = state.get_record(SYSTEM, "customer", customer) if customer else None
        book = nodes.child(record["node"], "addressbookList") if record else None
        entries = [c for c in book[4] if c[0] == "addressbook"] if book else []
        address = nodes.child(so, "shipAddressList")
        entry_id = address[2].get("internalId", "") if address else ""
        label = nodes.text_of(address, "name") if address else ""
        chosen = next(
            (
                e
                for e in entries
                if (entry_id and nodes.text_of(e, "internalId") == entry_id)
                or (label and nodes.text_of(e, "label") == label)
            ),
            None,
        )
        if chosen is None:
            chosen = next(
                (e for e in entries if nodes.text_of(e, "defaultShipping") == "true"), None
            )
        place = nodes.child(chosen, "addressbookAddress") if chosen else None
    country = nodes.text_of(place, "country") if place else ""
    return ISO_OF.get(country, country)


def _next_number(state: Any) -> str:
    """INV-000039 and on, after the world's invoices; never one that exists."""
    n = int(state.meta_get(SYSTEM, "invoice_seq", len(state.world.invoices)))
    while True:
        n += 1
        number = f"INV-{n:06d}"
        if state.get_record(SYSTEM, "invoice", number) is None:
            state.meta_set(SYSTEM, "invoice_seq", n)
            return number
