"""edi_inbound: what trading partners send, taken in, acknowledged and handed on.

Plan takes every file waiting in a partner's inbound folder: each interchange in it is stored
(raw, as it came) before the file moves to archive/; a file that is not X12, or comes from no
declared partner, moves to error/ with its reason and an error-queue entry. One work item per
stored interchange then: a 997 for every group (once: edi_common.send_once), each PO of an 850
through the same checks as a Salesforce order and into the ERP under its number
"EDI-<partner>-<PO>", each 860 to the order-change path, and each 997 received matched to the
set we sent. An interchange received again (same sender and ISA13) is acknowledged again and
not processed twice; a PO number an earlier interchange carried is flagged as a possible
duplicate for the coordinator (the ERP still has one order: its external id is the PO's).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from connectors import get_connector
from connectors.base import Inbound, InterchangeIn, SetIn
from core import records as rec
from core.errors import RecordRejectedError
from core.store import session_scope
from core.store.edi import record_received
from core.store.models import EdiDocument, EdiInterchange
from sync_jobs.base import ItemSpec, Job, RunContext
from sync_jobs.edi_common import send_once
from sync_jobs.edi_orders import EdiOrders
from sync_jobs.exceptions import Case, raise_case, resolve_cases
from sync_jobs.flows_common import flow_settings

log = logging.getLogger(__name__)
EDI = "edi"


class EdiInbound(Job):
    job_id = "edi_inbound"

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.url = settings.database_url
        self.edi = get_connector(EDI, settings)
        self._orders: EdiOrders | None = None

    @property
    def orders(self) -> EdiOrders:
        # The ERP is reached only when a PO or a change is there to post.
        if self._orders is None:
            self._orders = EdiOrders(self.settings, flow_settings(self.settings))
        return self._orders

    # ---- planning: take what waits, then one item per interchange not yet processed -----

    def plan(self, ctx: RunContext) -> Iterable[ItemSpec]:
        for inbound in self.edi.inbox():
            yield from self._take(ctx, inbound)
        with session_scope(self.url) as session:
            waiting = session.scalars(
                select(EdiInterchange.id).where(
                    EdiInterchange.direction == "in", EdiInterchange.processed_at.is_(None)
                ).order_by(EdiInterchange.id)
            ).all()  # fmt: skip
        for row_id in waiting:
            yield ItemSpec(f"interchange:{row_id}", {"kind": "interchange", "id": row_id})

    def _take(self, ctx: RunContext, inbound: Inbound) -> Iterable[ItemSpec]:
        digest = hashlib.sha256(inbound.data).hexdigest()[:16]
        read = self.edi.read(inbound)
        bad = next((one for one in read if one.error), None)
        if bad is not None or not read:
            reason = bad.error if bad is not None else "no interchange in the file"
            # The item is recorded when the generator resumes, before the file moves.
            yield ItemSpec(f"file:{inbound.partner}:{inbound.channel}:{digest}",
                           {"kind": "unreadable", "partner": inbound.partner,
                            "channel": inbound.channel, "reason": reason})  # fmt: skip
            self.edi.settle(inbound, False, reason or "")
            return
        for one in read:
            again = self._store(inbound, one, ctx.clock.now())
            if again is not None:
                key = f"again:{again}:{inbound.channel}:{digest}"
                yield ItemSpec(key, {"kind": "again", "id": again, "channel": inbound.channel})
        self.edi.settle(inbound, True)

    def _store(self, inbound: Inbound, one: InterchangeIn, now: datetime) -> int | None:
        """Keep the interchange; the id of the one it repeats when it came before."""
        pos = [s.po_number for s in one.sets if s.set_id == "850" and s.po_number]
        with session_scope(self.url) as session:
            found = record_received(
                session, one.partner or "", one.sender, one.receiver, one.control,
                [s.set_id for s in one.sets], pos, one.raw, one.encoding,
            )  # fmt: skip
            if not found.again:
                found.row.channel, found.row.at = inbound.channel, now
                return None
            # The same file again after a crash between storing and archiving is ours.
            return None if found.row.channel == inbound.channel else found.row.id

    # ---- carrying out ----------------------------------------------------------------

    def perform(self, ctx: RunContext, business_key: str, payload: Any) -> str | None:
        kind = payload["kind"]
        if kind == "unreadable":
            raise RecordRejectedError(
                f"{payload['channel']} could not be read: {payload['reason']}",
                system=EDI,
                key=business_key,
                error_class="parse",
                hint="the file is in the partner's error/ folder with its reason; ask the "
                "partner to send it again corrected",
            )
        if kind == "again":
            return self._again(ctx, payload["id"], payload["channel"])
        if kind == "order":
            return self.orders.enter(ctx, payload["document_id"])
        return self._process(ctx, payload["id"])

    def _received(self, row_id: int) -> tuple[EdiInterchange, InterchangeIn]:
        with session_scope(self.url) as session:
            row = session.get(EdiInterchange, row_id)
            if row is None:
                raise RecordRejectedError(f"interchange {row_id} is not in the store", system=EDI)
            session.expunge(row)
        inbound = Inbound(row.partner, row.channel or "", row.raw.encode(row.encoding))
        (one,) = self.edi.read(inbound)
        return row, one

    def _again(self, ctx: RunContext, row_id: int, channel: str) -> str:
        row, one = self._received(row_id)
        trigger = f"997:{row_id}:{channel}"
        sent = send_once(self.url, self.edi, row.partner, trigger,
                         lambda c: self.edi.acknowledge(one, c, ctx.clock.now()),
                         ctx.clock.now(), None)  # fmt: skip
        with session_scope(self.url) as session:
            stored = session.get(EdiInterchange, row_id)
            assert stored is not None
            note = f"received again as {channel}: acknowledged, not processed twice"
            stored.error = "; ".join(x for x in (stored.error, note) if x)
        return sent

    def _process(self, ctx: RunContext, row_id: int) -> str:
        row, one = self._received(row_id)
        if row.processed_at is not None:
            return "processed before"
        now = ctx.clock.now()
        docs = [self._document(row, one_set, now) for one_set in one.sets]
        self._acknowledge(ctx, row, one)
        notes = []
        for one_set, doc_id in zip(one.sets, docs, strict=True):
            notes.append(self._hand_on(ctx, row, one_set, doc_id))
        with session_scope(self.url) as session:
            stored = session.get(EdiInterchange, row_id)
            assert stored is not None
            accepted = [s for s in one.sets if s.accepted]
            stored.status = "acknowledged" if accepted or not one.sets else "rejected"
            stored.parsed = [s.view for s in one.sets]
            problems = [p for s in one.sets for p in s.problems]
            stored.error = (
                "; ".join([*([stored.error] if stored.error else []), *problems])[:4000] or None
            )  # a note of it coming again stays
            stored.processed_at = now
        return "; ".join(n for n in notes if n) or "nothing to hand on"

    def _document(self, row: EdiInterchange, one_set: SetIn, now: datetime) -> int:
        """The set's document row (once: a resumed item finds it)."""
        with session_scope(self.url) as session:
            doc = session.scalars(
                select(EdiDocument).filter_by(
                    interchange_id=row.id, gs_control=one_set.gs_control,
                    st_control=one_set.st_control, set_id=one_set.set_id,
                )
            ).first()  # fmt: skip
            if doc is None:
                doc = EdiDocument(
                    interchange_id=row.id, partner=row.partner, direction="in",
                    set_id=one_set.set_id, gs_control=one_set.gs_control,
                    st_control=one_set.st_control, po_number=one_set.po_number or None,
                    status="received" if one_set.accepted else "rejected",
                    error="; ".join(one_set.problems)[:4000] or None, at=now,
                )  # fmt: skip
                session.add(doc)
                session.flush()
            return doc.id

    def _acknowledge(self, ctx: RunContext, row: EdiInterchange, one: InterchangeIn) -> None:
        if not one.sets or all(s.set_id == "997" for s in one.sets):
            return  # a 997 is never acknowledged
        send_once(self.url, self.edi, row.partner, f"997:{row.id}",
                  lambda c: self.edi.acknowledge(one, c, ctx.clock.now()),
                  ctx.clock.now(), None)  # fmt: skip
        with session_scope(self.url) as session:
            stored = session.get(EdiInterchange, row.id)
            doc = session.scalars(
                select(EdiDocument).filter_by(partner=row.partner, trigger=f"997:{row.id}")
            ).one()
            assert stored is not None
            stored.ack_id = doc.interchange_id

    def _hand_on(self, ctx: RunContext, row: EdiInterchange, one_set: SetIn, doc_id: int) -> str:
        if not one_set.accepted:
            return f"{one_set.set_id} {one_set.st_control} rejected in the 997"
        if one_set.set_id == "850":
            self._flag_duplicate(ctx, row, one_set, doc_id)
            return self._enter(ctx, doc_id)
        if one_set.set_id == "860":
            return self._enter_change(ctx, doc_id)
        if one_set.set_id == "997":
            return self._match_acks(ctx, row, one_set)
        return f"{one_set.set_id} kept, not read"

    def _enter(self, ctx: RunContext, doc_id: int) -> str:
        try:
            return self.orders.enter(ctx, doc_id)
        except RecordRejectedError as exc:
            with session_scope(self.url) as session:
                doc = session.get(EdiDocument, doc_id)
                key = doc.order_number if doc is not None and doc.order_number else str(doc_id)
            ctx.reject(key, {"kind": "order", "document_id": doc_id}, exc)
            return f"PO refused: {exc.message}"

    def _enter_change(self, ctx: RunContext, doc_id: int) -> str:
        try:
            return self.orders.change(ctx, doc_id)
        except RecordRejectedError as exc:
            ctx.reject(f"860:{doc_id}", {"kind": "change", "document_id": doc_id}, exc)
            return f"change refused: {exc.message}"

    def _flag_duplicate(self, ctx: RunContext, row: EdiInterchange, one_set: SetIn,
                        doc_id: int) -> None:  # fmt: skip
        with session_scope(self.url) as session:
            earlier = session.scalars(
                select(EdiDocument.interchange_id).where(
                    EdiDocument.partner == row.partner, EdiDocument.direction == "in",
                    EdiDocument.set_id == "850", EdiDocument.po_number == one_set.po_number,
                    EdiDocument.interchange_id != row.id,
                )
            ).all()  # fmt: skip
            if not earlier:
                return
            doc = session.get(EdiDocument, doc_id)
            assert doc is not None
            doc.duplicate_of = sorted(set(earlier))
            order = one_set.content.number if isinstance(one_set.content, rec.Order) else None
            raise_case(session, self.settings, self.job_id, Case(
                "edi_possible_duplicate", f"{row.partner}/{one_set.po_number}",
                f"PO {one_set.po_number} from {row.partner} came again in interchange "
                f"{row.isa_control}, after interchange(s) {', '.join(map(str, doc.duplicate_of))}",
                order_number=order, system=EDI,
                hint="the ERP holds one order for the PO; ask the partner whether a second "
                "order was meant (then it needs a new PO number)",
            ), ctx.clock.now())  # fmt: skip

    def _match_acks(self, ctx: RunContext, row: EdiInterchange, one_set: SetIn) -> str:
        matched, rejected = 0, 0
        now = ctx.clock.now()
        with session_scope(self.url) as session:
            for said in one_set.content or []:
                query = select(EdiDocument).filter_by(
                    partner=row.partner, direction="out", gs_control=said.group_control
                )
                if said.st_control:
                    query = query.where(EdiDocument.st_control.in_(
                        {said.st_control, said.st_control.lstrip("0") or "0",
                         said.st_control.rjust(4, "0")}))  # fmt: skip
                for doc in session.scalars(query):
                    matched += 1
                    doc.ack_code, doc.acked_at, doc.ack_interchange_id = said.code, now, row.id
                    doc.status = "rejected" if said.code == "R" else "acknowledged"
                    doc.error = "; ".join(said.errors)[:4000] or None
                    resolve_cases(session, ["edi_ack_late"], f"{doc.partner}/{doc.id}", (), now,
                                  "the 997 came")  # fmt: skip
                    if said.code == "R":
                        rejected += 1
                        raise_case(session, self.settings, self.job_id, Case(
                            "edi_997_rejected", f"{doc.partner}/{doc.id}",
                            f"{doc.partner} rejected our {doc.set_id} {doc.st_control} (PO "
                            f"{doc.po_number or '-'}): {doc.error or 'no reason given'}",
                            order_number=doc.order_number, system=EDI,
                            hint="correct what the 997 names and send the set again, or call "
                            "the partner's EDI desk",
                        ), now)  # fmt: skip
        return f"997: {matched} set(s) matched, {rejected} rejected"

    def api_calls(self) -> int:
        return int(self.edi.api_calls) + (self._orders.api_calls() if self._orders else 0)
