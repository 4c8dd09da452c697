"""apply_uploads simulates a waiting upload against the live ERP: each row would post or would
be refused with the reason the ERP gives (SAP's BAPIs in test mode) or that its records show
(NetSuite read back), while nothing at all is written there; an outage leaves the simulation
pending and the next run completes it."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.retry import breaker_for
from core.store import session_scope
from core.store.models import Order, OrderLine, ShipTo, Upload, UploadRow
from sandbox import SandboxState
from sandbox.netsuite import nodes
from templates_xlsx import simulation
from templates_xlsx.export import export_workbook
from templates_xlsx.preview import preview, record_upload
from tests.sync_jobs.erp_world import TODAY, netsuite_world, run, sap_world
from tests.sync_jobs.test_apply_order_changes import edit

CUSTOMER = "C00311"  # open orders 00000704, 00000708 and 00000717, nothing shipped yet
MISSING = "C00311-09"  # an address the store knows and NetSuite no longer has


@pytest.fixture
def world(settings) -> Iterator[SandboxState]:
    for state in netsuite_world(settings):
        assert run(settings, "sync_orders").status == "completed"
        yield state


def record(settings, kind: str, path: Path, actor: str) -> int:
    """Check and record an upload as the portal does, left waiting for its submit."""
    shown = preview(settings, kind, path, today=TODAY)
    assert shown.check.status == "valid", shown.check.to_json()
    with session_scope(settings.database_url) as session:
        recorded = record_upload(
            session, shown, settings, actor=actor, filename=path.name, stored_path=str(path)
        )
        recorded.errors = {**recorded.errors, "sheet": shown.check.sheet, "template": True}
        return recorded.id


def ask(settings, upload_id: int) -> None:
    """Request a simulation of the upload, as the portal's button does."""
    with session_scope(settings.database_url) as session:
        upload = session.get(Upload, upload_id)
        rows = list(session.scalars(select(UploadRow).where(UploadRow.upload_id == upload_id)))
        simulation.request(upload, rows, "coordinator", datetime.now(timezone.utc))


def simulated(settings, upload_id: int) -> tuple[dict, dict[str, tuple[str, str, str]]]:
    """The upload's simulation, and per row key (outcome, message, row status)."""
    with session_scope(settings.database_url) as session:
        upload = session.get(Upload, upload_id)
        rows = session.scalars(select(UploadRow).where(UploadRow.upload_id == upload_id))
        found = {
            r.business_key: (
                (r.simulation or {}).get("outcome"),
                (r.simulation or {}).get("message", ""),
                r.status,
            )
            for r in rows
        }
        return {**(upload.simulation or {}), "upload_status": upload.status}, found


def snapshot(state: SandboxState, system: str, rtypes: tuple[str, ...]) -> dict:
    return {
        rtype: {r["external_id"]: copy.deepcopy(r) for r in state.find_records(system, rtype)}
        for rtype in rtypes
    }


def ns_child(state: SandboxState, rtype: str, key: str, change) -> None:
    """Change a NetSuite record in the simulator, as someone editing it in NetSuite would."""
    record = state.get_record("netsuite", rtype, key)
    change(record["node"])
    state.put_record("netsuite", rtype, key, {"node": record["node"], "display": key})


def ns_line(number: str, line_no: int, **values: str):
    def change(node) -> None:
        items = nodes.child(node, "itemList")[4]
        line = next(i for i in items if nodes.text_of(i, "line") == str(line_no))
        for name, value in values.items():
            nodes.set_child(line, "tranSales:SalesOrderItem", nodes.node(name, line[1], value))

    return change


def inactive(node) -> None:
    flag = nodes.child(node, "isInactive")
    flag[3] = "true"


NS_RECORDS = ("salesOrder", "customer", "inventoryItem", "currency", "priceLevel")


def test_netsuite_rows_would_post_or_be_refused_by_name_and_nothing_is_written(
    settings, world, tmp_path
):
    with session_scope(settings.database_url) as session:
        session.add(ShipTo(customer_number=CUSTOMER, code=MISSING, name="Old dock", city="Reno",
                           source_system="netsuite", source_key="x"))  # fmt: skip
    path = tmp_path / "changes.xlsx"
    export_workbook(settings, "order_changes", path, customer=CUSTOMER)
    edit(
        path,
        {
            ("00000704", 1): {"Quantity": 15},
            ("00000708", 1): {"Quantity": 6},
            ("00000708", 2): {"Quantity": 25},
            ("00000717", 1): {"Ship-To": MISSING},
            ("00000717", 2): {"Quantity": 8},
        },
    )
    upload_id = record(settings, "order_changes", path, actor="coordinator")
    # NetSuite moved on after the upload was checked; the store does not know yet.
    ns_child(world, "salesOrder", "00000708", ns_line("00000708", 1, quantityFulfilled="8"))
    ns_child(world, "salesOrder", "00000708", ns_line("00000708", 2, isClosed="true"))
    ns_child(world, "inventoryItem", "13573", inactive)
    before = snapshot(world, "netsuite", NS_RECORDS)
    writes = world.stats()["systems"]["netsuite"]["calls"].get("upsertList", 0)

    ask(settings, upload_id)
    assert run(settings).status == "completed"

    state, rows = simulated(settings, upload_id)
    assert rows["00000704/1"][:1] == ("would_post",)
    assert rows["00000708/1"][0] == "would_refuse"
    assert "NetSuite has fulfilled 8, more than the new quantity 6" in rows["00000708/1"][1]
    assert "order 00000708 line 2 is closed in NetSuite" in rows["00000708/2"][1]
    assert f"address {MISSING} is no longer in customer {CUSTOMER}" in rows["00000717/1"][1]
    assert "item 13573 is inactive in NetSuite" in rows["00000717/2"][1]
    assert {status for *_, status in rows.values()} == {"pending"}  # nothing posted
    assert state["state"] == "done" and state["upload_status"] == "ready"
    assert state["counts"] == {"would_post": 1, "would_refuse": 4}
    assert snapshot(world, "netsuite", NS_RECORDS) == before
    assert world.stats()["systems"]["netsuite"]["calls"].get("upsertList", 0) == writes

    book = load_workbook(state["workbook"])
    sheet = book["order_changes"]
    header = [c.value for c in sheet[1]]
    marked = {
        (r[0].value, int(r[1].value)): (r[header.index("Simulation")].value,
                                         r[header.index("Simulation message")].value)
        for r in sheet.iter_rows(min_row=2) if r[0].value
    }  # fmt: skip
    assert marked[("00000704", 1)][0] == "Would post"
    assert marked[("00000717", 2)][0] == "Would be refused"
    assert "inactive" in marked[("00000717", 2)][1]
    assert marked[("00000704", 2)][0] == "unchanged"


def test_netsuite_price_rows_need_an_active_item_and_a_known_price_level(settings, world, tmp_path):
    path = tmp_path / "prices.xlsx"
    export_workbook(settings, "price_list", path, item="00302")
    book = load_workbook(path)
    sheet = book["price_list"]
    header = [c.value for c in sheet[1]]
    price = header.index("Unit Price")
    first = next(sheet.iter_rows(min_row=2))
    first[price].value = Decimal(str(first[price].value)) + Decimal("0.01")
    book.save(path)
    upload_id = record(settings, "price_list", path, actor="steward")
    ask(settings, upload_id)
    assert run(settings).status == "completed"
    _, rows = simulated(settings, upload_id)
    ((outcome, message, _),) = rows.values()
    assert (outcome, message) == ("would_post", "Would post to netsuite")

    level = first[header.index("Price Level")].value
    world.delete_record("netsuite", "priceLevel", level)
    ns_child(world, "inventoryItem", "00302", inactive)
    ask(settings, upload_id)
    assert run(settings).status == "completed"
    _, rows = simulated(settings, upload_id)
    ((outcome, message, _),) = rows.values()
    assert outcome == "would_refuse"
    assert "item 00302 is inactive in NetSuite" in message
    assert f"price level {level} does not exist in NetSuite" in message


def test_an_outage_leaves_the_simulation_pending_and_the_next_run_completes_it(
    settings, world, tmp_path
):
    path = tmp_path / "changes.xlsx"
    export_workbook(settings, "order_changes", path, customer=CUSTOMER)
    edit(path, {("00000704", 1): {"Quantity": 15}, ("00000708", 1): {"Quantity": 6}})
    upload_id = record(settings, "order_changes", path, actor="coordinator")
    ask(settings, upload_id)
    world.set_fault("netsuite", "server_error", status=503, operation="getList")
    assert run(settings).status == "failed"
    state, rows = simulated(settings, upload_id)
    assert state["state"] == "running"
    assert {outcome for outcome, *_ in rows.values()} == {None}  # not refused for an outage

    world.clear_faults("netsuite")
    breaker_for("netsuite").record_success()
    assert run(settings).status == "completed"
    state, rows = simulated(settings, upload_id)
    assert state["state"] == "done"
    assert {outcome for outcome, *_ in rows.values()} == {"would_post"}


# --- SAP: the BAPIs in test mode ----------------------------------------------------------


@pytest.fixture
def sap(make_settings):
    yield from sap_world(make_settings)


def sap_order(settings, state: SandboxState) -> tuple[str, str, str, list]:
    """An open order of the store in SAP (its purchase order number the customer's own):
    number, SAP number, customer, open lines (no, quantity)."""
    with session_scope(settings.database_url) as session:
        order = session.scalars(
            select(Order)
            .where(Order.erp_number.is_not(None), Order.status == "open")
            .order_by(Order.number)
        ).first()
        lines = session.scalars(
            select(OrderLine).where(OrderLine.order_number == order.number)
        ).all()
        found = [(line.line_no, line.quantity) for line in lines if line.status == "open"]
        number, document, customer = order.number, order.erp_number, order.customer_number
    assert state.get_record("sap", "sales_order", document)["header"]["BSTNK"] != number
    return number, document, customer, found


def deliver(state: SandboxState, document: str, line_no: int, quantity: int) -> None:
    """Book a delivery of the line in the SAP simulator, as SAP's shipping would."""
    order = state.get_record("sap", "sales_order", document)
    for item in order["items"]:
        if int(item["POSNR"]) == line_no * 10:
            item["LFIMG"] = str(quantity)
    payload = {"header": order["header"], "items": order["items"]}
    state.put_record(
        "sap", "sales_order", order["external_id"], payload, internal_id=order["internal_id"]
    )


def test_sap_rows_are_checked_by_the_bapis_in_test_mode_and_nothing_is_posted(sap, tmp_path):
    settings, state = sap.settings, sap.state
    number, document, customer, [(first, quantity), *_] = sap_order(settings, state)
    path = tmp_path / "changes.xlsx"
    export_workbook(settings, "order_changes", path, customer=customer)
    edit(path, {(number, first): {"Quantity": int(quantity) + 1}})
    upload_id = record(settings, "order_changes", path, actor="coordinator")
    before = snapshot(state, "sap", ("sales_order",))
    ask(settings, upload_id)
    assert run(settings).status == "completed"
    _, rows = simulated(settings, upload_id)
    assert rows[f"{number}/{first}"] == ("would_post", "Would post to sap", "pending")
    assert snapshot(state, "sap", ("sales_order",)) == before

    # SAP delivered more than the new quantity since: its BAPI refuses, in test mode too.
    deliver(state, document, first, int(quantity) + 5)
    before = snapshot(state, "sap", ("sales_order",))
    ask(settings, upload_id)
    assert run(settings).status == "completed"
    _, rows = simulated(settings, upload_id)
    outcome, message, status = rows[f"{number}/{first}"]
    assert outcome == "would_refuse" and status == "pending"
    assert "quantity is below the delivered one" in message
    assert snapshot(state, "sap", ("sales_order",)) == before
