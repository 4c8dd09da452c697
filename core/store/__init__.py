"""The store: SQLAlchemy models, engines and sessions, and Alembic migrations."""

from core.store.db import dispose_engines, get_engine, is_sqlite, session_factory, session_scope
from core.store.migrate import upgrade

__all__ = [
    "dispose_engines",
    "get_engine",
    "is_sqlite",
    "session_factory",
    "session_scope",
    "upgrade",
]
