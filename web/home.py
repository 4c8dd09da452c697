"""Home: what needs this role's attention, read from the store, each linking to the work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.store.models import AuditLog, Invoice, JobRun, RecordError, Shipment, Upload
from web import audit, job_store, upload_store
from web.store import db, settings, utcnow

bp = Blueprint("home", __name__)
LIST_LIMIT = 10


@dataclass
class Attention:
    """One heading on the home page: a count, a few lines, and where the work is done."""

    title: str
    items: list[str] = field(default_factory=list)
    count: int | None = None
    level: str = "warn"
    endpoint: str | None = None
    link_label: str = ""
    endpoint_args: dict = field(default_factory=dict)
    note: str = ""

    @property
    def total(self) -> int:
        return len(self.items) if self.count is None else self.count


def _scheduler(store: Session, now: datetime) -> Attention:
    view = job_store.scheduler_view(store)
    card = Attention("Scheduler", endpoint="jobs.index", link_label="Jobs")
    if not view.any_heartbeat:
        card.items.append(
            "No scheduler heartbeat in the last minute: scheduled jobs are not running."
        )
    elif view.leader is None:
        card.items.append(f"{len(view.standby)} standby scheduler(s) wait, but none leads.")
    return card


def _failed_runs(store: Session, now: datetime) -> Attention:
    card = Attention("Failed runs in the last 24 hours", endpoint="jobs.index", link_label="Jobs")
    for job in job_store.list_jobs(store):
        if job.failures_24h:
            last = job.last_run.status if job.last_run else "none"
            card.items.append(f"{job.job_id}: {job.failures_24h} failed; last run {last}")
    return card


def _stalled_jobs(store: Session, now: datetime) -> Attention:
    card = Attention("Jobs with no recent run", endpoint="jobs.index", link_label="Jobs")
    for job in job_store.list_jobs(store):
        if job.overdue(now):
            card.items.append(
                f"{job.job_id}: due at {job.definition.next_run_at:%Y-%m-%d %H:%M} UTC"
            )
    lease = timedelta(seconds=settings().scheduler.lease_seconds)
    stuck = select(JobRun).where(JobRun.status == "running", JobRun.heartbeat_at < now - lease)
    for run in store.scalars(stuck):
        card.items.append(f"{run.job_id}: run {run.id} has not reported for over {lease}")
    return card


def _connections(store: Session, now: datetime) -> Attention:
    card = Attention("Connections failing their check", endpoint="jobs.index", link_label="Jobs")
    for check in job_store.latest_connection_checks(store):
        if not check.ok:
            card.items.append(f"{check.system}: {check.message or 'check failed'}")
    return card


def _listed(store: Session, query, order, describe: Callable) -> tuple[list[str], int]:
    """The first LIST_LIMIT rows of a query, described, and how many there are in all."""
    total = store.scalar(select(func.count()).select_from(query.subquery()))
    rows = store.scalars(query.order_by(order).limit(LIST_LIMIT))
    return [describe(row) for row in rows], total


def _describe_error(row: RecordError) -> str:
    text = f"{row.job_id} · {row.business_key} · {row.error_class}: {row.message}"
    return text + (f" (hint: {row.hint})" if row.hint else "")


def _open_errors(store: Session, now: datetime) -> Attention:
    query = select(RecordError).where(RecordError.status == "open")
    items, total = _listed(store, query, RecordError.last_seen.desc(), _describe_error)
    return Attention(
        "Records waiting in the error queue",
        items=items,
        count=total,
        endpoint="errors.index",
        link_label="Error queue",
    )


def _uploads_awaiting(store: Session, now: datetime) -> Attention:
    """Uploads of this role's kinds that wait for a second person: never the viewer's own."""
    kinds = upload_store.kinds_for(current_user.role)
    query = select(Upload).where(
        Upload.status == "pending_approval",
        Upload.kind.in_(kinds),
        Upload.uploaded_by != current_user.username,
    )
    items, total = _listed(
        store,
        query,
        Upload.uploaded_at,
        lambda u: f"#{u.id} {u.filename} ({u.kind}, {u.rows} rows) from {u.uploaded_by}",
    )
    return Attention(
        "Uploads awaiting your approval",
        items=items,
        count=total,
        endpoint="uploads.index",
        link_label="Uploads",
    )


def _delivered_not_invoiced(store: Session, now: datetime) -> Attention:
    query = select(Shipment).where(
        Shipment.status == "delivered",
        Shipment.order_number.not_in(select(Invoice.order_number)),
    )
    items, total = _listed(
        store,
        query,
        Shipment.delivered_at,
        lambda s: f"shipment {s.number} of order {s.order_number}",
    )
    return Attention(
        "Delivered shipments with no invoice yet",
        items=items,
        count=total,
        endpoint="reports.index",
        link_label="Reports",
        note="Reconciliation workbooks will be downloadable from Reports.",
    )


def _recent_changes(store: Session, now: datetime) -> Attention:
    since = now - timedelta(days=1)
    query = select(AuditLog).where(AuditLog.at >= since, AuditLog.action != "login_failed")
    rows = store.scalars(query.order_by(AuditLog.id.desc()).limit(LIST_LIMIT))
    items = [f"{r.at:%H:%M} {r.actor} {r.action} {r.entity} {r.entity_key}" for r in rows]
    return Attention(
        "Changes in the last 24 hours",
        items=items,
        level="info",
        endpoint="audit.index",
        link_label="Audit",
        note="Draw reproducible samples and upload their reviews in the Audit area.",
    )


def _open_findings(store: Session, now: datetime) -> Attention:
    """Failed records of uploaded audit reviews that nobody has closed yet."""
    rows = audit.open_findings(store)
    items = [
        f"{r.payload.get('record_type', '')} {r.business_key}: {r.payload.get('finding')}"
        + (f" — {r.payload['comment']}" if r.payload.get("comment") else "")
        for r in rows[:LIST_LIMIT]
    ]
    return Attention(
        "Open audit findings", items=items, count=len(rows), endpoint="audit.index",
        link_label="Audit",
    )  # fmt: skip


Section = Callable[[Session, datetime], Attention]
SECTIONS: dict[str, tuple[Section, ...]] = {
    "admin": (_scheduler, _failed_runs, _stalled_jobs, _connections, _open_errors),
    "coordinator": (_open_errors,),
    "steward": (_uploads_awaiting,),
    "finance": (_delivered_not_invoiced,),
    "auditor": (_open_findings, _recent_changes),
}


@bp.get("/")
def index():
    now = utcnow()
    with db() as store:
        cards = [section(store, now) for section in SECTIONS.get(current_user.role, ())]
    return render_template("home.html", cards=cards, now=now)
