"""The NetSuite simulator behind the connectors, and the store filled from it by
pull_master_data, for tests of jobs and pages that post to the ERP; and uploads checked,
approved and reverted as the portal does them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from core import http
from core.store import session_scope
from core.store.models import Upload, UploadRow
from sandbox import SandboxAdapter, SandboxState
from sandbox.cli import state_path
from sync_jobs.base import Clock
from sync_jobs.leases import utcnow
from sync_jobs.runner import Runner, create_run
from templates_xlsx.preview import approve, preview, record_revert, record_upload
from tests.sync_jobs.flows import Flows, make_flows

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


def sap_world(make_settings) -> Iterator[Flows]:
    """A seeded sandbox with SAP as the ERP; the store filled with its master data and orders."""
    for flows in make_flows(make_settings, erp="sap"):
        assert flows.run("pull_master_data").status == "completed"
        assert flows.run("sync_orders").status == "completed"
        yield flows


def run(settings, job_id: str = "apply_uploads", clock: Clock | None = None):
    run_id = create_run(settings.database_url, job_id, utcnow())
    return Runner(settings, clock=clock).execute(run_id)


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


def submit(settings, kind: str, path, *, actor: str, approver: str | None = None) -> int:
    """Check, record and approve an upload as the portal does; its id. The uploader submits
    it themselves when the kind's rule asks no second person (approver None)."""
    shown = preview(settings, kind, path, today=TODAY)
    assert shown.check.status == "valid", shown.check.to_json()
    with session_scope(settings.database_url) as session:
        recorded = record_upload(
            session, shown, settings, actor=actor, filename=path.name, stored_path=str(path)
        )
        recorded.errors = {**recorded.errors, "sheet": shown.check.sheet, "template": True}
        approve(session, recorded, approver or actor)
        return recorded.id


def revert(settings, upload_id: int, *, actor: str, approver: str | None = None) -> int:
    """Record the revert of an applied upload and approve it under the kind's rule; its id."""
    with session_scope(settings.database_url) as session:
        undo = record_revert(session, session.get(Upload, upload_id), settings, actor=actor)
        approve(session, undo, approver or actor)
        return undo.id


def outcomes(settings, upload_id: int) -> dict[str, tuple[str, str]]:
    """business key -> (status, message) of each row of an upload."""
    with session_scope(settings.database_url) as session:
        rows = session.scalars(select(UploadRow).where(UploadRow.upload_id == upload_id))
        return {r.business_key: (r.status, r.message or "") for r in rows}


def results_sheet(settings, upload_id: int, sheet: str) -> tuple[list[dict], list[list]]:
    """The results workbook of an upload: its data rows as {header: value}, and the rows of
    its Errors sheet."""
    with session_scope(settings.database_url) as session:
        path = session.get(Upload, upload_id).result_path
    assert path, f"upload {upload_id} has no results workbook"
    book = load_workbook(path)
    data = book[sheet]
    header = [c.value for c in data[1]]
    rows = [
        dict(zip(header, (c.value for c in row), strict=False)) for row in data.iter_rows(min_row=2)
    ]
    errors = [[c.value for c in row] for row in book["Errors"].iter_rows(min_row=2)]
    return [r for r in rows if any(v is not None for v in r.values())], errors
