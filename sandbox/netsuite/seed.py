"""The shared world as NetSuite records: setup lists, customers with address books, inventory
items with pricing matrices, sales orders, item fulfillments and invoices.

Setup records carry our codes as externalIds (currency "USD", terms "NET30", price level
"Wholesale", location "WH-NJ", ship item "UPS 03"), as a NetSuite admin sets them up for us.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any

from sandbox.netsuite.nodes import RECORD_TYPES, Node, node, ordered

SYSTEM = "netsuite"
SALES, CUST, REL, ACCT = (
    "sales.transactions",
    "customers.transactions",
    "relationships.lists",
    "accounting.lists",
)
CORE, COMMON = "core.platform", "common.platform"
COUNTRIES = {
    "US": "_unitedStates",
    "CA": "_canada",
    "GB": "_unitedKingdom",
    "DE": "_germany",
    "FR": "_france",
    "NL": "_netherlands",
    "AU": "_australia",
    "MX": "_mexico",
}
ORDER_STATUS = {
    "draft": "_pendingApproval",
    "booked": "_pendingFulfillment",
    "on_hold": "_pendingApproval",
    "cancelled": "_cancelled",
    "partially_shipped": "_partiallyFulfilled",
    "shipped": "_pendingBilling",
}
SETUP = ("currency", "term", "priceLevel", "location", "shipItem", "unitsType")


def stamp(value: date | datetime) -> str:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tzinfo=timezone.utc)
    return value.isoformat(timespec="milliseconds")


def ref(state: Any, name: str, kind: str, rtype: str, key: str | None) -> Node | None:
    """A RecordRef to a stored record by its externalId, with internalId and name."""
    if not key:
        return None
    found = state.get_record(SYSTEM, rtype, key)
    if found is None:
        return None
    return node(
        name,
        kind,
        None,
        [node("name", CORE, ref_name(rtype, found))],
        internalId=found["internal_id"],
        externalId=found["external_id"],
    )


def ref_name(rtype: str, record: dict) -> str:
    if "name" in record:
        return record["name"]
    return record.get("display", record.get("external_id") or record["internal_id"])


def put(state: Any, rtype: str, external_id: str, item: Node, display: str) -> str:
    ordered(RECORD_TYPES[rtype], item)
    return state.put_record(SYSTEM, rtype, external_id, {"node": item, "display": display})


def _setup(state: Any, world: Any) -> None:
    names = {
        "currency": {c: c for c in ("USD", "EUR", "GBP", "CAD")},
        "term": {f"NET{c.terms_days}": f"Net {c.terms_days}" for c in world.customers},
        "priceLevel": {c.price_level: c.price_level for c in world.customers}
        | {p.price_level: p.price_level for p in world.price_entries},
        "location": {w.code: w.name for w in world.warehouses},
        "shipItem": {
            o.ship_method: o.ship_method
            for o in world.orders + world.incoming_orders
            if o.ship_method
        }
        | {
            f"{s.carrier.upper()} {s.service}": f"{s.carrier.upper()} {s.service}"
            for s in world.shipments
        },
        "unitsType": {i.uom: i.uom for i in world.items},
    }
    for rtype, entries in names.items():
        for key, name in sorted(entries.items()):
            state.put_record(SYSTEM, rtype, key, {"name": name})


def _customer(state: Any, world: Any, customer: Any) -> None:
    book = []
    for s in (s for s in world.ship_tos if s.customer_code == customer.code):
        address = node(
            "addressbookAddress",
            REL,
            None,
            [
                node("country", COMMON, COUNTRIES.get(s.country, s.country)),
                node("addressee", COMMON, s.name),
                node("addr1", COMMON, s.line1),
                node("city", COMMON, s.city),
                node("state", COMMON, s.state or None),
                node("zip", COMMON, s.postal_code),
            ],
        )
        address[4] = [c for c in address[4] if c[3] is not None]
        address_id = state.put_record(
            SYSTEM, "addressbook", s.code, {"customer": customer.code, "name": s.code}
        )
        book.append(
            node(
                "addressbook",
                REL,
                None,
                [
                    node("defaultShipping", REL, str(s.is_default).lower()),
                    node("label", REL, s.code),
                    address,
                    node("internalId", REL, address_id),
                ],
            )
        )
    kids = [
        node("entityId", REL, customer.code),
        node("companyName", REL, customer.name),
        node("email", REL, customer.email),
        node("isInactive", REL, str(not customer.is_active).lower()),
        ref(state, "terms", REL, "term", f"NET{customer.terms_days}"),
        node("creditLimit", REL, customer.credit_limit),
        ref(state, "priceLevel", REL, "priceLevel", customer.price_level),
        ref(state, "currency", REL, "currency", customer.currency),
        node(
            "defaultOrderPriority",
            REL,
            {"high": 1, "normal": 5, "low": 9}.get(customer.priority, 5),
        ),
        node("addressbookList", REL, None, book),
    ]
    item = node("record", REL, None, [k for k in kids if k is not None], externalId=customer.code)
    put(state, "customer", customer.code, item, customer.code)


def _item(state: Any, world: Any, item: Any) -> None:
    groups: dict[tuple[str, str], list] = {}
    for p in (p for p in world.price_entries if p.sku == item.sku):
        groups.setdefault((p.currency, p.price_level), []).append(p)
    pricing = []
    for (currency, level), prices in sorted(groups.items()):
        price_nodes = [
            node(
                "price",
                ACCT,
                None,
                [node("value", ACCT, p.unit_price), node("quantity", ACCT, p.min_quantity)],
            )
            for p in sorted(prices, key=lambda p: p.min_quantity)
        ]
        pricing.append(
            node(
                "pricing",
                ACCT,
                None,
                [
                    ref(state, "currency", ACCT, "currency", currency),
                    ref(state, "priceLevel", ACCT, "priceLevel", level),
                    node("priceList", ACCT, None, price_nodes),
                ],
            )
        )
    kids = [
        node("salesDescription", ACCT, item.description),
        node("weight", ACCT, item.weight_kg),
        ref(state, "saleUnit", ACCT, "unitsType", item.uom),
        node("isDropShipItem", ACCT, str(item.drop_ship).lower()),
        node("cost", ACCT, item.cost),
        node("itemId", ACCT, item.sku),
        node("displayName", ACCT, item.description),
        node("isInactive", ACCT, str(not item.is_active).lower()),
        node("pricingMatrix", ACCT, None, pricing),
    ]
    record = node("record", ACCT, None, [k for k in kids if k is not None], externalId=item.sku)
    put(state, "inventoryItem", item.sku, record, item.sku)


def _order(state: Any, world: Any, order: Any) -> None:
    shipped: dict[int, int] = {}
    for shipment in (s for s in world.shipments if s.order_number == order.number):
        for line in shipment.lines:
            shipped[line.line_no] = shipped.get(line.line_no, 0) + line.quantity
    billed = {i.order_number for i in world.invoices}
    lines = []
    for line in order.lines:
        kids = [
            ref(state, "item", SALES, "inventoryItem", line.sku),
            node("quantity", SALES, line.quantity),
            node("rate", SALES, line.unit_price),
            node("amount", SALES, line.amount),
            node("isClosed", SALES, str(order.status == "cancelled" or line.closed).lower()),
            node("line", SALES, line.line_no),
            node(
                "quantityBilled",
                SALES,
                shipped.get(line.line_no, 0) if order.number in billed else 0,
            ),
            node("quantityFulfilled", SALES, shipped.get(line.line_no, 0)),
            node("requestedDate", SALES, stamp(order.requested_date)),
        ]
        lines.append(node("item", SALES, None, [k for k in kids if k is not None]))
    status = ORDER_STATUS.get(order.status, "_pendingFulfillment")
    if order.status == "shipped" and order.number in billed:
        status = "_fullyBilled"
    address = state.get_record(SYSTEM, "addressbook", order.ship_to_code)
    kids = [
        ref(state, "entity", SALES, "customer", order.customer_code),
        ref(state, "currency", SALES, "currency", order.currency),
        node("tranDate", SALES, stamp(order.ordered_at.date())),
        node("tranId", SALES, order.number),
        node("orderStatus", SALES, status),
        node("otherRefNum", SALES, order.po_number),
        ref(state, "shipMethod", SALES, "shipItem", order.ship_method),
        node(
            "shipAddressList",
            SALES,
            None,
            [node("name", CORE, order.ship_to_code)],
            internalId=address["internal_id"] if address else None,
        ),
        node("itemList", SALES, None, lines),
    ]
    record = node(
        "record", SALES, None, [k for k in kids if k is not None], externalId=order.number
    )
    put(state, "salesOrder", order.number, record, f"Sales Order #{order.number}")


def _shipment(state: Any, shipment: Any) -> None:
    per_package = shipment.weight_kg / max(shipment.packages, 1)
    packages = [
        node(
            "package",
            SALES,
            None,
            [
                node("packageWeight", SALES, per_package.quantize(per_package.__class__("0.01"))),
                node("packageTrackingNumber", SALES, shipment.tracking_number),
            ],
        )
        for _ in range(max(shipment.packages, 1))
    ]
    items = [
        node(
            "item",
            SALES,
            None,
            [
                node("itemReceive", SALES, "true"),
                ref(state, "location", SALES, "location", shipment.warehouse),
                node("quantity", SALES, line.quantity),
                ref(state, "item", SALES, "inventoryItem", line.sku),
                node("orderLine", SALES, line.line_no),
            ],
        )
        for line in shipment.lines
    ]
    for item in items:
        item[4] = [k for k in item[4] if k is not None]
    kids = [
        ref(state, "createdFrom", SALES, "salesOrder", shipment.order_number),
        node("shippedDate", SALES, stamp(shipment.ship_date)),
        node("shipStatus", SALES, "_shipped"),
        node("tranDate", SALES, stamp(shipment.ship_date)),
        node("tranId", SALES, shipment.number),
        ref(
            state, "shipMethod", SALES, "shipItem", f"{shipment.carrier.upper()} {shipment.service}"
        ),
        node("packageList", SALES, None, packages),
        node("itemList", SALES, None, items),
    ]
    record = node(
        "record", SALES, None, [k for k in kids if k is not None], externalId=shipment.number
    )
    put(state, "itemFulfillment", shipment.number, record, f"Item Fulfillment #{shipment.number}")


def invoice_record(state: Any, invoice: Any) -> Node:
    """An Invoice record of a world.Invoice (seeded, or billed by the simulator later)."""
    items = [
        node(
            "item",
            SALES,
            None,
            [
                k
                for k in (
                    ref(state, "item", SALES, "inventoryItem", line.sku),
                    node("line", SALES, line.line_no),
                    node("amount", SALES, line.amount),
                    node("quantity", SALES, line.quantity),
                    node("rate", SALES, line.unit_price),
                    node("orderLine", SALES, line.line_no),
                )
                if k is not None
            ],
        )
        for line in invoice.lines
    ]
    kids = [
        ref(state, "entity", SALES, "customer", invoice.customer_code),
        node("tranDate", SALES, stamp(invoice.invoice_date)),
        node("tranId", SALES, invoice.number),
        ref(state, "createdFrom", SALES, "salesOrder", invoice.order_number),
        ref(state, "currency", SALES, "currency", invoice.currency),
        node("subTotal", SALES, invoice.subtotal),
        node("taxTotal", SALES, invoice.tax),
        node("shippingCost", SALES, invoice.freight) if invoice.freight else None,
        node("total", SALES, invoice.total),
        node("status", SALES, "Paid In Full" if invoice.status == "paid" else "Open"),
        node("itemList", SALES, None, items),
    ]
    record = node(
        "record", SALES, None, [k for k in kids if k is not None], externalId=invoice.number
    )
    return ordered(RECORD_TYPES["invoice"], record)


def _invoice(state: Any, invoice: Any) -> None:
    put(
        state,
        "invoice",
        invoice.number,
        invoice_record(state, invoice),
        f"Invoice #{invoice.number}",
    )


def load_world(state: Any) -> None:
    world = state.world
    with state.transaction():
        _setup(state, world)
        for customer in world.customers:
            _customer(state, world, customer)
        for item in world.items:
            _item(state, world, item)
        for order in world.orders:
            _order(state, world, order)
        for shipment in world.shipments:
            _shipment(state, shipment)
        for invoice in world.invoices:
            _invoice(state, invoice)
