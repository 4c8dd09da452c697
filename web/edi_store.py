"""What the EDI pages and API read: the transaction sets received and sent (edi_documents)
with their interchanges (edi_interchanges), as the edi jobs wrote them, and the words a
person reads for their statuses. Nothing here writes: the jobs own these tables.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.store.models import EdiDocument, EdiInterchange
from web import queues

DIRECTIONS = ("in", "out")
# A set's state, as the page names it. The stored status, except where it misleads: a set we
# sent that the partner's 997 rejected, and one still awaiting its 997 past the due time
# (edi_inbound marks it ack_late on its next run only).
STATES = {
    "received": "received",
    "accepted": "accepted",
    "rejected": "rejected",
    "duplicate": "duplicate",
    "changed": "changed by an 860",
    "built": "built, not sent",
    "awaiting_997": "awaiting 997",
    "ack_late": "997 late",
    "acknowledged": "acknowledged",
    "rejected_by_partner": "rejected by partner",
}
# How each state looks (web/static/style.css .status.<tone>).
TONES = {
    "accepted": "completed",
    "acknowledged": "completed",
    "rejected": "failed",
    "rejected_by_partner": "failed",
    "ack_late": "failed",
    "duplicate": "failed",
    "awaiting_997": "pending",
    "received": "pending",
    "built": "pending",
}
INTERCHANGE_STATES = {
    "received": "received",
    "acknowledged": "acknowledged",
    "rejected": "rejected",
    "duplicate": "duplicate: this sender and ISA13 came before",
    "error": "error",
    "built": "built, not sent",
    "sent": "sent",
}
SEARCHED = (EdiDocument.po_number, EdiDocument.order_number)


def state_of(now: datetime):
    """The SQL expression of a set's state (a key of STATES)."""
    out = EdiDocument.direction == "out"
    return case(
        (
            out & ((EdiDocument.ack_code == "R") | (EdiDocument.status == "rejected")),
            "rejected_by_partner",
        ),
        (
            out & (EdiDocument.status == "awaiting_997") & (EdiDocument.ack_due_at < now),
            "ack_late",
        ),
        else_=EdiDocument.status,
    )


def label(state: str) -> str:
    return STATES.get(state, state.replace("_", " "))


@dataclass(frozen=True)
class Filters:
    """The list's filters as the query string carries them."""

    partner: str = ""
    direction: str = ""
    set: str = ""
    status: str = ""
    q: str = ""

    @classmethod
    def of(cls, args) -> Filters:
        direction = args.get("direction", "").strip()
        return cls(
            partner=args.get("partner", "").strip()[:80],
            direction=direction if direction in DIRECTIONS else "",
            set=args.get("set", "").strip()[:3],
            status=args.get("status", "").strip()[:30],
            q=args.get("q", "").strip()[: queues.SEARCH_MAX],
        )

    def args(self, **changes) -> dict[str, str]:
        values = {**asdict(self), **changes}
        return {key: value for key, value in values.items() if value}


def earlier_ids(doc: EdiDocument) -> list[int]:
    """The earlier interchanges that carried this set's PO number: a possible duplicate
    order. Only ids are kept, whatever else the JSON column holds, so each is a link."""
    found = doc.duplicate_of if isinstance(doc.duplicate_of, list) else []
    return [n for n in found if isinstance(n, int) and not isinstance(n, bool)]


@dataclass(frozen=True)
class Row:
    """One set of the list, with its interchange and its state."""

    document: EdiDocument
    interchange: EdiInterchange
    state: str

    @property
    def label(self) -> str:
        return label(self.state)

    @property
    def tone(self) -> str:
        return TONES.get(self.state, "")

    @property
    def possible_duplicate(self) -> bool:
        return bool(earlier_ids(self.document))


def _where(filters: Filters, now: datetime, with_status: bool = True) -> list:
    conditions = [
        EdiDocument.partner == filters.partner if filters.partner else None,
        EdiDocument.direction == filters.direction if filters.direction else None,
        EdiDocument.set_id == filters.set if filters.set else None,
        state_of(now) == filters.status if filters.status and with_status else None,
        queues.search_condition(filters.q, SEARCHED),
    ]
    return [condition for condition in conditions if condition is not None]


def list_documents(session: Session, filters: Filters, now: datetime, number: int = 1):
    """Page `number` of the sets the filters select, newest first."""
    where = _where(filters, now)
    total = session.scalar(select(func.count()).select_from(EdiDocument).where(*where))
    page = queues.Page([], total, number)
    query = (
        select(EdiDocument, EdiInterchange, state_of(now))
        .join(EdiInterchange, EdiDocument.interchange_id == EdiInterchange.id)
        .where(*where)
        .order_by(EdiDocument.at.desc(), EdiDocument.id.desc())
        .offset(page.offset)
        .limit(page.size)
    )
    page.rows = [Row(*found) for found in session.execute(query)]
    return page


def counts(session: Session, filters: Filters, now: datetime) -> dict[str, int]:
    """Sets per state among those the other filters select, most first."""
    state = state_of(now)
    query = (
        select(state, func.count())
        .where(*_where(filters, now, with_status=False))
        .group_by(state)
        .order_by(func.count().desc(), state)
    )
    return dict(session.execute(query).all())


def choices(session: Session) -> dict[str, list[str]]:
    """The partners and sets the store holds, for the filter drop-downs."""
    partners = select(EdiDocument.partner).distinct()
    sets = select(EdiDocument.set_id).distinct()
    return {"partners": sorted(session.scalars(partners)), "sets": sorted(session.scalars(sets))}


def documents_of(session: Session, interchange_id: int, now: datetime) -> list[tuple]:
    """The sets one interchange carried, in the order they came: (document, state)."""
    query = (
        select(EdiDocument, state_of(now))
        .where(EdiDocument.interchange_id == interchange_id)
        .order_by(EdiDocument.id)
    )
    return [tuple(found) for found in session.execute(query)]


@dataclass(frozen=True)
class Ack:
    """A 997 beside the interchange it answers, and which of that interchange's sets it
    answered with which AK5 code (for the 997s received about what we sent)."""

    interchange: EdiInterchange
    answered: list[EdiDocument]


def acks_of(session: Session, interchange: EdiInterchange) -> list[Ack]:
    """For one received: the 997 we sent back; for one sent: the 997s that answered its sets."""
    if interchange.direction == "in":
        ack = session.get(EdiInterchange, interchange.ack_id) if interchange.ack_id else None
        return [Ack(ack, [])] if ack is not None else []
    query = select(EdiDocument).where(
        EdiDocument.interchange_id == interchange.id, EdiDocument.ack_interchange_id.is_not(None)
    )
    answered = list(session.scalars(query.order_by(EdiDocument.id)))
    ids = sorted({doc.ack_interchange_id for doc in answered})
    found = session.scalars(select(EdiInterchange).where(EdiInterchange.id.in_(ids)))
    return [
        Ack(ack, [doc for doc in answered if doc.ack_interchange_id == ack.id])
        for ack in sorted(found, key=lambda row: row.id)
    ]


def answers(session: Session, interchange: EdiInterchange) -> list[EdiInterchange]:
    """For a 997 itself: the interchanges it answers (ours it acknowledged, or theirs)."""
    if interchange.direction == "out":
        query = select(EdiInterchange).where(EdiInterchange.ack_id == interchange.id)
    else:
        ids = select(EdiDocument.interchange_id).where(
            EdiDocument.ack_interchange_id == interchange.id
        )
        query = select(EdiInterchange).where(EdiInterchange.id.in_(ids))
    return list(session.scalars(query.order_by(EdiInterchange.id)))


def interchange_label(interchange: EdiInterchange) -> str:
    return INTERCHANGE_STATES.get(interchange.status, interchange.status.replace("_", " "))


def get_interchange(session: Session, interchange_id: int) -> EdiInterchange | None:
    return session.get(EdiInterchange, interchange_id)
