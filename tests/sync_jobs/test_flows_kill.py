"""The order flows killed with SIGKILL at random points, several times each, then completed:
`sandbox stats` shows no external id written twice and every expected record present."""

from __future__ import annotations

import json
import random
import signal
import time

import pytest
from sqlalchemy import select

from core.store import models as m
from core.store import session_scope
from sandbox import SandboxState
from sandbox.threepl.app import ship_pending
from tests.helpers import cli, cli_popen
from tests.sync_jobs.flows import TODAY

pytestmark = pytest.mark.slow
KILLS = 3


def done_items(settings, job: str) -> int:
    with session_scope(settings.database_url) as session:
        return len(
            session.scalars(select(m.WorkItem.id).filter_by(job_id=job, status="done")).all()
        )


def killed_then_completed(settings, job: str, rng: random.Random) -> int:
    """Run the job in a subprocess and SIGKILL it at a random point of its window, KILLS
    times, then let a run finish; returns how many runs were really killed mid-way."""
    kills = 0
    for _ in range(KILLS):
        target = done_items(settings, job) + rng.randint(1, 4)
        process = cli_popen(settings, "job", "run", job)
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            if done_items(settings, job) >= target:
                time.sleep(rng.uniform(0, 0.2))  # mid-item, or between two
                break
            time.sleep(0.02)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.communicate(timeout=60)
    result = cli(settings, "job", "run", job)
    assert result.returncode == 0, (job, result.stdout, result.stderr)
    return kills


def stats(settings) -> dict:
    result = cli(settings, "sandbox", "stats", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["systems"]


def test_flows_killed_at_random_points_finish_with_none_twice_and_none_lost(settings) -> None:
    state = SandboxState(settings.data_path / "sandbox" / "state.db")
    world = state.reset(1, TODAY)
    legacy_shipments = len(world.shipments)
    assert cli(settings, "job", "run", "pull_master_data").returncode == 0
    rng = random.Random(11)
    for system in ("netsuite", "salesforce", "threepl"):  # slow enough to be caught mid-item
        state.set_fault(system, "latency", seconds=0.05)
    kills = killed_then_completed(settings, "sync_orders", rng)
    kills += killed_then_completed(settings, "push_fulfillments", rng)
    shipped = ship_pending(state)
    kills += killed_then_completed(settings, "pull_shipments", rng)
    kills += killed_then_completed(settings, "release_backorders", rng)
    state.close()
    assert kills >= 6  # most runs were cut short

    systems = stats(settings)
    for system in ("netsuite", "salesforce", "threepl"):
        assert set(systems[system]["duplicates"].values()) <= {0}, (system, systems[system])
    rejected = set(world.planted["unknown_sku"] + world.planted["price_outside_tolerance"])
    posted = [o.number for o in world.incoming_orders if o.number not in rejected]
    netsuite = systems["netsuite"]["records"]
    assert netsuite["salesOrder"] == len(world.orders) + len(posted)
    assert netsuite["itemFulfillment"] == legacy_shipments + len(shipped)
    with session_scope(settings.database_url) as session:
        references = set(
            session.scalars(
                select(m.IdMap.our_key).filter_by(entity="fulfilment", system="threepl")
            )
        )
        stored = {s.number for s in session.scalars(select(m.Shipment))}
        erp_numbers = {
            o.number: o.erp_number for o in session.scalars(select(m.Order)) if o.erp_number
        }
        open_lines = session.scalars(
            select(m.OrderLine).where(m.OrderLine.order_number.in_(posted))
        ).all()
    # Every fulfilment order the 3PL holds is one we recorded, and the other way round.
    assert systems["threepl"]["records"]["order"] == legacy_shipments + len(references)
    assert set(shipped) <= stored  # every confirmation reached the store
    assert set(posted) <= set(erp_numbers)  # every posted order was answered
    assert all(line.status != "open" for line in open_lines)  # every line went somewhere
