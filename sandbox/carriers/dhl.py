"""DHL simulator: Shipment Tracking - Unified, GET /track/shipments with the DHL-API-Key header.

Replies follow utapi-traking-api-1.4.1.yaml exactly (ids as strings, references as an array,
timestamps with an offset); an unknown number is the spec's 404 problem detail. The stories are
the world's DHL shipments and the parcels the 3PL simulator shipped with DHL.
"""

from __future__ import annotations

from typing import Any

from sandbox.carriers.common import (
    Parcel,
    Request,
    find_parcel,
    health,
    on_reset_for,
    read_request,
    reply,
)
from sandbox.registry import Simulator
from sandbox.state import SandboxState

SYSTEM = "dhl"
HOSTS = ("api-test.dhl.com", "api-eu.dhl.com")
API_KEYS = frozenset({"sandbox-dhl-key"})
PROBLEM = "application/problem+json"

# world event code -> (statusCode, status)
EVENTS = {
    "LABEL": ("pre-transit", "The instruction data for this shipment have been provided"),
    "PU": ("transit", "Shipment picked up"),
    "IT": ("transit", "Processed at sort facility"),
    "OD": ("transit", "Out for delivery"),
    "DL": ("delivered", "Delivered"),
    "RS": ("failure", "Returned to sender"),
    "EX": ("failure", "Delivery exception"),
}


def _place(city: str, country: str) -> dict[str, Any]:
    return {"address": {"addressLocality": city, "countryCode": country}}


def _event(when: Any, code: str, description: str, city: str, country: str) -> dict[str, Any]:
    status_code, status = EVENTS[code]
    event = {
        "timestamp": when.isoformat(),
        "location": _place(city, country),
        "statusCode": status_code,
        "status": status,
        "description": description if code == "EX" else status,
    }
    return event


def shipment_body(parcel: Parcel) -> dict[str, Any]:
    events = [_event(e.at, e.code, e.description, e.city, e.country) for e in parcel.events]
    events.reverse()  # newest first, as DHL sends them
    details: dict[str, Any] = {
        "product": {"productName": parcel.service.replace("_", " ").title()},
        "totalNumberOfPieces": parcel.packages,
        "weight": {"value": float(parcel.weight_kg), "unitText": "kg"},
        "references": [{"number": parcel.order_number, "type": "customer-reference"}],
    }
    if parcel.delivered_at and parcel.pod_available:
        proof: dict[str, Any] = {"timestamp": parcel.delivered_at.isoformat()}
        if parcel.signed_by:
            proof["signed"] = {"name": parcel.signed_by}
        details["proofOfDelivery"] = proof
    return {
        "id": parcel.tracking_number,
        "service": "express",
        "origin": _place(*parcel.origin),
        "destination": _place(*parcel.destination),
        "status": events[0],
        "estimatedTimeOfDelivery": parcel.promised_at.isoformat(),
        "details": details,
        "events": events,
    }


def make_app(state: SandboxState):
    def track(req: Request, start_response):
        state.count_call(SYSTEM, "track", 1)
        number = req.query.get("trackingNumber", "").strip()
        parcel = find_parcel(state, SYSTEM, number) if number else None
        if parcel is None:
            problem = {
                "title": "No result found",
                "status": 404,
                "detail": "No shipment with given tracking number found.",
                "instance": f"/shipment/{number}",
            }
            return reply(start_response, 404, problem, content_type=PROBLEM)
        return reply(start_response, 200, {"shipments": [shipment_body(parcel)]})

    def app(environ, start_response):
        req = read_request(environ)
        probe = health(state, SYSTEM, req, start_response)
        if probe is not None:
            return probe
        if req.method != "GET" or req.path != "/track/shipments":
            state.count_call(SYSTEM, f"{req.method} {req.path}")
            problem = {"title": "Not Found", "status": 404, "detail": "No such resource."}
            return reply(start_response, 404, problem, content_type=PROBLEM)
        if req.headers.get("dhl-api-key") not in API_KEYS:
            state.count_call(SYSTEM, "unauthorized")
            problem = {
                "title": "Unauthorized",
                "status": 401,
                "detail": "Invalid or missing API key.",
            }
            return reply(start_response, 401, problem, content_type=PROBLEM)
        return track(req, start_response)

    return app


simulator = Simulator(system=SYSTEM, hosts=HOSTS, make_app=make_app, on_reset=on_reset_for(SYSTEM))
