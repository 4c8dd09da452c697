"""What the error queue and the exception queue share: resolving with a comment and assigning
(audited), the people a row may be assigned to, age buckets, owner filters, paging, the
payload shown as JSON, and how a page answers an action."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import flash, redirect, request
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from core.audit import record_audit
from core.store.models import AuditLog, User
from web.auth import safe_next
from web.permissions import PERMISSIONS
from web.store import db, utcnow

PAGE_SIZE = 100
COMMENT_MAX = 2000


class ActionRefusedError(Exception):
    """An action that cannot be done on this row now; the message says why and what to do."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# (value in the URL, label, younger than, at least as old as)
AGE_BUCKETS: tuple[tuple[str, str, timedelta | None, timedelta | None], ...] = (
    ("1h", "under 1 hour", timedelta(hours=1), None),
    ("1d", "1 to 24 hours", timedelta(days=1), timedelta(hours=1)),
    ("7d", "1 to 7 days", timedelta(days=7), timedelta(days=1)),
    ("older", "over 7 days", None, timedelta(days=7)),
)


def age_condition(column, bucket: str | None, now: datetime):
    """A WHERE clause keeping rows whose column falls into the age bucket; None for any age."""
    for value, _label, younger, older in AGE_BUCKETS:
        if value == bucket:
            parts = []
            if younger is not None:
                parts.append(column > now - younger)
            if older is not None:
                parts.append(column <= now - older)
            return and_(*parts)
    return None


def age_bucket(value: datetime, now: datetime) -> str:
    """The label of the bucket a timestamp's age falls into."""
    age = now - value
    for _value, label, younger, _older in AGE_BUCKETS:
        if younger is None or age < younger:
            return label
    return AGE_BUCKETS[-1][1]


def owner_condition(column, owner: str | None, mine: tuple[str, ...]):
    """'me' (any of `mine`: my name, and my role where jobs assign to roles), 'none' or a
    user name; None for anyone."""
    if not owner:
        return None
    if owner == "none":
        return column.is_(None)
    return column.in_(mine) if owner == "me" else column == owner


def assignees(session: Session, endpoint: str) -> list[str]:
    """Active people whose role may use this endpoint: who a row can be assigned to."""
    roles = PERMISSIONS[endpoint]
    query = select(User.username).where(User.active.is_(True), User.role.in_(sorted(roles)))
    return list(session.scalars(query.order_by(User.username)))


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def clean_comment(text: str | None) -> str:
    return (text or "").strip()[:COMMENT_MAX]


@dataclass
class Page:
    """One page of a list: the rows, how many match in all, and which page this is."""

    rows: list
    total: int
    number: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


@dataclass(frozen=True)
class Queue:
    """One queue's rows (record_errors, exceptions): resolved with a comment, assigned to
    someone who may act, each change audited under `entity` with its before and after."""

    entity: str
    noun: str
    assign_endpoint: str

    def resolve(self, session: Session, row: Any, actor: str, comment: str | None) -> None:
        comment = clean_comment(comment)
        if not comment:
            raise ActionRefusedError(f"Say in a comment how the {self.noun} was resolved.", 400)
        if row.status != "open":
            raise ActionRefusedError(f"The {self.noun} is already resolved.")
        before = {"status": row.status, "comment": row.comment, "owner": row.owner}
        row.status, row.comment = "resolved", comment
        row.resolved_at, row.resolved_by = utcnow(), actor
        after = {"status": "resolved", "comment": comment, "owner": row.owner}
        self.audit(session, actor, "resolved", row, before, after)

    def assign(self, session: Session, row: Any, actor: str, owner: str | None) -> None:
        """Give the row to someone allowed to act on it (None or empty: nobody)."""
        owner = owner or None
        if owner is not None and owner not in assignees(session, self.assign_endpoint):
            raise ActionRefusedError(f"{owner!r} cannot act on the {self.noun} queue.", 400)
        before = {"owner": row.owner}
        row.owner = owner
        self.audit(session, actor, "assigned", row, before, {"owner": owner})

    def audit(self, session: Session, actor: str, verb: str, row: Any, before, after) -> None:
        action = f"{self.entity}_{verb}"
        record_audit(session, actor, action, self.entity, str(row.id), before, after)

    def history(self, session: Session, row: Any) -> list[AuditLog]:
        query = (
            select(AuditLog)
            .where(AuditLog.entity == self.entity, AuditLog.entity_key == str(row.id))
            .order_by(AuditLog.id.desc())
        )
        return list(session.scalars(query))


def act(find, action, done: str, back: str):
    """A page's answer to one action on one row: flash what happened or why not, go back."""
    try:
        with db() as store:
            action(store, find(store))
    except ActionRefusedError as refused:
        flash(refused.message, "warn")
    else:
        flash(done, "ok")
    return redirect(safe_next(request.form.get("next") or back))
