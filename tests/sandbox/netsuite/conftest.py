"""The NetSuite connector wired to the sandbox simulators through core.http's transport."""

from __future__ import annotations

import pytest

from connectors.netsuite.connector import NetSuiteConnector, NetSuiteSettings
from core import http
from core.retry import RetryPolicy, breaker_for
from sandbox import SandboxAdapter
from tests.connectors.netsuite.conftest import sent  # noqa: F401 - validates every request body


@pytest.fixture
def adapter(sandbox_state):
    adapter = SandboxAdapter(sandbox_state)
    http.set_transport(adapter)
    yield adapter
    http.set_transport(None)


@pytest.fixture
def make_connector(make_settings, adapter, sent):  # noqa: F811
    def make(version: str = "2023_2", **overrides) -> NetSuiteConnector:
        values = {"netsuite__wsdl_version": version}
        values.update({f"connections__netsuite__{k}": v for k, v in overrides.items()})
        config = NetSuiteSettings.from_settings(make_settings(**values))
        breaker_for("netsuite").record_success()
        return NetSuiteConnector(config, retry=RetryPolicy(attempts=3), sleep=lambda s: None)

    return make
