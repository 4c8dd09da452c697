"""The ledger of a job's runs: queue a run, start it, beat its heartbeat, open its window from
the watermark, move the watermark, hold the job for a quota, and finish the run with its
summary."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core.store import session_scope
from core.store.models import JobDefinition, JobRun, Watermark
from sync_jobs import abandoned, get_spec, leases
from sync_jobs.base import Clock, Job, RunContext

log = logging.getLogger(__name__)

# How many rejected records a run's summary names (all are in the error queue).
SUMMARY_KEYS = 10


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


class Heartbeat(threading.Thread):
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


class RunLedger:
    """A holder's (a runner's) entries in the runs and watermarks tables."""

    def __init__(self, url: str, holder: str, clock: Clock) -> None:
        self.url, self.holder, self.clock = url, holder, clock

    def queued(self, run_id: int) -> tuple[str, bool, datetime] | None:
        """(job, dry run, scheduled time) of a run still queued; None otherwise."""
        with session_scope(self.url) as session:
            run = session.get(JobRun, run_id)
            if run is None or run.status != "queued":
                return None
            return run.job_id, run.dry_run, run.scheduled_at

    def start(self, run_id: int, job_id: str) -> bool:
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

    def open_window(self, job: Job, run_id: int, lookback: int) -> tuple[datetime, datetime]:
        """The run's window [watermark - lookback, now), recorded on the run."""
        now = self.clock.now()
        with session_scope(self.url) as session:
            mark = session.get(Watermark, (job.job_id, ""))
        start = (mark.value if mark else now - job.first_window) - timedelta(seconds=lookback)
        with session_scope(self.url) as session:
            session.execute(
                update(JobRun).where(JobRun.id == run_id).values(window_start=start, window_end=now)
            )
        return start, now

    def move_watermark(self, job_id: str, value: datetime) -> None:
        with session_scope(self.url) as session:
            mark = session.get(Watermark, (job_id, ""))
            if mark is None:
                session.add(Watermark(job_id=job_id, stream="", value=value))
            else:
                mark.value, mark.updated_at = value, self.clock.now()

    @staticmethod
    def summary(ctx: RunContext, stats: dict[str, int]) -> str:
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

    def finish(
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


def run_history(url: str, job_id: str, limit: int) -> list[JobRun]:
    """A job's runs, newest scheduled first (the CLI's `job history`)."""
    with session_scope(url) as session:
        query = (
            select(JobRun)
            .where(JobRun.job_id == job_id)
            .order_by(JobRun.scheduled_at.desc(), JobRun.id.desc())
            .limit(limit)
        )
        return list(session.scalars(query))
