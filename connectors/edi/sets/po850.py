"""850 Purchase Order (004010, with 004030's MTX notes; later versions read the same
here): a retailer's order, its parties in N1 loops and its lines in PO1 loops."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from connectors.edi.declaration import SetDeclaration, elements, layout
from connectors.edi.x12 import Segment, TransactionSet
from core.records import Address

LAYOUT = """
BEG M 1
CUR O 1
REF O >1
PER O 3
TAX O >1
FOB O >1
CTP O >1
PAM O 10
CSH O 5
TC2 O >1
LOOP O 25
  SAC M 1
  CUR O 1
ITD O >1
DIS O 20
INC O 1
DTM O 10
LDT O 12
LIN O 5
SI O >1
PID O 200
MEA O 40
PWK O 25
PKG O 200
TD1 O 2
TD5 O 12
TD3 O 12
TD4 O 5
MAN O 10
PCT O >1
CTB O 5
TXI O >1
LOOP O 1000
  N9 M 1
  DTM O >1
  MSG O 1000
  MTX O >1
LOOP O 200
  N1 M 1
  N2 O 2
  N3 O 2
  N4 O >1
  NX2 O >1
  REF O 12
  PER O >1
  SI O >1
  FOB O 1
  TD1 O 2
  TD5 O 12
  TD3 O 12
  TD4 O 5
  PKG O 200
LOOP M 100000
  PO1 M 1
  LIN O >1
  SI O >1
  CUR O 1
  CN1 O 1
  PO3 O 25
  LOOP O >1
    CTP M 1
    CUR O 1
  PAM O 10
  MEA O 40
  LOOP O 1000
    PID M 1
    MEA O 10
  PWK O 25
  PO4 O >1
  REF O >1
  PER O 3
  LOOP O 25
    SAC M 1
    CUR O 1
    CTP O 1
  IT8 O 1
  CSH O >1
  ITD O 2
  DIS O 20
  INC O 1
  TAX O >1
  FOB O >1
  SDQ O 500
  IT3 O 5
  DTM O 10
  TC2 O >1
  TD1 O 1
  TD5 O 12
  TD3 O 12
  TD4 O 5
  PCT O >1
  MAN O 10
  MSG O >1
  SPI O >1
  TXI O >1
  CTB O >1
  LOOP O >1
    QTY M 1
    SI O >1
  LOOP O 200
    SCH M 1
    TD1 O 2
    TD5 O 12
    TD3 O 12
    TD4 O 5
    REF O >1
  LOOP O 200
    N1 M 1
    N2 O 2
    N3 O 2
    N4 O 1
    QTY O >1
    NX2 O >1
    REF O 12
    PER O 3
    SI O >1
    DTM O 1
    FOB O 1
    SCH O 200
    TD1 O 2
    TD5 O 12
    TD3 O 12
    TD4 O 5
    PKG O 200
  LOOP O 1000
    SLN M 1
    MSG O >1
    SI O >1
    PID O 1000
    PO3 O 104
    TC2 O >1
    ADV O >1
    DTM O 10
    CTP O 25
    PAM O 10
    PO4 O 1
    TAX O 3
    N9 O >1
    SAC O 25
    QTY O >1
    N1 O 10
  LOOP O >1
    AMT M 1
    REF O 1
    PCT O >1
LOOP O 1
  CTT M 1
  AMT O 1
"""
ELEMENTS = """
BEG: 01 M ID 2-2, 02 M ID 2-2, 03 M AN 1-22, 04 O AN 1-30, 05 M DT 6-8, 06 O AN 1-30,
    07-12 O AN 1-30
CUR: 01 M ID 2-3, 02 M ID 3-3, 03-21 O AN 1-35
REF: 01 M ID 2-3, 02 O AN 1-50, 03 O AN 1-80, 04 O C 1-999
PER: 01 M ID 2-2, 02 O AN 1-60, 03 O ID 2-2, 04 O AN 1-256, 05 O ID 2-2, 06 O AN 1-256,
    07 O ID 2-2, 08 O AN 1-256, 09 O AN 1-20
FOB: 01 M ID 2-2, 02-09 O AN 1-80
ITD: 01 O ID 2-2, 02 O ID 1-2, 03 O R 1-6, 04 O DT 6-8, 05 O N0 1-3, 06 O DT 6-8, 07 O N0 1-3,
    08 O N2 1-10, 09 O N2 1-10, 10 O N2 1-10, 11 O N0 1-5, 12 O AN 1-80, 13 O N0 1-2,
    14 O ID 1-2, 15 O R 1-10
DTM: 01 M ID 3-3, 02 O DT 6-8, 03 O TM 4-8, 04 O ID 2-2, 05 O ID 2-3, 06 O AN 1-35
TD5: 01 O ID 1-2, 02 O ID 1-2, 03 O AN 2-80, 04 O ID 1-2, 05 O AN 1-35, 06-15 O AN 1-80
N9: 01 M ID 2-3, 02 O AN 1-50, 03 O AN 1-45, 04 O DT 6-8, 05 O TM 4-8, 06 O ID 2-2, 07 O C 1-999
MSG: 01 M AN 1-264, 02 O ID 2-2, 03 O N0 1-9
N1: 01 M ID 2-3, 02 O AN 1-60, 03 O ID 1-2, 04 O AN 2-80, 05 O ID 2-2, 06 O ID 2-3
N2: 01 M AN 1-60, 02 O AN 1-60
N3: 01 M AN 1-55, 02 O AN 1-55
N4: 01 O AN 2-30, 02 O ID 2-2, 03 O ID 3-15, 04 O ID 2-3, 05 O ID 1-2, 06 O AN 1-30, 07 O ID 2-3
PO1: 01 O AN 1-20, 02 O R 1-15, 03 O ID 2-2, 04 O R 1-17, 05 O ID 2-2, 06-25 O AN 1-48
PID: 01 M ID 1-1, 02 O ID 2-3, 03 O ID 2-3, 04 O AN 1-12, 05 O AN 1-80, 06 O ID 2-3,
    07 O AN 1-15, 08 O ID 1-1, 09 O ID 2-3
PO4: 01 O N0 1-6, 02 O R 1-8, 03 O ID 2-2, 04-18 O AN 1-80
SAC: 01 M ID 1-1, 02 O ID 4-4, 03 O ID 2-2, 04 O AN 1-10, 05 O N2 1-15, 06 O ID 1-1, 07 O R 1-6,
    08 O R 1-9, 09 O ID 2-2, 10 O R 1-15, 11 O R 1-15, 12 O ID 2-2, 13 O AN 1-30, 14 O AN 1-2,
    15 O AN 1-80, 16 O ID 1-3
CTT: 01 M N0 1-6, 02 O R 1-10, 03 O R 1-10, 04 O ID 2-2, 05 O R 1-8, 06 O ID 2-2, 07 O AN 1-80
AMT: 01 M ID 1-3, 02 M R 1-18, 03 O ID 1-1
"""
DECLARATION = SetDeclaration("850", "Purchase Order", layout(LAYOUT), elements(ELEMENTS))


# --- reading an 850 into what the order flow needs -------------------------------------
# DTM01 qualifiers an order carries, by what we call them.
DATES = {"002": "delivery_requested", "010": "ship_requested", "037": "ship_not_before",
         "038": "ship_no_later", "001": "cancel_after", "063": "do_not_deliver_after"}  # fmt: skip
# PO1 product id qualifiers, by what we call them.
PRODUCT_IDS = {"BP": "buyer_part", "IN": "buyer_part", "VP": "vendor_part", "VN": "vendor_part",
               "VA": "vendor_part", "UP": "upc", "UK": "gtin", "EN": "ean", "CB": "buyer_part",
               "SK": "sku"}  # fmt: skip


@dataclass(frozen=True)
class Party:
    role: str  # N101: ST ship to, BT bill to, BY buyer, SF ship from, ...
    name: str
    id_qualifier: str  # N103: 92 the buyer's own code (a store or DC number), 1 DUNS, 9 DUNS+4
    id: str
    address: Address


@dataclass(frozen=True)
class PoLine:
    line_id: str  # PO101, the buyer's line number
    quantity: Decimal
    uom: str
    unit_price: Decimal | None
    ids: dict[str, str]  # buyer_part, vendor_part, upc, gtin, ...
    description: str = ""
    dates: dict[str, date] = field(default_factory=dict)
    position: int = 0  # the PO1's position in the interchange (ISA is 1), as errors name it


@dataclass(frozen=True)
class PurchaseOrder:
    po_number: str
    purpose: str  # BEG01: 00 original, 07 duplicate, ...
    po_type: str  # BEG02: SA stand-alone, RL release, DS drop ship, ...
    order_date: date | None
    currency: str | None
    dates: dict[str, date]
    terms: str
    carrier: str  # TD503, the SCAC
    routing: str  # TD505
    parties: tuple[Party, ...]
    lines: tuple[PoLine, ...]
    notes: tuple[str, ...] = ()

    def party(self, role: str) -> Party | None:
        return next((p for p in self.parties if p.role == role), None)


def day(text: str) -> date | None:
    """CCYYMMDD or YYMMDD as a date; None when empty or not a date."""
    for form in ("%Y%m%d", "%y%m%d"):
        try:
            return datetime.strptime(text, form).date() if len(text) in (6, 8) else None
        except ValueError:
            continue
    return None


# How we name a product id to a partner (PO1/IT1 qualifiers), in the order we give them.
OUTBOUND_IDS = {"buyer_part": "BP", "vendor_part": "VP", "upc": "UP", "gtin": "UK"}


def id_pairs(ids: dict[str, str]) -> list[str]:
    """A line's product ids as the qualifier, value pairs a PO1 or IT1 carries."""
    return [part for key, value in ids.items() if key in OUTBOUND_IDS
            for part in (OUTBOUND_IDS[key], value)]  # fmt: skip


def plain(value: Decimal) -> str:
    """A quantity or price as X12 writes it: no exponent, no trailing zeros."""
    return format(value.normalize(), "f")


def number(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def terms_text(itd: Segment) -> str:
    """ITD as people say it: '2% 10 Net 30', or its description."""
    if itd.element(12):
        return itd.element(12)
    discount, days, net = itd.element(3), itd.element(5), itd.element(7)
    parts = [f"{discount}% {days}"] if discount and days else []
    parts += [f"Net {net}"] if net else []
    return " ".join(parts)


def _party(segments: list[Segment]) -> Party:
    n1 = segments[0]
    by = {s.tag: s for s in segments[1:]}
    lines = tuple(v for s in segments if s.tag == "N3" for v in s.elements if v)
    n4 = by.get("N4")
    address = Address(
        name=n1.element(2), lines=lines,
        city=n4.element(1) if n4 else "", state=n4.element(2) if n4 else "",
        postal_code=n4.element(3) if n4 else "", country=n4.element(4) if n4 else "",
    )  # fmt: skip
    return Party(n1.element(1), n1.element(2), n1.element(3), n1.element(4), address)


def _line(segments: list[Segment]) -> PoLine:
    po1 = segments[0]
    ids = {}
    for at in range(6, 26, 2):
        qualifier, value = po1.element(at), po1.element(at + 1)
        if qualifier and value:
            ids.setdefault(PRODUCT_IDS.get(qualifier, qualifier.lower()), value)
    pid = next((s for s in segments if s.tag == "PID" and s.element(5)), None)
    dates = {DATES[s.element(1)]: d for s in segments if s.tag == "DTM"
             and s.element(1) in DATES and (d := day(s.element(2)))}  # fmt: skip
    return PoLine(
        po1.element(1),
        number(po1.element(2)) or Decimal("0"),
        po1.element(3) or "EA",
        number(po1.element(4)),
        ids,
        pid.element(5) if pid else "",
        dates,
        po1.position,
    )


def _runs(body: list[Segment], start: str, stop: set[str]) -> list[list[Segment]]:
    """The segments cut into runs, each beginning with `start` and ending before the next
    `start` or a tag in `stop`."""
    runs: list[list[Segment]] = []
    current: list[Segment] | None = None
    for segment in body:
        if segment.tag == start:
            current = [segment]
            runs.append(current)
        elif segment.tag in stop:
            current = None
        elif current is not None:
            current.append(segment)
    return runs


def _until(segments: list[Segment], tags: set[str]) -> list[Segment]:
    """The segments before the first one with a tag in `tags`."""
    end = next((n for n, s in enumerate(segments) if s.tag in tags), len(segments))
    return segments[:end]


def parse(tset: TransactionSet) -> PurchaseOrder:
    """The 850's content (the set having passed its declaration, or been read as it is)."""
    body = tset.body
    before_lines = _until(body, {"PO1", "CTT"})
    header = _until(before_lines, {"N1"})
    first = {s.tag: s for s in reversed(header)}
    beg = first.get("BEG") or Segment("BEG", [], 0)
    dates = {DATES[s.element(1)]: d for s in header if s.tag == "DTM"
             and s.element(1) in DATES and (d := day(s.element(2)))}  # fmt: skip
    td5 = first.get("TD5")
    parties = [_party(run) for run in _runs(before_lines, "N1", set())]
    lines = [_line(run) for run in _runs(body[len(before_lines) :], "PO1", {"CTT"})]
    notes = tuple(s.element(1) for s in body if s.tag == "MSG" and s.element(1))
    return PurchaseOrder(
        po_number=beg.element(3), purpose=beg.element(1), po_type=beg.element(2),
        order_date=day(beg.element(5)), currency=first["CUR"].element(2) if "CUR" in first
        else None, dates=dates, terms=terms_text(first["ITD"]) if "ITD" in first else "",
        carrier=td5.element(3) if td5 else "", routing=td5.element(5) if td5 else "",
        parties=tuple(parties), lines=tuple(lines), notes=notes,
    )  # fmt: skip
