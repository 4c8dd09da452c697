"""The Jobs pages read the scheduler's tables and ask for work through JobCommand rows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.store import session_scope
from core.store.models import AuditLog, ConnectionCheck, JobCommand, JobDefinition, JobRun
from tests.web.helpers import add_job, add_run, add_scheduler, csrf_token, now


def commands(db_url):
    with session_scope(db_url) as session:
        rows = session.scalars(select(JobCommand).order_by(JobCommand.id))
        return [(c.job_id, c.command, c.requested_by) for c in rows]


def audit(db_url, action):
    with session_scope(db_url) as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action == action))
        return [(r.actor, r.entity, r.entity_key, r.before, r.after) for r in rows]


def test_jobs_page_shows_definitions_and_their_last_runs(admin, db_url):
    add_job(db_url, "sync_orders")
    add_job(db_url, "push_fulfillments", trigger="cron */15 * * * *", paused=True)
    add_run(db_url, "sync_orders", minutes_ago=30, status="failed", error="boom")
    add_run(db_url, "sync_orders", minutes_ago=10, read=120, written=118, failed=2, api_calls=7)
    page = admin.get("/jobs").get_data(as_text=True)
    assert "sync_orders" in page and "push_fulfillments" in page
    assert "every 5m" in page and "cron */15 * * * *" in page
    assert "120 / 118 / " in page and "42 s" in page
    assert "paused" in page
    assert "No scheduler heartbeat in the last minute" in page


def test_job_page_shows_history_with_error_summaries_and_a_timeline(admin, db_url):
    add_job(db_url)
    add_run(db_url, minutes_ago=30, status="failed", error="Timeout talking to NetSuite\nstack")
    add_run(db_url, minutes_ago=10)
    page = admin.get("/jobs/sync_orders").get_data(as_text=True)
    assert '<summary class="bad">Timeout talking to NetSuite</summary>' in page
    assert page.count('class="bar ') == 2 and "<svg" in page
    assert "118 orders written" in page
    assert admin.get("/jobs/no_such_job").status_code == 404


def test_scheduler_leader_and_standby_are_told_apart(admin, db_url):
    add_scheduler(db_url, "sched-a", "leader")
    add_scheduler(db_url, "sched-b", "standby")
    add_scheduler(db_url, "sched-old", "leader", seconds_ago=600)
    page = admin.get("/jobs").get_data(as_text=True)
    assert "<strong>leads</strong>" in page and "waits as standby" in page
    assert "gone (leader)" in page
    assert "No scheduler heartbeat" not in page


def test_connection_checks_show_the_latest_per_system(admin, db_url):
    with session_scope(db_url) as session:
        session.add(ConnectionCheck(system="netsuite", ok=False, message="old failure"))
        session.flush()
        session.add(ConnectionCheck(system="netsuite", ok=True, latency_ms=87, message="fine"))
        session.add(ConnectionCheck(system="ups", ok=False, message="401 from OAuth"))
    page = admin.get("/jobs").get_data(as_text=True)
    assert "87 ms" in page and "401 from OAuth" in page and "old failure" not in page


def test_run_now_inserts_one_command_and_an_audit_row(admin, db_url):
    add_job(db_url)
    token = csrf_token(admin)
    first = admin.post("/jobs/sync_orders/run", data={"csrf_token": token, "next": "/jobs"})
    assert first.status_code == 302 and first.location == "/jobs"
    # A second click while the first request waits does not ask for a second run.
    admin.post("/jobs/sync_orders/run", data={"csrf_token": token})
    assert commands(db_url) == [("sync_orders", "run_now", "admin")]
    assert [row[:3] for row in audit(db_url, "job_run_now")] == [("admin", "job", "sync_orders")]
    assert "run requested" in admin.get("/jobs").get_data(as_text=True)


def test_pause_and_resume_show_at_once_and_are_audited(admin, db_url):
    add_job(db_url)
    token = csrf_token(admin)
    assert admin.post("/jobs/sync_orders/pause", data={"csrf_token": token}).status_code == 302
    with session_scope(db_url) as session:
        assert session.get(JobDefinition, "sync_orders").paused is True
    assert "Resume" in admin.get("/jobs/sync_orders").get_data(as_text=True)
    admin.post("/jobs/sync_orders/resume", data={"csrf_token": token})
    with session_scope(db_url) as session:
        assert session.get(JobDefinition, "sync_orders").paused is False
    assert commands(db_url) == [
        ("sync_orders", "pause", "admin"),
        ("sync_orders", "resume", "admin"),
    ]
    paused = audit(db_url, "job_paused")
    assert paused[0][3] == {"paused": False} and paused[0][4]["paused"] is True
    assert len(audit(db_url, "job_resumed")) == 1


def test_commands_for_unknown_jobs_are_404_and_write_nothing(admin, db_url):
    response = admin.post("/jobs/nope/run", data={"csrf_token": csrf_token(admin)})
    assert response.status_code == 404
    assert commands(db_url) == []


def test_redirect_after_a_command_stays_on_the_site(admin, db_url):
    add_job(db_url)
    data = {"csrf_token": csrf_token(admin), "next": "https://evil.example/"}
    assert admin.post("/jobs/sync_orders/pause", data=data).location == "/"


def test_overdue_jobs_are_flagged(admin, db_url):
    add_job(db_url, next_run_at=now() - timedelta(hours=1))
    assert "overdue" in admin.get("/jobs").get_data(as_text=True)


def test_an_abandoned_run_is_shown_as_a_failure(admin, db_url):
    add_job(db_url)
    add_run(db_url, status="abandoned", summary="abandoned: its holder h:1:x was last seen ...")
    page = admin.get("/jobs").get_data(as_text=True)
    row = page.split('id="job-sync_orders"')[1].split("</tr>")[0]
    assert '<span class="status abandoned">abandoned</span>' in row
    assert '<span class="bad">1</span>' in row  # Failures 24 h
    detail = admin.get("/jobs/sync_orders").get_data(as_text=True)
    assert "abandoned: its holder h:1:x was last seen" in detail


def _history(db_url, job_id: str, seconds: int, runs: int = 5) -> None:
    for i in range(runs):
        minutes = 600 + i * 60
        finished = now() - timedelta(minutes=minutes) + timedelta(seconds=seconds)
        add_run(db_url, job_id, minutes_ago=minutes, finished_at=finished)


def _running(db_url, job_id: str, minutes: int) -> int:
    # alive: its holder still reports, so no sweep closes it
    fields = {"status": "running", "finished_at": None, "heartbeat_at": now()}
    return add_run(db_url, job_id, minutes_ago=minutes, **fields)


def test_a_run_going_on_far_longer_than_usual_is_flagged_with_its_usual_time(admin, db_url):
    add_job(db_url, "sync_orders")
    add_job(db_url, "track_shipments")
    _history(db_url, "sync_orders", seconds=600)  # usually 10 min
    _history(db_url, "track_shipments", seconds=600)
    run_id = _running(db_url, "sync_orders", minutes=45)  # past 3 x 10 min
    _running(db_url, "track_shipments", minutes=25)  # long, but under 3 x its usual
    page = admin.get("/jobs").get_data(as_text=True)
    row = page.split('id="job-sync_orders"')[1].split("</tr>")[0]
    assert "running 45 min" in row and "far longer than usual" in row
    assert "usually 10 min" in row
    other = page.split('id="job-track_shipments"')[1].split("</tr>")[0]
    assert "running 25 min" in other and "far longer than usual" not in other
    api = admin.get("/api/jobs/sync_orders").get_json()
    assert api["long_run"]["run_id"] == run_id and api["long_run"]["usual_seconds"] == 600.0
    assert admin.get("/api/jobs/track_shipments").get_json()["long_run"] is None


def test_a_short_job_is_not_flagged_before_the_floor_and_one_with_no_history_at_the_ceiling(
    admin, db_url
):
    add_job(db_url, "sync_orders")
    add_job(db_url, "release_backorders")
    _history(db_url, "sync_orders", seconds=4)  # 3 x 4 s is far under the 15-minute floor
    _running(db_url, "sync_orders", minutes=10)
    _running(db_url, "release_backorders", minutes=90)  # no history: flagged only past 2 h
    page = admin.get("/jobs").get_data(as_text=True)
    assert "far longer than usual" not in page
    with session_scope(db_url) as session:
        run = session.scalars(select(JobRun).where(JobRun.job_id == "release_backorders")).one()
        run.started_at = now() - timedelta(hours=3)
    row = admin.get("/jobs").get_data(as_text=True).split('id="job-release_backorders"')[1]
    row = row.split("</tr>")[0]
    assert "far longer than usual" in row and "no usual time yet; flagged past 2 h" in row
