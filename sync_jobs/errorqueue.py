"""The record error queue as the runner writes it: park a rejected record, resolve on success."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.errors import OrderbridgeError, RecordRejectedError, TransientError
from core.store.models import RecordError
from sync_jobs.leases import utcnow


def error_class_of(exc: OrderbridgeError) -> str:
    if isinstance(exc, (RecordRejectedError, TransientError)):
        return exc.error_class
    return "config"


def park(
    session: Session,
    job_id: str,
    run_id: int,
    business_key: str,
    payload: Any,
    exc: OrderbridgeError,
) -> None:
    """Open (or bump) the queue entry for this record; one open entry per job and key."""
    now = utcnow()
    entry = session.scalars(
        select(RecordError).where(
            RecordError.job_id == job_id,
            RecordError.business_key == business_key,
            RecordError.status == "open",
        )
    ).first()
    if entry is None:
        entry = RecordError(job_id=job_id, business_key=business_key, attempts=0, first_seen=now)
        session.add(entry)
    entry.run_id = run_id
    entry.system = exc.system
    entry.error_class = error_class_of(exc)
    entry.code = getattr(exc, "code", None)
    entry.message = exc.message
    entry.hint = exc.hint
    entry.payload = payload
    entry.attempts = (entry.attempts or 0) + 1
    entry.last_seen = now


def resolve_on_success(session: Session, job_id: str, business_key: str) -> int:
    """A repeat that has since succeeded resolves its open entry; returns how many."""
    result = session.execute(
        update(RecordError)
        .where(
            RecordError.job_id == job_id,
            RecordError.business_key == business_key,
            RecordError.status == "open",
        )
        .values(
            status="resolved",
            resolved_at=utcnow(),
            resolved_by="system",
            comment="resolved by a later successful run",
        )
    )
    return result.rowcount
