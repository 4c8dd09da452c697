"""The error queue: list and filters, edit and retry through the work item, resolve with a
comment, assign, bulk actions, scopes of the read-only roles, and escaping."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.errors import RecordRejectedError
from core.store import session_scope
from core.store.models import AuditLog, RecordError, WorkItem
from sync_jobs.errorqueue import park, resolve_on_success
from tests.sync_jobs.erp_world import CURRENCY, LEVEL, SKU, netsuite_prices, netsuite_world
from tests.sync_jobs.erp_world import run as run_job
from tests.sync_jobs.test_apply_uploads import price_workbook, rows_of, upload
from tests.web.helpers import add_job, add_run, csrf_token, now
from tests.web.queue_helpers import as_role, post
from tests.web.test_browser import ARGS, CHROMIUM, served  # noqa: F401 (served is a fixture)

PAYLOAD = {"order": "SO-1001", "ship_to": "ZZ", "lines": [{"sku": "0042", "qty": 3}]}


def reject(db_url: str, key: str = "SO-1001", job_id: str = "sync_orders", **fields) -> int:
    """What the runner leaves behind for a rejected record: a rejected work item and an error."""
    payload = fields.pop("payload", PAYLOAD)
    with session_scope(db_url) as session:
        session.add(
            WorkItem(
                job_id=job_id, business_key=key, payload=payload, status="rejected", attempts=1
            )
        )
        values = {
            "error_class": "value",
            "code": "INVALID_SHIPTO",
            "message": "Ship-to code ZZ is unknown",
            "hint": "add the ship-to in the ERP or fix the order's ship-to",
            "system": "netsuite",
        }
        values.update(fields)
        error = RecordError(job_id=job_id, business_key=key, payload=payload, **values)
        session.add(error)
        session.flush()
        return error.id


def audit_rows(db_url: str, action: str) -> list[AuditLog]:
    with session_scope(db_url) as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action == action))
        return [(row.actor, row.entity_key, row.before, row.after) for row in rows]


def item_of(db_url: str, key: str = "SO-1001") -> tuple[str, object, int]:
    with session_scope(db_url) as session:
        item = session.scalars(select(WorkItem).where(WorkItem.business_key == key)).one()
        return item.status, item.payload, item.attempts


def error_row(db_url: str, error_id: int) -> RecordError:
    with session_scope(db_url) as session:
        error = session.get(RecordError, error_id)
        session.expunge(error)
        return error


def test_the_list_shows_errors_with_hint_counts_and_filters(client, db_url):
    reject(db_url, "SO-1001")
    reject(db_url, "SO-1002", error_class="missing", message="Item 0042 does not exist")
    reject(db_url, "CU-9", job_id="pull_master_data", message="Customer CU-9 has no terms")
    page = as_role(client, "coordinator").get("/errors").get_data(as_text=True)
    assert "SO-1001" in page and "add the ship-to in the ERP" in page and "CU-9" in page
    assert "3 errors open" in page
    filtered = client.get("/errors?job=sync_orders&class=missing").get_data(as_text=True)
    assert "SO-1002" in filtered and "SO-1001" not in filtered and "CU-9" not in filtered


def test_the_age_and_owner_filters(client, db_url):
    reject(db_url, "SO-OLD", first_seen=now() - timedelta(days=9), owner="admin")
    reject(db_url, "SO-NEW")
    as_role(client, "coordinator")
    old = client.get("/errors?age=older").get_data(as_text=True)
    assert "SO-OLD" in old and "SO-NEW" not in old
    assert "over 7 days" in old
    new = client.get("/errors?age=1h").get_data(as_text=True)
    assert "SO-NEW" in new and "SO-OLD" not in new
    nobody = client.get("/errors?owner=none").get_data(as_text=True)
    assert "SO-NEW" in nobody and "SO-OLD" not in nobody


def test_edit_and_retry_sets_the_work_item_back_to_pending_with_the_new_payload(client, db_url):
    add_job(db_url, "sync_orders")
    error_id = reject(db_url)
    fixed = {**PAYLOAD, "ship_to": "MAIN"}
    as_role(client, "coordinator")
    response = post(
        client,
        f"/errors/{error_id}/payload",
        payload='{"ship_to": "MAIN", "order": "SO-1001", "lines": [{"sku": "0042", "qty": 3}]}',
    )
    assert response.status_code == 302
    assert item_of(db_url) == ("pending", fixed, 0)
    error = error_row(db_url, error_id)
    assert error.payload == fixed and error.status == "open"
    [(actor, key, before, after)] = audit_rows(db_url, "record_error_edited_retried")
    assert (actor, key) == ("coordinator", str(error_id))
    assert before["payload"] == PAYLOAD and before["work_item_status"] == "rejected"
    assert after["payload"] == fixed and after["work_item_status"] == "pending"
    page = client.get(f"/errors/{error_id}").get_data(as_text=True)
    assert "Waiting for the next run of <code>sync_orders</code>" in page


def test_a_payload_that_is_not_json_is_refused_and_kept_in_the_form(client, db_url):
    error_id = reject(db_url)
    as_role(client, "coordinator")
    response = post(client, f"/errors/{error_id}/payload", payload='{"ship_to": MAIN}')
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "not valid JSON (line 1, column 13)" in page
    assert "{&#34;ship_to&#34;: MAIN}" in page
    assert item_of(db_url)[0] == "rejected"
    assert audit_rows(db_url, "record_error_edited_retried") == []


def test_an_upload_row_payload_is_not_edited_in_the_queue(client, db_url):
    payload = {"upload": 7, "row": 12, "set": {"unit_price": "140.00"}}
    error_id = reject(db_url, "price_list:7:12", job_id="apply_uploads", payload=payload)
    as_role(client, "coordinator")
    edited = '{"upload": 7, "row": 12, "set": {"unit_price": "1.00"}}'
    page = post(client, f"/errors/{error_id}/payload", payload=edited).get_data(as_text=True)
    assert "uploading its workbook again" in page
    assert item_of(db_url, "price_list:7:12") == ("rejected", payload, 1)
    assert audit_rows(db_url, "record_error_edited_retried") == []


def test_retry_as_it_is_and_not_twice(client, db_url):
    error_id = reject(db_url)
    as_role(client, "admin")
    post(client, f"/errors/{error_id}/retry")
    assert item_of(db_url)[:2] == ("pending", PAYLOAD)
    [(_, _, before, after)] = audit_rows(db_url, "record_error_retried")
    assert (before["work_item_status"], after["work_item_status"]) == ("rejected", "pending")
    response = post(client, f"/errors/{error_id}/retry")
    follow = client.get(response.location).get_data(as_text=True)
    assert "already waiting for the next run of sync_orders" in follow
    assert len(audit_rows(db_url, "record_error_retried")) == 1


def test_an_error_refused_inside_a_batch_cannot_be_retried_from_here(client, db_url):
    with session_scope(db_url) as session:
        session.add(
            RecordError(
                job_id="sync_orders", business_key="SO-77", error_class="value", message="bad"
            )
        )
        session.flush()
        error_id = session.scalars(select(RecordError.id)).one()
    as_role(client, "coordinator")
    page = client.get(f"/errors/{error_id}").get_data(as_text=True)
    assert "refused inside a batch" in page and "Save and retry" not in page
    post(client, f"/errors/{error_id}/retry")
    assert audit_rows(db_url, "record_error_retried") == []


def test_resolve_needs_a_comment(client, db_url):
    error_id = reject(db_url)
    as_role(client, "coordinator")
    response = post(client, f"/errors/{error_id}/resolve", comment="   ")
    assert "Say in a comment" in client.get(response.location).get_data(as_text=True)
    assert error_row(db_url, error_id).status == "open"
    post(client, f"/errors/{error_id}/resolve", comment="ship-to added in NetSuite")
    error = error_row(db_url, error_id)
    assert (error.status, error.resolved_by, error.comment) == (
        "resolved",
        "coordinator",
        "ship-to added in NetSuite",
    )
    [(_, _, before, after)] = audit_rows(db_url, "record_error_resolved")
    assert before == {"status": "open", "comment": None, "owner": None}
    assert after == {"status": "resolved", "comment": "ship-to added in NetSuite", "owner": None}


def test_a_resolved_error_that_the_runner_reopens_shows_again(client, db_url):
    run_id = add_run(db_url, "sync_orders")
    error_id = reject(db_url)
    as_role(client, "coordinator")
    post(client, f"/errors/{error_id}/resolve", comment="thought it was fixed")
    assert "SO-1001" not in client.get("/errors").get_data(as_text=True)
    with session_scope(db_url) as session:
        exc = RecordRejectedError("Ship-to code ZZ is still unknown", system="netsuite")
        park(session, "sync_orders", run_id, "SO-1001", PAYLOAD, exc)
    page = client.get("/errors").get_data(as_text=True)
    assert "SO-1001" in page and "1 error open" in page
    with session_scope(db_url) as session:
        reopened = session.scalars(select(RecordError).where(RecordError.status == "open")).one()
        reopened_id = reopened.id
    detail = client.get(f"/errors/{reopened_id}").get_data(as_text=True)
    assert "thought it was fixed" in detail  # the earlier entry is listed beside it


def test_a_repeat_that_succeeds_resolves_itself_and_leaves_the_list(client, db_url):
    reject(db_url)
    with session_scope(db_url) as session:
        resolve_on_success(session, "sync_orders", "SO-1001")
    as_role(client, "coordinator")
    assert "SO-1001" not in client.get("/errors").get_data(as_text=True)
    assert "resolved by a later successful run" not in client.get("/errors").get_data(as_text=True)
    assert "SO-1001" in client.get("/errors?status=resolved").get_data(as_text=True)


def test_assign_to_someone_who_may_act_and_audit_it(client, db_url):
    error_id = reject(db_url)
    as_role(client, "coordinator")
    post(client, f"/errors/{error_id}/assign", owner="finance")
    assert error_row(db_url, error_id).owner is None  # finance cannot act on the queue
    post(client, f"/errors/{error_id}/assign", owner="admin")
    assert error_row(db_url, error_id).owner == "admin"
    assert audit_rows(db_url, "record_error_assigned") == [
        ("coordinator", str(error_id), {"owner": None}, {"owner": "admin"})
    ]
    page = client.get(f"/errors/{error_id}").get_data(as_text=True)
    assert '<option value="finance"' not in page and '<option value="admin" selected' in page


def test_bulk_retry_and_resolve(client, db_url):
    first, second = reject(db_url, "SO-1"), reject(db_url, "SO-2")
    as_role(client, "admin")
    response = post(client, "/errors/bulk", action="retry", ids=[str(first), str(second)])
    assert "Retried 2 of 2" in client.get(response.location).get_data(as_text=True)
    assert item_of(db_url, "SO-1")[0] == item_of(db_url, "SO-2")[0] == "pending"
    response = post(client, "/errors/bulk", action="resolve", ids=[str(first)])
    assert "Say in a comment" in client.get(response.location).get_data(as_text=True)
    post(client, "/errors/bulk", action="resolve", ids=[str(first), str(second)], comment="dup")
    assert error_row(db_url, first).status == error_row(db_url, second).status == "resolved"
    assert len(audit_rows(db_url, "record_error_resolved")) == 2


def test_a_payload_with_a_script_shows_as_text(client, db_url):
    evil = "<script>alert(1)</script>"
    error_id = reject(db_url, evil, payload={"note": evil}, message=evil, hint=evil, owner=evil)
    as_role(client, "coordinator")
    for url in ("/errors", f"/errors/{error_id}", "/errors?status=all&owner=" + evil, "/"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_read_only_roles_see_only_their_jobs_and_no_actions(client, db_url):
    orders = reject(db_url, "SO-1")
    reject(db_url, "INV-1", job_id="sync_invoices")
    prices = reject(db_url, "PL-1", job_id="push_price_list")
    as_role(client, "finance")
    page = client.get("/errors").get_data(as_text=True)
    assert "INV-1" in page and "SO-1" not in page and "PL-1" not in page
    assert 'name="ids"' not in page
    assert client.get(f"/errors/{orders}").status_code == 404
    detail = client.get(f"/errors/{prices}")
    assert detail.status_code == 404
    assert post(client, f"/errors/{orders}/retry").status_code == 403


def test_a_steward_reads_why_an_upload_row_was_refused(client, db_url):
    reject(db_url, "SO-1")
    row = reject(db_url, "price_list:7:12", job_id="apply_uploads", message="Price refused")
    as_role(client, "steward")
    page = client.get("/errors").get_data(as_text=True)
    assert "price_list:7:12" in page and "SO-1" not in page
    assert client.get(f"/errors/{row}").status_code == 200
    assert post(client, f"/errors/{row}/retry").status_code == 403  # reads, does not act


def test_the_api_lists_retries_with_a_new_payload_resolves_and_assigns(app, client, db_url):
    error_id = reject(db_url)
    as_role(client, "coordinator")
    headers = {"X-CSRFToken": csrf_token(client)}
    listed = client.get("/api/errors?job=sync_orders").get_json()
    assert listed["total"] == 1 and listed["items"][0]["hint"].startswith("add the ship-to")
    assert "payload" not in listed["items"][0]
    assert client.get(f"/api/errors/{error_id}").get_json()["payload"] == PAYLOAD
    fixed = {**PAYLOAD, "ship_to": "MAIN"}
    answer = client.post(f"/api/errors/{error_id}/retry", json={"payload": fixed}, headers=headers)
    assert answer.status_code == 200 and answer.get_json()["retry_waiting"] is True
    assert item_of(db_url)[:2] == ("pending", fixed)
    again = client.post(f"/api/errors/{error_id}/retry", headers=headers)
    assert again.status_code == 409 and "already waiting" in again.get_json()["error"]
    assert (
        client.post(f"/api/errors/{error_id}/resolve", json={}, headers=headers).status_code == 400
    )
    assigned = client.post(
        f"/api/errors/{error_id}/assign", json={"owner": "admin"}, headers=headers
    )
    assert assigned.get_json()["owner"] == "admin"
    done = client.post(f"/api/errors/{error_id}/resolve", json={"comment": "ok"}, headers=headers)
    assert done.get_json()["status"] == "resolved"
    assert client.post(f"/api/errors/{error_id}/resolve", json={"comment": "ok"}).status_code == 400
    assert len(audit_rows(db_url, "record_error_edited_retried")) == 1


def test_the_api_keeps_the_read_only_roles_read_only(client, db_url):
    error_id = reject(db_url, "INV-1", job_id="sync_invoices")
    as_role(client, "finance")
    assert client.get("/api/errors").get_json()["total"] == 1
    headers = {"X-CSRFToken": csrf_token(client)}
    assert client.post(f"/api/errors/{error_id}/retry", headers=headers).status_code == 403


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
def test_a_coordinator_edits_a_payload_in_the_browser_and_retries_another(served, db_url):  # noqa: F811
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    add_job(db_url, "sync_orders")
    edited, as_is = reject(db_url, "SO-1"), reject(db_url, "SO-2")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            page = browser.new_page()
            page.goto(served + "/login")
            page.fill("#username", "coordinator")
            page.fill("#password", "demo")
            page.click("button[type=submit]")
            page.click("nav >> text=Error queue")
            page.click("text=SO-1")
            page.wait_for_url(f"{served}/errors/{edited}")
            page.fill("#payload", '{"order": "SO-1", "ship_to": "MAIN"}')
            page.click("button:has-text('Save and retry')")
            assert page.locator(".flash", has_text="waits for the next run").is_visible()
            assert page.locator(".flash", has_text="Waiting for the next run of").is_visible()
            page.goto(f"{served}/errors/{as_is}")
            page.click("button:has-text('Retry as it is')")
            assert page.locator(".flash", has_text="Retry queued").is_visible()
        finally:
            browser.close()
    assert item_of(db_url, "SO-1")[:2] == ("pending", {"order": "SO-1", "ship_to": "MAIN"})
    assert item_of(db_url, "SO-2")[:2] == ("pending", PAYLOAD)


@pytest.fixture
def erp(settings):
    """The NetSuite simulator, and the store filled from it."""
    yield from netsuite_world(settings)


@pytest.mark.parametrize("way", ["portal", "api"])
def test_a_refused_upload_row_retried_from_the_queue_is_posted_by_the_next_run(
    app, client, settings, erp, tmp_path, way
):
    erp.set_fault("netsuite", "partial_batch", external_ids=[SKU], code="USER_ERROR", times=1)
    upload_id = upload(settings, price_workbook(settings, tmp_path, "p.xlsx", "140.00"))
    assert run_job(settings).status == "completed"
    assert rows_of(settings, upload_id)[0][0] == "rejected"
    with session_scope(settings.database_url) as session:
        error_id = session.scalars(select(RecordError.id)).one()
    as_role(client, "coordinator")
    if way == "portal":
        assert post(client, f"/errors/{error_id}/retry").status_code == 302
    else:
        headers = {"X-CSRFToken": csrf_token(client)}
        answer = client.post(f"/api/errors/{error_id}/retry", headers=headers)
        assert answer.status_code == 200 and answer.get_json()["retry_waiting"] is True

    assert run_job(settings).status == "completed"

    assert netsuite_prices(erp)[(CURRENCY, LEVEL, 1)] == Decimal("140.00")
    assert rows_of(settings, upload_id) == [("done", "Posted to netsuite")]
    assert error_row(settings.database_url, error_id).status == "resolved"
