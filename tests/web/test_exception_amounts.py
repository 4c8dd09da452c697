"""The exception queue's Amount column, filled by the jobs that raise the cases: a shipment
case is worth the shipment's lines at their order lines' prices, a backorder the backordered
quantity at the line's price; each run against the sandbox, read on the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.store import models as m
from core.store import session_scope
from sync_jobs.track_shipments import KINDS
from tests.sync_jobs.flows import Flows, make_flows
from tests.sync_jobs.flows_in import run_job, sandboxed, store_salesforce_orders  # noqa: F401
from tests.web.queue_helpers import as_role


def row_html(page: str, case: m.OpsException) -> str:
    found = re.search(rf'<tr id="exception-{case.id}".*?</tr>', page, re.DOTALL)
    assert found, f"case {case.business_key} is not on the page"
    return found.group(0)


def shown(amount: Decimal, currency: str) -> str:
    return f"{amount.quantize(Decimal('0.01')):,.2f} {currency}"


def shipment_worth(world, number: str) -> str:
    """The shipment's value as the sandbox's own records give it."""
    shipment = next(s for s in world.shipments if s.number == number)
    order = world.order(shipment.order_number)
    price = {line.line_no: line.unit_price for line in order.lines}
    total = sum((line.quantity * price[line.line_no] for line in shipment.lines), Decimal(0))
    return shown(total, order.currency)


def open_cases(url: str, kinds, *keys: str) -> list[m.OpsException]:
    """The open cases of these kinds (and these keys, when given)."""
    query = select(m.OpsException).where(
        m.OpsException.kind.in_(list(kinds)), m.OpsException.status == "open"
    )
    if keys:
        query = query.where(m.OpsException.business_key.in_(keys))
    with session_scope(url) as session:
        rows = session.scalars(query.order_by(m.OpsException.id)).all()
        session.expunge_all()
        return list(rows)


def test_every_shipment_case_shows_the_shipments_value(client, sandboxed):  # noqa: F811
    store_salesforce_orders(sandboxed.settings)
    assert run_job(sandboxed.settings, "track_shipments").status == "completed"
    cases = open_cases(sandboxed.url, KINDS)
    assert {c.kind for c in cases} == set(KINDS)
    page = as_role(client, "coordinator").get("/exceptions").get_data(as_text=True)
    for case in cases:
        assert shipment_worth(sandboxed.world, case.business_key) in row_html(page, case)


def test_a_case_raised_before_its_order_was_stored_gets_its_amount_next_run(
    client,
    sandboxed,  # noqa: F811
):
    assert run_job(sandboxed.settings, "track_shipments").status == "completed"
    (returned,) = open_cases(sandboxed.url, ["shipment_returned"])
    assert returned.amount is None  # no order in the store yet: no value to show
    store_salesforce_orders(sandboxed.settings)
    assert run_job(sandboxed.settings, "track_shipments").status == "completed"
    page = as_role(client, "coordinator").get("/exceptions").get_data(as_text=True)
    worth = shipment_worth(sandboxed.world, returned.business_key)
    assert worth in row_html(page, returned)


@pytest.fixture
def flows(make_settings) -> Iterator[Flows]:
    yield from make_flows(make_settings)


def backorder_worth(flows: Flows, case: m.OpsException) -> str:
    number, _, line_no = case.business_key.rpartition("/")
    (line,) = flows.rows(m.OrderLine, order_number=number, line_no=int(line_no))
    price = next(x.unit_price for x in flows.world.order(number).lines if x.line_no == line.line_no)
    return shown(line.quantity_backordered * price, flows.world.order(number).currency)


def test_a_backorder_shows_what_it_holds_back_when_pushed_and_when_partly_released(
    client, flows: Flows
) -> None:
    for job in ("pull_master_data", "sync_orders", "push_fulfillments"):
        assert flows.run(job).status == "completed", job
    (short,) = flows.world.planted["short_of_stock"]
    url, key = flows.settings.database_url, f"{short}/1"
    (pushed,) = open_cases(url, ["backorder"], key)
    assert pushed.source_job == "push_fulfillments"
    as_role(client, "coordinator")
    page = client.get("/exceptions").get_data(as_text=True)
    assert backorder_worth(flows, pushed) in row_html(page, pushed)

    assert flows.run("release_backorders").status == "completed"  # other warehouses give some
    (released,) = open_cases(url, ["backorder"], key)
    assert released.source_job == "release_backorders" and released.amount < pushed.amount
    page = client.get("/exceptions").get_data(as_text=True)
    assert backorder_worth(flows, released) in row_html(page, released)
