"""The check every request passes: who is asking, may their role use this endpoint, and CSRF.

Session requests must carry a CSRF token on every state-changing method (form field or
X-CSRFToken header); requests with a personal API token on /api/ are exempt, since no
browser attaches that header by itself.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

from web.auth import bearer_token, session_ended
from web.permissions import allowed, is_public

csrf = CSRFProtect()


def is_api() -> bool:
    return request.path.startswith("/api/")


def _refuse_anonymous():
    ended = session_ended()
    if is_api():
        if ended:
            abort(401, f"You were signed out: {ended}. Sign in again, or use an API token.")
        abort(401)
    if ended:
        flash(f"You were signed out: {ended}. Sign in again.", "warn")
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target))


def guard():
    """before_request: authenticate, authorise from the permission table, then check CSRF."""
    if request.endpoint is None:
        return None  # no such page: the 404/405 handler answers
    token = bearer_token()
    if token is not None and not current_user.is_authenticated:
        abort(401, "the API token is unknown or revoked")
    if not is_public(request.endpoint):
        if not current_user.is_authenticated:
            return _refuse_anonymous()
        if not allowed(request.endpoint, current_user.role):
            abort(403)
    if token is None and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    return None


def init_guard(app) -> None:
    # We decide per request whether CSRF applies (token requests are exempt), so the
    # extension's own before_request check is switched off and protect() is called here.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.before_request(guard)
