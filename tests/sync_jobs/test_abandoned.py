"""A run whose holder is gone is closed as abandoned, by the next run or by the scheduler's
sweep, and its work is carried out by the next run: nothing lost, nothing written twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.store import session_scope
from core.store.models import JobLease, JobRun, WorkItem
from sync_jobs import SCHEDULE, abandoned, leases
from sync_jobs.leases import utcnow
from sync_jobs.runner import Runner, create_run
from tests.sync_jobs import fake_jobs

ELSEWHERE = "elsewhere:42:gone"  # another host: only its lease tells whether it is alive


@pytest.fixture(autouse=True)
def fake_job():
    fake_jobs.install()
    yield
    SCHEDULE.pop("fake_job", None)


def left_running(url, job_id, holder, *, lease_until, heartbeat_minutes_ago=3) -> int:
    """A run its holder started and never finished, holding the job's lease until then."""
    now = utcnow()
    with session_scope(url) as session:
        run = JobRun(
            job_id=job_id,
            scheduled_at=now - timedelta(minutes=10),
            trigger="schedule",
            status="running",
            worker=holder,
            started_at=now - timedelta(minutes=10),
            heartbeat_at=now - timedelta(minutes=heartbeat_minutes_ago),
        )
        session.add(run)
        session.flush()
        session.add(JobLease(job_id=job_id, holder=holder, run_id=run.id, lease_until=lease_until))
        return run.id


def add_item(url, run_id, key, status, holder=None, lease_until=None) -> None:
    with session_scope(url) as session:
        session.add(
            WorkItem(
                job_id="fake_job",
                run_id=run_id,
                business_key=key,
                version="",
                payload={"n": int(key[1:])},
                status=status,
                claimed_by=holder,
                lease_until=lease_until,
            )
        )


def get_run(url, run_id) -> JobRun:
    with session_scope(url) as session:
        return session.get(JobRun, run_id)


def test_the_next_run_closes_a_run_whose_lease_expired_and_carries_out_its_work(settings):
    url = settings.database_url
    fake_jobs.configure(settings.data_path, items=4)
    old = left_running(url, "fake_job", ELSEWHERE, lease_until=utcnow() - timedelta(seconds=1))
    # k000 done and k001 written (the write landed, the item still claimed, its own claim a
    # little longer than the job's lease) before the holder went; k002 still waiting.
    add_item(url, old, "k000", "done")
    add_item(url, old, "k001", "claimed", ELSEWHERE, utcnow() + timedelta(seconds=20))
    add_item(url, old, "k002", "pending")
    (settings.data_path / "fake_job.log").write_text("k000\nk001\n")

    new = create_run(url, "fake_job", utcnow(), trigger="cli")
    assert Runner(settings).execute(new).status == "completed"

    closed = get_run(url, old)
    assert closed.status == "abandoned" and closed.finished_at is not None
    seen = closed.heartbeat_at.strftime("%Y-%m-%d %H:%M:%S")
    assert closed.summary == (
        f"abandoned: its holder {ELSEWHERE} was last seen {seen} UTC; run {new} resumes its work"
    )
    assert (closed.written, closed.failed) == (1, 0)
    assert get_run(url, new).status == "completed"
    assert fake_jobs.written(settings.data_path) == ["k000", "k001", "k002", "k003"]
    confirms = (settings.data_path / "fake_job.confirms").read_text().split()
    assert confirms == ["k001"]  # the landed write was confirmed, not sent again
    with session_scope(url) as session:
        statuses = {i.business_key: i.status for i in session.scalars(select(WorkItem))}
    assert statuses == {f"k{n:03d}": "done" for n in range(4)}


def test_the_sweep_closes_runs_whose_holder_is_gone_and_leaves_live_ones(settings):
    url = settings.database_url
    dead = f"{leases.HOST}:999999:dead"  # this host, no such process: gone at once
    later = utcnow() + timedelta(minutes=1)
    by_dead = left_running(url, "fake_job", dead, lease_until=later)
    expired = left_running(url, "sync_orders", ELSEWHERE, lease_until=utcnow())
    live_holder = leases.new_holder()  # this process: alive, its lease current
    live = left_running(url, "pull_shipments", live_holder, lease_until=later)
    add_item(url, by_dead, "k000", "claimed", dead, later)

    assert sorted(abandoned.sweep(url)) == sorted([by_dead, expired])

    for run_id in (by_dead, expired):
        run = get_run(url, run_id)
        assert run.status == "abandoned" and run.finished_at is not None
        assert "closed by the scheduler's sweep; the next run resumes its work" in run.summary
    assert get_run(url, live).status == "running"
    with session_scope(url) as session:
        assert session.scalars(select(JobRun.id).order_by(JobRun.id)).all() == [
            by_dead,
            expired,
            live,
        ]  # no new run
        item = session.scalars(select(WorkItem)).one()
        assert item.status == "claimed" and item.lease_until <= utcnow()  # free for the next
    # A holder that was only slow finds its lease gone and stops at its next beat.
    assert not leases.renew(url, "sync_orders", ELSEWHERE, 60)
    assert leases.renew(url, "pull_shipments", live_holder, 60)
    assert abandoned.sweep(url) == []


def test_the_next_run_after_the_sweep_resumes_the_work(settings):
    url = settings.database_url
    fake_jobs.configure(settings.data_path, items=2)
    old = left_running(url, "fake_job", ELSEWHERE, lease_until=utcnow() - timedelta(seconds=5))
    add_item(url, old, "k000", "pending")
    assert abandoned.sweep(url) == [old]
    new = create_run(url, "fake_job", utcnow(), trigger="cli")
    assert Runner(settings).execute(new).status == "completed"
    assert fake_jobs.written(settings.data_path) == ["k000", "k001"]
    assert get_run(url, old).status == "abandoned"
