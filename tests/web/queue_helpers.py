"""Helpers for the queue and report tests: a client signed in as a role, a form post with
its CSRF token."""

from __future__ import annotations

from tests.web.helpers import csrf_token, sign_in


def as_role(client, role: str):
    assert sign_in(client, role).status_code == 302
    return client


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client), **data})
