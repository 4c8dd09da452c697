"""A new Salesforce order goes all the way through the jobs against the sandbox: ERP sales
order, 3PL order, shipment, carrier tracking to delivery, and a clean invoice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from connectors.carriers import status as st
from core.store import models as m
from sandbox.threepl.app import ship_pending
from tests.sync_jobs.flows import Flows, make_flows


@pytest.fixture
def flows(make_settings) -> Iterator[Flows]:
    yield from make_flows(make_settings)


def run(flows: Flows, *jobs: str) -> None:
    for job in jobs:
        outcome = flows.run(job)
        assert outcome.status == "completed", (job, outcome.summary)


def test_a_new_order_is_posted_shipped_delivered_and_invoiced_without_discrepancy(
    flows: Flows,
) -> None:
    number = flows.world.planted["new_order"][0]  # activated in Salesforce, in no ERP yet
    run(flows, "pull_master_data", "sync_orders", "push_fulfillments")
    shipped = ship_pending(flows.state)  # the warehouse ships what it received
    run(flows, "pull_shipments")
    # Ten minutes on, as `make run` sees it: the parcel has arrived and the fulfilment is billed.
    flows.state.meta_set("netsuite", "bill_after_seconds", 0)
    flows.state.clock = lambda: datetime.now(UTC) + timedelta(minutes=10)
    run(flows, "track_shipments", "sync_invoices")

    netsuite = flows.stats("netsuite")
    posted = [
        r
        for r in flows.state.find_records("netsuite", "salesOrder")
        if r["external_id"] in (f"SF-{number}", number)
    ]
    assert len(posted) == 1 and posted[0]["external_id"] == f"SF-{number}"
    assert netsuite["duplicates"]["salesOrder"] == 0
    tpl_order = flows.state.get_record("threepl", "order", f"OB-{number}-F1")
    assert tpl_order is not None and tpl_order["status"] == "shipped"

    (shipment,) = flows.rows(m.Shipment, order_number=number)
    # No ship method from Salesforce: the 3PL's default, UPS Ground.
    assert shipment.number in shipped and shipment.carrier == "ups"
    events = sorted(
        flows.rows(m.TrackingEvent, tracking_number=shipment.tracking_number),
        key=lambda e: e.occurred_at,
    )
    assert [e.status for e in events][0] == st.PRE_TRANSIT
    assert events[-1].status == st.DELIVERED
    assert shipment.status == st.DELIVERED and shipment.pod_signed_by

    (invoice,) = flows.rows(m.Invoice, order_number=number)
    shipped_lines = {
        ln.order_line_no: ln.quantity
        for ln in flows.rows(m.ShipmentLine, shipment_number=shipment.number)
    }
    invoiced = {
        ln.order_line_no: ln.quantity
        for ln in flows.rows(m.InvoiceLine, invoice_number=invoice.number)
    }
    assert invoiced == shipped_lines
    assert netsuite["records"]["invoice"] == len(flows.world.invoices) + len(shipped)
    assert netsuite["duplicates"]["invoice"] == 0
    assert [(e.kind, e.message) for e in flows.rows(m.OpsException, order_number=number)] == []

    sf = flows.sf_order(number)
    (stored,) = flows.rows(m.Order, number=number)
    assert sf["ERP_Order_Number__c"] == stored.erp_number and sf["ERP_Status__c"] == "Approved"

    # The next cycles change nothing: no second invoice, no second sales order.
    run(flows, "sync_orders", "pull_shipments", "sync_invoices")
    assert len(flows.rows(m.Invoice, order_number=number)) == 1
    assert flows.stats("netsuite")["records"] == netsuite["records"]
