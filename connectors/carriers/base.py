"""What every carrier returns: a TrackResult per number and RateQuotes per service.

TrackResult is the canonical tracking answer (the carrier's view now): the normalised status
with its reason and on whom, the events oldest first (core.records.TrackingEvent), and the
proof of delivery. `found` is False with the carrier's `message` when it does not know the
number. RateRequest is what rating needs (addresses and parcels, which core.records.Shipment
does not carry); RateQuote is one priced service, with cheapest and fastest marked across
carriers by `mark_rates`.

The helpers here are lenient on purpose: real replies do not always follow their own specs
(a list sent as one object, numbers as strings and back, timestamps without an offset).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.carriers import status as st
from core.records import Address, Money, ProofOfDelivery, TrackingEvent


@dataclass
class TrackResult:
    number: str
    carrier: str
    status: str = st.UNKNOWN
    reason_code: str = ""
    on_whom: str = ""
    events: list[TrackingEvent] = field(default_factory=list)
    pod: ProofOfDelivery | None = None
    found: bool = True
    message: str = ""
    service: str = ""
    carrier_status: str = ""
    estimated_delivery: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able view (the `track --json` output)."""
        return {
            "number": self.number,
            "carrier": self.carrier,
            "found": self.found,
            "message": self.message,
            "status": self.status,
            "reason_code": self.reason_code,
            "on_whom": self.on_whom,
            "carrier_status": self.carrier_status,
            "service": self.service,
            "estimated_delivery": _iso(self.estimated_delivery),
            "events": [
                {
                    "occurred_at": _iso(e.occurred_at),
                    "status": e.status,
                    "description": e.description,
                    "location": e.location,
                    "reason_code": e.reason_code,
                    "on_whom": e.on_whom,
                }
                for e in self.events
            ],
            "pod": None
            if self.pod is None
            else {
                "delivered_at": _iso(self.pod.delivered_at),
                "signed_by": self.pod.signed_by,
                "location": self.pod.location,
            },
        }


@dataclass
class Parcel:
    weight_kg: Decimal
    length_cm: Decimal | None = None
    width_cm: Decimal | None = None
    height_cm: Decimal | None = None


@dataclass
class RateRequest:
    origin: Address
    destination: Address
    parcels: list[Parcel]
    ship_date: date | None = None
    currency: str = "USD"
    reference: str = ""


@dataclass
class RateQuote:
    carrier: str
    service: str
    cost: Money
    transit_days: int | None = None
    service_name: str = ""
    cheapest: bool = False
    fastest: bool = False
    messages: list[str] = field(default_factory=list)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def not_found(number: str, carrier: str, message: str) -> TrackResult:
    return TrackResult(number=number, carrier=carrier, found=False, message=message)


def finish(result: TrackResult, latest: str = st.UNKNOWN) -> TrackResult:
    """Sort events, fold their statuses (then the carrier's latest) and pick the reason."""
    result.events.sort(key=lambda e: e.occurred_at)
    status = st.fold_status(e.status for e in result.events)
    result.status = st.merge_status(status, latest) if latest else status
    for event in reversed(result.events):
        if event.reason_code:
            result.reason_code, result.on_whom = event.reason_code, event.on_whom
            break
    if result.status == st.RETURNED_TO_SENDER and not result.reason_code:
        result.reason_code, result.on_whom = "returned", st.REASONS["returned"]
    return result


def flag_no_movement(result: TrackResult, now: datetime, days: int) -> TrackResult:
    """Turn a live shipment with no event for `days` days into an exception on the carrier
    (an exception that already names its reason, such as damage, keeps it)."""
    named = result.status == st.EXCEPTION and result.reason_code
    if result.found and result.status not in st.TERMINAL and not named:
        if st.stalled_since(result.events, now, days):
            result.status = st.merge_status(result.status, st.EXCEPTION)
            result.reason_code, result.on_whom = "no_movement", "carrier"
    return result


def mark_rates(quotes: list[RateQuote]) -> list[RateQuote]:
    """Mark the cheapest (per currency, as costs in two currencies do not compare) and the
    fastest quotes; ties are all marked. Returns the quotes sorted by cost."""
    for quote in quotes:
        quote.cheapest = quote.fastest = False
    by_currency: dict[str, list[RateQuote]] = {}
    for quote in quotes:
        by_currency.setdefault(quote.cost.currency, []).append(quote)
    for group in by_currency.values():
        low = min(q.cost.amount for q in group)
        for quote in group:
            quote.cheapest = quote.cost.amount == low
    timed = [q.transit_days for q in quotes if q.transit_days is not None]
    for quote in quotes:
        quote.fastest = bool(timed) and quote.transit_days == min(timed)
    return sorted(quotes, key=lambda q: (q.cost.currency, q.cost.amount, q.transit_days or 99))


# ---- lenient readers of what carriers really send --------------------------------------------


def as_list(value: Any) -> list[Any]:
    """A list whatever came: None -> [], one object -> [object] (UPS sends both)."""
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list) else [value]


def dig(data: Any, *path: str | int, default: Any = None) -> Any:
    """data[path...] through dicts and lists (a list met where a dict was due: its first)."""
    node = data
    for key in path:
        if isinstance(node, list) and isinstance(key, str):
            node = node[0] if node else None
        if isinstance(node, dict):
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int):
            node = node[key] if -len(node) <= key < len(node) else None
        else:
            return default
        if node is None:
            return default
    return node


def text(value: Any) -> str:
    """A code or id as a string: DHL sends ids as numbers, others strings; None is ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value).strip()) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        return None


def timestamp(value: Any) -> datetime | None:
    """An ISO timestamp or date; without an offset it is taken as UTC (DHL event times)."""
    raw = text(value)
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def join_place(*parts: Any) -> str:
    return ", ".join(text(p) for p in parts if text(p))
