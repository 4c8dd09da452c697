"""The mail channel: one way out for every message Orderbridge sends (daily digests, customer
notices). `send` composes nothing; callers build the message with `compose` and say which
channel (digest, notices) and recipient group (a role, a customer) it belongs to.

Without an SMTP host the message lands in the mail folder (core/mail/folder.py), which the
portal lists; with one it goes out over SMTP (core/mail/smtp.py).
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from config import Settings
from core.mail import folder, smtp
from core.mail.message import compose, message_id

__all__ = ["compose", "message_id", "send", "already_sent", "mail_folder", "Delivery"]

Delivery = smtp.Delivery


def mail_folder(settings: Settings) -> Path:
    """`mail.folder`, or `<data_dir>/outbox` (not the store's outbox table)."""
    configured = settings.get_path("mail.folder")
    return Path(configured) if configured else settings.data_path / "outbox"


def send(settings: Settings, message: EmailMessage, channel: str, group: str, key: str) -> Delivery:
    """Deliver one message once per key: to the SMTP server when one is set, else into
    `<folder>/<channel>/<group>/`. Raises TransientError when the server is away (send again
    later), RecordRejectedError when every recipient is refused for good."""
    if settings.get_path("mail.smtp_host"):
        return smtp.send(smtp.SmtpSettings.from_settings(settings), message)
    path = folder.write(mail_folder(settings), channel, group, key, message)
    return Delivery(where=str(path))


def already_sent(settings: Settings, channel: str, group: str, key: str) -> bool:
    """Did a message with this key land? Answerable for the mail folder only; over SMTP the
    answer is no, and the stable Message-ID lets a receiver drop the repeat."""
    if settings.get_path("mail.smtp_host"):
        return False
    return folder.find(mail_folder(settings), channel, group, key) is not None
