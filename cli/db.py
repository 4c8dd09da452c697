"""The store verb: `db upgrade`, and the upgrade that serve's first start shares."""

from __future__ import annotations

import argparse
from typing import Any

from cli.common import add_group


def register(verbs: Any) -> None:
    db = add_group(verbs, "db", "the store")
    db.add_parser("upgrade", help="apply migrations; embedded: create demo users").set_defaults(
        func=cmd_db_upgrade, needs_schema=False
    )


def upgrade_store(settings: Any) -> list[str]:
    """Apply the migrations; in embedded mode add the missing demo users (their names)."""
    from core.store import session_scope, upgrade
    from core.users import ensure_demo_users

    upgrade(settings.database_url)
    if settings.mode != "embedded":
        return []
    with session_scope(settings.database_url) as session:
        return ensure_demo_users(session)


def cmd_db_upgrade(args: argparse.Namespace, settings: Any) -> int:
    created = upgrade_store(settings)
    print(
        "database is up to date"
        + (f"; demo users created: {', '.join(created)}" if created else "")
    )
    return 0
