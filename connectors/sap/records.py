"""Pure mapping between canonical records and SAP's BAPI and ZOB_* read structures.

`build_*` turn our records into the parameters of an operation (plain dicts zeep serialises);
`parse_*` turn rows (plain dicts, as `zeep.helpers.serialize_object` gives them) into ours.
SAP quirks kept here: initial dates travel as 0000-00-00, item numbers are counted in tens
(our line 1 is SAP item 000010), timestamps are ABAP UTC timestamps YYYYMMDDhhmmss, and a
create or change answers through the BAPIRET2 RETURN table, not a fault.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from core.records import (
    Availability,
    Customer,
    Invoice,
    InvoiceLine,
    Item,
    Money,
    Order,
    OrderLine,
    PriceListEntry,
    Quantity,
    Shipment,
    ShipmentLine,
)

SYSTEM = "sap"
INITIAL_DATE = "0000-00-00"
# Fixed namespace of our MessageHeader UUIDs: the same business key always gives the same UUID.
UUID_NAMESPACE = uuid.UUID("5b0d6c1e-7a52-4f0e-9a39-0b7e5d2f4c11")
ORDER_STATUS = {"A": "open", "B": "in_progress", "C": "closed", "": "open"}


@dataclass(frozen=True)
class OrderDefaults:
    """Sales area and codes every created sales order needs (connections.sap.*)."""

    order_type: str = "OR"
    sales_org: str = "1010"
    distribution_channel: str = "10"
    division: str = "00"
    price_condition: str = "PPR0"
    hold_block: str = "01"
    cancel_reason: str = "Z1"
    # SAP price list types (PLTYP, two characters) and the price levels they stand for.
    price_lists: str = "01=Base Price,02=Wholesale,03=Distributor"

    def price_level(self, code: str) -> str:
        pairs = (entry.partition("=") for entry in self.price_lists.split(","))
        return {k.strip(): v.strip() for k, _, v in pairs}.get(code, code)


@dataclass
class Messages:
    """A BAPI RETURN table read by severity: E and A reject, W is kept, S and I inform."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)
    first_error_code: str | None = None
    first_error_field: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.errors)


class FieldTooLongError(ValueError):
    """A value does not fit the SAP field it must travel in."""

    def __init__(self, field_name: str, value: str, limit: int) -> None:
        super().__init__(f"{field_name} {value!r} is longer than SAP's {limit} characters")
        self.field_name = field_name


# ---------------------------------------------------------------- small conversions


def sap_date(value: date | None) -> str:
    return value.isoformat() if value else INITIAL_DATE


def parse_sap_date(value: Any) -> date | None:
    if not value or str(value) == INITIAL_DATE:
        return None
    return date.fromisoformat(str(value))


def sap_timestamp(value: datetime) -> Decimal:
    return Decimal(value.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S"))


def parse_sap_timestamp(value: Any) -> datetime | None:
    if value in (None, "", 0, Decimal(0)):
        return None
    text = f"{int(Decimal(str(value))):014d}"
    return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)


def item_number(line_no: int) -> str:
    return f"{line_no * 10:06d}"


def line_number(posnr: Any) -> int:
    return int(str(posnr or "0")) // 10


def text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal("0")


def fit(field_name: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise FieldTooLongError(field_name, value, limit)
    return value


def message_uuid(operation: str, business_key: str, payload: Any = None) -> str:
    """The MessageHeader UUID of a write: the same key (and payload) gives the same UUID.

    SAP's idempotent services answer a request whose MessageHeader/UUID they have processed
    with the original response, so a resend after a lost reply creates nothing twice.
    """
    name = f"{operation}:{business_key}"
    if payload is not None:
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode())
        name += ":" + digest.hexdigest()
    return str(uuid.uuid5(UUID_NAMESPACE, name))


# ---------------------------------------------------------------- BAPI RETURN


def parse_return(rows: list[dict[str, Any]] | None) -> Messages:
    messages = Messages()
    for row in rows or []:
        kind = text(row.get("TYPE")).upper()
        line = text(row.get("MESSAGE"))
        code = f"{text(row.get('ID'))}/{text(row.get('NUMBER'))}".strip("/")
        if code:
            line = f"{line} [{code}]"
        if kind in ("E", "A"):
            if messages.first_error_code is None:
                messages.first_error_code = code or kind
                messages.first_error_field = text(row.get("FIELD"))
            messages.errors.append(line)
        elif kind == "W":
            messages.warnings.append(line)
        else:
            messages.infos.append(line)
    return messages


# ---------------------------------------------------------------- sales order create / change


def _header(order: Order, defaults: OrderDefaults) -> dict[str, Any]:
    return {
        "DOC_TYPE": defaults.order_type,
        "SALES_ORG": defaults.sales_org,
        "DISTR_CHAN": defaults.distribution_channel,
        "DIVISION": defaults.division,
        "PURCH_DATE": sap_date(order.order_date),
        "PMNTTRMS": fit("terms", order.terms, 4),
        "DLV_BLOCK": defaults.hold_block if order.on_hold else "",
        "PURCH_NO_C": fit("external_id", order.external_id or "", 35),
        "SHIP_COND": fit("ship_method", order.ship_method, 2),
        "CURRENCY": order.currency,
    }


def _item(line: OrderLine, defaults: OrderDefaults) -> dict[str, Any]:
    return {
        "ITM_NUMBER": item_number(line.line_no),
        "MATERIAL": fit(f"line {line.line_no} sku", line.sku, 18),
        "REASON_REJ": defaults.cancel_reason if line.status == "cancelled" else "",
        "PLANT": fit(f"line {line.line_no} location", line.location, 4),
        "TARGET_QTY": line.quantity.value,
        "TARGET_QU": fit(f"line {line.line_no} uom", line.quantity.uom, 3),
    }


def _schedule(line: OrderLine) -> dict[str, Any]:
    return {
        "ITM_NUMBER": item_number(line.line_no),
        "SCHED_LINE": "0001",
        "REQ_DATE": sap_date(line.requested_date),
        "REQ_QTY": line.quantity.value,
    }


def build_order_create(
    order: Order, defaults: OrderDefaults, *, test_run: bool = False
) -> dict[str, Any]:
    """BAPI_SALESORDER_CREATEFROMDAT2 parameters for a new sales order keyed by external_id."""
    if not order.external_id:
        raise ValueError("an order needs its external_id to be written to SAP")
    partners = [{"PARTN_ROLE": "AG", "PARTN_NUMB": fit("customer", order.customer_number, 10)}]
    ship_to = order.ship_to_code or order.customer_number
    partners.append({"PARTN_ROLE": "WE", "PARTN_NUMB": fit("ship_to", ship_to, 10)})
    for partner in partners:
        partner["ITM_NUMBER"] = "000000"
    conditions = [
        {
            "ITM_NUMBER": item_number(line.line_no),
            "COND_TYPE": defaults.price_condition,
            "COND_VALUE": line.unit_price.amount,
            "CURRENCY": line.unit_price.currency,
        }
        for line in order.lines
    ]
    params: dict[str, Any] = {
        "MessageHeader": {
            "ID": order.external_id[:35],
            "UUID": message_uuid("create", order.external_id),
        },
        "ORDER_CONDITIONS_IN": {"item": conditions},
        "ORDER_HEADER_IN": _header(order, defaults),
        "ORDER_ITEMS_IN": {"item": [_item(line, defaults) for line in order.lines]},
        "ORDER_PARTNERS": {"item": partners},
        "ORDER_SCHEDULES_IN": {"item": [_schedule(line) for line in order.lines]},
    }
    if test_run:
        params["TESTRUN"] = "X"
    return params


def _header_change(order: Order, current: Order, defaults: OrderDefaults) -> dict[str, Any]:
    wanted = {
        "PMNTTRMS": fit("terms", order.terms, 4),
        "DLV_BLOCK": defaults.hold_block if order.on_hold else "",
        "SHIP_COND": fit("ship_method", order.ship_method, 2),
    }
    have = {
        "PMNTTRMS": current.terms,
        "DLV_BLOCK": defaults.hold_block if current.on_hold else "",
        "SHIP_COND": current.ship_method,
    }
    return {k: v for k, v in wanted.items() if v != have[k]}


def _line_change(
    line: OrderLine, old: OrderLine | None, defaults: OrderDefaults
) -> tuple[dict, dict, dict | None, dict | None] | None:
    new_item = _item(line, defaults)
    if old is None:
        flags = {k: "X" for k in ("MATERIAL", "REASON_REJ", "PLANT", "TARGET_QTY", "TARGET_QU")}
        sched = _schedule(line)
        sched_x = {"ITM_NUMBER": sched["ITM_NUMBER"], "SCHED_LINE": "0001", "UPDATEFLAG": "I"}
        sched_x.update(REQ_DATE="X", REQ_QTY="X")
        return new_item, {"UPDATEFLAG": "I", **flags}, sched, sched_x
    old_item = _item(old, defaults)
    changed = {k for k in ("REASON_REJ", "PLANT", "TARGET_QTY") if new_item[k] != old_item[k]}
    date_changed = line.requested_date != old.requested_date
    qty_changed = "TARGET_QTY" in changed
    if not changed and not date_changed:
        return None
    flags = {k: ("X" if k in changed else "") for k in ("REASON_REJ", "PLANT", "TARGET_QTY")}
    item_x = {"UPDATEFLAG": "U", "MATERIAL": "", "TARGET_QU": "", **flags}
    sched = sched_x = None
    if qty_changed or date_changed:
        sched = _schedule(line)
        sched_x = {"ITM_NUMBER": sched["ITM_NUMBER"], "SCHED_LINE": "0001", "UPDATEFLAG": "U"}
        sched_x.update(REQ_DATE="X" if date_changed else "", REQ_QTY="X" if qty_changed else "")
    return new_item, item_x, sched, sched_x


def _ordered_x(item_x: dict[str, str], itm_number: str) -> dict[str, str]:
    keys = ("UPDATEFLAG", "MATERIAL", "REASON_REJ", "PLANT", "TARGET_QTY", "TARGET_QU")
    return {"ITM_NUMBER": itm_number, **{k: item_x.get(k, "") for k in keys}}


def build_order_change(
    order: Order, current: Order, defaults: OrderDefaults, *, test_run: bool = False
) -> dict[str, Any] | None:
    """BAPI_SALESORDER_CHANGE parameters taking `current` (read from SAP) to `order`.

    None when nothing differs, so a change already applied is never posted again. Lines are
    never deleted: a cancelled line gets the reason for rejection, as SAP order changes do.
    """
    header = _header_change(order, current, defaults)
    old_lines = {line.line_no: line for line in current.lines}
    items, items_x, scheds, scheds_x = [], [], [], []
    for line in order.lines:
        change = _line_change(line, old_lines.get(line.line_no), defaults)
        if change is None:
            continue
        item, item_x, sched, sched_x = change
        items.append(item)
        items_x.append(_ordered_x(item_x, item["ITM_NUMBER"]))
        if sched is not None:
            scheds.append(sched)
            scheds_x.append(sched_x)
    if not header and not items:
        return None
    header_in = {"PMNTTRMS": "", "DLV_BLOCK": "", "SHIP_COND": "", **header}
    header_in = {k: header_in[k] for k in ("PMNTTRMS", "DLV_BLOCK", "SHIP_COND")}
    header_x = {"UPDATEFLAG": "U"} | {k: ("X" if k in header else "") for k in header_in}
    payload = {"header": header, "items": items, "schedules": scheds}
    params: dict[str, Any] = {
        "MessageHeader": {
            "ID": (order.external_id or current.number)[:35],
            "UUID": message_uuid("change", order.external_id or current.number, payload),
        },
        "ORDER_HEADER_IN": header_in,
        "ORDER_HEADER_INX": header_x,
        "ORDER_ITEM_IN": {"item": items},
        "ORDER_ITEM_INX": {"item": items_x},
        "SALESDOCUMENT": current.number,
        "SCHEDULE_LINES": {"item": scheds},
        "SCHEDULE_LINESX": {"item": scheds_x},
    }
    if test_run:
        params["SIMULATION"] = "X"
    return params


# ---------------------------------------------------------------- reads


def _group(items: list[dict[str, Any]] | None) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in items or []:
        grouped.setdefault(text(row.get("VBELN")), []).append(row)
    return grouped


def rows(table: Any) -> list[dict[str, Any]]:
    """The rows of a serialised SAP table parameter ({'item': [...]}, or None when empty)."""
    if not table:
        return []
    if isinstance(table, dict):
        return list(table.get("item") or [])
    return list(table)


def _documents(result: dict[str, Any], parse: Any) -> list[Any]:
    """Each header of a document read (VBELN) parsed with its item rows."""
    items = _group(rows(result.get("ITEMS")))
    return [parse(h, items.get(text(h.get("VBELN")), [])) for h in rows(result.get("HEADERS"))]


def parse_orders(result: dict[str, Any]) -> list[Order]:
    return _documents(result, parse_order)


def parse_order(header: dict[str, Any], items: list[dict[str, Any]]) -> Order:
    currency = text(header.get("WAERK")) or "USD"
    lines = []
    for row in items:
        ordered = decimal(row.get("KWMENG"))
        shipped = decimal(row.get("LFIMG"))
        lines.append(
            OrderLine(
                line_no=line_number(row.get("POSNR")),
                sku=text(row.get("MATNR")),
                quantity=Quantity(ordered, text(row.get("VRKME")) or "EA"),
                unit_price=Money(decimal(row.get("NETPR")), currency),
                requested_date=parse_sap_date(row.get("EDATU")),
                quantity_shipped=shipped,
                quantity_invoiced=decimal(row.get("FKIMG")),
                status="cancelled" if text(row.get("ABGRU")) else "open",
                location=text(row.get("WERKS")),
            )
        )
    number = text(header.get("VBELN"))
    return Order(
        source_system=SYSTEM,
        source_key=number,
        external_id=text(header.get("BSTNK")) or None,
        modified_at=parse_sap_timestamp(header.get("CHANGED_AT")),
        number=number,
        customer_number=text(header.get("KUNNR")),
        ship_to_code=text(header.get("KUNWE")),
        order_date=parse_sap_date(header.get("AUDAT")),
        currency=currency,
        status=ORDER_STATUS.get(text(header.get("GBSTK")), "open"),
        ship_method=text(header.get("VSBED")),
        terms=text(header.get("ZTERM")),
        on_hold=bool(text(header.get("LIFSK"))),
        lines=sorted(lines, key=lambda line: line.line_no),
    )


def parse_shipments(result: dict[str, Any]) -> list[Shipment]:
    return _documents(result, parse_shipment)


def parse_shipment(header: dict[str, Any], items: list[dict[str, Any]]) -> Shipment:
    number = text(header.get("VBELN"))
    goods_issued = text(header.get("WBSTK")) == "C"
    return Shipment(
        source_system=SYSTEM,
        source_key=number,
        modified_at=parse_sap_timestamp(header.get("CHANGED_AT")),
        number=number,
        order_number=text(header.get("VGBEL")),
        ship_date=parse_sap_date(header.get("WADAT_IST")),
        carrier=text(header.get("TDLNR")),
        service=text(header.get("VSBED")),
        status="in_transit" if goods_issued else "pre_transit",
        promised_date=parse_sap_date(header.get("LFDAT")),
        lines=[
            ShipmentLine(
                order_line_no=line_number(row.get("VGPOS")),
                sku=text(row.get("MATNR")),
                quantity=Quantity(decimal(row.get("LFIMG")), text(row.get("VRKME")) or "EA"),
            )
            for row in items
        ],
    )


def parse_invoices(result: dict[str, Any]) -> list[Invoice]:
    return _documents(result, parse_invoice)


def parse_invoice(header: dict[str, Any], items: list[dict[str, Any]]) -> Invoice:
    number = text(header.get("VBELN"))
    currency = text(header.get("WAERK")) or "USD"
    return Invoice(
        source_system=SYSTEM,
        source_key=number,
        modified_at=parse_sap_timestamp(header.get("CHANGED_AT")),
        number=number,
        order_number=text(header.get("AUBEL")),
        customer_number=text(header.get("KUNRG")),
        invoice_date=parse_sap_date(header.get("FKDAT")),
        currency=currency,
        tax=decimal(header.get("MWSBK")),
        freight=decimal(header.get("FRACHT")),
        status="cancelled" if text(header.get("FKSTO")) else "open",
        lines=[
            InvoiceLine(
                line_no=line_number(row.get("POSNR")),
                sku=text(row.get("MATNR")),
                quantity=Quantity(decimal(row.get("FKIMG")), text(row.get("VRKME")) or "EA"),
                unit_price=Money(decimal(row.get("NETPR")), currency),
                order_line_no=line_number(row.get("AUPOS")) or None,
            )
            for row in items
        ],
    )


def parse_customer(row: dict[str, Any], defaults: OrderDefaults | None = None) -> Customer:
    number = text(row.get("KUNNR"))
    return Customer(
        source_system=SYSTEM,
        source_key=number,
        modified_at=parse_sap_timestamp(row.get("CHANGED_AT")),
        number=number,
        name=text(row.get("NAME1")),
        currency=text(row.get("WAERS")) or "USD",
        price_level=(defaults or OrderDefaults()).price_level(text(row.get("PLTYP"))),
        terms=text(row.get("ZTERM")),
        active=not text(row.get("AUFSD")),
    )


def parse_item(row: dict[str, Any]) -> Item:
    sku = text(row.get("MATNR"))
    return Item(
        source_system=SYSTEM,
        source_key=sku,
        modified_at=parse_sap_timestamp(row.get("CHANGED_AT")),
        sku=sku,
        description=text(row.get("MAKTX")),
        uom=text(row.get("MEINS")) or "EA",
        active=not text(row.get("VMSTA")),
    )


def parse_price(row: dict[str, Any], defaults: OrderDefaults | None = None) -> PriceListEntry:
    return PriceListEntry(
        source_system=SYSTEM,
        source_key=text(row.get("KNUMH")),
        modified_at=parse_sap_timestamp(row.get("CHANGED_AT")),
        sku=text(row.get("MATNR")),
        price_level=(defaults or OrderDefaults()).price_level(text(row.get("PLTYP"))),
        unit_price=Money(decimal(row.get("KBETR")), text(row.get("KONWA")) or "USD"),
        min_quantity=decimal(row.get("KSTBM")),
        effective_from=parse_sap_date(row.get("DATAB")),
        effective_to=parse_sap_date(row.get("DATBI")),
    )


def parse_availability(row: dict[str, Any]) -> Availability:
    sku, plant = text(row.get("MATNR")), text(row.get("WERKS"))
    return Availability(
        source_system=SYSTEM,
        source_key=f"{sku}@{plant}",
        modified_at=parse_sap_timestamp(row.get("CHANGED_AT")),
        sku=sku,
        location=plant,
        on_hand=decimal(row.get("LABST")),
        allocated=decimal(row.get("RESERVED")),
        available=decimal(row.get("AVAILABLE")),
    )
