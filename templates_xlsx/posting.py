"""The rules every posted kind shares: is an approved row already in effect, did another
change move its fields since its preview (a conflict), what its before-image becomes once
posted, and what its Status message says. Each kind says how its row becomes a Change
(kind.change); apply_uploads plans, performs and settles."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from core.store.models import UploadRow
from templates_xlsx.kind import SheetKind, jsonable


def posted_message(kind: SheetKind, payload: dict, erp: str, today: date) -> str:
    """What a posted row's Status message says; a price from a later day says it is scheduled."""
    if payload.get("delete"):
        return f"Removed from {erp}"
    starts = kind.scheduled_on(payload, today)
    if starts is not None:
        # NetSuite's price list has no dates: it keeps today's price, Orderbridge the new one.
        return (
            f"Scheduled: effective from {starts.isoformat()}. Kept in Orderbridge; {erp} "
            "keeps today's price until then"
        )
    return f"Posted to {erp}"


def in_effect(payload: dict, current: dict | None) -> bool:
    if payload.get("delete"):
        return current is None or not same_key(payload, current)
    return current is not None and all(
        jsonable(current.get(name)) == value for name, value in payload["set"].items()
    )


def same_key(payload: dict, image: dict | None) -> bool:
    """Is the image of the payload's own record (a price's may be of the entry it replaces)?"""
    key = payload.get("key")
    return image is not None and (
        key is None or all(jsonable(image.get(name)) == value for name, value in key.items())
    )


def conflict(kind: SheetKind, row: UploadRow, current: dict | None) -> str | None:
    """Which field another change moved since this row was previewed, or None."""
    before = row.before
    if before is None or current is None or not same_key(row.payload, before):
        return None
    headers = {name: field.header for name, field in kind.fields}
    # A removal checks every field: what nobody reviewed is not thrown away.
    names = row.payload.get("set") or [n for n, _ in kind.fields if n not in kind.key_fields]
    for name in names:
        was, now = before.get(name), jsonable(current.get(name))
        if name in before and was != now:
            return (
                f"{headers.get(name, name)} changed since this upload was checked "
                f"(was {was}, now {now}); nothing was sent"
            )
    return None


def rebase(row: UploadRow, current: dict | None) -> None:
    """The before-image as it was when the change was posted, so a revert restores that."""
    if current is not None and same_key(row.payload, current):
        row.before = jsonable(current)


def day(value: Any) -> date | None:
    """A payload's ISO day (blank: None)."""
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def money(value: Any) -> Decimal | None:
    """A payload's amount as text (blank: None)."""
    return None if value in (None, "") else Decimal(str(value))
