"""apply_uploads against the NetSuite simulator: a steward's approved price change reaches the
ERP and the store, the results workbook is marked, revert restores the old price; the same
rows twice post once; a stale change of the same key is refused; a resumed item is not resent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.store import session_scope
from core.store.models import PriceListEntry, RecordError, Upload, UploadRow
from sandbox import SandboxState
from sync_jobs.apply_uploads import ApplyUploads
from sync_jobs.base import RunContext
from templates_xlsx.export import export_workbook
from templates_xlsx.preview import approve, preview, record_revert, record_upload
from tests.sync_jobs.erp_world import (
    CURRENCY,
    LEVEL,
    SKU,
    TODAY,
    netsuite_prices,
    netsuite_world,
    run,
)


@pytest.fixture
def world(settings) -> Iterator[SandboxState]:
    yield from netsuite_world(settings)


def upserts(state: SandboxState) -> int:
    return state.stats()["systems"]["netsuite"]["calls"].get("upsertList", 0)


def price_workbook(settings, tmp_path: Path, name: str, price: str, quantity: int = 1) -> Path:
    """The current price list of the item, downloaded and edited as a steward would."""
    path = tmp_path / name
    export_workbook(settings, "price_list", path, item=SKU)
    book = load_workbook(path)
    sheet = book["price_list"]
    for row in sheet.iter_rows(min_row=2):
        item, level, currency, _, minimum = (c.value for c in row[:5])
        if (level, currency, Decimal(str(minimum))) == (LEVEL, CURRENCY, quantity):
            row[3].value = Decimal(price)
    book.save(path)
    return path


def upload(settings, path: Path, actor: str = "steward", approver: str = "steward2") -> int:
    shown = preview(settings, "price_list", path, today=TODAY)
    assert shown.check.status == "valid", shown.check.to_json()
    with session_scope(settings.database_url) as session:
        recorded = record_upload(
            session, shown, settings, actor=actor, filename=path.name, stored_path=str(path)
        )
        recorded.errors = {**recorded.errors, "sheet": shown.check.sheet, "template": True}
        approve(session, recorded, approver)
        return recorded.id


def stored_price(settings, quantity: int = 1) -> Decimal:
    with session_scope(settings.database_url) as session:
        return session.scalars(
            select(PriceListEntry.unit_price).where(
                PriceListEntry.sku == SKU,
                PriceListEntry.price_level == LEVEL,
                PriceListEntry.currency == CURRENCY,
                PriceListEntry.min_quantity == quantity,
            )
        ).one()


def rows_of(settings, upload_id: int) -> list[tuple[str, str]]:
    with session_scope(settings.database_url) as session:
        rows = session.scalars(select(UploadRow).where(UploadRow.upload_id == upload_id))
        return [(r.status, r.message or "") for r in rows]


def status_of(settings, upload_id: int) -> Upload:
    with session_scope(settings.database_url) as session:
        found = session.get(Upload, upload_id)
        session.expunge(found)
        return found


def test_a_stewards_price_change_reaches_netsuite_and_revert_restores_it(settings, world, tmp_path):
    old = netsuite_prices(world)
    assert old[(CURRENCY, LEVEL, 1)] == Decimal("121.57")
    upload_id = upload(settings, price_workbook(settings, tmp_path, "p.xlsx", "140.00"))

    outcome = run(settings)

    assert outcome.status == "completed", outcome.summary
    new = netsuite_prices(world)
    assert new[(CURRENCY, LEVEL, 1)] == Decimal("140.00")
    # The other quantity breaks and price levels of the item are kept.
    assert {k: v for k, v in new.items() if k != (CURRENCY, LEVEL, 1)} == {
        k: v for k, v in old.items() if k != (CURRENCY, LEVEL, 1)
    }
    assert stored_price(settings) == Decimal("140.00")
    assert rows_of(settings, upload_id) == [("done", "Posted to netsuite")]
    done = status_of(settings, upload_id)
    assert done.status == "applied" and done.result_path
    sheet = load_workbook(done.result_path)["price_list"]
    header = [c.value for c in sheet[1]]
    status_col = header.index("Status")
    marks = {
        (r[1].value, Decimal(str(r[4].value))): r[status_col].value
        for r in sheet.iter_rows(min_row=2)
        if r[0].value
    }
    assert marks[(LEVEL, 1)] == "posted"
    assert set(marks.values()) == {"posted", "unchanged"}

    with session_scope(settings.database_url) as session:
        original = session.get(Upload, upload_id)
        revert = record_revert(session, original, settings, actor="steward")
        assert revert.status == "pending_approval"  # 121.57 from 140 is beyond 10% too
        approve(session, revert, "steward2")
        revert_id = revert.id
    assert run(settings).status == "completed"
    assert netsuite_prices(world)[(CURRENCY, LEVEL, 1)] == Decimal("121.57")
    assert stored_price(settings) == Decimal("121.57")
    assert status_of(settings, revert_id).status == "applied"


def test_the_same_rows_uploaded_twice_post_once(settings, world, tmp_path):
    first = upload(settings, price_workbook(settings, tmp_path, "a.xlsx", "125.00"))
    second = upload(settings, price_workbook(settings, tmp_path, "b.xlsx", "125.00"))
    calls = upserts(world)

    run(settings)
    run(settings)

    assert upserts(world) == calls + 1
    assert rows_of(settings, first) == [("done", "Posted to netsuite")]
    assert rows_of(settings, second) == [("done", f"Already posted with upload {first}.")]
    assert status_of(settings, second).status == "applied"


def test_a_later_upload_checked_before_an_earlier_one_applied_is_refused_not_lost(
    settings, world, tmp_path
):
    early = price_workbook(settings, tmp_path, "early.xlsx", "124.00")
    late = price_workbook(settings, tmp_path, "late.xlsx", "123.00")
    first = upload(settings, early)
    second = upload(settings, late)  # previewed against 121.57, like the first

    outcome = run(settings)

    assert outcome.status == "completed"
    assert netsuite_prices(world)[(CURRENCY, LEVEL, 1)] == Decimal("124.00")
    assert rows_of(settings, first)[0][0] == "done"
    ((status, message),) = rows_of(settings, second)
    assert status == "rejected" and "was 121.57, now 124" in message
    assert status_of(settings, second).status == "partly_applied"
    with session_scope(settings.database_url) as session:
        parked = session.scalars(select(RecordError)).one()
    assert parked.job_id == "apply_uploads" and "upload" in (parked.hint or "")
    sheet = load_workbook(status_of(settings, second).result_path)
    assert "Unit Price changed" in sheet["Errors"]["F2"].value


def test_a_resumed_item_whose_write_landed_is_booked_without_posting_again(
    settings, world, tmp_path
):
    upload_id = upload(settings, price_workbook(settings, tmp_path, "r.xlsx", "130.00"))
    job = ApplyUploads(settings)
    now = datetime.now(timezone.utc)
    ctx = RunContext("apply_uploads", 0, settings, now, now)
    (spec,) = job.plan(ctx)
    assert job.confirm(ctx, spec.business_key, spec.payload) is False
    # The write lands, then the process dies before booking it.
    with session_scope(settings.database_url) as session:
        row = session.get(UploadRow, spec.payload["row_id"])
        change = job._change(session, session.get(Upload, upload_id), row)
    job.connector.upsert(change.entity, change.records)
    calls = upserts(world)

    assert job.confirm(ctx, spec.business_key, spec.payload) is True

    assert upserts(world) == calls
    assert rows_of(settings, upload_id) == [("done", "Posted to netsuite")]
    assert stored_price(settings) == Decimal("130.00")


def test_a_price_from_a_later_day_says_it_is_scheduled_and_todays_says_posted(
    settings, world, tmp_path
):
    path = price_workbook(settings, tmp_path, "s.xlsx", "125.00")
    book = load_workbook(path)
    sheet = book["price_list"]
    header = [c.value for c in sheet[1]]
    today = next(
        row
        for row in sheet.iter_rows(min_row=2)
        if (row[1].value, row[2].value, Decimal(str(row[4].value))) == (LEVEL, CURRENCY, 1)
    )
    later = [c.value for c in today]
    today[header.index("Effective To")].value = date(2026, 12, 31)  # ends where the next starts
    later[header.index("Unit Price")] = Decimal("150.00")
    later[header.index("Effective From")] = date(2027, 1, 1)
    sheet.append(later)
    book.save(path)
    upload_id = upload(settings, path)

    assert run(settings).status == "completed"

    assert sorted(rows_of(settings, upload_id)) == [
        ("done", "Posted to netsuite"),
        (
            "done",
            "Scheduled: effective from 2027-01-01. Kept in Orderbridge; netsuite keeps "
            "today's price until then",
        ),
    ]
    # NetSuite's list has no dates: it takes today's new price, not next year's.
    assert netsuite_prices(world)[(CURRENCY, LEVEL, 1)] == Decimal("125.00")
    with session_scope(settings.database_url) as session:
        dated = session.scalars(
            select(PriceListEntry).where(
                PriceListEntry.sku == SKU, PriceListEntry.effective_from == date(2027, 1, 1)
            )
        ).one()
        assert dated.unit_price == Decimal("150.00")
    data = load_workbook(status_of(settings, upload_id).result_path)["price_list"]
    messages = {
        r[header.index("Effective From")].value: r[-1].value for r in data.iter_rows(min_row=2)
    }
    assert messages[datetime(2027, 1, 1)].startswith("Scheduled: effective from 2027-01-01")
