"""Canonical records: the one vocabulary every connector maps to and from.

Money is Decimal with its currency, datetimes are timezone-aware, quantities carry a unit of
measure, codes stay strings. Every record knows its source system and its key there, and our
stable external id (the idempotency key we write under). Connectors never map to each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


def _aware(value: datetime | None, name: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money.amount must be Decimal, got {type(self.amount).__name__}")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValueError(f"currency must be an ISO 4217 code, got {self.currency!r}")

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount + other.amount, self.currency)


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    uom: str = "EA"

    def __post_init__(self) -> None:
        if not isinstance(self.value, Decimal):
            raise TypeError(f"Quantity.value must be Decimal, got {type(self.value).__name__}")


@dataclass
class Record:
    """What every record carries: where it came from and the id we write it under."""

    source_system: str
    source_key: str
    external_id: str | None = None
    modified_at: datetime | None = None

    def __post_init__(self) -> None:
        _aware(self.modified_at, "modified_at")


@dataclass
class Address:
    name: str = ""
    lines: tuple[str, ...] = ()
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    contact: str = ""
    phone: str = ""


@dataclass
class Customer(Record):
    number: str = ""
    name: str = ""
    currency: str = "USD"
    price_level: str = ""
    priority: int = 0
    terms: str = ""
    active: bool = True


@dataclass
class ShipTo(Record):
    customer_number: str = ""
    code: str = ""
    address: Address = field(default_factory=Address)
    default: bool = False


@dataclass
class Item(Record):
    sku: str = ""
    description: str = ""
    uom: str = "EA"
    active: bool = True
    drop_ship: bool = False
    kit: bool = False
    components: tuple[tuple[str, Decimal], ...] = ()


@dataclass
class PriceListEntry(Record):
    sku: str = ""
    price_level: str = ""
    unit_price: Money = field(default_factory=lambda: Money(Decimal("0"), "USD"))
    min_quantity: Decimal = Decimal("0")
    effective_from: date | None = None
    effective_to: date | None = None


@dataclass
class Availability(Record):
    sku: str = ""
    location: str = ""
    on_hand: Decimal = Decimal("0")
    allocated: Decimal = Decimal("0")
    available: Decimal = Decimal("0")


@dataclass
class OrderLine:
    line_no: int
    sku: str
    quantity: Quantity
    unit_price: Money
    requested_date: date | None = None
    promised_date: date | None = None
    quantity_shipped: Decimal = Decimal("0")
    quantity_invoiced: Decimal = Decimal("0")
    quantity_backordered: Decimal = Decimal("0")
    status: str = "open"
    location: str = ""


@dataclass
class Order(Record):
    number: str = ""
    customer_number: str = ""
    ship_to_code: str = ""
    order_date: date | None = None
    currency: str = "USD"
    status: str = "open"
    ship_method: str = ""
    terms: str = ""
    on_hold: bool = False
    lines: list[OrderLine] = field(default_factory=list)


def orders_by_key(orders: Iterable[Order], keys: Iterable[str]) -> dict[str, Order]:
    """Each asked key to the order that answers to it: by our external id, else by the ERP's
    document number. An ERP may find an order by either (SAP's KEYS match VBELN or BSTNK), so
    an order whose document number is the key asked, and whose purchase order number is the
    customer's own, is still that order, never a missing one to create again."""
    orders = list(orders)
    by_id = {o.external_id: o for o in orders if o.external_id}
    by_number = {o.number: o for o in orders if o.number}
    found = {key: by_id.get(key) or by_number.get(key) for key in keys}
    return {key: order for key, order in found.items() if order is not None}


@dataclass
class Allocation(Record):
    order_number: str = ""
    line_no: int = 0
    location: str = ""
    quantity: Quantity = field(default_factory=lambda: Quantity(Decimal("0")))


@dataclass
class TrackingEvent:
    occurred_at: datetime
    status: str
    description: str = ""
    location: str = ""
    reason_code: str = ""
    on_whom: str = ""

    def __post_init__(self) -> None:
        _aware(self.occurred_at, "occurred_at")


@dataclass
class Package:
    tracking_number: str
    carrier: str
    weight: Decimal | None = None
    events: list[TrackingEvent] = field(default_factory=list)


@dataclass
class ShipmentLine:
    order_line_no: int
    sku: str
    quantity: Quantity


@dataclass
class ProofOfDelivery:
    delivered_at: datetime
    signed_by: str = ""
    location: str = ""

    def __post_init__(self) -> None:
        _aware(self.delivered_at, "delivered_at")


@dataclass
class Shipment(Record):
    number: str = ""
    order_number: str = ""
    ship_date: date | None = None
    carrier: str = ""
    service: str = ""
    status: str = "pre_transit"
    promised_date: date | None = None
    lines: list[ShipmentLine] = field(default_factory=list)
    packages: list[Package] = field(default_factory=list)
    pod: ProofOfDelivery | None = None


@dataclass
class InvoiceLine:
    line_no: int
    sku: str
    quantity: Quantity
    unit_price: Money
    order_line_no: int | None = None


@dataclass
class Invoice(Record):
    number: str = ""
    order_number: str = ""
    customer_number: str = ""
    invoice_date: date | None = None
    currency: str = "USD"
    tax: Decimal = Decimal("0")
    freight: Decimal = Decimal("0")
    status: str = "open"
    lines: list[InvoiceLine] = field(default_factory=list)


@dataclass
class ReturnAuthorization(Record):
    number: str = ""
    order_number: str = ""
    customer_number: str = ""
    status: str = "pending"
    reason: str = ""
    lines: list[OrderLine] = field(default_factory=list)


@dataclass
class EdiInterchange(Record):
    partner: str = ""
    transaction_set: str = ""
    isa_control: str = ""
    gs_control: str = ""
    st_control: str = ""
    direction: str = "inbound"
    raw: str = ""


# --- payloads: records as JSON-safe dicts and back (work items, error queue, outbox) ------

_PAYLOAD_TYPES = {
    "Money": Money,
    "Quantity": Quantity,
    "Address": Address,
    "OrderLine": OrderLine,
    "TrackingEvent": TrackingEvent,
    "Package": Package,
    "ShipmentLine": ShipmentLine,
    "ProofOfDelivery": ProofOfDelivery,
    "InvoiceLine": InvoiceLine,
}


def to_payload(value: object) -> object:
    """A record as plain JSON types: Decimal and dates as ISO strings, nested records as dicts."""
    from dataclasses import fields, is_dataclass

    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_payload(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_payload(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def from_payload(cls: type, data: dict) -> object:
    """Rebuild a record of type cls from to_payload's output, types taken from its hints."""
    import typing
    from dataclasses import fields

    hints = typing.get_type_hints(cls)
    kwargs = {f.name: _revive(hints[f.name], data[f.name]) for f in fields(cls) if f.name in data}
    return cls(**kwargs)


def _revive(hint: object, value: object) -> object:
    import types
    import typing

    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _revive(inner[0], value)
    if origin is list:
        (arg,) = typing.get_args(hint) or (object,)
        return [_revive(arg, v) for v in value]
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_revive(args[0], v) for v in value)
        return tuple(_revive(a, v) for a, v in zip(args, value, strict=True))
    if hint is Decimal:
        return Decimal(str(value))
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if isinstance(hint, type) and hint.__name__ in _PAYLOAD_TYPES and isinstance(value, dict):
        return from_payload(hint, value)
    return value
