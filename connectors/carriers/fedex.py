"""FedEx: OAuth (client credentials in the form body), Track by tracking numbers (30 a call),
Rate Quotes, called over the shared HttpClient; the pure request builders and reply parsers
are in fedex_records."""

from __future__ import annotations

from typing import Any

from connectors.carriers.base import (
    RateQuote,
    RateRequest,
    TrackResult,
    as_list,
    dig,
    text,
)
from connectors.carriers.client import HttpClient, OAuthClientCredentials
from connectors.carriers.connector import CarrierConnector
from connectors.carriers.fedex_records import (
    MAX_TRACKING_NUMBERS,
    RATE_PATH,
    SYSTEM,
    TOKEN_PATH,
    TRACK_PATH,
    build_rate,
    build_track,
    parse_rate,
    parse_track,
)
from core.errors import RecordRejectedError


class FedexCarrier(CarrierConnector):
    system = SYSTEM

    def __init__(
        self, client: HttpClient, *, account_number: str = "", batch_size: int = 30, **kwargs: Any
    ) -> None:
        super().__init__(client, **kwargs)
        self.account_number = account_number
        self.batch_size = max(1, min(batch_size, MAX_TRACKING_NUMBERS))

    def _track_batch(self, numbers: list[str]) -> list[TrackResult]:
        reply = self.client.call("POST", TRACK_PATH, json=build_track(numbers))
        return parse_track(numbers, reply)

    def _rate(self, request: RateRequest) -> list[RateQuote]:
        reply = self.client.call("POST", RATE_PATH, json=build_rate(request, self.account_number))
        if reply.status >= 400:
            errors = as_list(dig(reply.body, "errors"))
            message = text((errors or [{}])[0].get("message")) or f"HTTP {reply.status}"
            raise RecordRejectedError(message, system=SYSTEM, key=request.reference or "rate")
        return parse_rate(reply.body)

    def _probe(self) -> str:
        self.client.auth.invalidate()
        self.client.auth.headers(self.client)
        return "token issued"


def from_settings(settings: Any) -> FedexCarrier:
    conn = settings.connections.fedex
    auth = OAuthClientCredentials(
        TOKEN_PATH,
        conn.get("client_id"),
        conn.get("client_secret"),
        basic=False,
        setting="connections.fedex",
    )
    client = HttpClient(SYSTEM, conn.url, auth, timeout=float(conn.get("timeout_seconds", 30)))
    return FedexCarrier(
        client,
        account_number=text(conn.get("account_number")),
        batch_size=int(conn.get("batch_size", MAX_TRACKING_NUMBERS)),
        no_movement_days=int(conn.get("no_movement_days", 0) or 0),
    )
