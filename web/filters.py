"""Template filters: times in UTC, ages, durations, counts."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, url_for
from werkzeug.routing import BuildError

from web.store import utcnow


def when(value: datetime | str | None) -> str:
    """A time as the pages show it; ISO text (kept in JSON columns) is read first."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if value else None
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def ago(value: datetime | None) -> str:
    """'3 min ago', 'in 2 h'."""
    if value is None:
        return "—"
    seconds = (utcnow() - value).total_seconds()
    text = duration(abs(seconds))
    return f"{text} ago" if seconds >= 0 else f"in {text}"


def duration(seconds: float | None) -> str:
    """'4.2 s', '1 min 23 s', '2 h 5 min', '3.5 d'."""
    if seconds is None:
        return "—"
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    if whole < 86400:
        hours, rest = divmod(whole, 3600)
        return f"{hours} h {rest // 60} min" if rest >= 60 else f"{hours} h"
    return f"{seconds / 86400:.1f} d"


def link_to(endpoint: str, **values) -> str | None:
    """The URL of a page, or None while that area is not built yet."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def init_filters(app: Flask) -> None:
    app.add_template_filter(when)
    app.add_template_filter(ago)
    app.add_template_filter(duration)
    app.add_template_global(link_to)
