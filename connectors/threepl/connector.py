"""The 3PL connector: submit fulfilment orders, read shipment confirmations since a cursor,
read inventory by warehouse and SKU, cancel an unshipped order.

Every write is idempotent by our client reference. A refused order marks only itself (a
WriteResult per record); a transient failure is retried by the shared policy and then raised.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from connectors.base import CheckResult, WriteResult
from connectors.threepl.client import SYSTEM, ThreePLClient
from connectors.threepl.records import (
    FulfilmentRequest,
    build_order,
    parse_inventory,
    parse_shipment,
)
from core.errors import ConfigError, RecordRejectedError, TransientError
from core.records import Availability, Shipment

_ERROR_CLASS = {404: "missing", 409: "duplicate", 422: "value", 400: "value"}


def _error(reply: Any) -> tuple[str, str]:
    error = (reply.body or {}).get("error") if isinstance(reply.body, dict) else None
    error = error or {}
    return str(error.get("code") or f"http_{reply.status}"), str(error.get("message") or "")


class ThreePLConnector:
    system = SYSTEM

    def __init__(self, client: ThreePLClient, *, page_size: int = 100) -> None:
        self.client = client
        self.page_size = page_size

    @property
    def api_calls(self) -> int:
        return self.client.http.api_calls

    def submit_order(self, request: FulfilmentRequest) -> WriteResult:
        reference = request.client_reference
        reply = self.client.submit_order(build_order(request))
        if reply.status in (200, 201):
            order = reply.body["order"]
            warnings = [] if reply.status == 201 else ["already received: the existing order"]
            return WriteResult(reference, True, their_id=str(order["id"]), warnings=warnings)
        code, message = _error(reply)
        return WriteResult(
            reference,
            False,
            code=code,
            message=message,
            error_class=_ERROR_CLASS.get(reply.status, "value"),
        )

    def submit_orders(self, requests: Sequence[FulfilmentRequest]) -> list[WriteResult]:
        return [self.submit_order(r) for r in requests]

    def cancel_order(self, client_reference: str) -> WriteResult:
        reply = self.client.cancel_order(client_reference)
        if reply.status == 200:
            return WriteResult(client_reference, True, their_id=str(reply.body["order"]["id"]))
        code, message = _error(reply)
        return WriteResult(
            client_reference,
            False,
            code=code,
            message=message,
            # 404: no such order; 409: it has shipped, which no retry changes
            error_class="missing" if reply.status == 404 else "value",
        )

    def order_status(self, client_reference: str) -> str | None:
        order = self.get_order(client_reference)
        return order["status"] if order else None

    def get_order(self, client_reference: str) -> dict[str, Any] | None:
        """The fulfilment order as the 3PL holds it (lines, warehouse, status), or None."""
        reply = self.client.get_order(client_reference)
        if reply.status == 404:
            return None
        if reply.status != 200:
            code, message = _error(reply)
            raise RecordRejectedError(
                message or code, system=SYSTEM, key=client_reference, code=code
            )
        return dict(reply.body["order"])

    def read_shipments(self, cursor: str | None = None) -> tuple[list[Shipment], str | None]:
        """Shipment confirmations after `cursor` (None: from the start), and the cursor to keep
        for next time; pages until the 3PL says there is no more."""
        shipments: list[Shipment] = []
        while True:
            reply = self.client.shipments(cursor, self.page_size)
            if reply.status != 200:
                code, message = _error(reply)
                raise RecordRejectedError(message or code, system=SYSTEM, key="cursor", code=code)
            shipments += [parse_shipment(s) for s in reply.body.get("shipments") or []]
            cursor = reply.body.get("next_cursor") or cursor
            if not reply.body.get("has_more"):
                return shipments, cursor

    def inventory(self, warehouse: str | None = None, sku: str | None = None) -> list[Availability]:
        rows: list[Availability] = []
        page = 1
        while True:
            reply = self.client.inventory(warehouse, sku, page, self.page_size)
            if reply.status != 200:
                code, message = _error(reply)
                raise RecordRejectedError(
                    message or code, system=SYSTEM, key="inventory", code=code
                )
            rows += [parse_inventory(item) for item in reply.body.get("items") or []]
            if page * self.page_size >= int(reply.body.get("total") or 0):
                return rows
            page += 1

    # -- the generic connector contract ---------------------------------------------------------

    def upsert(self, entity: str, records: Sequence[Any]) -> list[WriteResult]:
        if entity != "order":
            raise ConfigError(f"the 3PL takes orders, not {entity}", system=SYSTEM, key=entity)
        return self.submit_orders(records)

    def read_changed(self, entity: str, since: datetime, until: datetime) -> Iterator[Any]:
        if entity == "inventory":
            yield from self.inventory()
            return
        if entity != "shipment":
            raise ConfigError(f"the 3PL has no {entity} to read", system=SYSTEM, key=entity)
        shipments, _ = self.read_shipments(None)
        yield from (s for s in shipments if s.modified_at is None or since <= s.modified_at < until)

    def check(self) -> CheckResult:
        started = time.monotonic()
        try:
            reply = self.client.inventory(None, None, 1, 1)
            ok = reply.status == 200
            message, hint = ("ok" if ok else f"HTTP {reply.status}"), ""
        except (ConfigError, TransientError) as exc:
            ok, message, hint = False, exc.message, exc.hint or ""
        return CheckResult(SYSTEM, ok, int((time.monotonic() - started) * 1000), message, hint)


def from_settings(settings: Any) -> ThreePLConnector:
    conn = settings.connections.threepl
    client = ThreePLClient(
        conn.url, conn.get("api_key"), timeout=float(conn.get("timeout_seconds", 30))
    )
    return ThreePLConnector(client, page_size=int(conn.get("page_size", 100)))
