"""The JSON API: session + X-CSRFToken, or a personal API token; the same roles apply."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.store import session_scope
from core.store.models import ApiToken, AuditLog, JobCommand, JobDefinition
from tests.web.helpers import add_job, add_run, csrf_token, sign_in


def create_token(client, name: str = "nightly") -> str:
    page = client.post("/account/tokens", data={"name": name, "csrf_token": csrf_token(client)})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    return re.search(r'<pre class="token">([^<]+)</pre>', page.get_data(as_text=True)).group(1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_is_shown_once_and_stored_only_as_its_hash(admin, db_url):
    token = create_token(admin)
    assert token not in admin.get("/account/tokens").get_data(as_text=True)
    with session_scope(db_url) as session:
        stored = session.scalars(select(ApiToken)).one()
        assert stored.token_hash != token and token not in stored.token_hash
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "api_token_created"))
        assert token not in repr([(a.before, a.after) for a in audit])


def test_scripts_drive_jobs_with_a_token_and_no_csrf(app, admin, db_url):
    add_job(db_url)
    add_run(db_url)
    token = create_token(admin)
    script = app.test_client()  # no session cookie, as a script would be
    jobs = script.get("/api/jobs", headers=bearer(token)).get_json()["jobs"]
    assert jobs[0]["job_id"] == "sync_orders"
    assert jobs[0]["last_run"]["written"] == 118
    runs = script.get("/api/jobs/sync_orders/runs", headers=bearer(token)).get_json()["runs"]
    assert [r["status"] for r in runs] == ["completed"]
    response = script.post("/api/jobs/sync_orders/run", headers=bearer(token))
    assert response.status_code == 202 and response.get_json()["already_requested"] is False
    again = script.post("/api/jobs/sync_orders/run", headers=bearer(token)).get_json()
    assert again["already_requested"] is True
    assert script.post("/api/jobs/sync_orders/pause", headers=bearer(token)).get_json() == {
        "job_id": "sync_orders",
        "paused": True,
        "command_id": 2,
    }
    with session_scope(db_url) as session:
        assert session.get(JobDefinition, "sync_orders").paused is True
        kinds = [c.command for c in session.scalars(select(JobCommand).order_by(JobCommand.id))]
        assert kinds == ["run_now", "pause"]
        assert session.scalars(select(ApiToken)).one().last_used_at is not None


def test_token_roles_come_from_the_same_table(app, client, db_url):
    add_job(db_url)
    sign_in(client, "finance")
    token = create_token(client)
    script = app.test_client()
    assert script.get("/api/me", headers=bearer(token)).get_json()["role"] == "finance"
    assert script.get("/api/jobs", headers=bearer(token)).status_code == 403
    assert script.post("/api/jobs/sync_orders/run", headers=bearer(token)).status_code == 403


def test_a_revoked_or_unknown_token_is_401(app, admin):
    token = create_token(admin)
    page = admin.get("/account/tokens").get_data(as_text=True)
    revoke_url = re.search(r'action="(/account/tokens/\d+/revoke)"', page).group(1)
    assert admin.post(revoke_url, data={"csrf_token": csrf_token(admin)}).status_code == 302
    script = app.test_client()
    assert script.get("/api/jobs", headers=bearer(token)).status_code == 401
    assert script.get("/api/jobs", headers=bearer("obt_made_up")).status_code == 401


def test_a_token_cannot_revoke_or_reach_pages(app, admin):
    token = create_token(admin)
    script = app.test_client()
    # Tokens work on /api/ only; a page asked with one is treated as anonymous.
    assert script.get("/jobs", headers=bearer(token)).status_code == 302


def test_someone_elses_token_cannot_be_revoked(app, admin, client, db_url):
    create_token(admin)
    other = app.test_client()
    sign_in(other, "coordinator")
    with session_scope(db_url) as session:
        token_id = session.scalars(select(ApiToken.id)).one()
    other.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(other)})
    with session_scope(db_url) as session:
        assert session.get(ApiToken, token_id).revoked is False


def test_the_session_api_needs_the_csrf_header(admin, db_url):
    add_job(db_url)
    assert admin.post("/api/jobs/sync_orders/run").status_code == 400
    response = admin.post("/api/jobs/sync_orders/run", headers={"X-CSRFToken": csrf_token(admin)})
    assert response.status_code == 202
    assert admin.get("/api/jobs/nope").get_json()["error"].startswith("there is no job")


def test_a_token_header_outranks_a_session_cookie(app, admin, db_url):
    add_job(db_url)
    # A bad token next to a good session is refused: the request is judged by its token.
    response = admin.get("/api/jobs", headers=bearer("obt_wrong"))
    assert response.status_code == 401
