from __future__ import annotations

import pytest

from core import http
from sandbox import SandboxAdapter
from tests.connectors.salesforce.conftest import Sleeps, connector_for


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def on_sandbox(sandbox_state):
    http.set_transport(SandboxAdapter(sandbox_state))
    yield sandbox_state
    http.set_transport(None)


@pytest.fixture
def make_sf(on_sandbox, make_settings, sleeps):
    """A Salesforce connector talking to the simulator through core.http's transport."""

    def make(**overrides):
        fields = {f"connections__salesforce__{k}": v for k, v in overrides.items()}
        return connector_for(make_settings(**fields), sleeps)

    return make


def calls(state) -> dict[str, int]:
    return dict(state.stats()["systems"]["salesforce"]["calls"])
