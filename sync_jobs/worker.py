"""Workers: take queued runs from the store and carry them out.

The scheduler process runs a pool of these threads; `run.py worker` adds more processes.
Piled-up runs of one job are coalesced into the newest, and a scheduled run that could not
start within its misfire grace is skipped as missed.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import select

from config import Settings
from core.store import session_scope
from core.store.models import JobDefinition, JobRun
from sync_jobs import SCHEDULE, leases, trigger_for
from sync_jobs.leases import utcnow
from sync_jobs.runner import Runner

log = logging.getLogger(__name__)


def _coalesce_and_pick(url: str, settings: Settings) -> list[int]:
    """Newest queued run per job, older ones marked skipped; oldest-due job first."""
    now = utcnow()
    with session_scope(url) as session:
        queued = session.scalars(
            select(JobRun).where(JobRun.status == "queued").order_by(JobRun.scheduled_at)
        ).all()
        newest: dict[str, JobRun] = {}
        for run in queued:
            older = newest.get(run.job_id)
            newest[run.job_id] = run
            if older is not None:
                older.status, older.finished_at = "skipped", now
                older.summary = f"coalesced into the run scheduled at {run.scheduled_at:%H:%M:%S}"
        parked = {
            d.job_id: d
            for d in session.scalars(select(JobDefinition).where(JobDefinition.parked_until > now))
        }
        picked: list[int] = []
        for run in sorted(newest.values(), key=lambda r: r.scheduled_at):
            if run.trigger == "schedule" and run.job_id in parked:
                run.status, run.finished_at = "skipped", now
                until = parked[run.job_id].parked_until
                run.summary = (
                    f"parked until {until:%Y-%m-%d %H:%M} UTC: {parked[run.job_id].parked_reason}"
                )
                continue
            spec = SCHEDULE.get(run.job_id)
            grace = trigger_for(spec, settings).grace_seconds if spec else 300
            if run.trigger == "schedule" and now - run.scheduled_at > timedelta(seconds=grace):
                run.status, run.finished_at = "skipped", now
                run.summary = f"missed: could not start within the {grace}s misfire grace"
                continue
            picked.append(run.id)
        return picked


def work_once(settings: Settings, holder: str) -> int:
    """Carry out what is queued now; returns how many runs this call finished."""
    finished = 0
    for run_id in _coalesce_and_pick(settings.database_url, settings):
        outcome = Runner(settings, holder).execute(run_id)
        finished += outcome.status in ("completed", "failed")
    return finished


class Worker(threading.Thread):
    def __init__(self, settings: Settings, stop: threading.Event, name: str = "worker") -> None:
        super().__init__(daemon=True, name=name)
        self.settings = settings
        self.stop = stop
        self.holder = leases.new_holder()

    def run(self) -> None:
        poll = float(self.settings.scheduler.poll_seconds)
        while not self.stop.is_set():
            try:
                if work_once(self.settings, self.holder) == 0:
                    self.stop.wait(poll)
            except Exception:  # noqa: BLE001 - keep the worker alive; the store may be back soon
                log.exception("worker %s: store unavailable; retrying", self.name)
                self.stop.wait(poll * 5)
