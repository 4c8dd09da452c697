"""810 Invoice (004010): an ERP invoice for a retailer's order, its lines (IT1) with the
buyer's line numbers and product ids, freight as a charge and tax (SAC, TXI), and the total
in cents (TDS01) that is exactly the lines plus charges plus tax."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from connectors.edi.declaration import SetDeclaration, elements, layout
from connectors.edi.sets.po850 import day, id_pairs, number, plain
from connectors.edi.x12 import TransactionSet
from core.records import Invoice

LAYOUT = """
BIG M 1
NTE O 100
CUR O 1
REF O 12
PER O 3
LOOP O 200
  N1 M 1
  N2 O 2
  N3 O 2
  N4 O 1
  REF O 12
  PER O 3
ITD O >1
DTM O 10
FOB O 1
PID O 200
LOOP O 200000
  IT1 M 1
  CRC O 1
  QTY O 5
  CUR O 1
  IT3 O 5
  TXI O 10
  CTP O 25
  LOOP O 1000
    PID M 1
    MEA O 10
  PO4 O 1
  ITD O 2
  REF O >1
  DTM O 10
  LOOP O 25
    SAC M 1
    TXI O 10
# Walmart's guideline (and others after it) puts the ISS summary before TDS
LOOP O >1
  ISS M 1
  PID O 1
TDS M 1
TXI O 10
CAD O 1
AMT O >1
LOOP O 25
  SAC M 1
  TXI O 10
LOOP O >1
  ISS M 1
  PID O 1
CTT O 1
"""
ELEMENTS = """
BIG: 01 M DT 8-8, 02 M AN 1-22, 03 O DT 8-8, 04 O AN 1-22, 05 O AN 1-30, 06 O AN 1-22,
    07 O ID 2-2, 08 O ID 2-2, 09 O ID 2-2, 10 O AN 1-22
IT1: 01 O AN 1-20, 02 O R 1-10, 03 O ID 2-2, 04 O R 1-17, 05 O ID 2-2, 06-25 O AN 1-48
TDS: 01 M N2 1-15, 02 O N2 1-15, 03 O N2 1-15, 04 O N2 1-15
SAC: 01 M ID 1-1 A|C|N, 02 O ID 4-4, 03 O ID 2-2, 04 O AN 1-10, 05 O N2 1-15, 06 O ID 1-1,
    07 O R 1-6, 08 O R 1-9, 09 O ID 2-2, 10 O R 1-15, 11 O R 1-15, 12 O ID 2-2,
    13 O AN 1-30, 14 O AN 1-2, 15 O AN 1-80, 16 O ID 1-3
TXI: 01 M ID 2-2, 02 O R 1-18, 03 O R 1-10, 04 O ID 2-2, 05 O AN 1-30, 06 O ID 1-1,
    07 O ID 1-1, 08 O R 1-9, 09 O AN 1-20, 10 O AN 1-20
CTT: 01 M N0 1-6, 02 O R 1-10
CUR: 01 M ID 2-3, 02 M ID 3-3
"""
DECLARATION = SetDeclaration("810", "Invoice", layout(LAYOUT), elements(ELEMENTS))
FREIGHT = "G830"  # SAC02: shipping and handling
CENT = Decimal("0.01")


@dataclass(frozen=True)
class BuyerLine:
    """How the buyer knows an order line: its PO101 and product ids from the 850."""

    line_id: str
    ids: Mapping[str, str]


@dataclass(frozen=True)
class InvoiceSent:
    number: str
    invoice_date: date | None
    po_number: str
    lines: tuple[tuple[str, Decimal, Decimal], ...]  # line id, quantity, unit price
    charges: tuple[tuple[str, int], ...]  # SAC02, cents
    tax_cents: int
    total_cents: int


def cents(amount: Decimal) -> int:
    return int((amount / CENT).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def line_amount(quantity: Decimal, price: Decimal) -> Decimal:
    """A line's extended amount, to the cent, as the total adds it."""
    return (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP)


def build(
    invoice: Invoice, po_number: str, po_date: date | None,
    buyer_lines: Mapping[int, BuyerLine],
) -> list[list[str]]:  # fmt: skip
    """The 810's body: every invoice line under the buyer's line number, freight as a charge,
    tax, and TDS01 = the lines' amounts + freight + tax, in cents."""
    when = (invoice.invoice_date or date.today()).strftime("%Y%m%d")
    rows = [["BIG", when, invoice.number, po_date.strftime("%Y%m%d") if po_date else "",
             po_number]]  # fmt: skip
    if invoice.currency != "USD":
        rows.append(["CUR", "SE", invoice.currency])
    total = Decimal("0")
    for line in invoice.lines:
        buyer = buyer_lines.get(line.order_line_no or line.line_no)
        line_id = buyer.line_id if buyer else str(line.line_no)
        ids = id_pairs(dict(buyer.ids)) if buyer else []
        ids = ids or ["VP", line.sku]
        quantity, price = line.quantity.value, line.unit_price.amount
        rows.append(["IT1", line_id, plain(quantity), line.quantity.uom, plain(price), "",
                     *ids])  # fmt: skip
        total += line_amount(quantity, price)
    total += invoice.freight + invoice.tax
    rows.append(["TDS", str(cents(total))])
    if invoice.tax:
        rows.append(["TXI", "ST", plain(invoice.tax.quantize(CENT))])
    if invoice.freight:
        rows.append(["SAC", "C", FREIGHT, "", "", str(cents(invoice.freight))])
    rows.append(["CTT", str(len(invoice.lines))])
    return rows


def parse(tset: TransactionSet) -> InvoiceSent:
    big = next(s for s in tset.body if s.tag == "BIG")
    lines = tuple(
        (s.element(1), number(s.element(2)) or Decimal("0"), number(s.element(4)) or Decimal(0))
        for s in tset.body if s.tag == "IT1"
    )  # fmt: skip
    tds = next((s for s in tset.body if s.tag == "TDS"), None)
    after = tset.body[tset.body.index(tds) :] if tds else []
    charges = tuple((s.element(2), int(s.element(5) or 0)) for s in after
                    if s.tag == "SAC" and s.element(1) == "C")  # fmt: skip
    tax = sum(cents(number(s.element(2)) or Decimal(0)) for s in after if s.tag == "TXI")
    return InvoiceSent(big.element(2), day(big.element(1)), big.element(4), lines, charges,
                       tax, int(tds.element(1)) if tds else 0)  # fmt: skip
