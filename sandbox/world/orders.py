"""The ERP's orders, and the ship method each one ships by."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta

from sandbox.world.master_data import at
from sandbox.world.records import Order, OrderLine, Shipment, World

# status -> (how many of the 60 orders, youngest and oldest age in days)
ORDER_MIX = {
    "draft": (4, 0, 2),
    "booked": (12, 1, 10),
    "on_hold": (3, 3, 20),
    "cancelled": (3, 5, 40),
    "partially_shipped": (6, 8, 30),
    "shipped": (32, 8, 75),
}


def draw(rng: random.Random, master: World) -> list[Order]:
    customers = [c for c in master.customers if c.is_active]
    sellable = [i for i in master.items if i.is_active]
    drafts = []
    for status, (count, youngest, oldest) in ORDER_MIX.items():
        for _ in range(count):
            age = timedelta(days=rng.randint(youngest, oldest), minutes=rng.randrange(1440))
            drafts.append((at(master.today, 0) - age, status, rng.choice(customers)))
    drafts.sort(key=lambda d: d[0])
    first_number = rng.randrange(100, 900)
    orders = []
    for n, (ordered_at, status, customer) in enumerate(drafts):
        own = [s for s in master.ship_tos if s.customer_code == customer.code]
        lines = []
        for line_no, item in enumerate(rng.sample(sellable, rng.randint(1, 4)), start=1):
            qty = rng.choice((1, 2, 3, 5, 10, 12, 20, 24, 50, 100))
            price = master.price(item.sku, customer.price_level, customer.currency, qty)
            lines.append(OrderLine(line_no, item.sku, qty, item.uom, price))
        orders.append(
            Order(
                number=f"{first_number + n:08d}",
                customer_code=customer.code,
                ship_to_code=rng.choice(own).code,
                currency=customer.currency,
                po_number=f"PO-{rng.randrange(10000, 99999)}",
                ordered_at=ordered_at,
                requested_date=ordered_at.date() + timedelta(days=rng.randint(3, 21)),
                status=status,
                source="salesforce",
                lines=tuple(lines),
            )
        )
    return orders


# Ship methods of the ERP's orders that have not shipped yet, taken in turn by order number (no
# draw from the generator, so the rest of the world stays as it was): none (the 3PL's default,
# UPS Ground), FedEx 2Day, DHL Express Worldwide, so the 3PL ships by every carrier.
SHIP_METHODS = ("", "FEDEX FEDEX_2_DAY", "DHL EXPRESS_WORLDWIDE")


def ship_method_of(carrier: str, service: str) -> str:
    return f"{carrier.upper()} {service}"


def with_ship_method(order: Order, shipments: Iterable[Shipment]) -> Order:
    """The order with the ship method it shipped by, else one in turn."""
    shipped = next((s for s in shipments if s.order_number == order.number), None)
    if shipped is not None:
        method = ship_method_of(shipped.carrier, shipped.service)
    else:
        method = SHIP_METHODS[int(order.number) % len(SHIP_METHODS)]
    return replace(order, ship_method=method)
