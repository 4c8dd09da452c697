"""SAP fixtures: the real connector (zeep and all) talking to the SAP simulator in-process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest

from connectors.sap.connector import SapConnector, from_settings
from core import http
from core.records import Money, Order, OrderLine, Quantity
from core.retry import CircuitBreaker, RetryPolicy
from sandbox import SandboxAdapter


@pytest.fixture
def sap_transport(sandbox_state) -> Iterator[SandboxAdapter]:
    adapter = SandboxAdapter(sandbox_state)
    http.set_transport(adapter)
    yield adapter
    http.set_transport(None)
    http.clear_session_hooks()


@pytest.fixture
def make_sap(sap_transport, make_settings):
    """A connector from settings, with quick retries and its own circuit breaker."""

    def make(environ: dict[str, str] | None = None, **overrides) -> SapConnector:
        connector = from_settings(make_settings(environ, **overrides))
        connector.breaker = CircuitBreaker("sap", threshold=50)
        connector.retry = RetryPolicy(attempts=3, base_seconds=0.0, cap_seconds=0.0)
        connector.sleep = lambda seconds: None
        return connector

    return make


@pytest.fixture
def sap(make_sap) -> SapConnector:
    return make_sap()


@pytest.fixture
def new_order(sandbox_state):
    """An order for SAP built from the shared world's first active customer and items."""
    world = sandbox_state.world

    def make(key: str = "OB-1001", quantity: int = 5, skus: tuple[str, ...] = ()) -> Order:
        customer = next(c for c in world.customers if c.is_active)
        ship_to = next(s for s in world.ship_tos if s.customer_code == customer.code)
        items = list(skus) or [i.sku for i in world.items if i.is_active][:2]
        lines = [
            OrderLine(
                line_no=n,
                sku=sku,
                quantity=Quantity(Decimal(quantity)),
                unit_price=Money(Decimal("12.50"), customer.currency),
                requested_date=world.today + timedelta(days=7),
            )
            for n, sku in enumerate(items, start=1)
        ]
        return Order(
            source_system="salesforce",
            source_key=key,
            external_id=key,
            number=key,
            customer_number=customer.code,
            ship_to_code=ship_to.code,
            order_date=world.today,
            currency=customer.currency,
            lines=lines,
        )

    return make
