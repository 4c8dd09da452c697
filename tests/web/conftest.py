"""flaskr-style fixtures: `app` on a fresh store with the demo users, `client`, `runner`; for
the upload pages and API, `world` (the NetSuite simulator and the store filled from it) and
`steward2` (a second steward signed in)."""

from __future__ import annotations

import pytest

from core.store import session_scope
from core.users import create_user, ensure_demo_users
from tests.sync_jobs.erp_world import netsuite_world
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


PASSWORD = "second-steward-pw"


@pytest.fixture
def world(settings):
    yield from netsuite_world(settings)


@pytest.fixture
def steward2(app, db_url):
    """A second steward, signed in to the portal (a session, so API posts need the header)."""
    with session_scope(db_url) as session:
        create_user(session, "steward2", "steward", PASSWORD)
    client = app.test_client()
    assert sign_in(client, "steward2", PASSWORD).status_code == 302
    return client
