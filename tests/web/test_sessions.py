"""Ending a session ends it in the store: a copy of the session cookie saved before a sign-out,
a password change, a role change or a "sign out everywhere" is refused when replayed."""

from __future__ import annotations

from sqlalchemy import select

from core.store import session_scope
from core.store.models import AuditLog, JobDefinition, User
from core.users import DEMO_PASSWORD, create_user
from tests.web.helpers import add_job, csrf_token, sign_in

COOKIE = "orderbridge_session"
NEW_PASSWORD = "a-brand-new-password"


def saved_cookie(client) -> str:
    return client.get_cookie(COOKIE).value


def replay(app, cookie: str):
    """A second browser holding a copy of the cookie, as a thief or a forgotten tab would."""
    copy = app.test_client()
    copy.set_cookie(COOKIE, cookie)
    return copy


def signed_in(app, username: str, password: str = DEMO_PASSWORD):
    client = app.test_client()
    assert sign_in(client, username, password).status_code == 302
    return client


def paused(db_url: str) -> bool:
    with session_scope(db_url) as session:
        return session.get(JobDefinition, "sync_orders").paused


def audit_rows(db_url: str, action: str) -> list[AuditLog]:
    with session_scope(db_url) as session:
        query = select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def assert_dead(app, cookie: str, reason: str) -> None:
    """The replayed cookie is refused everywhere, and the person is told why."""
    copy = replay(app, cookie)
    me = copy.get("/api/me")
    assert me.status_code == 401 and reason in me.get_json()["error"]
    page = copy.get("/")
    assert page.status_code == 302 and page.location.startswith("/login")
    shown = copy.get(page.location).get_data(as_text=True)
    assert f"You were signed out: {reason}" in shown


def test_a_cookie_saved_before_sign_out_is_refused_after_it(app, admin, db_url):
    add_job(db_url)
    cookie = saved_cookie(admin)
    assert admin.post("/logout", data={"csrf_token": csrf_token(admin)}).status_code == 302
    copy = replay(app, cookie)
    assert copy.get("/api/me").status_code == 401
    pause = copy.post("/api/jobs/sync_orders/pause", headers={"X-CSRFToken": csrf_token(copy)})
    assert pause.status_code == 401 and pause.is_json
    assert paused(db_url) is False
    jobs = copy.get("/jobs")
    assert jobs.status_code == 302 and jobs.location.startswith("/login")
    assert_dead(app, cookie, "the session was signed out")


def test_signing_in_again_after_a_sign_out_gives_a_working_session(app, admin):
    admin.post("/logout", data={"csrf_token": csrf_token(admin)})
    assert sign_in(admin, "admin").status_code == 302
    assert admin.get("/api/me").get_json()["username"] == "admin"


def test_another_users_session_survives_a_sign_out(app, db_url):
    coordinator = signed_in(app, "coordinator")
    steward = signed_in(app, "steward")
    coordinator.post("/logout", data={"csrf_token": csrf_token(coordinator)})
    assert steward.get("/api/me").get_json()["username"] == "steward"
    assert replay(app, saved_cookie(steward)).get("/api/me").status_code == 200


def test_a_password_change_ends_every_other_session(app, db_url):
    with session_scope(db_url) as session:
        create_user(session, "maria", "steward", "maria-old-password")
    laptop = signed_in(app, "maria", "maria-old-password")
    phone = signed_in(app, "maria", "maria-old-password")
    cookie = saved_cookie(phone)
    form = {
        "current": "maria-old-password",
        "new": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        "csrf_token": csrf_token(laptop),
    }
    answer = laptop.post("/account/password", data=form, follow_redirects=True)
    assert "Password changed" in answer.get_data(as_text=True)
    assert laptop.get("/api/me").status_code == 200  # the person who changed it stays in
    assert_dead(app, cookie, "your password was changed")
    assert sign_in(app.test_client(), "maria", "maria-old-password").status_code == 200
    assert sign_in(app.test_client(), "maria", NEW_PASSWORD).status_code == 302
    (row,) = audit_rows(db_url, "password_changed")
    assert (row.actor, row.entity_key) == ("maria", "maria")
    assert NEW_PASSWORD not in repr((row.before, row.after))


def test_a_wrong_current_password_changes_nothing(app, db_url):
    steward = signed_in(app, "steward")
    cookie = saved_cookie(steward)
    form = {"current": "wrong", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    answer = steward.post("/account/password", data={**form, "csrf_token": csrf_token(steward)})
    assert answer.status_code == 400
    assert "current password is wrong" in answer.get_data(as_text=True)
    assert replay(app, cookie).get("/api/me").status_code == 200
    assert audit_rows(db_url, "password_changed") == []


def test_an_admins_role_change_ends_the_users_sessions(app, admin, db_url):
    steward = signed_in(app, "steward")
    cookie = saved_cookie(steward)
    with session_scope(db_url) as session:
        user_id = session.scalar(select(User.id).where(User.username == "steward"))
    form = {"role": "finance", "csrf_token": csrf_token(admin)}
    answer = admin.post(f"/admin/users/{user_id}/role", data=form, follow_redirects=True)
    assert "steward is now finance" in answer.get_data(as_text=True)
    assert_dead(app, cookie, "your role was changed")
    assert steward.get("/api/me").status_code == 401
    again = signed_in(app, "steward")
    assert again.get("/api/me").get_json()["role"] == "finance"
    (row,) = audit_rows(db_url, "user_role_changed")
    assert (row.actor, row.before, row.after) == ("admin", {"role": "steward"}, {"role": "finance"})
    assert admin.get("/api/me").status_code == 200


def test_sign_out_everywhere_ends_every_session_of_the_user(app, db_url):
    laptop = signed_in(app, "coordinator")
    phone = signed_in(app, "coordinator")
    other = signed_in(app, "steward")
    cookie = saved_cookie(phone)
    done = laptop.post("/account/sign-out-everywhere", data={"csrf_token": csrf_token(laptop)})
    assert done.status_code == 302 and done.location.startswith("/login")
    assert_dead(app, cookie, "every session was signed out")
    assert laptop.get("/api/me").status_code == 401
    assert other.get("/api/me").status_code == 200
    (row,) = audit_rows(db_url, "sessions_ended")
    assert (row.actor, row.entity_key) == ("coordinator", "coordinator")


def test_an_admin_signs_a_user_out_everywhere(app, admin, db_url):
    finance = signed_in(app, "finance")
    cookie = saved_cookie(finance)
    with session_scope(db_url) as session:
        user_id = session.scalar(select(User.id).where(User.username == "finance"))
    form = {"csrf_token": csrf_token(admin)}
    answer = admin.post(f"/admin/users/{user_id}/sign-out", data=form, follow_redirects=True)
    assert "finance was signed out everywhere" in answer.get_data(as_text=True)
    assert_dead(app, cookie, "every session was signed out")
    assert admin.get("/api/me").status_code == 200
    (row,) = audit_rows(db_url, "sessions_ended")
    assert (row.actor, row.entity_key) == ("admin", "finance")


def test_the_users_page_is_for_admins_only(app):
    steward = signed_in(app, "steward")
    assert steward.get("/admin/users").status_code == 403
    form = {"csrf_token": csrf_token(steward)}
    assert steward.post("/admin/users/1/sign-out", data=form).status_code == 403


def test_an_api_token_survives_a_sign_out(app, admin):
    from tests.web.test_api import bearer, create_token

    token = create_token(admin)
    admin.post("/logout", data={"csrf_token": csrf_token(admin)})
    script = app.test_client()
    assert script.get("/api/me", headers=bearer(token)).get_json()["via_token"] is True
