"""A job killed with SIGKILL at random points is resumed by the next run: none lost, none twice."""

from __future__ import annotations

import random
import signal
import time

import pytest
from sqlalchemy import select

from core.store import session_scope
from core.store.models import JobRun, Watermark
from tests.helpers import cli, cli_popen
from tests.sync_jobs import fake_jobs

pytestmark = pytest.mark.slow


def test_a_job_killed_mid_run_is_resumed_by_the_next_run(settings):
    fake_jobs.configure(settings.data_path, items=120, sleep=0.02)
    rng = random.Random(7)
    kills = 0
    for _ in range(4):
        # Killed a random number of items into its work (not after a random time: under load
        # a process may not have started its run by then).
        target = len(fake_jobs.written(settings.data_path)) + rng.randint(3, 25)
        process = cli_popen(settings, "job", "run", "fake_job")
        deadline = time.time() + 60
        while process.poll() is None and time.time() < deadline:
            if len(fake_jobs.written(settings.data_path)) >= target:
                break
            time.sleep(0.02)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.communicate(timeout=30)
    assert kills >= 1
    result = cli(settings, "job", "run", "fake_job")
    assert result.returncode == 0, result.stderr
    written = fake_jobs.written(settings.data_path)
    assert sorted(written) == [f"k{n:03d}" for n in range(120)]  # none lost, none twice
    with session_scope(settings.database_url) as session:
        statuses = [run.status for run in session.scalars(select(JobRun))]
        assert session.scalars(select(Watermark)).first() is not None
    assert "running" not in statuses  # the last run marked its dead predecessors
    assert statuses.count("abandoned") >= 1


def test_job_run_exits_3_while_the_job_runs_elsewhere(settings):
    fake_jobs.configure(settings.data_path, items=200, sleep=0.02)
    process = cli_popen(settings, "job", "run", "fake_job")
    try:
        deadline = time.time() + 20
        while time.time() < deadline and not fake_jobs.written(settings.data_path):
            time.sleep(0.1)
        result = cli(settings, "job", "run", "fake_job")
        assert result.returncode == 3
        assert "running now" in result.stderr
    finally:
        process.kill()
        process.communicate()
