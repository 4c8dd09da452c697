"""What the order-flow jobs share: our keys in the ERP and the 3PL, the id map, the flows
settings, work-item versions, and the backorder exceptions a coordinator chases.

The ERP knows a Salesforce order under our external id "SF-<order number>"; orders entered in
the ERP before Orderbridge carry the bare order number and are matched by it. The 3PL knows
each fulfilment order under a client reference "OB-<order number>-<n>" that is decided before
it is sent, so a resend after a crash finds the first one.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core import records as rec
from core.backorder_queue import RELEASED  # noqa: F401 - push_fulfillments reads it here
from core.errors import TransientError
from core.store import models as m
from sync_jobs.leases import utcnow

log = logging.getLogger(__name__)

ERP_PREFIX = "SF-"
# An order from a trading partner's PO is numbered "EDI-<partner>-<PO number>" (connectors/
# edi): that number is its external id in the ERP as it stands, prefix and all.
EDI_PREFIX = "EDI-"
THREEPL_PREFIX = "OB-"
# What the ERP's status reads as on the Salesforce Order (ERP_Status__c).
STATUS_LABELS = {
    "pending_approval": "On Hold",
    "open": "Approved",
    "in_progress": "Partially Fulfilled",
    "partially_shipped": "Partially Fulfilled",
    "shipped": "Fulfilled",
    "billed": "Billed",
    "closed": "Closed",
    "cancelled": "Cancelled",
}
# How the 3PL ships an order, from the ERP order's ship method. The ERP's ship items are set up
# as "<CARRIER> <service code>" (NetSuite shipItem externalId "FEDEX FEDEX_2_DAY", "UPS 03");
# these names people also give them mean the same. An order without a ship method ships the
# 3PL's default (UPS Ground); one the table cannot read is rejected, never guessed.
CARRIERS = ("ups", "fedex", "dhl")
SHIP_METHOD_NAMES = {
    "ups ground": ("ups", "03"),
    "ups 2nd day air": ("ups", "02"),
    "ups next day air": ("ups", "01"),
    "fedex ground": ("fedex", "FEDEX_GROUND"),
    "fedex 2day": ("fedex", "FEDEX_2_DAY"),
    "fedex priority overnight": ("fedex", "PRIORITY_OVERNIGHT"),
    "dhl express worldwide": ("dhl", "EXPRESS_WORLDWIDE"),
    "dhl express 12:00": ("dhl", "EXPRESS_12:00"),
}
BACKORDER_SLA = timedelta(days=2)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class FlowSettings:
    price_tolerance_percent: Decimal
    create_missing_customers: bool
    warehouses: tuple[str, ...]
    backorder_release_rule: str
    availability_source: str


def flow_settings(settings: Any) -> FlowSettings:
    flows = settings.get_path("flows") or {}
    return FlowSettings(
        price_tolerance_percent=Decimal(str(flows.get("price_tolerance_percent", 2))),
        create_missing_customers=bool(flows.get("create_missing_customers", True)),
        warehouses=tuple(
            w.strip() for w in str(flows.get("warehouses") or "").split(",") if w.strip()
        ),
        backorder_release_rule=str(
            flows.get("backorder_release_rule") or "customer_priority,order_date"
        ),
        availability_source=str(flows.get("availability_source") or "threepl"),
    )


def erp_external_id(order_number: str) -> str:
    if order_number.startswith(EDI_PREFIX):
        return order_number
    return f"{ERP_PREFIX}{order_number}"


def erp_keys(order_number: str) -> list[str]:
    """The keys an order may have in the ERP: ours, then the bare number of a legacy order."""
    ours = erp_external_id(order_number)
    return [ours] if ours == order_number else [ours, order_number]


def our_number(erp_order: rec.Order) -> str:
    """The Salesforce order number behind an ERP order."""
    key = erp_order.external_id or ""
    return order_of_erp_key(key) if key else erp_order.number


def order_of_erp_key(key: str) -> str:
    """The order number an ERP reference names: 'SF-00000722' is ours, a bare number legacy."""
    return key[len(ERP_PREFIX) :] if key.startswith(ERP_PREFIX) else key


def client_reference(order_number: str, suffix: str) -> str:
    """'OB-<order>-<suffix>'; the suffix (no dash) tells one order's fulfilment orders apart."""
    if "-" in suffix:
        raise ValueError(f"a client reference suffix has no dash: {suffix!r}")
    return f"{THREEPL_PREFIX}{order_number}-{suffix}"


def order_of_reference(reference: str) -> str:
    """The order number in a client reference; a legacy reference is the number itself."""
    if reference.startswith(THREEPL_PREFIX):
        return reference[len(THREEPL_PREFIX) :].rsplit("-", 1)[0]
    return reference


def carrier_service(ship_method: str) -> tuple[str, str] | None:
    """(3PL carrier code, service code) of an ERP ship method; ("", "") for none (the 3PL's
    default), None for one that names no carrier we ship with."""
    method = " ".join(ship_method.split())
    if not method:
        return "", ""
    named = SHIP_METHOD_NAMES.get(method.lower())
    if named is not None:
        return named
    carrier, _, service = method.partition(" ")
    return (carrier.lower(), service) if carrier.lower() in CARRIERS and service else None


def version_of(payload: Any) -> str:
    """A work item's version: the same content is the same work, done once."""
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def order_payload(order: rec.Order) -> dict[str, Any]:
    """An order as a payload without its modification time, which says nothing of content."""
    data = rec.to_payload(order)
    assert isinstance(data, dict)
    data.pop("modified_at", None)
    return data


def bind(session: Session, entity: str, system: str, our_key: str, their_id: str) -> None:
    """Record in the id map which record of `system` is our `our_key`.

    Binding what is bound already (a resumed write) changes nothing. The system's word is the
    truth: when it names as ours an id the map holds for another of our keys, that older
    binding is stale (the system was reseeded, or reused the id) and gives way."""
    rows = session.scalars(
        select(m.IdMap).where(
            m.IdMap.entity == entity,
            m.IdMap.system == system,
            or_(m.IdMap.our_key == our_key, m.IdMap.their_id == their_id),
        )
    ).all()
    mine = next((row for row in rows if row.our_key == our_key), None)
    stale = [row for row in rows if row is not mine]
    for row in stale:
        log.warning(
            "%s %s %s is now %s, no longer %s: binding moved",
            system, entity, their_id, our_key, row.our_key,
        )  # fmt: skip
        session.delete(row)
    if stale:
        session.flush()  # the stale row goes before the id is bound again
    if mine is None:
        session.add(m.IdMap(entity=entity, system=system, our_key=our_key, their_id=their_id))
    elif mine.their_id != their_id:
        mine.their_id, mine.updated_at = their_id, utcnow()


def bound(session: Session, entity: str, system: str, our_key: str) -> str | None:
    return session.scalars(
        select(m.IdMap.their_id).filter_by(entity=entity, system=system, our_key=our_key)
    ).first()


def open_exception(
    session: Session,
    kind: str,
    business_key: str,
    order_number: str,
    source_job: str,
    message: str,
    hint: str,
    details: Any = None,
    value: rec.Money | None = None,
) -> None:
    """Open (or refresh) the exception a person must chase for this key, with the value at
    stake (the queue's Amount) where the caller knows it."""
    now = utcnow()
    row = session.scalars(
        select(m.OpsException).filter_by(kind=kind, business_key=business_key)
    ).first()
    if row is None:
        row = m.OpsException(
            kind=kind,
            business_key=business_key,
            opened_at=now,
            sla_due_at=now + BACKORDER_SLA,
            source_job=source_job,
        )
        session.add(row)
    row.order_number, row.message, row.hint, row.details = order_number, message, hint, details
    row.amount = value.amount if value else None
    row.currency = value.currency if value else None
    row.source_job, row.status, row.last_seen = source_job, "open", now
    row.resolved_at = row.resolved_by = None


def backorder_value(quantity: Decimal, unit_price: Decimal, currency: str) -> rec.Money:
    """What a backorder holds back: the backordered quantity at the line's unit price, to
    the cent."""
    return rec.Money((quantity * unit_price).quantize(CENT), currency)


def backorder_case_value(session: Session, case: m.OpsException) -> rec.Money | None:
    """The value of a backorder case (key "<order>/<line>") from its order line now."""
    number, _, line_no = case.business_key.rpartition("/")
    if not line_no.isdigit():
        return None
    line = session.scalars(
        select(m.OrderLine).filter_by(order_number=number, line_no=int(line_no))
    ).first()
    if line is None or line.quantity_backordered <= 0:
        return None
    return backorder_value(line.quantity_backordered, line.unit_price, line.currency)


def close_exception(session: Session, kind: str, business_key: str, comment: str) -> None:
    row = session.scalars(
        select(m.OpsException).filter_by(kind=kind, business_key=business_key, status="open")
    ).first()
    if row is not None:
        row.status, row.resolved_at, row.resolved_by = "resolved", utcnow(), "system"
        row.comment = comment


def is_kit(item: m.Item | None) -> bool:
    """A kit ships whole; the 3PL builds it from its components when it packs."""
    return item is not None and (item.kit or item.uom == "KIT")


def ship_to_address(session: Session, customer_number: str, code: str) -> rec.Address | None:
    row = session.scalars(
        select(m.ShipTo).filter_by(customer_number=customer_number, code=code)
    ).first()
    if row is None:
        return None
    return rec.Address(
        name=row.name,
        lines=tuple(x for x in (row.line1, row.line2) if x),
        city=row.city,
        state=row.state,
        postal_code=row.postal_code,
        country=row.country,
        contact=row.contact,
    )


def stock_by_warehouse(rows: Any) -> dict[str, dict[str, Decimal]]:
    """Availability rows as {warehouse: {sku: available}}."""
    stock: dict[str, dict[str, Decimal]] = {}
    for row in rows:
        stock.setdefault(row.location, {})[row.sku] = Decimal(row.available)
    return stock


def choose_warehouse(
    needs: dict[str, Decimal], stock: dict[str, dict[str, Decimal]], preference: tuple[str, ...]
) -> str | None:
    """The warehouse that fills most lines in full, then ships most units; ties go to the
    earlier in `preference`. None when no warehouse is known."""
    known = list(preference) + sorted(w for w in stock if w not in preference)
    if not known:
        return None

    def score(warehouse: str) -> tuple[int, Decimal, int]:
        have = stock.get(warehouse, {})
        full = sum(1 for sku, qty in needs.items() if have.get(sku, Decimal(0)) >= qty)
        units = sum(
            (min(qty, max(have.get(sku, Decimal(0)), Decimal(0))) for sku, qty in needs.items()),
            Decimal(0),
        )
        return full, units, -known.index(warehouse)

    return max(known, key=score)


def whole(value: Decimal) -> Decimal:
    """Whole units: the 3PL ships whole numbers."""
    return Decimal(int(value))


def require_master_data(session: Session, system: str, ship_tos: bool) -> None:
    """Stop the run, keeping its watermark, until pull_master_data has filled the store:
    judging orders against an empty item master or ship-to list would reject every one.
    `ship_tos`: whether the ERP has ship-tos of their own to pull (SAP's are partners)."""
    needed = [(m.Item, "item master")] + ([(m.ShipTo, "ship-to list")] if ship_tos else [])
    for model, what in needed:
        if session.scalars(select(model.id).limit(1)).first() is None:
            raise TransientError(
                f"the store has no {what} yet",
                system=system,
                hint="pull_master_data fills it; this job goes on after its first run",
            )
