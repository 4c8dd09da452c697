"""Signing in and out: the form, the rate limit, safe redirects, cookies, production rules."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.errors import ConfigError
from core.store import session_scope
from core.store.models import AuditLog
from core.users import create_user, ensure_demo_users
from tests.web.helpers import csrf_token, sign_in
from web import create_app


def audit_actions(db_url: str) -> list[tuple[str, str, str]]:
    with session_scope(db_url) as session:
        rows = session.scalars(select(AuditLog).order_by(AuditLog.id))
        return [(r.actor, r.action, r.entity_key) for r in rows if r.action != "user_created"]


def test_sign_in_and_out_are_audited_without_the_password(client, db_url):
    response = sign_in(client, "admin")
    assert response.status_code == 302 and response.location == "/"
    assert "What needs your attention" in client.get("/").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_token(client)}).status_code == 302
    assert client.get("/").status_code == 302
    assert audit_actions(db_url) == [("admin", "login", "admin"), ("admin", "logout", "admin")]
    with session_scope(db_url) as session:
        assert "'demo'" not in repr([r.after for r in session.scalars(select(AuditLog))])


def test_a_wrong_password_is_refused_and_audited(client, db_url):
    response = sign_in(client, "admin", "wrong")
    assert response.status_code == 200
    assert "Wrong user name or password" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert audit_actions(db_url) == [("anonymous", "login_failed", "admin")]


def test_sign_out_is_post_only(admin):
    assert admin.get("/logout").status_code == 405


def test_next_leads_back_to_the_page_asked_for(client):
    response = sign_in(client, "admin", query_string={"next": "/jobs"})
    assert response.location == "/jobs"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_next_never_leaves_the_site(client, target):
    response = sign_in(client, "admin", query_string={"next": target})
    assert response.location == "/"


def test_failed_sign_ins_are_limited_per_user_name(make_settings, db_url):
    settings = make_settings(web__login_attempts_per_minute=3)
    with session_scope(db_url) as session:
        ensure_demo_users(session)
    app = create_app(settings)
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        assert sign_in(client, "admin", "wrong").status_code == 200
    # Another process on the same store sees the same count, and the right password waits.
    other = create_app(settings).test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.4"
    response = sign_in(other, "admin", "demo")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.get_data(as_text=True)
    assert sign_in(other, "finance", "demo").status_code == 302


def test_failed_sign_ins_are_limited_per_address(make_settings, db_url):
    settings = make_settings(web__login_attempts_per_minute=2)
    with session_scope(db_url) as session:
        ensure_demo_users(session)
    client = create_app(settings).test_client()
    assert sign_in(client, "nobody", "x").status_code == 200
    assert sign_in(client, "someone", "x").status_code == 200
    assert sign_in(client, "admin", "demo").status_code == 429
    fresh = create_app(settings).test_client()
    fresh.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    assert sign_in(fresh, "admin", "demo").status_code == 302


def test_session_cookie_is_httponly_and_lax_but_not_secure_on_embedded_http(client):
    cookie = sign_in(client, "admin").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_production_refuses_to_start_while_a_demo_user_exists(make_settings, db_url):
    settings = make_settings(mode="production", secret_key="k" * 48)
    with session_scope(db_url) as session:
        ensure_demo_users(session)
    with pytest.raises(ConfigError) as info:
        create_app(settings)
    assert "demo users" in str(info.value)


def test_production_cookies_are_secure(make_settings, db_url):
    settings = make_settings(mode="production", secret_key="k" * 48)
    with session_scope(db_url) as session:
        create_user(session, "ops", "admin", "a long passphrase")
    client = create_app(settings).test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/login"
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    assert "Demo users" not in page
    token = csrf_token_from(page)
    response = client.post(
        "/login",
        base_url="https://localhost",
        data={"username": "ops", "password": "a long passphrase", "csrf_token": token},
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def csrf_token_from(page: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_embedded_login_page_names_the_demo_users(client):
    assert "Demo users" in client.get("/login").get_data(as_text=True)
