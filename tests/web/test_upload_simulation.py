"""Simulate before posting, from the portal: a waiting upload's "Simulate against the ERP" is
queued for apply_uploads (the portal calls no ERP); the preview then shows per row Would post
or Would be refused with why, the marked-up workbook downloads, and while a row would be
refused the upload cannot be submitted (409 in the API) until a new simulation passes it."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from tests.sync_jobs.erp_world import CURRENCY, LEVEL, SKU, netsuite_prices, run
from tests.sync_jobs.test_simulate_uploads import inactive, ns_child
from tests.web.test_api import create_token
from tests.web.test_uploads import download, edit_price, page, post, send, signed_in, status
from tests.web.test_uploads import upload_id as recorded


def small_change(steward) -> int:
    """A price change within the approval threshold: ready for its uploader to submit."""
    current = download(steward, f"/uploads/current/price_list?item={SKU}")
    return recorded(send(steward, "price_list", edit_price(current, "122.00")))


def set_active(world, active: bool) -> None:
    def change(node) -> None:
        if not active:
            inactive(node)
        else:
            next(c for c in node[4] if c[0] == "isInactive")[3] = "false"

    ns_child(world, "inventoryItem", SKU, change)


def test_a_refused_row_shows_in_the_preview_and_the_workbook_and_blocks_submit_until_fixed(
    app, world, db_url, settings
):
    steward = signed_in(app, "steward")
    number = small_change(steward)
    before = netsuite_prices(world)
    assert "Simulate against the ERP" in page(steward, number)

    queued = post(steward, f"/uploads/{number}/simulate").get_data(as_text=True)
    assert "is being simulated against the ERP; nothing is posted" in queued
    assert "Simulation queued" in queued and 'http-equiv="refresh"' in queued
    assert run(settings).status == "completed"
    shown = page(steward, number)
    assert "Simulation done at" in shown and "<strong>1</strong> row(s) would post" in shown
    assert "<th>Simulation</th>" in shown and ">Would post</td>" in shown

    set_active(world, False)  # someone made the item inactive in NetSuite since
    post(steward, f"/uploads/{number}/simulate")
    assert run(settings).status == "completed"
    shown = page(steward, number)
    refusal = "Would be refused: netsuite would refuse: item 00302 is inactive in NetSuite"
    assert refusal in shown
    assert "The ERP would refuse row(s)" in shown
    blocked = post(steward, f"/uploads/{number}/submit").get_data(as_text=True)
    assert "was not submitted: the simulation found the ERP would refuse row(s)" in blocked
    assert status(db_url, number) == "ready"

    book = load_workbook(download(steward, f"/uploads/{number}/simulation.xlsx"))
    sheet = book["price_list"]
    header = [c.value for c in sheet[1]]
    marks = {
        r[header.index("Simulation")].value: r[header.index("Simulation message")].value
        for r in sheet.iter_rows(min_row=2)
        if r[0].value
    }
    assert "inactive in NetSuite" in marks["Would be refused"] and "unchanged" in marks
    errors = [[c.value for c in r] for r in book["Errors"].iter_rows(min_row=2)]
    assert any("item 00302 is inactive" in str(row[-1]) for row in errors)
    assert netsuite_prices(world) == before  # simulating wrote nothing

    set_active(world, True)  # fixed in NetSuite: a new simulation clears the block
    post(steward, f"/uploads/{number}/simulate")
    assert run(settings).status == "completed"
    assert "The ERP would refuse" not in page(steward, number)
    post(steward, f"/uploads/{number}/submit")
    assert status(db_url, number) == "approved"
    assert run(settings).status == "completed"
    assert netsuite_prices(world)[(CURRENCY, LEVEL, 1)] == Decimal("122.00")


def test_simulate_takes_the_kinds_role_and_a_csrf_token(app, world, db_url):
    steward = signed_in(app, "steward")
    number = small_change(steward)
    assert steward.post(f"/uploads/{number}/simulate").status_code == 400  # no CSRF token
    for role, code in (("finance", 403), ("admin", 403), ("coordinator", 404)):
        other = signed_in(app, role)
        assert post(other, f"/uploads/{number}/simulate").status_code == code, role
    assert steward.get(f"/uploads/{number}/simulation.xlsx").status_code == 404  # none yet


def test_the_api_queues_a_simulation_with_202_and_answers_409_to_submit_while_refused(
    app, world, db_url, settings
):
    steward = signed_in(app, "steward")
    number = small_change(steward)
    script = app.test_client()
    script.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {create_token(steward)}"

    asked = script.post(f"/api/uploads/{number}/simulate")
    assert asked.status_code == 202, asked.get_json()
    assert asked.headers["Location"] == f"/api/uploads/{number}/simulation"
    body = asked.get_json()
    assert body["state"] == "queued" and body["requested_by"] == "steward"
    assert [r["outcome"] for r in body["rows"]] == [None]

    set_active(world, False)
    assert run(settings).status == "completed"
    done = script.get(f"/api/uploads/{number}/simulation").get_json()
    assert done["state"] == "done" and done["counts"] == {"would_post": 0, "would_refuse": 1}
    ((row,),) = [done["rows"]]
    assert row["outcome"] == "would_refuse" and "inactive in NetSuite" in row["message"]
    xlsx = script.get(done["workbook_url"])
    assert xlsx.status_code == 200 and load_workbook(io.BytesIO(xlsx.data))["price_list"]

    refused = script.post(f"/api/uploads/{number}/submit")
    assert refused.status_code == 409 and "would refuse row(s)" in refused.get_json()["error"]
    assert script.get(f"/api/uploads/{number}").get_json()["simulation"]["state"] == "done"
