"""Shared fixtures: settings in a temporary data folder and a fresh store on SQLite or PostgreSQL.

TEST_STORE (sqlite | postgres) picks the store the suite runs on; TEST_DATABASE_URL names the
PostgreSQL. `make test` runs the suite once per store.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import Settings, load_settings
from core.store import dispose_engines, upgrade
from core.store.models import Base

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_STORE = os.environ.get("TEST_STORE", "sqlite")
REFERENCE = Path(__file__).resolve().parent.parent.parent / "shared" / "reference"


def _admin_url() -> str:
    return make_url(PG_URL).set(database="postgres").render_as_string(hide_password=False)


def create_pg_database() -> str:
    """A new empty PostgreSQL database for this test session; its URL."""
    name = f"ob_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    dispose_engines()
    name = make_url(url).database
    engine = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A migrated PostgreSQL database for the session; skips without TEST_DATABASE_URL."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL does not name a PostgreSQL")
    url = create_pg_database()
    upgrade(url)
    yield url
    drop_pg_database(url)


def truncate_all(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty store on the store this pass of the suite runs on."""
    if TEST_STORE == "postgres":
        url = request.getfixturevalue("pg_url")
        truncate_all(url)
        return url
    url = f"sqlite:///{tmp_path / 'var' / 'orderbridge.db'}"
    upgrade(url)
    return url


@pytest.fixture
def make_settings(tmp_path: Path, db_url: str):
    """Settings in a temporary data folder on the test store; keyword overrides by path."""

    def make(environ: dict[str, str] | None = None, **overrides) -> Settings:
        env = {"ORDERBRIDGE__DATA_DIR": str(tmp_path / "var"), "ORDERBRIDGE__DATABASE_URL": db_url}
        env.update(environ or {})
        tree: dict = {}
        for path, value in overrides.items():
            node = tree
            parts = path.split("__")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        return load_settings(env, overrides=tree)

    return make


@pytest.fixture
def settings(make_settings) -> Settings:
    return make_settings()


@pytest.fixture
def reference() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip(f"reference data not found at {REFERENCE}")
    return REFERENCE
