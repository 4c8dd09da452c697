"""FedEx simulator: OAuth (form credentials), Track by tracking numbers (30 a call), Rate Quotes.

Replies follow the FedEx OpenAPI files (APIAuthorization, TrackingNumbers, RateQuotes)
exactly; each Track call is counted with its batch size so a benchmark can read both.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.carriers.common import (
    Parcel,
    Request,
    Service,
    Tokens,
    find_parcels,
    health,
    on_reset_for,
    price,
    read_request,
    reply,
    services_for,
    transaction_id,
)
from sandbox.registry import Simulator
from sandbox.state import SandboxState

SYSTEM = "fedex"
HOSTS = ("apis-sandbox.fedex.com", "apis.fedex.com")
CLIENTS = {"sandbox-fedex-client": "sandbox-fedex-secret"}
MAX_NUMBERS = 30

# world event code -> (FedEx event type, description)
EVENTS = {
    "LABEL": ("OC", "Shipment information sent to FedEx"),
    "PU": ("PU", "Picked up"),
    "IT": ("IT", "In transit"),
    "OD": ("OD", "On FedEx vehicle for delivery"),
    "DL": ("DL", "Delivered"),
    "RS": ("RS", "Return to shipper"),
    "EX": ("DE", "Delivery exception"),
}
SERVICES = (
    Service("FEDEX_GROUND", "FedEx Ground", 5, Decimal("9.40"), Decimal("1.05")),
    Service("FEDEX_EXPRESS_SAVER", "FedEx Express Saver", 3, Decimal("17.10"), Decimal("1.95")),
    Service("FEDEX_2_DAY", "FedEx 2Day", 2, Decimal("23.30"), Decimal("2.45")),
    Service("PRIORITY_OVERNIGHT", "FedEx Priority Overnight", 1, Decimal("44.60"), Decimal("3.70")),
    Service(
        "INTERNATIONAL_ECONOMY",
        "FedEx International Economy",
        5,
        Decimal("58.00"),
        Decimal("4.30"),
        True,
    ),
    Service(
        "INTERNATIONAL_PRIORITY",
        "FedEx International Priority",
        2,
        Decimal("82.00"),
        Decimal("6.10"),
        True,
    ),
)
WORDS = {1: "ONE_DAY", 2: "TWO_DAYS", 3: "THREE_DAYS", 4: "FOUR_DAYS", 5: "FIVE_DAYS"}


def _errors(code: str, message: str) -> dict[str, Any]:
    return {"errors": [{"code": code, "message": message}]}


def _scan(when: Any, code: str, description: str, city: str, country: str) -> dict[str, Any]:
    event_type, text = EVENTS[code]
    scan = {
        "date": when.isoformat(),
        "eventType": event_type,
        "eventDescription": text,
        "derivedStatusCode": event_type,
        "derivedStatus": text,
        "scanLocation": {"city": city.upper(), "countryCode": country, "residential": False},
    }
    if code == "EX":
        scan["exceptionDescription"] = description
        scan["exceptionCode"] = "08" if "damage" in description.lower() else "07"
    return scan


def track_result(parcel: Parcel) -> dict[str, Any]:
    scans = [_scan(e.at, e.code, e.description, e.city, e.country) for e in parcel.events]
    scans.reverse()
    latest = scans[0]
    result: dict[str, Any] = {
        "trackingNumberInfo": {
            "trackingNumber": parcel.tracking_number,
            "carrierCode": "FDXG" if parcel.service == "FEDEX_GROUND" else "FDXE",
        },
        "latestStatusDetail": {
            "code": latest["eventType"],
            "derivedCode": latest["derivedStatusCode"],
            "statusByLocale": latest["eventDescription"],
            "description": latest["eventDescription"],
            "scanLocation": latest["scanLocation"],
        },
        "serviceDetail": {
            "type": parcel.service,
            "description": parcel.service.replace("_", " "),
        },
        "scanEvents": scans,
        "dateAndTimes": [
            {"type": "SHIP", "dateTime": f"{parcel.ship_date.isoformat()}T00:00:00+00:00"},
        ],
    }
    if "exceptionDescription" in latest:
        result["latestStatusDetail"]["ancillaryDetails"] = [
            {"reason": latest["exceptionCode"], "reasonDescription": latest["exceptionDescription"]}
        ]
    if parcel.delivered_at:
        result["dateAndTimes"].append(
            {"type": "ACTUAL_DELIVERY", "dateTime": parcel.delivered_at.isoformat()}
        )
        if parcel.pod_available:
            name = parcel.signed_by or ""
            result["deliveryDetails"] = {
                "receivedByName": name,
                "signedByName": name,
                "locationDescription": "Front desk" if name else "Front door",
                "locationType": "RECEPTIONIST_OR_FRONT_DESK" if name else "RESIDENCE",
            }
    return result


def _not_found(number: str) -> dict[str, Any]:
    return {
        "trackingNumberInfo": {"trackingNumber": number},
        "error": {
            "code": "TRACKING.TRACKINGNUMBER.NOTFOUND",
            "message": "Tracking number cannot be found. Please correct the tracking number"
            " and try again.",
        },
    }


def track_body(state: SandboxState, numbers: list[str]) -> dict[str, Any]:
    parcels = find_parcels(state, SYSTEM, numbers, SERVICES)
    results = []
    for number in numbers:
        parcel = parcels.get(number)
        results.append(
            {
                "trackingNumber": number,
                "trackResults": [track_result(parcel) if parcel else _not_found(number)],
            }
        )
    return {"output": {"completeTrackResults": results}}


def rate_body(request: dict[str, Any]) -> dict[str, Any] | None:
    shipment = request.get("requestedShipment") or {}
    try:
        origin = shipment["shipper"]["address"]["countryCode"]
        destination = shipment["recipient"]["address"]["countryCode"]
        weight = sum(
            (
                Decimal(str(item["weight"]["value"]))
                for item in shipment["requestedPackageLineItems"]
            ),
            Decimal("0"),
        )
    except (KeyError, TypeError, ArithmeticError):
        return None
    domestic = origin == destination
    details = []
    for service in services_for(SERVICES, domestic):
        amount = float(price(service, weight, domestic))
        details.append(
            {
                "serviceType": service.code,
                "serviceName": service.name,
                "packagingType": "YOUR_PACKAGING",
                "ratedShipmentDetails": [
                    {
                        "rateType": "ACCOUNT",
                        "totalBaseCharge": amount,
                        "totalNetCharge": amount,
                        "totalNetFedExCharge": amount,
                        "shipmentRateDetail": {"currency": "USD"},
                    }
                ],
                "commit": {"transitDays": {"minimumTransitTime": WORDS[service.days]}},
                "operationalDetail": {"transitTime": WORDS[service.days]},
            }
        )
    return {"output": {"rateReplyDetails": details, "alerts": []}}


def make_app(state: SandboxState):
    def send(start_response, status: int, body: dict[str, Any]) -> list[bytes]:
        return reply(
            start_response, status, {"transactionId": transaction_id(state, SYSTEM), **body}
        )

    tokens = Tokens(state, SYSTEM)

    def oauth(req: Request, start_response):
        state.count_call(SYSTEM, "oauth")
        form = req.form
        if form.get("grant_type") != "client_credentials" or CLIENTS.get(
            form.get("client_id", "")
        ) != form.get("client_secret"):
            return send(
                start_response,
                401,
                _errors("NOT.AUTHORIZED.ERROR", "The given client credentials were not valid."),
            )
        token, seconds = tokens.issue()
        body = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": seconds,
            "scope": "CXS",
        }
        return reply(start_response, 200, body)  # the token reply has no transactionId

    def track(req: Request, start_response):
        body = req.json() or {}
        numbers = [
            str((info.get("trackingNumberInfo") or {}).get("trackingNumber", "")).strip()
            for info in body.get("trackingInfo") or []
            if isinstance(info, dict)
        ]
        state.count_call(SYSTEM, "track", len(numbers))
        if not numbers or not all(numbers):
            return send(
                start_response,
                400,
                _errors("TRACKING.TRACKINGNUMBER.EMPTY", "Please provide tracking number."),
            )
        if len(numbers) > MAX_NUMBERS:
            return send(
                start_response,
                400,
                _errors(
                    "TRACKING.TRACKINGNUMBER.LIMIT",
                    f"At most {MAX_NUMBERS} tracking numbers per request.",
                ),
            )
        return send(start_response, 200, track_body(state, numbers))

    def rate(req: Request, start_response):
        state.count_call(SYSTEM, "rate")
        body = rate_body(req.json() or {})
        if body is None:
            return send(
                start_response,
                400,
                _errors("RATE.REQUEST.INVALID", "The rate request is incomplete."),
            )
        return send(start_response, 200, body)

    routes = {("POST", "/track/v1/trackingnumbers"): track, ("POST", "/rate/v1/rates/quotes"): rate}

    def app(environ, start_response):
        req = read_request(environ)
        probe = health(state, SYSTEM, req, start_response)
        if probe is not None:
            return probe
        if req.method == "POST" and req.path == "/oauth/token":
            return oauth(req, start_response)
        handler = routes.get((req.method, req.path))
        if handler is None:
            state.count_call(SYSTEM, f"{req.method} {req.path}")
            return send(
                start_response,
                404,
                _errors("NOT.FOUND.ERROR", "The resource you requested is no longer available."),
            )
        if not tokens.valid(req.bearer()):
            state.count_call(SYSTEM, "unauthorized")
            return send(
                start_response,
                401,
                _errors(
                    "NOT.AUTHORIZED.ERROR",
                    "Access token expired. Please modify your request and try again.",
                ),
            )
        return handler(req, start_response)

    return app


simulator = Simulator(system=SYSTEM, hosts=HOSTS, make_app=make_app, on_reset=on_reset_for(SYSTEM))
