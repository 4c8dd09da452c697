"""The Uploads pages end to end: a steward downloads the price list, changes a price, uploads,
sees the diff and an approval request; a second steward approves (the uploader cannot); the
apply_uploads job posts it to the NetSuite simulator; the results workbook comes back marked;
revert restores the old price. Also: errors named by row and column, fix and upload again,
the size limit, refused files, the same rows twice, and who may do what."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from core.store import session_scope
from core.store.models import AuditLog, Upload
from tests.sync_jobs.erp_world import CURRENCY, LEVEL, SKU, netsuite_prices, run
from tests.web.helpers import csrf_token, sign_in


def signed_in(app, role: str):
    client = app.test_client()
    assert sign_in(client, role).status_code == 302
    return client


def download(client, url: str) -> io.BytesIO:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return io.BytesIO(response.data)


def edit_price(data: io.BytesIO, price: str | None, *, quantity: int = 1) -> bytes:
    book = load_workbook(data)
    sheet = book["price_list"]
    for row in sheet.iter_rows(min_row=2):
        if (row[1].value, row[2].value, Decimal(str(row[4].value))) == (LEVEL, CURRENCY, quantity):
            row[3].value = Decimal(price) if price is not None else "twelve"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def send(client, kind: str, data: bytes, name: str = "prices.xlsx"):
    form = {"csrf_token": csrf_token(client), "file": (io.BytesIO(data), name)}
    return client.post(f"/uploads/{kind}", data=form, content_type="multipart/form-data")


def upload_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(re.search(r"/uploads/(\d+)$", response.location).group(1))


def post(client, url: str):
    return client.post(url, data={"csrf_token": csrf_token(client)}, follow_redirects=True)


def page(client, number: int) -> str:
    return client.get(f"/uploads/{number}").get_data(as_text=True)


def status(db_url: str, number: int) -> str:
    with session_scope(db_url) as session:
        return session.get(Upload, number).status


def test_a_steward_changes_a_price_a_second_steward_approves_and_revert_restores_it(
    app, steward2, world, db_url, settings
):
    steward = signed_in(app, "steward")
    current = download(steward, f"/uploads/current/price_list?item={SKU}")
    number = upload_id(send(steward, "price_list", edit_price(current, "140.00")))

    shown = page(steward, number)
    assert "Approval requested" in shown and "a second steward must approve" in shown
    assert "121.57" in shown and "140" in shown and "Unit Price" in shown
    assert "you cannot approve your own upload" in shown
    refused = post(steward, f"/uploads/{number}/approve").get_data(as_text=True)
    assert "cannot approve it" in refused and status(db_url, number) == "pending_approval"

    approved = post(steward2, f"/uploads/{number}/approve").get_data(as_text=True)
    assert "approved; its rows are being posted" in approved
    assert 'http-equiv="refresh"' in approved  # progress while the job runs
    assert run(settings).status == "completed"

    assert netsuite_prices(world)[(CURRENCY, LEVEL, 1)] == Decimal("140.00")
    done = page(steward, number)
    assert "1</strong> posted" in done and 'http-equiv="refresh"' not in done
    results = load_workbook(download(steward, f"/uploads/{number}/results"))["price_list"]
    header = [c.value for c in results[1]]
    marks = [r[header.index("Status")].value for r in results.iter_rows(min_row=2) if r[0].value]
    assert marks.count("posted") == 1 and set(marks) == {"posted", "unchanged"}

    reverted = post(steward, f"/uploads/{number}/revert")
    assert "waits for a second approval" in reverted.get_data(as_text=True)
    revert_number = int(re.search(r"/uploads/(\d+)$", reverted.request.path).group(1))
    assert "140" in page(steward2, revert_number) and "121.57" in page(steward2, revert_number)
    post(steward2, f"/uploads/{revert_number}/approve")
    assert run(settings).status == "completed"
    assert netsuite_prices(world)[(CURRENCY, LEVEL, 1)] == Decimal("121.57")
    assert status(db_url, revert_number) == "applied"
    with session_scope(db_url) as session:
        actions = set(session.scalars(select(AuditLog.action)))
    assert {"upload.record", "upload.approve", "upload.post", "upload.revert"} <= actions


def test_errors_are_named_by_row_and_column_and_the_fixed_results_workbook_uploads(
    app, world, db_url
):
    steward = signed_in(app, "steward")
    current = download(steward, f"/uploads/current/price_list?item={SKU}")
    bad = upload_id(send(steward, "price_list", edit_price(current, None)))

    shown = page(steward, bad)
    assert status(db_url, bad) == "invalid" and "Nothing was applied" in shown
    assert "price_list" in shown and "Unit Price" in shown and "<code>D" in shown
    marked = load_workbook(download(steward, f"/uploads/{bad}/results"))
    assert list(marked["Errors"].iter_rows(min_row=2, values_only=True))[0][2] == "Unit Price"

    sheet = marked["price_list"]
    for row in sheet.iter_rows(min_row=2):
        if row[3].value == "twelve":
            row[3].value = Decimal("125.00")
    fixed = io.BytesIO()
    marked.save(fixed)
    good = upload_id(send(steward, "price_list", fixed.getvalue(), "prices-results.xlsx"))
    assert status(db_url, good) == "ready"  # 2.8%: within the approval threshold
    assert "125" in page(steward, good)


def test_a_small_change_needs_no_second_person_and_the_uploader_submits_it(
    app, world, db_url, settings
):
    steward = signed_in(app, "steward")
    current = download(steward, f"/uploads/current/price_list?item={SKU}")
    number = upload_id(send(steward, "price_list", edit_price(current, "122.00")))
    assert status(db_url, number) == "ready" and "Submit 1 change" in page(steward, number)
    post(steward, f"/uploads/{number}/submit")
    assert status(db_url, number) == "approved"
    shown = page(steward, number)
    assert "Submitted — no approval needed" in shown and "Approved" not in shown
    assert "submitted by steward, no approval needed" in steward.get("/uploads").get_data(
        as_text=True
    )
    with session_scope(db_url) as session:
        logged = select(AuditLog.action).where(AuditLog.entity_key == str(number))
        actions = set(session.scalars(logged))
    assert "upload.submit" in actions and "upload.approve" not in actions
    run(settings)
    assert netsuite_prices(world)[(CURRENCY, LEVEL, 1)] == Decimal("122.00")


def test_the_same_rows_uploaded_twice_are_one_upload(app, world, db_url):
    steward = signed_in(app, "steward")
    data = edit_price(download(steward, f"/uploads/current/price_list?item={SKU}"), "140.00")
    first = upload_id(send(steward, "price_list", data))
    again = send(steward, "price_list", data, "copy.xlsx")
    assert upload_id(again) == first
    assert "already uploaded as upload" in page(steward, first)


def test_a_workbook_over_the_size_limit_is_refused_and_not_kept(make_settings, world, tmp_path):
    from core.users import ensure_demo_users
    from web import create_app

    settings = make_settings(uploads__max_bytes=2000)
    with session_scope(settings.database_url) as session:
        ensure_demo_users(session)
    steward = signed_in(create_app(settings), "steward")
    answer = send(steward, "price_list", b"x" * 5000)
    assert answer.status_code == 302 and answer.location.endswith("/uploads")
    assert "too large" in steward.get("/uploads").get_data(as_text=True)
    assert not list((Path(settings.data_path) / "uploads" / "files").glob("*"))


def test_a_file_that_is_not_a_workbook_is_refused_and_deleted(app, db_url, settings):
    steward = signed_in(app, "steward")
    number = upload_id(send(steward, "price_list", b"not a zip at all", "evil.xlsx"))
    assert status(db_url, number) == "refused"
    assert "was refused" in page(steward, number)
    assert not list((Path(settings.data_path) / "uploads" / "files").glob("*"))


def test_kinds_belong_to_their_role(app, db_url):
    coordinator = signed_in(app, "coordinator")
    index = coordinator.get("/uploads").get_data(as_text=True)
    assert "Order changes" in index and "Price list" not in index
    answer = send(coordinator, "price_list", b"whatever")
    assert answer.status_code == 302 and answer.location.endswith("/uploads")
    assert "uploaded by a steward" in coordinator.get("/uploads").get_data(as_text=True)
    template = download(coordinator, "/uploads/templates/order_changes")
    assert "order_changes" in load_workbook(template).sheetnames
    assert signed_in(app, "finance").get("/uploads").status_code == 403
    admin = signed_in(app, "admin").get("/uploads").get_data(as_text=True)
    assert "Price list" in admin and "Upload a filled workbook" not in admin


def test_an_upload_waiting_for_approval_says_who_must_approve_it(app, steward2, world, db_url):
    steward = signed_in(app, "steward")
    current = download(steward, f"/uploads/current/price_list?item={SKU}")
    number = upload_id(send(steward, "price_list", edit_price(current, "140.00")))
    waits = "waits for a steward other than steward"

    listed = steward.get("/uploads").get_data(as_text=True)
    row = re.search(rf'<tr id="upload-{number}">.*?</tr>', listed, re.S).group(0)
    assert "pending approval" in row and waits in row
    assert f"This upload {waits}." in page(steward2, number)

    post(steward2, f"/uploads/{number}/approve")
    assert waits not in page(steward, number) and waits not in steward.get("/uploads").get_data(
        as_text=True
    )
