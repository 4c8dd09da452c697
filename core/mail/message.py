"""Build a message: a plain-text part and an HTML alternative, with a stable Message-ID."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

UNDISCLOSED = "undisclosed-recipients:;"


def message_id(key: str) -> str:
    """The same key always gives the same Message-ID, so a message sent twice is one."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@orderbridge>"


def compose(
    *,
    sender: str,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str,
    key: str,
    when: datetime,
) -> EmailMessage:
    """A multipart/alternative message: text first, HTML last (the one clients prefer)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to) if to else UNDISCLOSED
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = message_id(key)
    message["X-Orderbridge-Key"] = key
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
