from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.store import session_scope
from core.store.models import JobLease, JobRun, RecordError, Watermark, WorkItem
from sync_jobs import SCHEDULE, leases
from sync_jobs.leases import utcnow
from sync_jobs.runner import Runner, create_run
from tests.sync_jobs import fake_jobs


@pytest.fixture(autouse=True)
def fake_job():
    fake_jobs.install()
    yield
    SCHEDULE.pop("fake_job", None)


def run_now(settings, dry_run=False):
    run_id = create_run(settings.database_url, "fake_job", utcnow(), trigger="cli", dry_run=dry_run)
    return Runner(settings).execute(run_id)


def rows(url, model, *where):
    with session_scope(url) as session:
        return session.scalars(select(model).where(*where)).all()


def test_a_run_carries_out_every_item_and_moves_the_watermark(settings):
    fake_jobs.configure(settings.data_path, items=5)
    outcome = run_now(settings)
    assert outcome.status == "completed"
    assert fake_jobs.written(settings.data_path) == [f"k{n:03d}" for n in range(5)]
    run = rows(settings.database_url, JobRun)[0]
    assert (run.read, run.written, run.failed) == (5, 5, 0)
    mark = rows(settings.database_url, Watermark)[0]
    assert mark.value == run.window_end


def test_items_already_done_are_not_done_again(settings):
    fake_jobs.configure(settings.data_path, items=4)
    run_now(settings)
    run_now(settings)
    assert len(fake_jobs.written(settings.data_path)) == 4
    # Nothing was interrupted, so the job was never asked to confirm a write.
    assert not (settings.data_path / "fake_job.confirms").exists()


def test_a_rejected_record_does_not_stop_the_others(settings):
    fake_jobs.configure(settings.data_path, items=4, reject=["k001"])
    outcome = run_now(settings)
    assert outcome.status == "completed"
    assert fake_jobs.written(settings.data_path) == ["k000", "k002", "k003"]
    error = rows(settings.database_url, RecordError)[0]
    assert (error.business_key, error.error_class, error.status) == ("k001", "value", "open")
    assert error.hint == "fix the quantity" and error.payload == {"n": 1}
    assert rows(settings.database_url, Watermark)


def test_a_repeat_that_succeeds_resolves_its_error(settings):
    fake_jobs.configure(settings.data_path, items=2, reject=["k001"])
    run_now(settings)
    fake_jobs.configure(settings.data_path, items=2, version="v2")
    run_now(settings)
    error = rows(settings.database_url, RecordError)[0]
    assert error.status == "resolved" and error.resolved_by == "system"


def test_transient_failure_keeps_the_watermark_and_the_item(settings):
    fake_jobs.configure(settings.data_path, items=3, transient=["k001"])
    outcome = run_now(settings)
    assert outcome.status == "failed"
    assert "transient" in outcome.summary
    assert rows(settings.database_url, Watermark) == []
    pending = rows(settings.database_url, WorkItem, WorkItem.status == "pending")
    # The system took k002 after failing k001: one strike against k001, which waits in line.
    assert [(item.business_key, item.attempts) for item in pending] == [("k001", 1)]
    fake_jobs.configure(settings.data_path, items=3)
    assert run_now(settings).status == "completed"
    assert fake_jobs.written(settings.data_path) == ["k000", "k002", "k001"]
    assert rows(settings.database_url, Watermark)
    assert rows(settings.database_url, RecordError) == []


def test_an_outage_costs_the_records_nothing_and_they_post_when_it_ends(settings):
    keys = ["k000", "k001", "k002"]
    fake_jobs.configure(settings.data_path, items=3, transient=keys)
    for _ in range(7):
        outcome = run_now(settings)
        assert outcome.status == "failed" and "will resume" in outcome.summary
    items = rows(settings.database_url, WorkItem)
    assert sorted((i.business_key, i.status, i.attempts) for i in items) == [
        (k, "pending", 0) for k in keys
    ]
    assert rows(settings.database_url, RecordError) == []
    fake_jobs.configure(settings.data_path, items=3)
    assert run_now(settings).status == "completed"
    assert fake_jobs.written(settings.data_path) == keys
    assert {i.status for i in rows(settings.database_url, WorkItem)} == {"done"}


def test_a_record_refused_in_an_outage_waits_in_line_not_in_the_queue(settings):
    fake_jobs.configure(settings.data_path, items=2, refused_by_outage=["k000", "k001"])
    outcome = run_now(settings)
    assert outcome.status == "failed" and "will resume" in outcome.summary
    assert rows(settings.database_url, RecordError) == []
    fake_jobs.configure(settings.data_path, items=2)
    assert run_now(settings).status == "completed"
    assert fake_jobs.written(settings.data_path) == ["k000", "k001"]


def test_a_record_the_system_fails_alone_goes_to_the_queue_after_five_strikes(settings):
    for n in range(5):
        # A new version each run keeps the other items coming, so the system proves it is up.
        fake_jobs.configure(settings.data_path, items=3, transient=["k001"], version=f"v{n}")
        outcome = run_now(settings)
    assert outcome.status == "completed" and "rejected 1 (k001)" in outcome.summary
    (error,) = rows(settings.database_url, RecordError)
    assert (error.business_key, error.error_class, error.status) == ("k001", "connection", "open")
    assert "failed on this record 5 times while it accepted the records after it" in error.hint
    (item,) = rows(settings.database_url, WorkItem, WorkItem.status == "rejected")
    assert item.business_key == "k001"


def test_a_config_error_fails_the_run_with_its_hint(settings):
    fake_jobs.configure(settings.data_path, items=2, config=["k000"])
    outcome = run_now(settings)
    assert outcome.status == "failed"
    assert "set the password" in outcome.summary
    assert rows(settings.database_url, Watermark) == []


def test_dry_run_writes_nothing(settings):
    fake_jobs.configure(settings.data_path, items=3)
    outcome = run_now(settings, dry_run=True)
    assert outcome.status == "completed" and "3 item(s)" in outcome.summary
    assert fake_jobs.written(settings.data_path) == []
    assert rows(settings.database_url, WorkItem) == []
    assert rows(settings.database_url, Watermark) == []


def test_a_live_holder_keeps_the_job_busy(settings):
    fake_jobs.configure(settings.data_path, items=1)
    other = leases.new_holder()  # this process: alive
    assert leases.acquire(settings.database_url, "fake_job", other, None, 60)
    assert run_now(settings).status == "busy"
    assert leases.live_holder(settings.database_url, "fake_job") == other


def test_a_dead_holders_claims_are_taken_over_at_once(settings):
    fake_jobs.configure(settings.data_path, items=2)
    dead = f"{leases.HOST}:999999:dead"
    url = settings.database_url
    far = utcnow() + timedelta(hours=1)
    with session_scope(url) as session:
        session.add(JobLease(job_id="fake_job", holder=dead, lease_until=far))
        session.add(
            WorkItem(
                job_id="fake_job",
                business_key="k000",
                version="",
                payload={"n": 0},
                status="claimed",
                claimed_by=dead,
                lease_until=far,
            )
        )
        session.add(
            JobRun(
                job_id="fake_job",
                scheduled_at=utcnow() - timedelta(minutes=1),
                status="running",
                worker=dead,
            )
        )
    assert leases.live_holder(url, "fake_job") is None
    assert run_now(settings).status == "completed"
    assert sorted(fake_jobs.written(settings.data_path)) == ["k000", "k001"]
    confirms = (settings.data_path / "fake_job.confirms").read_text().split()
    assert confirms == ["k000"]  # only the item its dead holder was carrying
    statuses = sorted(run.status for run in rows(url, JobRun))
    assert statuses == ["abandoned", "completed"]


def test_an_expired_lease_on_another_host_is_taken_over(settings):
    fake_jobs.configure(settings.data_path, items=1)
    with session_scope(settings.database_url) as session:
        session.add(
            JobLease(
                job_id="fake_job",
                holder="elsewhere:42:x",
                lease_until=utcnow() - timedelta(seconds=1),
            )
        )
    assert run_now(settings).status == "completed"


def test_two_runners_never_take_the_same_item(settings):
    from concurrent.futures import ThreadPoolExecutor

    fake_jobs.configure(settings.data_path, items=30)
    url = settings.database_url
    with session_scope(url) as session:
        for n in range(30):
            session.add(
                WorkItem(
                    job_id="fake_job",
                    business_key=f"k{n:03d}",
                    version="",
                    payload={"n": n},
                    status="pending",
                )
            )
    runners = [Runner(settings) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        claims = list(
            pool.map(
                lambda pair: pair[0].queue.claim(pair[1]),
                [(runners[i % 4], item_id) for i in range(4) for item_id in range(1, 31)],
            )
        )
    taken = [c[0] for c in claims if c is not None]
    assert sorted(c.id for c in taken) == list(range(1, 31))
    assert not any(c[1] for c in claims if c is not None)  # none was left by a dead holder


def test_an_exhausted_quota_parks_the_job_instead_of_retrying(settings):
    from core.store.models import JobDefinition
    from sync_jobs.worker import work_once

    fake_jobs.configure(settings.data_path, items=3, quota=["k001"])
    outcome = run_now(settings)
    assert outcome.status == "skipped" and "parked until" in outcome.summary
    assert fake_jobs.written(settings.data_path) == ["k000"]
    definition = rows(settings.database_url, JobDefinition)[0]
    assert definition.parked_until > utcnow() + timedelta(minutes=59)
    assert rows(settings.database_url, Watermark) == []
    # A scheduled run while parked is skipped without touching the system.
    scheduled = create_run(settings.database_url, "fake_job", utcnow())
    work_once(settings, leases.new_holder())
    run = rows(settings.database_url, JobRun, JobRun.id == scheduled)[0]
    assert run.status == "skipped" and "parked until" in run.summary
    assert fake_jobs.written(settings.data_path) == ["k000"]


def test_a_throttled_job_stops_before_the_quota_runs_out(settings):
    fake_jobs.configure(settings.data_path, items=2, throttled="salesforce usage 85% >= 80%")
    outcome = run_now(settings)
    assert outcome.status == "skipped" and "85%" in outcome.summary
    assert fake_jobs.written(settings.data_path) == []
    assert len(rows(settings.database_url, WorkItem, WorkItem.status == "pending")) == 2
