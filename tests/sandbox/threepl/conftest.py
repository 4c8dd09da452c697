"""The 3PL connector wired to its simulator through the sandbox adapter."""

from __future__ import annotations

import pytest

from core import http, retry
from sandbox import SandboxAdapter


@pytest.fixture
def threepl(sandbox_state, settings):
    from connectors.threepl.connector import from_settings

    retry._BREAKERS.clear()
    http.set_transport(SandboxAdapter(sandbox_state))
    connector = from_settings(settings.replace(**{"connections.threepl.page_size": 7}))
    connector.client.http.sleep = lambda seconds: None
    yield connector
    http.set_transport(None)
    retry._BREAKERS.clear()
