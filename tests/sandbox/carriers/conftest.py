"""Carrier connectors wired to the simulators through the sandbox adapter, every reply kept."""

from __future__ import annotations

from datetime import datetime, time, timezone

import pytest

from connectors.carriers.client import clear_token_cache
from core import http, retry
from sandbox import SandboxAdapter


@pytest.fixture
def replies():
    """(system, requests.Response) of every call any connector session makes."""
    seen: list = []

    def hook(session, system):
        session.hooks["response"].append(lambda response, *a, **k: seen.append((system, response)))

    http.add_session_hook(hook)
    yield seen
    http.clear_session_hooks()


@pytest.fixture
def on_sandbox(sandbox_state, replies):
    clear_token_cache()
    retry._BREAKERS.clear()
    http.set_transport(SandboxAdapter(sandbox_state))
    yield sandbox_state
    http.set_transport(None)
    clear_token_cache()
    retry._BREAKERS.clear()


@pytest.fixture
def connect(on_sandbox, settings):
    """A carrier connector on the sandbox, its clock at noon of the world's today, no waits."""
    from connectors.base import get_connector

    noon = datetime.combine(on_sandbox.today, time(12), tzinfo=timezone.utc)

    def make(system: str):
        connector = get_connector(system, settings)
        connector.clock = lambda: noon
        connector.client.sleep = lambda seconds: None
        return connector

    return make
