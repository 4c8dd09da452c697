"""DHL Shipment Tracking - Unified: one number a call with the DHL-API-Key header, over the
shared HttpClient; the pure request builder and reply parsers are in dhl_records."""

from __future__ import annotations

from typing import Any

from connectors.carriers.base import (
    RateQuote,
    RateRequest,
    TrackResult,
)
from connectors.carriers.client import ApiKeyAuth, HttpClient
from connectors.carriers.connector import CarrierConnector
from connectors.carriers.dhl_records import (
    PROBE_NUMBER,
    SYSTEM,
    TRACK_PATH,
    build_track,
    parse_track,
    probe_verdict,
)


class DhlCarrier(CarrierConnector):
    system = SYSTEM
    batch_size = 1  # one trackingNumber a call

    def _track_batch(self, numbers: list[str]) -> list[TrackResult]:
        reply = self.client.call("GET", TRACK_PATH, params=build_track(numbers[0]))
        return [parse_track(numbers[0], reply)]

    def _rate(self, request: RateRequest) -> list[RateQuote]:
        return []  # the Unified API tracks only; DHL rating is another product

    def _probe(self) -> str:
        reply = self.client.call("GET", TRACK_PATH, params=build_track(PROBE_NUMBER))
        return probe_verdict(reply)


def from_settings(settings: Any) -> DhlCarrier:
    conn = settings.connections.dhl
    auth = ApiKeyAuth("DHL-API-Key", conn.get("api_key"), setting="connections.dhl.api_key")
    client = HttpClient(SYSTEM, conn.url, auth, timeout=float(conn.get("timeout_seconds", 30)))
    return DhlCarrier(client, no_movement_days=int(conn.get("no_movement_days", 0) or 0))
