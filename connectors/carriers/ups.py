"""UPS: OAuth client credentials (HTTP Basic), Track API (one number a call) and Rating (Shop),
called over the shared HttpClient; the pure request builders and reply parsers are in
ups_records."""

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
from connectors.carriers.ups_records import (
    RATE_PATH,
    SYSTEM,
    TOKEN_PATH,
    build_rate,
    build_track,
    parse_rate,
    parse_track,
)
from core.errors import RecordRejectedError


class UpsCarrier(CarrierConnector):
    system = SYSTEM
    batch_size = 1  # the Track API takes one inquiry number a call

    def __init__(self, client: HttpClient, *, account_number: str = "", **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self.account_number = account_number

    def _headers(self) -> dict[str, str]:
        return {"transId": f"ob{self.client.api_calls + 1:08d}", "transactionSrc": "orderbridge"}

    def _track_batch(self, numbers: list[str]) -> list[TrackResult]:
        path, params = build_track(numbers[0])
        return [
            parse_track(
                numbers[0], self.client.call("GET", path, params=params, headers=self._headers())
            )
        ]

    def _rate(self, request: RateRequest) -> list[RateQuote]:
        reply = self.client.call(
            "POST",
            RATE_PATH,
            json=build_rate(request, self.account_number),
            headers=self._headers(),
        )
        if reply.status >= 400:
            errors = as_list(dig(reply.body, "response", "errors"))
            message = text((errors or [{}])[0].get("message")) or f"HTTP {reply.status}"
            raise RecordRejectedError(message, system=SYSTEM, key=request.reference or "rate")
        return parse_rate(reply.body)

    def _probe(self) -> str:
        self.client.auth.invalidate()
        self.client.auth.headers(self.client)
        return "token issued"


def from_settings(settings: Any) -> UpsCarrier:
    conn = settings.connections.ups
    auth = OAuthClientCredentials(
        TOKEN_PATH,
        conn.get("client_id"),
        conn.get("client_secret"),
        basic=True,
        setting="connections.ups",
        extra_headers={"x-merchant-id": conn["account_number"]}
        if conn.get("account_number")
        else {},
    )
    client = HttpClient(SYSTEM, conn.url, auth, timeout=float(conn.get("timeout_seconds", 30)))
    return UpsCarrier(
        client,
        account_number=text(conn.get("account_number")),
        no_movement_days=int(conn.get("no_movement_days", 0) or 0),
    )
