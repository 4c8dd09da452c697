"""apply_uploads carries a coordinator's order-changes workbook to the NetSuite simulator: the
sales orders there take the new quantity, dates, ship method and hold; a row that a
fulfilment overtook after the check is refused alone while the others post; the results
workbook marks every row; revert puts the orders back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.store import session_scope
from core.store.models import Order, OrderLine, Upload
from sandbox import SandboxState
from templates_xlsx.export import export_workbook
from tests.sync_jobs.erp_world import (
    netsuite_world,
    outcomes,
    results_sheet,
    revert,
    run,
    sap_world,
    submit,
)

CUSTOMER = "C00311"  # open orders 00000704, 00000708 and 00000717, nothing shipped yet


@pytest.fixture
def world(settings) -> Iterator[SandboxState]:
    for state in netsuite_world(settings):
        assert run(settings, "sync_orders").status == "completed"  # the orders into the store
        yield state


def sales_order(state: SandboxState, number: str) -> dict:
    """What the simulator holds of a sales order: status, ship method, and per line the
    quantity and the days asked and promised."""
    kids = {c[0]: c for c in state.get_record("netsuite", "salesOrder", number)["node"][4]}
    lines = {}
    for item in kids["itemList"][4]:
        values = {c[0]: c[3] for c in item[4]}
        lines[int(values["line"])] = {
            "quantity": Decimal(values["quantity"]),
            "requested": (values.get("requestedDate") or "")[:10] or None,
            "promised": (values.get("expectedShipDate") or "")[:10] or None,
        }
    method = kids.get("shipMethod")
    return {
        "status": kids["orderStatus"][3],
        "ship_method": method[2].get("externalId") if method else None,
        "lines": lines,
    }


def edit(path: Path, changes: dict[tuple[str, int], dict[str, object]]) -> None:
    """Set cells by header in the rows of (order, line), as a coordinator edits the export."""
    book = load_workbook(path)
    sheet = book["order_changes"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        key = (row[0].value, int(row[1].value or 0))
        for column, value in changes.get(key, {}).items():
            row[header.index(column)].value = value
    book.save(path)


def test_order_changes_reach_netsuite_a_row_overtaken_by_a_fulfilment_is_refused_alone_and_revert_restores(  # noqa: E501
    settings, world, tmp_path
):
    before = {n: sales_order(world, n) for n in ("00000704", "00000708", "00000717")}
    assert before["00000704"]["status"] != "_pendingApproval"
    path = tmp_path / "changes.xlsx"
    assert export_workbook(settings, "order_changes", path, customer=CUSTOMER) == 9
    edit(
        path,
        {
            ("00000704", 1): {"Quantity": 15},
            ("00000704", 2): {"Action": "hold"},
            ("00000708", 2): {
                "Requested Date": date(2026, 3, 20),
                "Promised Date": date(2026, 3, 25),
            },
            ("00000717", 1): {"Ship Method": "UPS 03"},
            ("00000717", 2): {"Quantity": 8},
        },
    )
    upload_id = submit(settings, "order_changes", path, actor="coordinator")
    # A fulfilment of 10 is booked on 00000717 line 2 after the check, before the posting.
    with session_scope(settings.database_url) as session:
        line = session.scalars(
            select(OrderLine).where(OrderLine.order_number == "00000717", OrderLine.line_no == 2)
        ).one()
        line.quantity_shipped = Decimal(10)

    assert run(settings).status == "completed"

    after = {n: sales_order(world, n) for n in before}
    assert after["00000704"]["lines"][1]["quantity"] == 15
    assert after["00000704"]["lines"][2] == before["00000704"]["lines"][2]
    assert after["00000704"]["status"] == "_pendingApproval"  # the hold
    assert after["00000708"]["lines"][2]["requested"] == "2026-03-20"
    assert after["00000708"]["lines"][2]["promised"] == "2026-03-25"
    assert after["00000708"]["lines"][1] == before["00000708"]["lines"][1]
    assert after["00000717"]["ship_method"] == "UPS 03"
    assert after["00000717"]["lines"][2]["quantity"] == 12  # the refused row sent nothing
    rows = outcomes(settings, upload_id)
    assert {k: s for k, (s, _) in rows.items()} == {
        "00000704/1": "done",
        "00000704/2": "done",
        "00000708/2": "done",
        "00000717/1": "done",
        "00000717/2": "rejected",
    }
    assert "Quantity 8 is below the 10 shipped" in rows["00000717/2"][1]
    with session_scope(settings.database_url) as session:
        assert session.get(Upload, upload_id).status == "partly_applied"
        held = session.scalars(select(Order).where(Order.number == "00000704")).one()
        assert held.on_hold is True

    data, errors = results_sheet(settings, upload_id, "order_changes")
    status = {(r["Order"], int(r["Line"])): (r["Status"], r["Message"]) for r in data}
    assert status[("00000704", 1)] == ("posted", "Posted to netsuite")
    assert status[("00000717", 2)][0] == "failed"
    assert status[("00000708", 1)][0] == "unchanged"
    assert {s for s, _ in status.values()} == {"posted", "failed", "unchanged"}
    ((_, row, column, *_rest, message),) = errors
    assert (row, column) == (9, "Quantity") and "below the 10 shipped" in message

    undo = revert(settings, upload_id, actor="coordinator")
    assert run(settings).status == "completed"

    restored = {n: sales_order(world, n) for n in before}
    assert restored["00000704"] == before["00000704"]
    assert restored["00000708"] == before["00000708"]
    undone = outcomes(settings, undo)
    assert undone["00000704/1"][0] == undone["00000708/2"][0] == "done"
    # NetSuite upserts keep a field that is not sent: a blank ship method would silently stay
    # UPS 03, so that row is refused and says what to do instead.
    status_717, message_717 = undone["00000717/1"]
    assert status_717 == "rejected" and "Ship Method cannot be cleared" in message_717
    assert restored["00000717"]["ship_method"] == "UPS 03"


def test_a_ship_to_change_reaches_netsuite_as_the_customers_address_book_entry(
    settings, world, tmp_path
):
    path = tmp_path / "ship_to.xlsx"
    assert export_workbook(settings, "order_changes", path, customer="C00904") == 3
    edit(path, {("00000706", 1): {"Ship-To": "C00904-02"}})  # from the Netherlands to Mexico
    upload_id = submit(settings, "order_changes", path, actor="coordinator")

    assert run(settings).status == "completed"

    assert outcomes(settings, upload_id)["00000706/1"][0] == "done"
    kids = {c[0]: c for c in world.get_record("netsuite", "salesOrder", "00000706")["node"][4]}
    entry = world.get_record("netsuite", "addressbook", "C00904-02")
    assert kids["shipAddressList"][2]["internalId"] == entry["internal_id"]
    assert {c[0]: c[3] for c in kids["shippingAddress"][4]}["country"] == "_mexico"
    with session_scope(settings.database_url) as session:
        order = session.scalars(select(Order).where(Order.number == "00000706")).one()
        assert order.ship_to_code == "C00904-02"


@pytest.fixture
def sap(make_settings):
    yield from sap_world(make_settings)


def test_an_order_change_reaches_the_sap_order_it_names_and_creates_none(sap, tmp_path):
    """SAP keys our order by its document number and the customer's purchase order number
    apart (VBELN 00000662, BSTNK PO-41533): the change is posted to that order, not as a new one."""
    settings, state = sap.settings, sap.state
    with session_scope(settings.database_url) as session:
        order = session.scalars(
            select(Order)
            .where(Order.erp_number.is_not(None), Order.status == "open")
            .order_by(Order.number)
        ).first()
        number, customer = order.number, order.customer_number
        line = session.scalars(
            select(OrderLine)
            .where(OrderLine.order_number == number, OrderLine.status == "open")
            .order_by(OrderLine.line_no)
        ).first()
        line_no, quantity = line.line_no, int(line.quantity)
    held = state.get_record("sap", "sales_order", number)
    assert held["header"]["BSTNK"] not in ("", number)  # the customer's own PO number
    orders_before = state.count_records("sap", "sales_order")

    path = tmp_path / "changes.xlsx"
    export_workbook(settings, "order_changes", path, customer=customer)
    edit(path, {(number, line_no): {"Quantity": quantity + 1}})
    upload_id = submit(settings, "order_changes", path, actor="coordinator")
    assert run(settings).status == "completed"

    assert outcomes(settings, upload_id)[f"{number}/{line_no}"][0] == "done"
    assert state.count_records("sap", "sales_order") == orders_before
    items = state.get_record("sap", "sales_order", number)["items"]
    (item,) = [i for i in items if int(i["POSNR"]) == line_no * 10]
    assert Decimal(item["KWMENG"]) == quantity + 1
