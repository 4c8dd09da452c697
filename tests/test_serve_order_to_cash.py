"""`run.py serve` on a fast sandbox clock: a new Salesforce order reaches an invoice on its own,
through the scheduler and the workers, within a few cycles."""

from __future__ import annotations

import contextlib
import signal
import time

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from core.store import models as m
from core.store import session_scope
from sandbox.cli import open_state
from tests.helpers import cli_popen
from tests.test_serve import free_port

pytestmark = pytest.mark.slow

CHAIN = ("sync_orders", "push_fulfillments", "pull_shipments", "track_shipments", "sync_invoices")
QUIET = ("check_connections", "reconcile_orders", "release_backorders", "apply_uploads")


def fast_sandbox(data_path) -> str:
    """The sandbox seeded as `make run` seeds it, but the 3PL ships, NetSuite bills and the
    carriers deliver at once; the first new order's number."""
    state = open_state(data_path)
    try:
        world = state.reset(1)
        state.meta_set("threepl", "ship_after_seconds", 0)
        state.meta_set("netsuite", "bill_after_seconds", 0)
        for carrier in ("ups", "fedex", "dhl"):
            state.meta_set(carrier, "transit_day_seconds", 0)
        return world.planted["new_order"][0]
    finally:
        state.close()


def invoiced(url: str, number: str) -> tuple[str, int]:
    with session_scope(url) as session:
        shipment = session.scalars(select(m.Shipment).filter_by(order_number=number)).first()
        invoices = session.scalars(select(m.Invoice).filter_by(order_number=number)).all()
        return (shipment.status if shipment else ""), len(invoices)


def test_serve_takes_a_new_order_to_delivered_and_invoiced(settings) -> None:
    number = fast_sandbox(settings.data_path)
    every = {f"ORDERBRIDGE__JOBS__{job.upper()}__EVERY": "2s" for job in CHAIN}
    paused = {f"ORDERBRIDGE__JOBS__{job.upper()}__PAUSED": "true" for job in QUIET}
    serve = cli_popen(settings, "serve", "--port", str(free_port()), **every, **paused)
    seen, deadline = ("", 0), time.time() + 90
    try:
        while time.time() < deadline and seen != ("delivered", 1) and serve.poll() is None:
            time.sleep(1)
            with contextlib.suppress(OperationalError):  # the store is still being created
                seen = invoiced(settings.database_url, number)
    finally:
        serve.send_signal(signal.SIGTERM)
        _, err = serve.communicate(timeout=30)
    assert seen == ("delivered", 1), err[-2000:]
