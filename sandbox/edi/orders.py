"""The retailer's purchase orders and their changes, and the 850 and 860 bodies (004010) it
writes for them: the segments between ST and SE, as its translator lays them out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sandbox.edi.x12 import Row

BUYER = "Beacon Retail Group"
VENDOR_NUMBER = "V77120"  # how the retailer's buying system knows us (REF*IA)
BILL_TO = ("0001", "1200 Commerce Way", "Seattle", "WA", "98101", "US")  # its head office


@dataclass(frozen=True)
class Store:
    number: str  # N104, the retailer's own store number (N103 92)
    name: str
    line1: str
    city: str
    state: str
    postal_code: str
    country: str


@dataclass(frozen=True)
class PoLine:
    line_id: str  # PO101
    sku: str  # our SKU, the vendor part number (VP) the retailer orders by
    quantity: int
    unit_price: Decimal
    upc: str = ""
    buyer_part: str = ""


@dataclass(frozen=True)
class LineChange:
    """One POC: QI / QD a quantity, DI delete the line, AI add one."""

    change: str
    line: PoLine


@dataclass(frozen=True)
class PurchaseOrder:
    number: str
    order_date: date
    ship_date: date  # DTM 010, requested ship
    cancel_date: date  # DTM 001, cancel after
    store: Store
    department: str
    scac: str
    routing: str  # TD505, a ship method by name
    terms_days: int
    lines: tuple[PoLine, ...]
    with_currency: bool = False  # some of its buyers' orders carry CUR*BY*USD
    changes: tuple[LineChange, ...] = ()  # what an 860 changes later, if anything


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


def _price(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _ids(line: PoLine) -> list[str]:
    """Product ids after the basis of price: VP always, then the buyer's own part and UPC."""
    ids = ["VP", line.sku]
    ids += ["BP", line.buyer_part] if line.buyer_part else []
    ids += ["UP", line.upc] if line.upc else []
    return ids


def _parties(po: PurchaseOrder) -> list[Row]:
    s = po.store
    # N402 is a two-letter code in 004010: a longer state or province is left to the city.
    state = s.state if len(s.state) == 2 else ""
    number, line1, city, bt_state, postal, country = BILL_TO
    return [
        ("N1", "ST", s.name, "92", s.number),
        ("N3", s.line1),
        ("N4", s.city, state, s.postal_code, s.country),
        ("N1", "BT", BUYER, "92", number),
        ("N3", line1),
        ("N4", city, bt_state, postal, country),
    ]


def body_850(po: PurchaseOrder) -> list[Row]:
    """The 850's segments: BEG, CUR, REF, ITD, DTM, TD5, the N1 loops, PO1 lines, CTT."""
    rows: list[Row] = [("BEG", "00", "SA", po.number, "", _day(po.order_date))]
    rows += [("CUR", "BY", "USD")] if po.with_currency else []
    rows += [("REF", "DP", po.department), ("REF", "IA", VENDOR_NUMBER)]
    terms = ("01", "3", "", "", "", "", str(po.terms_days), "", "", "", "")
    rows.append(("ITD", *terms, f"NET {po.terms_days}"))
    rows += [("DTM", "010", _day(po.ship_date)), ("DTM", "001", _day(po.cancel_date))]
    rows.append(("TD5", "O", "2", po.scac, "U", po.routing))
    rows += _parties(po)
    for line in po.lines:
        qty, price = str(line.quantity), _price(line.unit_price)
        rows.append(("PO1", line.line_id, qty, "EA", price, "PE", *_ids(line)))
    rows.append(("CTT", str(len(po.lines)), str(sum(line.quantity for line in po.lines))))
    return rows


def body_860(po: PurchaseOrder, change_date: date) -> list[Row]:
    """The 860 changing `po` line by line (BCH01 04: a change, not a cancellation)."""
    rows: list[Row] = [
        ("BCH", "04", "SA", po.number, "", "", _day(po.order_date), "", "", "", _day(change_date)),
        ("REF", "DP", po.department),
    ]
    for change in po.changes:
        line = change.line
        rows.append(
            ("POC", line.line_id, change.change, str(line.quantity), "", "EA",
             _price(line.unit_price), "PE", *_ids(line))
        )  # fmt: skip
    rows.append(("CTT", str(len(po.changes)), str(sum(c.line.quantity for c in po.changes))))
    return rows
