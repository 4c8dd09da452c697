"""Home shows what needs each role's attention, read from the store."""

from __future__ import annotations

from datetime import timedelta

from core.store import session_scope
from core.store.models import RecordError, Shipment, Upload
from tests.web.helpers import add_job, add_run, add_scheduler, now, sign_in


def home_as(client, role: str) -> str:
    assert sign_in(client, role).status_code == 302
    return client.get("/").get_data(as_text=True)


def test_admin_sees_failed_runs_stalled_jobs_and_a_silent_scheduler(client, db_url):
    add_job(db_url, "sync_orders")
    add_job(db_url, "track_shipments", next_run_at=now() - timedelta(hours=2))
    add_run(db_url, "sync_orders", status="failed", error="boom")
    page = home_as(client, "admin")
    assert "No scheduler heartbeat in the last minute" in page
    assert "sync_orders: 1 failed" in page
    assert "track_shipments: due at" in page


def test_admin_is_told_when_only_standby_schedulers_run(client, db_url):
    add_scheduler(db_url, "s1", "standby")
    assert "none leads" in home_as(client, "admin")


def test_coordinator_sees_open_record_errors_with_hints(client, db_url):
    with session_scope(db_url) as session:
        session.add(
            RecordError(
                job_id="sync_orders",
                business_key="SO-1001",
                error_class="value",
                message="Ship-to code ZZ is unknown",
                hint="add the ship-to or fix the order",
            )
        )
        session.add(
            RecordError(
                job_id="sync_orders",
                business_key="SO-1002",
                error_class="value",
                message="resolved one",
                status="resolved",
            )
        )
    page = home_as(client, "coordinator")
    assert "SO-1001" in page and "add the ship-to or fix the order" in page
    assert "SO-1002" not in page
    assert "Jobs" not in page.split("<main>")[0]  # no Jobs link in a coordinator's bar


def test_steward_sees_uploads_awaiting_approval(client, db_url):
    with session_scope(db_url) as session:
        for name, who in (("prices-may.xlsx", "steward2"), ("own-prices.xlsx", "steward")):
            session.add(
                Upload(
                    kind="price_list",
                    filename=name,
                    sha256="0" * 64,
                    status="pending_approval",
                    uploaded_by=who,
                    rows=12,
                )
            )
    page = home_as(client, "steward")
    assert "prices-may.xlsx" in page
    assert "own-prices.xlsx" not in page  # nobody approves their own


def test_finance_sees_delivered_shipments_not_yet_invoiced(client, db_url):
    with session_scope(db_url) as session:
        session.add(
            Shipment(
                number="SH-7",
                order_number="SO-7",
                status="delivered",
                source_system="netsuite",
                source_key="7",
            )
        )
    assert "shipment SH-7 of order SO-7" in home_as(client, "finance")


def test_auditor_sees_recent_changes(client, db_url):
    assert "user_created" in home_as(client, "auditor")


def test_admin_counts_an_abandoned_run_among_the_failed(client, db_url):
    add_job(db_url, "track_shipments")
    add_run(db_url, "track_shipments", status="abandoned")
    assert "track_shipments: 1 failed; last run abandoned" in home_as(client, "admin")


def test_admin_home_counts_a_live_run_going_on_far_longer_than_usual(client, db_url):
    add_job(db_url, "sync_invoices")
    for i in range(4):
        started = 300 + i * 30
        add_run(
            db_url,
            "sync_invoices",
            minutes_ago=started,
            finished_at=now() - timedelta(minutes=started) + timedelta(seconds=40),
        )
    fields = {"status": "running", "finished_at": None, "heartbeat_at": now(), "read": 0}
    run_id = add_run(db_url, "sync_invoices", minutes_ago=125, **fields)
    page = home_as(client, "admin")
    assert "1 running far longer than usual" in page
    assert f"sync_invoices: run {run_id} running for 2 h 5 min (usually 40 s)" in page
