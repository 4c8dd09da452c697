"""flaskr-style fixtures: `app` on a fresh store with the demo users, `client`, `runner`."""

from __future__ import annotations

import pytest

from core.store import session_scope
from core.users import ensure_demo_users
from tests.web.helpers import sign_in
from web import create_app


@pytest.fixture
def app(make_settings):
    settings = make_settings()
    with session_scope(settings.database_url) as session:
        ensure_demo_users(session)
    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def admin(client):
    """The client, signed in as the demo admin."""
    assert sign_in(client, "admin").status_code == 302
    return client
