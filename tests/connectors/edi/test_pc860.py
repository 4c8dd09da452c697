"""Reading an 860: which order it changes and, line by line, what changes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from connectors.edi import envelope, x12
from connectors.edi.declaration import check_set
from connectors.edi.sets import DECLARATIONS, pc860
from tests.connectors.edi.test_x12 import isa

CHANGE = "~".join([
    "GS*PC*RETAILER*SUPPLIER*20261208*0900*78*X*004010",
    "ST*860*0001",
    "BCH*04*SA*PO-4711***20261205****20261208",
    "POC*1*QI*15**CA*24.50**BP*R-100",
    "DTM*010*20261212",
    "POC*2*DI*0**EA***UP*036000291452",
    "POC*3*AI*4**EA*5.25**VP*SKU-3",
    "CTT*3",
    "SE*8*0001",
    "GE*1*78",
    "IEA*1*000000905",
]) + "~"  # fmt: skip


def read(text: str) -> tuple[x12.TransactionSet, pc860.PoChange]:
    document = x12.read((isa() + text).encode())
    tset = document.interchanges[0].groups[0].sets[0]
    assert envelope.validate(document) == []
    return tset, pc860.parse(tset)


def test_a_change_names_its_order_and_each_line_s_change():
    tset, change = read(CHANGE)
    assert check_set(DECLARATIONS["860"], tset) == []
    assert (change.po_number, change.po_date, change.change_date) == (
        "PO-4711", date(2026, 12, 5), date(2026, 12, 8),
    )  # fmt: skip
    assert not change.cancels_all
    more, gone, new = change.lines
    assert (more.line_id, more.change, more.quantity, more.uom) == ("1", "QI", Decimal(15), "CA")
    assert more.dates == {"ship_requested": date(2026, 12, 12)} and more.position == 5
    assert gone.deletes and gone.ids == {"upc": "036000291452"}
    assert new.adds and (new.unit_price, new.ids) == (Decimal("5.25"), {"vendor_part": "SKU-3"})


def test_a_whole_order_cancelled_says_so():
    _, change = read(CHANGE.replace("BCH*04*", "BCH*01*"))
    assert change.cancels_all


def test_the_reference_860_reads_its_deleted_lines(reference):
    path = reference / "x12/oopfactory/ORD/_860/Example1.txt"
    change = pc860.parse(x12.read(path.read_bytes()).interchanges[0].groups[0].sets[0])
    assert [(line.line_id, line.change, line.ids) for line in change.lines] == [
        ("1", "DI", {"buyer_part": "59123", "vendor_part": "018100775285"}),
        ("2", "DI", {"buyer_part": "86111", "vendor_part": "039307384346"}),
    ]
