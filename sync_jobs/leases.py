"""Who holds what: holder identities, liveness, and the per-job lease (max one run at a time).

A holder is `host:pid:nonce`. A lease whose holder is a dead process on this host is taken
over at once; a holder elsewhere is trusted until its lease expires.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core.store import session_scope
from core.store.models import JobLease

HOST = socket.gethostname()


def new_holder() -> str:
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_pid(holder: str) -> tuple[str, int] | None:
    try:
        host, pid, _nonce = holder.rsplit(":", 2)
        return host, int(pid)
    except ValueError:
        return None


def is_dead(holder: str | None) -> bool:
    """True only when we know the holder's process is gone (same host, no such pid)."""
    if not holder:
        return True
    parsed = holder_pid(holder)
    if parsed is None or parsed[0] != HOST:
        return False
    try:
        os.kill(parsed[1], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(parsed[1])


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def lease_is_free(lease: JobLease | None, holder: str, now: datetime) -> bool:
    if lease is None or lease.holder is None or lease.holder == holder:
        return True
    return (lease.lease_until is not None and lease.lease_until < now) or is_dead(lease.holder)


def acquire(url: str, job_id: str, holder: str, run_id: int | None, seconds: int) -> bool:
    """Take the job's lease if free, expired or held by a dead process (compare-and-set)."""
    now = utcnow()
    with session_scope(url) as session:
        lease = session.get(JobLease, job_id)
        if lease is None:
            try:
                session.add(
                    JobLease(
                        job_id=job_id,
                        holder=holder,
                        run_id=run_id,
                        lease_until=now + timedelta(seconds=seconds),
                    )
                )
                session.flush()
                return True
            except IntegrityError:
                session.rollback()
                lease = session.get(JobLease, job_id)
        if not lease_is_free(lease, holder, now):
            return False
        result = session.execute(
            update(JobLease)
            .where(JobLease.job_id == job_id, JobLease.holder.is_not_distinct_from(lease.holder))
            .values(holder=holder, run_id=run_id, lease_until=now + timedelta(seconds=seconds))
        )
        return result.rowcount == 1


def renew(url: str, job_id: str, holder: str, seconds: int) -> bool:
    """Extend our lease; False means someone took it over and we must stop."""
    with session_scope(url) as session:
        result = session.execute(
            update(JobLease)
            .where(JobLease.job_id == job_id, JobLease.holder == holder)
            .values(lease_until=utcnow() + timedelta(seconds=seconds))
        )
        return result.rowcount == 1


def release(url: str, job_id: str, holder: str) -> None:
    with session_scope(url) as session:
        session.execute(
            update(JobLease)
            .where(JobLease.job_id == job_id, JobLease.holder == holder)
            .values(holder=None, run_id=None, lease_until=None)
        )


def live_holder(url: str, job_id: str) -> str | None:
    """The holder running this job now, if it is alive; None when the job is free."""
    with session_scope(url) as session:
        lease = session.scalars(select(JobLease).where(JobLease.job_id == job_id)).first()
        if lease is None or lease_is_free(lease, "", utcnow()):
            return None
        return lease.holder
