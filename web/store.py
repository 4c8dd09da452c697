"""The portal's way into the store: a session for the configured database URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy.orm import Session

from core.store import session_scope


def settings():
    return current_app.config["SETTINGS"]


@contextmanager
def db() -> Iterator[Session]:
    """A store session committed when the block ends without an error."""
    with session_scope(settings().database_url) as session:
        yield session


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
