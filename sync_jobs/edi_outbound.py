"""edi_outbound: what we owe trading partners, built and sent when its cause happens.

An 855 once the ERP holds a partner's PO (or once our checks refused it: every line
rejected), an 856 once the 3PL's shipment of it is in the store, an 810 once the ERP's invoice
of it is. Each is sent once per cause (edi_common.send_once) and then waits for the partner's
997; one still unanswered after the partner's ack_due_hours is an edi_ack_late exception for
the coordinator, which the 997's arrival resolves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from connectors import get_connector
from connectors.base import Acceptance, ShipNotice
from core import records as rec
from core.errors import RecordRejectedError
from core.store import models as m
from core.store import session_scope
from core.store.edi import allocate
from core.store.models import EdiDocument, EdiInterchange
from sync_jobs.base import ItemSpec, Job, RunContext
from sync_jobs.edi_common import AWAITING, ack_due_hours, send_once
from sync_jobs.exceptions import Case, raise_case
from sync_jobs.flows_common import EDI_PREFIX

EDI = "edi"
# An order waiting for the ERP's approval is not yet accepted: its 855 waits with it.
NOT_YET = ("pending_approval",)


class EdiOutbound(Job):
    job_id = "edi_outbound"

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.url = settings.database_url
        self.edi = get_connector(EDI, settings)

    def plan(self, ctx: RunContext) -> Iterable[ItemSpec]:
        with session_scope(self.url) as session:
            pos = session.scalars(
                select(EdiDocument).where(
                    EdiDocument.direction == "in", EdiDocument.set_id == "850",
                    EdiDocument.status.in_(("accepted", "refused")),
                )
            ).all()  # fmt: skip
            specs = [spec for doc in pos for spec in self._owed(session, doc)]
            late = session.scalars(
                select(EdiDocument.id).where(
                    EdiDocument.direction == "out", EdiDocument.status == AWAITING,
                    EdiDocument.ack_due_at < ctx.clock.now(),
                )
            ).all()  # fmt: skip
        yield from specs
        for doc_id in late:
            yield ItemSpec(f"late:{doc_id}", {"kind": "late", "id": doc_id})

    def _owed(self, session: Any, po: EdiDocument) -> list[ItemSpec]:
        """The sets this PO's partner is owed now and has not been sent."""
        sent = set(session.scalars(
            select(EdiDocument.trigger).filter_by(partner=po.partner, direction="out")
            .where(EdiDocument.order_number == po.order_number)
        ))  # fmt: skip
        wanted = self._sets(po.partner)
        owed = []
        order = session.scalars(select(m.Order).filter_by(number=po.order_number)).first()
        if "855" in wanted and (po.status == "refused" or (order and order.status not in NOT_YET)):
            owed.append(("855", f"855:{po.order_number}"))
        if order is not None and order.number.startswith(EDI_PREFIX):
            if "856" in wanted:
                for number in session.scalars(
                    select(m.Shipment.number).filter_by(order_number=order.number)
                ):
                    owed.append(("856", f"856:{number}"))
            if "810" in wanted:
                for number in session.scalars(
                    select(m.Invoice.number).filter_by(order_number=order.number)
                ):
                    owed.append(("810", f"810:{number}"))
        return [
            ItemSpec(trigger, {"kind": set_id, "po": po.id, "trigger": trigger})
            for set_id, trigger in owed
            if trigger not in sent
        ]

    def _sets(self, partner: str) -> set[str]:
        declared = self.settings.get_path(f"edi.partners.{partner}.sets") or "855,856,810"
        return set(str(declared).split(","))

    # ---- carrying out ----------------------------------------------------------------

    def perform(self, ctx: RunContext, business_key: str, payload: Any) -> str | None:
        if payload["kind"] == "late":
            return self._late(ctx, payload["id"])
        with session_scope(self.url) as session:
            po = session.get(EdiDocument, payload["po"])
            row = session.get(EdiInterchange, po.interchange_id) if po else None
            if po is None or row is None:
                raise RecordRejectedError("the PO's 850 is not in the store", system=EDI,
                                          key=business_key)  # fmt: skip
            subject = self._subject(session, payload["kind"], po, payload["trigger"])
            partner, po_raw, po_control = po.partner, row.raw, po.st_control
            order_number = po.order_number
        now = ctx.clock.now()
        return send_once(
            self.url, self.edi, partner, payload["trigger"],
            lambda c: self.edi.build(partner, payload["kind"], subject, po_raw, po_control, c,
                                     now),
            now, ack_due_hours(self.settings, partner), order_number,
        )  # fmt: skip

    def _subject(self, session: Any, set_id: str, po: EdiDocument, trigger: str) -> Any:
        key = trigger.split(":", 1)[1]
        if set_id == "855":
            order = session.scalars(select(m.Order).filter_by(number=po.order_number)).first()
            if po.status == "refused" or order is None:
                return Acceptance(None)
            return Acceptance(_order(session, order), order.erp_number or "")
        if set_id == "856":
            serial = allocate(session, "_sscc", "st")[0]
            return ShipNotice(_shipment(session, key), serial)
        return _invoice(session, key)

    def _late(self, ctx: RunContext, doc_id: int) -> str:
        now = ctx.clock.now()
        with session_scope(self.url) as session:
            doc = session.get(EdiDocument, doc_id)
            if doc is None or doc.status != AWAITING:
                return "answered since"
            doc.status = "ack_late"
            raise_case(session, self.settings, self.job_id, Case(
                "edi_ack_late", f"{doc.partner}/{doc.id}",
                f"no 997 from {doc.partner} for our {doc.set_id} {doc.st_control} (PO "
                f"{doc.po_number or '-'}), due {doc.ack_due_at:%Y-%m-%d %H:%M} UTC",
                order_number=doc.order_number, system=EDI,
                hint="ask the partner's EDI desk whether it arrived; send it again if not",
                details={"interchange": doc.interchange_id, "set": doc.set_id},
            ), now)  # fmt: skip
        return f"997 late for {doc.set_id} {doc.st_control}"

    def api_calls(self) -> int:
        return int(self.edi.api_calls)


# ---- the store's rows as our records ---------------------------------------------------


def _order(session: Any, order: m.Order) -> rec.Order:
    lines = session.scalars(
        select(m.OrderLine).filter_by(order_number=order.number).order_by(m.OrderLine.line_no)
    ).all()
    return rec.Order(
        source_system="store", source_key=order.number, number=order.number,
        customer_number=order.customer_number, order_date=order.order_date,
        currency=order.currency, status=order.status,
        lines=[rec.OrderLine(
            line_no=line.line_no, sku=line.sku,
            quantity=rec.Quantity(line.quantity, line.uom),
            unit_price=rec.Money(line.unit_price, line.currency),
            requested_date=line.requested_date, promised_date=line.promised_date,
            status=line.status,
        ) for line in lines],
    )  # fmt: skip


def _shipment(session: Any, number: str) -> rec.Shipment:
    row = session.scalars(select(m.Shipment).filter_by(number=number)).one()
    lines = session.scalars(
        select(m.ShipmentLine).filter_by(shipment_number=number)
        .order_by(m.ShipmentLine.order_line_no)
    ).all()  # fmt: skip
    return rec.Shipment(
        source_system="store", source_key=number, number=number,
        order_number=row.order_number, ship_date=row.ship_date, carrier=row.carrier,
        service=row.service,
        lines=[rec.ShipmentLine(line.order_line_no, line.sku,
                                rec.Quantity(line.quantity, line.uom)) for line in lines],
        packages=[rec.Package(row.tracking_number, row.carrier)] if row.tracking_number
        else [],
    )  # fmt: skip


def _invoice(session: Any, number: str) -> rec.Invoice:
    row = session.scalars(select(m.Invoice).filter_by(number=number)).one()
    lines = session.scalars(
        select(m.InvoiceLine).filter_by(invoice_number=number).order_by(m.InvoiceLine.line_no)
    ).all()
    return rec.Invoice(
        source_system="store", source_key=number, number=number,
        order_number=row.order_number, customer_number=row.customer_number,
        invoice_date=row.invoice_date, currency=row.currency, tax=row.tax,
        freight=row.freight,
        lines=[rec.InvoiceLine(line.line_no, line.sku, rec.Quantity(line.quantity),
                               rec.Money(line.unit_price, line.currency), line.order_line_no)
               for line in lines],
    )  # fmt: skip
