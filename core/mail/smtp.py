"""SMTP delivery with smtplib: STARTTLS when set, a login when a user is set, a time limit.

Failures are sorted by what happens next: the server away or answering 4xx is a
TransientError (the work item waits and the message goes out on a later run, never lost); a
refused login, a missing STARTTLS or a refused sender is a ConfigError; every recipient
refused for good (5xx) is a RecordRejectedError naming each. When only some recipients are
refused the message went to the others, so it is not sent again: the refused are returned.
"""

from __future__ import annotations

import ipaddress
import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from core.errors import ConfigError, RecordRejectedError, TransientError

log = logging.getLogger(__name__)
SYSTEM = "smtp"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    starttls: bool = True
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30

    @classmethod
    def from_settings(cls, settings: Any) -> SmtpSettings:
        mail = settings.mail
        return cls(
            host=mail.smtp_host,
            port=int(mail.smtp_port),
            starttls=bool(mail.smtp_starttls),
            user=mail.smtp_user or None,
            password=mail.smtp_password,
            timeout=float(mail.smtp_timeout_seconds),
        )

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


@dataclass
class Delivery:
    """Where a message went, and the recipients the server refused for good."""

    where: str
    refused: dict[str, str] = field(default_factory=dict)


def _setting(message: str, key: str, hint: str) -> ConfigError:
    return ConfigError(message, system=SYSTEM, key=key, hint=hint)


def _check_tls(config: SmtpSettings) -> None:
    if config.user and not config.starttls and not config.loopback:
        raise _setting(
            "refusing to send SMTP credentials over a connection without TLS",
            "mail.smtp_starttls",
            "set mail.smtp_starttls to true (the server must offer STARTTLS)",
        )


def _reply(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {text}".strip()


def send(config: SmtpSettings, message: EmailMessage) -> Delivery:
    _check_tls(config)
    where = f"smtp://{config.host}:{config.port}"
    try:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as client:
            if config.starttls:
                client.starttls(context=ssl.create_default_context())
            if config.user:
                client.login(config.user, config.password or "")
            refused = client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise _all_refused(exc.recipients, where) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise _setting(
            f"the SMTP server refused the login ({exc.smtp_code})",
            "mail.smtp_user",
            "check ORDERBRIDGE__MAIL__SMTP_USER and ORDERBRIDGE__MAIL__SMTP_PASSWORD",
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise _setting(
            f"the SMTP server does not offer what the settings ask: {exc}",
            "mail.smtp_starttls",
            "check mail.smtp_starttls and the server's STARTTLS and AUTH support",
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise _refused(exc, where) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientError(
            f"cannot reach the SMTP server: {exc}", system=SYSTEM, key=where
        ) from exc
    named = {address: _reply(*answer) for address, answer in refused.items()}
    if named:
        log.warning("%s refused %s", where, "; ".join(f"{a}: {r}" for a, r in named.items()))
    return Delivery(where=where, refused=named)


def _all_refused(recipients: dict[str, tuple[int, bytes]], where: str) -> Exception:
    named = "; ".join(f"{address}: {_reply(*answer)}" for address, answer in recipients.items())
    if any(code < 500 for code, _ in recipients.values()):
        return TransientError(f"recipients refused for now: {named}", system=SYSTEM, key=where)
    return RecordRejectedError(
        f"every recipient refused: {named}",
        system=SYSTEM,
        key=where,
        error_class="value",
        hint="correct the addresses (digest.<role>.to or the customer's contact), then retry",
    )


def _refused(exc: smtplib.SMTPResponseException, where: str) -> Exception:
    reply = _reply(exc.smtp_code, exc.smtp_error)
    if exc.smtp_code < 500:
        return TransientError(f"the SMTP server answered {reply}", system=SYSTEM, key=where)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _setting(
            f"the SMTP server refused the sender: {reply}",
            "mail.from",
            "set mail.from to an address the server may send as",
        )
    return RecordRejectedError(
        f"the SMTP server refused the message: {reply}", system=SYSTEM, key=where
    )
