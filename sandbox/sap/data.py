"""SAP's part of the shared world, stored as SAP rows (VBAK/VBAP, LIKP/LIPS, VBRK/VBRP, KNA1,
MARA, A-table prices, MARD stock) in the sandbox state, and read back as ZOB_* rows.

Numbers are the world's (sales order 00000662, delivery SH-000001, billing INV-000001), so
every simulator tells the same story. Price lists travel as SAP's two-character PLTYP codes.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sandbox.state import SandboxState

SYSTEM = "sap"
PRICE_LISTS = {"Base Price": "01", "Wholesale": "02", "Distributor": "03"}
ORDER_STATUS = {  # world status -> (GBSTK overall status, LIFSK delivery block)
    "draft": ("A", ""),
    "booked": ("A", ""),
    "on_hold": ("A", "01"),
    "cancelled": ("C", ""),
    "partially_shipped": ("B", ""),
    "shipped": ("C", ""),
}


def _terms(days: int) -> str:
    return f"NT{days:02d}"[:4]


def order_payload(order: Any, shipped: dict[tuple[str, int], int]) -> dict[str, Any]:
    status, block = ORDER_STATUS.get(order.status, ("A", ""))
    items = []
    for line in order.lines:
        done = shipped.get((order.number, line.line_no), 0)
        items.append(
            {
                "POSNR": f"{line.line_no * 10:06d}",
                "MATNR": line.sku,
                "KWMENG": str(line.quantity),
                "VRKME": line.uom,
                "NETPR": str(line.unit_price),
                "EDATU": order.requested_date.isoformat(),
                "WERKS": "",
                "ABGRU": "Z1" if order.status == "cancelled" else "",
                "LFIMG": str(done),
                "FKIMG": str(done),
            }
        )
    return {
        "header": {
            "VBELN": order.number,
            "AUART": "OR",
            "BSTNK": order.po_number,
            "KUNNR": order.customer_code,
            "KUNWE": order.ship_to_code,
            "AUDAT": order.ordered_at.date().isoformat(),
            "WAERK": order.currency,
            "ZTERM": "",
            "VSBED": "",
            "LIFSK": block,
            "GBSTK": status,
        },
        "items": items,
    }


def seed(state: SandboxState) -> None:
    """Copy the world into SAP's records (Simulator.on_reset)."""
    world = state.world
    for c in world.customers:
        row = {
            "KUNNR": c.code,
            "NAME1": c.name[:35],
            "WAERS": c.currency,
            "PLTYP": PRICE_LISTS.get(c.price_level, ""),
            "ZTERM": _terms(c.terms_days),
            "AUFSD": "" if c.is_active else "01",
        }
        state.put_record(SYSTEM, "customer", None, row, internal_id=c.code)
    for s in world.ship_tos:
        row = {"KUNNR": s.code, "NAME1": s.name[:35], "COUNTRY": s.country}
        state.put_record(SYSTEM, "ship_to", None, row, internal_id=s.code)
    for i in world.items:
        row = {
            "MATNR": i.sku,
            "MAKTX": i.description[:40],
            "MEINS": i.uom,
            "VMSTA": "" if i.is_active else "02",
        }
        state.put_record(SYSTEM, "material", None, row, internal_id=i.sku)
    for n, p in enumerate(world.price_entries, start=1):
        row = {
            "KNUMH": f"{n:010d}",
            "MATNR": p.sku,
            "PLTYP": PRICE_LISTS.get(p.price_level, ""),
            "KBETR": str(p.unit_price),
            "KONWA": p.currency,
            "KSTBM": str(p.min_quantity),
            "DATAB": "",
            "DATBI": "9999-12-31",
        }
        state.put_record(SYSTEM, "price", None, row, internal_id=row["KNUMH"])
    for s in world.inventory:
        row = {
            "MATNR": s.sku,
            "WERKS": s.warehouse.removeprefix("WH-")[:4],
            "LABST": str(s.on_hand),
            "RESERVED": str(s.allocated),
            "AVAILABLE": str(max(0, s.on_hand - s.allocated)),
        }
        state.put_record(SYSTEM, "stock", None, row, internal_id=f"{s.sku}@{row['WERKS']}")
    shipped: dict[tuple[str, int], int] = {}
    for sh in world.shipments:
        for line in sh.lines:
            key = (sh.order_number, line.line_no)
            shipped[key] = shipped.get(key, 0) + line.quantity
    for order in world.orders:
        payload = order_payload(order, shipped)
        state.put_record(SYSTEM, "sales_order", None, payload, internal_id=order.number)
    for sh in world.shipments:
        state.put_record(SYSTEM, "delivery", None, delivery_payload(sh), internal_id=sh.number)
    for inv in world.invoices:
        state.put_record(
            SYSTEM, "billing_document", None, billing_payload(inv), internal_id=inv.number
        )


def delivery_payload(sh: Any) -> dict[str, Any]:
    return {
        "header": {
            "VBELN": sh.number,
            "VGBEL": sh.order_number,
            "WADAT_IST": sh.ship_date.isoformat(),
            "LFDAT": sh.promised_date.isoformat(),
            "VSBED": "",
            "TDLNR": sh.carrier.upper(),
            "BOLNR": sh.tracking_number,
            "WBSTK": "C",
        },
        "items": [
            {
                "POSNR": f"{n * 10:06d}",
                "VGPOS": f"{line.line_no * 10:06d}",
                "MATNR": line.sku,
                "LFIMG": str(line.quantity),
                "VRKME": "EA",
            }
            for n, line in enumerate(sh.lines, start=1)
        ],
    }


def billing_payload(inv: Any) -> dict[str, Any]:
    return {
        "header": {
            "VBELN": inv.number,
            "AUBEL": inv.order_number,
            "KUNRG": inv.customer_code,
            "FKDAT": inv.invoice_date.isoformat(),
            "WAERK": inv.currency,
            "MWSBK": str(inv.tax),
            "FRACHT": str(inv.freight),
            "FKSTO": "",
            "RFBSK": "C",
        },
        "items": [
            {
                "POSNR": f"{line.line_no * 10:06d}",
                "AUPOS": f"{line.line_no * 10:06d}",
                "MATNR": line.sku,
                "FKIMG": str(line.quantity),
                "VRKME": "EA",
                "NETPR": str(line.unit_price),
            }
            for line in inv.lines
        ],
    }


def changed_at(record: dict[str, Any]) -> str:
    moment = datetime.fromisoformat(record["modified_at"]).astimezone(timezone.utc)
    return moment.strftime("%Y%m%d%H%M%S")


def abap_timestamp(value: str | None) -> datetime | None:
    if not value or Decimal(value) == 0:
        return None
    text = f"{int(Decimal(value)):014d}"
    return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
