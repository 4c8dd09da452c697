"""apply_uploads carries a steward's ship-to workbook to the NetSuite simulator: a changed
address and a new one land in the customer's address book, the results workbook marks each
row, and revert restores the changed address and removes the new one (the customer's book
written whole without it, the other lines kept as the same addresses). An address that open
orders ship to is not removed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.store import session_scope
from core.store.models import Order, ShipTo, Upload
from sandbox import SandboxState
from templates_xlsx.export import export_workbook
from templates_xlsx.preview import record_revert
from tests.sync_jobs.erp_world import (
    netsuite_world,
    outcomes,
    results_sheet,
    revert,
    run,
    submit,
)

CUSTOMER = "C00195"  # three addresses: -01 (default), -02, -03
NEW = {
    "Address Code": "C00195-04",
    "Name": "Keystone Distribution Reno",
    "Address Line 1": "10 Commerce Way",
    "City": "Reno",
    "State/Province": "NV",
    "Postal Code": "89502",
    "Country": "US",
    "Default": "No",
}


@pytest.fixture
def world(settings) -> Iterator[SandboxState]:
    yield from netsuite_world(settings)


def address_book(state: SandboxState, customer: str = CUSTOMER) -> dict[str, dict]:
    """label -> the simulator's address book line: internalId, default flag and address."""
    node = state.get_record("netsuite", "customer", customer)["node"]
    book = next(c for c in node[4] if c[0] == "addressbookList")
    found = {}
    for line in book[4]:
        kids = {c[0]: c for c in line[4]}
        address = {c[0]: c[3] for c in kids["addressbookAddress"][4]}
        found[kids["label"][3]] = {
            "internal_id": kids["internalId"][3] if "internalId" in kids else None,
            "default": kids["defaultShipping"][3] if "defaultShipping" in kids else None,
            "address": address,
        }
    return found


def stored_codes(settings, customer: str = CUSTOMER) -> set[str]:
    with session_scope(settings.database_url) as session:
        return set(session.scalars(select(ShipTo.code).where(ShipTo.customer_number == customer)))


def workbook(settings, tmp_path: Path) -> Path:
    """The customer's addresses downloaded; -02 moved to a new street, -04 added."""
    path = tmp_path / "ship-tos.xlsx"
    assert export_workbook(settings, "ship_tos", path, customer=CUSTOMER) == 3
    book = load_workbook(path)
    sheet = book["ship_tos"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2, max_row=4):
        if row[1].value == "C00195-02":
            row[header.index("Address Line 1")].value = "200 Avenida Constitucion"
            row[header.index("Contact")].value = "Ana Ruiz"
    sheet.append([NEW.get(h, CUSTOMER if h == "Customer" else None) for h in header])
    book.save(path)
    return path


def test_ship_tos_reach_the_address_book_and_revert_removes_the_new_one(settings, world, tmp_path):
    before = address_book(world)
    assert set(before) == {"C00195-01", "C00195-02", "C00195-03"}
    upload_id = submit(settings, "ship_tos", workbook(settings, tmp_path), actor="steward")

    assert run(settings).status == "completed"

    after = address_book(world)
    assert after["C00195-02"]["address"]["addr1"] == "200 Avenida Constitucion"
    assert after["C00195-02"]["address"]["attention"] == "Ana Ruiz"
    assert after["C00195-04"]["address"]["city"] == "Reno"
    assert after["C00195-04"]["default"] == "false"
    assert after["C00195-01"] == before["C00195-01"]
    assert after["C00195-03"] == before["C00195-03"]
    assert stored_codes(settings) == {"C00195-01", "C00195-02", "C00195-03", "C00195-04"}
    assert outcomes(settings, upload_id) == {
        "C00195/C00195-02": ("done", "Posted to netsuite"),
        "C00195/C00195-04": ("done", "Posted to netsuite"),
    }
    data, errors = results_sheet(settings, upload_id, "ship_tos")
    assert {r["Address Code"]: r["Status"] for r in data} == {
        "C00195-01": "unchanged",
        "C00195-02": "posted",
        "C00195-03": "unchanged",
        "C00195-04": "posted",
    }
    assert [e for e in errors if e[1]] == []  # only the summary line

    undo = revert(settings, upload_id, actor="steward")
    assert run(settings).status == "completed"

    restored = address_book(world)
    assert set(restored) == {"C00195-01", "C00195-02", "C00195-03"}
    assert restored["C00195-02"]["address"] == before["C00195-02"]["address"]
    # The lines kept are written back with their internal ids: the same addresses, not copies.
    assert restored["C00195-01"] == before["C00195-01"]
    assert restored["C00195-03"] == before["C00195-03"]
    assert stored_codes(settings) == {"C00195-01", "C00195-02", "C00195-03"}
    assert outcomes(settings, undo) == {
        "C00195/C00195-02": ("done", "Posted to netsuite"),
        "C00195/C00195-04": ("done", "Removed from netsuite"),
    }
    with session_scope(settings.database_url) as session:
        assert session.get(Upload, undo).status == "applied"
        # The revert is revertible too: the removed address would come back as it was.
        again = record_revert(session, session.get(Upload, undo), settings, actor="steward")
        assert (again.status, again.rows) == ("ready", 2)


def test_a_new_address_that_an_open_order_ships_to_is_not_removed_by_revert(
    settings, world, tmp_path
):
    upload_id = submit(settings, "ship_tos", workbook(settings, tmp_path), actor="steward")
    assert run(settings).status == "completed"
    # Meanwhile an order of the customer was moved to the new address.
    with session_scope(settings.database_url) as session:
        session.add(
            Order(
                number="SO-RENO-1", customer_number=CUSTOMER, ship_to_code="C00195-04",
                status="open", currency="USD", source_system="netsuite", source_key="SO-RENO-1",
            )
        )  # fmt: skip

    undo = revert(settings, upload_id, actor="steward")
    assert run(settings).status == "completed"

    assert "C00195-04" in address_book(world)
    assert "C00195-04" in stored_codes(settings)
    status, message = outcomes(settings, undo)["C00195/C00195-04"]
    assert status == "rejected"
    assert "ship-to of open order(s) SO-RENO-1" in message
    assert outcomes(settings, undo)["C00195/C00195-02"][0] == "done"
