"""What the error queue and the exception queue share: resolving with a comment and assigning
(audited), the people a row may be assigned to, age buckets, owner filters, free-text search,
sorting by a whitelisted column, paging, the payload shown as JSON, and how a page answers an
action."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from flask import flash, redirect, request
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from core.audit import record_audit
from core.store.models import AuditLog, User
from web.auth import safe_next
from web.permissions import PERMISSIONS
from web.store import db, utcnow

PAGE_SIZE = 100
COMMENT_MAX = 2000
SEARCH_MAX = 200
DIRECTIONS = ("asc", "desc")


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


def search_condition(text: str, columns) -> Any:
    """Rows where any of the columns holds the text, whatever its case; None for no search.
    The user's % and _ are escaped, so they match themselves and not any text."""
    if not text:
        return None
    return or_(*(column.icontains(text, autoescape=True) for column in columns))


def search_and_sort(args, sorts: dict) -> dict[str, str]:
    """The search text and the sort of a queue's query string. A sort the queue does not
    offer, or a direction other than asc and desc, falls back to the queue's usual order."""
    sort, direction = args.get("sort", "").strip(), args.get("dir", "").strip()
    if sort not in sorts or direction not in ("", *DIRECTIONS):
        sort = direction = ""
    return {"q": args.get("q", "").strip()[:SEARCH_MAX], "sort": sort, "dir": direction}


class Sortable:
    """A queue's filters that sort: `sort` and `dir` fields, the columns they may name
    (SORTS: name in the URL -> column, or a tuple of columns) and the usual (sort, dir)."""

    SORTS: ClassVar[dict[str, Any]]
    DEFAULT: ClassVar[tuple[str, str]]
    sort: str
    dir: str

    @property
    def sort_key(self) -> str:
        return self.sort or self.DEFAULT[0]

    @property
    def direction(self) -> str:
        usual = self.DEFAULT[1] if self.sort_key == self.DEFAULT[0] else "asc"
        return self.dir or usual

    def sorted_by(self, key: str) -> str:
        """The direction ("asc", "desc") when the list is sorted by this column, else empty."""
        return self.direction if key == self.sort_key else ""

    def sort_args(self, key: str) -> dict[str, str]:
        """The query string that sorts by this column: the other way round if it already is."""
        direction = "desc" if self.sorted_by(key) == "asc" else "asc"
        return self.args(sort=key, dir=direction)

    def order_by(self, tie) -> list:
        """ORDER BY for the chosen sort: empty values last on every database (SQLite and
        PostgreSQL put NULLs at opposite ends), `tie` (the id) last so pages never overlap."""
        columns = self.SORTS[self.sort_key]
        columns = columns if isinstance(columns, tuple) else (columns,)
        descending = self.direction == "desc"
        order = []
        for column in columns:
            order += [column.is_(None), column.desc() if descending else column.asc()]
        return [*order, tie.desc() if descending else tie.asc()]

    def args(self, **changes) -> dict[str, str]:
        raise NotImplementedError


@dataclass
class Page:
    """One page of a list: the rows, how many match in all, and which page this is."""

    rows: list
    total: int
    number: int
    size: int = PAGE_SIZE

    def __post_init__(self) -> None:
        # Past the last page (a bookmark after rows were resolved) shows the last one.
        self.number = min(max(1, self.number), self.pages)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def span(self) -> str:
        """Which rows this page shows, e.g. "Rows 101–200 of 250"."""
        if not self.total:
            return "No rows"
        last = min(self.total, self.offset + self.size)
        return f"Rows {self.offset + 1:,}–{last:,} of {self.total:,}"

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_of(session: Session, model, where: list, order: list, number: int) -> Page:
    """Page `number` of the model's rows that match, in this order."""
    total = session.scalar(select(func.count()).select_from(model).where(*where))
    page = Page([], total, number)
    query = select(model).where(*where).order_by(*order).offset(page.offset).limit(page.size)
    page.rows = list(session.scalars(query))
    return page


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
