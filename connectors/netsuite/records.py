"""Pure mapping between NetSuite SOAP records and canonical records.

`parse_*` read lxml elements of any endpoint version (by local name) into canonical records;
`build_*` turn canonical records into (record type, fields) that the client sends. References
to setup records (currency, terms, price level, ship method, location, units) are written by
externalId, which the NetSuite admin sets to our codes once (e.g. currency externalId "USD");
on read the externalId wins, then the name.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from lxml import etree

from connectors.netsuite.replies import Slots, each, local, local_names
from core.records import (
    Address,
    Availability,
    Customer,
    Invoice,
    InvoiceLine,
    Item,
    Money,
    Order,
    OrderLine,
    Package,
    PriceListEntry,
    Quantity,
    ReturnAuthorization,
    Shipment,
    ShipmentLine,
    ShipTo,
)

SYSTEM = "netsuite"
Fields = dict[str, Any]
ZERO = Decimal("0")

COUNTRIES = {
    "US": "_unitedStates", "CA": "_canada", "GB": "_unitedKingdom", "DE": "_germany",
    "FR": "_france", "NL": "_netherlands", "AU": "_australia", "MX": "_mexico",
    "BE": "_belgium", "IE": "_ireland", "ES": "_spain", "IT": "_italy", "AT": "_austria",
    "CH": "_switzerland", "SE": "_sweden", "DK": "_denmark", "PL": "_poland", "JP": "_japan",
}  # fmt: skip
COUNTRY_CODES = {v: k for k, v in COUNTRIES.items()}
# Currency records are named by people; these are NetSuite's default names.
CURRENCY_NAMES = {"US Dollar": "USD", "USA": "USD", "Euro": "EUR", "EUR": "EUR",
                  "British pound": "GBP", "Canadian Dollar": "CAD"}  # fmt: skip
ORDER_STATUS = {
    "_pendingApproval": "pending_approval", "_pendingFulfillment": "open",
    "_partiallyFulfilled": "partially_shipped", "_pendingBillingPartFulfilled": "partially_shipped",
    "_pendingBilling": "shipped", "_fullyBilled": "billed", "_closed": "closed",
    "_cancelled": "cancelled", "_undefined": "open",
}  # fmt: skip
SHIP_STATUS = {"_picked": "pre_transit", "_packed": "pre_transit", "_shipped": "in_transit"}
RETURN_STATUS = {"_pendingApproval": "pending", "_pendingReceipt": "approved"}
CARRIERS = ("ups", "fedex", "dhl", "usps")


_LOCAL = local_names


def _fields(element: etree._Element) -> dict[str, etree._Element]:
    # The hot path of large searches: a dict lookup per child, a call only for a new tag.
    return {_LOCAL.get(item.tag) or local(item.tag): item for item in element}


def _text(element: etree._Element | None) -> str:
    return (element.text or "") if element is not None else ""


def _ref(element: etree._Element | None) -> str:
    """A RecordRef as our code: its externalId, else its name, else its internalId."""
    if element is None:
        return ""
    external = element.get("externalId")
    if external:
        return external
    for item in element:
        return item.text or ""
    return element.get("internalId", "")


def _decimal(element: etree._Element | None, default: Decimal = ZERO) -> Decimal:
    text = element.text if element is not None else None
    return Decimal(text) if text else default


def _date(element: etree._Element | None) -> date | None:
    return _day(element.text if element is not None else None)


def _day(text: str | None) -> date | None:
    # A NetSuite date is a dateTime at midnight in the account's time zone: the date part
    # as written is the business date.
    return date.fromisoformat(text[:10]) if text else None


def _datetime(element: etree._Element | None) -> datetime | None:
    text = element.text if element is not None else None
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _bool(element: etree._Element | None, default: bool = False) -> bool:
    text = element.text if element is not None else None
    return text.strip() == "true" if text else default


def currency_code(element: etree._Element | None, default: str = "USD") -> str:
    code = _ref(element)
    if not code:
        return default
    if len(code) == 3 and code.isalpha():
        return code.upper()
    if code in CURRENCY_NAMES:
        return CURRENCY_NAMES[code]
    raise ValueError(f"currency {code!r} is not an ISO code; set the currency's externalId")


def order_number(element: etree._Element | None) -> str:
    """createdFrom reads 'Sales Order #SO1001' by name; the externalId or number is ours."""
    code = _ref(element)
    return code.rpartition("#")[2] if "#" in code else code


def _base(element: etree._Element, modified: etree._Element | None) -> dict[str, Any]:
    return {
        "source_system": SYSTEM,
        "source_key": element.get("internalId", ""),
        "external_id": element.get("externalId"),
        "modified_at": _datetime(modified),
    }


# ---- reading -------------------------------------------------------------------------------


def parse_customer(element: etree._Element) -> Customer:
    f = _fields(element)
    priority = f.get("defaultOrderPriority")
    return Customer(
        **_base(element, f.get("lastModifiedDate")),
        number=_text(f.get("entityId")),
        name=_text(f.get("companyName")) or _text(f.get("altName")),
        currency=currency_code(f.get("currency")),
        price_level=_ref(f.get("priceLevel")),
        priority=int(Decimal(priority.text)) if priority is not None and priority.text else 0,
        terms=_ref(f.get("terms")),
        active=not _bool(f.get("isInactive")),
    )


def parse_address(element: etree._Element | None) -> Address:
    if element is None:
        return Address()
    f = _fields(element)
    lines = tuple(t for t in (_text(f.get(k)) for k in ("addr1", "addr2", "addr3")) if t)
    country = _text(f.get("country"))
    return Address(
        name=_text(f.get("addressee")),
        lines=lines,
        city=_text(f.get("city")),
        state=_text(f.get("state")),
        postal_code=_text(f.get("zip")),
        country=COUNTRY_CODES.get(country, country),
        contact=_text(f.get("attention")),
        phone=_text(f.get("addrPhone")),
    )


def parse_ship_tos(element: etree._Element) -> list[ShipTo]:
    """A customer's address book entries as ship-tos, keyed by their label."""
    f = _fields(element)
    number = _text(f.get("entityId"))
    found = []
    for entry in each(f.get("addressbookList"), "addressbook"):
        e = _fields(entry)
        # Before 2014_2 the address fields sat directly on the addressbook entry.
        address = parse_address(e.get("addressbookAddress", entry))
        code = _text(e.get("label")) or _text(e.get("internalId"))
        found.append(
            ShipTo(
                source_system=SYSTEM,
                source_key=_text(e.get("internalId")),
                external_id=f"{number}/{code}",
                modified_at=_datetime(f.get("lastModifiedDate")),
                customer_number=number,
                code=code,
                address=address,
                default=_bool(e.get("defaultShipping")),
            )
        )
    return found


def parse_item(element: etree._Element) -> Item:
    f = _fields(element)
    return Item(
        **_base(element, f.get("lastModifiedDate")),
        sku=_text(f.get("itemId")),
        description=_text(f.get("salesDescription")) or _text(f.get("displayName")),
        uom=_ref(f.get("saleUnit")) or "EA",
        active=not _bool(f.get("isInactive")),
        drop_ship=_bool(f.get("isDropShipItem")),
    )


def parse_price_list(element: etree._Element) -> list[PriceListEntry]:
    f = _fields(element)
    sku = _text(f.get("itemId"))
    base = _base(element, f.get("lastModifiedDate"))
    entries = []
    for pricing in each(f.get("pricingMatrix"), "pricing"):
        p = _fields(pricing)
        currency = currency_code(p.get("currency"))
        level = _ref(p.get("priceLevel"))
        for price in each(p.get("priceList"), "price"):
            q = _fields(price)
            if q.get("value") is None or not q["value"].text:
                continue
            minimum = _decimal(q.get("quantity"))
            entries.append(
                PriceListEntry(
                    source_system=SYSTEM,
                    source_key=f"{base['source_key']}:{currency}:{level}:{minimum}",
                    external_id=f"{sku}/{level}/{currency}/{minimum}",
                    modified_at=base["modified_at"],
                    sku=sku,
                    price_level=level,
                    unit_price=Money(_decimal(q["value"]), currency),
                    min_quantity=minimum,
                )
            )
    return entries


def parse_availability(element: etree._Element) -> Availability:
    f = _fields(element)
    sku = _ref(f.get("item"))
    location = _ref(f.get("locationId"))
    return Availability(
        source_system=SYSTEM,
        source_key=f"{f['item'].get('internalId', '')}@{f['locationId'].get('internalId', '')}"
        if "item" in f and "locationId" in f
        else f"{sku}@{location}",
        external_id=f"{sku}@{location}",
        modified_at=_datetime(f.get("lastQtyAvailableChange")),
        sku=sku,
        location=location,
        on_hand=_decimal(f.get("quantityOnHand")),
        allocated=_decimal(f.get("quantityCommitted")),
        available=_decimal(f.get("quantityAvailable")),
    )


# Sales and return order lines are the bulk of a large search page: one pass over each line
# reads the references (the first three names) and the texts of the rest, by qualified tag.
_LINE = Slots(
    "item", "units", "location", "quantity", "quantityFulfilled", "rate", "line", "isClosed",
    "requestedDate", "expectedShipDate", "quantityBilled", "quantityBackOrdered",
)  # fmt: skip
_LINE_REFS = 3
_LINE_EMPTY: list[str | None] = ["", "", "", None, None, None, None, None, None, None, None, None]


def _line_values(element: etree._Element) -> list[str | None]:
    values = _LINE_EMPTY.copy()
    by_tag = _LINE.by_tag
    for item in element:
        slot = by_tag.get(item.tag)
        if slot is None:
            slot = _LINE.learn(item.tag)
        if slot >= _LINE_REFS:
            values[slot] = item.text
        elif slot >= 0:
            values[slot] = _ref(item)
    return values


def _order_line(element: etree._Element, currency: str) -> OrderLine:
    (sku, units, location, quantity_text, shipped_text, rate, line, closed, requested, promised,
     invoiced, backordered) = _line_values(element)  # fmt: skip
    quantity = Decimal(quantity_text) if quantity_text else ZERO
    shipped = Decimal(shipped_text) if shipped_text else ZERO
    if closed == "true":
        status = "closed"
    else:
        status = "shipped" if quantity and shipped >= quantity else "open"
    return OrderLine(
        line_no=int(line) if line else 0,
        sku=sku,
        quantity=Quantity(quantity, units or "EA"),
        unit_price=Money(Decimal(rate) if rate else ZERO, currency),
        requested_date=_day(requested),
        promised_date=_day(promised),
        quantity_shipped=shipped,
        quantity_invoiced=Decimal(invoiced) if invoiced else ZERO,
        quantity_backordered=Decimal(backordered) if backordered else ZERO,
        status=status,
        location=location,
    )


def _order_lines(item_list: etree._Element | None, currency: str) -> list[OrderLine]:
    if item_list is None:
        return []
    return [
        _order_line(item, currency)
        for item in item_list
        if (_LOCAL.get(item.tag) or local(item.tag)) == "item"
    ]


_ORDER = Slots(
    "currency", "orderStatus", "lastModifiedDate", "tranId", "entity", "shipAddressList",
    "tranDate", "shipMethod", "terms", "itemList",
)  # fmt: skip


def parse_order(element: etree._Element) -> Order:
    (currency_ref, order_status, modified, number, customer, ship_to, order_date, ship_method,
     terms, item_list) = _ORDER.pick(element)  # fmt: skip
    currency = currency_code(currency_ref)
    status = ORDER_STATUS.get(_text(order_status), "open")
    return Order(
        **_base(element, modified),
        number=_text(number),
        customer_number=_ref(customer),
        ship_to_code=_ref(ship_to),
        order_date=_date(order_date),
        currency=currency,
        status=status,
        ship_method=_ref(ship_method),
        terms=_ref(terms),
        on_hold=status == "pending_approval",
        lines=_order_lines(item_list, currency),
    )


def _carrier(ship_method: str) -> str:
    lowered = ship_method.lower()
    return next((c for c in CARRIERS if lowered.startswith(c)), "")


def parse_shipment(element: etree._Element) -> Shipment:
    f = _fields(element)
    method = _ref(f.get("shipMethod"))
    lines = []
    for item in each(f.get("itemList"), "item"):
        i = _fields(item)
        lines.append(
            ShipmentLine(
                order_line_no=int(_text(i.get("orderLine")) or 0),
                sku=_ref(i.get("item")),
                quantity=Quantity(_decimal(i.get("quantity"))),
            )
        )
    packages = []
    for package in each(f.get("packageList"), "package"):
        p = _fields(package)
        weight = p.get("packageWeight")
        packages.append(
            Package(
                tracking_number=_text(p.get("packageTrackingNumber")),
                carrier=_carrier(method),
                weight=Decimal(weight.text) if weight is not None and weight.text else None,
            )
        )
    return Shipment(
        **_base(element, f.get("lastModifiedDate")),
        number=_text(f.get("tranId")),
        order_number=order_number(f.get("createdFrom")),
        ship_date=_date(f.get("shippedDate")) or _date(f.get("tranDate")),
        carrier=_carrier(method),
        service=method,
        status=SHIP_STATUS.get(_text(f.get("shipStatus")), "pre_transit"),
        lines=lines,
        packages=packages,
    )


def parse_invoice(element: etree._Element) -> Invoice:
    f = _fields(element)
    currency = currency_code(f.get("currency"))
    lines = []
    for item in each(f.get("itemList"), "item"):
        i = _fields(item)
        rate = i.get("rate")
        order_line = _text(i.get("orderLine"))
        lines.append(
            InvoiceLine(
                line_no=int(_text(i.get("line")) or 0),
                sku=_ref(i.get("item")),
                quantity=Quantity(_decimal(i.get("quantity")), _ref(i.get("units")) or "EA"),
                unit_price=Money(
                    Decimal(rate.text) if rate is not None and rate.text else ZERO, currency
                ),
                order_line_no=int(order_line) if order_line else None,
            )
        )
    status = _text(f.get("status")).lower()
    return Invoice(
        **_base(element, f.get("lastModifiedDate")),
        number=_text(f.get("tranId")),
        order_number=order_number(f.get("createdFrom")),
        customer_number=_ref(f.get("entity")),
        invoice_date=_date(f.get("tranDate")),
        currency=currency,
        tax=_decimal(f.get("taxTotal")),
        freight=_decimal(f.get("shippingCost")),
        status="paid" if "paid" in status else ("open" if status in ("", "open") else status),
        lines=lines,
    )


def parse_return(element: etree._Element) -> ReturnAuthorization:
    f = _fields(element)
    currency = currency_code(f.get("currency"))
    return ReturnAuthorization(
        **_base(element, f.get("lastModifiedDate")),
        number=_text(f.get("tranId")),
        order_number=order_number(f.get("createdFrom")),
        customer_number=_ref(f.get("entity")),
        status=RETURN_STATUS.get(_text(f.get("orderStatus")), "pending"),
        reason=_text(f.get("memo")),
        lines=_order_lines(f.get("itemList"), currency),
    )


# ---- writing -------------------------------------------------------------------------------


def ref(external_id: str | None = None, internal_id: str | None = None) -> Fields | None:
    if internal_id:
        return {"internalId": internal_id}
    return {"externalId": external_id} if external_id else None


def _on_date(value: date | None) -> datetime | None:
    # Sent at noon UTC so that the account's time zone cannot move it to another day.
    return datetime.combine(value, time(12), tzinfo=UTC) if value else None


def _clean(fields: Fields) -> Fields:
    return {k: v for k, v in fields.items() if v is not None and v != ""}


def _key(record: Any, fallback: str) -> str:
    return record.external_id or fallback


def build_address(address: Address) -> Fields:
    lines = list(address.lines) + ["", "", ""]
    return _clean(
        {
            "country": COUNTRIES.get(address.country, address.country or None),
            "attention": address.contact,
            "addressee": address.name,
            "addrPhone": address.phone,
            "addr1": lines[0],
            "addr2": lines[1],
            "addr3": lines[2],
            "city": address.city,
            "state": address.state,
            "zip": address.postal_code,
        }
    )


def _addressbook(ship_to: ShipTo) -> Fields:
    return {
        "defaultShipping": ship_to.default,
        "label": ship_to.code,
        "addressbookAddress": build_address(ship_to.address),
    }


def build_customer(customer: Customer, ship_tos: Iterable[ShipTo] = ()) -> tuple[str, Fields]:
    book = [_addressbook(s) for s in ship_tos]
    return "Customer", _clean(
        {
            "externalId": _key(customer, customer.number),
            "entityId": customer.number,
            "companyName": customer.name,
            "isInactive": not customer.active,
            "terms": ref(customer.terms),
            "priceLevel": ref(customer.price_level),
            "currency": ref(customer.currency),
            "defaultOrderPriority": customer.priority or None,
            # replaceAll false: entries we do not send stay as they are.
            "addressbookList": {"addressbook": book, "replaceAll": False} if book else None,
        }
    )


def build_ship_tos(customer_number: str, ship_tos: Iterable[ShipTo]) -> tuple[str, Fields]:
    """Ship-tos are address book lines of their customer, written through the customer."""
    return "Customer", {
        "externalId": customer_number,
        "addressbookList": {
            "addressbook": [_addressbook(s) for s in ship_tos],
            "replaceAll": False,
        },
    }


def build_item(item: Item) -> tuple[str, Fields]:
    return "InventoryItem", _clean(
        {
            "externalId": _key(item, item.sku),
            "salesDescription": item.description,
            "saleUnit": ref(item.uom),
            "isDropShipItem": item.drop_ship,
            "itemId": item.sku,
            "displayName": item.description,
            "isInactive": not item.active,
        }
    )


def build_price_list(sku: str, entries: Iterable[PriceListEntry]) -> tuple[str, Fields]:
    """One item's pricing matrix: a pricing per (currency, price level), prices by quantity."""
    groups: dict[tuple[str, str], list[PriceListEntry]] = {}
    for entry in entries:
        groups.setdefault((entry.unit_price.currency, entry.price_level), []).append(entry)
    pricing = [
        {
            "currency": ref(currency),
            "priceLevel": ref(level),
            "priceList": {
                "price": [
                    {"value": e.unit_price.amount, "quantity": e.min_quantity}
                    for e in sorted(group, key=lambda e: e.min_quantity)
                ]
            },
        }
        for (currency, level), group in sorted(groups.items())
    ]
    return "InventoryItem", {
        "externalId": sku,
        "pricingMatrix": {"pricing": pricing, "replaceAll": False},
    }


def _sales_line(line: OrderLine) -> Fields:
    return _clean(
        {
            "item": ref(line.sku),
            "quantity": line.quantity.value,
            "units": ref(line.quantity.uom) if line.quantity.uom != "EA" else None,
            "rate": str(line.unit_price.amount),
            "location": ref(line.location),
            "isClosed": line.status in ("closed", "cancelled"),
            "line": line.line_no or None,
            "expectedShipDate": _on_date(line.promised_date),
            "requestedDate": _on_date(line.requested_date),
        }
    )


def build_order(order: Order, ship_to_id: str | None = None) -> tuple[str, Fields]:
    """The sales order; `ship_to_id` is the internalId of the customer's address book entry
    for `order.ship_to_code` (SuiteTalk names the ship-to by it: shipAddressList). An order
    with a ship-to but no entry is refused, so NetSuite never falls back to the default
    address and bills the wrong tax."""
    if order.ship_to_code and not ship_to_id:
        raise ValueError(
            f"ship-to {order.ship_to_code} is not in customer {order.customer_number}'s "
            "address book in NetSuite"
        )
    return "SalesOrder", _clean(
        {
            "externalId": _key(order, order.number),
            "entity": ref(order.customer_number),
            "currency": ref(order.currency),
            "tranDate": _on_date(order.order_date),
            "tranId": order.number,
            "orderStatus": "_pendingApproval"
            if order.on_hold or order.status == "pending_approval"
            else "_pendingFulfillment",
            "shipAddressList": ref(internal_id=ship_to_id),
            "shipMethod": ref(order.ship_method),
            "terms": ref(order.terms),
            "itemList": {"item": [_sales_line(line) for line in order.lines], "replaceAll": True},
        }
    )


def build_shipment(shipment: Shipment) -> tuple[str, Fields]:
    packages = [
        _clean({"packageWeight": p.weight, "packageTrackingNumber": p.tracking_number})
        for p in shipment.packages
    ]
    items = [
        {"itemReceive": True, "quantity": line.quantity.value, "item": ref(line.sku),
         "orderLine": line.order_line_no}
        for line in shipment.lines
    ]  # fmt: skip
    return "ItemFulfillment", _clean(
        {
            "externalId": _key(shipment, shipment.number),
            "createdFrom": ref(shipment.order_number),
            "shippedDate": _on_date(shipment.ship_date),
            "shipStatus": "_shipped" if shipment.status != "pre_transit" else "_packed",
            "tranDate": _on_date(shipment.ship_date),
            "tranId": shipment.number,
            "shipMethod": ref(shipment.service),
            "packageList": {"package": packages} if packages else None,
            "itemList": {"item": items, "replaceAll": True},
        }
    )


def build_invoice(invoice: Invoice) -> tuple[str, Fields]:
    items = [
        _clean(
            {
                "item": ref(line.sku),
                "line": line.line_no or None,
                "quantity": line.quantity.value,
                "rate": str(line.unit_price.amount),
                "orderLine": line.order_line_no,
            }
        )
        for line in invoice.lines
    ]
    return "Invoice", _clean(
        {
            "externalId": _key(invoice, invoice.number),
            "entity": ref(invoice.customer_number),
            "tranDate": _on_date(invoice.invoice_date),
            "tranId": invoice.number,
            "createdFrom": ref(invoice.order_number),
            "currency": ref(invoice.currency),
            "shippingCost": invoice.freight or None,
            "itemList": {"item": items, "replaceAll": True},
        }
    )


def build_return(ra: ReturnAuthorization) -> tuple[str, Fields]:
    items = [
        _clean(
            {
                "item": ref(line.sku),
                "line": line.line_no or None,
                "quantity": line.quantity.value,
                "rate": str(line.unit_price.amount),
            }
        )
        for line in ra.lines
    ]
    return "ReturnAuthorization", _clean(
        {
            "externalId": _key(ra, ra.number),
            "entity": ref(ra.customer_number),
            "tranId": ra.number,
            "memo": ra.reason,
            "createdFrom": ref(ra.order_number),
            "orderStatus": "_pendingReceipt" if ra.status == "approved" else "_pendingApproval",
            "itemList": {"item": items, "replaceAll": True},
        }
    )
