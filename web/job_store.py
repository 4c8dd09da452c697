"""What the Jobs page and the jobs API read and write: the scheduler's tables, nothing else.

The portal never imports the job code. It reads job definitions, runs, scheduler heartbeats
and connection checks from the store, and asks for work by inserting JobCommand rows that
the scheduler carries out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.audit import record_audit
from core.store.models import ConnectionCheck, JobCommand, JobDefinition, JobRun, SchedulerInstance
from web.long_runs import LongRun, long_runs
from web.store import utcnow

# abandoned: its holder went away mid-run and the next run (or the scheduler's sweep) closed it;
# interrupted is the same, as versions before it wrote.
RUN_STATUSES = ("queued", "running", "completed", "failed", "skipped", "abandoned", "interrupted")
FAILED_STATUSES = ("failed", "abandoned", "interrupted")
HEARTBEAT_FRESH = timedelta(minutes=1)
OVERDUE_AFTER = timedelta(minutes=5)
ERROR_SUMMARY_CHARS = 200


def duration_seconds(run: JobRun | None) -> float | None:
    if run is None or run.started_at is None or run.finished_at is None:
        return None
    return max(0.0, (run.finished_at - run.started_at).total_seconds())


def error_summary(run: JobRun) -> str:
    """The first line of a run's error, short enough for a table cell."""
    text = (run.error or "").strip()
    if not text:
        return ""
    first = text.splitlines()[0]
    return first if len(first) <= ERROR_SUMMARY_CHARS else first[: ERROR_SUMMARY_CHARS - 1] + "…"


@dataclass
class JobView:
    definition: JobDefinition
    last_run: JobRun | None
    failures_24h: int
    pending: list[str] = field(default_factory=list)
    long_run: LongRun | None = None  # its running run, when that is far past its usual time

    @property
    def job_id(self) -> str:
        return self.definition.job_id

    @property
    def last_duration(self) -> float | None:
        return duration_seconds(self.last_run)

    def running_for(self, now: datetime) -> float | None:
        """How long its last run has been running, or None when it is not running."""
        run = self.last_run
        if run is None or run.status != "running" or run.started_at is None:
            return None
        return max(0.0, (now - run.started_at).total_seconds())

    def overdue(self, now: datetime) -> bool:
        nxt = self.definition.next_run_at
        return not self.definition.paused and nxt is not None and nxt < now - OVERDUE_AFTER


def latest_runs(session: Session) -> dict[str, JobRun]:
    newest = (
        select(JobRun.job_id, func.max(JobRun.id).label("id"))
        .where(JobRun.status.not_in(("queued",)))
        .group_by(JobRun.job_id)
        .subquery()
    )
    runs = session.scalars(select(JobRun).join(newest, JobRun.id == newest.c.id))
    return {run.job_id: run for run in runs}


def _failures_since(session: Session, since: datetime) -> dict[str, int]:
    query = (
        select(JobRun.job_id, func.count())
        .where(JobRun.status.in_(FAILED_STATUSES), JobRun.finished_at >= since)
        .group_by(JobRun.job_id)
    )
    return dict(session.execute(query).all())


def _pending_commands(session: Session) -> dict[str, list[str]]:
    pending: dict[str, list[str]] = {}
    query = select(JobCommand).where(JobCommand.done_at.is_(None)).order_by(JobCommand.id)
    for command in session.scalars(query):
        pending.setdefault(command.job_id, []).append(command.command)
    return pending


def list_jobs(session: Session) -> list[JobView]:
    now = utcnow()
    latest = latest_runs(session)
    failures = _failures_since(session, now - timedelta(hours=24))
    pending = _pending_commands(session)
    long = long_runs(session, now)
    definitions = session.scalars(select(JobDefinition).order_by(JobDefinition.job_id))
    return [
        JobView(
            d,
            latest.get(d.job_id),
            failures.get(d.job_id, 0),
            pending.get(d.job_id, []),
            long.get(d.job_id),
        )
        for d in definitions
    ]


def get_job(session: Session, job_id: str) -> JobView | None:
    definition = session.get(JobDefinition, job_id)
    if definition is None:
        return None
    return next(view for view in list_jobs(session) if view.job_id == job_id)


def job_runs(session: Session, job_id: str, limit: int = 100) -> list[JobRun]:
    query = select(JobRun).where(JobRun.job_id == job_id).order_by(JobRun.id.desc()).limit(limit)
    return list(session.scalars(query))


@dataclass
class SchedulerView:
    instances: list[SchedulerInstance]
    now: datetime

    def age(self, instance: SchedulerInstance) -> float:
        return max(0.0, (self.now - instance.heartbeat_at).total_seconds())

    def fresh(self, instance: SchedulerInstance) -> bool:
        return self.now - instance.heartbeat_at <= HEARTBEAT_FRESH

    @property
    def leader(self) -> SchedulerInstance | None:
        leaders = [i for i in self.instances if i.role == "leader" and self.fresh(i)]
        return max(leaders, key=lambda i: i.heartbeat_at) if leaders else None

    @property
    def standby(self) -> list[SchedulerInstance]:
        return [i for i in self.instances if i.role != "leader" and self.fresh(i)]

    @property
    def any_heartbeat(self) -> bool:
        return any(self.fresh(i) for i in self.instances)

    @property
    def newest_age(self) -> float | None:
        return min((self.age(i) for i in self.instances), default=None)


def scheduler_view(session: Session) -> SchedulerView:
    query = select(SchedulerInstance).order_by(SchedulerInstance.heartbeat_at.desc())
    return SchedulerView(list(session.scalars(query)), utcnow())


def latest_connection_checks(session: Session) -> list[ConnectionCheck]:
    newest = (
        select(ConnectionCheck.system, func.max(ConnectionCheck.id).label("id"))
        .group_by(ConnectionCheck.system)
        .subquery()
    )
    query = (
        select(ConnectionCheck)
        .join(newest, ConnectionCheck.id == newest.c.id)
        .order_by(ConnectionCheck.system)
    )
    return list(session.scalars(query))


def request_run(session: Session, job_id: str, username: str) -> tuple[JobCommand, bool]:
    """Ask the scheduler to run a job now; a request still waiting is not doubled.

    Returns the command and whether it is new.
    """
    # Two clicks at once: the row lock (PostgreSQL) makes the second wait and see the first;
    # SQLite serialises writers anyway.
    lock = select(JobDefinition.job_id).where(JobDefinition.job_id == job_id).with_for_update()
    session.execute(lock)
    waiting = session.scalar(
        select(JobCommand).where(
            JobCommand.job_id == job_id,
            JobCommand.command == "run_now",
            JobCommand.done_at.is_(None),
        )
    )
    if waiting is not None:
        return waiting, False
    command = JobCommand(job_id=job_id, command="run_now", requested_by=username)
    session.add(command)
    session.flush()
    record_audit(session, username, "job_run_now", "job", job_id, after={"command_id": command.id})
    return command, True


def set_paused(session: Session, definition: JobDefinition, paused: bool, username: str):
    """Pause or resume: the scheduler acts on the command; the page shows it at once."""
    command = JobCommand(
        job_id=definition.job_id, command="pause" if paused else "resume", requested_by=username
    )
    session.add(command)
    before = {"paused": definition.paused}
    definition.paused = paused
    definition.updated_at = utcnow()
    session.flush()
    action = "job_paused" if paused else "job_resumed"
    after = {"paused": paused, "command_id": command.id}
    record_audit(session, username, action, "job", definition.job_id, before=before, after=after)
    return command
