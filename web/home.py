"""Home: what needs this role's attention, read from the store, each linking to the work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.store.models import (
    AuditLog,
    Invoice,
    JobRun,
    OpsException,
    RecordError,
    Shipment,
    Upload,
)
from web import audit, exception_store, job_store, upload_store
from web.filters import duration
from web.store import db, settings, utcnow

bp = Blueprint("home", __name__)
LIST_LIMIT = 10
# A record failing for longer than this is called out on the card.
STALE = timedelta(days=1)


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
    # One line under the title that needs reading first, e.g. "2 overdue".
    summary: str = ""
    summary_level: str = "muted"
    summary_args: dict | None = None  # where the summary links to, on the card's endpoint
    # False for a card that is a way in (a download), not a count of things to do.
    counted: bool = True

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
    """Jobs overdue, runs whose holder stopped reporting, and runs alive but going on far
    longer than the job usually takes (a hung call keeps its heartbeat fresh)."""
    card = Attention(
        "Jobs overdue, stuck or running long", endpoint="jobs.index", link_label="Jobs"
    )
    jobs = job_store.list_jobs(store)
    for job in jobs:
        if job.overdue(now):
            card.items.append(
                f"{job.job_id}: due at {job.definition.next_run_at:%Y-%m-%d %H:%M} UTC"
            )
    lease = timedelta(seconds=settings().scheduler.lease_seconds)
    stuck = select(JobRun).where(JobRun.status == "running", JobRun.heartbeat_at < now - lease)
    silent = set()
    for run in store.scalars(stuck):
        silent.add(run.id)
        card.items.append(f"{run.job_id}: run {run.id} has not reported for over {lease}")
    long = [job.long_run for job in jobs if job.long_run and job.long_run.run.id not in silent]
    for found in long:
        card.items.append(f"{found.job_id}: {found.describe(duration)}")
    if long:
        card.summary = f"{len(long)} running far longer than usual"
        card.summary_level = "bad"
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
    stale = store.scalar(
        select(func.count()).select_from(
            query.where(RecordError.first_seen < now - STALE).subquery()
        )
    )
    return Attention(
        "Records waiting in the error queue",
        items=items,
        count=total,
        endpoint="errors.index",
        link_label="Error queue",
        summary=f"{stale} failing for over a day" if stale else "",
        summary_level="bad" if stale else "muted",
    )


def _describe_case(row: OpsException, now: datetime) -> str:
    sla = exception_store.Sla.of(row, now)
    text = f"{row.kind.replace('_', ' ')} · {row.business_key}"
    text += f" (order {row.order_number})" if row.order_number else ""
    text += f": {row.message}"
    if row.amount is not None:
        text += f" [{exception_store.money(row.amount, row.currency)}]"
    if sla.state == "overdue":
        text += f" — overdue by {duration(sla.seconds)}"
    return text


def _cases(store: Session, now: datetime, title: str, link_label: str) -> Attention:
    """Open exceptions in this role's scope, most urgent first, with the overdue count."""
    role, me = current_user.role, current_user.username
    page = exception_store.list_exceptions(store, exception_store.Filters(), role, (me, role))
    overdue = sum(late for _, late in exception_store.open_by_kind(store, role, now).values())
    return Attention(
        title,
        items=[_describe_case(row, now) for row in page.rows[:LIST_LIMIT]],
        count=page.total,
        endpoint="exceptions.index",
        link_label=link_label,
        summary=f"{overdue} past their SLA" if overdue else "",
        summary_level="bad" if overdue else "muted",
        summary_args={"sla": "overdue"},
    )


def _open_exceptions(store: Session, now: datetime) -> Attention:
    return _cases(store, now, "Open exceptions: shipments and invoices", "Exceptions")


def _invoice_discrepancies(store: Session, now: datetime) -> Attention:
    return _cases(store, now, "Invoice and reconciliation discrepancies", "Exceptions")


def _reconciliation(store: Session, now: datetime) -> Attention:
    return Attention(
        "Reconciliation workbook",
        level="info",
        counted=False,
        endpoint="reports.index",
        link_label="the reconciliation download",
        note="Order against shipment against invoice, for the period you pick, as an .xlsx.",
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
        note="The reconciliation workbook lists them with their orders and invoices.",
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
    "admin": (
        _scheduler,
        _failed_runs,
        _stalled_jobs,
        _connections,
        _open_errors,
        _open_exceptions,
    ),
    "coordinator": (_open_errors, _open_exceptions),
    "steward": (_uploads_awaiting,),
    "finance": (_invoice_discrepancies, _delivered_not_invoiced, _reconciliation),
    "auditor": (_open_findings, _recent_changes),
}


@bp.get("/")
def index():
    now = utcnow()
    with db() as store:
        cards = [section(store, now) for section in SECTIONS.get(current_user.role, ())]
    return render_template("home.html", cards=cards, now=now)
