"""The role x route matrix, generated from the permission table and the app's routes, and
the CSRF refusal of every state-changing route."""

from __future__ import annotations

import pytest

from core.store import session_scope
from core.store.models import ApiToken, AuditLog, JobCommand, JobDefinition
from core.users import ROLES
from tests.web.helpers import add_job, count, csrf_token, sign_in
from web.permissions import PERMISSIONS, PUBLIC, allowed

SAMPLE_VALUES = {
    "job_id": "sync_orders",
    "token_id": 999999,
    "filename": "style.css",
    "error_id": 999999,
    "exception_id": 999999,
    "kind": "price_list",
    "upload_id": 999999,
    "sample_id": 999999,
    "finding_id": 999999,
    "interchange_id": 999999,
    "user_id": 999999,
    "name": "line_fill",
}
# These end the caller's own session (the store's session generation moves on), so they run last.
ENDS_SESSION = ("account.everywhere", "auth.logout")
SAFE = {"GET", "HEAD", "OPTIONS"}


def routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every route of the app; the sign-outs last: they end it."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            url = rule.build({name: SAMPLE_VALUES[name] for name in rule.arguments})[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((rule.endpoint, method, url))
    return sorted(found, key=lambda route: (route[0] in ENDS_SESSION, route))


def call(client, method: str, url: str, token: str | None):
    headers = {"X-CSRFToken": token} if token and method not in SAFE else {}
    return client.open(url, method=method, headers=headers)


def test_every_endpoint_is_in_the_permission_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(PERMISSIONS) == set()
    assert set(PERMISSIONS) - endpoints == set(), "the table names a route that does not exist"


@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "anonymous"])
def test_role_route_matrix(app, client, db_url, role):
    add_job(db_url)
    if role:
        assert sign_in(client, role).status_code == 302
    token = csrf_token(client)
    wrong = []
    for endpoint, method, url in routes(app):
        status = call(client, method, url, token).status_code
        if not _expected(endpoint, url, role, status):
            wrong.append(f"{method} {url} ({endpoint}) -> {status}")
    assert wrong == []


def _expected(endpoint: str, url: str, role: str | None, status: int) -> bool:
    if allowed(endpoint, role):
        return status not in (401, 403)
    if role is not None:
        return status == 403
    if url.startswith("/api/"):
        return status == 401
    return status == 302


def test_anonymous_page_visit_is_sent_to_the_sign_in_form(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=/")
    page = client.get(response.location).get_data(as_text=True)
    assert 'name="username"' in page and 'type="password"' in page


def test_anonymous_api_call_gets_401_json(client):
    response = client.get("/api/jobs")
    assert response.status_code == 401
    assert response.is_json and "error" in response.get_json()
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def _state_changing(app):
    return [(e, m, u) for e, m, u in routes(app) if m not in SAFE]


def test_there_are_state_changing_routes_to_check(app):
    assert {e for e, _, _ in _state_changing(app)} >= {
        "auth.login",
        "auth.logout",
        "jobs.run_now",
        "jobs.pause",
        "jobs.resume",
        "api.run_now",
        "tokens.create",
    }


def test_every_state_changing_route_refuses_a_missing_csrf_token(app, db_url):
    add_job(db_url)
    tables = (JobCommand, ApiToken, AuditLog)
    for endpoint, method, url in _state_changing(app):
        client = app.test_client()
        rule = PERMISSIONS[endpoint]
        if rule != PUBLIC:
            assert sign_in(client, sorted(rule)[0]).status_code == 302
        before = [count(db_url, table) for table in tables]
        response = client.open(url, method=method, data={"username": "admin", "password": "demo"})
        assert response.status_code == 400, f"{method} {url} answered {response.status_code}"
        assert [count(db_url, table) for table in tables] == before, f"{method} {url} wrote"


def test_a_wrong_csrf_token_is_refused_too(admin, db_url):
    add_job(db_url)
    response = admin.post("/jobs/sync_orders/pause", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    with session_scope(db_url) as session:
        assert session.get(JobDefinition, "sync_orders").paused is False
