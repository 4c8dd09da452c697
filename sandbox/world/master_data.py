"""Customers, ship-tos, items, price entries and stock levels drawn from the world's generator."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timezone
from decimal import Decimal

from sandbox.world.records import Customer, Item, PriceEntry, ShipTo, StockLevel
from sandbox.world.vocabulary import (
    ADJECTIVES,
    CENT,
    CURRENCIES,
    CURRENCY_BY_COUNTRY,
    FX_FROM_USD,
    NAME_FIRST,
    NAME_LAST,
    PLACES,
    PRICE_LEVELS,
    PRODUCTS,
    QUANTITY_BREAKS,
    STREETS,
    WAREHOUSES_SPEC,
)

# -- the builders ----------------------------------------------------------------------------


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.utc)


def customers(rng: random.Random) -> list[Customer]:
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


def ship_tos(rng: random.Random, customers: list[Customer]) -> list[ShipTo]:
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


def items(rng: random.Random) -> list[Item]:
    numbers = rng.sample(range(100, 10000), 35) + rng.sample(range(10000, 100000), 15)
    skus = sorted(f"{n:05d}" for n in numbers)
    special = rng.sample(range(len(skus)), 13)
    inactive, drop_ship, kits = set(special[:4]), set(special[4:9]), set(special[9:])
    plain = [s for i, s in enumerate(skus) if i not in kits]
    items = []
    for i, sku in enumerate(skus):
        base = money(Decimal(rng.randrange(150, 50000)) / 100)
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
                cost=money(base * Decimal(rng.randrange(40, 70)) / 100),
                is_active=i not in inactive,
                drop_ship=i in drop_ship,
                is_kit=i in kits,
                components=components,
            )
        )
    return items


def price_entries(items: list[Item]) -> list[PriceEntry]:
    return [
        PriceEntry(
            item.sku,
            level,
            currency,
            min_qty,
            money(item.base_price * factor * FX_FROM_USD[currency] * brk),
        )
        for item in items
        for level, factor in PRICE_LEVELS.items()
        for currency in CURRENCIES
        for min_qty, brk in QUANTITY_BREAKS.items()
    ]


def inventory(rng: random.Random, items: list[Item]) -> list[StockLevel]:
    levels = []
    for item in items:
        if item.is_kit or item.drop_ship:
            continue
        for code, *_ in rng.sample(WAREHOUSES_SPEC, rng.randrange(2, 4)):
            on_hand = 0 if rng.random() < 0.1 else rng.randrange(5, 800)
            allocated = rng.randrange(0, on_hand + 1) if on_hand else 0
            levels.append(StockLevel(item.sku, code, on_hand, allocated, rng.randrange(10, 60)))
    return levels
