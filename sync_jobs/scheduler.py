"""The scheduler: exactly one active per store, firing due jobs into the job_runs table.

Leadership is a lock on the store (a file lock beside a SQLite file, an advisory lock on
PostgreSQL); a second scheduler waits as standby and says so in its log and in
scheduler_instances, which the Jobs page shows. Interval triggers are anchored at a fixed
start so leader and standby agree on fire times; (job id, scheduled time) is unique in
job_runs, so a due time fires once even across a hand-over. APScheduler only decides when;
firing inserts a queued run that the worker pool carries out. The leader also sweeps: a run
whose holder is gone is closed as abandoned, whether or not its job runs again.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

from apscheduler.executors.base import BaseExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url

from config import Settings
from core.store import get_engine, is_sqlite, session_scope
from core.store.models import JobCommand, JobDefinition, JobRun, SchedulerInstance
from sync_jobs import SCHEDULE, Trigger, abandoned, leases, trigger_for, validate_jobs
from sync_jobs.leases import utcnow
from sync_jobs.runner import create_run
from sync_jobs.worker import Worker

log = logging.getLogger(__name__)
ADVISORY_KEY = zlib.crc32(b"orderbridge-scheduler")


class StoreLock:
    """Leadership of one store: a non-blocking exclusive lock held while we lead."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._file: Any = None
        self._connection: Any = None

    def try_acquire(self) -> bool:
        if is_sqlite(self.url):
            path = Path(make_url(self.url).database or "memory").with_suffix(".scheduler.lock")
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(path, "a+")  # noqa: SIM115 - held open for as long as we lead
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                return False
            self._file = handle
            return True
        connection = get_engine(self.url).connect()
        got = connection.execute(
            text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}
        ).scalar()
        if got:
            connection.commit()
            self._connection = connection
            return True
        connection.close()
        return False

    def still_held(self) -> bool:
        if self._file is not None:
            return True
        try:
            self._connection.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - a dropped connection has dropped the lock with it
            return False

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                self._connection.close()
            except Exception:  # noqa: BLE001 - closing the connection releases it anyway
                log.debug("advisory unlock failed; the connection is gone", exc_info=True)
            self._connection = None


class EnqueueExecutor(BaseExecutor):
    """APScheduler executor whose 'run' is inserting a queued run with its scheduled time."""

    def submit_job(self, job: Any, run_times: list[datetime]) -> None:
        now = utcnow()
        for run_time in run_times[-1:]:  # coalesce: the latest due time stands for the rest
            if (now - run_time).total_seconds() > (job.misfire_grace_time or 0):
                log.warning("job %s missed its %s run by more than its grace", job.id, run_time)
                continue
            job.func(*job.args, run_time)

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        raise NotImplementedError  # submit_job above does the whole work


def apscheduler_trigger(trigger: Trigger, anchor: datetime) -> IntervalTrigger | CronTrigger:
    if trigger.cron:
        return CronTrigger.from_crontab(trigger.cron, timezone="UTC")
    return IntervalTrigger(seconds=trigger.every_seconds, start_date=anchor, timezone="UTC")


class SchedulerService:
    def __init__(self, settings: Settings, *, workers: int | None = None) -> None:
        validate_jobs(settings)
        self.settings = settings
        self.url = settings.database_url
        self.instance_id = leases.new_holder()
        self.lock = StoreLock(self.url)
        self.stop_event = threading.Event()
        self.workers = int(settings.scheduler.workers if workers is None else workers)
        self.scheduler: BackgroundScheduler | None = None
        self.role = "starting"
        self._published: dict[str, datetime | None] = {}

    # --- the loop ---------------------------------------------------------------------

    def run(self) -> None:
        """Block until stopped: wait as standby, lead when the lock is ours."""
        said_standby = False
        try:
            while not self.stop_event.is_set():
                if self.lock.try_acquire():
                    log.info("scheduler %s leads this store", self.instance_id)
                    self._lead()
                    said_standby = False
                    continue
                if not said_standby:
                    log.info(
                        "scheduler %s is standby: another scheduler leads this store",
                        self.instance_id,
                    )
                    said_standby = True
                self._beat("standby")
                self.stop_event.wait(float(self.settings.scheduler.standby_poll_seconds))
        finally:
            self._forget()

    def stop(self) -> None:
        self.stop_event.set()

    def _lead(self) -> None:
        pool_stop = threading.Event()
        pool = [Worker(self.settings, pool_stop, name=f"worker-{n}") for n in range(self.workers)]
        try:
            self._sync_definitions()
            self._first_runs()
            self._published.clear()
            self.scheduler = self._start_apscheduler()
            for worker in pool:
                worker.start()
            swept_at = self._sweep()
            while not self.stop_event.wait(1.0):
                if not self.lock.still_held():
                    log.warning(
                        "scheduler %s lost the store lock; back to standby", self.instance_id
                    )
                    break
                self._beat("leader")
                self._apply_commands()
                self._publish_next_runs()
                if time.monotonic() - swept_at >= self._sweep_every():
                    swept_at = self._sweep()
        finally:
            pool_stop.set()
            if self.scheduler is not None:
                self.scheduler.shutdown(wait=False)
                self.scheduler = None
            self.lock.release()

    def _sweep_every(self) -> float:
        # A holder is judged gone once its lease has expired, so sweeping twice a lease closes
        # an abandoned run within one and a half leases of its holder's last beat.
        return max(1.0, float(self.settings.scheduler.lease_seconds) / 2)

    def _sweep(self) -> float:
        """Close the runs whose holder is gone (abandoned); returns when it swept."""
        try:
            for run_id in abandoned.sweep(self.url):
                log.warning("run %s was abandoned by its holder; closed", run_id)
        except Exception:  # noqa: BLE001 - a store outage must not kill the scheduler
            log.warning("sweeping abandoned runs failed; retrying", exc_info=True)
        return time.monotonic()

    # --- APScheduler ----------------------------------------------------------------

    def _start_apscheduler(self) -> BackgroundScheduler:
        scheduler = BackgroundScheduler(executors={"default": EnqueueExecutor()}, timezone="UTC")
        anchor = datetime.fromisoformat(self.settings.scheduler.anchor)
        paused = self._paused_jobs()
        for job_id, spec in SCHEDULE.items():
            trigger = trigger_for(spec, self.settings)
            scheduler.add_job(
                self._fire,
                apscheduler_trigger(trigger, anchor),
                id=job_id,
                args=[job_id],
                coalesce=True,
                max_instances=1,
                misfire_grace_time=trigger.grace_seconds,
                replace_existing=True,
            )
            if job_id in paused:
                scheduler.pause_job(job_id)
        scheduler.start()
        return scheduler

    def _fire(self, job_id: str, run_time: datetime | None = None) -> None:
        # EnqueueExecutor passes the scheduled time; APScheduler itself never calls this bare.
        if run_time is not None and create_run(self.url, job_id, run_time) is None:
            log.info("job %s at %s already fired (by another scheduler)", job_id, run_time)

    # --- the store side ---------------------------------------------------------------

    def _sync_definitions(self) -> None:
        with session_scope(self.url) as session:
            for job_id, spec in SCHEDULE.items():
                trigger = trigger_for(spec, self.settings)
                row = session.get(JobDefinition, job_id)
                if row is None:
                    row = JobDefinition(job_id=job_id, paused=trigger.paused)
                    session.add(row)
                row.description, row.trigger = spec.description, trigger.describe()
                row.urgency, row.updated_at = spec.urgency, utcnow()

    def _first_runs(self) -> None:
        """A job that has never run runs once now, not at its first grid time, so a fresh
        `make run` fills master data and moves orders within minutes, not after 15."""
        with session_scope(self.url) as session:
            ran = set(session.scalars(select(JobRun.job_id).distinct()))
        paused = self._paused_jobs()
        now = utcnow().replace(microsecond=0)
        for job_id in SCHEDULE:
            if job_id not in ran and job_id not in paused:
                create_run(self.url, job_id, now, trigger="startup")

    def _paused_jobs(self) -> set[str]:
        with session_scope(self.url) as session:
            return set(
                session.scalars(select(JobDefinition.job_id).where(JobDefinition.paused.is_(True)))
            )

    def _apply_commands(self) -> None:
        with session_scope(self.url) as session:
            commands = session.scalars(
                select(JobCommand).where(JobCommand.done_at.is_(None)).order_by(JobCommand.id)
            ).all()
            for command in commands:
                self._apply(session, command)
                command.done_at = utcnow()

    def _apply(self, session: Any, command: JobCommand) -> None:
        if command.job_id not in SCHEDULE:
            log.warning("ignoring %s for unknown job %s", command.command, command.job_id)
            return
        if command.command == "run_now":
            session.add(
                JobRun(
                    job_id=command.job_id,
                    scheduled_at=utcnow(),
                    trigger="manual",
                    requested_by=command.requested_by,
                    status="queued",
                )
            )
        elif command.command in ("pause", "resume") and self.scheduler is not None:
            paused = command.command == "pause"
            (self.scheduler.pause_job if paused else self.scheduler.resume_job)(command.job_id)
            # the next run time goes with the pause in one write, so nobody reads a paused job
            # that is still due (a paused one has none)
            job = self.scheduler.get_job(command.job_id)
            next_run = job.next_run_time if job is not None else None
            session.execute(
                update(JobDefinition)
                .where(JobDefinition.job_id == command.job_id)
                .values(paused=paused, next_run_at=next_run, updated_at=utcnow())
            )
            self._published[command.job_id] = next_run

    def _publish_next_runs(self) -> None:
        if self.scheduler is None:
            return
        # Written only when a time changed, so an idle store sees no write every second.
        changed = {
            job.id: job.next_run_time
            for job in self.scheduler.get_jobs()
            if self._published.get(job.id, ...) != job.next_run_time
        }
        if not changed:
            return
        with session_scope(self.url) as session:
            for job_id, next_run in changed.items():
                session.execute(
                    update(JobDefinition)
                    .where(JobDefinition.job_id == job_id)
                    .values(next_run_at=next_run)
                )
        self._published.update(changed)

    def _beat(self, role: str) -> None:
        self.role = role
        try:
            with session_scope(self.url) as session:
                row = session.get(SchedulerInstance, self.instance_id)
                if row is None:
                    host, pid = leases.holder_pid(self.instance_id) or ("?", 0)
                    row = SchedulerInstance(instance_id=self.instance_id, host=host, pid=pid)
                    session.add(row)
                row.role, row.heartbeat_at = role, utcnow()
        except Exception:  # noqa: BLE001 - a store outage must not kill the scheduler
            log.warning("scheduler heartbeat failed; retrying", exc_info=True)

    def _forget(self) -> None:
        try:
            with session_scope(self.url) as session:
                row = session.get(SchedulerInstance, self.instance_id)
                if row is not None:
                    session.delete(row)
        except Exception:  # noqa: BLE001 - best effort on the way out
            log.debug("could not remove scheduler instance row", exc_info=True)
