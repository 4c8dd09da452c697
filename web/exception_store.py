"""What the exception queue pages and API read and write: the exceptions table the jobs fill
(late, lost or damaged shipments from track_shipments; invoice and reconciliation
discrepancies from sync_invoices and the reconciliation), and the audit log.

The jobs open, refresh, reopen and close cases themselves; a person assigns and resolves.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from core.store.models import OpsException
from web import queues
from web.queue_export import Column, Download
from web.store import utcnow

STATUSES = ("open", "resolved", "all")
SLA_FILTERS = (("overdue", "overdue"), ("soon", "due within 4 hours"), ("ok", "in time"))
DUE_SOON = timedelta(hours=4)
QUEUE = queues.Queue("exception", "exception", "exceptions.assign")
# Finance works the money side: invoice discrepancies and the reconciliation's findings.
FINANCE_KINDS = ("invoice_", "recon_")
SCOPES: dict[str, tuple[str, ...]] = {"finance": FINANCE_KINDS}


# The columns a person may sort by, by their name in the URL. "sla" is the usual order, most
# urgent first: the earliest SLA due (cases without one last), then the longest open.
SORTS = {
    "id": OpsException.id,
    "kind": OpsException.kind,
    "key": OpsException.business_key,
    "order": OpsException.order_number,
    "amount": OpsException.amount,
    "opened": OpsException.opened_at,
    "last_seen": OpsException.last_seen,
    "sla": (OpsException.sla_due_at, OpsException.opened_at),
    "owner": OpsException.owner,
    "status": OpsException.status,
}
SEARCHED = (OpsException.business_key, OpsException.order_number, OpsException.message)
DOWNLOAD = Download(
    "Exceptions",
    "exceptions",
    (
        Column("Id", OpsException.id, "number", 8),
        Column("Kind", OpsException.kind, width=24),
        Column("Case", OpsException.business_key, width=24),
        Column("Order", OpsException.order_number),
        Column("Job", OpsException.source_job, width=20),
        Column("System", OpsException.system, width=12),
        Column("What happened", OpsException.message, width=60),
        Column("Hint", OpsException.hint, width=60),
        Column("Amount", OpsException.amount, "money", 14),
        Column("Currency", OpsException.currency, width=10),
        Column("Status", OpsException.status, width=10),
        Column("Owner", OpsException.owner),
        Column("Opened (UTC)", OpsException.opened_at, "when", 20),
        Column("Last seen (UTC)", OpsException.last_seen, "when", 20),
        Column("SLA due (UTC)", OpsException.sla_due_at, "when", 20),
        Column("Resolved by", OpsException.resolved_by),
    ),
    "cases",
)


@dataclass(frozen=True)
class Filters(queues.Sortable):
    SORTS = SORTS
    DEFAULT = ("sla", "asc")

    kind: str = ""
    status: str = "open"
    owner: str = ""
    age: str = ""
    sla: str = ""
    order: str = ""
    q: str = ""
    sort: str = ""
    dir: str = ""

    @classmethod
    def of(cls, args) -> Filters:
        status = args.get("status", "open")
        return cls(
            kind=args.get("kind", "").strip(),
            status=status if status in STATUSES else "open",
            owner=args.get("owner", "").strip(),
            age=args.get("age", "").strip(),
            sla=args.get("sla", "").strip(),
            order=args.get("order", "").strip()[:80],
            **queues.search_and_sort(args, SORTS),
        )

    def args(self, **changes) -> dict[str, str]:
        values = {**asdict(self), **changes}
        return {key: value for key, value in values.items() if value}


def scope(role: str | None):
    prefixes = SCOPES.get(role or "")
    if prefixes is None:
        return None
    return or_(*(OpsException.kind.startswith(p, autoescape=True) for p in prefixes))


def _sla_condition(sla: str, now: datetime):
    due = OpsException.sla_due_at
    if sla == "overdue":
        return due < now
    if sla == "soon":
        return (due >= now) & (due < now + DUE_SOON)
    if sla == "ok":
        return or_(due.is_(None), due >= now + DUE_SOON)
    return None


def _where(filters: Filters, role: str, mine: tuple[str, ...], now: datetime) -> list:
    conditions = [
        scope(role),
        OpsException.kind == filters.kind if filters.kind else None,
        OpsException.status == filters.status if filters.status != "all" else None,
        OpsException.order_number == filters.order if filters.order else None,
        queues.owner_condition(OpsException.owner, filters.owner, mine),
        queues.age_condition(OpsException.opened_at, filters.age, now),
        _sla_condition(filters.sla, now),
        queues.search_condition(filters.q, SEARCHED),
    ]
    return [condition for condition in conditions if condition is not None]


def list_exceptions(
    session: Session, filters: Filters, role: str, mine: tuple[str, ...], number: int = 1
) -> queues.Page:
    """In the chosen order; unless another is chosen, most urgent first."""
    where = _where(filters, role, mine, utcnow())
    order = filters.order_by(OpsException.id)
    return queues.page_of(session, OpsException, where, order, number)


def export_rows(session: Session, filters: Filters, role: str, mine: tuple[str, ...]) -> list:
    """Every row the page's filters, search and sort select, in the page's order."""
    where = _where(filters, role, mine, utcnow())
    return DOWNLOAD.rows(session, where, filters.order_by(OpsException.id))


def open_by_kind(session: Session, role: str, now: datetime) -> dict[str, tuple[int, int]]:
    """Open cases per kind: (open, overdue)."""
    overdue = func.sum(case((OpsException.sla_due_at < now, 1), else_=0))
    query = (
        select(OpsException.kind, func.count(), overdue)
        .where(OpsException.status == "open", *[c for c in (scope(role),) if c is not None])
        .group_by(OpsException.kind)
        .order_by(OpsException.kind)
    )
    return {kind: (n, int(late or 0)) for kind, n, late in session.execute(query)}


def kinds(session: Session, role: str) -> list[str]:
    query = select(OpsException.kind).distinct()
    if (condition := scope(role)) is not None:
        query = query.where(condition)
    return sorted(session.scalars(query))


def get_exception(session: Session, exception_id: int, role: str) -> OpsException | None:
    query = select(OpsException).where(OpsException.id == exception_id)
    if (condition := scope(role)) is not None:
        query = query.where(condition)
    return session.scalar(query)


@dataclass(frozen=True)
class Sla:
    """Where a case stands against its SLA: overdue, due soon or in time, and by how much."""

    state: str
    seconds: float | None

    @classmethod
    def of(cls, row: OpsException, now: datetime) -> Sla:
        if row.status != "open" or row.sla_due_at is None:
            return cls("none", None)
        left = (row.sla_due_at - now).total_seconds()
        if left < 0:
            return cls("overdue", -left)
        return cls("soon" if left < DUE_SOON.total_seconds() else "ok", left)


def money(amount: Decimal | None, currency: str | None) -> str:
    """1,234.50 USD; more decimals only when the amount has them."""
    if amount is None:
        return ""
    cents = amount.quantize(Decimal("0.01"))
    text = f"{cents:,.2f}" if cents == amount else f"{amount.normalize():,f}"
    return f"{text} {currency or ''}".strip()
