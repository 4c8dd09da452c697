"""HTTP sessions for connectors: timeouts on every call, the transport hook, and tracing hooks.

Connectors get their requests.Session here and nowhere else. What carries the bytes is set
once at start (run.py or a test installs the sandbox adapter when sandbox.enabled), so a
connector never knows whether it talks to a simulator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import BaseAdapter

_transport: BaseAdapter | None = None
_session_hooks: list[Callable[[requests.Session, str], None]] = []


def set_transport(adapter: BaseAdapter | None) -> None:
    """Route every connector session through this adapter (None: the real network)."""
    global _transport
    _transport = adapter


def get_transport() -> BaseAdapter | None:
    return _transport


def add_session_hook(hook: Callable[[requests.Session, str], None]) -> None:
    """Called with (session, system) for each new session, e.g. to attach tracing."""
    _session_hooks.append(hook)


def clear_session_hooks() -> None:
    _session_hooks.clear()


class TimeoutSession(requests.Session):
    """A session that never waits forever: every request gets the default timeout."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, **kwargs)


def new_session(system: str, timeout: float = 30.0) -> requests.Session:
    session = TimeoutSession(timeout)
    session.headers["User-Agent"] = "Orderbridge/1.0"
    if _transport is not None:
        session.mount("https://", _transport)
        session.mount("http://", _transport)
    for hook in _session_hooks:
        hook(session, system)
    return session
