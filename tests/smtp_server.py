"""A real SMTP server on loopback for the tests (aiosmtpd): it keeps what arrived, refuses
the recipients it is told to, and takes one login when given one."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Arrived:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class Keeper:
    """The handler: keeps every message; `refuse` maps a recipient to the reply it gets."""

    arrived: list[Arrived] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    refuse_sender: str | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.refuse_sender:
            return self.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.arrived.append(Arrived(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    keeper: Keeper
    controller: Controller | None = None
    login: tuple[str, str] | None = None

    @property
    def arrived(self) -> list[Arrived]:
        return self.keeper.arrived

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        given = (auth_data.login.decode(), auth_data.password.decode())
        return AuthResult(success=self.login is not None and given == self.login, handled=False)

    def start(self) -> None:
        self.controller = Controller(
            self.keeper,
            hostname=self.host,
            port=self.port,
            authenticator=self._authenticate,
            auth_require_tls=False,
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def environ(self) -> dict[str, str]:
        """The settings that point Orderbridge at this server (plain SMTP on loopback)."""
        return {
            "ORDERBRIDGE__MAIL__SMTP_HOST": self.host,
            "ORDERBRIDGE__MAIL__SMTP_PORT": str(self.port),
            "ORDERBRIDGE__MAIL__SMTP_STARTTLS": "false",
        }


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running server on 127.0.0.1 and a free port; `stop()` and `start()` it at will."""
    server = SmtpServer("127.0.0.1", free_port(), Keeper())
    server.start()
    yield server
    server.stop()
