"""The work queue of a job's runs: record a window's items, claim one (compare-and-set),
settle its outcome, count strikes against a poison record, park refused records."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select, update

from core.errors import OrderbridgeError, RecordRejectedError, TransientError
from core.store import session_scope
from core.store.models import WorkItem
from sync_jobs import leases
from sync_jobs.base import Clock, ItemSpec, RunContext
from sync_jobs.errorqueue import park, resolve_on_success

# A record the system keeps failing on while it accepts the records after it (a poison
# record) goes to the error queue after this many such strikes.
MAX_TRANSIENT_ATTEMPTS = 5
OPEN_ITEM = ("pending", "claimed")


class WorkQueue:
    """The work items as one holder (a runner) records, claims and settles them."""

    def __init__(self, url: str, holder: str, lease_seconds: int, clock: Clock) -> None:
        self.url, self.holder = url, holder
        self.lease_seconds, self.clock = lease_seconds, clock

    def supersede_earlier(self, ctx: RunContext) -> None:
        """Close the open items earlier runs of a snapshot job left (we hold the job's lease)."""
        with session_scope(self.url) as session:
            session.execute(
                update(WorkItem)
                .where(
                    WorkItem.job_id == ctx.job_id,
                    WorkItem.status.in_(OPEN_ITEM),
                    WorkItem.run_id != ctx.run_id,
                )
                .values(
                    status="superseded",
                    claimed_by=None,
                    lease_until=None,
                    updated_at=self.clock.now(),
                    last_error=f"superseded by run {ctx.run_id}",
                )
            )

    def record(self, ctx: RunContext, spec: ItemSpec) -> int:
        with session_scope(self.url) as session:
            item = session.scalars(
                select(WorkItem).where(
                    WorkItem.job_id == ctx.job_id,
                    WorkItem.business_key == spec.business_key,
                    WorkItem.version == spec.version,
                )
            ).first()
            if item is not None:
                return 0 if item.status in ("done", "rejected") else 1
            if ctx.dry_run:
                return 1
            session.add(
                WorkItem(
                    job_id=ctx.job_id,
                    run_id=ctx.run_id,
                    business_key=spec.business_key,
                    version=spec.version,
                    payload=spec.payload,
                    status="pending",
                )
            )
        return 1

    def open_items(self, job_id: str) -> list[tuple[int, str]]:
        with session_scope(self.url) as session:
            return [
                (row.id, row.business_key)
                for row in session.execute(
                    select(WorkItem.id, WorkItem.business_key)
                    .where(WorkItem.job_id == job_id, WorkItem.status.in_(OPEN_ITEM))
                    .order_by(WorkItem.id)
                )
            ]

    def claim(self, item_id: int) -> tuple[WorkItem, bool] | None:
        """Compare-and-set claim: pending, or claimed by a holder that is dead or expired.

        Returns the item as it was before the claim, and whether its last holder died while
        carrying it out (the only case in which the job is asked to confirm a landed write)."""
        now = self.clock.now()
        with session_scope(self.url) as session:
            item = session.get(WorkItem, item_id)
            if item is None or item.status not in OPEN_ITEM:
                return None
            if (
                item.status == "claimed"
                and item.claimed_by != self.holder
                and not (
                    (item.lease_until and item.lease_until < now) or leases.is_dead(item.claimed_by)
                )
            ):
                return None
            interrupted = item.status == "claimed"
            taken = session.execute(
                update(WorkItem)
                .execution_options(synchronize_session=False)
                .where(
                    WorkItem.id == item_id,
                    WorkItem.status == item.status,
                    or_(WorkItem.claimed_by.is_(None), WorkItem.claimed_by == item.claimed_by),
                )
                .values(
                    status="claimed",
                    claimed_by=self.holder,
                    lease_until=now + timedelta(seconds=self.lease_seconds),
                    attempts=WorkItem.attempts + 1,
                    updated_at=now,
                )
            ).rowcount
            return (item, interrupted) if taken == 1 else None

    def strike(
        self, ctx: RunContext, item: WorkItem, exc: TransientError | RecordRejectedError
    ) -> int:
        """The system failed on this record and took the next: count it against the record,
        and after MAX_TRANSIENT_ATTEMPTS such strikes send it to the error queue."""
        with session_scope(self.url) as session:
            row = session.get(WorkItem, item.id)
            if row is None or row.status != "pending":
                return 0
            row.attempts += 1
            if row.attempts < MAX_TRANSIENT_ATTEMPTS:
                return 0
            row.status = "rejected"
            hint = (
                f"{exc.system or 'the system'} failed on this record {row.attempts} times while "
                "it accepted the records after it; check the record there, then retry it here"
            )
            rejected = RecordRejectedError(
                exc.message,
                system=exc.system,
                key=row.business_key,
                hint=hint,
                error_class=exc.error_class,
            )
            park(session, ctx.job_id, ctx.run_id, row.business_key, row.payload, rejected)
        ctx.rejected_keys.append(item.business_key)
        return 1

    def park_rejections(self, ctx: RunContext) -> int:
        rejected, ctx.rejected = ctx.rejected, []
        if rejected:
            with session_scope(self.url) as session:
                for business_key, payload, exc in rejected:
                    park(session, ctx.job_id, ctx.run_id, business_key, payload, exc)
                    ctx.rejected_keys.append(business_key)
        return len(rejected)

    def settle(
        self,
        ctx: RunContext,
        item: WorkItem,
        status: str,
        exc: OrderbridgeError | None,
        *,
        counted: bool = True,
    ) -> None:
        """Record the item's outcome; an attempt that failed through no fault of the record
        (counted=False) is taken back, so `attempts` counts only what the record is to blame
        for (and the runs it was carried out in)."""
        with session_scope(self.url) as session:
            session.execute(
                update(WorkItem)
                .where(WorkItem.id == item.id, WorkItem.claimed_by == self.holder)
                .values(
                    status=status,
                    claimed_by=None,
                    lease_until=None,
                    updated_at=self.clock.now(),
                    last_error=exc.one_line() if exc else None,
                    run_id=ctx.run_id,
                    attempts=WorkItem.attempts if counted else WorkItem.attempts - 1,
                )
            )
            if status == "rejected" and exc is not None:
                park(session, ctx.job_id, ctx.run_id, item.business_key, item.payload, exc)
            elif status == "done":
                resolve_on_success(session, ctx.job_id, item.business_key)
