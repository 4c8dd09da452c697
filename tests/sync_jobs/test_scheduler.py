"""Two schedulers on one store: one leads, one waits; each due time fires and runs once."""

from __future__ import annotations

import signal
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from core.store import session_scope
from core.store.models import JobCommand, JobDefinition, JobLease, JobRun, SchedulerInstance
from sync_jobs import SCHEDULE, Trigger, leases
from sync_jobs.scheduler import EnqueueExecutor, apscheduler_trigger
from tests.helpers import cli_popen
from tests.sync_jobs import fake_jobs

pytestmark = pytest.mark.slow
FAST = {
    "ORDERBRIDGE__JOBS__FAKE_JOB__EVERY": "1s",
    "ORDERBRIDGE__SCHEDULER__STANDBY_POLL_SECONDS": "0.3",
    "ORDERBRIDGE__SCHEDULER__POLL_SECONDS": "0.2",
    "ORDERBRIDGE__SCHEDULER__WORKERS": "2",
}


def runs(url):
    with session_scope(url) as session:
        return session.scalars(
            select(JobRun).where(JobRun.job_id == "fake_job").order_by(JobRun.scheduled_at)
        ).all()


def wait_for(predicate, seconds=20.0):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_two_schedulers_fire_each_due_time_exactly_once(settings):
    fake_jobs.configure(settings.data_path, items=1, per_run=True)
    url = settings.database_url
    first = cli_popen(settings, "scheduler", **FAST)
    assert wait_for(lambda: len(runs(url)) >= 2), first.stderr.read() if first.poll() else ""
    second = cli_popen(settings, "scheduler", **FAST)
    try:
        assert wait_for(lambda: _roles(url) == ["leader", "standby"])
        time.sleep(2.5)
        first.send_signal(signal.SIGKILL)  # the leader dies without a word
        first.communicate()
        killed_at = datetime.now(timezone.utc)
        assert wait_for(
            lambda: any(r.scheduled_at > killed_at and r.status == "completed" for r in runs(url))
        )
        time.sleep(1.5)
    finally:
        second.send_signal(signal.SIGTERM)
        _, second_log = second.communicate(timeout=30)
    fired = runs(url)
    times = [run.scheduled_at for run in fired]
    assert len(times) == len(set(times)) >= 6
    assert all(t.microsecond == 0 for t in times)  # anchored whole seconds, agreed by both
    assert "standby" in second_log and "leads this store" in second_log
    assert "already fired" not in second_log  # the standby never fired while it waited
    done = [run for run in fired if run.status == "completed"]
    # Each completed run carried out its one item once: the job's writes equal the runs.
    assert len(fake_jobs.written(settings.data_path)) == len(done)
    assert len(done) >= len(fired) - 2  # at most the killed leader's last runs are not done


def _roles(url):
    with session_scope(url) as session:
        return sorted(row.role for row in session.scalars(select(SchedulerInstance)))


def test_run_now_and_pause_are_carried_out_by_the_scheduler(settings):
    fake_jobs.configure(settings.data_path, items=1, per_run=True)
    url = settings.database_url
    slow = dict(FAST, ORDERBRIDGE__JOBS__FAKE_JOB__EVERY="1h")
    process = cli_popen(settings, "scheduler", **slow)
    try:
        assert wait_for(lambda: _definition(url) is not None)
        with session_scope(url) as session:
            session.add(JobCommand(job_id="fake_job", command="run_now", requested_by="admin"))
        # A job that never ran runs once at start; run now adds a manual run.
        assert wait_for(
            lambda: (
                sorted(r.trigger for r in runs(url) if r.status == "completed")
                == ["manual", "startup"]
            )
        )
        with session_scope(url) as session:
            session.add(JobCommand(job_id="fake_job", command="pause", requested_by="admin"))
        assert wait_for(lambda: _definition(url).paused)
        assert _definition(url).next_run_at is None
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


def test_the_leader_sweeps_a_run_abandoned_by_its_holder_of_a_paused_job(settings):
    url = settings.database_url
    dead = f"{leases.HOST}:999999:dead"
    with session_scope(url) as session:
        run = JobRun(
            job_id="fake_job",
            scheduled_at=datetime.now(timezone.utc),
            status="running",
            worker=dead,
            started_at=datetime.now(timezone.utc),
            heartbeat_at=datetime.now(timezone.utc),
        )
        session.add(run)
        session.flush()
        session.add(JobLease(job_id="fake_job", holder=dead, run_id=run.id))
    paused = dict(FAST, ORDERBRIDGE__JOBS__FAKE_JOB__PAUSED="true")
    process = cli_popen(settings, "scheduler", **paused)
    try:
        # Paused, the job never runs again; only the sweep can close its run.
        assert wait_for(lambda: [r.status for r in runs(url)] == ["abandoned"])
    finally:
        process.send_signal(signal.SIGTERM)
        _, log = process.communicate(timeout=30)
    (closed,) = runs(url)
    assert "closed by the scheduler's sweep" in closed.summary
    assert f"run {closed.id} was abandoned by its holder; closed" in log


def _definition(url):
    with session_scope(url) as session:
        return session.get(JobDefinition, "fake_job")


def test_interval_triggers_are_anchored_so_every_scheduler_agrees():
    anchor = datetime(2026, 1, 1, tzinfo=timezone.utc)
    trigger = apscheduler_trigger(Trigger(300, None, 0, False), anchor)
    now = datetime(2026, 6, 1, 12, 3, 17, tzinfo=timezone.utc)
    assert trigger.get_next_fire_time(None, now) == datetime(2026, 6, 1, 12, 5, tzinfo=timezone.utc)


def test_the_executor_skips_a_due_time_beyond_its_grace():
    fired = []

    class FakeJob:
        id = "x"
        args = ["x"]
        misfire_grace_time = 60

        @staticmethod
        def func(job_id, run_time):
            fired.append(run_time)

    now = datetime.now(timezone.utc).replace(microsecond=0)
    EnqueueExecutor().submit_job(FakeJob, [now.replace(year=now.year - 1)])
    EnqueueExecutor().submit_job(FakeJob, [now])
    assert fired == [now]


@pytest.fixture(autouse=True)
def fake_job():
    fake_jobs.install()
    yield
    SCHEDULE.pop("fake_job", None)
