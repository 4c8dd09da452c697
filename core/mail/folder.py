"""The mail folder: one .eml file per message at `<folder>/<channel>/<group>/<when>-<id>.eml`.

Written to a temporary file beside it and renamed into place, so a reader (the portal) sees a
whole message or none. The id comes from the message's key, so a key lands once. Reading goes
through the listing only: a name that is not listed, or that resolves outside the folder, is
not opened.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Entry:
    """One message in the folder, as the listing shows it."""

    name: str  # "<channel>/<group>/<file>.eml", the only handle the portal accepts
    when: datetime
    channel: str
    group: str
    subject: str
    to: str


def folder_part(text: str) -> str:
    """A channel or group as a folder name: letters, digits, '-' and '_' only."""
    return _UNSAFE.sub("_", text) or "_"


def _key_id(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def find(root: Path, channel: str, group: str, key: str) -> Path | None:
    where = root / folder_part(channel) / folder_part(group)
    return next(iter(sorted(where.glob(f"*-{_key_id(key)}.eml"))), None)


def write(root: Path, channel: str, group: str, key: str, message: EmailMessage) -> Path:
    """The message's file; an earlier file of the same key is kept and nothing is written."""
    landed = find(root, channel, group, key)
    if landed is not None:
        return landed
    where = root / folder_part(channel) / folder_part(group)
    where.mkdir(parents=True, exist_ok=True)
    stamp = _when(message).strftime("%Y%m%dT%H%M%SZ")
    path = where / f"{stamp}-{_key_id(key)}.eml"
    fd, temporary = tempfile.mkstemp(dir=where, prefix=".tmp-", suffix=".eml")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(message.as_bytes(policy=policy.SMTP))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _when(message: EmailMessage, path: Path | None = None) -> datetime:
    try:
        return parsedate_to_datetime(str(message["Date"])).astimezone(timezone.utc)
    except (TypeError, ValueError):
        stamp = path.stat().st_mtime if path else 0
        return datetime.fromtimestamp(stamp, timezone.utc)


def _parse(path: Path, headers_only: bool = False) -> EmailMessage:
    with path.open("rb") as handle:
        return BytesParser(policy=policy.default).parse(handle, headersonly=headers_only)


def listing(root: Path) -> list[Entry]:
    """Every message in the folder, newest first."""
    entries = []
    for path in root.glob("*/*/*.eml"):
        if path.name.startswith("."):
            continue
        headers = _parse(path, headers_only=True)
        channel, group = path.parent.parent.name, path.parent.name
        entries.append(
            Entry(
                name=path.relative_to(root).as_posix(),
                when=_when(headers, path),
                channel=channel,
                group=group,
                subject=str(headers["Subject"] or ""),
                to=str(headers["To"] or ""),
            )
        )
    return sorted(entries, key=lambda e: (e.when, e.name), reverse=True)


def read(root: Path, name: str, entries: list[Entry] | None = None) -> EmailMessage | None:
    """The listed message of this name, or None for any name the listing does not hold."""
    entries = listing(root) if entries is None else entries
    if name not in {entry.name for entry in entries}:
        return None
    path = (root / name).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        return None
    return _parse(path)
