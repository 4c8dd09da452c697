"""The KPIs' line-level data: one row per order line of the orders dated in the period, with
what happened to it (shipped when and how much, delivered when, damaged, invoiced right).

A line's promised date is its own (the ERP's promise), else the promised delivery date of the
shipment carrying it; what is invoiced comes from the invoice lines where there are any, else
from the ERP's order line. This frame is what every KPI is computed from and what the KPI
workbook's Data sheet holds, so a person can recompute every figure from it. It is read with
plain Core selects into arrays (`reports.column_read`), then shaped with pandas: shipments
are folded per line in ship-date order, so "first shipment" means the earliest ship date
(shipment number breaks a tie).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.store import models as m
from reports.column_read import e4, read_columns

# The Data sheet's columns, in order.
DATA_COLUMNS = (
    "order",
    "line",
    "customer",
    "item",
    "warehouse",
    "carrier",
    "ordered_qty",
    "first_shipped_qty",
    "shipped_qty",
    "order_date",
    "promised_date",
    "requested_date",
    "ship_date",
    "delivery_date",
    "damaged",
    "documentation_correct",
    "discrepancy",
    "cancelled",
    "invoiced",
    "pod_on_file",
    "value",
    "currency",
)
DATE_COLUMNS = ("order_date", "promised_date", "requested_date", "ship_date", "delivery_date")
DISCREPANCY_KINDS = ("invoice_", "recon_")
DAMAGED_KIND = "shipment_damaged"


def _qty(values: np.ndarray) -> np.ndarray:
    """Ten-thousandths (as the store keeps quantities) as plain numbers."""
    return values.astype(np.float64) / 10000


def _lines(session: Session, date_from: date, date_to: date) -> pd.DataFrame:
    line, order = m.OrderLine, m.Order
    statement = (
        select(
            line.order_number,
            line.line_no,
            order.customer_number,
            line.sku,
            line.location,
            e4(line.quantity),
            e4(line.unit_price),
            func.coalesce(func.nullif(line.currency, ""), order.currency),
            order.order_date,
            line.promised_date,
            line.requested_date,
            or_(line.status == "cancelled", order.status == "cancelled"),
            e4(line.quantity_invoiced),
        )
        .select_from(line)
        .join(order, order.number == line.order_number)
        .where(order.order_date.between(date_from, date_to))
    )
    kinds = {
        "order": "text",
        "line": "int",
        "customer": "text",
        "item": "text",
        "warehouse": "text",
        "quantity_e4": "int",
        "price_e4": "int",
        "currency": "text",
        "order_date": "date",
        "promised_date": "date",
        "requested_date": "date",
        "cancelled": "bool",
        "invoiced_e4": "int",
    }
    got = read_columns(session, statement, kinds)
    frame = pd.DataFrame({name: got[name] for name in kinds})
    frame["ordered_qty"] = _qty(frame.pop("quantity_e4").to_numpy())
    frame["invoiced_qty"] = _qty(frame.pop("invoiced_e4").to_numpy())
    # value at the stored scale, rounded to cents once: what the line is worth as ordered
    price = frame.pop("price_e4").to_numpy().astype(np.float64) / 10000
    frame["value"] = np.round(frame["ordered_qty"].to_numpy() * price, 2)
    return frame


def _shipments(session: Session, date_from: date, date_to: date) -> pd.DataFrame:
    shipment, line = m.Shipment, m.ShipmentLine
    in_period = select(m.Order.number).where(m.Order.order_date.between(date_from, date_to))
    statement = (
        select(
            shipment.order_number,
            line.order_line_no,
            e4(line.quantity),
            shipment.number,
            shipment.ship_date,
            shipment.carrier,
            shipment.delivered_at,
            or_(shipment.pod_location.is_not(None), shipment.pod_signed_by.is_not(None)),
            shipment.promised_date,
        )
        .select_from(line)
        .join(shipment, shipment.number == line.shipment_number)
        .where(shipment.order_number.in_(in_period), shipment.status != "cancelled")
    )
    kinds = {
        "order": "text",
        "line": "int",
        "quantity_e4": "int",
        "shipment": "text",
        "ship_date": "date",
        "carrier": "text",
        "delivered_at": "text",
        "pod": "bool",
        "shipment_promised": "date",
    }
    got = read_columns(session, statement, kinds)
    frame = pd.DataFrame({name: got[name] for name in kinds})
    frame["quantity"] = _qty(frame.pop("quantity_e4").to_numpy())
    delivered = pd.to_datetime(frame.pop("delivered_at"), utc=True, format="ISO8601")
    frame["delivery_date"] = delivered.dt.tz_localize(None).to_numpy().astype("datetime64[D]")
    damaged = select(m.OpsException.business_key).where(m.OpsException.kind == DAMAGED_KIND)
    frame["damaged"] = frame["shipment"].isin(set(session.scalars(damaged)))
    return frame


def _per_line(shipments: pd.DataFrame) -> pd.DataFrame:
    """Shipments folded to one row per order line: the first shipment's date, carrier and
    quantity; the total; delivered (every shipment of it delivered) on the last delivery."""
    ordered = shipments.sort_values(["order", "line", "ship_date", "shipment"], na_position="last")
    groups = ordered.groupby(["order", "line"], sort=False)
    folded = groups.agg(
        ship_date=("ship_date", "first"),
        carrier=("carrier", "first"),
        first_shipped_qty=("quantity", "first"),
        shipped_qty=("quantity", "sum"),
        delivery_date=("delivery_date", "max"),
        deliveries=("delivery_date", "count"),
        shipments=("quantity", "size"),
        pod_on_file=("pod", "all"),
        damaged=("damaged", "any"),
        shipment_promised=("shipment_promised", "first"),
    )
    undelivered = folded.pop("deliveries") < folded.pop("shipments")
    folded.loc[undelivered, "delivery_date"] = pd.NaT
    return folded.reset_index()


def _invoiced(session: Session, date_from: date, date_to: date) -> pd.DataFrame:
    """Quantity invoiced per order line, from the invoice lines of invoices not cancelled."""
    invoice, line = m.Invoice, m.InvoiceLine
    in_period = select(m.Order.number).where(m.Order.order_date.between(date_from, date_to))
    statement = (
        select(
            invoice.order_number, func.coalesce(line.order_line_no, line.line_no), e4(line.quantity)
        )  # fmt: skip
        .select_from(line)
        .join(invoice, invoice.number == line.invoice_number)
        .where(invoice.order_number.in_(in_period), invoice.status != "cancelled")
    )
    got = read_columns(session, statement, {"order": "text", "line": "int", "qty_e4": "int"})
    frame = pd.DataFrame({"order": got["order"], "line": got["line"],
                          "billed_qty": _qty(got["qty_e4"])})  # fmt: skip
    return frame.groupby(["order", "line"], as_index=False)["billed_qty"].sum()


def _discrepant_orders(session: Session) -> set[str]:
    kinds = or_(*(m.OpsException.kind.startswith(kind) for kind in DISCREPANCY_KINDS))
    query = select(m.OpsException.order_number).where(
        m.OpsException.status == "open", m.OpsException.order_number.is_not(None), kinds
    )
    return set(session.scalars(query))


def load_lines(session: Session, date_from: date, date_to: date) -> pd.DataFrame:
    """The period's order lines with their outcome, in DATA_COLUMNS order, sorted by order
    and line. Dates are datetime64[D] (NaT where there is none)."""
    lines = _lines(session, date_from, date_to)
    shipped = _per_line(_shipments(session, date_from, date_to))
    frame = lines.merge(shipped, on=["order", "line"], how="left")
    frame = frame.merge(_invoiced(session, date_from, date_to), on=["order", "line"], how="left")
    # what the invoices say where there are any, else what the ERP's order line says
    frame["invoiced_qty"] = frame.pop("billed_qty").fillna(frame["invoiced_qty"])
    # the line's promised date, else the promised delivery of the shipment carrying it
    promised = frame.pop("shipment_promised")
    frame["promised_date"] = frame["promised_date"].fillna(promised)
    frame["carrier"] = frame["carrier"].fillna("")
    for column in ("first_shipped_qty", "shipped_qty"):
        frame[column] = frame[column].fillna(0.0)
    for column in ("pod_on_file", "damaged"):
        frame[column] = frame[column].fillna(False).astype(bool)
    frame["invoiced"] = frame["invoiced_qty"] > 0
    frame["documentation_correct"] = frame.pop("invoiced_qty") == frame["shipped_qty"]
    frame["discrepancy"] = frame["order"].isin(_discrepant_orders(session))
    for column in DATE_COLUMNS:
        frame[column] = frame[column].astype("datetime64[s]")
    frame = frame.sort_values(["order", "line"], ignore_index=True)
    return frame[list(DATA_COLUMNS)]
