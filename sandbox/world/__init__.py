"""The deterministic world every simulator shares, built from a seed and a `today` anchor.

Only `random.Random(seed)` decides; every date hangs off `today`, so the same seed and day give
the same world and the world looks current on the day it is seeded. Codes are strings (leading
zeros are data), money is Decimal, datetimes are UTC-aware.

vocabulary (carriers, currencies, places, names), records (the frozen dataclasses and World),
master_data, orders, shipments and invoices (drawn in that order from the one generator),
build (build_world), and the planted cases: planted (the registries and the README tables),
cases_in and cases_out (each case a registered function). Tracking numbers and their check
digits are beside the carrier simulators (sandbox/carriers/check_digits.py).
"""

from sandbox.world.build import build_world
from sandbox.world.cases_in import OVERDUE
from sandbox.world.orders import SHIP_METHODS, ship_method_of
from sandbox.world.records import (
    Customer,
    Invoice,
    InvoiceLine,
    Item,
    Order,
    OrderLine,
    PriceEntry,
    Shipment,
    ShipmentLine,
    ShipTo,
    StockLevel,
    TrackingEvent,
    Warehouse,
    World,
)
from sandbox.world.vocabulary import CARRIERS, SERVICES, SIGNERS, STORIES, TAX_RATE

__all__ = [
    "CARRIERS",
    "OVERDUE",
    "SERVICES",
    "SHIP_METHODS",
    "SIGNERS",
    "STORIES",
    "TAX_RATE",
    "Customer",
    "Invoice",
    "InvoiceLine",
    "Item",
    "Order",
    "OrderLine",
    "PriceEntry",
    "ShipTo",
    "Shipment",
    "ShipmentLine",
    "StockLevel",
    "TrackingEvent",
    "Warehouse",
    "World",
    "build_world",
    "ship_method_of",
]
