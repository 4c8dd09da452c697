"""sync_orders against the sandbox: Salesforce orders to the ERP, checks, write-back, resumes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import delete, select

from connectors import get_connector
from core.retry import breaker_for
from core.store import models as m
from core.store import session_scope
from tests.sync_jobs.flows import Flows, make_flows


@pytest.fixture
def flows(make_settings) -> Iterator[Flows]:
    """NetSuite as the ERP, the sandbox seeded with seed 1."""
    yield from make_flows(make_settings)


def posted(flows: Flows) -> list[str]:
    return [o.number for o in flows.world.incoming_orders if o.number not in rejected(flows)]


def rejected(flows: Flows) -> set[str]:
    planted = flows.world.planted
    return set(planted["unknown_sku"] + planted["price_outside_tolerance"])


def watermark(flows: Flows) -> object:
    marks = flows.rows(m.Watermark, job_id="sync_orders")
    return marks[0].value if marks else None


def test_activated_orders_are_posted_once_and_answered_in_salesforce(flows: Flows) -> None:
    assert flows.run("pull_master_data").status == "completed"
    outcome = flows.run("sync_orders")
    assert outcome.status == "completed", outcome.summary
    netsuite = flows.stats("netsuite")
    legacy = len(flows.world.orders)
    assert netsuite["records"]["salesOrder"] == legacy + len(posted(flows))
    assert netsuite["duplicates"]["salesOrder"] == 0
    for number in posted(flows):
        assert flows.state.get_record("netsuite", "salesOrder", f"SF-{number}") is not None
        sf = flows.sf_order(number)
        assert sf["ERP_Order_Number__c"] and sf["ERP_Status__c"] == "Approved"
        assert not sf["Sync_Error__c"]
        (stored,) = flows.rows(m.Order, number=number)
        assert stored.erp_number == sf["ERP_Order_Number__c"]
    # Orders the ERP had before are answered, not posted again; drafts stay in Salesforce.
    cancelled = flows.world.planted["erp_status_change"][0]
    assert flows.sf_order(cancelled)["ERP_Status__c"] == "Cancelled"
    draft = next(o for o in flows.world.orders if o.status == "draft")
    assert not flows.sf_order(draft.number).get("ERP_Order_Number__c")


def test_an_unknown_sku_or_a_price_off_the_list_is_rejected_with_a_hint(flows: Flows) -> None:
    flows.run("pull_master_data")
    flows.run("sync_orders")
    errors = {e.business_key: e for e in flows.rows(m.RecordError, job_id="sync_orders")}
    assert set(errors) == rejected(flows)
    (unknown,) = flows.world.planted["unknown_sku"]
    (pricey,) = flows.world.planted["price_outside_tolerance"]
    assert "unknown SKU" in errors[unknown].message and errors[unknown].error_class == "missing"
    assert "15.0% above the list price" in errors[pricey].message
    assert errors[pricey].hint and "error queue" in errors[pricey].hint
    for number in rejected(flows):
        assert flows.state.get_record("netsuite", "salesOrder", f"SF-{number}") is None
        assert flows.sf_order(number)["Sync_Error__c"] == errors[number].message[:255]


def test_a_second_run_writes_nothing_although_the_write_back_touched_every_order(
    flows: Flows,
) -> None:
    flows.run("pull_master_data")
    flows.run("sync_orders")
    before = flows.stats("netsuite")["calls"].get("upsertList", 0)
    again = flows.run("sync_orders")
    assert again.status == "completed"
    assert "written 0" in again.summary
    assert flows.stats("netsuite")["calls"].get("upsertList", 0) == before


def test_an_erp_status_change_flows_back_to_salesforce(flows: Flows) -> None:
    flows.run("pull_master_data")
    flows.run("sync_orders")
    number = flows.world.planted["new_order"][0]
    erp = get_connector("netsuite", flows.settings)
    (order,) = erp.read("order", [f"SF-{number}"])
    (result,) = erp.upsert("order", [replace(order, on_hold=True)])  # a credit hold in the ERP
    assert result.ok
    outcome = flows.run("sync_orders")
    assert outcome.status == "completed"
    assert flows.sf_order(number)["ERP_Status__c"] == "On Hold"
    (stored,) = flows.rows(m.Order, number=number)
    assert (stored.status, stored.on_hold) == ("pending_approval", True)


def test_a_transient_failure_keeps_the_watermark_and_the_retry_posts_once(flows: Flows) -> None:
    flows.run("pull_master_data")
    flows.state.set_fault("netsuite", "server_error", status=503, operation="upsertList")
    failed = flows.run("sync_orders")
    assert failed.status == "failed" and watermark(flows) is None
    flows.state.clear_faults("netsuite")
    breaker_for("netsuite").record_success()  # the failures opened the circuit; it recovered
    outcome = flows.run("sync_orders")
    assert outcome.status == "completed" and watermark(flows) is not None
    netsuite = flows.stats("netsuite")
    assert netsuite["duplicates"]["salesOrder"] == 0
    assert netsuite["records"]["salesOrder"] == len(flows.world.orders) + len(posted(flows))


def test_without_an_item_master_nothing_is_judged_and_the_watermark_stays(flows: Flows) -> None:
    outcome = flows.run("sync_orders")
    assert outcome.status == "failed" and "item master" in outcome.summary + str(outcome)
    assert watermark(flows) is None
    assert flows.stats("netsuite")["calls"].get("upsertList", 0) == 0


def test_a_missing_customer_is_created_in_the_erp_when_allowed(flows: Flows) -> None:
    flows.run("pull_master_data")
    number = flows.world.planted["new_order"][0]
    customer = flows.world.order(number).customer_code
    flows.state.delete_record("netsuite", "customer", customer)
    with session_scope(flows.settings.database_url) as session:
        session.execute(delete(m.Customer).where(m.Customer.number == customer))
    # The ERP admin set up a terms record under the code Salesforce accounts carry.
    terms = flows.state.get_record("salesforce", "Account", customer)["Payment_Terms__c"]
    flows.state.put_record("netsuite", "term", terms, {"name": terms})
    flows.run("sync_orders")
    created = flows.state.get_record("netsuite", "customer", customer)
    assert created is not None and created["external_id"] == customer
    order = flows.state.get_record("netsuite", "salesOrder", f"SF-{number}")
    assert order is not None and order["external_id"] == f"SF-{number}"
    with session_scope(flows.settings.database_url) as session:
        stored = session.scalars(select(m.Customer).where(m.Customer.number == customer)).one()
    assert stored.number == customer


def test_a_customer_the_erp_refuses_rejects_the_order_with_the_erp_reason(flows: Flows) -> None:
    flows.run("pull_master_data")
    number = flows.world.planted["new_order"][0]
    customer = flows.world.order(number).customer_code
    flows.state.delete_record("netsuite", "customer", customer)
    with session_scope(flows.settings.database_url) as session:
        session.execute(delete(m.Customer).where(m.Customer.number == customer))
    flows.run("sync_orders")
    errors = {e.business_key: e for e in flows.rows(m.RecordError, job_id="sync_orders")}
    assert "the ERP refused the new customer" in errors[number].message
    assert flows.state.get_record("netsuite", "salesOrder", f"SF-{number}") is None


@pytest.fixture
def sap_flows(make_settings) -> Iterator[Flows]:
    for sap in make_flows(make_settings, erp="sap"):
        # SAP reads by ABAP timestamps of whole seconds, the window's end excluded: records
        # seeded in this very second would wait for the next run's lookback.
        time.sleep(1.1)
        yield sap


def test_sap_takes_the_orders_once_too(sap_flows: Flows) -> None:
    assert sap_flows.run("pull_master_data").status == "completed"
    outcome = sap_flows.run("sync_orders")
    assert outcome.status == "completed", outcome.summary
    sap = sap_flows.stats("sap")
    assert sap["records"]["sales_order"] == len(sap_flows.world.orders) + len(posted(sap_flows))
    assert sap["duplicates"]["sales_order"] == 0
    for number in posted(sap_flows):
        assert sap_flows.sf_order(number)["ERP_Order_Number__c"]
    assert "written 0" in sap_flows.run("sync_orders").summary


def open_errors(flows: Flows) -> list[str]:
    return [e.business_key for e in flows.rows(m.RecordError, job_id="sync_orders", status="open")]


def test_an_outage_of_six_runs_rejects_no_order_and_the_next_clean_run_posts_all(
    flows: Flows,
) -> None:
    flows.run("pull_master_data")
    flows.state.set_fault("netsuite", "server_error", status=502, operation="upsertList", times=40)
    for _ in range(6):  # six runs from the command line, each its own process and circuit
        breaker_for("netsuite").record_success()
        outcome = flows.run("sync_orders")
        assert outcome.status == "failed", outcome.summary  # resumes: the circuit opens
    assert flows.rows(m.WorkItem, job_id="sync_orders", status="rejected") == []
    assert open_errors(flows) == []
    flows.state.clear_faults("netsuite")
    breaker_for("netsuite").record_success()  # the failures opened the circuit; it recovered
    outcome = flows.run("sync_orders")
    assert outcome.status == "completed", outcome.summary
    netsuite = flows.stats("netsuite")
    assert netsuite["records"]["salesOrder"] == len(flows.world.orders) + len(posted(flows))
    assert netsuite["duplicates"]["salesOrder"] == 0
    assert sorted(open_errors(flows)) == sorted(rejected(flows))  # the planted ones, no other


def test_sap_answering_hostile_xml_rejects_no_order(sap_flows: Flows) -> None:
    assert sap_flows.run("pull_master_data").status == "completed"
    sap_flows.state.set_fault("sap", "doctype", operation="BAPI_SALESORDER_CREATEFROMDAT2")
    for _ in range(6):
        breaker_for("sap").record_success()
        outcome = sap_flows.run("sync_orders")
        assert outcome.status == "failed", outcome.summary  # resumes: the circuit opens
    assert sap_flows.rows(m.WorkItem, job_id="sync_orders", status="rejected") == []
    assert open_errors(sap_flows) == []
    sap_flows.state.clear_faults("sap")
    breaker_for("sap").record_success()
    assert sap_flows.run("sync_orders").status == "completed"
    sap = sap_flows.stats("sap")
    assert sap["records"]["sales_order"] == len(sap_flows.world.orders) + len(posted(sap_flows))
    assert sap["duplicates"]["sales_order"] == 0
    assert sorted(open_errors(sap_flows)) == sorted(rejected(sap_flows))


def test_a_locked_salesforce_row_on_write_back_rejects_no_order(flows: Flows) -> None:
    """UNABLE_TO_LOCK_ROW is another writer holding the order in Salesforce: the system's
    moment, not the order's fault; the write-back goes through on the next run."""
    flows.run("pull_master_data")
    flows.state.set_fault(
        "salesforce", "partial_failure", every=1, code="UNABLE_TO_LOCK_ROW", times=1
    )
    flows.run("sync_orders")
    assert flows.stats("salesforce")["calls"].get("fault:partial_failure") == 1
    assert flows.run("sync_orders").status == "completed"
    assert sorted(open_errors(flows)) == sorted(rejected(flows))  # the planted ones, no other
    for number in posted(flows):
        assert flows.sf_order(number)["ERP_Order_Number__c"]
    assert flows.stats("netsuite")["duplicates"]["salesOrder"] == 0
