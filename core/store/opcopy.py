"""The operational copy: canonical records written into the store's tables, keyed by business key.

Reports, cross-checks and reconciliation read these tables; the jobs that pull from the
systems write them here, through one upsert per record type.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import records as rec
from core.store import models as m


def _sourced(record: rec.Record) -> dict[str, Any]:
    return {
        "source_system": record.source_system,
        "source_key": record.source_key,
        "modified_at": record.modified_at,
    }


def _customer(r: rec.Customer) -> tuple[dict, dict]:
    return {"number": r.number}, {
        **_sourced(r),
        "name": r.name,
        "currency": r.currency,
        "price_level": r.price_level,
        "priority": r.priority,
        "terms": r.terms,
        "active": r.active,
    }


def _ship_to(r: rec.ShipTo) -> tuple[dict, dict]:
    a = r.address
    lines = list(a.lines) + ["", ""]
    return (
        {"customer_number": r.customer_number, "code": r.code},
        {
            **_sourced(r),
            "name": a.name,
            "line1": lines[0],
            "line2": lines[1],
            "city": a.city,
            "state": a.state,
            "postal_code": a.postal_code,
            "country": a.country,
            "contact": a.contact,
            "is_default": r.default,
        },
    )


def _item(r: rec.Item) -> tuple[dict, dict]:
    return {"sku": r.sku}, {
        **_sourced(r),
        "description": r.description,
        "uom": r.uom,
        "active": r.active,
        "drop_ship": r.drop_ship,
        "kit": r.kit,
    }


def _price(r: rec.PriceListEntry) -> tuple[dict, dict]:
    return (
        {
            "sku": r.sku,
            "price_level": r.price_level,
            "currency": r.unit_price.currency,
            "min_quantity": r.min_quantity,
            "effective_from": r.effective_from,
        },
        {**_sourced(r), "unit_price": r.unit_price.amount, "effective_to": r.effective_to},
    )


def _availability(r: rec.Availability) -> tuple[dict, dict]:
    return (
        {"sku": r.sku, "location": r.location},
        {**_sourced(r), "on_hand": r.on_hand, "allocated": r.allocated, "available": r.available},
    )


def _order(r: rec.Order) -> tuple[dict, dict]:
    return {"number": r.number}, {
        **_sourced(r),
        "customer_number": r.customer_number,
        "ship_to_code": r.ship_to_code,
        "order_date": r.order_date,
        "currency": r.currency,
        "status": r.status,
        "ship_method": r.ship_method,
        "terms": r.terms,
        "on_hold": r.on_hold,
    }


def _order_line(order_number: str, line: rec.OrderLine) -> tuple[dict, dict]:
    """What was ordered; how far it got (shipped, backordered, status, location) is the flow
    jobs' to set, through set_line_progress, so a re-read order does not undo it."""
    return {"order_number": order_number, "line_no": line.line_no}, {
        "sku": line.sku,
        "quantity": line.quantity.value,
        "uom": line.quantity.uom,
        "unit_price": line.unit_price.amount,
        "currency": line.unit_price.currency,
        "requested_date": line.requested_date,
        "promised_date": line.promised_date,
    }


WRITERS: dict[type, tuple[type, Callable[[Any], tuple[dict, dict]]]] = {
    rec.Customer: (m.Customer, _customer),
    rec.ShipTo: (m.ShipTo, _ship_to),
    rec.Item: (m.Item, _item),
    rec.PriceListEntry: (m.PriceListEntry, _price),
    rec.Availability: (m.Inventory, _availability),
    rec.Order: (m.Order, _order),
}


def _check_lengths(model: type, values: dict[str, Any]) -> None:
    """Refuse text longer than its column on every engine (SQLite would keep it silently)."""
    for name, value in values.items():
        length = getattr(model.__table__.c[name].type, "length", None)
        if length and isinstance(value, str) and len(value) > length:
            raise ValueError(f"{name} {value[:40]!r} is longer than {length} characters")


def _upsert_row(session: Session, model: type, key: dict, values: dict) -> tuple[Any, str]:
    """Insert or update one row by its key; returns it and 'inserted', 'updated' or
    'unchanged'."""
    _check_lengths(model, {**key, **values})
    row = session.scalars(select(model).filter_by(**key)).first()
    if row is None:
        row = model(**key, **values)
        session.add(row)
        session.flush()
        return row, "inserted"
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    for name, value in changed.items():
        setattr(row, name, value)
    return row, "updated" if changed else "unchanged"


def upsert(session: Session, record: rec.Record, today: date | None = None) -> str:
    """Insert or update the record's row; returns 'inserted', 'updated' or 'unchanged'.

    `today` (UTC, by default) places an undated price in the store's price calendar."""
    if isinstance(record, rec.PriceListEntry) and _undated(record):
        return upsert_undated_price(session, record, today or datetime.now(timezone.utc).date())
    model, columns = WRITERS[type(record)]
    return _upsert_row(session, model, *columns(record))[1]


# --- prices from an ERP whose price lists have no dates -----------------------------------


def _undated(r: rec.PriceListEntry) -> bool:
    return r.effective_from is None and r.effective_to is None


def upsert_undated_price(session: Session, r: rec.PriceListEntry, today: date) -> str:
    """Store a price the ERP charges today, leaving the store's price calendar in charge.

    NetSuite keeps one price per item, level, currency and quantity break and no dates, so its
    price says what is charged today and nothing about other days. The store keeps the dates
    (Effective From / To of uploads, and the later prices that apply_uploads posts on their
    day), so for each such price, among the store's entries of the same item, level, currency
    and min quantity:

    1. none stored yet: an undated, open-ended entry at the ERP's price;
    2. the entry in effect today has that price: nothing changes;
    3. the entry in effect today is a scheduled upload row's that apply_uploads has not yet
       posted (its day has come, or its posting failed and waits for a retry): nothing
       changes; the ERP is behind by design and the job posts it;
    4. otherwise the price was changed in the ERP directly, and the ERP is right for today:
       the entry in effect today takes the ERP's price and keeps its dates; with no entry in
       effect today (a gap in the calendar), a new entry holds it from today (undated when
       nothing in the store starts before today) until the day before the next entry starts.

    So no entry's dates are ever cleared or moved, and later entries stay as scheduled.
    """
    same = {
        "sku": r.sku,
        "price_level": r.price_level,
        "currency": r.unit_price.currency,
        "min_quantity": r.min_quantity,
    }
    entries = list(session.scalars(select(m.PriceListEntry).filter_by(**same)))
    price = r.unit_price.amount
    current = _in_effect_on(entries, today)
    if not entries or (current is None and not _starts_by(entries, today)):
        starts: date | None = None
    elif current is None:
        starts = today
    elif current.unit_price == price or _unposted(session, current):
        return "unchanged"
    else:
        current.unit_price, current.modified_at = price, r.modified_at
        return "updated"
    later = [e.effective_from for e in entries if e.effective_from and e.effective_from > today]
    ends = min(later) - timedelta(days=1) if later else None
    key = {**same, "effective_from": starts}
    _upsert_row(session, m.PriceListEntry, key, {**_price(r)[1], "effective_to": ends})
    return "inserted"


def _in_effect_on(entries: list[m.PriceListEntry], day: date) -> m.PriceListEntry | None:
    running = [
        e for e in entries if (e.effective_from or date.min) <= day <= (e.effective_to or date.max)
    ]
    return max(running, key=lambda e: e.effective_from or date.min, default=None)


def _starts_by(entries: list[m.PriceListEntry], day: date) -> bool:
    return any((e.effective_from or date.min) <= day for e in entries)


def _unposted(session: Session, entry: m.PriceListEntry) -> bool:
    """Is this the entry of a price-list upload row still waiting to be posted on its day?"""
    if entry.effective_from is None:
        return False
    rows = session.scalars(
        select(m.UploadRow.payload)
        .join(m.Upload, m.Upload.id == m.UploadRow.upload_id)
        .where(m.UploadRow.status == "scheduled", m.Upload.kind == "price_list")
    )
    wanted = (entry.sku, entry.price_level, entry.currency, entry.min_quantity)
    for payload in rows:
        key = (payload or {}).get("key") or {}
        found = (key.get("item"), key.get("price_level"), key.get("currency"))
        if (*found, _decimal(key.get("min_quantity"))) == wanted and key.get(
            "effective_from"
        ) == entry.effective_from.isoformat():
            return True
    return False


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation:
        return None


# --- shipments, tracking and invoices (written by track_shipments and sync_invoices) ---------


def _shipment_header(r: rec.Shipment) -> dict[str, Any]:
    """What the ERP or 3PL knows of a shipment; tracking facts are the carrier's to write."""
    return {
        **_sourced(r),
        "order_number": r.order_number,
        "ship_date": r.ship_date,
        "carrier": r.carrier,
        "service": r.service,
        "tracking_number": next((p.tracking_number for p in r.packages if p.tracking_number), ""),
    }


def _replace_lines(
    session: Session, model: type, parent: dict[str, Any], key: str, lines: dict[Any, dict]
) -> None:
    """Make the stored lines of one parent exactly `lines` (keyed by `key`), in place."""
    stored = {getattr(row, key): row for row in session.scalars(select(model).filter_by(**parent))}
    for number, values in lines.items():
        _check_lengths(model, values)
        row = stored.pop(number, None)
        if row is None:
            session.add(model(**parent, **{key: number}, **values))
            continue
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
    for row in stored.values():
        session.delete(row)
    session.flush()


def upsert_shipment(session: Session, r: rec.Shipment) -> str:
    """Insert or update a shipment and its lines. Status, delivery and proof of delivery are
    set only on insert (from then on the carrier's tracking moves them), and a promised date
    once known is never cleared."""
    values = _shipment_header(r)
    _check_lengths(m.Shipment, {"number": r.number, **values})
    row = session.scalars(select(m.Shipment).filter_by(number=r.number)).first()
    outcome = "unchanged"
    if row is None:
        row = m.Shipment(number=r.number, status=r.status, **values)
        session.add(row)
        outcome = "inserted"
    else:
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                outcome = "updated"
    if r.promised_date and row.promised_date is None:
        row.promised_date = r.promised_date
    lines = {
        line.order_line_no: {
            "sku": line.sku,
            "quantity": line.quantity.value,
            "uom": line.quantity.uom,
        }
        for line in r.lines
    }
    _replace_lines(session, m.ShipmentLine, {"shipment_number": r.number}, "order_line_no", lines)
    return outcome


def add_tracking_events(
    session: Session, tracking_number: str, carrier: str, events: list[rec.TrackingEvent]
) -> int:
    """Append the events not stored yet (the table is append-only); returns how many."""
    stored = {
        (row.occurred_at, row.status)
        for row in session.scalars(
            select(m.TrackingEvent).filter_by(tracking_number=tracking_number)
        )
    }
    added = 0
    for event in events:
        if (event.occurred_at, event.status) in stored:
            continue
        stored.add((event.occurred_at, event.status))
        values = {
            "tracking_number": tracking_number,
            "carrier": carrier,
            "occurred_at": event.occurred_at,
            "status": event.status,
            "description": event.description,
            "location": event.location[:255],
            "reason_code": event.reason_code,
            "on_whom": event.on_whom,
        }
        _check_lengths(m.TrackingEvent, values)
        session.add(m.TrackingEvent(**values))
        added += 1
    session.flush()
    return added


def upsert_invoice(session: Session, r: rec.Invoice) -> str:
    """Insert or update an invoice and make its stored lines exactly the record's."""
    values = {
        **_sourced(r),
        "order_number": r.order_number,
        "customer_number": r.customer_number,
        "invoice_date": r.invoice_date,
        "currency": r.currency,
        "tax": r.tax,
        "freight": r.freight,
        "status": r.status,
    }
    _check_lengths(m.Invoice, {"number": r.number, **values})
    row = session.scalars(select(m.Invoice).filter_by(number=r.number)).first()
    outcome = "unchanged"
    if row is None:
        session.add(m.Invoice(number=r.number, **values))
        outcome = "inserted"
    else:
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                outcome = "updated"
    lines = {
        line.line_no: {
            "order_line_no": line.order_line_no,
            "sku": line.sku,
            "quantity": line.quantity.value,
            "unit_price": line.unit_price.amount,
            "currency": line.unit_price.currency,
        }
        for line in r.lines
    }
    _replace_lines(session, m.InvoiceLine, {"invoice_number": r.number}, "line_no", lines)
    return outcome


def upsert_order(session: Session, order: rec.Order, erp_number: str | None = None) -> m.Order:
    """The order header and its lines; erp_number is kept as it was when not given."""
    key, values = _order(order)
    if erp_number is not None:
        values["erp_number"] = erp_number
    row, _ = _upsert_row(session, m.Order, key, values)
    for line in order.lines:
        _upsert_row(session, m.OrderLine, *_order_line(order.number, line))
    return row


LINE_PROGRESS = ("quantity_shipped", "quantity_backordered", "status", "location")


def set_line_progress(session: Session, order_number: str, line_no: int, **fields: Any) -> None:
    """How far a line got: quantity_shipped, quantity_backordered, status, location."""
    unknown = set(fields) - set(LINE_PROGRESS)
    if unknown:
        raise ValueError(f"not line progress: {', '.join(sorted(unknown))}")
    row = session.scalars(
        select(m.OrderLine).filter_by(order_number=order_number, line_no=line_no)
    ).one()
    for name, value in fields.items():
        setattr(row, name, value)
