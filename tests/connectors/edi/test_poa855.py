"""The 855 we send for an 850 as the ERP accepted it: per line accepted, quantity changed,
rescheduled or rejected; it passes its declaration and reads back to what we meant."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from connectors.edi import x12
from connectors.edi.sets import poa855
from core.records import Money, OrderLine, Quantity
from tests.connectors.edi import outbound
from tests.connectors.edi.test_po850 import ORDER, parsed

TODAY = date(2026, 12, 7)


def ours(line_no: int, qty: str, promised: date | None = None, status: str = "open"):
    quantity, price = Quantity(Decimal(qty), "CA"), Money(Decimal("24.50"), "CAD")
    return OrderLine(line_no, f"SKU-{line_no}", quantity, price, promised_date=promised,
                     status=status)  # fmt: skip


def sent(po, pairs) -> x12.TransactionSet:
    return outbound.sent("855", "PR", poa855.build(po, pairs, "SO-9001", TODAY))


def test_an_order_taken_as_sent_is_acknowledged_line_by_line():
    po = parsed(ORDER)
    first, second = po.lines
    tset = sent(po, [(first, ours(1, "12", date(2026, 12, 11))), (second, ours(2, "3"))])
    back = poa855.parse(tset)
    assert (back.po_number, back.status, back.our_order) == ("PO-4711", "AD", "SO-9001")
    assert back.po_date == date(2026, 12, 5)
    assert back.lines == (
        poa855.LineAnswer("1", "IA", "12", "CA", date(2026, 12, 11)),
        poa855.LineAnswer("2", "IA", "3", "EA", None),
    )
    po1 = next(s for s in tset.body if s.tag == "PO1")
    assert po1.elements[5:] == ["BP", "R-100", "VP", "SKU-1", "UP", "012345678905"]


def test_changes_are_said_per_line_and_the_order_is_accepted_with_changes():
    po = parsed(ORDER)
    first, second = po.lines
    back = poa855.parse(sent(po, [(first, ours(1, "12", date(2026, 12, 14))),
                                  (second, ours(2, "2"))]))  # fmt: skip
    assert back.status == "AC"
    assert [(a.code, a.quantity, a.ship_date) for a in back.lines] == [
        ("DR", "12", date(2026, 12, 14)),  # asked for the 11th
        ("IQ", "2", None),  # asked for 3
    ]


def test_an_order_the_erp_refused_is_rejected():
    po = parsed(ORDER)
    first, second = po.lines
    back = poa855.parse(sent(po, [(first, ours(1, "12", status="cancelled")), (second, None)]))
    assert back.status == "RJ" and [a.code for a in back.lines] == ["IR", "IR"]
