"""860 Purchase Order Change (004010): a retailer changing an order it sent, line by line
(POC02: AI add, CA changes to line items, DI delete, PC price change, QD quantity decrease,
QI quantity increase, RZ replace), or cancelling all of it (BCH01 01)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from connectors.edi.declaration import SetDeclaration, elements, layout
from connectors.edi.sets.po850 import DATES, PRODUCT_IDS, day, number
from connectors.edi.x12 import Segment, TransactionSet

LAYOUT = """
BCH M 1
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
  DTM O >1
  MSG O 1000
LOOP O 200
  N1 M 1
  N2 O 2
  N3 O 2
  N4 O >1
  REF O 12
  PER O >1
LOOP O 100000
  POC M 1
  LIN O >1
  CUR O 1
  PO3 O 25
  CTP O >1
  LOOP O 1000
    PID M 1
  PO4 O >1
  REF O >1
  DTM O 10
  TD5 O 12
  LOOP O 200
    N1 M 1
    N2 O 2
    N3 O 2
    N4 O 1
LOOP O 1
  CTT M 1
  AMT O 1
"""
ELEMENTS = """
BCH: 01 M ID 2-2 01|04|05|06|07, 02 M ID 2-2, 03 M AN 1-22, 04 O AN 1-30, 05 O AN 1-8,
    06 M DT 8-8, 07 O AN 1-30, 08 O AN 1-45, 09 O AN 1-45, 10 O DT 8-8, 11 O DT 8-8,
    12-13 O AN 1-30
POC: 01 M AN 1-20, 02 M ID 2-2 AI|CA|CB|CE|CF|CG|CT|DI|MU|NC|OI|PC|PQ|PR|PS|QD|QI|RA|RC|RZ|SC,
    03 O R 1-15, 04 O R 1-15, 05 O ID 2-2, 06 O R 1-17, 07 O ID 2-2, 08-27 O AN 1-48
DTM: 01 M ID 3-3, 02 O DT 8-8, 03 O TM 4-8, 04 O ID 2-2
CTT: 01 M N0 1-6, 02 O R 1-10
"""
DECLARATION = SetDeclaration("860", "Purchase Order Change", layout(LAYOUT), elements(ELEMENTS))
CANCEL_ALL = "01"  # BCH01


@dataclass(frozen=True)
class LineChange:
    line_id: str
    change: str  # POC02
    quantity: Decimal | None  # POC03: the line's quantity ordered as changed
    uom: str
    unit_price: Decimal | None
    ids: dict[str, str]
    dates: dict[str, date] = field(default_factory=dict)
    position: int = 0

    @property
    def deletes(self) -> bool:
        return self.change == "DI"

    @property
    def adds(self) -> bool:
        return self.change == "AI"


@dataclass(frozen=True)
class PoChange:
    po_number: str
    purpose: str  # BCH01: 01 cancel the whole order, 04 change, 05 replace
    po_date: date | None
    change_date: date | None
    lines: tuple[LineChange, ...]

    @property
    def cancels_all(self) -> bool:
        return self.purpose == CANCEL_ALL


def _line(poc: Segment, after: list[Segment]) -> LineChange:
    ids = {}
    for at in range(8, 28, 2):
        qualifier, value = poc.element(at), poc.element(at + 1)
        if qualifier and value:
            ids.setdefault(PRODUCT_IDS.get(qualifier, qualifier.lower()), value)
    dates = {DATES[s.element(1)]: d for s in after if s.tag == "DTM"
             and s.element(1) in DATES and (d := day(s.element(2)))}  # fmt: skip
    return LineChange(poc.element(1), poc.element(2), number(poc.element(3)),
                      poc.element(5) or "EA", number(poc.element(6)), ids, dates,
                      poc.position)  # fmt: skip


def parse(tset: TransactionSet) -> PoChange:
    bch = next(s for s in tset.body if s.tag == "BCH")
    starts = [n for n, s in enumerate(tset.body) if s.tag == "POC"]
    ends = [*starts[1:], len(tset.body)]
    lines = tuple(
        _line(tset.body[a], tset.body[a + 1 : b]) for a, b in zip(starts, ends, strict=True)
    )
    return PoChange(bch.element(3), bch.element(1), day(bch.element(6)), day(bch.element(10)),
                    lines)  # fmt: skip
