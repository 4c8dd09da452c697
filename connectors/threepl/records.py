"""Pure mapping between our records and the 3PL's JSON (see README.md for the wire shape).

`build_order` turns an Order with its ship-to into a fulfilment order keyed by our client
reference; `parse_shipment` turns a shipment confirmation into a core.records.Shipment (lines
shipped, one Package per carton); `parse_inventory` turns a stock row into an Availability.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from core.records import Address, Availability, Order, Package, Quantity, Shipment, ShipmentLine

SYSTEM = "threepl"


@dataclass
class FulfilmentRequest:
    """What the 3PL needs to ship an order: the order, where to, from where, how."""

    order: Order
    ship_to: Address
    warehouse: str
    carrier: str = ""
    service: str = ""

    @property
    def client_reference(self) -> str:
        return self.order.external_id or self.order.number


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal("0")


def _quantity(value: Decimal) -> int | str:
    return int(value) if value == value.to_integral_value() else str(value)


def build_address(address: Address) -> dict[str, Any]:
    return {
        "name": address.name,
        "lines": list(address.lines),
        "city": address.city,
        "region": address.state,
        "postal_code": address.postal_code,
        "country": address.country,
        "contact": address.contact,
        "phone": address.phone,
    }


def build_order(request: FulfilmentRequest) -> dict[str, Any]:
    order = request.order
    body: dict[str, Any] = {
        "client_reference": request.client_reference,
        "order_number": order.number,
        "warehouse": request.warehouse,
        "ship_to": build_address(request.ship_to),
        "lines": [
            {
                "line_no": line.line_no,
                "sku": line.sku,
                "quantity": _quantity(line.quantity.value),
                "uom": line.quantity.uom,
            }
            for line in order.lines
        ],
    }
    if request.carrier:
        body["carrier"] = {"code": request.carrier, "service": request.service}
    requested = min((ln.requested_date for ln in order.lines if ln.requested_date), default=None)
    if requested:
        body["requested_ship_date"] = requested.isoformat()
    return body


def parse_shipment(data: dict[str, Any]) -> Shipment:
    carrier = data.get("carrier") or {}
    packages = [
        Package(
            tracking_number=str(carton.get("tracking_number") or ""),
            carrier=str(carrier.get("code") or ""),
            weight=_decimal(carton["weight_kg"]) if carton.get("weight_kg") is not None else None,
        )
        for carton in data.get("cartons") or []
    ]
    lines = [
        ShipmentLine(
            int(line["line_no"]),
            str(line["sku"]),
            Quantity(_decimal(line["quantity_shipped"]), str(line.get("uom") or "EA")),
        )
        for line in data.get("lines") or []
    ]
    modified = data.get("created_at")
    return Shipment(
        source_system=SYSTEM,
        source_key=str(data["id"]),
        external_id=str(data.get("client_reference") or ""),
        modified_at=datetime.fromisoformat(modified) if modified else None,
        number=str(data["id"]),
        order_number=str(data.get("client_reference") or ""),
        ship_date=date.fromisoformat(data["ship_date"]) if data.get("ship_date") else None,
        carrier=str(carrier.get("code") or ""),
        service=str(carrier.get("service") or ""),
        status="in_transit",
        lines=lines,
        packages=packages,
    )


def tracking_numbers(shipment: Shipment) -> list[str]:
    return [p.tracking_number for p in shipment.packages if p.tracking_number]


def parse_inventory(data: dict[str, Any]) -> Availability:
    return Availability(
        source_system=SYSTEM,
        source_key=f"{data['warehouse']}:{data['sku']}",
        sku=str(data["sku"]),
        location=str(data["warehouse"]),
        on_hand=_decimal(data.get("on_hand")),
        allocated=_decimal(data.get("allocated")),
        available=_decimal(data.get("available")),
    )
