"""Signing in and out: Flask-Login over the users table, a store-backed login rate limit.

Failed sign-ins are counted from the audit log (action "login_failed"), so the limit holds
across web processes and restarts. The password never reaches a log or an audit row.

A session holds its user's session generation from sign-in and is checked against the store
on every request: once the generation moved on (sign-out, password or role change, "sign out
everywhere"), the cookie is worthless, whoever holds a copy of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from sqlalchemy import select

from core.audit import record_audit
from core.store.models import AuditLog, User
from core.users import (
    authenticate,
    demo_users_exist,
    session_end_reason,
    sign_out,
    user_for_token,
)
from web.store import db, settings, utcnow

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.session_protection = "basic"
FAILED = "login_failed"


@dataclass
class PortalUser(UserMixin):
    """The signed-in person for one request; detached from any store session."""

    id: int
    username: str
    role: str
    via_token: bool = False
    generation: int = 0

    def get_id(self) -> str:
        # The name is part of the id, so a deleted and re-created row cannot inherit a session;
        # the generation, so a session ended in the store stays ended.
        return f"{self.id}:{self.username}:{self.generation}"

    @classmethod
    def of(cls, user: User, via_token: bool = False) -> PortalUser:
        return cls(user.id, user.username, user.role, via_token, user.session_generation)


def bearer_token() -> str | None:
    """The personal API token of this request, only for /api/ paths."""
    header = request.headers.get("Authorization", "")
    if not request.path.startswith("/api/") or not header.lower().startswith("bearer "):
        return None
    return header[7:].strip()


@login_manager.user_loader
def load_user(user_id: str) -> PortalUser | None:
    if bearer_token() is not None:
        return None  # an API request that brings a token is judged by the token alone
    key, name, generation = (user_id.split(":") + ["", ""])[:3]
    if not key.isdigit() or not generation.isdigit():
        return None  # also a session from before generations were kept
    with db() as store:
        user = store.get(User, int(key))
        if user is None or not user.active or user.username != name:
            return None
        if user.session_generation != int(generation):
            g.session_ended = session_end_reason(store, user.username)
            return None
        return PortalUser.of(user)


def session_ended() -> str | None:
    """Why this request's session cookie no longer signs anyone in, if it once did."""
    return g.get("session_ended")


@login_manager.request_loader
def load_token_user(_request) -> PortalUser | None:
    token = bearer_token()
    if not token:
        return None
    with db() as store:
        user = user_for_token(store, token)
        return PortalUser.of(user, via_token=True) if user else None


def safe_next(target: str | None) -> str:
    """Only a path on this site; anything else (another host, a scheme) goes home."""
    default = url_for("home.index")
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in target):
        return default
    return target


def client_address() -> str:
    return request.remote_addr or "unknown"


def too_many_failures(username: str, address: str) -> bool:
    """At most web.login_attempts_per_minute failures per user name and per address."""
    limit = settings().web.login_attempts_per_minute
    since = utcnow() - timedelta(minutes=1)
    query = select(AuditLog.entity_key, AuditLog.after).where(
        AuditLog.action == FAILED, AuditLog.at >= since
    )
    with db() as store:
        rows = store.execute(query).all()
    by_name = sum(1 for key, _ in rows if key == username.lower()[:255])
    by_address = sum(1 for _, after in rows if (after or {}).get("address") == address)
    return by_name >= limit or by_address >= limit


def _render_login(error: str | None = None, status: int = 200, username: str = ""):
    with db() as store:
        demo = settings().mode != "production" and demo_users_exist(store)
    page = render_template(
        "login.html", error=error, username=username, demo=demo, next=request.args.get("next")
    )
    return page, status


def _check_credentials(username: str, password: str, address: str) -> PortalUser | None:
    """The user these credentials name, or None; either way an audit row, never the password."""
    with db() as store:
        user = authenticate(store, username, password) if username and password else None
        if user is None:
            # The name is only claimed, so the actor is anonymous; the key feeds the rate limit.
            after = {"address": address}
            record_audit(store, "anonymous", FAILED, "user", username.lower(), after=after)
            return None
        record_audit(
            store, user.username, "login", "user", user.username, after={"address": address}
        )
        return PortalUser.of(user)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    if request.method == "GET":
        return _render_login()
    username = request.form.get("username", "").strip()
    address = client_address()
    if too_many_failures(username, address):
        message = "Too many failed sign-ins. Wait a minute and try again."
        page, status = _render_login(message, 429, username)
        return page, status, {"Retry-After": "60"}
    user = _check_credentials(username, request.form.get("password", ""), address)
    if user is None:
        return _render_login("Wrong user name or password.", 200, username)
    session.clear()  # a fresh session at sign-in, so a planted session id is worthless
    login_user(user)
    session.permanent = True
    return redirect(safe_next(request.form.get("next") or request.args.get("next")))


@bp.route("/logout", methods=["POST"])
def logout():
    with db() as store:
        sign_out(store, store.get(User, current_user.id))
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


def init_auth(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    app.permanent_session_lifetime = timedelta(hours=8)
