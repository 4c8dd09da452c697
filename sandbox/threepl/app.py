"""3PL simulator: fulfilment orders idempotent by client reference, shipment confirmations
read with an opaque cursor, inventory by warehouse and SKU, cancel while unshipped.

The world's shipped orders and stock are copied in on reset. Orders submitted later stay
`received` until `ship_pending(state)` ships them (a test or the sandbox CLI moves time on),
which writes their confirmations with cartons and tracking numbers (one per carton, in the
carrier's real format; the carrier simulators track them) and moves the stock. Like a
warehouse that works, the 3PL also ships on its own the orders received at least
`ship_after_seconds` ago (meta, set on reset) whenever confirmations are read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

from sandbox.carriers.check_digits import dhl_check_digit, fedex_check_digit, ups_check_digit
from sandbox.carriers.common import Request, health, read_request, reply
from sandbox.registry import Simulator
from sandbox.state import SandboxState

SYSTEM = "threepl"
HOSTS = ("api.sandbox-3pl.example",)
API_KEYS = frozenset({"sandbox-3pl-key"})
# How long a received order waits before the warehouse ships it by itself; tests that want
# orders to stay received read confirmations sooner or set the meta to None.
SHIP_AFTER_SECONDS = 60
# The warehouse's own UPS shipper number: its parcels' 1Z numbers carry it.
UPS_SHIPPER = "3PLW01"


def _error(start_response, status: int, code: str, message: str, field: str = "") -> list[bytes]:
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    return reply(start_response, status, {"error": error})


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v for k, v in record.items() if k not in ("internal_id", "external_id", "modified_at")
    }


def _stock_key(warehouse: str, sku: str) -> str:
    return f"{warehouse}:{sku}"


def _move_stock(
    state: SandboxState, warehouse: str, sku: str, on_hand: int, allocated: int
) -> None:
    row = state.get_record(SYSTEM, "inventory", _stock_key(warehouse, sku))
    if row is None:
        return
    row = _public(row)
    row["on_hand"] = max(0, row["on_hand"] + on_hand)
    row["allocated"] = max(0, min(row["on_hand"], row["allocated"] + allocated))
    state.put_record(SYSTEM, "inventory", _stock_key(warehouse, sku), row)


def _tracking(carrier: str, service: str, serial: int) -> str:
    """A tracking number in the carrier's real format, check digit included, that no shipment
    of the world carries: UPS under the 3PL's own shipper number, FedEx Express numbers
    starting 6 (the world's start 7), DHL waybills starting 0 (the world's never do)."""
    if carrier == "fedex":
        first = f"6{serial % 10**10:010d}"
        return first + fedex_check_digit(first)
    if carrier == "dhl":
        first = f"0{serial % 10**8:08d}"
        return first + dhl_check_digit(first)
    code = service if len(service) == 2 and service.isalnum() else "03"
    body = f"{UPS_SHIPPER}{code.upper()}{serial % 10**7:07d}"
    return "1Z" + body + ups_check_digit(body)


def _confirmation(
    order: dict[str, Any], seq: int, ship_date: str, created_at: str
) -> dict[str, Any]:
    carrier = order.get("carrier")
    if not isinstance(carrier, dict) or not carrier.get("code"):
        carrier = {"code": "ups", "service": "03"}
    cartons = []
    for n, line in enumerate(order["lines"], start=1):
        cartons.append(
            {
                "carton_id": f"CTN-{seq:06d}-{n}",
                "tracking_number": _tracking(
                    str(carrier.get("code")), str(carrier.get("service") or ""), seq * 100 + n
                ),
                "weight_kg": float(line.get("weight_kg", 1.0)),
                "lines": [
                    {"line_no": line["line_no"], "sku": line["sku"], "quantity": line["quantity"]}
                ],
            }
        )
    return {
        "id": f"SHP-{seq:06d}",
        "order_id": order["id"],
        "client_reference": order["client_reference"],
        "warehouse": order["warehouse"],
        "ship_date": ship_date,
        "carrier": carrier,
        "tracking_numbers": [c["tracking_number"] for c in cartons],
        "cartons": cartons,
        "lines": [
            {
                "line_no": ln["line_no"],
                "sku": ln["sku"],
                "quantity_shipped": ln["quantity"],
                "uom": ln.get("uom", "EA"),
            }
            for ln in order["lines"]
        ],
        "created_at": created_at,
    }


def on_reset(state: SandboxState) -> None:
    """Copy the world's stock and its shipped orders (with their confirmations) in."""
    world = state.world
    state.meta_set(SYSTEM, "ship_after_seconds", SHIP_AFTER_SECONDS)
    with state.transaction():
        for level in world.inventory:
            row = {
                "sku": level.sku,
                "warehouse": level.warehouse,
                "on_hand": level.on_hand,
                "allocated": level.allocated,
            }
            state.put_record(SYSTEM, "inventory", _stock_key(level.warehouse, level.sku), row)
        for n, shipment in enumerate(world.shipments, start=1):
            order = {
                "id": f"ORD-{n:06d}",
                "client_reference": shipment.order_number,
                "order_number": shipment.order_number,
                "warehouse": shipment.warehouse,
                "carrier": {"code": shipment.carrier, "service": shipment.service},
                "lines": [
                    {"line_no": s.line_no, "sku": s.sku, "quantity": s.quantity}
                    for s in shipment.lines
                ],
                "status": "shipped",
            }
            state.put_record(SYSTEM, "order", shipment.order_number, order, internal_id=order["id"])
            confirmation = _confirmation(
                order, n, shipment.ship_date.isoformat(), f"{shipment.ship_date}T18:00:00+00:00"
            )
            confirmation["tracking_numbers"] = [shipment.tracking_number]
            for carton in confirmation["cartons"]:
                carton["tracking_number"] = shipment.tracking_number
            state.put_record(SYSTEM, "shipment", confirmation["id"], confirmation)


def ship_pending(state: SandboxState, received_before: datetime | None = None) -> list[str]:
    """Ship every received order now (or those received before a moment); the new shipment
    ids."""
    shipped = []
    now = state.clock()
    for record in state.find_records(SYSTEM, "order"):
        if record.get("status") != "received":
            continue
        created = record.get("created_at")
        if received_before and created and datetime.fromisoformat(created) > received_before:
            continue
        with state.transaction():  # another worker may be shipping it this very moment
            record = state.get_record(SYSTEM, "order", record["client_reference"])
            if record is None or record.get("status") != "received":
                continue
            order = _public(record)
            seq = state.count_records(SYSTEM, "shipment") + 1
            confirmation = _confirmation(order, seq, now.date().isoformat(), now.isoformat())
            state.put_record(SYSTEM, "shipment", confirmation["id"], confirmation)
            for line in order["lines"]:
                _move_stock(
                    state, order["warehouse"], line["sku"], -line["quantity"], -line["quantity"]
                )
            order["status"] = "shipped"
            state.put_record(SYSTEM, "order", order["client_reference"], order)
        shipped.append(confirmation["id"])
    return shipped


def _invalid(state: SandboxState, body: Any) -> tuple[str, str] | None:
    """(field, message) of the first problem of a submitted order, or None."""
    if not isinstance(body, dict):
        return "", "the body must be a JSON object"
    if not str(body.get("client_reference") or "").strip():
        return "client_reference", "client_reference is required"
    if body.get("warehouse") not in {w.code for w in state.world.warehouses}:
        return "warehouse", f"unknown warehouse {body.get('warehouse')!r}"
    lines = body.get("lines")
    if not isinstance(lines, list) or not lines:
        return "lines", "at least one line is required"
    skus = {i.sku for i in state.world.items}
    for n, line in enumerate(lines):
        if not isinstance(line, dict) or line.get("sku") not in skus:
            return (
                f"lines[{n}].sku",
                f"unknown SKU {line.get('sku') if isinstance(line, dict) else line!r}",
            )
        quantity = line.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            return f"lines[{n}].quantity", "quantity must be a whole number above 0"
    if not isinstance(body.get("ship_to"), dict) or not body["ship_to"].get("country"):
        return "ship_to.country", "ship_to with a country is required"
    return None


def make_app(state: SandboxState):
    def submit(req: Request, start_response):
        state.count_call(SYSTEM, "submit_order")
        body = req.json()
        # One write transaction from the look-up to the stock moves: submissions from two
        # workers at once must never share an id or overwrite each other.
        with state.transaction():
            return _submit(body, start_response)

    def _submit(body: Any, start_response):
        existing = None
        if isinstance(body, dict) and body.get("client_reference"):
            existing = state.get_record(SYSTEM, "order", str(body["client_reference"]))
        if existing is not None:
            return reply(start_response, 200, {"order": _public(existing)})
        problem = _invalid(state, body)
        if problem:
            return _error(start_response, 422, "invalid_order", problem[1], problem[0])
        order_id = f"ORD-{state.count_records(SYSTEM, 'order') + 1:06d}"
        order = {
            "id": order_id,
            "client_reference": body["client_reference"],
            "order_number": body.get("order_number", ""),
            "warehouse": body["warehouse"],
            "ship_to": body["ship_to"],
            "carrier": body.get("carrier"),
            "lines": body["lines"],
            "requested_ship_date": body.get("requested_ship_date"),
            "status": "received",
            "created_at": state.clock().isoformat(),
        }
        state.put_record(SYSTEM, "order", order["client_reference"], order, internal_id=order_id)
        for line in order["lines"]:
            _move_stock(state, order["warehouse"], line["sku"], 0, line["quantity"])
        return reply(start_response, 201, {"order": order})

    def get_order(reference: str, start_response):
        state.count_call(SYSTEM, "get_order")
        record = state.get_record(SYSTEM, "order", reference)
        if record is None:
            return _error(start_response, 404, "not_found", f"no order {reference}")
        return reply(start_response, 200, {"order": _public(record)})

    def cancel(reference: str, start_response):
        state.count_call(SYSTEM, "cancel_order")
        record = state.get_record(SYSTEM, "order", reference)
        if record is None:
            return _error(start_response, 404, "not_found", f"no order {reference}")
        order = _public(record)
        if order["status"] == "shipped":
            return _error(start_response, 409, "order_shipped", f"order {reference} has shipped")
        if order["status"] != "cancelled":
            for line in order["lines"]:
                _move_stock(state, order["warehouse"], line["sku"], 0, -line["quantity"])
            order["status"] = "cancelled"
            state.put_record(SYSTEM, "order", reference, order)
        return reply(start_response, 200, {"order": order})

    def shipments(req: Request, start_response):
        state.count_call(SYSTEM, "shipments")
        wait = state.meta_get(SYSTEM, "ship_after_seconds")
        if wait is not None:
            ship_pending(state, state.clock() - timedelta(seconds=float(wait)))
        cursor = req.query.get("cursor", "")
        try:
            offset = int(cursor[1:], 16) if cursor else 0
            limit = max(1, min(int(req.query.get("limit", 100)), 500))
        except ValueError:
            return _error(
                start_response, 400, "invalid_cursor", "cursor or limit is not valid", "cursor"
            )
        page = state.find_records(SYSTEM, "shipment", limit=limit + 1, offset=offset)
        more, page = len(page) > limit, page[:limit]
        body = {
            "shipments": [_public(s) for s in page],
            "next_cursor": f"c{offset + len(page):x}",
            "has_more": more,
        }
        return reply(start_response, 200, body)

    def inventory(req: Request, start_response):
        state.count_call(SYSTEM, "inventory")
        try:
            page = max(1, int(req.query.get("page", 1)))
            size = max(1, min(int(req.query.get("page_size", 100)), 500))
        except ValueError:
            return _error(start_response, 400, "invalid_page", "page and page_size are numbers")
        rows = [_public(r) for r in state.find_records(SYSTEM, "inventory")]
        rows = [
            r
            for r in rows
            if req.query.get("warehouse", r["warehouse"]) == r["warehouse"]
            and req.query.get("sku", r["sku"]) == r["sku"]
        ]
        chosen = rows[(page - 1) * size : page * size]
        items = [{**r, "available": max(0, r["on_hand"] - r["allocated"])} for r in chosen]
        body = {"items": items, "page": page, "page_size": size, "total": len(rows)}
        return reply(start_response, 200, body)

    def app(environ, start_response):
        req = read_request(environ)
        probe = health(state, SYSTEM, req, start_response)
        if probe is not None:
            return probe
        if req.headers.get("x-api-key") not in API_KEYS:
            state.count_call(SYSTEM, "unauthorized")
            return _error(start_response, 401, "unauthorized", "a valid X-API-Key is required")
        parts = [unquote(p) for p in req.path.strip("/").split("/")]
        if req.method == "POST" and parts == ["v1", "orders"]:
            return submit(req, start_response)
        if req.method == "GET" and len(parts) == 3 and parts[:2] == ["v1", "orders"]:
            return get_order(parts[2], start_response)
        if (
            req.method == "POST"
            and len(parts) == 4
            and parts[:2] == ["v1", "orders"]
            and parts[3] == "cancel"
        ):
            return cancel(parts[2], start_response)
        if req.method == "GET" and parts == ["v1", "shipments"]:
            return shipments(req, start_response)
        if req.method == "GET" and parts == ["v1", "inventory"]:
            return inventory(req, start_response)
        state.count_call(SYSTEM, f"{req.method} {req.path}")
        return _error(start_response, 404, "not_found", f"no resource {req.path}")

    return app


simulator = Simulator(system=SYSTEM, hosts=HOSTS, make_app=make_app, on_reset=on_reset)
