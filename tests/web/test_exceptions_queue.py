"""The exception queue: most urgent first with overdue highlighted, finance's scope, assign and
resolve with a comment, audited; a case the job reopens shows again."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from core.store import session_scope
from core.store.models import AuditLog, OpsException
from tests.web.helpers import csrf_token, now
from tests.web.queue_helpers import as_role, post


def add_case(db_url: str, kind: str = "shipment_late", key: str = "SH-501", **fields) -> int:
    """An exception as the jobs write it (sync_jobs/exceptions.py raise_case)."""
    values = {
        "order_number": "SO-1001",
        "source_job": "track_shipments",
        "system": "ups",
        "message": f"{key} is 2 days past its promised date",
        "hint": "ask the carrier, then tell the customer",
        "owner": "coordinator",
        "opened_at": now() - timedelta(hours=30),
        "last_seen": now() - timedelta(hours=1),
        "sla_due_at": now() + timedelta(hours=10),
    }
    values.update(fields)
    with session_scope(db_url) as session:
        row = OpsException(kind=kind, business_key=key, **values)
        session.add(row)
        session.flush()
        return row.id


def case_row(db_url: str, case_id: int) -> OpsException:
    with session_scope(db_url) as session:
        row = session.get(OpsException, case_id)
        session.expunge(row)
        return row


def test_the_list_puts_overdue_cases_first_and_highlights_them(client, db_url):
    add_case(db_url, key="SH-IN-TIME")
    late = add_case(db_url, key="SH-OVERDUE", sla_due_at=now() - timedelta(hours=5))
    add_case(db_url, key="SH-NO-SLA", sla_due_at=None)
    page = as_role(client, "coordinator").get("/exceptions").get_data(as_text=True)
    assert page.index("SH-OVERDUE") < page.index("SH-IN-TIME") < page.index("SH-NO-SLA")
    assert f'<tr id="exception-{late}" class="overdue">' in page
    assert "overdue by 5 h" in page
    assert re.search(r"(9 h 5\d min|10 h) left", page)
    overdue_only = client.get("/exceptions?sla=overdue").get_data(as_text=True)
    assert "SH-OVERDUE" in overdue_only and "SH-IN-TIME" not in overdue_only


def test_invoice_discrepancies_show_amount_currency_and_order(client, db_url):
    add_case(
        db_url,
        "invoice_price_mismatch",
        "INV-9001/2",
        order_number="SO-7",
        source_job="sync_invoices",
        amount=Decimal("-150.5"),
        currency="EUR",
        owner="finance",
    )
    page = as_role(client, "coordinator").get("/exceptions").get_data(as_text=True)
    assert "-150.50 EUR" in page and "SO-7" in page and "invoice price mismatch" in page


def test_finance_sees_the_invoice_cases_only_and_mine_includes_my_role(client, db_url):
    shipment = add_case(db_url, key="SH-1")
    invoice = add_case(db_url, "invoice_quantity_mismatch", "INV-1/1", owner="finance")
    add_case(db_url, "recon_shipped_not_invoiced", "SO-9", owner="someone")
    as_role(client, "finance")
    page = client.get("/exceptions").get_data(as_text=True)
    assert "INV-1/1" in page and "SO-9" in page and "SH-1" not in page
    mine = client.get("/exceptions?owner=me").get_data(as_text=True)
    assert "INV-1/1" in mine and "SO-9" not in mine
    assert client.get(f"/exceptions/{shipment}").status_code == 404
    assert client.get(f"/exceptions/{invoice}").status_code == 200
    post(client, f"/exceptions/{shipment}/resolve", comment="not mine")
    assert case_row(db_url, shipment).status == "open"


def test_resolve_needs_a_comment_and_is_audited(client, db_url):
    case_id = add_case(db_url)
    as_role(client, "coordinator")
    response = post(client, f"/exceptions/{case_id}/resolve", comment="")
    assert "Say in a comment" in client.get(response.location).get_data(as_text=True)
    assert case_row(db_url, case_id).status == "open"
    post(client, f"/exceptions/{case_id}/resolve", comment="UPS delivered it today")
    row = case_row(db_url, case_id)
    assert (row.status, row.resolved_by, row.comment) == (
        "resolved",
        "coordinator",
        "UPS delivered it today",
    )
    with session_scope(db_url) as session:
        audit = session.scalars(select(AuditLog).where(AuditLog.entity == "exception")).one()
        assert (audit.action, audit.entity_key) == ("exception_resolved", str(case_id))
        assert audit.before["status"] == "open"
        assert audit.after == {
            "status": "resolved",
            "comment": "UPS delivered it today",
            "owner": "coordinator",
        }
    assert "SH-501" not in client.get("/exceptions").get_data(as_text=True)


def test_a_resolved_case_the_job_reopens_shows_again(client, db_url):
    case_id = add_case(db_url)
    as_role(client, "coordinator")
    post(client, f"/exceptions/{case_id}/resolve", comment="thought it arrived")
    with session_scope(db_url) as session:  # what raise_case does when the cause comes back
        row = session.get(OpsException, case_id)
        row.status, row.opened_at, row.sla_due_at = "open", now(), now() + timedelta(hours=24)
        row.resolved_at = row.resolved_by = None
    page = client.get("/exceptions").get_data(as_text=True)
    assert "SH-501" in page and "1 case open" in page


def test_assign_to_someone_who_may_act(client, db_url):
    case_id = add_case(db_url)
    as_role(client, "admin")
    post(client, f"/exceptions/{case_id}/assign", owner="auditor")
    assert case_row(db_url, case_id).owner == "coordinator"
    post(client, f"/exceptions/{case_id}/assign", owner="admin")
    assert case_row(db_url, case_id).owner == "admin"
    with session_scope(db_url) as session:
        audit = session.scalars(select(AuditLog).where(AuditLog.entity == "exception")).one()
        assert (audit.before, audit.after) == ({"owner": "coordinator"}, {"owner": "admin"})
    page = client.get(f"/exceptions/{case_id}").get_data(as_text=True)
    assert "assigned" in page  # the history lists it


def test_user_text_is_escaped(client, db_url):
    evil = "<script>alert(1)</script>"
    case_id = add_case(db_url, key=evil, message=evil, hint=evil, details={"note": evil})
    as_role(client, "coordinator")
    for url in ("/exceptions", f"/exceptions/{case_id}"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>" not in page and "&lt;script&gt;" in page


def test_the_api_lists_with_sla_and_resolves_and_assigns(client, db_url):
    case_id = add_case(db_url, sla_due_at=now() - timedelta(hours=2), amount=Decimal("12.5"))
    as_role(client, "coordinator")
    headers = {"X-CSRFToken": csrf_token(client)}
    [item] = client.get("/api/exceptions?sla=overdue").get_json()["items"]
    assert (item["id"], item["sla_state"], item["amount"]) == (case_id, "overdue", "12.5000")
    assert item["sla_seconds_left"] < -7000
    refused = client.post(f"/api/exceptions/{case_id}/resolve", json={}, headers=headers)
    assert refused.status_code == 400 and "comment" in refused.get_json()["error"]
    url = f"/api/exceptions/{case_id}/assign"
    assert client.post(url, json={"owner": "admin"}, headers=headers).get_json()["owner"] == "admin"
    url = f"/api/exceptions/{case_id}/resolve"
    done = client.post(url, json={"comment": "credited"}, headers=headers).get_json()
    assert (done["status"], done["resolved_by"], done["sla_state"]) == (
        "resolved",
        "coordinator",
        "none",
    )
    assert client.get("/api/exceptions").get_json()["total"] == 0


def test_home_cards_count_open_and_overdue_cases_per_role(client, app, db_url):
    add_case(db_url, key="SH-LATE", sla_due_at=now() - timedelta(hours=3))
    add_case(db_url, key="SH-FINE")
    add_case(db_url, "invoice_price_mismatch", "INV-5/1", amount=Decimal("3"), currency="USD")
    page = as_role(client, "coordinator").get("/").get_data(as_text=True)
    assert "Open exceptions" in page and "1 past their SLA" in page
    assert (
        "SH-LATE" in page and "overdue by 3 h" in page and 'href="/exceptions?sla=overdue"' in page
    )
    finance = app.test_client()
    page = as_role(finance, "finance").get("/").get_data(as_text=True)
    assert "INV-5/1" in page and "[3.00 USD]" in page and "SH-LATE" not in page
    assert "past their SLA" not in page
