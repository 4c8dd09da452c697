"""Shipments and their tracking stories."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sandbox.carriers.check_digits import tracking_number
from sandbox.world.master_data import at
from sandbox.world.records import Order, Shipment, ShipmentLine, TrackingEvent, World
from sandbox.world.vocabulary import CARRIERS, SERVICES, SIGNERS, STORIES, WAREHOUSES_SPEC


def story_events(
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
        TrackingEvent(at(ship_date, 17), "PU", "Picked up", ocity, ocountry),
        TrackingEvent(at(ship_date + timedelta(days=1), 3), "IT", "In transit", ocity, ocountry),
    ]
    result = {"status": "in_transit", "delivered_at": None, "signed_by": None, "pod": False}
    if story == "stalled":
        return events, result  # nothing since the day after pickup
    if story in ("damaged", "returned_to_sender"):
        day = ship_date + timedelta(days=2)
        if story == "damaged":
            events.append(TrackingEvent(at(day, 9), "EX", "Damaged in transit", dcity, dcountry))
            return events, {**result, "status": "exception"}
        events.append(
            TrackingEvent(
                at(day, 11), "EX", "Delivery attempted, receiver not available", dcity, dcountry
            )
        )
        events.append(
            TrackingEvent(
                at(day + timedelta(days=1), 8), "RS", "Returned to sender", dcity, dcountry
            )
        )
        return events, {**result, "status": "returned"}
    if story == "late":
        delivered_day = promised + timedelta(days=rng.randint(1, 2))
    else:
        delivered_day = max(ship_date + timedelta(days=1), promised - timedelta(rng.randint(0, 1)))
    out = at(delivered_day, 7, rng.randrange(60))
    delivered = at(delivered_day, rng.randint(10, 17), rng.randrange(60))
    events.append(TrackingEvent(out, "OD", "Out for delivery", dcity, dcountry))
    events.append(TrackingEvent(delivered, "DL", "Delivered", dcity, dcountry))
    signed = rng.choice(SIGNERS) if story == "delivered_signed" else None
    return events, {
        "status": "delivered",
        "delivered_at": delivered,
        "signed_by": signed,
        "pod": story != "delivered_no_pod",
    }


def draw(rng: random.Random, master: World, orders: list[Order]) -> list[Shipment]:
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
        events, fields = story_events(
            rng, story, ship_date, promised, (warehouse[2], warehouse[3]), (dest.city, dest.country)
        )
        lines = order.lines
        if order.status == "partially_shipped":
            lines = lines[:1] if len(lines) > 1 else ()
        ship_lines = tuple(ShipmentLine(ln.line_no, ln.sku, ln.quantity) for ln in lines)
        if not ship_lines:  # a one-line order ships part of its only line
            ln = order.lines[0]
            ship_lines = (ShipmentLine(ln.line_no, ln.sku, max(1, ln.quantity // 2)),)
        tracking = tracking_number(rng, carrier, service, shippers[warehouse[0]])
        while tracking in used:
            tracking = tracking_number(rng, carrier, service, shippers[warehouse[0]])
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
