"""`run.py worker` carries out queued runs, including runs a person asked for from the portal."""

from __future__ import annotations

import signal
import time

import pytest
from sqlalchemy import select

from core.store import session_scope
from core.store.models import JobRun
from sync_jobs import SCHEDULE
from sync_jobs.leases import utcnow
from sync_jobs.runner import create_run
from tests.helpers import cli_popen
from tests.sync_jobs import fake_jobs

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def fake_job():
    fake_jobs.install()
    yield
    SCHEDULE.pop("fake_job", None)


def test_a_worker_process_carries_out_queued_runs(settings):
    fake_jobs.configure(settings.data_path, items=3)
    run_id = create_run(
        settings.database_url, "fake_job", utcnow(), trigger="manual", requested_by="admin"
    )
    worker = cli_popen(settings, "worker", ORDERBRIDGE__SCHEDULER__POLL_SECONDS="0.2")
    try:
        deadline = time.time() + 30
        status = "queued"
        while time.time() < deadline and status in ("queued", "running"):
            time.sleep(0.2)
            with session_scope(settings.database_url) as session:
                status = session.scalars(select(JobRun.status).where(JobRun.id == run_id)).one()
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=30)
    assert status == "completed"
    assert fake_jobs.written(settings.data_path) == ["k000", "k001", "k002"]
    assert worker.returncode == 0
