"""UPS's requests and replies, pure (no I/O): Track API (one number a call) and Rating (Shop).

Parsers accept what UPS really sends
(karrio's recorded replies): `paymentInformation` and other lists as one object, a date in
`currentStatus.code`, a time in `deliveryInformation.receivedBy`, local times without offset.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from connectors.carriers import status as st
from connectors.carriers.base import (
    RateQuote,
    RateRequest,
    TrackResult,
    as_list,
    decimal,
    dig,
    finish,
    join_place,
    not_found,
    text,
)
from connectors.carriers.client import Reply
from core.records import Money, ProofOfDelivery, TrackingEvent

SYSTEM = "ups"
TOKEN_PATH = "/security/v1/oauth/token"  # noqa: S105 - a path, not a secret
TRACK_PATH = "/api/track/v1/details/"
RATE_PATH = "/api/rating/v2409/Shoptimeintransit"

# Activity status types (UPS Tracking API guide); the code refines type I below.
TYPE_STATUS = {
    "M": st.PRE_TRANSIT,  # manifest / label created, not yet received
    "MV": st.CANCELLED,  # manifest voided
    "P": st.IN_TRANSIT,  # picked up
    "I": st.IN_TRANSIT,
    "W": st.IN_TRANSIT,  # in a warehouse on the way
    "O": st.OUT_FOR_DELIVERY,
    "D": st.DELIVERED,
    "DO": st.DELIVERED,  # delivered to origin CFS (freight)
    "DD": st.DELIVERED,  # delivered to destination CFS (freight)
    "X": st.EXCEPTION,
    "RS": st.RETURNED_TO_SENDER,
    "NA": st.PRE_TRANSIT,  # not yet available: no scan so far
}
# Three-digit activity status codes that say more than their type.
CODE_STATUS = {
    "003": st.PRE_TRANSIT,
    "005": st.IN_TRANSIT,
    "011": st.DELIVERED,
    "012": st.IN_TRANSIT,  # clearance in progress
    "013": st.EXCEPTION,
    "017": st.AVAILABLE_FOR_PICKUP,  # held for customer pickup
    "021": st.OUT_FOR_DELIVERY,
}
SERVICES = {
    "01": "UPS Next Day Air",
    "02": "UPS 2nd Day Air",
    "03": "UPS Ground",
    "07": "UPS Worldwide Express",
    "08": "UPS Worldwide Expedited",
    "11": "UPS Standard",
    "12": "UPS 3 Day Select",
    "13": "UPS Next Day Air Saver",
    "14": "UPS Next Day Air Early",
    "54": "UPS Worldwide Express Plus",
    "59": "UPS 2nd Day Air A.M.",
    "65": "UPS Worldwide Saver",
}


def map_status(type_: str, code: str = "", description: str = "") -> str:
    type_, code, words = text(type_).upper(), text(code), description.lower()
    if type_ in ("I", "P", "W", "") and code in CODE_STATUS:
        return CODE_STATUS[code]
    status = TYPE_STATUS.get(type_, CODE_STATUS.get(code, st.UNKNOWN))
    if status == st.IN_TRANSIT and "out for delivery" in words:
        return st.OUT_FOR_DELIVERY
    if status == st.IN_TRANSIT and ("access point" in words or "ready for pickup" in words):
        return st.AVAILABLE_FOR_PICKUP
    return status


def parse_time(date: Any, time_: Any = "", offset: Any = "") -> datetime | None:
    """UPS 'YYYYMMDD' + 'HHMMSS' (+ '-05:00' when gmtOffset came); no offset is UTC."""
    day, clock = text(date).replace("-", ""), text(time_).replace(":", "").ljust(6, "0")[:6]
    try:
        moment = datetime.strptime(day + clock, "%Y%m%d%H%M%S")
    except ValueError:
        return None
    zone = timezone.utc
    sign, raw = (-1, text(offset)[1:]) if text(offset).startswith("-") else (1, text(offset))
    hours, _, minutes = raw.lstrip("+").partition(":")
    if hours.isdigit():
        zone = timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))
    return moment.replace(tzinfo=zone)


def build_track(number: str) -> tuple[str, dict[str, str]]:
    return TRACK_PATH + quote(number, safe=""), {"locale": "en_US", "returnSignature": "false"}


def _event(activity: dict[str, Any]) -> TrackingEvent | None:
    when = parse_time(
        activity.get("gmtDate") or activity.get("date"),
        activity.get("gmtTime") or activity.get("time"),
        activity.get("gmtOffset") if activity.get("gmtDate") else "",
    )
    if when is None:
        return None
    state = dig(activity, "status", default={})
    description = text(state.get("description"))
    status = map_status(state.get("type"), state.get("statusCode"), description)
    reason, on_whom = st.event_reason(status, description)
    address = dig(activity, "location", "address", default={})
    place = join_place(
        address.get("city"), address.get("stateProvince"), address.get("countryCode")
    )
    return TrackingEvent(when, status, description, place, reason, on_whom)


def _pod(package: dict[str, Any], events: list[TrackingEvent]) -> ProofOfDelivery | None:
    delivered = [e for e in events if e.status == st.DELIVERED]
    info = package.get("deliveryInformation")
    # Delivered without a delivery information block is delivered without proof.
    if not delivered or not isinstance(info, dict) or not info:
        return None
    signed = text(info.get("receivedBy"))
    # karrio's recorded reply carries a time (163000) here; a name has letters.
    if signed.isdigit():
        signed = ""
    location = text(info.get("location"))
    return ProofOfDelivery(delivered[-1].occurred_at, signed, location or delivered[-1].location)


def parse_track(number: str, reply: Reply) -> TrackResult:
    body = reply.body if isinstance(reply.body, dict) else {}
    errors = as_list(dig(body, "response", "errors"))
    packages = [
        package
        for shipment in as_list(dig(body, "trackResponse", "shipment"))
        for package in as_list(shipment.get("package"))
    ]
    if reply.status >= 400 or not packages:
        warnings = [
            w
            for shipment in as_list(dig(body, "trackResponse", "shipment"))
            for w in as_list(shipment.get("warnings"))
        ]
        problem = (errors or warnings or [{}])[0]
        message = text(problem.get("message")) or f"UPS does not know {number}"
        return not_found(number, SYSTEM, message)
    package = packages[0]
    events = [e for e in (_event(a) for a in as_list(package.get("activity"))) if e]
    current = dig(package, "currentStatus", default={})
    result = TrackResult(number, SYSTEM, events=events)
    latest = map_status(
        current.get("type"), current.get("statusCode"), text(current.get("description"))
    )
    result.carrier_status = text(current.get("type"))
    result.service = text(dig(package, "service", "description"))
    finish(result, latest)
    result.pod = _pod(package, result.events)
    return result


def _address(address: Any) -> dict[str, Any]:
    lines = [line for line in address.lines if line] or [address.name or "-"]
    out = {"AddressLine": lines[:3], "CountryCode": address.country}
    for key, value in (
        ("City", address.city),
        ("StateProvinceCode", address.state),
        ("PostalCode", address.postal_code),
    ):
        if value:
            out[key] = value
    return out


def build_rate(request: RateRequest, account_number: str = "") -> dict[str, Any]:
    shipper: dict[str, Any] = {"Address": _address(request.origin)}
    if account_number:
        shipper["ShipperNumber"] = account_number
    packages = []
    for parcel in request.parcels:
        package: dict[str, Any] = {
            "PackagingType": {"Code": "02", "Description": "Package"},
            "PackageWeight": {
                "UnitOfMeasurement": {"Code": "KGS", "Description": "Kilograms"},
                "Weight": str(parcel.weight_kg),
            },
        }
        if parcel.length_cm and parcel.width_cm and parcel.height_cm:
            package["Dimensions"] = {
                "UnitOfMeasurement": {"Code": "CM", "Description": "Centimeters"},
                "Length": str(parcel.length_cm),
                "Width": str(parcel.width_cm),
                "Height": str(parcel.height_cm),
            }
        packages.append(package)
    shipment: dict[str, Any] = {
        "Shipper": shipper,
        "ShipTo": {"Address": _address(request.destination)},
        "ShipFrom": {"Address": _address(request.origin)},
        "Package": packages,
        "DeliveryTimeInformation": {"PackageBillType": "03"},
    }
    if request.ship_date:
        shipment["DeliveryTimeInformation"]["Pickup"] = {
            "Date": request.ship_date.strftime("%Y%m%d")
        }
    context = {"CustomerContext": request.reference} if request.reference else {}
    return {
        "RateRequest": {
            "Request": {"RequestOption": "Shoptimeintransit", "TransactionReference": context},
            "Shipment": shipment,
        }
    }


def _days(value: Any) -> int | None:
    raw = text(value)
    return int(raw) if raw.isdigit() else None


def parse_rate(body: Any) -> list[RateQuote]:
    quotes = []
    alerts = [
        text(a.get("Description")) for a in as_list(dig(body, "RateResponse", "Response", "Alert"))
    ]
    for rated in as_list(dig(body, "RateResponse", "RatedShipment")):
        charge = (
            dig(rated, "NegotiatedRateCharges", "TotalCharge") or rated.get("TotalCharges") or {}
        )
        amount, currency = decimal(charge.get("MonetaryValue")), text(charge.get("CurrencyCode"))
        if amount is None or len(currency) != 3 or not currency.isalpha():
            continue
        code = text(dig(rated, "Service", "Code"))
        days = _days(
            dig(
                rated,
                "TimeInTransit",
                "ServiceSummary",
                "EstimatedArrival",
                "BusinessDaysInTransit",
            )
        )
        if days is None:
            days = _days(dig(rated, "GuaranteedDelivery", "BusinessDaysInTransit"))
        quotes.append(
            RateQuote(
                SYSTEM,
                code,
                Money(amount.quantize(Decimal("0.01")), currency.upper()),
                days,
                SERVICES.get(code, text(dig(rated, "Service", "Description")) or code),
                messages=[a for a in alerts if a],
            )
        )
    return quotes
