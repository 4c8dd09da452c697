"""The runner: one code path for every run, whoever starts it (scheduler, worker, CLI).

A run takes the job's lease (one run per job at a time, across processes), reads the window
[watermark - lookback, now), turns it into work items keyed by business key, claims and carries
them out, and moves the watermark only when the whole window is done. A run whose holder died
is closed as abandoned and its items are picked up by the next one; items already done are not
done again.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from config import Settings
from core.errors import (
    TRANSIENT_CLASSES,
    ConfigError,
    OrderbridgeError,
    RecordRejectedError,
    TransientError,
)
from core.store import session_scope
from core.store.models import JobDefinition, JobRun, Watermark, WorkItem
from sync_jobs import abandoned, get_spec, leases, load_job, trigger_for
from sync_jobs.base import Clock, ItemSpec, Job, RunContext
from sync_jobs.errorqueue import park, resolve_on_success

log = logging.getLogger(__name__)

# A record the system keeps failing on while it accepts the records after it (a poison
# record) goes to the error queue after this many such strikes.
MAX_TRANSIENT_ATTEMPTS = 5
# How many rejected records a run's summary names (all are in the error queue).
SUMMARY_KEYS = 10
# A rate limit that asks us to wait this long or more parks the job instead of retrying.
PARK_AFTER_SECONDS = 60
OPEN_ITEM = ("pending", "claimed")


# What the runner does with an item's error, by whose fault it is:
#   reject  the record's: it waits in the error queue for a person
#   retry   the system's: the item goes back in line uncounted; the run goes on to the next
#           record, stopping (to resume) at the second failure in a row
#   park    a quota: the job is held until it resets
#   stop    a setting: the run fails, the item waits in line
def action_for(exc: OrderbridgeError) -> str:
    if isinstance(exc, ConfigError):
        return "stop"
    transient = isinstance(exc, TransientError) or (
        isinstance(exc, RecordRejectedError) and exc.error_class in TRANSIENT_CLASSES
    )
    if not transient:
        return "reject"
    if exc.error_class == "rate_limit" and (getattr(exc, "retry_after", 0) or 0) >= (
        PARK_AFTER_SECONDS
    ):
        return "park"
    return "retry"


@dataclass
class RunOutcome:
    run_id: int
    status: str  # completed | failed | skipped | busy
    summary: str = ""


def park_job(url: str, job_id: str, seconds: float, reason: str, now: datetime) -> datetime:
    """Hold the job's scheduled runs until a quota resets; a person can still run it now."""
    until = now + timedelta(seconds=seconds)
    with session_scope(url) as session:
        row = session.get(JobDefinition, job_id)
        if row is None:  # run from the CLI before any scheduler described the job
            spec = get_spec(job_id)
            row = JobDefinition(
                job_id=job_id,
                description=spec.description,
                trigger=spec.cron or f"every {spec.every}",
                urgency=spec.urgency,
            )
            session.add(row)
        row.parked_until, row.parked_reason = until, reason
    return until


def create_run(
    url: str,
    job_id: str,
    scheduled_at: datetime,
    *,
    trigger: str = "schedule",
    requested_by: str | None = None,
    dry_run: bool = False,
) -> int | None:
    """Queue a run; None when that (job, scheduled time) already has one."""
    try:
        with session_scope(url) as session:
            run = JobRun(
                job_id=job_id,
                scheduled_at=scheduled_at,
                trigger=trigger,
                requested_by=requested_by,
                dry_run=dry_run,
                status="queued",
            )
            session.add(run)
            session.flush()
            return run.id
    except IntegrityError:
        return None


class _Heartbeat(threading.Thread):
    """Renews the job lease and the run's heartbeat; notices when the lease was taken."""

    def __init__(
        self, url: str, job_id: str, run_id: int, holder: str, seconds: int, clock: Clock
    ) -> None:
        super().__init__(daemon=True, name=f"heartbeat-{job_id}")
        self.clock = clock
        self.url, self.job_id, self.run_id = url, job_id, run_id
        self.holder, self.seconds = holder, seconds
        self.stopped = threading.Event()
        self.lost = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(max(1.0, self.seconds / 3)):
            try:
                if not leases.renew(self.url, self.job_id, self.holder, self.seconds):
                    self.lost.set()
                    return
                with session_scope(self.url) as session:
                    session.execute(
                        update(JobRun)
                        .where(JobRun.id == self.run_id)
                        .values(heartbeat_at=self.clock.now())
                    )
            except Exception:  # noqa: BLE001 - a missed beat is retried; the lease has slack
                log.warning("heartbeat of %s failed; retrying", self.job_id, exc_info=True)


class Runner:
    """Carries out one queued run of a job in this process."""

    def __init__(
        self, settings: Settings, holder: str | None = None, clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        self.url = settings.database_url
        self.holder = holder or leases.new_holder()
        self.lease_seconds = int(settings.scheduler.lease_seconds)

    def execute(self, run_id: int) -> RunOutcome:
        with session_scope(self.url) as session:
            run = session.get(JobRun, run_id)
            if run is None or run.status != "queued":
                return RunOutcome(run_id, "skipped", "not queued")
            job_id, dry_run, scheduled_at = run.job_id, run.dry_run, run.scheduled_at
        if not leases.acquire(self.url, job_id, self.holder, run_id, self.lease_seconds):
            return RunOutcome(run_id, "busy", "the job is running in another process")
        heartbeat = _Heartbeat(
            self.url, job_id, run_id, self.holder, self.lease_seconds, self.clock
        )
        try:
            if not self._start(run_id, job_id):
                return RunOutcome(run_id, "skipped", "taken by another worker")
            heartbeat.start()
            return self._run(run_id, job_id, scheduled_at, dry_run, heartbeat)
        finally:
            heartbeat.stopped.set()
            leases.release(self.url, job_id, self.holder)

    def _start(self, run_id: int, job_id: str) -> bool:
        now = self.clock.now()
        with session_scope(self.url) as session:
            claimed = session.execute(
                update(JobRun)
                .where(JobRun.id == run_id, JobRun.status == "queued")
                .values(status="running", worker=self.holder, started_at=now, heartbeat_at=now)
            ).rowcount
            if claimed != 1:
                return False
            # We hold the lease, so any other run still marked running lost its holder.
            abandoned.close_others(session, job_id, run_id)
        return True

    def _run(
        self, run_id: int, job_id: str, scheduled_at: datetime, dry_run: bool, heartbeat: _Heartbeat
    ) -> RunOutcome:
        spec = get_spec(job_id)
        trigger = trigger_for(spec, self.settings)
        job: Job | None = None
        stats = {"written": 0, "failed": 0}
        try:
            job = load_job(spec, self.settings)
            ctx = self._context(job, run_id, scheduled_at, dry_run, trigger.lookback_seconds)
            planned = self._plan(job, ctx)
            if dry_run:
                return self._finish(
                    run_id,
                    job,
                    ctx,
                    stats,
                    "completed",
                    f"dry run: {planned} item(s) would be carried out",
                )
            stop = self._carry_out(job, ctx, stats, heartbeat)
            if stop is None:
                self._move_watermark(job_id, ctx.window_end)
                return self._finish(run_id, job, ctx, stats, "completed", self._summary(ctx, stats))
            status, error = stop
            return self._finish(run_id, job, ctx, stats, status, self._summary(ctx, stats), error)
        except OrderbridgeError as exc:
            return self._finish(run_id, job, None, stats, "failed", "", exc.one_line())
        except Exception as exc:  # noqa: BLE001 - a job bug must fail its run, not the worker
            log.exception("job %s crashed", job_id)
            return self._finish(
                run_id,
                job,
                None,
                stats,
                "failed",
                "",
                f"internal error: {type(exc).__name__}: {exc}",
            )
        finally:
            if job is not None:
                job.close()

    def _context(
        self, job: Job, run_id: int, scheduled_at: datetime, dry_run: bool, lookback: int
    ) -> RunContext:
        now = self.clock.now()
        with session_scope(self.url) as session:
            mark = session.get(Watermark, (job.job_id, ""))
        start = (mark.value if mark else now - job.first_window) - timedelta(seconds=lookback)
        with session_scope(self.url) as session:
            session.execute(
                update(JobRun).where(JobRun.id == run_id).values(window_start=start, window_end=now)
            )
        return RunContext(
            job.job_id, run_id, self.settings, start, now, dry_run, scheduled_at, clock=self.clock
        )

    def _plan(self, job: Job, ctx: RunContext) -> int:
        """Record the window's items; returns how many are new work (not done before)."""
        new = 0
        for spec in job.plan(ctx):
            ctx.read += 1
            new += self._record_item(ctx, spec)
        if job.snapshot and not ctx.dry_run:
            self._supersede_earlier(ctx)
        return new

    def _supersede_earlier(self, ctx: RunContext) -> None:
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

    def _record_item(self, ctx: RunContext, spec: ItemSpec) -> int:
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

    def _open_items(self, job_id: str) -> list[tuple[int, str]]:
        with session_scope(self.url) as session:
            return [
                (row.id, row.business_key)
                for row in session.execute(
                    select(WorkItem.id, WorkItem.business_key)
                    .where(WorkItem.job_id == job_id, WorkItem.status.in_(OPEN_ITEM))
                    .order_by(WorkItem.id)
                )
            ]

    def _claim(self, item_id: int) -> tuple[WorkItem, bool] | None:
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

    def _carry_out(
        self, job: Job, ctx: RunContext, stats: dict[str, int], heartbeat: _Heartbeat
    ) -> tuple[str, str] | None:
        """Carry out every open item; returns the error that stops the window, or None.

        A failure that is the system's fault (action_for: retry) costs the record nothing:
        the run goes on with the next record (never a later one of the same key), and if the
        system fails again it stops there, to resume. If the system takes the next record,
        the failed one is suspect: the system fails on it alone, which counts against it."""
        suspect: WorkItem | None = None
        failure: TransientError | RecordRejectedError | None = None
        held_back: set[str] = set()  # keys that failed in this run: their order stands
        for item_id, business_key in self._open_items(ctx.job_id):
            if business_key in held_back:
                continue
            if heartbeat.lost.is_set():
                return "failed", "lost the job lease to another process; stopped"
            reason = job.throttled()
            if reason:
                return "skipped", f"paused before the quota runs out: {reason}"
            claimed = self._claim(item_id)
            if claimed is None:
                continue
            item, interrupted = claimed
            try:
                if not (interrupted and job.confirm(ctx, item.business_key, item.payload)):
                    job.perform(ctx, item.business_key, item.payload)
            except (RecordRejectedError, TransientError, ConfigError) as exc:
                action = action_for(exc)
                if action == "reject":
                    self._settle(ctx, item, "rejected", exc)
                    stats["failed"] += 1
                    ctx.rejected_keys.append(item.business_key)
                elif action == "park":
                    self._settle(ctx, item, "pending", exc, counted=False)
                    until = park_job(
                        self.url, ctx.job_id, exc.retry_after, exc.one_line(), self.clock.now()
                    )
                    return "skipped", f"parked until {until:%Y-%m-%d %H:%M} UTC: {exc.one_line()}"
                elif action == "stop":
                    self._settle(ctx, item, "pending", exc, counted=False)
                    return "failed", exc.one_line()
                else:
                    self._settle(ctx, item, "pending", exc, counted=False)
                    if failure is not None:  # two in a row: the system is down
                        return "failed", _will_resume(exc)
                    suspect, failure = item, exc
                    held_back.add(item.business_key)
                    continue
            else:
                self._settle(ctx, item, "done", None)
                stats["written"] += 1
            if suspect is not None and failure is not None:
                struck_out = self._strike(ctx, suspect, failure)
                stats["failed"] += struck_out
                suspect = None
                if struck_out:  # in the error queue now; still in line, it keeps the window
                    failure = None
            stats["failed"] += self._park_batch_rejections(ctx)
        if failure is not None:
            return "failed", _will_resume(failure)
        return None

    def _strike(
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

    def _park_batch_rejections(self, ctx: RunContext) -> int:
        rejected, ctx.rejected = ctx.rejected, []
        if rejected:
            with session_scope(self.url) as session:
                for business_key, payload, exc in rejected:
                    park(session, ctx.job_id, ctx.run_id, business_key, payload, exc)
                    ctx.rejected_keys.append(business_key)
        return len(rejected)

    def _settle(
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

    def _move_watermark(self, job_id: str, value: datetime) -> None:
        with session_scope(self.url) as session:
            mark = session.get(Watermark, (job_id, ""))
            if mark is None:
                session.add(Watermark(job_id=job_id, stream="", value=value))
            else:
                mark.value, mark.updated_at = value, self.clock.now()

    @staticmethod
    def _summary(ctx: RunContext, stats: dict[str, int]) -> str:
        parts = [
            f"read {ctx.read}",
            f"written {ctx.written or stats['written']}",
            f"rejected {stats['failed']}",
        ]
        if ctx.rejected_keys:
            shown = ", ".join(ctx.rejected_keys[:SUMMARY_KEYS])
            more = len(ctx.rejected_keys) - SUMMARY_KEYS
            parts[-1] += f" ({shown}{f' and {more} more' if more > 0 else ''})"
        return "; ".join(parts + ctx.notes)

    def _finish(
        self,
        run_id: int,
        job: Job | None,
        ctx: RunContext | None,
        stats: dict[str, int],
        status: str,
        summary: str,
        error: str | None = None,
    ) -> RunOutcome:
        values: dict[str, Any] = {
            "status": status,
            "finished_at": self.clock.now(),
            "summary": summary,
            "error": error,
            "written": (ctx.written if ctx else 0) or stats["written"],
            "failed": stats["failed"],
            "read": ctx.read if ctx else 0,
            "api_calls": job.api_calls() if job else 0,
        }
        with session_scope(self.url) as session:
            session.execute(update(JobRun).where(JobRun.id == run_id).values(**values))
        log.info(
            "run %s of %s %s: %s%s",
            run_id,
            job.job_id if job else "?",
            status,
            summary,
            f" ({error})" if error else "",
        )
        return RunOutcome(run_id, status, error or summary)


def _will_resume(exc: OrderbridgeError) -> str:
    return f"stopped on a transient error, will resume: {exc.one_line()}"
