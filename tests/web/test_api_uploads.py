"""The uploads JSON API does what the Uploads pages do, for scripts: a token uploads a price
change and its rows are recorded with the diff; an invalid workbook answers 422 naming each
cell; a second steward approves and the job posts it; the uploader's own approval, other
roles and a session without the CSRF header are refused; results and revert work."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.store import session_scope
from core.store.models import AuditLog, JobCommand, Upload, UploadRow
from core.users import ensure_demo_users
from tests.sync_jobs.erp_world import CURRENCY, LEVEL, SKU, netsuite_prices, run
from tests.web.helpers import csrf_token
from tests.web.test_api import bearer, create_token
from tests.web.test_uploads import edit_price, signed_in, status

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def script(app):
    """A client with no session, as a script would be, and the steward's token."""
    token = create_token(signed_in(app, "steward"))
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def current_prices(client) -> io.BytesIO:
    response = client.get(f"/api/uploads/current/price_list?item={SKU}")
    assert response.status_code == 200 and response.mimetype == XLSX
    return io.BytesIO(response.data)


def send(client, data: bytes, name: str = "prices.xlsx", kind: str = "price_list", **kwargs):
    form = {"file": (io.BytesIO(data), name)}
    return client.post(
        f"/api/uploads/{kind}", data=form, content_type="multipart/form-data", **kwargs
    )


def with_csrf(client) -> dict[str, str]:
    return {"X-CSRFToken": csrf_token(client)}


def test_a_script_uploads_a_price_change_and_its_rows_are_recorded(script, world, db_url):
    answer = send(script, edit_price(current_prices(script), "140.00"))

    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert answer.headers["Location"] == f"/api/uploads/{body['id']}"
    assert body["status"] == "pending_approval" and body["uploaded_by"] == "steward"
    assert "a second steward must approve" in body["approval_needed"]
    assert body["may_approve"] is False and "cannot approve it" in body["approve_refusal"]
    assert body["counts"]["changed"] == 1 and body["counts"]["invalid"] == 0
    assert body["errors"] == [] and body["progress"]["rows"] == {"pending": 1}
    (change,) = body["changes"]
    assert change["fields"] == [{"column": "Unit Price", "current": "121.57", "new": "140"}]
    with session_scope(db_url) as session:
        rows = session.scalars(select(UploadRow).where(UploadRow.upload_id == body["id"])).all()
        assert [(r.business_key, r.status) for r in rows] == [(change["key"], "pending")]

    listed = script.get("/api/uploads?kind=price_list").get_json()["uploads"]
    assert [(u["id"], u["status"]) for u in listed] == [(body["id"], "pending_approval")]
    detail = script.get(f"/api/uploads/{body['id']}").get_json()
    assert detail["changes"] == body["changes"]


def test_the_same_rows_sent_twice_answer_the_earlier_upload(script, world, db_url):
    data = edit_price(current_prices(script), "140.00")
    first = send(script, data).get_json()

    again = send(script, data, "copy.xlsx")

    assert again.status_code == 200
    assert again.get_json()["id"] == first["id"] and again.get_json()["already_uploaded"] is True
    with session_scope(db_url) as session:
        assert len(session.scalars(select(Upload)).all()) == 1


def test_an_invalid_workbook_answers_422_naming_each_bad_cell(script, world, db_url):
    answer = send(script, edit_price(current_prices(script), None))

    assert answer.status_code == 422
    body = answer.get_json()
    assert body["status"] == "invalid" and body["error"]
    (error,) = body["errors"]
    assert set(error) == {"sheet", "row", "column", "column_letter", "code", "message"}
    assert (error["sheet"], error["column"], error["column_letter"]) == (
        "price_list",
        "Unit Price",
        "D",
    )
    assert error["row"] > 1
    assert status(db_url, body["id"]) == "invalid"
    marked = script.get(body["results_url"])
    assert marked.status_code == 200 and marked.mimetype == XLSX
    errors = list(load_workbook(io.BytesIO(marked.data))["Errors"].iter_rows(values_only=True))
    assert errors[1][2] == "Unit Price"


def test_a_file_that_is_not_a_workbook_is_refused_with_its_reason(script, db_url):
    answer = send(script, b"not a zip at all", "evil.xlsx")

    assert answer.status_code == 422
    body = answer.get_json()
    assert body["status"] == "refused" and body["check"]["reason"] and body["error"]
    assert "Traceback" not in answer.get_data(as_text=True)


def test_no_file_is_400_and_a_workbook_over_the_limit_is_413(make_settings):
    from web import create_app

    settings = make_settings(uploads__max_bytes=2000)
    with session_scope(settings.database_url) as session:
        ensure_demo_users(session)
    small = create_app(settings)
    token = create_token(signed_in(small, "steward"))
    client = small.test_client()
    empty = client.post("/api/uploads/price_list", headers=bearer(token))
    assert empty.status_code == 400 and "Choose a workbook" in empty.get_json()["error"]
    large = send(client, b"x" * 5000, headers=bearer(token))
    assert large.status_code == 413 and "too large" in large.get_json()["error"]


def test_a_second_steward_approves_by_api_and_the_job_posts_it(
    script, steward2, world, db_url, settings
):
    number = send(script, edit_price(current_prices(script), "140.00")).get_json()["id"]

    own = script.post(f"/api/uploads/{number}/approve")
    assert own.status_code == 403 and "cannot approve it" in own.get_json()["error"]
    assert status(db_url, number) == "pending_approval"

    approved = steward2.post(f"/api/uploads/{number}/approve", headers=with_csrf(steward2))
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "approved"
    assert "approved; its rows are being posted" in approved.get_json()["message"]
    with session_scope(db_url) as session:
        commands = session.scalars(select(JobCommand)).all()
        assert [(c.job_id, c.command, c.requested_by) for c in commands] == [
            ("apply_uploads", "run_now", "steward2")
        ]
    again = steward2.post(f"/api/uploads/{number}/approve", headers=with_csrf(steward2))
    assert again.status_code == 409 and "approved" in again.get_json()["error"]

    assert run(settings).status == "completed"
    assert netsuite_prices(world)[(CURRENCY, LEVEL, 1)] == Decimal("140.00")
    done = script.get(f"/api/uploads/{number}").get_json()
    assert done["status"] == "applied"
    assert done["progress"] == {"rows": {"done": 1}, "settled_percent": 100}
    results = script.get(done["results_url"])
    assert results.status_code == 200 and results.mimetype == XLSX
    sheet = load_workbook(io.BytesIO(results.data))["price_list"]
    header = [c.value for c in sheet[1]]
    marks = [r[header.index("Status")].value for r in sheet.iter_rows(min_row=2) if r[0].value]
    assert marks.count("posted") == 1

    reverted = script.post(f"/api/uploads/{number}/revert")
    assert reverted.status_code == 201
    undo = reverted.get_json()
    assert undo["revert_of"] == number and undo["status"] == "pending_approval"
    twice = script.post(f"/api/uploads/{number}/revert")
    assert (
        twice.status_code == 409 and f"reverted by upload {undo['id']}" in twice.get_json()["error"]
    )
    steward2.post(f"/api/uploads/{undo['id']}/approve", headers=with_csrf(steward2))
    assert run(settings).status == "completed"
    assert netsuite_prices(world)[(CURRENCY, LEVEL, 1)] == Decimal("121.57")
    with session_scope(db_url) as session:
        actions = set(session.scalars(select(AuditLog.action)))
    assert {"upload.record", "upload.approve", "upload.post", "upload.revert"} <= actions


def test_a_small_change_is_submitted_by_its_uploader(script, steward2, world, db_url):
    number = send(script, edit_price(current_prices(script), "122.00")).get_json()["id"]
    not_theirs = steward2.post(f"/api/uploads/{number}/submit", headers=with_csrf(steward2))
    assert not_theirs.status_code == 403 and "only its uploader" in not_theirs.get_json()["error"]
    assert status(db_url, number) == "ready"

    submitted = script.post(f"/api/uploads/{number}/submit")

    assert submitted.status_code == 200 and submitted.get_json()["status"] == "approved"
    withdrawn = script.post(f"/api/uploads/{number}/reject", json={"comment": "too late"})
    assert withdrawn.status_code == 409 and "approved" in withdrawn.get_json()["error"]


def test_the_uploader_withdraws_with_a_comment(script, world, db_url):
    number = send(script, edit_price(current_prices(script), "140.00")).get_json()["id"]

    withdrawn = script.post(f"/api/uploads/{number}/reject", json={"comment": "wrong level"})

    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"
    with session_scope(db_url) as session:
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "upload.withdrawn")).one()
        assert audit.actor == "steward" and audit.after == {"comment": "wrong level"}


def test_other_roles_are_refused(app, script, world, db_url):
    number = send(script, edit_price(current_prices(script), "140.00")).get_json()["id"]
    finance = create_token(signed_in(app, "finance"))
    admin = create_token(signed_in(app, "admin"))
    coordinator = create_token(signed_in(app, "coordinator"))
    client = app.test_client()

    assert client.get("/api/uploads", headers=bearer(finance)).status_code == 403
    assert client.post(f"/api/uploads/{number}/approve", headers=bearer(admin)).status_code == 403
    assert client.get(f"/api/uploads/{number}", headers=bearer(admin)).status_code == 200
    # A coordinator works with order changes only: price uploads are not theirs to see.
    hidden = client.post(f"/api/uploads/{number}/approve", headers=bearer(coordinator))
    assert hidden.status_code == 404
    refused = send(client, b"whatever", headers=bearer(coordinator))
    assert refused.status_code == 404 and "uploaded by a steward" in refused.get_json()["error"]
    assert client.get("/api/uploads", headers=bearer(coordinator)).get_json() == {"uploads": []}
    assert status(db_url, number) == "pending_approval"


def test_a_signed_in_session_needs_the_csrf_header(app, world, db_url):
    steward = signed_in(app, "steward")
    data = edit_price(current_prices(steward), "122.00")
    assert send(steward, data).status_code == 400
    number = send(steward, data, headers=with_csrf(steward)).get_json()["id"]

    assert steward.post(f"/api/uploads/{number}/submit").status_code == 400
    assert status(db_url, number) == "ready"
    submitted = steward.post(f"/api/uploads/{number}/submit", headers=with_csrf(steward))
    assert submitted.status_code == 200 and status(db_url, number) == "approved"


def test_templates_download_for_the_roles_kinds(script):
    template = script.get("/api/uploads/templates/price_list")
    assert template.status_code == 200 and template.mimetype == XLSX
    assert "price_list" in load_workbook(io.BytesIO(template.data)).sheetnames
    assert script.get("/api/uploads/templates/order_changes").status_code == 404
    assert script.get("/api/uploads/templates/nope").status_code == 404


def test_an_upload_waiting_for_approval_names_who_it_awaits(script, steward2, world, db_url):
    number = send(script, edit_price(current_prices(script), "140.00")).get_json()["id"]
    waits = "waits for a steward other than steward"

    assert script.get(f"/api/uploads/{number}").get_json()["awaiting"] == waits
    listed = {u["id"]: u for u in script.get("/api/uploads").get_json()["uploads"]}
    assert listed[number]["awaiting"] == waits

    steward2.post(f"/api/uploads/{number}/approve", headers=with_csrf(steward2))
    assert script.get(f"/api/uploads/{number}").get_json()["awaiting"] is None
    small = send(script, edit_price(current_prices(script), "122.00")).get_json()["id"]
    assert script.get(f"/api/uploads/{small}").get_json()["awaiting"] == (
        "waits for steward to submit it"
    )
