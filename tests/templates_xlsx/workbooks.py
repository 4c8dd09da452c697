"""Build workbooks for tests: templates filled with rows, ZIP surgery for hostile variants,
and a small seeded store that the cross-checks read."""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from core.store import session_scope
from core.store.models import (
    Customer,
    Item,
    Order,
    OrderLine,
    PriceListEntry,
    ShipTo,
)
from templates_xlsx import get_kind
from templates_xlsx.template import build_workbook

TODAY = date(2026, 3, 1)
SOURCE = {"source_system": "netsuite", "source_key": "x"}

ORDER_ROW = {
    "order": "00000123",
    "line": 1,
    "action": None,
    "item": "SKU-1",
    "quantity": Decimal("12"),
    "requested_date": date(2026, 4, 1),
    "promised_date": None,
    "ship_to": "002",
    "ship_method": "Ground",
}
PRICE_ROW = {
    "item": "SKU-1",
    "price_level": "LIST",
    "currency": "USD",
    "unit_price": Decimal("10.50"),
    "min_quantity": Decimal("0"),
    "effective_from": date(2026, 1, 1),
    "effective_to": None,
}
SHIP_TO_ROW = {
    "customer": "C001",
    "code": "003",
    "name": "East warehouse",
    "line1": "1 Main St",
    "line2": None,
    "city": "Boston",
    "state": "MA",
    "postal_code": "02134",
    "country": "US",
    "contact": "Ann",
    "is_default": False,
}
ROWS = {"order_changes": ORDER_ROW, "price_list": PRICE_ROW, "ship_tos": SHIP_TO_ROW}


def seed_store(url: str) -> None:
    with session_scope(url) as session:
        session.add_all(
            [
                Customer(number="C001", name="Acme", currency="USD", **SOURCE),
                Customer(number="C002", name="Bolt", currency="USD", **SOURCE),
                _ship_to("C001", "001", is_default=True),
                _ship_to("C001", "002"),
                _ship_to("C002", "001", is_default=True),
                Item(sku="SKU-1", **SOURCE),
                Item(sku="SKU-2", **SOURCE),
                Item(sku="SKU-9", active=False, **SOURCE),
                Order(number="00000123", customer_number="C001", ship_to_code="001", **SOURCE),
                Order(number="00000124", customer_number="C002", status="shipped", **SOURCE),
                _line(1, "SKU-1", "10", shipped="2"),
                _line(2, "SKU-9", "5"),
                _line(3, "SKU-2", "1", status="cancelled"),
                PriceListEntry(
                    sku="SKU-1",
                    price_level="LIST",
                    currency="USD",
                    unit_price=Decimal("10.00"),
                    min_quantity=Decimal("0"),
                    effective_from=date(2026, 1, 1),
                    **SOURCE,
                ),
            ]
        )


def _ship_to(customer: str, code: str, is_default: bool = False) -> ShipTo:
    return ShipTo(
        customer_number=customer,
        code=code,
        name=f"{customer} dock {code}",
        line1="1 Harbor Rd",
        city="Newark",
        state="NJ",
        postal_code="07102",
        country="US",
        is_default=is_default,
        **SOURCE,
    )


def _line(number: int, sku: str, qty: str, shipped: str = "0", status: str = "open") -> OrderLine:
    return OrderLine(
        order_number="00000123",
        line_no=number,
        sku=sku,
        quantity=Decimal(qty),
        unit_price=Decimal("3.00"),
        quantity_shipped=Decimal(shipped),
        requested_date=date(2026, 2, 1),
        status=status,
    )


def workbook_bytes(kind: str, rows: list[dict[str, Any]] | None = None, **kwargs: Any) -> bytes:
    buffer = io.BytesIO()
    build_workbook(get_kind(kind), rows=rows, **kwargs).save(buffer)
    return buffer.getvalue()


def edited(kind: str, rows: list[dict[str, Any]], edit: Any) -> bytes:
    """A template with rows, then changed through openpyxl by `edit(workbook)`."""
    workbook = build_workbook(get_kind(kind), rows=rows)
    edit(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(
    data: bytes,
    replace: dict[str, bytes] | None = None,
    drop: tuple[str, ...] = (),
    add: dict[str, bytes] | None = None,
) -> bytes:
    """The same package with parts replaced, dropped or added."""
    content = parts(data)
    content.update(replace or {})
    content.update(add or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in content.items():
            if name not in drop:
                archive.writestr(name, body)
    return buffer.getvalue()


def add_content_type(data: bytes, part: str, content_type: str) -> bytes:
    types = parts(data)["[Content_Types].xml"]
    override = f'<Override PartName="/{part}" ContentType="{content_type}"/>'.encode()
    return rezip(data, {"[Content_Types].xml": types.replace(b"</Types>", override + b"</Types>")})


def sheet_xml(cells: str, extra: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{extra}<sheetData>{cells}</sheetData></worksheet>"
    ).encode()


def with_sheet(data: bytes, xml: bytes) -> bytes:
    return rezip(data, {"xl/worksheets/sheet1.xml": xml})


def patch_sizes(data: bytes, name: str, declared: int) -> bytes:
    """Declare another uncompressed size for one part, in both headers (CRC unchanged)."""
    raw = bytearray(data)
    encoded = name.encode()
    local = raw.find(b"PK\x03\x04")
    while local != -1:
        name_len = struct.unpack_from("<H", raw, local + 26)[0]
        if raw[local + 30 : local + 30 + name_len] == encoded:
            struct.pack_into("<I", raw, local + 22, declared)
        local = raw.find(b"PK\x03\x04", local + 4)
    central = raw.find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack_from("<H", raw, central + 28)[0]
        if raw[central + 46 : central + 46 + name_len] == encoded:
            struct.pack_into("<I", raw, central + 24, declared)
        central = raw.find(b"PK\x01\x02", central + 4)
    return bytes(raw)


def point_entry_at(data: bytes, name: str, other: str) -> bytes:
    """Make the central directory entry of `name` start at `other`'s local header."""
    raw = bytearray(data)
    offsets = {}
    central = raw.find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack_from("<H", raw, central + 28)[0]
        entry = raw[central + 46 : central + 46 + name_len].decode()
        offsets[entry] = central
        central = raw.find(b"PK\x01\x02", central + 4)
    target = struct.unpack_from("<I", raw, offsets[other] + 42)[0]
    struct.pack_into("<I", raw, offsets[name] + 42, target)
    return bytes(raw)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path
