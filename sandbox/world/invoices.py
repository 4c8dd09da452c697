"""The ERP's invoices of what shipped."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from sandbox.world.master_data import money
from sandbox.world.records import Invoice, InvoiceLine, Order, Shipment, World
from sandbox.world.vocabulary import TAX_RATE


def draw(
    rng: random.Random,
    master: World,
    orders: list[Order],
    shipments: list[Shipment],
    price_mismatch: set[str],
) -> list[Invoice]:
    by_number = {o.number: o for o in orders}
    invoices = []
    for n, shipment in enumerate(shipments):
        order = by_number[shipment.order_number]
        customer = master.customer(order.customer_code)
        prices = {ln.line_no: ln.unit_price for ln in order.lines}
        lines = []
        for s in shipment.lines:
            price = prices[s.line_no]
            if order.number in price_mismatch and not lines:
                price = money(price * Decimal("1.05"))
            lines.append(
                InvoiceLine(s.line_no, s.sku, s.quantity, price, money(price * s.quantity))
            )
        subtotal = sum((ln.amount for ln in lines), Decimal(0))
        tax = money(subtotal * Decimal(TAX_RATE[master.ship_to(shipment.ship_to_code).country]))
        due = shipment.ship_date + timedelta(days=customer.terms_days)
        paid = due < master.today and rng.random() < 0.7
        invoices.append(
            Invoice(
                number=f"INV-{n + 1:06d}",
                order_number=order.number,
                shipment_number=shipment.number,
                customer_code=order.customer_code,
                currency=order.currency,
                invoice_date=shipment.ship_date,
                due_date=due,
                status="paid" if paid else "open",
                lines=tuple(lines),
                subtotal=subtotal,
                tax=tax,
                total=subtotal + tax,
            )
        )
    return invoices
