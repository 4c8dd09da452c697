"""Received sets into our records: an 850 into an Order for the partner's customer, an 860
into the changes it asks for, a 997 into what it says of each set we sent. Pure functions:
the partner's cross-references decide the SKU and ship-to, and what cannot be mapped is a
problem that names the segment, not a guess."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any

from connectors.base import SetAck
from connectors.edi.partners import TradingPartner
from connectors.edi.sets.pc860 import PoChange
from connectors.edi.sets.po850 import PoLine, PurchaseOrder
from connectors.edi.x12 import TransactionSet
from core import records as rec

# A routing's SCAC (TD503) as the ERP's ship item ("<CARRIER> <service code>", as the ERP's
# ship items are set up); one we do not know ships by the 3PL's default, as an order without
# a method does.
SHIP_METHODS = {
    "UPSN": "UPS 03",
    "UPGN": "UPS 03",
    "FDEG": "FEDEX FEDEX_GROUND",
    "FDEN": "FEDEX FEDEX_2_DAY",
    "FXFE": "FEDEX FEDEX_2_DAY",
    "DHLC": "DHL EXPRESS_WORLDWIDE",
}


def _sku(partner: TradingPartner, line: PoLine) -> str | None:
    """Our SKU: the partner's cross-reference of its buyer part or UPC, else its vendor part
    (our own number as we gave it to them)."""
    for kind in ("buyer_part", "upc", "gtin"):
        code = line.ids.get(kind)
        if code and code in partner.items:
            return partner.items[code]
    return line.ids.get("vendor_part") or line.ids.get("sku")


def parse_order(partner: TradingPartner, po: PurchaseOrder) -> tuple[rec.Order, list[str]]:
    """The PO as our order for the partner's customer, and what could not be mapped."""
    problems: list[str] = []
    ship_to = po.party("ST")
    code = ""
    if ship_to is None:
        problems.append("no N1*ST ship-to party")
    elif ship_to.id and ship_to.id in partner.ship_tos:
        code = partner.ship_tos[ship_to.id]
    else:
        problems.append(
            f"N1*ST store {ship_to.id or '(no N104)'} is not in the ship-to cross-reference "
            f"edi.partners.{partner.key}.ship_tos"
        )
    currency = po.currency or "USD"
    lines = []
    for n, line in enumerate(po.lines, start=1):
        where = f"PO1 line {line.line_id or n} (segment {line.position})"
        sku = _sku(partner, line)
        if not sku:
            problems.append(f"{where}: no vendor part (VP) and no cross-referenced buyer part")
        if line.unit_price is None:
            problems.append(f"{where}: no unit price (PO104)")
        requested = line.dates.get("ship_requested") or po.dates.get("ship_requested")
        lines.append(
            rec.OrderLine(
                line_no=n,
                sku=sku or "",
                quantity=rec.Quantity(line.quantity, line.uom),
                unit_price=rec.Money(line.unit_price or Decimal("0"), currency),
                requested_date=requested,
            )
        )
    number = partner.order_number(po.po_number)
    order = rec.Order(
        source_system="edi",
        source_key=f"{partner.key}:{po.po_number}",
        external_id=number,
        number=number,
        customer_number=partner.customer,
        ship_to_code=code,
        order_date=po.order_date,
        currency=currency,
        status="open",
        ship_method=SHIP_METHODS.get(po.carrier.upper(), ""),
        # The ITD's terms stay on the EDI page: the customer's terms in the ERP govern.
        lines=lines,
    )
    return order, problems


def parse_change(partner: TradingPartner, change: PoChange) -> dict[str, Any]:
    """The 860 as the changes it asks for, by the buyer's line number (PO101 of the 850)."""
    lines = []
    for line in change.lines:
        sku = _sku(partner, PoLine(line.line_id, line.quantity or Decimal(0), line.uom,
                                   line.unit_price, line.ids))  # fmt: skip
        lines.append({
            "line_id": line.line_id, "change": line.change,
            "quantity": str(line.quantity) if line.quantity is not None else None,
            "uom": line.uom,
            "unit_price": str(line.unit_price) if line.unit_price is not None else None,
            "sku": sku, "requested_date": _iso(line.dates.get("ship_requested")),
            "position": line.position,
        })  # fmt: skip
    return {
        "po_number": change.po_number,
        "order_number": partner.order_number(change.po_number),
        "cancel_all": change.purpose == "01",
        "purpose": change.purpose,
        "lines": lines,
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def parse_acks(tset: TransactionSet) -> list[SetAck]:
    """What a 997 says of each set: AK2 set and control, its AK3/AK4 errors, AK5's code."""
    acks: list[SetAck] = []
    group = ""
    current: SetAck | None = None
    for segment in tset.body:
        if segment.tag == "AK1":
            group = segment.element(2)
        elif segment.tag == "AK2":
            current = SetAck(group, segment.element(1), segment.element(2), "")
            acks.append(current)
        elif segment.tag == "AK3" and current is not None:
            current.errors.append(
                f"segment {segment.element(1)} at {segment.element(2)}: code {segment.element(4)}"
            )
        elif segment.tag == "AK4" and current is not None:
            current.errors.append(
                f"element {segment.element(1)}: code {segment.element(3)} ({segment.element(4)!r})"
            )
        elif segment.tag == "AK5" and current is not None:
            current.code = segment.element(1)
        elif segment.tag == "AK9" and not acks:
            # A group rejected whole, with no AK2: every set of it is, as AK9 says.
            acks.append(SetAck(group, "", "", segment.element(1)))
    return acks


def view(value: Any) -> Any:
    """A record as JSON would hold it, for the EDI page."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: view(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): view(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [view(v) for v in value]
    if isinstance(value, Decimal | date):
        return str(value)
    return value
