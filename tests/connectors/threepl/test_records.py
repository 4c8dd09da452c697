"""The 3PL's pure mapping, and its calls traced with the API key masked."""

from __future__ import annotations

import json
from decimal import Decimal

import responses

from connectors.threepl.connector import from_settings
from connectors.threepl.records import (
    FulfilmentRequest,
    build_order,
    parse_inventory,
    parse_shipment,
)
from core import http, retry
from core.records import Address, Money, Order, OrderLine, Quantity
from core.trace import install_tracing


def _request() -> FulfilmentRequest:
    lines = [
        OrderLine(1, "00123", Quantity(Decimal("2"), "CS"), Money(Decimal("5"), "USD")),
        OrderLine(2, "04500", Quantity(Decimal("1.5"), "KG"), Money(Decimal("5"), "USD")),
    ]
    order = Order(
        source_system="netsuite",
        source_key="77",
        external_id="OB-SO-77",
        number="SO-77",
        lines=lines,
    )
    return FulfilmentRequest(
        order, Address(name="A", lines=("1 Main St",), country="US"), "WH-NJ", "ups", "03"
    )


def test_build_order_keys_by_client_reference_and_keeps_codes_as_text() -> None:
    body = build_order(_request())
    assert body["client_reference"] == "OB-SO-77" and body["order_number"] == "SO-77"
    assert [(ln["sku"], ln["quantity"], ln["uom"]) for ln in body["lines"]] == [
        ("00123", 2, "CS"),
        ("04500", "1.5", "KG"),
    ]
    assert body["carrier"] == {"code": "ups", "service": "03"}


def test_parse_shipment_and_inventory() -> None:
    shipment = parse_shipment(
        {
            "id": "SHP-1",
            "client_reference": "OB-SO-77",
            "ship_date": "2026-03-03",
            "carrier": {"code": "ups", "service": "03"},
            "cartons": [
                {"carton_id": "C1", "tracking_number": "1Z1", "weight_kg": 2.5, "lines": []}
            ],
            "lines": [{"line_no": 1, "sku": "00123", "quantity_shipped": 2, "uom": "CS"}],
            "created_at": "2026-03-03T18:00:00+00:00",
        }
    )
    assert (shipment.number, shipment.order_number, shipment.carrier) == (
        "SHP-1",
        "OB-SO-77",
        "ups",
    )
    assert shipment.packages[0].weight == Decimal("2.5")
    assert shipment.lines[0].quantity == Quantity(Decimal("2"), "CS")
    stock = parse_inventory(
        {"sku": "00123", "warehouse": "WH-NJ", "on_hand": 10, "allocated": 4, "available": 6}
    )
    assert (stock.sku, stock.location, stock.available) == ("00123", "WH-NJ", Decimal("6"))


@responses.activate
def test_threepl_calls_are_traced_with_the_key_masked(settings, tmp_path) -> None:
    retry._BREAKERS.clear()
    install_tracing(tmp_path / "trace")
    try:
        responses.post(
            "https://api.sandbox-3pl.example/v1/orders",
            status=201,
            json={"order": {"id": "ORD-1", "client_reference": "OB-SO-77", "status": "received"}},
        )
        result = from_settings(settings).submit_order(_request())
    finally:
        http.clear_session_hooks()
    assert result.ok and result.their_id == "ORD-1"
    request = json.loads((tmp_path / "trace" / "threepl-000001-request.json").read_text())
    assert request["headers"]["x-api-key"] == "***"
    assert "sandbox-3pl-key" not in json.dumps(request)
    assert request["body"]["client_reference"] == "OB-SO-77"
