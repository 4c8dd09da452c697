"""The world of a seed: master data, orders, shipments and invoices drawn from one generator,
then the planted cases, each registry on a generator of its own."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

from sandbox.world import cases_in, cases_out, master_data
from sandbox.world import invoices as invoicing
from sandbox.world import orders as ordering
from sandbox.world import shipments as shipping
from sandbox.world.records import Warehouse, World
from sandbox.world.vocabulary import WAREHOUSES_SPEC


def build_world(seed: int, today: date) -> World:
    """The world of `seed`, with every date relative to `today`."""
    rng = random.Random(seed)
    customers = master_data.customers(rng)
    ship_tos = master_data.ship_tos(rng, customers)
    items = master_data.items(rng)
    master = World(
        seed=seed,
        today=today,
        customers=tuple(customers),
        ship_tos=tuple(ship_tos),
        items=tuple(items),
        price_entries=tuple(master_data.price_entries(items)),
        warehouses=tuple(Warehouse(*spec) for spec in WAREHOUSES_SPEC),
        inventory=tuple(master_data.inventory(rng, items)),
        orders=(),
        shipments=(),
        invoices=(),
        planted={},
    )
    orders = ordering.draw(rng, master)
    shipments = shipping.draw(rng, master, orders)
    invoiced = sorted({s.order_number for s in shipments})
    drawn = {"invoice_price_mismatch": tuple(sorted(rng.sample(invoiced, 2)))}
    invoices = invoicing.draw(rng, master, orders, shipments, set(drawn["invoice_price_mismatch"]))
    orders, shipments, invoices, planted = cases_in.plant(
        seed, master, orders, shipments, invoices, drawn
    )
    world = replace(
        master,
        orders=tuple(orders),
        shipments=tuple(shipments),
        invoices=tuple(invoices),
        planted=planted,
    )
    incoming, order_cases = cases_out.plant(seed, world)
    return replace(
        world,
        orders=tuple(ordering.with_ship_method(o, world.shipments) for o in world.orders),
        incoming_orders=incoming,  # Salesforce sends none: the 3PL's default, UPS Ground
        planted={**planted, **order_cases},
    )
