"""What edi_inbound and edi_outbound share: sending an interchange once per thing that
causes it, whatever crashes between building and sending, and the EDI cases a coordinator
chases.

A set we send is stored before it leaves: its control numbers taken from the store, the
interchange and its document written in one transaction under the document's trigger
("855:<order>", "997:<interchange>"), which is unique per partner. Then it is sent and marked
sent. A crash before the mark sends the stored text again, with the same control numbers, to
the same file name: the partner sees one interchange, never two.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from connectors.base import Controls, EdiChannel, Outbound
from core.store import session_scope
from core.store.edi import allocate
from core.store.models import EdiDocument, EdiInterchange

BUILT = "built"
AWAITING = "awaiting_997"


def take_controls(url: str, partner: str) -> Controls:
    with session_scope(url) as session:
        isa = allocate(session, partner, "isa")[0]
        gs = allocate(session, partner, "gs")[0]
        st = allocate(session, partner, "st")[0]
    return Controls(isa, gs, st)


def sent_before(url: str, partner: str, trigger: str) -> EdiDocument | None:
    with session_scope(url) as session:
        found = session.scalars(
            select(EdiDocument).filter_by(partner=partner, trigger=trigger)
        ).first()
        if found is not None:
            session.expunge(found)
        return found


def send_once(
    url: str,
    edi: EdiChannel,
    partner: str,
    trigger: str,
    build: Callable[[Controls], Outbound],
    now: datetime,
    ack_due_hours: int | None,
    order_number: str | None = None,
) -> str:
    """Build (once), store and send the set for `trigger`; what became of it, in a few words.
    `ack_due_hours`: how long the partner has for its 997 (None for a 997 itself)."""
    found = sent_before(url, partner, trigger)
    if found is not None and found.status != BUILT:
        return f"sent before (interchange {found.interchange_id})"
    if found is None:
        outbound = build(take_controls(url, partner))
        doc_id = _store(url, outbound, trigger, order_number)
    else:
        doc_id, outbound = found.id, _stored(url, found)
    where = edi.send(outbound)
    with session_scope(url) as session:
        doc = session.get(EdiDocument, doc_id)
        assert doc is not None
        doc.at = now
        doc.status = AWAITING if ack_due_hours else "sent"
        doc.ack_due_at = now + timedelta(hours=ack_due_hours) if ack_due_hours else None
        row = session.get(EdiInterchange, doc.interchange_id)
        assert row is not None
        row.status, row.channel, row.at = "sent", where, now
        row.ack_due_at = doc.ack_due_at
    return f"sent {outbound.set_id} {outbound.isa_control} as {where}"


def _store(url: str, outbound: Outbound, trigger: str, order_number: str | None) -> int:
    with session_scope(url) as session:
        row = EdiInterchange(
            direction="out", partner=outbound.partner, sender="", receiver="",
            isa_control=outbound.isa_control, sets=outbound.set_id,
            po_numbers=[outbound.po_number] if outbound.po_number else [],
            status=BUILT, raw=outbound.text, encoding="utf-8", parsed=outbound.view,
        )  # fmt: skip
        row.sender, row.receiver = _ends(outbound.text)
        session.add(row)
        session.flush()
        doc = EdiDocument(
            interchange_id=row.id, partner=outbound.partner, direction="out",
            set_id=outbound.set_id, gs_control=outbound.gs_control,
            st_control=outbound.st_control, po_number=outbound.po_number or None,
            order_number=order_number, trigger=trigger, status=BUILT,
        )  # fmt: skip
        session.add(doc)
        session.flush()
        return doc.id


def _stored(url: str, doc: EdiDocument) -> Outbound:
    with session_scope(url) as session:
        row = session.get(EdiInterchange, doc.interchange_id)
        assert row is not None
        return Outbound(doc.partner, doc.set_id, row.raw, row.isa_control, doc.gs_control,
                        doc.st_control, doc.po_number or "")  # fmt: skip


def _ends(text: str) -> tuple[str, str]:
    """ISA05/06 and ISA07/08 of an interchange we built (its element separator is byte 3)."""
    parts = text[:106].split(text[3])
    return f"{parts[5]}/{parts[6].strip()}", f"{parts[7]}/{parts[8].strip()}"


def ack_due_hours(settings: Any, partner: str) -> int:
    return int(settings.get_path(f"edi.partners.{partner}.ack_due_hours") or 24)
