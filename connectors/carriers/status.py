"""The one normalised tracking status set, its order, and what a carrier's words mean in it.

A shipment's status never moves backwards (`merge_status`), events are only ever appended
(`merge_events`), and a delay or exception names a reason and who it is on
(`classify_reason`). Each carrier module maps its own codes onto these names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from core.records import TrackingEvent

PRE_TRANSIT = "pre_transit"
IN_TRANSIT = "in_transit"
OUT_FOR_DELIVERY = "out_for_delivery"
DELIVERED = "delivered"
AVAILABLE_FOR_PICKUP = "available_for_pickup"
EXCEPTION = "exception"
RETURNED_TO_SENDER = "returned_to_sender"
CANCELLED = "cancelled"
UNKNOWN = "unknown"

STATUSES = (
    PRE_TRANSIT,
    IN_TRANSIT,
    OUT_FOR_DELIVERY,
    DELIVERED,
    AVAILABLE_FOR_PICKUP,
    EXCEPTION,
    RETURNED_TO_SENDER,
    CANCELLED,
    UNKNOWN,
)
TERMINAL = frozenset({DELIVERED, RETURNED_TO_SENDER, CANCELLED})
# Progress along the way to the consignee; exception sits beside this line (see merge_status).
RANK = {UNKNOWN: 0, PRE_TRANSIT: 1, IN_TRANSIT: 2, OUT_FOR_DELIVERY: 3, AVAILABLE_FOR_PICKUP: 4}

ON_WHOM = ("carrier", "shipper", "consignee", "customs", "weather")

# Reason codes: ours, so a report can count them across carriers.
REASONS = {
    "weather_delay": "weather",
    "customs_hold": "customs",
    "damaged": "carrier",
    "lost": "carrier",
    "carrier_delay": "carrier",
    "no_movement": "carrier",
    "address_problem": "shipper",
    "label_only": "shipper",
    "recipient_unavailable": "consignee",
    "refused": "consignee",
    "returned": "consignee",
}

# Checked in order: the first pattern found in a carrier's text names the reason.
_REASON_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.IGNORECASE))
    for reason, pattern in (
        (
            "weather_delay",
            r"weather|snow|storm|hurricane|tornado|flood|earthquake|natural disaster",
        ),
        ("customs_hold", r"customs|clearance|broker|\bdut(y|ies)\b|inspection"),
        ("damaged", r"damage"),
        ("lost", r"\blost\b|cannot be located|missing"),
        ("refused", r"refus"),
        ("address_problem", r"address|incorrect|insufficient|undeliverable as addressed"),
        (
            "recipient_unavailable",
            r"not (available|home|in)|business (was )?closed|no one|unavailable|not present",
        ),
        ("returned", r"return(ed|ing)? to (shipper|sender)"),
        ("carrier_delay", r"delay|missed|mechanical|\blate\b|rescheduled|capacity"),
    )
)


def classify_reason(*texts: str) -> tuple[str, str]:
    """(reason code, on whom) named by a carrier's words; ("", "") when they name none."""
    joined = " ".join(t for t in texts if t)
    for reason, pattern in _REASON_WORDS:
        if pattern.search(joined):
            return reason, REASONS[reason]
    return "", ""


# Reasons worth keeping on an event that is not an exception (a delay while still moving).
_DELAYS = frozenset({"weather_delay", "customs_hold", "carrier_delay"})


def event_reason(status: str, *texts: str) -> tuple[str, str]:
    """The reason of one event: any for an exception, only delays for a moving parcel."""
    reason, on_whom = classify_reason(*texts)
    if status == EXCEPTION or reason in _DELAYS:
        return reason, on_whom
    return "", ""


def merge_status(current: str, new: str) -> str:
    """The status after `new` is reported on a shipment at `current`; it never moves back.

    delivered, returned_to_sender and cancelled are terminal. Any live status may turn into an
    exception; an exception moves on only to a status past pre-transit (the parcel moves
    again, or is delivered, returned or cancelled). Unknown never replaces anything.
    """
    if current not in STATUSES:
        current = UNKNOWN
    if new not in STATUSES or new == UNKNOWN or current in TERMINAL:
        return current
    if new in TERMINAL or new == EXCEPTION:
        return new
    if current == EXCEPTION:
        return new if RANK[new] >= RANK[IN_TRANSIT] else current
    return new if RANK[new] >= RANK[current] else current


def fold_status(statuses: Iterable[str], start: str = UNKNOWN) -> str:
    status = start
    for new in statuses:
        status = merge_status(status, new)
    return status


def _event_key(event: TrackingEvent) -> tuple:
    return (event.occurred_at, event.status, event.description.strip(), event.location)


def merge_events(
    existing: Iterable[TrackingEvent], new: Iterable[TrackingEvent]
) -> list[TrackingEvent]:
    """Existing events plus the new ones not seen before, oldest first; nothing is dropped."""
    merged = list(existing)
    seen = {_event_key(e) for e in merged}
    for event in new:
        if _event_key(event) not in seen:
            seen.add(_event_key(event))
            merged.append(event)
    return sorted(merged, key=lambda e: e.occurred_at)


def stalled_since(events: list[TrackingEvent], now: datetime, days: int) -> datetime | None:
    """When the last event happened, if nothing has moved for `days` days; else None."""
    if not events or days <= 0:
        return None
    last = max(e.occurred_at for e in events)
    return last if now - last >= timedelta(days=days) else None
