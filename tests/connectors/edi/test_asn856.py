"""The 856 we send for a shipment of a retailer's order: Shipment, Order, Pack and Item
levels, the carrier's SCAC and tracking, SSCC-18 labels with right check digits, the
quantity of each PO line per carton."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connectors.edi import gs1, x12
from connectors.edi.sets import asn856
from core.records import Package, Quantity, Shipment, ShipmentLine
from tests.connectors.edi import outbound
from tests.connectors.edi.test_po850 import ORDER, parsed


def shipment() -> Shipment:
    return Shipment(
        "threepl", "SH-1", number="SH-1", order_number="SO-9001", ship_date=date(2026, 12, 8),
        carrier="ups", service="GROUND",
        lines=[ShipmentLine(1, "SKU-1", Quantity(Decimal("12"), "CA")),
               ShipmentLine(2, "SKU-2", Quantity(Decimal("3")))],
        packages=[Package("1Z999AA10123456784", "ups")],
    )  # fmt: skip


def sent(packs) -> x12.TransactionSet:
    return outbound.sent("856", "SH", asn856.build(shipment(), parsed(ORDER), packs))


def test_one_carton_holds_every_line_under_a_valid_sscc():
    packs = asn856.one_pack(shipment(), "0614141", 7)
    tset = sent(packs)
    back = asn856.parse(tset)
    assert (back.shipment, back.ship_date, back.scac, back.po_number) == (
        "SH-1", date(2026, 12, 8), "UPSN", "PO-4711",
    )  # fmt: skip
    ((label, items),) = back.packs
    assert gs1.is_valid(label) and label == gs1.sscc("0614141", 7)
    assert items == (("1", Decimal("12")), ("2", Decimal("3")))
    levels = [(s.element(1), s.element(2), s.element(3)) for s in tset.body if s.tag == "HL"]
    assert levels == [("1", "", "S"), ("2", "1", "O"), ("3", "2", "P"), ("4", "3", "I"),
                      ("5", "3", "I")]  # fmt: skip
    assert ["REF", "CN", "1Z999AA10123456784"] in [[s.tag, *s.elements] for s in tset.body]


def test_two_cartons_each_say_what_they_hold():
    packs = [
        asn856.Pack(gs1.sscc("0614141", 8), "1Z1", ((1, Decimal("10")),)),
        asn856.Pack(gs1.sscc("0614141", 9), "1Z2", ((1, Decimal("2")), (2, Decimal("3")))),
    ]
    back = asn856.parse(sent(packs))
    assert [(label[-3:], items) for label, items in back.packs] == [
        (gs1.sscc("0614141", 8)[-3:], (("1", Decimal("10")),)),
        (gs1.sscc("0614141", 9)[-3:], (("1", Decimal("2")), ("2", Decimal("3")))),
    ]


def test_a_carton_label_with_a_wrong_check_digit_is_refused():
    label = gs1.sscc("0614141", 7)
    bad = label[:-1] + str((int(label[-1]) + 1) % 10)
    with pytest.raises(ValueError, match="not a valid SSCC-18"):
        asn856.build(shipment(), parsed(ORDER), [asn856.Pack(bad, "", ((1, Decimal(1)),))])
