"""FedEx's requests and replies, pure (no I/O): Track by tracking numbers, Rate Quotes.

Track takes up to 30 numbers a call (the spec's `trackingInfo` limit), so 10,000 numbers are
334 calls. Parsers accept what FedEx really sends: `alerts` as one string, an `error` block
beside a full result, timestamps with or without an offset.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

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
    timestamp,
)
from connectors.carriers.client import Reply
from core.records import Money, ProofOfDelivery, TrackingEvent

SYSTEM = "fedex"
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret
TRACK_PATH = "/track/v1/trackingnumbers"
RATE_PATH = "/rate/v1/rates/quotes"
MAX_TRACKING_NUMBERS = 30

# Track status and scan event codes (FedEx Track API; the spec gives PU, DE, DP, HL, OC).
CODE_STATUS = {
    "OC": st.PRE_TRANSIT,  # shipment information sent to FedEx / label created
    "IN": st.PRE_TRANSIT,  # initiated
    "RP": st.PRE_TRANSIT,  # return label link e-mailed
    "AP": st.PRE_TRANSIT,  # at pickup
    "EP": st.PRE_TRANSIT,  # en route to pickup
    "PU": st.IN_TRANSIT,
    "PX": st.IN_TRANSIT,
    "AA": st.IN_TRANSIT,
    "AC": st.IN_TRANSIT,
    "AF": st.IN_TRANSIT,
    "AR": st.IN_TRANSIT,
    "AX": st.IN_TRANSIT,
    "BR": st.IN_TRANSIT,
    "CC": st.IN_TRANSIT,
    "CH": st.IN_TRANSIT,
    "CP": st.IN_TRANSIT,
    "CU": st.IN_TRANSIT,
    "DP": st.IN_TRANSIT,
    "DR": st.IN_TRANSIT,
    "DS": st.IN_TRANSIT,
    "EA": st.IN_TRANSIT,
    "ED": st.IN_TRANSIT,
    "EO": st.IN_TRANSIT,
    "FD": st.IN_TRANSIT,
    "IT": st.IN_TRANSIT,
    "IX": st.IN_TRANSIT,
    "LO": st.IN_TRANSIT,
    "OF": st.IN_TRANSIT,
    "OX": st.IN_TRANSIT,
    "PF": st.IN_TRANSIT,
    "PL": st.IN_TRANSIT,
    "PM": st.IN_TRANSIT,
    "RR": st.IN_TRANSIT,  # delivery option requested
    "RM": st.IN_TRANSIT,
    "RC": st.IN_TRANSIT,
    "SF": st.IN_TRANSIT,
    "SP": st.IN_TRANSIT,
    "TR": st.IN_TRANSIT,
    "OD": st.OUT_FOR_DELIVERY,
    "AD": st.OUT_FOR_DELIVERY,  # at delivery
    "HL": st.AVAILABLE_FOR_PICKUP,  # hold at location
    "HP": st.AVAILABLE_FOR_PICKUP,  # ready for recipient pickup
    "DL": st.DELIVERED,
    "DE": st.EXCEPTION,  # delivery exception
    "SE": st.EXCEPTION,  # shipment exception
    "CD": st.EXCEPTION,  # clearance delay
    "DD": st.EXCEPTION,  # delivery delay
    "DY": st.EXCEPTION,  # delay
    "PD": st.EXCEPTION,  # pickup delay
    "CA": st.CANCELLED,
    "RS": st.RETURNED_TO_SENDER,
    "RG": st.PRE_TRANSIT,  # return label link expiring
    "RD": st.CANCELLED,  # return label link expired
    "LP": st.CANCELLED,  # return label link cancelled
}
DELAY_REASON = {
    "WEATHER": "weather_delay",
    "CLEARANCE": "customs_hold",
    "OPERATIONAL": "carrier_delay",
    "LOCAL": "carrier_delay",
    "GENERAL": "carrier_delay",
}
_WORD_DAYS = {
    w: i
    for i, w in enumerate(
        "ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE TEN ELEVEN TWELVE THIRTEEN FOURTEEN "
        "FIFTEEN SIXTEEN SEVENTEEN EIGHTEEN NINETEEN TWENTY".split(),
        start=1,
    )
}
# Published commitments where a quote carries no transit time (US domestic express).
SERVICE_DAYS = {
    "FIRST_OVERNIGHT": 1,
    "PRIORITY_OVERNIGHT": 1,
    "STANDARD_OVERNIGHT": 1,
    "FEDEX_2_DAY_AM": 2,
    "FEDEX_2_DAY": 2,
    "FEDEX_EXPRESS_SAVER": 3,
}


def map_status(code: str) -> str:
    return CODE_STATUS.get(text(code).upper(), st.UNKNOWN)


def build_track(numbers: list[str]) -> dict[str, Any]:
    if len(numbers) > MAX_TRACKING_NUMBERS:
        raise ValueError(f"FedEx tracks at most {MAX_TRACKING_NUMBERS} numbers a call")
    return {
        "includeDetailedScans": True,
        "trackingInfo": [{"trackingNumberInfo": {"trackingNumber": n}} for n in numbers],
    }


def _reason(delay: Any, status: str, *texts: str) -> tuple[str, str]:
    if isinstance(delay, dict) and text(delay.get("status")).upper() == "DELAYED":
        reason = DELAY_REASON.get(text(delay.get("type")).upper(), "carrier_delay")
        return reason, st.REASONS[reason]
    return st.event_reason(status, *texts)


def _place(address: Any) -> str:
    address = address if isinstance(address, dict) else {}
    return join_place(
        address.get("city"), address.get("stateOrProvinceCode"), address.get("countryCode")
    )


def _event(scan: dict[str, Any]) -> TrackingEvent | None:
    when = timestamp(scan.get("date"))
    if when is None:
        return None
    status = map_status(scan.get("derivedStatusCode") or scan.get("eventType"))
    described = text(scan.get("eventDescription")) or text(scan.get("derivedStatus"))
    exception = text(scan.get("exceptionDescription"))
    reason, on_whom = _reason(scan.get("delayDetail"), status, exception, described)
    description = f"{described}: {exception}" if exception else described
    return TrackingEvent(
        when, status, description, _place(scan.get("scanLocation")), reason, on_whom
    )


def _moment(result: dict[str, Any], kind: str) -> datetime | None:
    for item in as_list(result.get("dateAndTimes")):
        if isinstance(item, dict) and item.get("type") == kind:
            return timestamp(item.get("dateTime"))
    return None


def _pod(result: dict[str, Any], track: TrackResult) -> ProofOfDelivery | None:
    details = result.get("deliveryDetails")
    if track.status != st.DELIVERED or not isinstance(details, dict) or not details:
        return None
    delivered = [e for e in track.events if e.status == st.DELIVERED]
    when = _moment(result, "ACTUAL_DELIVERY") or (delivered[-1].occurred_at if delivered else None)
    if when is None:
        return None
    signed = text(details.get("signedByName")) or text(details.get("receivedByName"))
    where = text(details.get("locationDescription")) or _place(details.get("actualDeliveryAddress"))
    return ProofOfDelivery(when, signed, where)


def parse_result(number: str, result: dict[str, Any]) -> TrackResult:
    latest = result.get("latestStatusDetail") or {}
    scans = as_list(result.get("scanEvents"))
    error = result.get("error") or {}
    # The recorded reply carries an error block beside a full result: only a bare error counts.
    if error and not latest and not scans:
        return not_found(number, SYSTEM, text(error.get("message")) or text(error.get("code")))
    track = TrackResult(number, SYSTEM, events=[e for e in (_event(s) for s in scans) if e])
    code = text(latest.get("derivedCode")) or text(latest.get("code"))
    track.carrier_status = code
    track.service = text(dig(result, "serviceDetail", "description"))
    track.estimated_delivery = _moment(result, "ESTIMATED_DELIVERY")
    finish(track, map_status(code))
    if not track.reason_code:
        ancillary = [
            text(a.get("reasonDescription")) for a in as_list(latest.get("ancillaryDetails"))
        ]
        track.reason_code, track.on_whom = _reason(
            latest.get("delayDetail"), track.status, text(latest.get("description")), *ancillary
        )
    track.pod = _pod(result, track)
    return track


def parse_track(numbers: list[str], reply: Reply) -> list[TrackResult]:
    body = reply.body if isinstance(reply.body, dict) else {}
    if reply.status >= 400:
        errors = as_list(body.get("errors"))
        message = text((errors or [{}])[0].get("message")) or f"HTTP {reply.status}"
        return [not_found(n, SYSTEM, message) for n in numbers]
    results = []
    for complete in as_list(dig(body, "output", "completeTrackResults")):
        number = text(complete.get("trackingNumber"))
        for result in as_list(complete.get("trackResults"))[:1]:
            number = number or text(dig(result, "trackingNumberInfo", "trackingNumber"))
            results.append(parse_result(number, result))
    return results


def alerts(body: Any) -> list[str]:
    """FedEx `alerts`: an array of {code, message} per spec, one string in real replies."""
    found = dig(body, "output", "alerts")
    if isinstance(found, str):
        return [found]
    return [
        text(a.get("message")) or text(a.get("code")) for a in as_list(found) if isinstance(a, dict)
    ]


def _address(address: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"countryCode": address.country}
    if address.lines:
        out["streetLines"] = list(address.lines)[:3]
    for key, value in (
        ("city", address.city),
        ("stateOrProvinceCode", address.state),
        ("postalCode", address.postal_code),
    ):
        if value:
            out[key] = value
    return out


def build_rate(request: RateRequest, account_number: str) -> dict[str, Any]:
    items = []
    for parcel in request.parcels:
        item: dict[str, Any] = {"weight": {"units": "KG", "value": float(parcel.weight_kg)}}
        if parcel.length_cm and parcel.width_cm and parcel.height_cm:
            item["dimensions"] = {
                "length": int(parcel.length_cm),
                "width": int(parcel.width_cm),
                "height": int(parcel.height_cm),
                "units": "CM",
            }
        items.append(item)
    shipment: dict[str, Any] = {
        "shipper": {"address": _address(request.origin)},
        "recipient": {"address": _address(request.destination)},
        "pickupType": "DROPOFF_AT_FEDEX_LOCATION",
        "rateRequestType": ["ACCOUNT", "LIST"],
        "preferredCurrency": request.currency,
        "requestedPackageLineItems": items,
    }
    if request.ship_date:
        shipment["shipDateStamp"] = request.ship_date.isoformat()
    return {
        "accountNumber": {"value": account_number},
        "rateRequestControlParameters": {"returnTransitTimes": True},
        "requestedShipment": shipment,
    }


def _transit_days(detail: dict[str, Any]) -> int | None:
    for word in (
        dig(detail, "commit", "transitDays", "minimumTransitTime"),
        dig(detail, "commit", "daysInTransit"),
        dig(detail, "operationalDetail", "transitTime"),
    ):
        days = _WORD_DAYS.get(text(word).upper().removesuffix("_DAYS").removesuffix("_DAY"))
        if days:
            return days
    return SERVICE_DAYS.get(text(detail.get("serviceType")))


def _charge(detail: dict[str, Any]) -> tuple[Decimal | None, str]:
    rated = as_list(detail.get("ratedShipmentDetails"))
    order = {"ACCOUNT": 0, "PREFERRED_CURRENCY": 1, "LIST": 2}
    rated.sort(key=lambda r: order.get(text(r.get("rateType")), 9))
    for item in rated:
        amount = decimal(item.get("totalNetCharge"))
        if amount is None:
            amount = decimal(item.get("totalNetFedExCharge"))
        currency = text(item.get("currency")) or text(dig(item, "shipmentRateDetail", "currency"))
        if amount is not None and len(currency) == 3 and currency.isalpha():
            return amount, currency.upper()
    return None, ""


def parse_rate(body: Any) -> list[RateQuote]:
    notes = alerts(body)
    quotes = []
    for detail in as_list(dig(body, "output", "rateReplyDetails")):
        amount, currency = _charge(detail)
        if amount is None:
            continue
        service = text(detail.get("serviceType"))
        quotes.append(
            RateQuote(
                SYSTEM,
                service,
                Money(amount.quantize(Decimal("0.01")), currency),
                _transit_days(detail),
                text(detail.get("serviceName")) or service,
                messages=list(notes),
            )
        )
    return quotes
