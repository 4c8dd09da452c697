"""The deterministic world every simulator shares, built from a seed and a `today` anchor.

Only `random.Random(seed)` decides; every date hangs off `today`, so the same seed and day give
the same world and the world looks current on the day it is seeded. Codes are strings (leading
zeros are data), money is Decimal, datetimes are UTC-aware.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import cached_property

CARRIERS = ("ups", "fedex", "dhl")
CURRENCIES = ("USD", "EUR", "GBP", "CAD")
PRICE_LEVELS = {
    "Base Price": Decimal("1.00"),
    "Wholesale": Decimal("0.85"),
    "Distributor": Decimal("0.75"),
}
QUANTITY_BREAKS = {1: Decimal("1.00"), 10: Decimal("0.95"), 50: Decimal("0.90")}
FX_FROM_USD = {
    "USD": Decimal("1"),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "CAD": Decimal("1.36"),
}
STORIES = (
    "on_time",
    "late",
    "stalled",
    "damaged",
    "returned_to_sender",
    "delivered_signed",
    "delivered_no_pod",
)
CURRENCY_BY_COUNTRY = {
    "US": "USD",
    "CA": "CAD",
    "GB": "GBP",
    "DE": "EUR",
    "FR": "EUR",
    "NL": "EUR",
    "AU": "USD",
    "MX": "USD",
}
TAX_RATE = {
    "US": "0",
    "CA": "0.13",
    "GB": "0.20",
    "DE": "0.19",
    "FR": "0.20",
    "NL": "0.21",
    "AU": "0.10",
    "MX": "0.16",
}


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split(","))


# Real places with their real postal codes, so every address passes its country's format.
PLACES = {
    "US": [
        ("Boston", "MA", "02110"),
        ("Newark", "NJ", "07102"),
        ("Chicago", "IL", "60607"),
        ("Austin", "TX", "78701"),
        ("Seattle", "WA", "98104"),
        ("Portsmouth", "NH", "03801"),
        ("Columbus", "OH", "43215"),
    ],
    "CA": [
        ("Toronto", "ON", "M5V 2T6"),
        ("Montreal", "QC", "H3B 4W8"),
        ("Vancouver", "BC", "V6B 1A1"),
        ("Calgary", "AB", "T2P 2M5"),
    ],
    "GB": [
        ("London", "", "SW1A 1AA"),
        ("Manchester", "", "M1 1AE"),
        ("Birmingham", "", "B33 8TH"),
        ("Leeds", "", "LS1 4AP"),
    ],
    "DE": [
        ("Berlin", "BE", "10115"),
        ("Dresden", "SN", "01067"),
        ("Munich", "BY", "80331"),
        ("Hamburg", "HH", "20095"),
    ],
    "FR": [
        ("Paris", "", "75008"),
        ("Lyon", "", "69002"),
        ("Bourg-en-Bresse", "", "01000"),
        ("Marseille", "", "13001"),
    ],
    "NL": [
        ("Amsterdam", "NH", "1012 AB"),
        ("Rotterdam", "ZH", "3011 AD"),
        ("Utrecht", "UT", "3511 LX"),
    ],
    "AU": [
        ("Sydney", "NSW", "2000"),
        ("Melbourne", "VIC", "3000"),
        ("Darwin", "NT", "0800"),
        ("Brisbane", "QLD", "4000"),
    ],
    "MX": [
        ("Ciudad de México", "CMX", "06600"),
        ("Monterrey", "NLE", "64000"),
        ("Guadalajara", "JAL", "44100"),
    ],
}
STREETS = _words(
    "Main St, Harbor Rd, Industrial Way, King St, Station Rd, Mill Lane, Commerce Dr, Park Ave,"
    " Rue de la Gare, Hauptstrasse, Keizersgracht"
)
NAME_FIRST = _words(
    "Northwind, Blue Harbor, Summit, Redwood, Granite, Cedar, Atlas, Beacon, Silverline, Maple,"
    " Orion, Keystone, Harbor, Pioneer, Lakeside, Ironbridge, Crescent, Evergreen, Highland,"
    " Riverside"
)
NAME_LAST = _words(
    "Traders, Supply Co, Distribution, Wholesale, Retail Group, Outfitters, Hardware, Foods,"
    " Industries, Partners"
)
PRODUCTS = _words(
    "Bolt, Bracket, Hinge, Valve, Gasket, Filter, Cable, Switch, Pump, Sensor, Panel, Clamp,"
    " Fitting, Bearing, Spring"
)
ADJECTIVES = _words(
    "Steel, Brass, Heavy-duty, Compact, Stainless, Insulated, Coated, Precision, Industrial, Mini"
)
SIGNERS = _words("J. SMITH, M. GARCIA, A. MUELLER, L. MARTIN, K. NGUYEN, R. PATEL")
WAREHOUSES_SPEC = (
    ("WH-NJ", "Newark DC", "Newark", "US"),
    ("WH-NV", "Reno DC", "Reno", "US"),
    ("WH-NL", "Venlo DC", "Venlo", "NL"),
)
SERVICES = {
    "ups": (("03", 5), ("02", 2), ("01", 1)),
    "fedex": (("FEDEX_GROUND", 5), ("FEDEX_2_DAY", 2), ("PRIORITY_OVERNIGHT", 1)),
    "dhl": (("EXPRESS_WORLDWIDE", 3), ("EXPRESS_12:00", 2)),
}
CENT = Decimal("0.01")


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


# -- tracking numbers in each carrier's real format, check digits included --------------------


def ups_check_digit(body: str) -> str:
    """UPS 1Z check digit over the 15 characters after "1Z" (letters count (ord - 63) % 10)."""
    values = [int(c) if c.isdigit() else (ord(c) - 63) % 10 for c in body]
    total = sum(v * (2 if i % 2 else 1) for i, v in enumerate(values))
    return str((10 - total % 10) % 10)


def fedex_check_digit(first11: str) -> str:
    """FedEx Express 12-digit check: weights 1, 3, 7 from the right, mod 11, mod 10."""
    weights = (1, 3, 7)
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(reversed(first11)))
    return str(total % 11 % 10)


def dhl_check_digit(first9: str) -> str:
    """DHL Express 10-digit waybill: the first nine digits mod 7."""
    return str(int(first9) % 7)


def _tracking_number(rng: random.Random, carrier: str, service: str, shipper: str) -> str:
    if carrier == "ups":
        body = shipper + service + f"{rng.randrange(10**7):07d}"
        return "1Z" + body + ups_check_digit(body)
    if carrier == "fedex":
        first = f"{rng.randrange(7 * 10**10, 8 * 10**10):011d}"
        return first + fedex_check_digit(first)
    first = f"{rng.randrange(10**8, 10**9):09d}"
    return first + dhl_check_digit(first)


# -- the builders ----------------------------------------------------------------------------


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.utc)


def _customers(rng: random.Random) -> list[Customer]:
    countries = list(PLACES) + rng.choices(["US", "US", "CA", "GB", "DE", "NL"], k=12)
    rng.shuffle(countries)
    names = rng.sample([f"{a} {b}" for a in NAME_FIRST for b in NAME_LAST], len(countries))
    numbers = sorted(rng.sample(range(1, 1000), len(countries)))
    customers = []
    for i, (number, country, name) in enumerate(zip(numbers, countries, names, strict=True)):
        slug = name.lower().replace(" ", "")
        customers.append(
            Customer(
                code=f"C{number:05d}",
                name=name,
                country=country,
                currency=CURRENCY_BY_COUNTRY[country],
                price_level=rng.choice(list(PRICE_LEVELS)),
                priority=rng.choice(("high", "normal", "normal", "low")),
                terms_days=rng.choice((30, 30, 45, 60)),
                credit_limit=Decimal(rng.randrange(20, 200) * 1000),
                email=f"orders@{slug}.example",
                is_active=i != len(countries) - 1,
            )
        )
    return customers


def _ship_tos(rng: random.Random, customers: list[Customer]) -> list[ShipTo]:
    ship_tos = []
    for customer in customers:
        countries = [customer.country] + rng.choices(list(PLACES), k=rng.randrange(0, 3))
        for n, country in enumerate(countries, start=1):
            city, state, postal = rng.choice(PLACES[country])
            if country == "US" and rng.random() < 0.3:
                postal += f"-{rng.randrange(10000):04d}"
            ship_tos.append(
                ShipTo(
                    code=f"{customer.code}-{n:02d}",
                    customer_code=customer.code,
                    name=f"{customer.name} {city}",
                    line1=f"{rng.randrange(1, 999)} {rng.choice(STREETS)}",
                    city=city,
                    state=state,
                    postal_code=postal,
                    country=country,
                    is_default=n == 1,
                )
            )
    return ship_tos


def _items(rng: random.Random) -> list[Item]:
    numbers = rng.sample(range(100, 10000), 35) + rng.sample(range(10000, 100000), 15)
    skus = sorted(f"{n:05d}" for n in numbers)
    special = rng.sample(range(len(skus)), 13)
    inactive, drop_ship, kits = set(special[:4]), set(special[4:9]), set(special[9:])
    plain = [s for i, s in enumerate(skus) if i not in kits]
    items = []
    for i, sku in enumerate(skus):
        base = _money(Decimal(rng.randrange(150, 50000)) / 100)
        components = ()
        if i in kits:
            components = tuple((c, rng.randrange(1, 5)) for c in rng.sample(plain, 3))
        items.append(
            Item(
                sku=sku,
                description=f"{rng.choice(ADJECTIVES)} {rng.choice(PRODUCTS)} {sku}",
                uom="KIT" if i in kits else rng.choice(("EA", "EA", "EA", "CS", "BX")),
                weight_kg=Decimal(rng.randrange(5, 2500)) / 100,
                base_price=base,
                cost=_money(base * Decimal(rng.randrange(40, 70)) / 100),
                is_active=i not in inactive,
                drop_ship=i in drop_ship,
                is_kit=i in kits,
                components=components,
            )
        )
    return items


def _price_entries(items: list[Item]) -> list[PriceEntry]:
    return [
        PriceEntry(
            item.sku,
            level,
            currency,
            min_qty,
            _money(item.base_price * factor * FX_FROM_USD[currency] * brk),
        )
        for item in items
        for level, factor in PRICE_LEVELS.items()
        for currency in CURRENCIES
        for min_qty, brk in QUANTITY_BREAKS.items()
    ]


def _inventory(rng: random.Random, items: list[Item]) -> list[StockLevel]:
    levels = []
    for item in items:
        if item.is_kit or item.drop_ship:
            continue
        for code, *_ in rng.sample(WAREHOUSES_SPEC, rng.randrange(2, 4)):
            on_hand = 0 if rng.random() < 0.1 else rng.randrange(5, 800)
            allocated = rng.randrange(0, on_hand + 1) if on_hand else 0
            levels.append(StockLevel(item.sku, code, on_hand, allocated, rng.randrange(10, 60)))
    return levels


# status -> (how many of the 60 orders, youngest and oldest age in days)
ORDER_MIX = {
    "draft": (4, 0, 2),
    "booked": (12, 1, 10),
    "on_hold": (3, 3, 20),
    "cancelled": (3, 5, 40),
    "partially_shipped": (6, 8, 30),
    "shipped": (32, 8, 75),
}


def _orders(rng: random.Random, master: World) -> list[Order]:
    customers = [c for c in master.customers if c.is_active]
    sellable = [i for i in master.items if i.is_active]
    drafts = []
    for status, (count, youngest, oldest) in ORDER_MIX.items():
        for _ in range(count):
            age = timedelta(days=rng.randint(youngest, oldest), minutes=rng.randrange(1440))
            drafts.append((_at(master.today, 0) - age, status, rng.choice(customers)))
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


def _events(
    rng: random.Random,
    story: str,
    ship_date: date,
    promised: date,
    origin: tuple[str, str],
    dest: tuple[str, str],
) -> tuple[list[TrackingEvent], dict]:
    """Tracking events for a story, and the shipment fields the story decides."""
    (ocity, ocountry), (dcity, dcountry) = origin, dest
    events = [
        TrackingEvent(_at(ship_date, 17), "PU", "Picked up", ocity, ocountry),
        TrackingEvent(_at(ship_date + timedelta(days=1), 3), "IT", "In transit", ocity, ocountry),
    ]
    result = {"status": "in_transit", "delivered_at": None, "signed_by": None, "pod": False}
    if story == "stalled":
        return events, result  # nothing since the day after pickup
    if story in ("damaged", "returned_to_sender"):
        day = ship_date + timedelta(days=2)
        if story == "damaged":
            events.append(TrackingEvent(_at(day, 9), "EX", "Damaged in transit", dcity, dcountry))
            return events, {**result, "status": "exception"}
        events.append(
            TrackingEvent(
                _at(day, 11), "EX", "Delivery attempted, receiver not available", dcity, dcountry
            )
        )
        events.append(
            TrackingEvent(
                _at(day + timedelta(days=1), 8), "RS", "Returned to sender", dcity, dcountry
            )
        )
        return events, {**result, "status": "returned"}
    if story == "late":
        delivered_day = promised + timedelta(days=rng.randint(1, 2))
    else:
        delivered_day = max(ship_date + timedelta(days=1), promised - timedelta(rng.randint(0, 1)))
    out = _at(delivered_day, 7, rng.randrange(60))
    delivered = _at(delivered_day, rng.randint(10, 17), rng.randrange(60))
    events.append(TrackingEvent(out, "OD", "Out for delivery", dcity, dcountry))
    events.append(TrackingEvent(delivered, "DL", "Delivered", dcity, dcountry))
    signed = rng.choice(SIGNERS) if story == "delivered_signed" else None
    return events, {
        "status": "delivered",
        "delivered_at": delivered,
        "signed_by": signed,
        "pod": story != "delivered_no_pod",
    }


def _shipments(rng: random.Random, master: World, orders: list[Order]) -> list[Shipment]:
    today = master.today
    shipped = [o for o in orders if o.status in ("shipped", "partially_shipped")]
    # Every story and every carrier occurs, whatever the seed.
    stories = list(STORIES) + rng.choices(("on_time",) * 4 + STORIES, k=len(shipped) - 7)
    carriers = list(CARRIERS) * 2 + rng.choices(CARRIERS, k=len(shipped) - 6)
    rng.shuffle(stories)
    rng.shuffle(carriers)
    shippers = {
        code: "".join(rng.choices("0123456789ABCDEFGHJKLMNPRSTVWXYZ", k=6))
        for code, *_ in WAREHOUSES_SPEC
    }
    shipments, used = [], set()
    for n, order in enumerate(shipped):
        carrier, story = carriers[n], stories[n]
        service, days = rng.choice(SERVICES[carrier][:2] if story == "late" else SERVICES[carrier])
        ship_date = order.ordered_at.date() + timedelta(days=rng.randint(1, 3))
        # Everything has happened by yesterday, and a stalled parcel has been silent for days.
        ship_date = min(ship_date, today - timedelta(days=6))
        if story == "stalled":  # stuck for days, not for months
            ship_date = max(ship_date, today - timedelta(days=10))
        promised = ship_date + timedelta(days=days)
        if story == "late":
            promised = min(promised, today - timedelta(days=3))
        warehouse = rng.choice(WAREHOUSES_SPEC)
        dest = master.ship_to(order.ship_to_code)
        events, fields = _events(
            rng, story, ship_date, promised, (warehouse[2], warehouse[3]), (dest.city, dest.country)
        )
        lines = order.lines
        if order.status == "partially_shipped":
            lines = lines[:1] if len(lines) > 1 else ()
        ship_lines = tuple(ShipmentLine(ln.line_no, ln.sku, ln.quantity) for ln in lines)
        if not ship_lines:  # a one-line order ships part of its only line
            ln = order.lines[0]
            ship_lines = (ShipmentLine(ln.line_no, ln.sku, max(1, ln.quantity // 2)),)
        tracking = _tracking_number(rng, carrier, service, shippers[warehouse[0]])
        while tracking in used:
            tracking = _tracking_number(rng, carrier, service, shippers[warehouse[0]])
        used.add(tracking)
        weight = sum((master.item(s.sku).weight_kg * s.quantity for s in ship_lines), Decimal(0))
        shipments.append(
            Shipment(
                number=f"SH-{n + 1:06d}",
                order_number=order.number,
                carrier=carrier,
                service=service,
                tracking_number=tracking,
                warehouse=warehouse[0],
                ship_to_code=order.ship_to_code,
                ship_date=ship_date,
                promised_date=promised,
                story=story,
                status=fields["status"],
                delivered_at=fields["delivered_at"],
                signed_by=fields["signed_by"],
                pod_available=fields["pod"],
                packages=rng.randint(1, 4),
                weight_kg=weight,
                lines=ship_lines,
                events=tuple(events),
            )
        )
    return shipments


def _invoices(
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
                price = _money(price * Decimal("1.05"))
            lines.append(
                InvoiceLine(s.line_no, s.sku, s.quantity, price, _money(price * s.quantity))
            )
        subtotal = sum((ln.amount for ln in lines), Decimal(0))
        tax = _money(subtotal * Decimal(TAX_RATE[master.ship_to(shipment.ship_to_code).country]))
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


def build_world(seed: int, today: date) -> World:
    """The world of `seed`, with every date relative to `today`."""
    rng = random.Random(seed)
    customers = _customers(rng)
    ship_tos = _ship_tos(rng, customers)
    items = _items(rng)
    master = World(
        seed=seed,
        today=today,
        customers=tuple(customers),
        ship_tos=tuple(ship_tos),
        items=tuple(items),
        price_entries=tuple(_price_entries(items)),
        warehouses=tuple(Warehouse(*spec) for spec in WAREHOUSES_SPEC),
        inventory=tuple(_inventory(rng, items)),
        orders=(),
        shipments=(),
        invoices=(),
        planted={},
    )
    orders = _orders(rng, master)
    shipments = _shipments(rng, master, orders)
    invoiced = sorted({s.order_number for s in shipments})
    planted = {"invoice_price_mismatch": tuple(sorted(rng.sample(invoiced, 2)))}
    invoices = _invoices(rng, master, orders, shipments, set(planted["invoice_price_mismatch"]))
    orders, shipments, invoices = _plant_discrepancies(
        seed, master, orders, shipments, invoices, planted
    )
    world = replace(
        master,
        orders=tuple(orders),
        shipments=tuple(shipments),
        invoices=tuple(invoices),
        planted=planted,
    )
    incoming, order_cases = _plant_order_cases(seed, world)
    return replace(
        world,
        orders=tuple(_with_ship_method(o, world.shipments) for o in world.orders),
        incoming_orders=incoming,  # Salesforce sends none: the 3PL's default, UPS Ground
        planted={**planted, **order_cases},
    )


# Ship methods of the ERP's orders that have not shipped yet, taken in turn by order number (no
# draw from the generator, so the rest of the world stays as it was): none (the 3PL's default,
# UPS Ground), FedEx 2Day, DHL Express Worldwide, so the 3PL ships by every carrier.
SHIP_METHODS = ("", "FEDEX FEDEX_2_DAY", "DHL EXPRESS_WORLDWIDE")


def ship_method_of(carrier: str, service: str) -> str:
    return f"{carrier.upper()} {service}"


def _with_ship_method(order: Order, shipments: Iterable[Shipment]) -> Order:
    """The order with the ship method it shipped by, else one in turn."""
    shipped = next((s for s in shipments if s.order_number == order.number), None)
    if shipped is not None:
        method = ship_method_of(shipped.carrier, shipped.service)
    else:
        method = SHIP_METHODS[int(order.number) % len(SHIP_METHODS)]
    return replace(order, ship_method=method)


# -- planted exceptions and reconciliation discrepancies (track_shipments, sync_invoices,
# reconcile_orders) ----------------------------------------------------------------------------

# A planted late parcel: still moving, but past its promised date.
OVERDUE = "overdue"
CLEAN_STORIES = ("on_time", "delivered_signed")


def _retotal(invoice: Invoice, lines: list[InvoiceLine], tax_rate: str) -> Invoice:
    subtotal = sum((ln.amount for ln in lines), Decimal(0))
    tax = _money(subtotal * Decimal(tax_rate))
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
        TrackingEvent(_at(ship_date, 17), "PU", "Picked up", warehouse.city, warehouse.country),
        TrackingEvent(
            _at(ship_date + timedelta(days=1), 3),
            "IT",
            "In transit",
            warehouse.city,
            warehouse.country,
        ),
        TrackingEvent(
            _at(today - timedelta(days=1), 10),
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


def _plant_discrepancies(
    seed: int,
    master: World,
    orders: list[Order],
    shipments: list[Shipment],
    invoices: list[Invoice],
    planted: dict[str, tuple[str, ...]],
) -> tuple[list[Order], list[Shipment], list[Invoice]]:
    """Plant one or more of every shipment exception, invoice discrepancy and reconciliation
    class, and record in `planted` (kind -> order numbers) every case a job should find.

    Draws from its own generator so the rest of the world does not change with it; each
    planted order carries one planted case only, so the expected findings stay exact.
    """
    rng = random.Random(f"flows-in:{seed}")
    by_order = {o.number: o for o in orders}
    ship_of = {s.order_number: s for s in shipments}
    invoice_of = {i.order_number: i for i in invoices}
    taken = set(planted.get("invoice_price_mismatch", ()))

    def pick(candidates: list[str], n: int = 1) -> list[str]:
        free = sorted(c for c in candidates if c not in taken)
        chosen = sorted(rng.sample(free, min(n, len(free))))
        taken.update(chosen)
        return chosen

    def clean(number: str) -> bool:
        return ship_of[number].story in CLEAN_STORIES

    def rate(number: str) -> str:
        return TAX_RATE[master.ship_to(ship_of[number].ship_to_code).country]

    shipped = [s.order_number for s in shipments]
    full = [n for n in shipped if by_order[n].status == "shipped" and clean(n)]
    # Late: only DHL tells a promised date in its tracking (NetSuite fulfilments carry none).
    for number in pick([n for n in full if ship_of[n].carrier == "dhl"], 2):
        ship_of[number] = _overdue(master, ship_of[number])
        invoice = invoice_of[number]
        ship_date = ship_of[number].ship_date
        invoice_of[number] = replace(
            invoice,
            invoice_date=ship_date,
            due_date=ship_date + (invoice.due_date - invoice.invoice_date),
        )
        planted.setdefault("shipment_late", ())
        planted["shipment_late"] += (number,)

    for number in pick(full):  # invoiced one more than shipped
        invoice = invoice_of[number]
        first, *rest = invoice.lines
        qty = first.quantity + 1
        lines = [replace(first, quantity=qty, amount=_money(first.unit_price * qty)), *rest]
        invoice_of[number] = _retotal(invoice, lines, rate(number))
        planted["invoice_quantity_mismatch"] = (number,)
        planted["recon_quantity_mismatch"] = (number,)

    for number in pick(full):  # the order itself is 10% off the price list; invoice follows it
        order = by_order[number]
        first, *rest = order.lines
        price = _money(first.unit_price * Decimal("1.10"))
        by_order[number] = replace(order, lines=(replace(first, unit_price=price), *rest))
        invoice = invoice_of[number]
        lines = [
            replace(ln, unit_price=price, amount=_money(price * ln.quantity))
            if ln.line_no == first.line_no
            else ln
            for ln in invoice.lines
        ]
        invoice_of[number] = _retotal(invoice, lines, rate(number))
        planted["invoice_list_price_mismatch"] = (number,)

    for number in pick(full):  # tax five points above the country's rate
        invoice = invoice_of[number]
        tax = _money(invoice.tax + invoice.subtotal * Decimal("0.05"))
        invoice_of[number] = replace(
            invoice, tax=tax, total=invoice.subtotal + tax + invoice.freight
        )
        planted["invoice_tax_mismatch"] = (number,)

    for number in pick(full):  # freight far above the rule
        invoice = invoice_of[number]
        freight = _money(max(invoice.subtotal * Decimal("0.40"), Decimal("600")))
        invoice_of[number] = replace(
            invoice, freight=freight, total=invoice.subtotal + invoice.tax + freight
        )
        planted["invoice_freight_mismatch"] = (number,)

    for number in pick([n for n in full if len(invoice_of[n].lines) > 1]):
        invoice = invoice_of[number]  # the last shipped line left off the invoice
        invoice_of[number] = _retotal(invoice, list(invoice.lines[:-1]), rate(number))
        planted["recon_shipped_not_invoiced"] = (number,)

    partial = [
        n
        for n in shipped
        if by_order[n].status == "partially_shipped" and len(by_order[n].lines) > 1 and clean(n)
    ]
    for number in pick(partial):  # a line invoiced that never shipped
        invoice, order = invoice_of[number], by_order[number]
        on_invoice = {ln.line_no for ln in invoice.lines}
        line = next(ln for ln in order.lines if ln.line_no not in on_invoice)
        extra = InvoiceLine(line.line_no, line.sku, line.quantity, line.unit_price, line.amount)
        invoice_of[number] = _retotal(invoice, [*invoice.lines, extra], rate(number))
        # Billed, then closed in the ERP: the warehouse never ships it, so the case stays.
        by_order[number] = replace(
            order,
            lines=tuple(replace(ln, closed=True) if ln is line else ln for ln in order.lines),
        )
        planted["recon_invoiced_not_shipped"] = (number,)
        planted["invoice_quantity_mismatch"] = tuple(
            sorted(planted.get("invoice_quantity_mismatch", ()) + (number,))
        )

    # An order entered straight into the ERP: the Salesforce simulator leaves it out.
    planted["recon_missing_in_system"] = tuple(pick(full))
    planted["recon_price_mismatch"] = tuple(planted.get("invoice_price_mismatch", ()))
    # Cancelled in the ERP, still active in Salesforce.
    planted["recon_status_mismatch"] = tuple(
        sorted(o.number for o in orders if o.status == "cancelled")
    )

    new_shipments = [ship_of[s.order_number] for s in shipments]
    stories = {
        "shipment_no_movement": "stalled",
        "shipment_damaged": "damaged",
        "shipment_returned": "returned_to_sender",
        "delivered_without_pod": "delivered_no_pod",
    }
    for kind, story in stories.items():
        planted[kind] = tuple(sorted(s.order_number for s in new_shipments if s.story == story))
    planted["recon_delivered_without_pod"] = planted["delivered_without_pod"]
    planted["shipment_late"] = tuple(sorted(planted.get("shipment_late", ())))
    return (
        [by_order[o.number] for o in orders],
        new_shipments,
        [invoice_of[i.order_number] for i in invoices],
    )


# -- planted cases of the outbound order flows (sync_orders, push_fulfillments, ...) ----------

# case -> how many incoming orders carry it; "new_order" are clean orders that flow end to end.
ORDER_CASES = {
    "new_order": 3,
    "unknown_sku": 1,
    "price_outside_tolerance": 1,
    "short_of_stock": 1,
    "drop_ship_line": 1,
    "kit_line": 1,
}


def _available(world: World) -> tuple[dict[str, int], dict[str, int]]:
    """Stock of each SKU (on hand less allocated): the most in one warehouse, and in all."""
    best: dict[str, int] = {}
    total: dict[str, int] = {}
    for level in world.inventory:
        free = level.on_hand - level.allocated
        best[level.sku] = max(best.get(level.sku, 0), free)
        total[level.sku] = total.get(level.sku, 0) + free
    return best, total


def _plant_order_cases(seed: int, world: World) -> tuple[tuple[Order, ...], dict]:
    """New orders activated in Salesforce and not yet in the ERP, each carrying one case.

    A generator of its own (not the world's) so the rest of the world stays as it was. Items
    of released legacy orders are avoided so their stock is this case's alone.
    """
    rng = random.Random(f"order-cases:{seed}")
    released = [o for o in world.orders if o.status in ("booked", "partially_shipped")]
    busy = {ln.sku for o in released for ln in o.lines}
    best, total = _available(world)
    plain = [
        i
        for i in world.items
        if i.is_active and not (i.drop_ship or i.is_kit) and i.sku not in busy
    ]
    stocked = [i for i in plain if best.get(i.sku, 0) >= 60]
    # Short even after every warehouse gave what it has: a backorder that stays open.
    short = [i for i in plain if 0 < best.get(i.sku, 0) < total.get(i.sku, 0) < 80] or stocked
    drop_ship = [i for i in world.items if i.is_active and i.drop_ship]
    kits = [i for i in world.items if i.is_active and i.is_kit]
    customers = [c for c in world.customers if c.is_active]
    number = max(int(o.number) for o in world.orders)
    orders, planted = [], {}
    for case, count in ORDER_CASES.items():
        for _ in range(count):
            number += 1
            customer = rng.choice(customers)
            picks = rng.sample(stocked, 2 if case in ("new_order", "unknown_sku") else 1)
            lines = [(i.sku, i.uom, rng.choice((1, 2, 3, 5, 10))) for i in picks]
            if case == "short_of_stock":
                item = rng.choice(short)
                lines = [(item.sku, item.uom, total[item.sku] + rng.randint(5, 15))]
            elif case == "drop_ship_line" and drop_ship:
                item = rng.choice(drop_ship)
                lines.append((item.sku, item.uom, rng.choice((1, 2, 5))))
            elif case == "kit_line" and kits:
                item = rng.choice(kits)
                lines.append((item.sku, item.uom, rng.choice((1, 2))))
            order_lines = []
            for line_no, (sku, uom, qty) in enumerate(lines, start=1):
                known = sku in {i.sku for i in world.items}
                price = (
                    world.price(sku, customer.price_level, customer.currency, qty)
                    if known
                    else Decimal("19.99")
                )
                if case == "price_outside_tolerance" and line_no == 1:
                    price = _money(price * Decimal("1.15"))
                order_lines.append(OrderLine(line_no, sku, qty, uom, price))
            if case == "unknown_sku":
                unknown = f"9{rng.randrange(10000):04d}"
                while unknown in {i.sku for i in world.items}:
                    unknown = f"9{rng.randrange(10000):04d}"
                order_lines[-1] = OrderLine(len(order_lines), unknown, 2, "EA", Decimal("19.99"))
            ordered_at = _at(world.today, 0) - timedelta(hours=rng.randint(1, 20))
            own = [s for s in world.ship_tos if s.customer_code == customer.code]
            orders.append(
                Order(
                    number=f"{number:08d}",
                    customer_code=customer.code,
                    ship_to_code=rng.choice(own).code,
                    currency=customer.currency,
                    po_number=f"PO-{rng.randrange(10000, 99999)}",
                    ordered_at=ordered_at,
                    requested_date=world.today + timedelta(days=rng.randint(3, 10)),
                    status="booked",
                    source="salesforce",
                    lines=tuple(order_lines),
                )
            )
            planted[case] = planted.get(case, ()) + (f"{number:08d}",)
    planted["erp_status_change"] = tuple(o.number for o in world.orders if o.status == "cancelled")
    return tuple(orders), planted
