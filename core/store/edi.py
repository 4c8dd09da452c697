"""What EDI keeps in the store: control numbers per trading partner, taken so none is ever
used twice (also by builders in other processes at the same moment), and the log of every
interchange received or sent, by which one received twice is known."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.errors import ConfigError
from core.store.models import EdiControlNumber, EdiInterchange, utcnow

LEVELS = ("isa", "gs", "st")
# ISA13 and GS06 have nine digits; a number past them would have to start again, which X12
# forbids for the partner's duplicate checks, so it is refused instead.
LARGEST = 999_999_999


def _ensure_row(session: Session, partner: str, level: str) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(EdiControlNumber).values(
        partner=partner, level=level, last=0, updated_at=utcnow()
    )
    session.execute(statement.on_conflict_do_nothing(index_elements=["partner", "level"]))


def allocate(session: Session, partner: str, level: str, count: int = 1) -> range:
    """`count` control numbers for this partner and level, never given out before: one
    UPDATE ... RETURNING, which the database applies one caller at a time (PostgreSQL locks
    the row; SQLite the whole file)."""
    if level not in LEVELS:
        raise ValueError(f"an envelope level is one of {', '.join(LEVELS)}, not {level!r}")
    _ensure_row(session, partner, level)
    last = session.execute(
        update(EdiControlNumber)
        .where(EdiControlNumber.partner == partner, EdiControlNumber.level == level)
        .values(last=EdiControlNumber.last + count, updated_at=utcnow())
        .returning(EdiControlNumber.last)
    ).scalar_one()
    if last > LARGEST:
        raise ConfigError(
            f"trading partner {partner} has used every {level.upper()} control number",
            key=f"edi.partners.{partner}",
            hint="agree a new sender id with the partner",
        )
    return range(last - count + 1, last + 1)


@dataclass(frozen=True)
class Received:
    row: EdiInterchange
    again: bool  # the same sender and ISA13 came before: acknowledge, do not process
    known_pos: tuple[str, ...]  # PO numbers received before in another interchange


def record_received(
    session: Session, partner: str, sender: str, receiver: str, isa_control: str,
    sets: Iterable[str], po_numbers: Iterable[str], raw: str, encoding: str,
) -> Received:  # fmt: skip
    """Log an interchange received; say whether it came before, and which of its PO
    numbers an earlier interchange already carried (a possible duplicate order)."""
    found = session.scalar(
        select(EdiInterchange).where(
            EdiInterchange.direction == "in",
            EdiInterchange.sender == sender,
            EdiInterchange.isa_control == isa_control,
        )
    )
    if found is not None:
        return Received(found, True, ())
    pos = sorted(set(po_numbers))
    earlier = session.scalars(
        select(EdiInterchange.po_numbers).where(
            EdiInterchange.direction == "in", EdiInterchange.partner == partner
        )
    )
    seen = {po for numbers in earlier for po in (numbers or [])}
    row = EdiInterchange(
        direction="in", partner=partner, sender=sender, receiver=receiver,
        isa_control=isa_control, sets=" ".join(sets), po_numbers=pos, raw=raw,
        encoding=encoding, status="received",
    )  # fmt: skip
    session.add(row)
    session.flush()
    return Received(row, False, tuple(po for po in pos if po in seen))
