"""Audit samples are reproducible, recorded, and their review workbook checks against them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.store import session_scope
from core.store.models import AuditLog, Order, OrderLine, Upload, UploadRow
from templates_xlsx.check import check_upload
from templates_xlsx.sampling import choose, draw_sample

START, END = date(2026, 1, 1), date(2026, 1, 31)
SOURCE = {"source_system": "netsuite", "source_key": "x"}


@pytest.fixture
def settings(make_settings, db_url):
    with session_scope(db_url) as session:
        for n in range(40):
            number = f"SO{n:04d}"
            session.add(
                Order(
                    number=number,
                    customer_number=f"C{n % 3}",
                    order_date=START + timedelta(days=n % 40),
                    **SOURCE,
                )
            )
            session.add(
                OrderLine(
                    order_number=number,
                    line_no=1,
                    sku="SKU-1",
                    quantity=Decimal(n + 1),
                    unit_price=Decimal("2.50"),
                )
            )
    return make_settings()


def _records(n: int) -> list[dict]:
    return [{"record": f"R{i:03d}", "customer": f"C{i % 4}", "value": Decimal(i)} for i in range(n)]


def test_the_same_seed_and_data_give_the_same_sample():
    records = _records(100)
    first = choose(records, 10, seed=7)
    assert first == choose(list(reversed(records)), 10, seed=7)
    assert first != choose(records, 10, seed=8)
    assert len(first) == 10


@pytest.mark.parametrize("stratify", ["customer", "value"])
def test_stratified_samples_cover_every_stratum(stratify):
    sample = choose(_records(100), 8, seed=3, stratify=stratify)
    assert len(sample) == 8
    if stratify == "customer":
        assert {r["customer"] for r in sample} == {"C0", "C1", "C2", "C3"}
    else:
        assert min(r["value"] for r in sample) < 25 and max(r["value"] for r in sample) >= 75


def test_draw_records_the_sample_and_writes_the_review_workbook(settings, tmp_path):
    out = tmp_path / "review.xlsx"
    sample = draw_sample(settings, "orders", START, END, 5, seed=11, stratify="customer", out=out)
    again = draw_sample(settings, "orders", START, END, 5, seed=11, stratify="customer")
    assert [r["record"] for r in sample.records] == [r["record"] for r in again.records]
    assert sample.digest == again.digest and sample.id != again.id
    with session_scope(settings.database_url) as session:
        upload = session.get(Upload, sample.id)
        assert upload.kind == "audit_sample" and upload.rows == 5
        assert upload.errors["params"]["seed"] == 11
        rows = session.scalars(select(UploadRow).where(UploadRow.upload_id == sample.id)).all()
        assert len(rows) == 5
        assert session.scalars(select(AuditLog.action)).all() == ["audit.sample", "audit.sample"]
    sheet = load_workbook(out)["audit_review"]
    assert sheet["A2"].value == str(sample.id) and sheet["B2"].value == "order"


def _fill(path, result="pass", **changes):
    book = load_workbook(path)
    sheet = book["audit_review"]
    for row in range(2, sheet.max_row + 1):
        sheet[f"G{row}"] = result
        sheet[f"J{row}"] = "auditor"
        for ref, value in changes.items():
            if ref.endswith(str(row)):
                sheet[ref] = value
    book.save(path)
    return path


def test_a_filled_review_of_a_drawn_sample_is_valid(settings, tmp_path):
    out = tmp_path / "review.xlsx"
    draw_sample(settings, "orders", START, END, 4, seed=2, out=out)
    result = check_upload(settings, "audit_review", _fill(out))
    assert result.status == "valid", result.to_json()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"F2": 999999}, "sample_altered"),
        ({"C2": "SO9999"}, "not_in_sample"),
        ({"A2": "777", "A3": "777", "A4": "777", "A5": "777"}, "unknown_sample"),
        ({"G2": "fail"}, "finding_required"),
    ],
)
def test_an_altered_review_is_refused_by_cell(settings, tmp_path, changes, code):
    out = tmp_path / "review.xlsx"
    draw_sample(settings, "orders", START, END, 4, seed=2, out=out)
    result = check_upload(settings, "audit_review", _fill(out, **changes))
    assert code in {e.code for e in result.errors}, result.to_json()


def test_a_tampered_stored_sample_is_noticed(settings, tmp_path):
    out = tmp_path / "review.xlsx"
    sample = draw_sample(settings, "orders", START, END, 4, seed=2, out=out)
    with session_scope(settings.database_url) as session:
        row = session.scalars(select(UploadRow).where(UploadRow.upload_id == sample.id)).first()
        row.payload = {**row.payload, "value": "0.00"}
    result = check_upload(settings, "audit_review", _fill(out))
    assert "sample_altered" in {e.code for e in result.errors}
