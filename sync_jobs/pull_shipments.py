"""pull_shipments: the 3PL's shipment confirmations become ERP item fulfilments and the store's
shipments, with their lines, packages and tracking numbers; order lines count what shipped.

One work item per 3PL shipment (its id never changes). The item fulfilment is written under
our external id "3PL-<shipment id>", so an interrupted item is confirmed by reading it back.
Partial shipments are items like any other: a line's shipped quantity is the sum of its
shipments in the store, recomputed, never incremented. SAP records its deliveries itself, so
with SAP as the ERP only the store is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors import get_connector
from core import records as rec
from core.errors import RecordRejectedError, TransientError
from core.store import models as m
from core.store import session_scope
from core.store.opcopy import set_line_progress, upsert_shipment
from sync_jobs.base import ItemSpec, Job, RunContext
from sync_jobs.flows_common import (
    bind,
    close_exception,
    erp_keys,
    order_of_erp_key,
    order_of_reference,
    version_of,
)

TPL = "threepl"
# ERPs whose connector writes item fulfilments (SAP's delivery is SAP's own document).
WRITES_FULFILMENTS = ("netsuite",)


def fulfilment_id(shipment_number: str) -> str:
    return f"3PL-{shipment_number}"


class PullShipments(Job):
    job_id = "pull_shipments"

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.url = settings.database_url
        self.erp_system = str(settings.erp)
        self.erp = get_connector(self.erp_system, settings)
        self.tpl = get_connector(TPL, settings)

    def plan(self, ctx: RunContext) -> Iterable[ItemSpec]:
        for shipment in self.tpl.read_changed("shipment", ctx.window_start, ctx.window_end):
            yield ItemSpec(shipment.number, rec.to_payload(shipment))
        if self.erp_system in WRITES_FULFILMENTS:
            yield from self._erp_fulfilments(ctx)

    def _erp_fulfilments(self, ctx: RunContext) -> Iterable[ItemSpec]:
        """The ERP's own item fulfilments changed in the window (entered there, or before
        Orderbridge), so the store's picture of what shipped never depends on which job ran
        first. Those we wrote from a 3PL shipment ("3PL-<id>") are that shipment's items."""
        for shipment in self.erp.read_changed("shipment", ctx.window_start, ctx.window_end):
            if (shipment.external_id or "").startswith(fulfilment_id("")):
                continue
            payload = {"erp": rec.to_payload(shipment)}
            yield ItemSpec(shipment.number, payload, version_of(payload))

    def perform(self, ctx: RunContext, business_key: str, payload: Any) -> str | None:
        if "erp" in payload:
            return self._store_erp(payload["erp"])
        shipment = rec.from_payload(rec.Shipment, payload)
        assert isinstance(shipment, rec.Shipment)
        number = order_of_reference(shipment.order_number)
        note = "stored"
        if self.erp_system in WRITES_FULFILMENTS:
            note = self._write_fulfilment(shipment, number)
        self._store(shipment, number)
        return note

    def confirm(self, ctx: RunContext, business_key: str, payload: Any) -> bool:
        """Landed when the ERP has the item fulfilment; the store part is then finished here."""
        if self.erp_system not in WRITES_FULFILMENTS or "erp" in payload:
            return False  # only the store is written, and that is safe to repeat
        if not self.erp.read("shipment", [fulfilment_id(business_key)]):
            return False
        shipment = rec.from_payload(rec.Shipment, payload)
        assert isinstance(shipment, rec.Shipment)
        self._store(shipment, order_of_reference(shipment.order_number))
        return True

    def _write_fulfilment(self, shipment: rec.Shipment, number: str) -> str:
        found = self.erp.read("order", erp_keys(number))
        order = next((o for o in found if o.external_id in erp_keys(number)), None)
        if order is None:
            raise RecordRejectedError(
                f"the ERP has no sales order {number} for 3PL shipment {shipment.number}",
                system=self.erp_system,
                key=shipment.number,
                error_class="missing",
                hint="post the order to the ERP (sync_orders), then retry from the error queue",
            )
        fulfilment = replace(
            shipment,
            source_system=TPL,
            external_id=fulfilment_id(shipment.number),
            order_number=order.external_id or number,
            # The 3PL's service code is not a ship item the ERP knows; the store keeps it.
            service="",
        )
        (result,) = self.erp.upsert("shipment", [fulfilment])
        if not result.ok:
            if result.transient:
                raise TransientError(result.message, system=self.erp_system, key=shipment.number)
            raise RecordRejectedError(
                result.message or "the ERP refused the item fulfilment",
                system=self.erp_system,
                key=shipment.number,
                code=result.code,
                error_class=result.error_class,
                hint="check the order's lines in the ERP against the shipment, then retry",
            )
        with session_scope(self.url) as session:
            bind(
                session,
                "shipment",
                self.erp_system,
                shipment.number,
                result.their_id or shipment.number,
            )
        return f"item fulfilment {result.their_id}"

    def _store_erp(self, payload: Any) -> str:
        shipment = rec.from_payload(rec.Shipment, payload)
        assert isinstance(shipment, rec.Shipment)
        number = order_of_erp_key(shipment.order_number)
        with session_scope(self.url) as session:
            upsert_shipment(session, replace(shipment, order_number=number))
            session.flush()
            for line in shipment.lines:
                _count_shipped(session, number, line.order_line_no, moves_status=False)
        return "stored from the ERP"

    def _store(self, shipment: rec.Shipment, number: str) -> None:
        with session_scope(self.url) as session:
            write_shipment(session, shipment, number)
            for line in shipment.lines:
                _count_shipped(session, number, line.order_line_no)


def write_shipment(session: Session, shipment: rec.Shipment, order_number: str) -> None:
    """The shipment, its lines and first tracking number in the store (upsert by number).

    A stand-in until the operational copy's Shipment writer lands (flows-in); only this job
    calls it.
    """
    tracking = next((p.tracking_number for p in shipment.packages if p.tracking_number), "")
    values = {
        "source_system": shipment.source_system,
        "source_key": shipment.source_key,
        "modified_at": shipment.modified_at,
        "order_number": order_number,
        "ship_date": shipment.ship_date,
        "carrier": shipment.carrier,
        "service": shipment.service,
        "tracking_number": tracking,
    }
    row = session.scalars(select(m.Shipment).filter_by(number=shipment.number)).first()
    if row is None:
        session.add(m.Shipment(number=shipment.number, status=shipment.status, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
    for line in shipment.lines:
        found = session.scalars(
            select(m.ShipmentLine).filter_by(
                shipment_number=shipment.number, order_line_no=line.order_line_no
            )
        ).first()
        if found is None:
            session.add(
                m.ShipmentLine(
                    shipment_number=shipment.number,
                    order_line_no=line.order_line_no,
                    sku=line.sku,
                    quantity=line.quantity.value,
                    uom=line.quantity.uom,
                )
            )
        else:
            found.quantity = line.quantity.value
    session.flush()


def _count_shipped(session: Session, number: str, line_no: int, moves_status: bool = True) -> None:
    """The line's shipped quantity as the sum of its shipments in the store. A shipment the
    ERP made by itself (`moves_status` False) leaves a line still open here open:
    push_fulfillments sends what it has not shipped yet."""
    line = session.scalars(
        select(m.OrderLine).filter_by(order_number=number, line_no=line_no)
    ).first()
    if line is None:
        return  # an order the store does not hold (entered in the ERP before Orderbridge)
    shipped = session.scalar(
        select(func.coalesce(func.sum(m.ShipmentLine.quantity), 0))
        .join(m.Shipment, m.Shipment.number == m.ShipmentLine.shipment_number)
        .where(m.Shipment.order_number == number, m.ShipmentLine.order_line_no == line_no)
    )
    shipped = Decimal(str(shipped))
    if not moves_status and line.status == "open" and shipped < line.quantity:
        set_line_progress(session, number, line_no, quantity_shipped=shipped)
        return
    if shipped >= line.quantity:
        status = "shipped"
    elif line.quantity_backordered > 0:
        status = "backordered"
    else:
        status = "partially_shipped"
    set_line_progress(session, number, line_no, quantity_shipped=shipped, status=status)
    if status == "shipped":
        close_exception(session, "backorder", f"{number}/{line_no}", "shipped in full")
