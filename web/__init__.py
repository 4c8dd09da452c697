"""The portal: Flask app factory, one blueprint per area, every route checked against the
permission table in web/permissions.py.

The portal reads and writes the store only; it never imports connectors/ or sync_jobs/, so
no request waits on an external system.
"""

from __future__ import annotations

from flask import Flask, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from config import Settings, ensure_secret_key, load_settings
from core.users import refuse_demo_users_in_production
from web import (
    account,
    api,
    api_edi,
    api_uploads,
    audit,
    auth,
    dashboard,
    edi,
    errors_queue,
    exceptions_queue,
    health,
    home,
    jobs,
    mail,
    reports,
    tokens,
    uploads,
    users,
)
from web.auth import init_auth
from web.errors import init_errors
from web.filters import init_filters
from web.guard import init_guard
from web.permissions import allowed, nav_for

BLUEPRINTS = (
    auth.bp,
    home.bp,
    jobs.bp,
    tokens.bp,
    account.bp,
    users.bp,
    api.bp,
    api_uploads.bp,
    health.bp,
    errors_queue.bp,
    exceptions_queue.bp,
    edi.bp,
    api_edi.bp,
    dashboard.bp,
    reports.bp,
    uploads.bp,
    audit.bp,
    mail.bp,
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}


def _configure(app: Flask, settings: Settings) -> None:
    production = settings.mode == "production"
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=ensure_secret_key(settings),
        SESSION_COOKIE_NAME="orderbridge_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # The embedded default serves plain http on 127.0.0.1, where a Secure cookie is lost.
        SESSION_COOKIE_SECURE=production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=production,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PROPAGATE_EXCEPTIONS=False,
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        MAX_CONTENT_LENGTH=settings.uploads.max_bytes + 1_000_000,
    )


def _viewer() -> dict:
    """Who is looking, for the layout; an unreachable store leaves the bar empty."""
    try:
        if current_user.is_authenticated:
            return {"username": current_user.username, "role": current_user.role}
    except SQLAlchemyError:
        pass
    return {}


def _layout_context(app: Flask):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}

    def context() -> dict:
        viewer = _viewer()
        nav = [(url_for(e), label, e) for e, label in nav_for(viewer.get("role"), endpoints)]
        return {"viewer": viewer, "nav": nav, "can": lambda e: allowed(e, viewer.get("role"))}

    return context


def _headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype in ("text/html", "application/json"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def create_app(settings: Settings | None = None) -> Flask:
    """The portal for these settings (default: load_settings() from the environment)."""
    settings = load_settings() if settings is None else settings
    refuse_demo_users_in_production(settings.database_url, settings.mode)
    app = Flask(__name__)
    _configure(app, settings)
    init_auth(app)
    init_guard(app)
    init_errors(app)
    init_filters(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.context_processor(_layout_context(app))
    app.after_request(_headers)
    return app
