"""Download current data: a kind's template pre-filled from the store, ready to edit and
upload again (uploaded unchanged, it passes its own check and changes nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.errors import ConfigError
from core.store import session_scope
from templates_xlsx import get_kind
from templates_xlsx.template import save_template


def export_workbook(
    settings: Any,
    kind_name: str,
    out: Path,
    *,
    customer: str | None = None,
    item: str | None = None,
) -> int:
    """Write OUT; returns the number of rows exported."""
    kind = get_kind(kind_name)
    if not kind.exportable:
        raise ConfigError(f"{kind.name} cannot be exported", key="kind", hint="draw a sample")
    with session_scope(settings.database_url) as session:
        rows = kind.export_rows(session, {"customer": customer, "item": item})
    save_template(kind, Path(out), rows=rows)
    return len(rows)
