"""The retailer's planted EDI cases: the EDI registry, each case a function drafting the
purchase orders that carry it, and the README's EDI table.

Cases run in the order they are registered, each drafting `count` orders from the drafting's
own generator (seeded apart from the world's, so the world never changes with them). Where
each order then travels (which interchange, group and set, by file or AS2) is the drop's
layout in sandbox/edi/drop.py; what the partner does later (997s held back or rejected, 860s)
its poll does (sandbox/edi/partner.py), both by these case names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sandbox.edi.orders import LineChange, PoLine, PurchaseOrder, Store
from sandbox.world.planted import SEED, Registry
from sandbox.world.records import Item, World

EDI = Registry()
CUSTOMER = "C00729"  # Beacon Retail Group in the seed-1 world
PRICE_LEVEL, CURRENCY = "Distributor", "USD"  # the customer's prices, as the retailer orders
# The retailer's store numbers and the ship-tos Orderbridge's cross-reference maps them to
# (config/default.yaml edi.partners.beacon.ship_tos).
STORES = {"0101": "C00729-01", "0102": "C00729-02", "9001": "C00729-03"}
UNMAPPED_STORE = Store("0417", "Beacon Retail Group Portland", "55 SW Yamhill St", "Portland",
                       "OR", "97204", "US")  # fmt: skip  # opened after the cross-reference
ROUTINGS = {  # SCAC and ship method by name, by the store's country
    "US": (("UPSN", "UPS Ground"), ("FDEG", "FedEx Ground"), ("FDEG", "FedEx 2Day")),
    "other": (("DHLC", "DHL Express Worldwide"),),
}
QUANTITIES = (1, 2, 3, 4, 6, 10, 12)  # each priced at the break it reaches (1 or 10)
MIN_STOCK = 100  # only items a warehouse holds plenty of, so EDI orders leave others' stock


def upc_of(sku: str) -> str:
    """A UPC-A for the SKU under the GS1 prefix 061414, with its check digit."""
    digits = f"061414{sku}"
    odd = sum(int(c) for c in digits[0::2])
    even = sum(int(c) for c in digits[1::2])
    return digits + str((10 - (odd * 3 + even) % 10) % 10)


def buyer_part_of(sku: str) -> str:
    return f"BR{int(sku) * 7919 % 1_000_000:06d}"  # the retailer's own item number


@dataclass
class Drafting:
    """What the cases draft from, and their generator."""

    world: World
    today: date
    rng: random.Random
    items: list[Item]
    changes_drafted: int = 0

    @classmethod
    def of(cls, world: World, today: date) -> Drafting:
        incoming = {ln.sku for o in world.incoming_orders for ln in o.lines}
        best: dict[str, int] = {}
        for level in world.inventory:
            best[level.sku] = max(best.get(level.sku, 0), level.on_hand - level.allocated)
        base = (PRICE_LEVEL, CURRENCY, 1)  # the list price every break hangs off
        priced = {
            e.sku
            for e in world.price_entries
            if (e.price_level, e.currency, e.min_quantity) == base
        }
        # Not the items of the outbound cases' new orders: their stock figures are exact.
        items = [
            i for i in world.items
            if i.is_active and i.uom == "EA" and not (i.is_kit or i.drop_ship)
            and i.sku in priced and i.sku not in incoming and best.get(i.sku, 0) >= MIN_STOCK
        ]  # fmt: skip
        return cls(world, today, random.Random(f"edi-partner:{world.seed}"), items)

    def line(self, line_id: int, item: Item, quantity: int | None = None) -> PoLine:
        qty = quantity or self.rng.choice(QUANTITIES)
        price = self.world.price(item.sku, PRICE_LEVEL, CURRENCY, qty)
        # Some of the retailer's lines carry its own part number and a UPC besides our SKU.
        extra = self.rng.random()
        upc = upc_of(item.sku) if extra < 0.6 else ""
        buyer = buyer_part_of(item.sku) if extra < 0.3 else ""
        return PoLine(str(line_id), item.sku, qty, price, upc, buyer)

    def lines(self, count: int) -> list[PoLine]:
        picks = self.rng.sample(self.items, count)
        return [self.line(n, item) for n, item in enumerate(picks, start=1)]

    def store(self, number: str) -> Store:
        code = STORES[number]
        known = {s.code: s for s in self.world.ship_tos}
        if code not in known:  # another seed's world: the store keeps a plain address
            return Store(number, f"Beacon Retail Group {number}", "1 Main St", "Seattle", "WA",
                         "98104", "US")  # fmt: skip
        s = known[code]
        return Store(number, s.name, s.line1, s.city, s.state, s.postal_code, s.country)

    def order(self, lines: list[PoLine], store: Store | None = None) -> PurchaseOrder:
        """An order around the lines; its number is given when the drop is laid out."""
        today = self.today
        store = store or self.store(self.rng.choice(("0101", "0101", "0102", "9001")))
        routes = ROUTINGS["US" if store.country == "US" else "other"]
        scac, routing = self.rng.choice(routes)
        ship = today + timedelta(days=self.rng.randint(5, 12))
        customer = next((c for c in self.world.customers if c.code == CUSTOMER), None)
        return PurchaseOrder(
            number="",
            order_date=today - timedelta(days=self.rng.randint(0, 2)),
            ship_date=ship,
            cancel_date=ship + timedelta(days=14),
            store=store,
            department=str(self.rng.choice((110, 214, 320, 455))),
            scac=scac,
            routing=routing,
            terms_days=customer.terms_days if customer else 60,
            lines=tuple(lines),
            with_currency=self.rng.random() < 0.5,
        )


def draft(world: World, today: date) -> dict[str, list[Any]]:
    """Each case's orders (numbers not yet given; edi_unreadable: its bytes), drafted in
    registry order."""
    drafting = Drafting.of(world, today)
    return {
        name: [case.plant(drafting) for _ in range(case.count)] for name, case in EDI.cases.items()
    }


# -- the cases, in the order they draw --------------------------------------------------------


@EDI.case(
    "edi_order",
    "entered as orders of C00729 at the store's ship-to (VP = our SKU, Distributor list prices)",
    count=3,
)
def edi_order(d: Drafting) -> PurchaseOrder:
    """A clean order of one to four lines."""
    return d.order(d.lines(d.rng.randint(1, 4)))


@EDI.case(
    "edi_po_change",
    "after our 855 for it, the partner's next poll (`sandbox edi-tick`) sends an 860: line 1's "
    "quantity changed (QI on the first, QD on the second), line 2 cancelled (DI), a line 4 "
    "added (AI)",
    count=2,
)
def edi_po_change(d: Drafting) -> PurchaseOrder:
    """A three-line order its buyer changes once it is acknowledged: the first such order
    raises line 1, the second lowers it (when it can)."""
    po = d.order(d.lines(3))
    first, second = po.lines[0], po.lines[1]
    d.changes_drafted += 1
    lower = d.changes_drafted % 2 == 0 and first.quantity > 1
    quantity = first.quantity // 2 if lower else first.quantity + d.rng.choice((2, 4, 6))
    price = d.world.price(first.sku, PRICE_LEVEL, CURRENCY, quantity)
    ordered = {ln.sku for ln in po.lines}
    added = d.rng.choice([i for i in d.items if i.sku not in ordered])
    changes = (
        LineChange("QD" if lower else "QI", replace(first, quantity=quantity, unit_price=price)),
        LineChange("DI", replace(second, quantity=0)),
        LineChange("AI", d.line(4, added)),
    )
    return replace(po, changes=changes)


@EDI.case(
    "edi_997_late",
    "the partner never acknowledges the group carrying our 856 for it: `edi_ack_late` once "
    "`ack_due_hours` (24) pass",
    count=1,
)
def edi_997_late(d: Drafting) -> PurchaseOrder:
    """A clean order; the partner's poll never answers the group carrying its 856."""
    return d.order(d.lines(2))


@EDI.case(
    "edi_997_rejected",
    "the partner's 997 rejects our 810 for it: AK5 R (code 5), AK3 at its first IT1, AK4 "
    "IT103 (code 7); AK9 R (P when other sets of its group pass)",
    count=1,
)
def edi_997_rejected(d: Drafting) -> PurchaseOrder:
    """A clean order; the partner's poll rejects the 810 invoicing it."""
    return d.order(d.lines(2))


@EDI.case(
    "edi_duplicate_po",
    "its PO number comes again in a later interchange (new ISA13): a possible duplicate for "
    "the coordinator",
    count=1,
)
def edi_duplicate_po(d: Drafting) -> PurchaseOrder:
    """A clean order the partner sends a second time, in a later interchange."""
    return d.order(d.lines(2))


@EDI.case(
    "edi_unknown_item",
    "rejected, the error naming its last PO1 line, whose VP is not in the item master",
    count=1,
)
def edi_unknown_item(d: Drafting) -> PurchaseOrder:
    """Three lines, the last a vendor part number the item master does not hold."""
    lines = d.lines(3)
    known = {i.sku for i in d.world.items}
    unknown = f"9{d.rng.randrange(10000):04d}"
    while unknown in known:
        unknown = f"9{d.rng.randrange(10000):04d}"
    lines[-1] = PoLine(lines[-1].line_id, unknown, 4, Decimal("19.99"))
    return d.order(lines)


@EDI.case(
    "edi_bad_segment",
    "its set's SE01 is one too many: our 997 rejects that set (AK5 R, code 4) and accepts the "
    "other sets of its file",
    count=1,
)
def edi_bad_segment(d: Drafting) -> PurchaseOrder:
    """A clean order in a set whose trailer counts wrong."""
    return d.order(d.lines(2))


@EDI.case(
    "edi_unmapped_store",
    "rejected: store 0417 (N1 ST, N104) is not in the ship-to cross-reference",
    count=1,
)
def edi_unmapped_store(d: Drafting) -> PurchaseOrder:
    """An order to a store opened after the ship-to cross-reference was set up."""
    return d.order(d.lines(2), UNMAPPED_STORE)


@EDI.case(
    "edi_resent_interchange",
    "its interchange file arrives twice (same ISA13): acknowledged, processed once",
    count=1,
)
def edi_resent_interchange(d: Drafting) -> PurchaseOrder:
    """A clean order alone in an interchange the partner drops twice."""
    return d.order(d.lines(2))


@EDI.case(
    "edi_over_as2",
    "sent over AS2 instead of the file drop (payloads in `partner/as2_outbox/`; the AS2 "
    "sending is not wired yet)",
    count=2,
)
def edi_over_as2(d: Drafting) -> PurchaseOrder:
    """A clean order the partner sends by AS2."""
    return d.order(d.lines(2))


@EDI.case(
    "edi_unreadable",
    "a file that is not X12 at all (a zip's bytes): moved to error/",
    count=1,
)
def edi_unreadable(d: Drafting) -> bytes:
    """Not an order: the bytes of a zip archive the partner's translator dropped instead."""
    return b"PK\x03\x04" + bytes(d.rng.randrange(256) for _ in range(300))


# -- the README's table -----------------------------------------------------------------------


def _listed(values: tuple[str, ...]) -> str:
    return f"{len(values)} ({', '.join(values)})"


def edi_table(today: date) -> str:
    """The README's EDI table, from the registry and seed 1's drop."""
    from sandbox.edi.drop import plan  # the drop lays the cases out
    from sandbox.world.build import build_world

    planted = plan(build_world(SEED, today), today).planted
    rows = ["| EDI case (partner `beacon`) | POs (seed 1) | what you see |", "|---|---|---|"]
    for case in EDI.cases.values():
        rows.append(f"| `{case.name}` | {_listed(planted[case.name])} | {case.shows} |")
    return "\n".join(rows)
