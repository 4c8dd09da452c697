"""Inbound planted cases: shipment exceptions, invoice discrepancies and reconciliation classes
on the ERP's orders, shipments and invoices (track_shipments, sync_invoices, reconcile_orders).

Each case below runs in turn on one `Planting` (the world's orders, shipments and invoices
being changed), draws its orders from the planting's own generator and returns them; each
planted order carries one planted case only, so the expected findings stay exact.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal

from sandbox.world.master_data import at, money
from sandbox.world.planted import INBOUND, mark
from sandbox.world.records import Invoice, InvoiceLine, Order, Shipment, TrackingEvent, World
from sandbox.world.vocabulary import TAX_RATE

# A planted late parcel: still moving, but past its promised date.
OVERDUE = "overdue"
CLEAN_STORIES = ("on_time", "delivered_signed")


@dataclass
class Planting:
    """The world's orders, shipments and invoices while the inbound cases change them."""

    master: World
    rng: random.Random
    by_order: dict[str, Order]
    ship_of: dict[str, Shipment]
    invoice_of: dict[str, Invoice]
    drawn: dict[str, tuple[str, ...]]  # cases drawn with the world itself (its invoices)
    shipped_numbers: list[str] = field(default_factory=list)  # one per shipment, in order
    taken: set[str] = field(default_factory=set)
    chosen: dict[str, tuple[str, ...]] = field(default_factory=dict)  # case -> its own orders

    def pick(self, candidates: list[str], n: int = 1) -> tuple[str, ...]:
        free = sorted(c for c in candidates if c not in self.taken)
        chosen = sorted(self.rng.sample(free, min(n, len(free))))
        self.taken.update(chosen)
        return tuple(chosen)

    def clean(self, number: str) -> bool:
        return self.ship_of[number].story in CLEAN_STORIES

    def rate(self, number: str) -> str:
        return TAX_RATE[self.master.ship_to(self.ship_of[number].ship_to_code).country]

    def shipped(self) -> list[str]:
        return self.shipped_numbers

    def full(self) -> list[str]:
        """Orders shipped whole on a clean story."""
        return [n for n in self.shipped() if self.by_order[n].status == "shipped" and self.clean(n)]

    def stories(self, story: str) -> tuple[str, ...]:
        """Orders whose shipment tells this story, as the carriers will."""
        return tuple(sorted(n for n in self.shipped_numbers if self.ship_of[n].story == story))


def _retotal(invoice: Invoice, lines: list[InvoiceLine], tax_rate: str) -> Invoice:
    subtotal = sum((ln.amount for ln in lines), Decimal(0))
    tax = money(subtotal * Decimal(tax_rate))
    return replace(
        invoice,
        lines=tuple(lines),
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax + invoice.freight,
    )


def _overdue(master: World, shipment: Shipment) -> Shipment:
    """The shipment as a parcel picked up five days ago, moving, two days past its promise."""
    today = master.today
    ship_date, promised = today - timedelta(days=5), today - timedelta(days=2)
    warehouse = next(w for w in master.warehouses if w.code == shipment.warehouse)
    dest = master.ship_to(shipment.ship_to_code)
    events = (
        TrackingEvent(at(ship_date, 17), "PU", "Picked up", warehouse.city, warehouse.country),
        TrackingEvent(
            at(ship_date + timedelta(days=1), 3),
            "IT",
            "In transit",
            warehouse.city,
            warehouse.country,
        ),
        TrackingEvent(
            at(today - timedelta(days=1), 10),
            "IT",
            "Arrived at sort facility",
            dest.city,
            dest.country,
        ),
    )
    return replace(
        shipment,
        story=OVERDUE,
        status="in_transit",
        ship_date=ship_date,
        promised_date=promised,
        delivered_at=None,
        signed_by=None,
        pod_available=False,
        events=events,
    )


def plant(
    seed: int,
    master: World,
    orders: list[Order],
    shipments: list[Shipment],
    invoices: list[Invoice],
    drawn: dict[str, tuple[str, ...]],
) -> tuple[list[Order], list[Shipment], list[Invoice], dict[str, tuple[str, ...]]]:
    """Every inbound case in turn, on a generator of its own so the rest of the world does not
    change with them; (orders, shipments, invoices, planted)."""
    planting = Planting(
        master,
        random.Random(f"flows-in:{seed}"),
        {o.number: o for o in orders},
        {s.order_number: s for s in shipments},
        {i.order_number: i for i in invoices},
        drawn,
        [s.order_number for s in shipments],
        taken={n for numbers in drawn.values() for n in numbers},
    )
    planted: dict[str, tuple[str, ...]] = {}
    for case in INBOUND.cases.values():
        numbers = tuple(case.plant(planting))
        planting.chosen[case.name] = numbers
        mark(planted, case, numbers)
    return (
        [planting.by_order[o.number] for o in orders],
        [planting.ship_of[s.order_number] for s in shipments],
        [planting.invoice_of[i.order_number] for i in invoices],
        planted,
    )


# -- the cases, in the order they draw -----------------------------------------------------


@INBOUND.case("invoice_price_mismatch", "")
def invoice_price_mismatch(p: Planting) -> tuple[str, ...]:
    """Two invoices priced off their orders: drawn with the invoices themselves."""
    return p.drawn["invoice_price_mismatch"]


@INBOUND.case("shipment_late", "")
def shipment_late(p: Planting) -> tuple[str, ...]:
    """Two DHL parcels still moving past their promise (only DHL's tracking tells a promised
    date; NetSuite fulfilments carry none); their invoices dated on the new ship day."""
    numbers = p.pick([n for n in p.full() if p.ship_of[n].carrier == "dhl"], 2)
    for number in numbers:
        p.ship_of[number] = _overdue(p.master, p.ship_of[number])
        invoice = p.invoice_of[number]
        ship_date = p.ship_of[number].ship_date
        p.invoice_of[number] = replace(
            invoice,
            invoice_date=ship_date,
            due_date=ship_date + (invoice.due_date - invoice.invoice_date),
        )
    return numbers


@INBOUND.case("invoice_quantity_mismatch", "one of them an unshipped line")
def invoiced_one_more_than_shipped(p: Planting) -> tuple[str, ...]:
    """The first invoice line bills one unit more than shipped."""
    numbers = p.pick(p.full())
    for number in numbers:
        invoice = p.invoice_of[number]
        first, *rest = invoice.lines
        qty = first.quantity + 1
        lines = [replace(first, quantity=qty, amount=money(first.unit_price * qty)), *rest]
        p.invoice_of[number] = _retotal(invoice, lines, p.rate(number))
    return numbers


@INBOUND.case("invoice_list_price_mismatch", "")
def invoice_list_price_mismatch(p: Planting) -> tuple[str, ...]:
    """The order itself is 10% off the price list on its first line; the invoice follows it."""
    numbers = p.pick(p.full())
    for number in numbers:
        order = p.by_order[number]
        first, *rest = order.lines
        price = money(first.unit_price * Decimal("1.10"))
        p.by_order[number] = replace(order, lines=(replace(first, unit_price=price), *rest))
        invoice = p.invoice_of[number]
        lines = [
            replace(ln, unit_price=price, amount=money(price * ln.quantity))
            if ln.line_no == first.line_no
            else ln
            for ln in invoice.lines
        ]
        p.invoice_of[number] = _retotal(invoice, lines, p.rate(number))
    return numbers


@INBOUND.case("invoice_tax_mismatch", "")
def invoice_tax_mismatch(p: Planting) -> tuple[str, ...]:
    """Tax five points above the country's rate."""
    numbers = p.pick(p.full())
    for number in numbers:
        invoice = p.invoice_of[number]
        tax = money(invoice.tax + invoice.subtotal * Decimal("0.05"))
        p.invoice_of[number] = replace(
            invoice, tax=tax, total=invoice.subtotal + tax + invoice.freight
        )
    return numbers


@INBOUND.case("invoice_freight_mismatch", "")
def invoice_freight_mismatch(p: Planting) -> tuple[str, ...]:
    """Freight far above the rule."""
    numbers = p.pick(p.full())
    for number in numbers:
        invoice = p.invoice_of[number]
        freight = money(max(invoice.subtotal * Decimal("0.40"), Decimal("600")))
        p.invoice_of[number] = replace(
            invoice, freight=freight, total=invoice.subtotal + invoice.tax + freight
        )
    return numbers


@INBOUND.case("recon_shipped_not_invoiced", "")
def recon_shipped_not_invoiced(p: Planting) -> tuple[str, ...]:
    """The last shipped line left off the invoice."""
    numbers = p.pick([n for n in p.full() if len(p.invoice_of[n].lines) > 1])
    for number in numbers:
        invoice = p.invoice_of[number]
        p.invoice_of[number] = _retotal(invoice, list(invoice.lines[:-1]), p.rate(number))
    return numbers


@INBOUND.case(
    "recon_invoiced_not_shipped",
    "the line was then closed in the ERP, so it never ships",
    also=("invoice_quantity_mismatch",),
)
def recon_invoiced_not_shipped(p: Planting) -> tuple[str, ...]:
    """A line of a partly shipped order invoiced though it never shipped; billed, then closed
    in the ERP, so the warehouse never ships it and the case stays."""
    partial = [
        n
        for n in p.shipped()
        if p.by_order[n].status == "partially_shipped"
        and len(p.by_order[n].lines) > 1
        and p.clean(n)
    ]
    numbers = p.pick(partial)
    for number in numbers:
        invoice, order = p.invoice_of[number], p.by_order[number]
        on_invoice = {ln.line_no for ln in invoice.lines}
        line = next(ln for ln in order.lines if ln.line_no not in on_invoice)
        extra = InvoiceLine(line.line_no, line.sku, line.quantity, line.unit_price, line.amount)
        p.invoice_of[number] = _retotal(invoice, [*invoice.lines, extra], p.rate(number))
        p.by_order[number] = replace(
            order,
            lines=tuple(replace(ln, closed=True) if ln is line else ln for ln in order.lines),
        )
    return numbers


@INBOUND.case(
    "recon_missing_in_system",
    "an order the ERP has and Salesforce has not; `reconcile_orders` finds 3, as the "
    "`unknown_sku` and `price_outside_tolerance` orders, which `sync_orders` rejected, are in "
    "Salesforce and not in the ERP",
)
def recon_missing_in_system(p: Planting) -> tuple[str, ...]:
    """An order entered straight into the ERP: the Salesforce simulator leaves it out."""
    return p.pick(p.full())


@INBOUND.case("recon_quantity_mismatch", "")
def recon_quantity_mismatch(p: Planting) -> tuple[str, ...]:
    """The order invoiced one unit more than shipped, as the reconciliation finds it."""
    return p.chosen["invoice_quantity_mismatch"]


@INBOUND.case("recon_price_mismatch", "")
def recon_price_mismatch(p: Planting) -> tuple[str, ...]:
    """The invoices priced off their orders, as the reconciliation finds them."""
    return p.chosen["invoice_price_mismatch"]


@INBOUND.case("recon_status_mismatch", "cancelled in the ERP, active in Salesforce")
def recon_status_mismatch(p: Planting) -> tuple[str, ...]:
    """Orders the ERP cancelled (the world's own), still active in Salesforce."""
    return tuple(sorted(n for n, o in p.by_order.items() if o.status == "cancelled"))


@INBOUND.case("shipment_no_movement", "")
def shipment_no_movement(p: Planting) -> tuple[str, ...]:
    """The world's stalled parcels."""
    return p.stories("stalled")


@INBOUND.case("shipment_damaged", "")
def shipment_damaged(p: Planting) -> tuple[str, ...]:
    """The world's damaged parcels."""
    return p.stories("damaged")


@INBOUND.case("shipment_returned", "")
def shipment_returned(p: Planting) -> tuple[str, ...]:
    """The world's parcels returned to sender."""
    return p.stories("returned_to_sender")


@INBOUND.case("delivered_without_pod", "")
def delivered_without_pod(p: Planting) -> tuple[str, ...]:
    """The world's parcels delivered with no proof of delivery."""
    return p.stories("delivered_no_pod")


@INBOUND.case("recon_delivered_without_pod", "")
def recon_delivered_without_pod(p: Planting) -> tuple[str, ...]:
    """The same parcels, as the reconciliation finds them."""
    return p.chosen["delivered_without_pod"]
