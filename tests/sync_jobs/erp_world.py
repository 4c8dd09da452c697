"""The NetSuite simulator behind the connectors, and the store filled from it by
pull_master_data, for tests of jobs and pages that post to the ERP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from core import http
from sandbox import SandboxAdapter, SandboxState
from sandbox.cli import state_path
from sync_jobs.leases import utcnow
from sync_jobs.runner import Runner, create_run

TODAY = date(2026, 3, 2)
SKU, LEVEL, CURRENCY = "00302", "Base Price", "USD"


def netsuite_world(settings) -> Iterator[SandboxState]:
    """A seeded sandbox in the settings' data folder; the store filled from NetSuite."""
    state = SandboxState(state_path(settings.data_path))
    state.reset(1, TODAY)
    http.set_transport(SandboxAdapter(state))
    try:
        assert run(settings, "pull_master_data").status == "completed"
        yield state
    finally:
        http.set_transport(None)
        state.close()


def run(settings, job_id: str = "apply_uploads"):
    return Runner(settings).execute(create_run(settings.database_url, job_id, utcnow()))


def netsuite_prices(state: SandboxState, sku: str = SKU) -> dict[tuple[str, str, int], Decimal]:
    """(currency, level, quantity) -> price, as the simulator holds the item's pricing matrix."""
    node = state.get_record("netsuite", "inventoryItem", sku)["node"]
    found = {}
    matrix = next(c for c in node[4] if c[0] == "pricingMatrix")
    for pricing in matrix[4]:
        kids = {c[0]: c for c in pricing[4]}
        currency, level = kids["currency"][2]["externalId"], kids["priceLevel"][2]["externalId"]
        for price in kids["priceList"][4]:
            values = {c[0]: c[3] for c in price[4]}
            found[(currency, level, int(Decimal(values["quantity"])))] = Decimal(values["value"])
    return found
