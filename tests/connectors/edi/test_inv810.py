"""The 810 we send for an ERP invoice: the buyer's line numbers and ids, freight and tax,
and TDS01 in cents tying out exactly to the lines plus charges plus tax."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from connectors.edi import x12
from connectors.edi.sets import inv810
from core.records import Invoice, InvoiceLine, Money, Quantity
from tests.connectors.edi import outbound


def invoice(currency="USD", freight="12.40", tax="3.07") -> Invoice:
    def line(no, sku, qty, price):
        return InvoiceLine(no, sku, Quantity(Decimal(qty), "CA"), Money(Decimal(price), currency),
                           order_line_no=no)  # fmt: skip

    return Invoice(
        "netsuite", "INV-77", number="INV-77", order_number="SO-9001", customer_number="C1",
        invoice_date=date(2026, 12, 9), currency=currency, freight=Decimal(freight),
        tax=Decimal(tax), lines=[line(1, "SKU-1", "12", "24.505"), line(2, "SKU-2", "3", "9.99")],
    )  # fmt: skip


BUYER = {1: inv810.BuyerLine("10", {"buyer_part": "R-100", "upc": "012345678905"})}


def sent(inv: Invoice) -> x12.TransactionSet:
    return outbound.sent("810", "IN", inv810.build(inv, "PO-4711", date(2026, 12, 5), BUYER))


def test_the_total_in_cents_is_the_lines_plus_freight_plus_tax():
    back = inv810.parse(sent(invoice()))
    assert (back.number, back.invoice_date, back.po_number) == ("INV-77", date(2026, 12, 9),
                                                                 "PO-4711")  # fmt: skip
    assert back.lines == (("10", Decimal("12"), Decimal("24.505")),
                          ("2", Decimal("3"), Decimal("9.99")))  # fmt: skip
    # 12 x 24.505 = 294.06 (to the cent), 3 x 9.99 = 29.97, freight 12.40, tax 3.07
    assert back.total_cents == 29406 + 2997 + 1240 + 307
    amounts = sum(inv810.cents(inv810.line_amount(q, p)) for _, q, p in back.lines)
    assert back.total_cents == amounts + sum(c for _, c in back.charges) + back.tax_cents
    assert back.charges == (("G830", 1240),) and back.tax_cents == 307


def test_each_line_goes_under_the_buyer_s_line_number_and_ids():
    tset = sent(invoice())
    first, second = (s for s in tset.body if s.tag == "IT1")
    assert first.elements == ["10", "12", "CA", "24.505", "", "BP", "R-100", "UP", "012345678905"]
    assert second.elements == ["2", "3", "CA", "9.99", "", "VP", "SKU-2"]  # no 850 line: ours


def test_another_currency_is_named_and_no_freight_or_tax_means_no_segment_for_them():
    tset = sent(invoice("CAD", freight="0", tax="0"))
    tags = [s.tag for s in tset.body]
    assert ["CUR", "SE", "CAD"] == [tset.body[1].tag, *tset.body[1].elements]
    assert "SAC" not in tags and "TXI" not in tags
    assert inv810.parse(tset).total_cents == 29406 + 2997
