"""Fixtures and helpers shared by the tests of track_shipments, sync_invoices and
reconcile_orders: a sandbox seeded with seed 1 and anchored on today, wired through
core.http, and a way to run a job to its end."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from core import http
from core.store import session_scope
from core.store.models import OpsException
from sandbox import SandboxAdapter, SandboxState
from sandbox.cli import state_path
from sync_jobs.leases import utcnow
from sync_jobs.runner import Runner, RunOutcome, create_run


@dataclass
class Sandboxed:
    settings: object
    state: SandboxState

    @property
    def world(self):
        return self.state.world

    @property
    def url(self) -> str:
        return self.settings.database_url


@pytest.fixture
def sandboxed(settings) -> Iterator[Sandboxed]:
    state = SandboxState(state_path(settings.data_path))
    state.reset(1)
    http.set_transport(SandboxAdapter(state))
    yield Sandboxed(settings, state)
    http.set_transport(None)
    state.close()


def run_job(settings, job_id: str, clock=None) -> RunOutcome:
    """A run of the job as the CLI starts one, on the test's clock if it hands one."""
    run_id = create_run(settings.database_url, job_id, utcnow(), trigger="cli")
    return Runner(settings, clock=clock).execute(run_id)


def open_cases(url: str, prefix: str = "") -> dict[str, set[str]]:
    """kind -> business keys of the open exceptions (kinds starting with prefix)."""
    found: dict[str, set[str]] = {}
    with session_scope(url) as session:
        for row in session.scalars(select(OpsException).where(OpsException.status == "open")):
            if row.kind.startswith(prefix):
                found.setdefault(row.kind, set()).add(row.business_key)
    return found


def count(url: str, model) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(model))


def store_salesforce_orders(settings) -> int:
    """What sync_orders will keep in the store, in its place until it lands: Salesforce's
    orders and lines, written straight into the orders tables."""
    from datetime import datetime, timedelta, timezone

    from connectors import get_connector
    from core.store import models as m

    connector = get_connector("salesforce", settings)
    since = datetime(2000, 1, 1, tzinfo=timezone.utc)
    # A minute ahead: SOQL datetimes are whole seconds, and the sandbox was seeded just now.
    until = datetime.now(timezone.utc) + timedelta(minutes=1)
    orders = list(connector.read_changed("order", since, until))
    with session_scope(settings.database_url) as session:
        for o in orders:
            session.add(
                m.Order(
                    number=o.number,
                    customer_number=o.customer_number,
                    ship_to_code=o.ship_to_code,
                    order_date=o.order_date,
                    currency=o.currency,
                    status=o.status,
                    source_system=o.source_system,
                    source_key=o.source_key,
                )
            )
            for line in o.lines:
                session.add(
                    m.OrderLine(
                        order_number=o.number,
                        line_no=line.line_no,
                        sku=line.sku,
                        quantity=line.quantity.value,
                        unit_price=line.unit_price.amount,
                        currency=line.unit_price.currency,
                    )
                )
    return len(orders)
