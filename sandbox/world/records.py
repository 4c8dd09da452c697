"""The world's records: frozen dataclasses, codes as strings, money as Decimal, UTC times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property

from sandbox.world.vocabulary import CARRIERS, CENT


@dataclass(frozen=True)
class Customer:
    code: str
    name: str
    country: str
    currency: str
    price_level: str
    priority: str
    terms_days: int
    credit_limit: Decimal
    email: str
    is_active: bool


@dataclass(frozen=True)
class ShipTo:
    code: str
    customer_code: str
    name: str
    line1: str
    city: str
    state: str
    postal_code: str
    country: str
    is_default: bool


@dataclass(frozen=True)
class Item:
    sku: str
    description: str
    uom: str
    weight_kg: Decimal
    base_price: Decimal
    cost: Decimal
    is_active: bool
    drop_ship: bool
    is_kit: bool
    components: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class PriceEntry:
    sku: str
    price_level: str
    currency: str
    min_quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class Warehouse:
    code: str
    name: str
    city: str
    country: str


@dataclass(frozen=True)
class StockLevel:
    sku: str
    warehouse: str
    on_hand: int
    allocated: int
    reorder_point: int


@dataclass(frozen=True)
class OrderLine:
    line_no: int
    sku: str
    quantity: int
    uom: str
    unit_price: Decimal
    closed: bool = False  # closed in the ERP: nothing more of it ships

    @property
    def amount(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT)


@dataclass(frozen=True)
class Order:
    number: str
    customer_code: str
    ship_to_code: str
    currency: str
    po_number: str
    ordered_at: datetime
    requested_date: date
    status: str
    source: str
    lines: tuple[OrderLine, ...]
    ship_method: str = ""  # the ERP's ship item, "<CARRIER> <service>" (e.g. "UPS 03")


@dataclass(frozen=True)
class TrackingEvent:
    at: datetime
    code: str
    description: str
    city: str
    country: str


@dataclass(frozen=True)
class ShipmentLine:
    line_no: int
    sku: str
    quantity: int


@dataclass(frozen=True)
class Shipment:
    number: str
    order_number: str
    carrier: str
    service: str
    tracking_number: str
    warehouse: str
    ship_to_code: str
    ship_date: date
    promised_date: date
    story: str
    status: str
    delivered_at: datetime | None
    signed_by: str | None
    pod_available: bool
    packages: int
    weight_kg: Decimal
    lines: tuple[ShipmentLine, ...]
    events: tuple[TrackingEvent, ...]


@dataclass(frozen=True)
class InvoiceLine:
    line_no: int
    sku: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Invoice:
    number: str
    order_number: str
    shipment_number: str
    customer_code: str
    currency: str
    invoice_date: date
    due_date: date
    status: str
    lines: tuple[InvoiceLine, ...]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    freight: Decimal = Decimal("0")


@dataclass(frozen=True)
class World:
    seed: int
    today: date
    customers: tuple[Customer, ...]
    ship_tos: tuple[ShipTo, ...]
    items: tuple[Item, ...]
    price_entries: tuple[PriceEntry, ...]
    warehouses: tuple[Warehouse, ...]
    inventory: tuple[StockLevel, ...]
    orders: tuple[Order, ...]
    shipments: tuple[Shipment, ...]
    invoices: tuple[Invoice, ...]
    planted: dict[str, tuple[str, ...]]  # planted case -> order numbers carrying it
    # Orders activated in Salesforce since the last sync: in Salesforce only, not yet in any ERP.
    incoming_orders: tuple[Order, ...] = ()

    @cached_property
    def _index(self) -> dict[str, dict[str, object]]:
        return {
            "customer": {c.code: c for c in self.customers},
            "ship_to": {s.code: s for s in self.ship_tos},
            "item": {i.sku: i for i in self.items},
            "order": {o.number: o for o in self.orders + self.incoming_orders},
            "shipment": {s.tracking_number: s for s in self.shipments},
        }

    def customer(self, code: str) -> Customer:
        return self._index["customer"][code]  # type: ignore[return-value]

    def ship_to(self, code: str) -> ShipTo:
        return self._index["ship_to"][code]  # type: ignore[return-value]

    def item(self, sku: str) -> Item:
        return self._index["item"][sku]  # type: ignore[return-value]

    def order(self, number: str) -> Order:
        return self._index["order"][number]  # type: ignore[return-value]

    def shipment_by_tracking(self, tracking_number: str) -> Shipment | None:
        return self._index["shipment"].get(tracking_number)  # type: ignore[return-value]

    def tracking_numbers(self) -> dict[str, list[str]]:
        return {c: [s.tracking_number for s in self.shipments if s.carrier == c] for c in CARRIERS}

    @cached_property
    def _prices(self) -> dict[tuple[str, str, str], list[PriceEntry]]:
        prices: dict[tuple[str, str, str], list[PriceEntry]] = {}
        for e in self.price_entries:
            prices.setdefault((e.sku, e.price_level, e.currency), []).append(e)
        return prices

    def price(self, sku: str, price_level: str, currency: str, quantity: int) -> Decimal:
        """The unit price at the best quantity break the quantity reaches."""
        entries = self._prices[(sku, price_level, currency)]
        return max(
            (e for e in entries if e.min_quantity <= quantity), key=lambda e: e.min_quantity
        ).unit_price
