"""The exceptions queue as the jobs write it: open or refresh a case, resolve it when its
cause goes away.

One row per (kind, business key). A repeat refreshes the message, amount and details and
keeps the owner a person may have changed; a resolved case that comes back is reopened with
a new SLA. Each job owns some kinds for a subject (a shipment, an invoice, an order) and
calls `settle` with what it finds now, so the cases it no longer finds close themselves.
SLA hours and owners per kind come from settings (`exceptions.*`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core import records as rec
from core.store.models import OpsException

SYSTEM_USER = "system"


@dataclass(frozen=True)
class Case:
    """One exception as a job finds it; `subject` is the record it is about (the scope
    that `settle` resolves within), `business_key` the case's own key under its kind."""

    kind: str
    business_key: str
    message: str
    order_number: str | None = None
    system: str | None = None
    hint: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def sla_hours(settings: Any, kind: str) -> int:
    configured = settings.get_path(f"exceptions.sla_hours.{kind}")
    return int(configured if configured is not None else settings.exceptions.default_sla_hours)


def owner_for(settings: Any, kind: str) -> str:
    """The role or user the rule in settings gives this kind (exceptions.owners.<kind>)."""
    return str(settings.get_path(f"exceptions.owners.{kind}") or settings.exceptions.default_owner)


def raise_case(
    session: Session, settings: Any, source_job: str, case: Case, now: datetime
) -> OpsException:
    """Open the case, or refresh it when it is already there (reopening a resolved one)."""
    row = session.scalars(
        select(OpsException).where(
            OpsException.kind == case.kind, OpsException.business_key == case.business_key
        )
    ).first()
    if row is None:
        row = OpsException(
            kind=case.kind, business_key=case.business_key, opened_at=now, status="open"
        )
        session.add(row)
    if row.status != "open":
        row.status, row.opened_at = "open", now
        row.resolved_at = row.resolved_by = None
        row.sla_due_at = None
    if row.sla_due_at is None:
        row.sla_due_at = now + timedelta(hours=sla_hours(settings, case.kind))
    if not row.owner:
        row.owner = owner_for(settings, case.kind)
    row.source_job = source_job
    row.order_number = case.order_number
    row.system = case.system
    row.message = case.message
    row.hint = case.hint
    row.amount = case.amount
    row.currency = case.currency
    row.details = case.details or None
    row.last_seen = now
    return row


def resolve_cases(
    session: Session,
    kinds: Iterable[str],
    subject: str,
    keep: Iterable[str],
    now: datetime,
    reason: str,
) -> int:
    """Resolve the open cases of these kinds about `subject` (its key, or keys under it as
    'subject/...') that are not in `keep`; returns how many."""
    keep = set(keep)
    rows = session.scalars(
        select(OpsException).where(
            OpsException.kind.in_(list(kinds)),
            OpsException.status == "open",
            or_(
                OpsException.business_key == subject,
                OpsException.business_key.startswith(subject + "/", autoescape=True),
            ),
        )
    ).all()
    closed = 0
    for row in rows:
        if (row.kind, row.business_key) in keep:
            continue
        row.status, row.resolved_at, row.resolved_by = "resolved", now, SYSTEM_USER
        row.comment = reason
        closed += 1
    return closed


def settle(
    session: Session,
    settings: Any,
    source_job: str,
    kinds: Iterable[str],
    subject: str,
    cases: list[Case],
    now: datetime,
) -> tuple[int, int]:
    """Make the open cases of `kinds` about `subject` exactly `cases`: raise or refresh each,
    resolve the rest. Returns (open now, resolved)."""
    for case in cases:
        raise_case(session, settings, source_job, case, now)
    session.flush()
    keep = {(c.kind, c.business_key) for c in cases}
    closed = resolve_cases(session, kinds, subject, keep, now, "resolved: the cause went away")
    return len(cases), closed


def fill_amounts(
    session: Session,
    kinds: Iterable[str],
    value_of: Callable[[Session, OpsException], rec.Money | None],
) -> int:
    """Give the open cases of these kinds that have no amount the value `value_of` finds now
    (a case raised before its order reached the store, or before amounts were kept); returns
    how many it filled. A case whose value is still unknown stays empty."""
    rows = session.scalars(
        select(OpsException).where(
            OpsException.kind.in_(list(kinds)),
            OpsException.status == "open",
            OpsException.amount.is_(None),
        )
    ).all()
    filled = 0
    for row in rows:
        value = value_of(session, row)
        if value is not None:
            row.amount, row.currency = value.amount, value.currency
            filled += 1
    return filled
