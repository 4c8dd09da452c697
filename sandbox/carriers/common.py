"""What the carrier and 3PL simulators share: reading a request, replying JSON, OAuth tokens,
the protocol fault `expired_token`, and deterministic prices for rating.

Protocol fault (switched on with `state.set_fault(system, "expired_token", times=N)`): the
next N API calls carrying a token are refused with 401 as if the token had expired, and the
token is forgotten, so the client must fetch a new one.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from sandbox.state import SandboxState

TOKEN_SECONDS = 3600


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
