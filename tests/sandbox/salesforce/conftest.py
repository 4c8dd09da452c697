from __future__ import annotations

import pytest

from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.connector import SalesforceConnector
from connectors.salesforce.options import options_from_settings
from core import http
from core.retry import CircuitBreaker, RetryPolicy
from sandbox import SandboxAdapter


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


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

    def make(**overrides) -> SalesforceConnector:
        settings = make_settings(
            **{f"connections__salesforce__{k}": v for k, v in overrides.items()}
        )
        options = options_from_settings(settings.connections.salesforce)
        client = SalesforceClient(
            options,
            http.new_session("salesforce", options.timeout_seconds),
            sleep=sleeps,
            policy=RetryPolicy(attempts=4, base_seconds=0.01),
            breaker=CircuitBreaker("salesforce"),
        )
        return SalesforceConnector(options, client)

    return make


def calls(state) -> dict[str, int]:
    return dict(state.stats()["systems"]["salesforce"]["calls"])
