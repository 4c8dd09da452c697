"""856 Ship Notice (004010, structure 0001: Shipment, Order, Pack, Item): what left the
warehouse for a retailer's order, its carrier (SCAC) and tracking, each carton under its
SSCC-18 label and the quantity of each PO line in it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from connectors.edi import gs1
from connectors.edi.declaration import SetDeclaration, elements, layout
from connectors.edi.sets.po850 import PurchaseOrder, day, number, plain
from connectors.edi.x12 import TransactionSet
from core.records import Shipment

LAYOUT = """
BSN M 1
DTM O 10
LOOP M 200000
  HL M 1
  LIN O 1
  SN1 O 1
  PRF O 1
  PO4 O 1
  PID O 200
  MEA O 40
  PKG O 25
  TD1 O 20
  TD5 O 12
  TD3 O 12
  TD4 O 5
  REF O >1
  PER O 3
  LOOP O 200
    CLD M 1
    REF O 200
    DTM O 1
  MAN O >1
  DTM O 10
  FOB O 1
  LOOP O 200
    N1 M 1
    N2 O 2
    N3 O 2
    N4 O 1
    REF O 12
    PER O 3
CTT O 1
"""
ELEMENTS = """
BSN: 01 M ID 2-2, 02 M AN 2-30, 03 M DT 8-8, 04 M TM 4-8, 05 O ID 4-4,
    06 O ID 2-2, 07 O ID 2-2
HL: 01 M AN 1-12, 02 O AN 1-12, 03 M ID 1-2, 04 O ID 1-1 0|1
LIN: 01 O AN 1-20, 02 M ID 2-2, 03 M AN 1-48, 04-31 O AN 1-48
SN1: 01 O AN 1-20, 02 M R 1-10, 03 M ID 2-2, 04 O R 1-15, 05 O R 1-9, 06 O ID 2-2,
    07 O R 1-9, 08 O ID 2-2
PRF: 01 M AN 1-22, 02 O AN 1-30, 03 O AN 1-8, 04 O DT 8-8, 05 O AN 1-30, 06 O AN 1-30
MAN: 01 M ID 1-2, 02 M AN 1-48, 03 O AN 1-48, 04 O ID 1-2, 05 O AN 1-48, 06 O AN 1-48
TD1: 01 O AN 3-5, 02 O N0 1-7, 03 O ID 1-1, 04 O ID 2-3, 05 O AN 1-50, 06 O ID 1-2,
    07 O R 1-10, 08 O ID 2-2, 09 O R 1-8, 10 O ID 2-2
TD5: 01 O ID 1-2, 02 O ID 1-2, 03 O AN 2-80, 04 O ID 1-2, 05 O AN 1-35, 06-15 O AN 1-80
REF: 01 M ID 2-3, 02 O AN 1-50, 03 O AN 1-80
DTM: 01 M ID 3-3, 02 O DT 8-8, 03 O TM 4-8, 04 O ID 2-2
CTT: 01 M N0 1-6, 02 O R 1-10
"""
DECLARATION = SetDeclaration("856", "Ship Notice/Manifest", layout(LAYOUT), elements(ELEMENTS))
SCAC = {"ups": "UPSN", "fedex": "FDEG", "dhl": "DHLC"}  # a carrier's Standard Carrier Alpha Code
SHIPPED = "011"  # DTM01: shipped


@dataclass(frozen=True)
class Pack:
    """One carton: its SSCC-18, tracking number, and (order line number, quantity) in it."""

    sscc: str
    tracking: str
    contents: tuple[tuple[int, Decimal], ...]


@dataclass(frozen=True)
class NoticeSent:
    shipment: str
    ship_date: date | None
    scac: str
    po_number: str
    packs: tuple[tuple[str, tuple[tuple[str, Decimal], ...]], ...]  # SSCC, (line id, qty)


def one_pack(shipment: Shipment, company_prefix: str, serial: int) -> list[Pack]:
    """Every line in one carton, for a 3PL that reports no carton contents."""
    tracking = shipment.packages[0].tracking_number if shipment.packages else ""
    lines = tuple((line.order_line_no, line.quantity.value) for line in shipment.lines)
    return [Pack(gs1.sscc(company_prefix, serial), tracking, lines)]


def build(
    shipment: Shipment, po: PurchaseOrder, packs: Sequence[Pack], at: str = "1200"
) -> list[list[str]]:
    """The 856's body: Shipment, Order, then each Pack with its Items, numbered as HL01 and
    each pointing at its parent (HL02)."""
    for pack in packs:
        if not gs1.is_valid(pack.sscc):
            raise ValueError(f"carton label {pack.sscc!r} is not a valid SSCC-18")
    shipped = (shipment.ship_date or date.today()).strftime("%Y%m%d")
    scac = SCAC.get(shipment.carrier.lower(), shipment.carrier.upper()[:4])
    rows = [["BSN", "00", shipment.number, shipped, at, "0001"],
            ["HL", "1", "", "S", "1"],
            ["TD1", "CTN25", str(len(packs))],
            ["TD5", "B", "2", scac, "", shipment.service]]  # fmt: skip
    tracking = next((p.tracking for p in packs if p.tracking), "")
    rows += [["REF", "CN", tracking]] if tracking else []
    rows += [["DTM", SHIPPED, shipped]]
    ship_to = po.party("ST")
    if ship_to:
        rows.append(["N1", "ST", ship_to.name, ship_to.id_qualifier, ship_to.id])
    rows += [["HL", "2", "1", "O", "1"], ["PRF", po.po_number]]
    by_line = {n + 1: line for n, line in enumerate(po.lines)}
    hl = 2
    for pack in packs:
        hl += 1
        pack_hl = hl
        rows += [["HL", str(pack_hl), "2", "P", "1"], ["MAN", "GM", pack.sscc]]
        for line_no, quantity in pack.contents:
            hl += 1
            buyer = by_line.get(line_no)
            line_id = buyer.line_id if buyer else str(line_no)
            product = (["VP", buyer.ids["vendor_part"]] if buyer and "vendor_part" in buyer.ids
                       else ["UP", buyer.ids["upc"]] if buyer and "upc" in buyer.ids
                       else ["VP", str(line_no)])  # fmt: skip
            uom = buyer.uom if buyer else "EA"
            rows += [["HL", str(hl), str(pack_hl), "I", "0"], ["LIN", line_id, *product],
                     ["SN1", "", plain(quantity), uom]]  # fmt: skip
    rows.append(["CTT", str(hl)])
    return rows


def parse(tset: TransactionSet) -> NoticeSent:
    body = tset.body
    bsn = next(s for s in body if s.tag == "BSN")
    td5 = next((s for s in body if s.tag == "TD5"), None)
    prf = next((s for s in body if s.tag == "PRF"), None)
    packs: list[tuple[str, list[tuple[str, Decimal]]]] = []
    line_id = ""
    for segment in body:
        if segment.tag == "MAN" and segment.element(1) == "GM":
            packs.append((segment.element(2), []))
        elif segment.tag == "LIN":
            line_id = segment.element(1)
        elif segment.tag == "SN1" and packs:
            packs[-1][1].append((line_id, number(segment.element(2)) or Decimal("0")))
    return NoticeSent(bsn.element(2), day(bsn.element(3)), td5.element(3) if td5 else "",
                      prf.element(1) if prf else "",
                      tuple((sscc, tuple(items)) for sscc, items in packs))  # fmt: skip
