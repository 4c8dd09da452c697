"""track_shipments: ask the carriers about every open shipment, store the tracking events, and
keep the shipment exceptions in the queue (late, no movement, damaged, returned to sender,
delivered without proof of delivery), each worth the shipment's value (its lines at their
order lines' prices).

Open shipments come from the store's shipments table. While the store holds no shipment at
all (a fresh install before any shipment sync ran), the ERP's shipments of the window are
read and written into the store as part of their work items, so tracking is useful at once.
One work item per shipment (its number is the business key); the carrier calls are batched
to each carrier's limit across the items of a run (FedEx 30 numbers a call).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors import get_connector
from connectors.carriers import guess_carrier
from connectors.carriers import status as st
from connectors.carriers.base import TrackResult
from core import records as rec
from core.errors import RecordRejectedError
from core.store import models as m
from core.store import session_scope
from core.store.opcopy import add_tracking_events, upsert_shipment
from sync_jobs.base import ItemSpec, Job, RunContext
from sync_jobs.exceptions import Case, fill_amounts, settle

KINDS = (
    "shipment_late",
    "shipment_no_movement",
    "shipment_damaged",
    "shipment_returned",
    "delivered_without_pod",
)
DONE = (st.RETURNED_TO_SENDER, st.CANCELLED)
DEFAULT_NO_MOVEMENT_DAYS = 4
CENT = Decimal("0.01")


class TrackShipments(Job):
    job_id = "track_shipments"
    # A fresh store takes the ERP's shipments of the last 90 days.
    first_window = timedelta(days=90)

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.carriers: dict[str, Any] = {}
        self.queued: dict[str, list[str]] = {}  # carrier -> tracking numbers planned this run
        self.results: dict[str, TrackResult] = {}

    # -- planning ------------------------------------------------------------------------------

    def plan(self, ctx: RunContext) -> Iterable[ItemSpec]:
        with session_scope(self.settings.database_url) as session:
            # A returned or damaged shipment is not asked about again, so a case raised
            # before its order was stored gets its amount here.
            fill_amounts(session, KINDS, case_value)
        version = ctx.window_end.isoformat()
        skipped = 0
        for number, carrier, tracking, seed in self._open_shipments(ctx):
            carrier = carrier or guess_carrier(tracking) or ""
            if not tracking or not carrier:
                skipped += 1
                continue
            self.queued.setdefault(carrier, []).append(tracking)
            payload = {"carrier": carrier, "tracking_number": tracking, "shipment": seed}
            yield ItemSpec(number, payload, version)
        if skipped:
            ctx.notes.append(f"{skipped} shipment(s) without a tracking number or carrier")

    def _open_shipments(self, ctx: RunContext) -> Iterable[tuple[str, str, str, Any]]:
        url = self.settings.database_url
        with session_scope(url) as session:
            stored = session.scalar(select(func.count()).select_from(m.Shipment))
            rows = session.execute(
                select(m.Shipment.number, m.Shipment.carrier, m.Shipment.tracking_number)
                .where(m.Shipment.status.not_in(DONE))
                .where(
                    (m.Shipment.status != st.DELIVERED)
                    | (m.Shipment.pod_location.is_(None) & m.Shipment.pod_signed_by.is_(None))
                )
                .order_by(m.Shipment.number)
            ).all()
        if stored:
            yield from ((n, c, t, None) for n, c, t in rows)
            return
        erp = get_connector(self.settings.erp, self.settings)
        self.carriers["_erp"] = erp
        ctx.notes.append(f"the store had no shipments; read them from {self.settings.erp}")
        for shipment in erp.read_changed("shipment", ctx.window_start, ctx.window_end):
            tracking = next((p.tracking_number for p in shipment.packages if p.tracking_number), "")
            yield shipment.number, shipment.carrier, tracking, rec.to_payload(shipment)

    # -- carrying out --------------------------------------------------------------------------

    def perform(self, ctx: RunContext, business_key: str, payload: Any) -> str | None:
        carrier, tracking = payload["carrier"], payload["tracking_number"]
        if payload.get("shipment"):
            with session_scope(self.settings.database_url) as session:
                upsert_shipment(session, rec.from_payload(rec.Shipment, payload["shipment"]))
        result = self._track(carrier, tracking)
        if not result.found:
            raise RecordRejectedError(
                f"{carrier} does not know tracking number {tracking}: {result.message}",
                system=carrier,
                key=business_key,
                error_class="missing",
                hint="check the tracking number on the shipment in the ERP or 3PL",
            )
        now = ctx.window_end
        with session_scope(self.settings.database_url) as session:
            row = session.scalars(select(m.Shipment).filter_by(number=business_key)).one()
            add_tracking_events(session, tracking, carrier, result.events)
            apply_tracking(row, result)
            days = self._no_movement_days(carrier)
            cases = shipment_cases(row, result, now, days, shipment_value(session, row))
            settle(session, self.settings, self.job_id, KINDS, business_key, cases, now)
        return None

    def _track(self, carrier: str, tracking: str) -> TrackResult:
        """The carrier's answer for one number; asks for a whole batch of this run's numbers."""
        if tracking not in self.results:
            connector = self._carrier(carrier)
            size = max(1, int(getattr(connector, "batch_size", 1)))
            others = [n for n in self.queued.get(carrier, []) if n not in self.results]
            batch = [tracking] + [n for n in others if n != tracking][: size - 1]
            for result in connector.track(batch):
                self.results[result.number] = result
        return self.results.get(tracking) or TrackResult(
            tracking, carrier, found=False, message="no reply for this number"
        )

    def _carrier(self, carrier: str) -> Any:
        if carrier not in self.carriers:
            self.carriers[carrier] = get_connector(carrier, self.settings)
        return self.carriers[carrier]

    def _no_movement_days(self, carrier: str) -> int:
        days = self.settings.get_path(f"connections.{carrier}.no_movement_days")
        return int(days if days is not None else DEFAULT_NO_MOVEMENT_DAYS)

    def api_calls(self) -> int:
        return sum(int(getattr(c, "api_calls", 0)) for c in self.carriers.values())


def apply_tracking(row: m.Shipment, result: TrackResult) -> None:
    """Move the stored shipment on by the carrier's answer (its status never moves back)."""
    row.status = st.merge_status(row.status, result.status)
    if result.pod is not None:
        row.delivered_at = result.pod.delivered_at
        row.pod_signed_by = result.pod.signed_by or ""
        row.pod_location = (result.pod.location or "")[:255]
    elif row.status == st.DELIVERED and row.delivered_at is None:
        delivered = [e.occurred_at for e in result.events if e.status == st.DELIVERED]
        row.delivered_at = max(delivered) if delivered else None
    if row.promised_date is None and result.estimated_delivery is not None:
        # The first date the carrier gave is kept as the promise; later estimates move.
        row.promised_date = result.estimated_delivery.date()


def has_pod(row: m.Shipment) -> bool:
    return row.pod_location is not None or row.pod_signed_by is not None


def shipment_value(session: Session, row: m.Shipment) -> rec.Money | None:
    """What the shipment carries: each of its lines at its order line's unit price, to the
    cent. None while the store lacks a line's order line (the order is not synced yet) or
    the lines mix currencies: an amount that leaves something out would mislead."""
    lines = session.execute(
        select(m.ShipmentLine.quantity, m.OrderLine.unit_price, m.OrderLine.currency)
        .outerjoin(
            m.OrderLine,
            (m.OrderLine.order_number == row.order_number)
            & (m.OrderLine.line_no == m.ShipmentLine.order_line_no),
        )
        .where(m.ShipmentLine.shipment_number == row.number)
    ).all()
    currencies = {currency for _, _, currency in lines}
    if not lines or None in currencies or len(currencies) > 1:
        return None
    total = sum((quantity * price for quantity, price, _ in lines), Decimal(0))
    return rec.Money(total.quantize(CENT), currencies.pop())


def case_value(session: Session, case: m.OpsException) -> rec.Money | None:
    """The value of the shipment a case is about (its business key is the shipment)."""
    row = session.scalars(select(m.Shipment).filter_by(number=case.business_key)).first()
    return shipment_value(session, row) if row is not None else None


def shipment_cases(
    row: m.Shipment,
    result: TrackResult,
    now: datetime,
    no_movement_days: int,
    value: rec.Money | None = None,
) -> list[Case]:
    """The one exception a shipment is in now, if any, worth `value`; the most specific cause
    wins (a damaged parcel is also late, but damage is what someone must act on)."""
    base = {
        "order_number": row.order_number,
        "system": row.carrier,
        "amount": value.amount if value else None,
        "currency": value.currency if value else None,
    }
    details = {
        "shipment": row.number,
        "tracking_number": row.tracking_number,
        "carrier": row.carrier,
        "status": row.status,
        "promised_date": row.promised_date.isoformat() if row.promised_date else None,
    }
    if row.status == st.DELIVERED:
        if has_pod(row):
            return []
        return [
            Case(
                "delivered_without_pod",
                row.number,
                f"{row.carrier} reports shipment {row.number} delivered without proof of delivery",
                hint="ask the carrier for the proof of delivery before the customer disputes it",
                details=details,
                **base,
            )
        ]
    if row.status == st.RETURNED_TO_SENDER:
        return [
            Case(
                "shipment_returned",
                row.number,
                f"shipment {row.number} is being returned to the sender",
                hint="contact the customer about the address or refusal, then reship or credit",
                details={**details, "reason": result.reason_code},
                **base,
            )
        ]
    if row.status == st.EXCEPTION and _damaged(result):
        return [
            Case(
                "shipment_damaged",
                row.number,
                f"{row.carrier} reports shipment {row.number} damaged",
                hint="file a carrier claim and reship the order",
                details=details,
                **base,
            )
        ]
    last = st.stalled_since(result.events, now, no_movement_days)
    if last is not None:
        days = (now - last).days
        return [
            Case(
                "shipment_no_movement",
                row.number,
                f"shipment {row.number} has not moved for {days} days",
                hint="open a trace with the carrier",
                details={**details, "last_event_at": last.isoformat(), "days": days},
                **base,
            )
        ]
    if row.promised_date is not None and now.date() > row.promised_date:
        days = (now.date() - row.promised_date).days
        return [
            Case(
                "shipment_late",
                row.number,
                f"shipment {row.number} is {days} day(s) past its promised date",
                hint="tell the customer the new date",
                details={**details, "days_late": days},
                **base,
            )
        ]
    return []


def _damaged(result: TrackResult) -> bool:
    return result.reason_code == "damaged" or any(e.reason_code == "damaged" for e in result.events)
