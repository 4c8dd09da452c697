"""Runs going on far longer than usual: what Home and the Jobs page flag.

A run whose holder died is closed by the next run or the scheduler's sweep; a run whose holder
is alive but stuck (a hung call, a lock wait, a reply that never ends) keeps its heartbeat
fresh and is never closed. Only its running time gives it away. "Usual" is the median of the
job's recent successful runs, so a job that always takes an hour is not flagged at minute 61;
a run is flagged past three times that, and never sooner than FLOOR (a 4-second job taking
13 seconds is noise, not news). With too little history there is no usual: a run is flagged
past CEILING.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.store.models import JobRun

FACTOR = 3
FLOOR = timedelta(minutes=15)
CEILING = timedelta(hours=2)
HISTORY = 20  # successful runs the usual duration is taken from
MIN_HISTORY = 3  # fewer than this and there is no usual duration yet


@dataclass(frozen=True)
class LongRun:
    """A running run past its limit: how long it has run, against what is usual."""

    run: JobRun
    elapsed: float
    usual: float | None
    limit: float

    @property
    def job_id(self) -> str:
        return self.run.job_id

    def describe(self, duration) -> str:
        """'run 12 running for 2 h 5 min (usually 40 s)'; `duration` formats seconds."""
        usual = f"usually {duration(self.usual)}" if self.usual is not None else "no usual yet"
        return f"run {self.run.id} running for {duration(self.elapsed)} ({usual})"


def usual_seconds(session: Session, job_id: str) -> float | None:
    """The median duration of the job's recent completed runs, or None with too few."""
    query = (
        select(JobRun.started_at, JobRun.finished_at)
        .where(
            JobRun.job_id == job_id,
            JobRun.status == "completed",
            JobRun.started_at.is_not(None),
            JobRun.finished_at.is_not(None),
        )
        .order_by(JobRun.id.desc())
        .limit(HISTORY)
    )
    durations = [(end - start).total_seconds() for start, end in session.execute(query)]
    if len(durations) < MIN_HISTORY:
        return None
    return max(0.0, median(durations))


def limit_seconds(usual: float | None) -> float:
    if usual is None:
        return CEILING.total_seconds()
    return max(FACTOR * usual, FLOOR.total_seconds())


def long_runs(session: Session, now: datetime) -> dict[str, LongRun]:
    """Each job's running run that is past its limit, by job id."""
    query = select(JobRun).where(JobRun.status == "running", JobRun.started_at.is_not(None))
    found: dict[str, LongRun] = {}
    for run in session.scalars(query.order_by(JobRun.id)):
        elapsed = (now - run.started_at).total_seconds()
        if elapsed <= FLOOR.total_seconds():
            continue  # under every limit: no need to read the history
        usual = usual_seconds(session, run.job_id)
        limit = limit_seconds(usual)
        if elapsed > limit:
            found[run.job_id] = LongRun(run, elapsed, usual, limit)
    return found
