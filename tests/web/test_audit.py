"""The Audit pages: an auditor draws a reproducible sample, downloads its review workbook,
uploads the filled review as evidence, and sees the open findings on the home page."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.store import session_scope
from core.store.models import Order, OrderLine, Upload, UploadRow
from tests.web.helpers import csrf_token, sign_in

START = date(2026, 1, 1)
SOURCE = {"source_system": "netsuite", "source_key": "x"}


@pytest.fixture
def orders(db_url):
    with session_scope(db_url) as session:
        for n in range(30):
            number = f"SO{n:04d}"
            session.add(
                Order(number=number, customer_number=f"C{n % 3}",
                      order_date=START + timedelta(days=n), **SOURCE)
            )  # fmt: skip
            session.add(
                OrderLine(order_number=number, line_no=1, sku="SKU-1",
                          quantity=Decimal(n + 1), unit_price=Decimal("2.50"))
            )  # fmt: skip


@pytest.fixture
def auditor(app, orders):
    client = app.test_client()
    assert sign_in(client, "auditor").status_code == 302
    return client


def draw(client, seed: int = 7) -> int:
    form = {
        "csrf_token": csrf_token(client),
        "population": "orders",
        "date_from": "2026-01-01",
        "date_to": "2026-01-31",
        "size": "5",
        "seed": str(seed),
        "stratify": "customer",
    }
    answer = client.post("/audit/samples", data=form)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:400]
    return int(re.search(r"/audit/samples/(\d+)$", answer.location).group(1))


def drawn(db_url: str, sample_id: int) -> list[str]:
    with session_scope(db_url) as session:
        query = select(UploadRow.business_key).where(UploadRow.upload_id == sample_id)
        return sorted(session.scalars(query))


def test_the_same_seed_draws_the_same_sample_and_it_is_recorded(auditor, db_url):
    first, again, other = draw(auditor), draw(auditor), draw(auditor, seed=8)
    assert drawn(db_url, first) == drawn(db_url, again) != drawn(db_url, other)
    assert len(drawn(db_url, first)) == 5
    page = auditor.get(f"/audit/samples/{first}").get_data(as_text=True)
    assert "seed 7" in page and "stratified by customer" in page
    assert all(record in page for record in drawn(db_url, first))


def test_a_filled_review_is_kept_as_evidence_and_its_findings_reach_the_home_page(auditor, db_url):
    sample_id = draw(auditor)
    workbook = load_workbook(io.BytesIO(auditor.get(f"/audit/samples/{sample_id}/workbook").data))
    sheet = workbook["audit_review"]
    header = [c.value.rstrip(" *") if c.value else c.value for c in sheet[1]]
    column = {name: header.index(name) for name in ("Result", "Finding Category", "Reviewer")}
    failed = None
    for n, row in enumerate(sheet.iter_rows(min_row=2)):
        row[column["Result"]].value = "fail" if n == 0 else "pass"
        row[column["Reviewer"]].value = "Ann Auditor"
        if n == 0:
            row[column["Finding Category"]].value = "price mismatch"
            failed = row[header.index("Record")].value
    data = io.BytesIO()
    workbook.save(data)
    form = {"csrf_token": csrf_token(auditor), "file": (io.BytesIO(data.getvalue()), "rev.xlsx")}
    answer = auditor.post(
        f"/audit/samples/{sample_id}/review", data=form, content_type="multipart/form-data"
    )
    assert answer.status_code == 302
    with session_scope(db_url) as session:
        evidence = session.scalars(select(Upload).where(Upload.kind == "audit_review")).one()
        assert evidence.status == "evidence" and evidence.stored_path
        finding = session.scalars(select(UploadRow).where(UploadRow.status == "open")).one()
        finding_id = finding.id
    assert finding.business_key == failed
    home = auditor.get("/").get_data(as_text=True)
    assert "Open audit findings" in home and failed in home and "price mismatch" in home

    closed = auditor.post(
        f"/audit/findings/{finding_id}/close",
        data={"csrf_token": csrf_token(auditor), "comment": "credit note issued"},
    )
    assert closed.status_code == 302
    assert failed not in auditor.get("/").get_data(as_text=True).split("Open audit findings")[1]


def test_a_review_with_an_altered_sample_is_not_evidence(auditor, db_url):
    sample_id = draw(auditor)
    workbook = load_workbook(io.BytesIO(auditor.get(f"/audit/samples/{sample_id}/workbook").data))
    sheet = workbook["audit_review"]
    for row in sheet.iter_rows(min_row=2):
        row[6].value, row[9].value = "pass", "Ann"
    sheet["F2"].value = Decimal("999999")  # the drawn value, changed
    data = io.BytesIO()
    workbook.save(data)
    form = {"csrf_token": csrf_token(auditor), "file": (io.BytesIO(data.getvalue()), "rev.xlsx")}
    auditor.post(
        f"/audit/samples/{sample_id}/review", data=form, content_type="multipart/form-data"
    )
    page = auditor.get(f"/audit/samples/{sample_id}").get_data(as_text=True)
    assert "invalid" in page and "put it back" in page
    with session_scope(db_url) as session:
        assert session.scalars(select(UploadRow).where(UploadRow.status == "open")).all() == []


def test_only_auditors_draw_and_admins_read(app, orders):
    admin = app.test_client()
    assert sign_in(admin, "admin").status_code == 302
    page = admin.get("/audit").get_data(as_text=True)
    assert "Samples drawn" in page and "Draw a sample" not in page
    steward = app.test_client()
    assert sign_in(steward, "steward").status_code == 302
    assert steward.get("/audit").status_code == 403
