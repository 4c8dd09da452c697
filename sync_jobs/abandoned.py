"""Runs whose holder is gone: how to tell, and how they are closed as `abandoned`.

A running run is held by its worker (`JobRun.worker`, a holder `host:pid:nonce`) through the
job's lease, which the run's heartbeat renews. The holder is gone when the lease no longer
names the run, has expired, or names a process known dead on this host. Such a run is closed
as abandoned by the next run of its job (which holds the lease) or by the scheduler's sweep;
its open work items stay in line and the next run carries them out, asking the job to confirm
the one its holder was carrying, so nothing is lost and nothing is written twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.store import session_scope
from core.store.models import JobLease, JobRun, WorkItem
from sync_jobs import leases
from sync_jobs.leases import utcnow


def holder_is_gone(run: JobRun, lease: JobLease | None, now: datetime) -> bool:
    """True when nobody carries this running run on any more."""
    if lease is None or lease.run_id != run.id or lease.holder != run.worker:
        return True
    return leases.lease_is_free(lease, "", now)


def close(session: Session, run: JobRun, now: datetime, resumed_by: str) -> bool:
    """Close one running run as abandoned; False when it was no longer running."""
    last_seen = run.heartbeat_at or run.started_at or now
    counts = dict(
        session.execute(
            select(WorkItem.status, func.count())
            .where(WorkItem.run_id == run.id, WorkItem.status.in_(("done", "rejected")))
            .group_by(WorkItem.status)
        ).all()
    )
    closed = session.execute(
        update(JobRun)
        .where(JobRun.id == run.id, JobRun.status == "running")
        .values(
            status="abandoned",
            finished_at=now,
            written=counts.get("done", 0),
            failed=counts.get("rejected", 0),
            summary=(
                f"abandoned: its holder {run.worker or 'unknown'} was last seen "
                f"{last_seen:%Y-%m-%d %H:%M:%S} UTC; {resumed_by}"
            ),
        )
    ).rowcount
    if not closed:
        return False
    # A holder that was only slow must find its lease gone and stop; the items it held are
    # free for the next run at once (still claimed, so the job confirms a write that landed).
    session.execute(
        update(JobLease)
        .where(
            JobLease.job_id == run.job_id,
            JobLease.run_id == run.id,
            JobLease.holder.is_not_distinct_from(run.worker),
        )
        .values(holder=None, run_id=None, lease_until=None)
    )
    session.execute(
        update(WorkItem)
        .where(
            WorkItem.job_id == run.job_id,
            WorkItem.status == "claimed",
            WorkItem.claimed_by == run.worker,
            WorkItem.lease_until > now,
        )
        .values(lease_until=now)
    )
    return True


def close_others(session: Session, job_id: str, run_id: int) -> list[int]:
    """The run `run_id` holds the job's lease: every other run of the job still marked
    running lost its holder. Returns the ids closed."""
    now = utcnow()
    others = session.scalars(
        select(JobRun).where(
            JobRun.job_id == job_id, JobRun.status == "running", JobRun.id != run_id
        )
    ).all()
    resumed_by = f"run {run_id} resumes its work"
    return [run.id for run in others if close(session, run, now, resumed_by)]


def sweep(url: str) -> list[int]:
    """Close every running run, of any job, whose holder is gone; the scheduler calls this
    periodically so a run is closed even when its job does not run again soon (or is paused).
    Returns the ids closed."""
    now = utcnow()
    closed: list[int] = []
    with session_scope(url) as session:
        running = session.scalars(select(JobRun).where(JobRun.status == "running")).all()
        held = {lease.job_id: lease for lease in session.scalars(select(JobLease))}
        for run in running:
            if holder_is_gone(run, held.get(run.job_id), now) and close(
                session, run, now, "closed by the scheduler's sweep; the next run resumes its work"
            ):
                closed.append(run.id)
    return closed
