"""DHL Shipment Tracking - Unified, its requests and replies, pure (no I/O); no rating.

Parsers accept what DHL really sends: ids as numbers, `references` as one object, event times
without an offset (taken as UTC), and the reply wrapped in `trackingResponse` as karrio
records it. DHL's own statusCode `unknown` is refined from the status words and stays unknown
only when they say nothing either.
"""

from __future__ import annotations

import re
from typing import Any

from connectors.carriers import status as st
from connectors.carriers.base import (
    TrackResult,
    as_list,
    dig,
    finish,
    join_place,
    not_found,
    text,
    timestamp,
)
from connectors.carriers.client import Reply
from core.errors import ConfigError
from core.records import ProofOfDelivery, TrackingEvent

SYSTEM = "dhl"
TRACK_PATH = "/track/shipments"
# A number DHL never issued. The Unified API has no call but tracking, so check() asks for
# it: a valid key gets 200 or the spec's shipmentNotFound problem ("No result found"); a
# refused key gets 401; any other 404 (a wrong base URL, say) is a failed check.
PROBE_NUMBER = "0000000000"
NOT_FOUND_TITLE = "No result found"

CODE_STATUS = {
    "pre-transit": st.PRE_TRANSIT,
    "transit": st.IN_TRANSIT,
    "delivered": st.DELIVERED,
    "failure": st.EXCEPTION,
    "unknown": st.UNKNOWN,
}
# Words that say more than the code (DHL puts the detail in `status` and `description`).
_WORDS = (
    (st.RETURNED_TO_SENDER, re.compile(r"return(ed)? to (sender|shipper)", re.I)),
    (st.CANCELLED, re.compile(r"cancel", re.I)),
    (
        st.AVAILABLE_FOR_PICKUP,
        re.compile(r"(available|ready) for pick ?up|packstation|service point|parcel ?shop", re.I),
    ),
    (st.OUT_FOR_DELIVERY, re.compile(r"out for delivery|with (the )?delivery courier", re.I)),
    (st.DELIVERED, re.compile(r"\bdelivered\b", re.I)),
    (st.EXCEPTION, re.compile(r"damage|exception|failed|unsuccessful", re.I)),
    (st.IN_TRANSIT, re.compile(r"transit|processed|departed|arrived|sort|hub", re.I)),
)
_REFINABLE = {
    st.IN_TRANSIT: {st.OUT_FOR_DELIVERY, st.AVAILABLE_FOR_PICKUP, st.RETURNED_TO_SENDER},
    st.EXCEPTION: {st.RETURNED_TO_SENDER, st.CANCELLED},
    st.UNKNOWN: {s for s, _ in _WORDS},
}


def map_status(code: Any, *words: str) -> str:
    status = CODE_STATUS.get(text(code).lower(), st.UNKNOWN)
    said = " ".join(w for w in words if w)
    for candidate, pattern in _WORDS:
        if candidate in _REFINABLE.get(status, ()) and pattern.search(said):
            return candidate
    return status


def build_track(number: str) -> dict[str, str]:
    return {"trackingNumber": number}


def _place(place: Any) -> str:
    address = dig(place, "address", default={})
    return join_place(address.get("addressLocality"), address.get("countryCode"))


def _event(event: dict[str, Any]) -> TrackingEvent | None:
    when = timestamp(event.get("timestamp"))
    if when is None:
        return None
    said, described = text(event.get("status")), text(event.get("description"))
    status = map_status(event.get("statusCode"), said, described)
    reason, on_whom = st.event_reason(status, said, described, text(event.get("remark")))
    line = " - ".join(dict.fromkeys(t for t in (said, described) if t))
    return TrackingEvent(when, status, line, _place(event.get("location")), reason, on_whom)


def _pod(shipment: dict[str, Any], track: TrackResult) -> ProofOfDelivery | None:
    proof = dig(shipment, "details", "proofOfDelivery", default={})
    if track.status != st.DELIVERED or not isinstance(proof, dict) or not proof:
        return None
    delivered = [e for e in track.events if e.status == st.DELIVERED]
    when = timestamp(proof.get("timestamp")) or (delivered[-1].occurred_at if delivered else None)
    if when is None:
        return None
    signed = proof.get("signed") or {}
    name = text(signed.get("name")) or join_place(signed.get("givenName"), signed.get("familyName"))
    where = delivered[-1].location if delivered else _place(shipment.get("destination"))
    return ProofOfDelivery(when, name.replace(", ", " "), where)


def parse_shipment(number: str, shipment: dict[str, Any]) -> TrackResult:
    events = [e for e in (_event(x) for x in as_list(shipment.get("events"))) if e]
    track = TrackResult(number, SYSTEM, events=events)
    current = shipment.get("status") or {}
    latest = map_status(current.get("statusCode"), text(current.get("status")))
    track.carrier_status = text(current.get("statusCode"))
    track.service = text(shipment.get("service"))
    track.estimated_delivery = timestamp(shipment.get("estimatedTimeOfDelivery"))
    if not events and current.get("timestamp"):
        event = _event(current)
        track.events = [event] if event else []
    finish(track, latest)
    track.pod = _pod(shipment, track)
    return track


def parse_track(number: str, reply: Reply) -> TrackResult:
    body = reply.body if isinstance(reply.body, dict) else {}
    body = body.get("trackingResponse") or body
    shipments = [s for s in as_list(body.get("shipments")) if isinstance(s, dict)]
    if reply.status >= 400 or not shipments:
        problem = reply.body if isinstance(reply.body, dict) else {}
        problem = problem.get("error") or problem
        message = text(problem.get("detail")) or text(problem.get("title"))
        return not_found(number, SYSTEM, message or f"DHL does not know {number}")
    chosen = next((s for s in shipments if text(s.get("id")) == number), shipments[0])
    return parse_shipment(number, chosen)


def probe_verdict(reply: Reply) -> str:
    """What the check call proved, said precisely; a reply that proves nothing fails."""
    problem = reply.body if isinstance(reply.body, dict) else {}
    if reply.status == 200:
        return f"API key accepted: tracking answered for test number {PROBE_NUMBER} (HTTP 200)"
    if reply.status == 404 and text(problem.get("title")) == NOT_FOUND_TITLE:
        return (
            f"API key accepted: tracking answered that test number {PROBE_NUMBER} is unknown "
            "(DHL's 'No result found', given only once the key is accepted)"
        )
    said = text(problem.get("title")) or text(problem.get("detail")) or "no tracking reply"
    raise ConfigError(
        f"the tracking call answered HTTP {reply.status} ({said}), not a tracking reply",
        system=SYSTEM,
        key="connections.dhl.url",
        hint="connections.dhl.url must be the Unified Tracking API's base "
        "(e.g. https://api-eu.dhl.com), without /track/shipments",
    )
