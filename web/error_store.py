"""What the error queue pages and API read and write: record_errors, the matching work item,
and the audit log.

A retry never calls the job: it sets the record's rejected work item back to "pending" (with
the edited payload, if any) and the job's next run carries it out. When that run succeeds the
runner resolves the error itself; when it fails again the entry is bumped or reopened.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, func, or_, select, type_coerce, update
from sqlalchemy.orm import Session

from core.store.models import RecordError, WorkItem
from web import queues
from web.queue_export import Column, Download
from web.queues import ActionRefusedError
from web.store import utcnow

STATUSES = ("open", "resolved", "all")
CLASSES = ("value", "missing", "duplicate", "rate_limit", "connection", "parse", "config")
QUEUE = queues.Queue("record_error", "error", "errors.assign")
WAITING = ("pending", "claimed")
# Roles that only read the queue see the jobs whose noun is their area (job ids are
# <verb>_<noun>); everyone else with access sees every job.
READ_SCOPES: dict[str, tuple[str, ...]] = {
    # apply_uploads, post_scheduled_prices: a steward reads why a price or ship-to row of
    # theirs was refused.
    "steward": ("master_data", "price", "ship_to", "customer", "item", "uploads"),
    "finance": ("invoice",),
}
UNCHANGED = object()
# Jobs whose payload a person may not edit here, and what to do instead.
_UPLOAD_ROW = (
    "An upload row changes only by uploading its workbook again, so its approval and the "
    "before-image that revert uses stay true; retry it as it is."
)
FIXED_PAYLOAD = {"apply_uploads": _UPLOAD_ROW, "post_scheduled_prices": _UPLOAD_ROW}


# The columns a person may sort by, by their name in the URL.
SORTS = {
    "id": RecordError.id,
    "key": RecordError.business_key,
    "job": RecordError.job_id,
    "class": RecordError.error_class,
    "tries": RecordError.attempts,
    "first_seen": RecordError.first_seen,
    "last_seen": RecordError.last_seen,
    "owner": RecordError.owner,
    "status": RecordError.status,
}
# A record's order number is its key (sync_orders: SO-1001) or inside its payload (a
# shipment's, an upload row's); the payload is JSON kept as text on SQLite and PostgreSQL
# alike, so a text match finds it on both.
SEARCHED = (RecordError.business_key, RecordError.message, type_coerce(RecordError.payload, Text))
DOWNLOAD = Download(
    "Error queue",
    "error-queue",
    (
        Column("Id", RecordError.id, "number", 8),
        Column("Job", RecordError.job_id, width=20),
        Column("Record", RecordError.business_key, width=24),
        Column("System", RecordError.system, width=12),
        Column("Class", RecordError.error_class, width=12),
        Column("Code", RecordError.code),
        Column("Error", RecordError.message, width=60),
        Column("Hint", RecordError.hint, width=60),
        Column("Tries", RecordError.attempts, "number", 8),
        Column("Status", RecordError.status, width=10),
        Column("Owner", RecordError.owner),
        Column("First seen (UTC)", RecordError.first_seen, "when", 20),
        Column("Last seen (UTC)", RecordError.last_seen, "when", 20),
        Column("Resolved by", RecordError.resolved_by),
    ),
    "errors",
)


@dataclass(frozen=True)
class Filters(queues.Sortable):
    SORTS = SORTS
    DEFAULT = ("last_seen", "desc")  # the newest failures first

    job: str = ""
    error_class: str = ""
    status: str = "open"
    owner: str = ""
    age: str = ""
    q: str = ""
    sort: str = ""
    dir: str = ""

    @classmethod
    def of(cls, args) -> Filters:
        status = args.get("status", "open")
        return cls(
            job=args.get("job", "").strip(),
            error_class=args.get("class", "").strip(),
            status=status if status in STATUSES else "open",
            owner=args.get("owner", "").strip(),
            age=args.get("age", "").strip(),
            **queues.search_and_sort(args, SORTS),
        )

    def args(self, **changes) -> dict[str, str]:
        """The query string of these filters with some fields changed; empty ones left out."""
        values = {**asdict(self), **changes}
        values["class"] = values.pop("error_class")
        return {key: value for key, value in values.items() if value}


def scope(role: str | None):
    nouns = READ_SCOPES.get(role or "")
    if nouns is None:
        return None
    return or_(*(RecordError.job_id.contains(noun, autoescape=True) for noun in nouns))


def _where(filters: Filters, role: str, me: str, now: datetime) -> list:
    conditions = [
        scope(role),
        RecordError.job_id == filters.job if filters.job else None,
        RecordError.error_class == filters.error_class if filters.error_class else None,
        RecordError.status == filters.status if filters.status != "all" else None,
        queues.owner_condition(RecordError.owner, filters.owner, (me,)),
        queues.age_condition(RecordError.first_seen, filters.age, now),
        queues.search_condition(filters.q, SEARCHED),
    ]
    return [condition for condition in conditions if condition is not None]


def list_errors(
    session: Session, filters: Filters, role: str, me: str, number: int = 1
) -> queues.Page:
    where = _where(filters, role, me, utcnow())
    order = filters.order_by(RecordError.id)
    return queues.page_of(session, RecordError, where, order, number)


def export_rows(session: Session, filters: Filters, role: str, me: str) -> list[tuple]:
    """Every row the page's filters, search and sort select, in the page's order, as the
    download's columns."""
    where = _where(filters, role, me, utcnow())
    return DOWNLOAD.rows(session, where, filters.order_by(RecordError.id))


def open_counts(session: Session, role: str) -> dict[str, dict[str, int]]:
    """Open errors per job and class, for the summary grid."""
    where = [RecordError.status == "open"] + [c for c in (scope(role),) if c is not None]
    query = (
        select(RecordError.job_id, RecordError.error_class, func.count())
        .where(*where)
        .group_by(RecordError.job_id, RecordError.error_class)
    )
    grid: dict[str, dict[str, int]] = {}
    for job_id, error_class, n in session.execute(query):
        grid.setdefault(job_id, {})[error_class] = n
    return dict(sorted(grid.items()))


def grid_columns(grid: dict[str, dict[str, int]]) -> list[str]:
    """The classes present in the grid, known ones in their usual order first."""
    present = {error_class for counts in grid.values() for error_class in counts}
    return [c for c in CLASSES if c in present] + sorted(present - set(CLASSES))


def known_jobs(session: Session, role: str) -> list[str]:
    query = select(RecordError.job_id).distinct()
    if (condition := scope(role)) is not None:
        query = query.where(condition)
    return sorted(session.scalars(query))


def get_error(session: Session, error_id: int, role: str) -> RecordError | None:
    query = select(RecordError).where(RecordError.id == error_id)
    if (condition := scope(role)) is not None:
        query = query.where(condition)
    return session.scalar(query)


def latest_item(session: Session, error: RecordError) -> WorkItem | None:
    """The newest work item of this record in this job, whatever its status."""
    query = (
        select(WorkItem)
        .where(WorkItem.job_id == error.job_id, WorkItem.business_key == error.business_key)
        .order_by(WorkItem.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def waiting_ids(session: Session, errors: list[RecordError]) -> set[int]:
    """Which of these errors have a retry (or a first try) waiting for the job's next run."""
    keys = {(e.job_id, e.business_key) for e in errors if e.status == "open"}
    if not keys:
        return set()
    query = select(WorkItem.job_id, WorkItem.business_key).where(
        WorkItem.status.in_(WAITING),
        WorkItem.business_key.in_({key for _, key in keys}),
    )
    found = {tuple(row) for row in session.execute(query)}
    return {e.id for e in errors if (e.job_id, e.business_key) in found}


def retry_refusal(error: RecordError, item: WorkItem | None) -> str | None:
    """Why this error cannot be retried now, or None when it can."""
    if error.status != "open":
        return "The error is resolved; a new failure opens a new entry."
    if item is None or item.status == "done":
        return (
            f"No rejected work item of {error.business_key} is waiting in {error.job_id} "
            "(it was refused inside a batch); fix it at the source or resolve it with a comment."
        )
    if item.status == "claimed":
        return f"{error.job_id} is carrying this record out right now; reload in a moment."
    return None


def retry(session: Session, error: RecordError, actor: str, payload: Any = UNCHANGED) -> WorkItem:
    """Put the record's rejected work item back to pending, with a new payload if given."""
    item = latest_item(session, error)
    refusal = retry_refusal(error, item)
    if refusal:
        raise ActionRefusedError(refusal)
    if payload is not UNCHANGED and payload != item.payload and error.job_id in FIXED_PAYLOAD:
        raise ActionRefusedError(FIXED_PAYLOAD[error.job_id])
    if payload is UNCHANGED and item.status == "pending":
        raise ActionRefusedError(f"A retry is already waiting for the next run of {error.job_id}.")
    new_payload = item.payload if payload is UNCHANGED else payload
    before = {"payload": error.payload, "work_item": item.id, "work_item_status": item.status}
    # Compare-and-set: the runner may claim the item between our read and this write. The
    # attempts restart, since a person's retry deserves the runner's full transient patience.
    changed = session.execute(
        update(WorkItem)
        .where(WorkItem.id == item.id, WorkItem.status == item.status)
        .values(status="pending", payload=new_payload, attempts=0, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise ActionRefusedError(f"{error.job_id} took this record just now; reload the page.")
    if payload is not UNCHANGED:
        error.payload = payload
    after = {"payload": new_payload, "work_item": item.id, "work_item_status": "pending"}
    verb = "retried" if payload is UNCHANGED else "edited_retried"
    QUEUE.audit(session, actor, verb, error, before, after)
    return item


def other_entries(session: Session, error: RecordError) -> list[RecordError]:
    """Earlier or later entries of the same record in the same job (a resolved one recurring)."""
    query = (
        select(RecordError)
        .where(
            RecordError.job_id == error.job_id,
            RecordError.business_key == error.business_key,
            RecordError.id != error.id,
        )
        .order_by(RecordError.id.desc())
    )
    return list(session.scalars(query))
