"""The 3PL's wire protocol: JSON over HTTPS with an X-API-Key header (README.md).

Uses the carriers' HttpClient (sessions from core.http, the shared retry policy and breaker,
429/5xx as TransientError, 401/403 as ConfigError); 4xx replies come back as a Reply so the
connector can mark exactly the record that was refused.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from connectors.carriers.client import ApiKeyAuth, HttpClient, Reply

SYSTEM = "threepl"


class ThreePLClient:
    def __init__(self, base_url: str, api_key: str | None, *, timeout: float = 30.0) -> None:
        auth = ApiKeyAuth("X-API-Key", api_key, setting="connections.threepl.api_key")
        self.http = HttpClient(SYSTEM, base_url, auth, timeout=timeout)

    def submit_order(self, body: dict[str, Any]) -> Reply:
        # The client reference doubles as the idempotency key: a resend returns the existing order.
        headers = {"Idempotency-Key": body["client_reference"]}
        return self.http.call("POST", "/v1/orders", json=body, headers=headers)

    def get_order(self, client_reference: str) -> Reply:
        return self.http.call("GET", f"/v1/orders/{quote(client_reference, safe='')}")

    def cancel_order(self, client_reference: str) -> Reply:
        return self.http.call("POST", f"/v1/orders/{quote(client_reference, safe='')}/cancel")

    def shipments(self, cursor: str | None, limit: int) -> Reply:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        return self.http.call("GET", "/v1/shipments", params=params)

    def inventory(self, warehouse: str | None, sku: str | None, page: int, size: int) -> Reply:
        params: dict[str, Any] = {"page": page, "page_size": size}
        if warehouse:
            params["warehouse"] = warehouse
        if sku:
            params["sku"] = sku
        return self.http.call("GET", "/v1/inventory", params=params)
