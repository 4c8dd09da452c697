"""/healthz and /metrics answer without sign-in and carry no business data."""

from __future__ import annotations

from core.store import session_scope
from core.store.models import RecordError
from tests.web.helpers import add_job, add_run, add_scheduler
from web import create_app


def test_healthz_reports_store_scheduler_and_last_runs(client, db_url):
    add_job(db_url)
    add_run(db_url, summary="customer ACME order SO-42")
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded" and body["store"] == {"ok": True}
    assert body["scheduler"]["leader"] is False
    assert body["last_runs"]["sync_orders"]["status"] == "completed"
    assert "SO-42" not in response.get_data(as_text=True)


def test_healthz_is_ok_with_a_live_leader(client, db_url):
    add_scheduler(db_url, "s1", "leader")
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["scheduler"]["leader"] is True


def test_healthz_is_503_when_the_store_is_down(make_settings):
    settings = make_settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = create_app(settings).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["store"] == {"ok": False}


def test_metrics_are_prometheus_text_read_from_the_store(client, db_url):
    add_job(db_url)
    add_run(db_url, minutes_ago=20, status="failed", error="secret-ish detail")
    add_run(db_url, minutes_ago=5, summary="customer ACME")
    with session_scope(db_url) as session:
        session.add(
            RecordError(job_id="sync_orders", business_key="SO-9", error_class="value", message="m")
        )
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert 'orderbridge_job_runs{job_id="sync_orders",status="failed"} 1.0' in text
    assert 'orderbridge_job_runs{job_id="sync_orders",status="completed"} 1.0' in text
    assert 'orderbridge_job_last_run_duration_seconds{job_id="sync_orders"} 42.0' in text
    assert 'orderbridge_job_failures_24h{job_id="sync_orders"} 1.0' in text
    assert "orderbridge_record_errors_open 1.0" in text
    assert "orderbridge_store_up 1.0" in text
    assert "ACME" not in text and "SO-9" not in text and "secret-ish" not in text


def test_metrics_say_when_the_store_is_down(make_settings):
    settings = make_settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    text = create_app(settings).test_client().get("/metrics").get_data(as_text=True)
    assert "orderbridge_store_up 0.0" in text
