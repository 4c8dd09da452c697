"""Helpers for the portal tests: sign in, read the CSRF token, put jobs into the store."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from core.store import session_scope
from core.store.models import JobDefinition, JobRun, SchedulerInstance
from core.users import DEMO_PASSWORD

_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def now() -> datetime:
    return datetime.now(timezone.utc)


def csrf_token(client) -> str:
    """The CSRF token of this client's session, read from a page as a browser would."""
    page = client.get("/login")
    if page.status_code == 302:
        page = client.get("/account/tokens")
    return _META.search(page.get_data(as_text=True)).group(1)


def sign_in(client, username: str, password: str = DEMO_PASSWORD, **kwargs):
    token = csrf_token(client)
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post("/login", data=data, **kwargs)


def count(db_url: str, model) -> int:
    with session_scope(db_url) as session:
        return session.scalar(select(func.count()).select_from(model))


def add_job(db_url: str, job_id: str = "sync_orders", **fields) -> None:
    values = {
        "description": "Read changed orders from the ERP",
        "trigger": "every 5m",
        "next_run_at": now() + timedelta(minutes=5),
    }
    values.update(fields)
    with session_scope(db_url) as session:
        session.add(JobDefinition(job_id=job_id, **values))


def add_run(db_url: str, job_id: str = "sync_orders", minutes_ago: int = 10, **fields) -> int:
    started = now() - timedelta(minutes=minutes_ago)
    values = {
        "scheduled_at": started,
        "started_at": started,
        "finished_at": started + timedelta(seconds=42),
        "status": "completed",
        "read": 120,
        "written": 118,
        "failed": 2,
        "api_calls": 7,
        "summary": "118 orders written",
    }
    values.update(fields)
    with session_scope(db_url) as session:
        run = JobRun(job_id=job_id, **values)
        session.add(run)
        session.flush()
        return run.id


def add_scheduler(db_url: str, instance_id: str, role: str, seconds_ago: int = 5) -> None:
    with session_scope(db_url) as session:
        session.add(
            SchedulerInstance(
                instance_id=instance_id,
                host="node-1",
                pid=4242,
                role=role,
                heartbeat_at=now() - timedelta(seconds=seconds_ago),
            )
        )
