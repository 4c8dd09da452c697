"""855 Purchase Order Acknowledgment (004010): what we tell a retailer we will ship of its
850, per line (ACK01: IA accepted, IQ quantity changed, DR date rescheduled, IR rejected),
built from its order as the ERP accepted it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from connectors.edi.declaration import SetDeclaration, elements, layout
from connectors.edi.sets.po850 import PoLine, PurchaseOrder, day, id_pairs, number, plain
from connectors.edi.x12 import TransactionSet
from core.records import OrderLine

LAYOUT = """
BAK M 1
CUR O 1
REF O >1
PER O 3
FOB O >1
CSH O 5
ITD O >1
DTM O 10
TD5 O 12
LOOP O 1000
  N9 M 1
  MSG O 1000
LOOP O 200
  N1 M 1
  N2 O 2
  N3 O 2
  N4 O >1
  REF O 12
  PER O >1
LOOP O 100000
  PO1 M 1
  LIN O >1
  LOOP O 1000
    PID M 1
  PO4 O >1
  REF O >1
  DTM O 10
  LOOP O 104
    ACK M 1
    DTM O 1
  LOOP O 200
    SCH M 1
    DTM O 1
  LOOP O 200
    N1 M 1
    N2 O 2
    N3 O 2
    N4 O 1
    REF O 12
    PER O 3
    DTM O 1
LOOP O 1
  CTT M 1
  AMT O 1
"""
ELEMENTS = """
BAK: 01 M ID 2-2 00|01|04|05|06, 02 M ID 2-2 AC|AD|AE|AK|AP|AT|NA|RD|RJ, 03 M AN 1-22,
    04 M DT 8-8, 05 O AN 1-30, 06 O AN 1-45, 07 O AN 1-45, 08 O AN 1-30, 09 O DT 8-8,
    10 O ID 2-2
ACK: 01 M ID 2-2 AC|AR|BP|DR|IA|IB|IC|ID|IE|IF|IH|IP|IQ|IR|IS|IW|R1|R2|R3|R4|SP,
    02 O R 1-15, 03 O ID 2-2, 04 O ID 3-3, 05 O DT 8-8, 06 O AN 1-80, 07-28 O AN 1-48, 29 O ID 1-3
PO1: 01 O AN 1-20, 02 O R 1-15, 03 O ID 2-2, 04 O R 1-17, 05 O ID 2-2, 06-25 O AN 1-48
CTT: 01 M N0 1-6, 02 O R 1-10
DTM: 01 M ID 3-3, 02 O DT 8-8, 03 O TM 4-8, 04 O ID 2-2
"""
DECLARATION = SetDeclaration(
    "855", "Purchase Order Acknowledgment", layout(LAYOUT), elements(ELEMENTS)
)
SCHEDULED_SHIP = "068"  # ACK04/DTM01: current schedule ship date


@dataclass(frozen=True)
class LineAnswer:
    line_id: str
    code: str  # ACK01
    quantity: str
    uom: str
    ship_date: date | None


@dataclass(frozen=True)
class Acknowledgment:
    po_number: str
    status: str  # BAK02: AD accepted as sent, AC accepted with changes, RJ rejected
    po_date: date | None
    our_order: str
    lines: tuple[LineAnswer, ...]


def answer(line: PoLine, ours: OrderLine | None) -> LineAnswer:
    """What we say of one line: rejected when the ERP dropped or cancelled it, the quantity
    changed when it takes another, rescheduled when its ship date is not the asked one."""
    if ours is None or ours.status == "cancelled":
        return LineAnswer(line.line_id, "IR", "0", line.uom, None)
    shipping = ours.promised_date or ours.requested_date
    if ours.quantity.value != line.quantity:
        return LineAnswer(line.line_id, "IQ", plain(ours.quantity.value), line.uom, shipping)
    asked = line.dates.get("ship_requested")
    if shipping and asked and shipping != asked:
        return LineAnswer(line.line_id, "DR", plain(ours.quantity.value), line.uom, shipping)
    return LineAnswer(line.line_id, "IA", plain(ours.quantity.value), line.uom, shipping)


def build(
    po: PurchaseOrder, pairs: Sequence[tuple[PoLine, OrderLine | None]], our_order: str,
    today: date,
) -> list[list[str]]:  # fmt: skip
    """The 855's body for the order as the ERP accepted it: each PO line with what we say."""
    answers = [answer(line, ours) for line, ours in pairs]
    codes = {a.code for a in answers}
    status = "RJ" if codes == {"IR"} else "AD" if codes <= {"IA"} else "AC"
    po_date = (po.order_date or today).strftime("%Y%m%d")
    rows = [["BAK", "00", status, po.po_number, po_date, "", "", "", our_order,
             today.strftime("%Y%m%d")]]  # fmt: skip
    for (line, _), said in zip(pairs, answers, strict=True):
        ids = id_pairs(line.ids)
        price = plain(line.unit_price) if line.unit_price is not None else ""
        rows.append(["PO1", line.line_id, plain(line.quantity), line.uom, price, "", *ids])
        ship = said.ship_date.strftime("%Y%m%d") if said.ship_date else ""
        rows.append(["ACK", said.code, said.quantity, said.uom, SCHEDULED_SHIP if ship else "",
                     ship])  # fmt: skip
    rows.append(["CTT", str(len(pairs))])
    return rows


def parse(tset: TransactionSet) -> Acknowledgment:
    bak = next(s for s in tset.body if s.tag == "BAK")
    lines, current = [], None
    for segment in tset.body:
        if segment.tag == "PO1":
            current = segment.element(1)
        elif segment.tag == "ACK" and current is not None:
            quantity = number(segment.element(2))
            lines.append(LineAnswer(current, segment.element(1), plain(quantity) if quantity
                                    is not None else "", segment.element(3),
                                    day(segment.element(5))))  # fmt: skip
    return Acknowledgment(bak.element(3), bak.element(2), day(bak.element(4)),
                          bak.element(8), tuple(lines))  # fmt: skip
