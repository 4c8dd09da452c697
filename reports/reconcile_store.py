"""Reading the three sides of a period from the store as columns for `reports.reconcile_core`:
plain columns through Core selects (no ORM objects), streamed in chunks straight into arrays.

Money and quantities leave the database as integers at the stored scale (ten-thousandths,
`Numeric(18, 4)`), rounded there, so no Decimal is made per line; quantities become
thousandths here, half up as `reconcile_core.from_decimal` rounds. Shipments and invoices are
read in key order, so the match can join them without grouping when their keys are unique.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from core.store import models as m
from reports.column_read import days, e4, milli, read_columns


def _key_order(session: Session, number: Any, line_no: Any) -> tuple[Any, Any]:
    """Key order as Python compares text (by code point), which the match checks to join a
    side without grouping; a PostgreSQL database collation may sort otherwise, "C" does not.
    SQLite's default (BINARY) already does."""
    if session.get_bind().dialect.name == "postgresql":
        number = number.collate("C")
    return number, line_no


def _in_period(date_from: date, date_to: date) -> Select:
    return select(m.Order.number).where(m.Order.order_date.between(date_from, date_to))


def _orders(session: Session, date_from: date, date_to: date) -> pd.DataFrame:
    line = m.OrderLine
    statement = (
        select(
            line.order_number,
            line.line_no,
            line.sku,
            func.coalesce(func.nullif(line.currency, ""), m.Order.currency),
            e4(line.quantity),
            e4(line.unit_price),
        )
        .select_from(line)
        .join(m.Order, m.Order.number == line.order_number)
        .where(m.Order.order_date.between(date_from, date_to))
    )
    kinds = {"order_number": "text", "line_no": "int", "sku": "text", "currency": "text"}
    got = read_columns(session, statement, kinds | {"quantity_e4": "int", "price_e4": "int"})
    got["quantity_milli"] = milli(got.pop("quantity_e4"))
    return pd.DataFrame({name: got[name] for name in (*kinds, "quantity_milli", "price_e4")})


def _shipments(session: Session, date_from: date, date_to: date) -> pd.DataFrame:
    shipment, line = m.Shipment, m.ShipmentLine
    statement = (
        select(
            shipment.order_number,
            line.order_line_no,
            e4(line.quantity),
            shipment.number,
            shipment.ship_date,  # ISO text from SQLite, a date from PostgreSQL: numpy takes both
            shipment.status == "delivered",
            or_(shipment.pod_location.is_not(None), shipment.pod_signed_by.is_not(None)),
        )
        .select_from(line)
        .join(shipment, shipment.number == line.shipment_number)
        .where(
            or_(
                shipment.order_number.in_(_in_period(date_from, date_to)),
                shipment.ship_date.between(date_from, date_to),
            )
        )
        .order_by(*_key_order(session, shipment.order_number, line.order_line_no))
    )
    kinds = {
        "order_number": "text",
        "line_no": "int",
        "quantity_e4": "int",
        "shipment_number": "text",
        "ship_date": "date",
        "delivered": "bool",
        "has_pod": "bool",
    }
    got = read_columns(session, statement, kinds)
    return pd.DataFrame(
        {
            "order_number": got["order_number"],
            "line_no": got["line_no"],
            "quantity_milli": milli(got["quantity_e4"]),
            "shipment_number": got["shipment_number"],
            "ship_day": days(got["ship_date"]),
            "delivered": got["delivered"],
            "has_pod": got["has_pod"],
        }
    )


def _invoices(session: Session, date_from: date, date_to: date) -> pd.DataFrame:
    invoice, line = m.Invoice, m.InvoiceLine
    line_no = func.coalesce(line.order_line_no, line.line_no)
    statement = (
        select(
            invoice.order_number,
            line_no,
            e4(line.quantity),
            e4(line.unit_price),
            func.coalesce(func.nullif(line.currency, ""), invoice.currency),
            invoice.number,
        )
        .select_from(line)
        .join(invoice, invoice.number == line.invoice_number)
        .where(
            and_(
                invoice.status != "cancelled",
                or_(
                    invoice.order_number.in_(_in_period(date_from, date_to)),
                    invoice.invoice_date.between(date_from, date_to),
                ),
            )
        )
        .order_by(*_key_order(session, invoice.order_number, line_no))
    )
    kinds = {
        "order_number": "text",
        "line_no": "int",
        "quantity_e4": "int",
        "price_e4": "int",
        "currency": "text",
        "invoice_number": "text",
    }
    got = read_columns(session, statement, kinds)
    got["quantity_milli"] = milli(got.pop("quantity_e4"))
    names = ("order_number", "line_no", "quantity_milli", "price_e4", "currency")
    return pd.DataFrame({name: got[name] for name in (*names, "invoice_number")})


def load_sides(
    session: Session, date_from: date, date_to: date
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three sides of the period as columns, money and quantities as integers: order
    lines of orders dated in the period; shipment and invoice lines of those orders, or dated
    in the period (cancelled invoices left out)."""
    return (
        _orders(session, date_from, date_to),
        _shipments(session, date_from, date_to),
        _invoices(session, date_from, date_to),
    )
