"""What the carrier and 3PL simulators share: reading a request, replying JSON, OAuth tokens,
the protocol fault `expired_token`, deterministic prices for rating, and the one lookup of a
tracking number (`find_parcels`): a shipment of the world, or a parcel the 3PL simulator
shipped, whose story is told from the sandbox clock.

Protocol fault (switched on with `state.set_fault(system, "expired_token", times=N)`): the
next N API calls carrying a token are refused with 401 as if the token had expired, and the
token is forgotten, so the client must fetch a new one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs

from sandbox.state import SandboxState
from sandbox.world import SERVICES as WORLD_SERVICES
from sandbox.world import SIGNERS, TrackingEvent

TOKEN_SECONDS = 3600
# Sandbox seconds that stand for one day in transit for a parcel the 3PL shipped (meta
# `transit_day_seconds` of each carrier, set on reset): a 5-day Ground parcel is delivered
# five minutes after it shipped, so `make run` shows new orders delivered within a few cycles.
TRANSIT_DAY_SECONDS = 60
DEFAULT_TRANSIT_DAYS = 3
THREEPL = "threepl"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    form: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def basic_auth(self) -> tuple[str, str] | None:
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return None
        return user, password

    def bearer(self) -> str:
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        return value.strip() if scheme.lower() == "bearer" else ""


def read_request(environ: dict[str, Any]) -> Request:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k[:5] == "HTTP_"}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    form = {}
    if "x-www-form-urlencoded" in headers.get("content-type", ""):
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8")).items()}
    return Request(
        environ["REQUEST_METHOD"], environ.get("PATH_INFO") or "/", query, headers, body, form
    )


def reply(
    start_response: Callable[..., Any],
    status: int,
    body: Any,
    *,
    content_type: str = "application/json",
    headers: Iterable[tuple[str, str]] = (),
) -> list[bytes]:
    from http import HTTPStatus

    data = json.dumps(body).encode()
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", content_type), ("Content-Length", str(len(data))), *headers],
    )
    return [data]


def health(state: SandboxState, system: str, req: Request, start_response) -> list[bytes] | None:
    """GET / answers {"system", "status": "ok"} as every sandbox system does (not a carrier
    API: the frame's own probe)."""
    if req.method == "GET" and req.path == "/":
        state.count_call(system, "GET /")
        return reply(start_response, 200, {"system": system, "status": "ok"})
    return None


def next_id(state: SandboxState, system: str, kind: str) -> str:
    """A fresh id that depends only on the seed and how many came before (no clock, no uuid4)."""
    with state.transaction():
        n = int(state.meta_get(system, f"seq:{kind}", 0)) + 1
        state.meta_set(system, f"seq:{kind}", n)
    return hashlib.sha256(f"{state.seed}:{system}:{kind}:{n}".encode()).hexdigest()


def transaction_id(state: SandboxState, system: str) -> str:
    raw = next_id(state, system, "transaction")
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:32]}"


class Tokens:
    """OAuth tokens a simulator issued, kept in the sandbox state's meta."""

    def __init__(self, state: SandboxState, system: str) -> None:
        self.state, self.system = state, system

    def issue(self) -> tuple[str, int]:
        token = next_id(self.state, self.system, "token")
        expires = self.state.clock() + timedelta(seconds=TOKEN_SECONDS)
        self.state.meta_set(self.system, f"token:{token}", expires.isoformat())
        return token, TOKEN_SECONDS

    def valid(self, token: str) -> bool:
        """False for an unknown or expired token, or when the expired_token fault fires."""
        if not token:
            return False
        expires = self.state.meta_get(self.system, f"token:{token}")
        if expires is None or datetime.fromisoformat(expires) <= self.state.clock():
            return False
        for fault in self.state.get_faults(self.system):
            if fault["kind"] == "expired_token" and self.state.consume_fault(fault["id"]):
                self.state.count_call(self.system, "fault:expired_token")
                self.state.meta_set(self.system, f"token:{token}", "1970-01-01T00:00:00+00:00")
                return False
        return True


def now_utc(state: SandboxState) -> datetime:
    return state.clock().astimezone(timezone.utc)


# ---- rating: a price list that depends only on weight, distance and service ----------------


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    days: int
    base: Decimal
    per_kg: Decimal
    international: bool = False


def price(service: Service, weight_kg: Decimal, domestic: bool) -> Decimal:
    distance = Decimal("1.00") if domestic else Decimal("1.85")
    amount = (service.base + service.per_kg * max(weight_kg, Decimal("0.5"))) * distance
    return amount.quantize(Decimal("0.01"))


def services_for(services: Iterable[Service], domestic: bool) -> list[Service]:
    return [s for s in services if s.international != domestic]


# ---- tracking: the world's shipments and the parcels the 3PL simulator shipped --------------


@dataclass(frozen=True)
class Parcel:
    """What a carrier knows of one tracking number; events oldest first, the label first."""

    tracking_number: str
    carrier: str
    service: str
    order_number: str
    ship_date: date
    promised_at: datetime
    packages: int
    weight_kg: Decimal
    origin: tuple[str, str]  # (city, country)
    destination: tuple[str, str]
    events: tuple[TrackingEvent, ...]
    delivered_at: datetime | None = None
    signed_by: str | None = None
    pod_available: bool = False


def find_parcel(
    state: SandboxState, system: str, number: str, services: Iterable[Service] = ()
) -> Parcel | None:
    return find_parcels(state, system, [number], services).get(number)


def find_parcels(
    state: SandboxState, system: str, numbers: Iterable[str], services: Iterable[Service] = ()
) -> dict[str, Parcel]:
    """The parcels this carrier knows among `numbers`: the world's shipments first, then the
    cartons the 3PL simulator shipped with this carrier."""
    world, found, missing = state.world, {}, set()
    for number in {n for n in numbers if n}:
        shipment = world.shipment_by_tracking(number)
        if shipment is None:
            missing.add(number)
        elif shipment.carrier == system:
            found[number] = _world_parcel(world, shipment)
    if missing:
        found |= _shipped_parcels(state, system, missing, tuple(services))
    return found


def _world_parcel(world: Any, shipment: Any) -> Parcel:
    first = shipment.events[0]
    label = TrackingEvent(first.at.replace(hour=8), "LABEL", "", first.city, first.country)
    origin = next(w for w in world.warehouses if w.code == shipment.warehouse)
    destination = world.ship_to(shipment.ship_to_code)
    return Parcel(
        tracking_number=shipment.tracking_number,
        carrier=shipment.carrier,
        service=shipment.service,
        order_number=shipment.order_number,
        ship_date=shipment.ship_date,
        promised_at=datetime.combine(shipment.promised_date, time(18), tzinfo=timezone.utc),
        packages=shipment.packages,
        weight_kg=shipment.weight_kg,
        origin=(origin.city, origin.country),
        destination=(destination.city, destination.country),
        events=(label, *shipment.events),
        delivered_at=shipment.delivered_at,
        signed_by=shipment.signed_by,
        pod_available=shipment.pod_available,
    )


def _shipped_parcels(
    state: SandboxState, system: str, numbers: set[str], services: tuple[Service, ...]
) -> dict[str, Parcel]:
    found = {}
    for confirmation in state.find_records(THREEPL, "shipment"):
        carrier = confirmation.get("carrier") or {}
        if not isinstance(carrier, dict) or carrier.get("code") != system:
            continue
        for carton in confirmation.get("cartons") or []:
            number = carton.get("tracking_number") if isinstance(carton, dict) else None
            if number in numbers and number not in found:
                parcel = _story(state, system, confirmation, carrier, carton, services)
                if parcel is not None:
                    found[number] = parcel
    return found


# A parcel's story as (share of its transit time, event code, words, at origin?); each event
# also comes a second after the one before, so the order holds when transit time is zero.
STORY = (
    (0.0, "LABEL", "Shipment information received", True),
    (0.1, "PU", "Picked up", True),
    (0.3, "IT", "Departed facility", True),
    (0.6, "IT", "Arrived at facility", False),
    (0.85, "OD", "Out for delivery", False),
    (1.0, "DL", "Delivered", False),
)


def transit_days(system: str, service: str, services: Iterable[Service] = ()) -> int:
    """Days in transit of a carrier's service: its rating table, else the world's services."""
    days = {s.code: s.days for s in services}
    days |= {code: n for code, n in WORLD_SERVICES.get(system, ()) if code not in days}
    return days.get(service, DEFAULT_TRANSIT_DAYS)


def transit_day_seconds(state: SandboxState, system: str) -> float:
    value = state.meta_get(system, "transit_day_seconds", TRANSIT_DAY_SECONDS)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return float(TRANSIT_DAY_SECONDS)
    # A real day at most: past that a story would only overflow the calendar.
    return min(seconds, 86400.0) if seconds >= 0 else float(TRANSIT_DAY_SECONDS)


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def _place(value: Any) -> tuple[str, str]:
    value = value if isinstance(value, dict) else {}
    return str(value.get("city") or ""), str(value.get("country") or "")


def _story(
    state: SandboxState,
    system: str,
    confirmation: dict[str, Any],
    carrier: dict[str, Any],
    carton: dict[str, Any],
    services: tuple[Service, ...],
) -> Parcel | None:
    """The carton's story so far: shipped when the 3PL confirmed it, delivered (with proof)
    after its service's transit time; only what has happened by the sandbox clock is told."""
    shipped = _moment(confirmation.get("created_at"))
    if shipped is None:
        return None
    number, service = str(carton["tracking_number"]), str(carrier.get("service") or "")
    order = state.get_record(THREEPL, "order", str(confirmation.get("client_reference"))) or {}
    warehouse = next(
        (w for w in state.world.warehouses if w.code == confirmation.get("warehouse")), None
    )
    origin = (warehouse.city, warehouse.country) if warehouse else ("", "")
    destination = _place(order.get("ship_to"))
    span = timedelta(
        seconds=transit_days(system, service, services) * transit_day_seconds(state, system)
    )
    timeline = [
        TrackingEvent(
            shipped + span * share + timedelta(seconds=n),
            code,
            words,
            *(origin if at else destination),
        )
        for n, (share, code, words, at) in enumerate(STORY)
    ]
    now = state.clock()
    told = tuple(e for e in timeline if e.at <= now) or tuple(timeline[:1])
    delivered = timeline[-1] if told[-1] is timeline[-1] else None
    try:
        weight = Decimal(str(carton.get("weight_kg", 1)))
    except InvalidOperation:
        weight = Decimal("1")
    if not weight.is_finite() or weight <= 0:
        weight = Decimal("1")
    signer = random.Random(f"{state.seed}:{system}:{number}").choice(SIGNERS)
    return Parcel(
        tracking_number=number,
        carrier=system,
        service=service,
        order_number=str(order.get("order_number") or confirmation.get("client_reference") or ""),
        ship_date=shipped.date(),
        promised_at=timeline[-1].at,
        packages=1,
        weight_kg=weight,
        origin=origin,
        destination=destination,
        events=told,
        delivered_at=delivered.at if delivered else None,
        signed_by=signer if delivered else None,
        pod_available=delivered is not None,
    )


def on_reset_for(system: str) -> Callable[[SandboxState], None]:
    """A carrier's reset: how fast the parcels the 3PL ships travel (meta, see above)."""

    def on_reset(state: SandboxState) -> None:
        state.meta_set(system, "transit_day_seconds", TRANSIT_DAY_SECONDS)

    return on_reset
