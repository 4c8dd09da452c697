"""The runner: one code path for every run, whoever starts it (scheduler, worker, CLI).

A run takes the job's lease (one run per job at a time, across processes), reads the window
[watermark - lookback, now), turns it into work items keyed by business key, claims and carries
them out, and moves the watermark only when the whole window is done. A run whose holder died
is closed as abandoned and its items are picked up by the next one; items already done are not
done again. The pieces it drives: the run ledger (sync_jobs/run_ledger.py), the work queue
(sync_jobs/work_queue.py) and the error policy (sync_jobs/error_policy.py).
"""

from __future__ import annotations

import logging
from datetime import datetime

from config import Settings
from core.errors import ConfigError, OrderbridgeError, RecordRejectedError, TransientError
from core.store.models import WorkItem
from sync_jobs import get_spec, leases, load_job, trigger_for
from sync_jobs.base import Clock, Job, RunContext
from sync_jobs.error_policy import action_for, will_resume
from sync_jobs.run_ledger import Heartbeat, RunLedger, RunOutcome, create_run, park_job
from sync_jobs.work_queue import WorkQueue

__all__ = ["Runner", "RunOutcome", "create_run"]  # importers of the runner's public names

log = logging.getLogger(__name__)


class Runner:
    """Carries out one queued run of a job in this process."""

    def __init__(
        self, settings: Settings, holder: str | None = None, clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self.url = settings.database_url
        self.holder = holder or leases.new_holder()
        self.lease_seconds = int(settings.scheduler.lease_seconds)
        self.clock = clock or Clock()
        self.ledger = RunLedger(self.url, self.holder, self.clock)
        self.queue = WorkQueue(self.url, self.holder, self.lease_seconds, self.clock)

    def execute(self, run_id: int) -> RunOutcome:
        queued = self.ledger.queued(run_id)
        if queued is None:
            return RunOutcome(run_id, "skipped", "not queued")
        job_id, dry_run, scheduled_at = queued
        if not leases.acquire(self.url, job_id, self.holder, run_id, self.lease_seconds):
            return RunOutcome(run_id, "busy", "the job is running in another process")
        heartbeat = Heartbeat(self.url, job_id, run_id, self.holder, self.lease_seconds, self.clock)
        try:
            if not self.ledger.start(run_id, job_id):
                return RunOutcome(run_id, "skipped", "taken by another worker")
            heartbeat.start()
            return self._run(run_id, job_id, scheduled_at, dry_run, heartbeat)
        finally:
            heartbeat.stopped.set()
            leases.release(self.url, job_id, self.holder)

    def _run(
        self, run_id: int, job_id: str, scheduled_at: datetime, dry_run: bool, heartbeat: Heartbeat
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
                return self.ledger.finish(
                    run_id,
                    job,
                    ctx,
                    stats,
                    "completed",
                    f"dry run: {planned} item(s) would be carried out",
                )
            stop = self._carry_out(job, ctx, stats, heartbeat)
            if stop is None:
                self.ledger.move_watermark(job_id, ctx.window_end)
                return self.ledger.finish(
                    run_id, job, ctx, stats, "completed", self.ledger.summary(ctx, stats)
                )
            status, error = stop
            return self.ledger.finish(
                run_id, job, ctx, stats, status, self.ledger.summary(ctx, stats), error
            )
        except OrderbridgeError as exc:
            return self.ledger.finish(run_id, job, None, stats, "failed", "", exc.one_line())
        except Exception as exc:  # noqa: BLE001 - a job bug must fail its run, not the worker
            log.exception("job %s crashed", job_id)
            return self.ledger.finish(
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
        start, now = self.ledger.open_window(job, run_id, lookback)
        return RunContext(
            job.job_id, run_id, self.settings, start, now, dry_run, scheduled_at, clock=self.clock
        )

    def _plan(self, job: Job, ctx: RunContext) -> int:
        """Record the window's items; returns how many are new work (not done before)."""
        new = 0
        for spec in job.plan(ctx):
            ctx.read += 1
            new += self.queue.record(ctx, spec)
        if job.snapshot and not ctx.dry_run:
            self.queue.supersede_earlier(ctx)
        return new

    def _carry_out(
        self, job: Job, ctx: RunContext, stats: dict[str, int], heartbeat: Heartbeat
    ) -> tuple[str, str] | None:
        """Carry out every open item; returns the error that stops the window, or None.

        A failure that is the system's fault (action_for: retry) costs the record nothing:
        the run goes on with the next record (never a later one of the same key), and if the
        system fails again it stops there, to resume. If the system takes the next record,
        the failed one is suspect: the system fails on it alone, which counts against it."""
        suspect: WorkItem | None = None
        failure: TransientError | RecordRejectedError | None = None
        held_back: set[str] = set()  # keys that failed in this run: their order stands
        for item_id, business_key in self.queue.open_items(ctx.job_id):
            if business_key in held_back:
                continue
            if heartbeat.lost.is_set():
                return "failed", "lost the job lease to another process; stopped"
            reason = job.throttled()
            if reason:
                return "skipped", f"paused before the quota runs out: {reason}"
            claimed = self.queue.claim(item_id)
            if claimed is None:
                continue
            item, interrupted = claimed
            try:
                if not (interrupted and job.confirm(ctx, item.business_key, item.payload)):
                    job.perform(ctx, item.business_key, item.payload)
            except (RecordRejectedError, TransientError, ConfigError) as exc:
                action = action_for(exc)
                if action == "reject":
                    self.queue.settle(ctx, item, "rejected", exc)
                    stats["failed"] += 1
                    ctx.rejected_keys.append(item.business_key)
                elif action == "park":
                    self.queue.settle(ctx, item, "pending", exc, counted=False)
                    until = park_job(
                        self.url, ctx.job_id, exc.retry_after, exc.one_line(), self.clock.now()
                    )
                    return "skipped", f"parked until {until:%Y-%m-%d %H:%M} UTC: {exc.one_line()}"
                elif action == "stop":
                    self.queue.settle(ctx, item, "pending", exc, counted=False)
                    return "failed", exc.one_line()
                else:
                    self.queue.settle(ctx, item, "pending", exc, counted=False)
                    if failure is not None:  # two in a row: the system is down
                        return "failed", will_resume(exc)
                    suspect, failure = item, exc
                    held_back.add(item.business_key)
                    continue
            else:
                self.queue.settle(ctx, item, "done", None)
                stats["written"] += 1
            if suspect is not None and failure is not None:
                struck_out = self.queue.strike(ctx, suspect, failure)
                stats["failed"] += struck_out
                suspect = None
                if struck_out:  # in the error queue now; still in line, it keeps the window
                    failure = None
            stats["failed"] += self.queue.park_rejections(ctx)
        if failure is not None:
            return "failed", will_resume(failure)
        return None
