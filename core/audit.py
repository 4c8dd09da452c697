"""The append-only audit log: one row per change, who did it, and the before and after image.

Values under a key that names a secret (password, token, secret, api key) are replaced before
they are written, so a careless caller cannot put a credential into the log.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from core.store.models import AuditLog

_SECRET_KEY = re.compile(r"(password|secret|token|api_key|private_key)(_hash)?$", re.IGNORECASE)
REDACTED = "[redacted]"


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: REDACTED if _SECRET_KEY.search(str(key)) else _scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_scrub(item) for item in value]
    return value


def record_audit(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_key: str,
    before: Any = None,
    after: Any = None,
) -> AuditLog:
    """Add one audit row to the session; it is written with the caller's transaction."""
    row = AuditLog(
        actor=actor[:80],
        action=action[:80],
        entity=entity[:80],
        entity_key=str(entity_key)[:255],
        before=_scrub(before),
        after=_scrub(after),
    )
    session.add(row)
    return row
