"""Engines and sessions for the store: SQLite (WAL) embedded, PostgreSQL in production."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import ConfigError

_ENGINES: dict[str, Engine] = {}


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the portal read while a job writes; busy_timeout waits out a writer instead of
    # failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def get_engine(url: str) -> Engine:
    """One engine per URL per process."""
    engine = _ENGINES.get(url)
    if engine is not None:
        return engine
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            "not a database URL",
            key="database_url",
            hint="e.g. sqlite:///var/orderbridge.db or postgresql+psycopg://user@host:5432/db",
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        # Let SQLAlchemy, not pysqlite, open transactions, and take the write lock at BEGIN:
        # a deferred transaction that reads and then writes fails at once with "database is
        # locked" when another writer got in between (busy_timeout cannot help there).
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))

        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_connection, _record) -> None:
            dbapi_connection.isolation_level = None
    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    else:
        raise ConfigError(
            f"unsupported database {parsed.get_backend_name()!r}",
            key="database_url",
            hint="use sqlite or postgresql+psycopg",
        )
    _ENGINES[url] = engine
    return engine


def dispose_engines() -> None:
    """Drop pooled connections, e.g. in a child process after fork."""
    for engine in _ENGINES.values():
        engine.dispose(close=False)
    _ENGINES.clear()


def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session committed on success and rolled back on any error."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"
