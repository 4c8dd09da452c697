"""Carriers behind one contract (track, rate, check), and what the `track` verb needs.

One module per carrier (ups, fedex, dhl), each with a `from_settings(settings)` factory in the
connector registry. Here: `guess_carrier(number)` from the number's format,
`format_tracking(result)` for a terminal and `TrackResult.to_dict()` for `--json`, and
`rate_across(carriers, request)` for quotes from every carrier with cheapest and fastest marked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from connectors.carriers.base import RateQuote, RateRequest, TrackResult, mark_rates
from core.errors import OrderbridgeError

log = logging.getLogger(__name__)

CARRIERS = ("ups", "fedex", "dhl")

# Checked in order; the first match names the carrier.
_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (carrier, re.compile(pattern))
    for carrier, pattern in (
        ("ups", r"1Z[0-9A-Z]{16}"),  # UPS 1Z + shipper number + service + package
        ("dhl", r"\d{10}"),  # DHL Express waybill
        ("dhl", r"00340\d{15}"),  # DHL Parcel (SSCC with DHL's company prefix)
        ("dhl", r"J{1,2}D\d{16,20}"),  # DHL piece ids
        ("dhl", r"(GM|LX|RX)\d{16,20}"),  # DHL eCommerce
        ("dhl", r"[A-Z]{2}\d{9}DE"),  # UPU S10 posted by Deutsche Post DHL
        ("fedex", r"\d{12}|\d{15}|\d{20}|96\d{20}|\d{34}"),  # Express, Ground, SmartPost
    )
)


def guess_carrier(number: str) -> str | None:
    """The carrier whose tracking numbers look like this one; None when none does."""
    compact = re.sub(r"[\s-]", "", number or "").upper()
    return next((c for c, pattern in _FORMATS if pattern.fullmatch(compact)), None)


def format_tracking(result: TrackResult) -> str:
    """The tracking answer for a terminal: status line, proof of delivery, then events."""
    head = f"{result.number} ({result.carrier})"
    if not result.found:
        return f"{head}: not found - {result.message}"
    lines = [f"{head}: {result.status.replace('_', ' ')}"]
    if result.reason_code:
        lines[0] += f" - {result.reason_code.replace('_', ' ')} (on {result.on_whom})"
    if result.service:
        lines.append(f"  service: {result.service}")
    if result.estimated_delivery:
        lines.append(f"  estimated delivery: {result.estimated_delivery.isoformat()}")
    if result.pod:
        signed = f" signed by {result.pod.signed_by}" if result.pod.signed_by else " no signature"
        where = f" at {result.pod.location}" if result.pod.location else ""
        lines.append(f"  delivered {result.pod.delivered_at.isoformat()}{signed}{where}")
    lines.append("  events:")
    for event in reversed(result.events):
        place = f" [{event.location}]" if event.location else ""
        lines.append(
            f"    {event.occurred_at.isoformat()}  {event.status:<20} {event.description}{place}"
        )
    if not result.events:
        lines.append("    (none)")
    return "\n".join(lines)


def rate_across(carriers: Iterable[Any], request: RateRequest) -> tuple[list[RateQuote], list[str]]:
    """Quotes from every carrier, cheapest and fastest marked; a carrier that fails is named
    in the messages beside the quotes of the others."""
    quotes: list[RateQuote] = []
    problems: list[str] = []
    for carrier in carriers:
        try:
            quotes.extend(carrier.rate(request))
        except OrderbridgeError as exc:
            log.warning("rating at %s failed: %s", carrier.system, exc.one_line())
            problems.append(f"{carrier.system}: {exc.one_line()}")
    return mark_rates(quotes), problems


__all__ = [
    "CARRIERS",
    "RateQuote",
    "RateRequest",
    "TrackResult",
    "format_tracking",
    "guess_carrier",
    "rate_across",
]
