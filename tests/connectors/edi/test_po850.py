"""Reading an 850 into what the order flow needs: the buyer's PO number and dates, the
ship-to with the buyer's store or DC number, lines with every product id, terms, routing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connectors.edi import envelope, x12
from connectors.edi.declaration import check_set
from connectors.edi.sets import DECLARATIONS, po850
from tests.conftest import REFERENCE
from tests.connectors.edi.test_x12 import X12_FILES, isa

ORDER = "~".join([
    "GS*PO*RETAILER*SUPPLIER*20261207*1015*77*X*004010",
    "ST*850*0001",
    "BEG*00*SA*PO-4711**20261205",
    "CUR*BY*CAD",
    "ITD*01*3*2**10**30",
    "DTM*010*20261210",
    "DTM*001*20261220",
    "TD5*B*2*UPSN*M*UPS GROUND",
    "N1*BT*RETAILER HQ*92*HQ1",
    "N1*ST*STORE 0042*92*0042",
    "N3*12 MAIN ST*SUITE 4",
    "N4*SPRINGFIELD*IL*62701*US",
    "PO1*1*12*CA*24.50**BP*R-100*VN*SKU-1*UP*012345678905",
    "PID*F****BLUE MUG, CASE OF 6",
    "DTM*010*20261211",
    "PO1*2*3*EA*9.99**UP*036000291452",
    "CTT*2",
    "SE*17*0001",
    "GE*1*77",
    "IEA*1*000000905",
]) + "~"  # fmt: skip


def parsed(text: str) -> po850.PurchaseOrder:
    document = x12.read((isa() + text).encode())
    return po850.parse(document.interchanges[0].groups[0].sets[0])


def test_the_order_used_here_is_a_valid_850():
    document = x12.read((isa() + ORDER).encode())
    assert envelope.validate(document) == []
    assert check_set(DECLARATIONS["850"], document.interchanges[0].groups[0].sets[0]) == []


def test_an_order_reads_into_its_po_number_dates_parties_lines_terms_and_routing():
    po = parsed(ORDER)
    assert (po.po_number, po.purpose, po.po_type) == ("PO-4711", "00", "SA")
    assert po.order_date == date(2026, 12, 5) and po.currency == "CAD"
    assert po.dates == {"ship_requested": date(2026, 12, 10), "cancel_after": date(2026, 12, 20)}
    assert po.terms == "2% 10 Net 30" and (po.carrier, po.routing) == ("UPSN", "UPS GROUND")
    ship_to = po.party("ST")
    assert (ship_to.id_qualifier, ship_to.id, ship_to.name) == ("92", "0042", "STORE 0042")
    assert ship_to.address.lines == ("12 MAIN ST", "SUITE 4")
    assert (ship_to.address.city, ship_to.address.postal_code) == ("SPRINGFIELD", "62701")
    assert po.party("BT").id == "HQ1" and po.party("SF") is None
    first, second = po.lines
    assert (first.line_id, first.quantity, first.uom, first.unit_price) == (
        "1", Decimal("12"), "CA", Decimal("24.50"),
    )  # fmt: skip
    assert first.ids == {"buyer_part": "R-100", "vendor_part": "SKU-1", "upc": "012345678905"}
    assert first.description == "BLUE MUG, CASE OF 6"
    assert first.dates == {"ship_requested": date(2026, 12, 11)} and first.position == 14
    assert second.ids == {"upc": "036000291452"} and second.dates == {}


def test_what_an_order_leaves_out_reads_as_nothing_not_as_an_error():
    po = parsed(ORDER.replace("CUR*BY*CAD~", "").replace("ITD*01*3*2**10**30~", "")
                .replace("BEG*00*SA*PO-4711**20261205", "BEG*00*SA*PO-4711**2026-12"))  # fmt: skip
    assert (po.currency, po.terms, po.order_date) == (None, "", None)


@pytest.mark.skipif(not X12_FILES, reason=f"no X12 reference files under {REFERENCE / 'x12'}")
def test_every_reference_850_reads_with_a_po_number_and_its_lines():
    orders = [
        po850.parse(tset)
        for path in X12_FILES
        for interchange in x12.read(path.read_bytes()).interchanges
        for group in interchange.groups
        for tset in group.sets
        if tset.set_id == "850"
    ]
    assert len(orders) == 64
    assert all(po.po_number for po in orders)
    assert sum(len(po.lines) for po in orders) > 100
    node = next(po for po in orders if po.po_number == "08292233294")
    assert [line.ids["vendor_part"] for line in node.lines][:2] == ["AB3542", "RD5322"]
    assert node.terms == "2% 45 Net 46" and node.party("ST").id == "0003947268292"
