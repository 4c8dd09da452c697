"""The daily digest's figures per role, read from the store (read-only).

coordinator: open order lines by age from order date, today against a day ago (the aging
report's rule and buckets); exceptions opened
in the last 24 hours by kind; backorders release_backorders released in the last 24 hours.
Late 997s join once EDI exists.
finance: open invoice and reconciliation discrepancies by kind with their amounts; delivered
shipments with no invoice yet.
admin: failed, abandoned and interrupted runs of the last 24 hours; paused jobs; API calls per
job over the last 24 hours.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.store.models import (
    Invoice,
    JobDefinition,
    JobRun,
    OpsException,
    Shipment,
)
from reports import aging as open_aging
from reports.base import Options

DAY = timedelta(days=1)
LIST_LIMIT = 20
FAILED = ("failed", "abandoned", "interrupted")
FINANCE_KINDS = ("invoice_", "recon_")


@dataclass(frozen=True)
class Table:
    """One section of a digest: rows under named columns; `bar` names the column drawn."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)
    bar: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Digest:
    role: str
    day: date
    tables: list[Table]

    @property
    def subject(self) -> str:
        return f"Orderbridge daily digest for {self.role}, {self.day:%d %b %Y}"


def aging(session: Session, now: datetime, options: Options) -> Table:
    """Open lines by age bucket now and a day ago (of the lines open now), by the aging
    report's rule and buckets (reports/aging.py, reports.aging_buckets)."""
    edges = options.aging_buckets
    labels = [*open_aging.bucket_labels(edges), open_aging.NO_DATE]
    now_counts, before = Counter(), Counter()
    for line in open_aging.open_lines(session, now.date()):
        if line.age is None:
            now_counts[labels[-1]] += 1
            before[labels[-1]] += 1
            continue
        now_counts[labels[open_aging.bucket_index(line.age, edges)]] += 1
        if line.age >= 1:
            before[labels[open_aging.bucket_index(line.age - 1, edges)]] += 1
    shown = labels if now_counts[labels[-1]] else labels[:-1]
    table = [(b, now_counts[b], before[b], f"{now_counts[b] - before[b]:+d}") for b in shown]
    columns = ("age (days)", "lines now", "a day ago", "change")
    return Table("Open order lines by age", columns, table, bar=1)


def new_exceptions(session: Session, now: datetime, options: Options) -> Table:
    rows = session.execute(
        select(OpsException.kind, func.count())
        .where(OpsException.opened_at >= now - DAY)
        .group_by(OpsException.kind)
        .order_by(func.count().desc(), OpsException.kind)
    ).all()
    return Table("Exceptions opened in the last 24 hours", ("kind", "opened"), list(rows), bar=1)


def released_backorders(session: Session, now: datetime, options: Options) -> Table:
    query = select(OpsException).where(
        OpsException.kind == "backorder",
        OpsException.status == "resolved",
        OpsException.comment == "released",
        OpsException.resolved_at >= now - DAY,
    )
    cases = session.scalars(query.order_by(OpsException.resolved_at)).all()
    rows = [(c.business_key, f"{c.resolved_at:%Y-%m-%d %H:%M}") for c in cases]
    title = f"Backorders released in the last 24 hours: {len(rows)}"
    return Table(title, ("order/line", "released (UTC)"), rows[:LIST_LIMIT], note=_more(rows))


def _more(rows: list) -> str:
    return f"and {len(rows) - LIST_LIMIT} more" if len(rows) > LIST_LIMIT else ""


def _money(amounts: dict[str, Decimal]) -> str:
    return "; ".join(f"{amount:,.2f} {currency}" for currency, amount in sorted(amounts.items()))


def discrepancies(session: Session, now: datetime, options: Options) -> Table:
    cases = session.execute(
        select(OpsException.kind, OpsException.amount, OpsException.currency).where(
            OpsException.status == "open",
            or_(*(OpsException.kind.startswith(prefix) for prefix in FINANCE_KINDS)),
        )
    ).all()
    counts: Counter[str] = Counter()
    amounts: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for kind, amount, currency in cases:
        counts[kind] += 1
        if amount is not None and currency:
            amounts[kind][currency] += amount
    rows = [(kind, n, _money(amounts[kind])) for kind, n in sorted(counts.items())]
    title = "Open invoice and reconciliation discrepancies"
    return Table(title, ("kind", "open", "amount"), rows, bar=1)


def delivered_not_invoiced(session: Session, now: datetime, options: Options) -> Table:
    shipments = session.scalars(
        select(Shipment)
        .where(
            Shipment.status == "delivered",
            Shipment.order_number.not_in(select(Invoice.order_number)),
        )
        .order_by(Shipment.delivered_at, Shipment.number)
    ).all()
    rows = [
        (s.number, s.order_number, f"{s.delivered_at:%Y-%m-%d}" if s.delivered_at else "")
        for s in shipments
    ]
    title = f"Delivered shipments with no invoice yet: {len(rows)}"
    columns = ("shipment", "order", "delivered")
    return Table(title, columns, rows[:LIST_LIMIT], note=_more(rows))


def failed_runs(session: Session, now: datetime, options: Options) -> Table:
    ended = func.coalesce(JobRun.finished_at, JobRun.started_at, JobRun.scheduled_at)
    query = select(JobRun).where(JobRun.status.in_(FAILED), ended >= now - DAY)
    runs = session.scalars(query.order_by(JobRun.id)).all()
    by_job: dict[str, list[JobRun]] = defaultdict(list)
    for run in runs:
        by_job[run.job_id].append(run)
    rows = [
        (job, len(found), found[-1].status, next((r.error for r in found[::-1] if r.error), ""))
        for job, found in sorted(by_job.items())
    ]
    columns = ("job", "runs", "last outcome", "last error")
    return Table("Failed runs in the last 24 hours", columns, rows, bar=1)


def paused_jobs(session: Session, now: datetime, options: Options) -> Table:
    jobs = session.scalars(
        select(JobDefinition).where(JobDefinition.paused.is_(True)).order_by(JobDefinition.job_id)
    ).all()
    rows = [(j.job_id, f"{j.updated_at:%Y-%m-%d %H:%M}") for j in jobs]
    return Table("Paused jobs", ("job", "paused since (UTC)"), rows)


def api_usage(session: Session, now: datetime, options: Options) -> Table:
    rows = session.execute(
        select(JobRun.job_id, func.sum(JobRun.api_calls), func.count())
        .where(JobRun.started_at >= now - DAY)
        .group_by(JobRun.job_id)
        .having(func.sum(JobRun.api_calls) > 0)
        .order_by(func.sum(JobRun.api_calls).desc(), JobRun.job_id)
    ).all()
    table = [(job, int(calls), runs) for job, calls, runs in rows]
    return Table("API calls in the last 24 hours", ("job", "calls", "runs"), table, bar=1)


# Each section: the store, now, and the reports' settings (only some read them).
Section = Callable[[Session, datetime, Options], Table]
SECTIONS: dict[str, tuple[Section, ...]] = {
    "coordinator": (aging, new_exceptions, released_backorders),
    "finance": (discrepancies, delivered_not_invoiced),
    "admin": (failed_runs, paused_jobs, api_usage),
}
ROLES = tuple(SECTIONS)


def digest_for(
    session: Session, role: str, now: datetime, day: date | None = None,
    options: Options | None = None,
) -> Digest:  # fmt: skip
    """The role's digest with its figures as of now (the day it is for defaults to now's);
    `options` carry the reports' settings (the aging buckets)."""
    options = options or Options(as_of=now.date())
    tables = [section(session, now, options) for section in SECTIONS[role]]
    return Digest(role, day or now.date(), tables)
