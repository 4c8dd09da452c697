"""Outbound planted cases: new orders activated in Salesforce and not yet in any ERP, each
carrying one case, for sync_orders, push_fulfillments and release_backorders.

Each drafting case below builds the lines of one new order for a customer drawn before it;
the order around the lines (ship-to, PO, dates) is drawn after. All draws come from a
generator of the cases' own (not the world's), so the rest of the world stays as it was; items
of released legacy orders are avoided so their stock is the cases' alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from sandbox.world.master_data import at, money
from sandbox.world.planted import OUTBOUND, mark
from sandbox.world.records import Customer, Item, Order, OrderLine, World

Draft = list[tuple[str, str, int]]  # (sku, uom, quantity) before pricing


def _available(world: World) -> tuple[dict[str, int], dict[str, int]]:
    """Stock of each SKU (on hand less allocated): the most in one warehouse, and in all."""
    best: dict[str, int] = {}
    total: dict[str, int] = {}
    for level in world.inventory:
        free = level.on_hand - level.allocated
        best[level.sku] = max(best.get(level.sku, 0), free)
        total[level.sku] = total.get(level.sku, 0) + free
    return best, total


@dataclass
class Drafting:
    """What the drafting cases choose from, and their generator."""

    world: World
    rng: random.Random
    stocked: list[Item]
    short: list[Item]
    drop_ship: list[Item]
    kits: list[Item]
    total: dict[str, int]

    @classmethod
    def of(cls, seed: int, world: World) -> Drafting:
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
        short = [i for i in plain if 0 < best.get(i.sku, 0) < total.get(i.sku, 0) < 80]
        return cls(
            world,
            random.Random(f"order-cases:{seed}"),
            stocked,
            short or stocked,
            [i for i in world.items if i.is_active and i.drop_ship],
            [i for i in world.items if i.is_active and i.is_kit],
            total,
        )

    def plain(self, count: int) -> Draft:
        """`count` stocked items, each in a small quantity."""
        picks = self.rng.sample(self.stocked, count)
        return [(i.sku, i.uom, self.rng.choice((1, 2, 3, 5, 10))) for i in picks]

    def priced(self, customer: Customer, draft: Draft) -> list[OrderLine]:
        """The lines at the customer's price list (an unknown SKU at 19.99)."""
        known = {i.sku for i in self.world.items}
        lines = []
        for line_no, (sku, uom, qty) in enumerate(draft, start=1):
            price = (
                self.world.price(sku, customer.price_level, customer.currency, qty)
                if sku in known
                else Decimal("19.99")
            )
            lines.append(OrderLine(line_no, sku, qty, uom, price))
        return lines


def plant(seed: int, world: World) -> tuple[tuple[Order, ...], dict[str, tuple[str, ...]]]:
    """(the new orders, planted) of every outbound case in turn."""
    drafting = Drafting.of(seed, world)
    rng = drafting.rng
    customers = [c for c in world.customers if c.is_active]
    number = max(int(o.number) for o in world.orders)
    orders: list[Order] = []
    planted: dict[str, tuple[str, ...]] = {}
    for case in OUTBOUND.cases.values():
        if not case.count:
            mark(planted, case, tuple(case.plant(world)))
            continue
        for _ in range(case.count):
            number += 1
            customer = rng.choice(customers)
            lines = case.plant(drafting, customer)
            ordered_at = at(world.today, 0) - timedelta(hours=rng.randint(1, 20))
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
                    lines=tuple(lines),
                )
            )
            mark(planted, case, (f"{number:08d}",))
    return tuple(orders), planted


# -- the cases, in the order they draw -----------------------------------------------------


@OUTBOUND.case(
    "new_order",
    "posted to NetSuite as `SF-...` with its ship-to (the customer's address book entry, so "
    "it is taxed where it goes), ERP number on the Salesforce Order, pushed to the 3PL (no "
    "ship method comes from Salesforce: UPS Ground), shipped about a minute later, item "
    "fulfilments and tracking numbers in the store; tracked by the carrier to delivered with "
    "proof of delivery, billed by NetSuite a minute after the fulfilment and the invoice in "
    "the store",
    count=3,
)
def new_order(d: Drafting, customer: Customer) -> list[OrderLine]:
    """A clean order of two stocked items that flows end to end."""
    return d.priced(customer, d.plain(2))


@OUTBOUND.case(
    "unknown_sku",
    "rejected by `sync_orders` (class missing) with a hint; the reason is in the Salesforce "
    "Order's `Sync_Error__c`",
    count=1,
)
def unknown_sku(d: Drafting, customer: Customer) -> list[OrderLine]:
    """Its last line is a SKU the item master does not hold."""
    lines = d.priced(customer, d.plain(2))
    known = {i.sku for i in d.world.items}
    unknown = f"9{d.rng.randrange(10000):04d}"
    while unknown in known:
        unknown = f"9{d.rng.randrange(10000):04d}"
    lines[-1] = OrderLine(len(lines), unknown, 2, "EA", Decimal("19.99"))
    return lines


@OUTBOUND.case(
    "price_outside_tolerance",
    "rejected by `sync_orders` (class value): price 15% above the list, tolerance 2%",
    count=1,
)
def price_outside_tolerance(d: Drafting, customer: Customer) -> list[OrderLine]:
    """Its first line is priced 15% above the list."""
    first, *rest = d.priced(customer, d.plain(1))
    return [replace(first, unit_price=money(first.unit_price * Decimal("1.15"))), *rest]


@OUTBOUND.case(
    "short_of_stock",
    "34 ship from WH-NV, `release_backorders` sends the 22 WH-NL has, 5 stay backordered: an "
    "open `backorder` exception",
    count=1,
)
def short_of_stock(d: Drafting, customer: Customer) -> list[OrderLine]:
    """One line for more than every warehouse holds together: a backorder that stays open."""
    d.plain(1)  # drawn like every case's first line, then replaced
    item = d.rng.choice(d.short)
    return d.priced(customer, [(item.sku, item.uom, d.total[item.sku] + d.rng.randint(5, 15))])


@OUTBOUND.case(
    "drop_ship_line",
    "line 2 marked `drop_ship`, not sent to the 3PL; line 1 ships",
    count=1,
)
def drop_ship_line(d: Drafting, customer: Customer) -> list[OrderLine]:
    """A stocked line and a drop-ship line, which stays with the ERP's purchase order."""
    draft = d.plain(1)
    if d.drop_ship:
        item = d.rng.choice(d.drop_ship)
        draft.append((item.sku, item.uom, d.rng.choice((1, 2, 5))))
    return d.priced(customer, draft)


@OUTBOUND.case("kit_line", "the kit line ships whole with the order", count=1)
def kit_line(d: Drafting, customer: Customer) -> list[OrderLine]:
    """A stocked line and a kit, which ships whole."""
    draft = d.plain(1)
    if d.kits:
        item = d.rng.choice(d.kits)
        draft.append((item.sku, item.uom, d.rng.choice((1, 2))))
    return d.priced(customer, draft)


@OUTBOUND.case(
    "erp_status_change",
    "cancelled in NetSuite, `Cancelled` written back to the Activated Salesforce Orders",
)
def erp_status_change(world: World) -> tuple[str, ...]:
    """The world's orders the ERP cancelled: their status flows back to Salesforce."""
    return tuple(o.number for o in world.orders if o.status == "cancelled")
