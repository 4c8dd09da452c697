"""UPS simulator: OAuth client credentials, Track API details and Rating (Shop, with transit).

Replies follow the UPS OpenAPI specs (OAuthClientCredentials.yaml, Tracking.yaml, Rating.yaml)
exactly; the tracking stories are the shared world's UPS shipments and the parcels the 3PL
simulator shipped with UPS (`common.find_parcels`).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sandbox.carriers.common import (
    Parcel,
    Request,
    Service,
    Tokens,
    find_parcel,
    health,
    now_utc,
    on_reset_for,
    price,
    read_request,
    reply,
    services_for,
)
from sandbox.registry import Simulator
from sandbox.state import SandboxState

SYSTEM = "ups"
HOSTS = ("wwwcie.ups.com", "onlinetools.ups.com")
# The sandbox's published test credentials (config/default.yaml); nothing else is accepted.
CLIENTS = {"sandbox-ups-client": "sandbox-ups-secret"}

# world event code -> (activity type, activity code, statusCode, description)
EVENTS = {
    "LABEL": ("M", "MP", "003", "Shipper created a label, UPS has not received the package yet."),
    "PU": ("P", "PU", "005", "Pickup Scan"),
    "IT": ("I", "AR", "005", "Arrived at Facility"),
    "OD": ("I", "OT", "021", "Out For Delivery Today"),
    "DL": ("D", "FS", "011", "DELIVERED"),
    "RS": ("RS", "RS", "", "Returned to shipper"),
    "EX": ("X", "X1", "013", ""),
}
SERVICES = (
    Service("03", "UPS Ground", 5, Decimal("9.80"), Decimal("1.10")),
    Service("12", "UPS 3 Day Select", 3, Decimal("16.40"), Decimal("1.90")),
    Service("02", "UPS 2nd Day Air", 2, Decimal("22.50"), Decimal("2.60")),
    Service("01", "UPS Next Day Air", 1, Decimal("41.00"), Decimal("3.90")),
    Service("11", "UPS Standard", 5, Decimal("24.00"), Decimal("2.20"), True),
    Service("65", "UPS Worldwide Saver", 2, Decimal("61.00"), Decimal("5.10"), True),
    Service("07", "UPS Worldwide Express", 1, Decimal("78.00"), Decimal("6.40"), True),
)


def _errors(code: str, message: str) -> dict[str, Any]:
    return {"response": {"errors": [{"code": code, "message": message}]}}


def _activity(when: Any, code: str, description: str, city: str, country: str) -> dict:
    type_, activity_code, status_code, text = EVENTS[code]
    status = {"type": type_, "code": activity_code, "description": text or description}
    if status_code:
        status["statusCode"] = status_code
    return {
        "location": {"address": {"city": city.upper(), "countryCode": country, "country": country}},
        "status": status,
        "date": when.strftime("%Y%m%d"),
        "time": when.strftime("%H%M%S"),
        "gmtDate": when.strftime("%Y%m%d"),
        "gmtTime": when.strftime("%H:%M:%S"),
        "gmtOffset": "+00:00",
    }


def track_body(parcel: Parcel) -> dict[str, Any]:
    activities = [_activity(e.at, e.code, e.description, e.city, e.country) for e in parcel.events]
    activities.reverse()  # most recent first, as UPS sends them
    package: dict[str, Any] = {
        "trackingNumber": parcel.tracking_number,
        "activity": activities,
        "currentStatus": {
            key: activities[0]["status"][key]
            for key in ("type", "code", "description", "statusCode")
            if key in activities[0]["status"]
        },
        "packageCount": parcel.packages,
        "service": {"code": parcel.service, "description": _service_name(parcel.service)},
        "weight": {"unitOfMeasurement": "KGS", "weight": str(parcel.weight_kg)},
        "deliveryDate": [{"type": "SDD", "date": parcel.promised_at.strftime("%Y%m%d")}],
    }
    if parcel.delivered_at and parcel.pod_available:
        package["deliveryInformation"] = {
            "location": "Front Door",
            "receivedBy": parcel.signed_by or "",
        }
        package["deliveryDate"] = [{"type": "DEL", "date": parcel.delivered_at.strftime("%Y%m%d")}]
    return {
        "trackResponse": {
            "shipment": [{"inquiryNumber": parcel.tracking_number, "package": [package]}]
        }
    }


def _service_name(code: str) -> str:
    return next((s.name for s in SERVICES if s.code == code), code)


def _weight(shipment: dict[str, Any]) -> Decimal:
    total = Decimal("0")
    for package in shipment.get("Package") or []:
        try:
            total += Decimal(str(package["PackageWeight"]["Weight"]))
        except (KeyError, TypeError, ArithmeticError):
            continue
    return total


def rate_body(request: dict[str, Any], pickup: Any) -> dict[str, Any] | None:
    shipment = (request.get("RateRequest") or {}).get("Shipment") or {}
    try:
        origin = shipment["Shipper"]["Address"]["CountryCode"]
        destination = shipment["ShipTo"]["Address"]["CountryCode"]
    except (KeyError, TypeError):
        return None
    weight, domestic = _weight(shipment), origin == destination
    rated = []
    for service in services_for(SERVICES, domestic):
        money = {"CurrencyCode": "USD", "MonetaryValue": str(price(service, weight, domestic))}
        zero = {"CurrencyCode": "USD", "MonetaryValue": "0.00"}
        arrival = pickup + timedelta(days=service.days)
        billing = {
            "UnitOfMeasurement": {"Code": "KGS", "Description": "Kilograms"},
            "Weight": str(weight),
        }
        rated.append(
            {
                "Service": {"Code": service.code, "Description": service.name},
                "BillingWeight": billing,
                "TransportationCharges": money,
                "ServiceOptionsCharges": zero,
                "TotalCharges": money,
                "RatedPackage": [{"TotalCharges": money, "Weight": str(weight)}],
                "TimeInTransit": {
                    "PickupDate": pickup.strftime("%Y%m%d"),
                    "ServiceSummary": {
                        "Service": {"Description": service.name},
                        "EstimatedArrival": {
                            "Arrival": {"Date": arrival.strftime("%Y%m%d"), "Time": "230000"},
                            "Pickup": {"Date": pickup.strftime("%Y%m%d")},
                            "DayOfWeek": arrival.strftime("%A").upper(),
                            "BusinessDaysInTransit": str(service.days),
                        },
                    },
                },
            }
        )
    return {
        "RateResponse": {
            "Response": {"ResponseStatus": {"Code": "1", "Description": "Success"}},
            "RatedShipment": rated,
        }
    }


def make_app(state: SandboxState):
    tokens = Tokens(state, SYSTEM)

    def oauth(req: Request, start_response):
        state.count_call(SYSTEM, "oauth")
        credentials = req.basic_auth()
        if req.form.get("grant_type") != "client_credentials":
            return reply(start_response, 400, _errors("10400", "Invalid/Missing grant_type"))
        if credentials is None or CLIENTS.get(credentials[0]) != credentials[1]:
            return reply(start_response, 401, _errors("10401", "ClientId is Invalid"))
        token, seconds = tokens.issue()
        issued = str(int(now_utc(state).timestamp() * 1000))
        body = {
            "token_type": "Bearer",
            "issued_at": issued,
            "client_id": credentials[0],
            "access_token": token,
            "expires_in": str(seconds),
            "status": "approved",
        }
        return reply(start_response, 200, body)

    def track(req: Request, start_response):
        state.count_call(SYSTEM, "track", 1)
        number = req.path.rsplit("/", 1)[-1].strip().upper()
        parcel = find_parcel(state, SYSTEM, number, SERVICES)
        if parcel is None:
            return reply(
                start_response, 404, _errors("151044", "No tracking information available")
            )
        return reply(start_response, 200, track_body(parcel))

    def rate(req: Request, start_response):
        state.count_call(SYSTEM, "rate")
        body = rate_body(req.json() or {}, state.world.today + timedelta(days=1))
        if body is None:
            return reply(
                start_response, 400, _errors("111210", "The requested service is unavailable")
            )
        return reply(start_response, 200, body)

    def app(environ, start_response):
        req = read_request(environ)
        probe = health(state, SYSTEM, req, start_response)
        if probe is not None:
            return probe
        if req.method == "POST" and req.path == "/security/v1/oauth/token":
            return oauth(req, start_response)
        routes = {("GET", "/api/track/v1/details/"): track, ("POST", "/api/rating/"): rate}
        handler = next(
            (h for (m, p), h in routes.items() if req.method == m and req.path.startswith(p)), None
        )
        if handler is None:
            state.count_call(SYSTEM, f"{req.method} {req.path}")
            return reply(start_response, 404, _errors("10404", "Resource not found"))
        if not tokens.valid(req.bearer()):
            state.count_call(SYSTEM, "unauthorized")
            return reply(
                start_response, 401, _errors("250002", "Invalid Authentication Information.")
            )
        return handler(req, start_response)

    return app


simulator = Simulator(system=SYSTEM, hosts=HOSTS, make_app=make_app, on_reset=on_reset_for(SYSTEM))
