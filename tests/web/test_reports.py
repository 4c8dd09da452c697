"""The finance page: a validated period and the reconciliation workbook as an .xlsx download."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

from openpyxl import load_workbook

from core.store import session_scope
from core.store.models import Invoice, InvoiceLine, Order, OrderLine, Shipment, ShipmentLine
from tests.web.queue_helpers import as_role
from web import reports


def add_order_to_cash(db_url: str) -> None:
    """One order of two lines: line 1 shipped and invoiced in full, line 2 shipped short."""
    source = {"source_system": "netsuite"}
    with session_scope(db_url) as session:
        session.add(
            Order(
                number="SO-1001",
                customer_number="0042",
                order_date=date(2026, 10, 5),
                source_key="1001",
                **source,
            )
        )
        for line_no, qty in ((1, "10"), (2, "5")):
            session.add(
                OrderLine(
                    order_number="SO-1001",
                    line_no=line_no,
                    sku=f"00{line_no}",
                    quantity=Decimal(qty),
                    unit_price=Decimal("12.50"),
                )
            )
        session.add(
            Shipment(
                number="SH-1",
                order_number="SO-1001",
                ship_date=date(2026, 10, 7),
                status="delivered",
                source_key="SH-1",
                **source,
            )
        )
        session.add(ShipmentLine(shipment_number="SH-1", order_line_no=1, sku="001", quantity=10))
        session.add(ShipmentLine(shipment_number="SH-1", order_line_no=2, sku="002", quantity=3))
        session.add(
            Invoice(
                number="INV-1",
                order_number="SO-1001",
                customer_number="0042",
                invoice_date=date(2026, 10, 8),
                source_key="INV-1",
                **source,
            )
        )
        for line_no, qty in ((1, "10"), (2, "5")):
            session.add(
                InvoiceLine(
                    invoice_number="INV-1",
                    line_no=line_no,
                    order_line_no=line_no,
                    sku=f"00{line_no}",
                    quantity=Decimal(qty),
                    unit_price=Decimal("12.50"),
                )
            )


def test_the_page_offers_a_period_with_last_month_by_default(client):
    page = as_role(client, "finance").get("/reports").get_data(as_text=True)
    assert 'type="date" name="from"' in page and "Last month" in page


def test_a_period_that_is_not_iso_or_backwards_or_too_long_is_refused(client):
    as_role(client, "finance")
    cases = {
        "from=31/10/2026&to=2026-11-30": "From: enter a date as YYYY-MM-DD",
        "from=2026-11-30&to=2026-10-01": "From must be on or before To",
        "from=2024-01-01&to=2026-01-01": "Pick at most 366 days",
        "from=2026-10-01&to=<script>": "To: enter a date",
    }
    for query, message in cases.items():
        response = client.get(f"/reports/reconciliation.xlsx?{query}")
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and message in page, query
        assert "<script>" not in page


def test_finance_downloads_a_valid_reconciliation_workbook(client, db_url):
    add_order_to_cash(db_url)
    response = as_role(client, "finance").get(
        "/reports/reconciliation.xlsx?from=2026-10-01&to=2026-10-31"
    )
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=reconciliation_2026-10-01_2026-10-31.xlsx"
    )
    assert response.headers["Cache-Control"] == "no-store"
    book = load_workbook(BytesIO(response.data))
    assert book.sheetnames[0] == "Summary"
    cells = [c for row in book["Summary"].iter_rows(values_only=True) for c in row if c]
    assert "2026-10-01 to 2026-10-31" in cells
    lines = [row for row in book["Lines"].iter_rows(values_only=True)][1:]
    assert {row[0] for row in lines} == {"SO-1001"}


def test_a_period_too_big_to_build_while_waiting_points_to_the_command_line(
    client, db_url, monkeypatch
):
    add_order_to_cash(db_url)
    monkeypatch.setattr(reports, "MAX_LINES", 1)
    response = as_role(client, "finance").get(
        "/reports/reconciliation.xlsx?from=2026-10-01&to=2026-10-31"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The period holds 2 order lines" in page
    assert "report reconciliation --from 2026-10-01 --to 2026-10-31" in page


def test_coordinators_cannot_download_it(client):
    as_role(client, "coordinator")
    assert (
        client.get("/reports/reconciliation.xlsx?from=2026-10-01&to=2026-10-31").status_code == 403
    )


def test_finance_home_links_to_the_download(client):
    page = as_role(client, "finance").get("/").get_data(as_text=True)
    assert "Reconciliation workbook" in page and 'href="/reports"' in page
    assert "not built yet" not in page


def test_a_period_with_nothing_shipped_or_invoiced_downloads_with_its_findings(client, db_url):
    add_order_to_cash(db_url)
    with session_scope(db_url) as session:
        for model in (InvoiceLine, Invoice, ShipmentLine, Shipment):
            session.query(model).delete()
    as_role(client, "finance")
    for period in ("from=2026-10-01&to=2026-10-31", "from=2025-01-01&to=2025-01-31"):
        response = client.get(f"/reports/reconciliation.xlsx?{period}")
        assert response.status_code == 200, period
        book = load_workbook(BytesIO(response.data))
        assert book.sheetnames[0] == "Summary"
    lines = [row for row in book["Lines"].iter_rows(values_only=True)][1:]
    assert lines == []  # January 2025 holds nothing: an empty period, not an error


def test_the_kpi_workbook_and_json_download_for_a_period(client, db_url):
    from tests.reports.test_kpi import build
    from tests.web.helpers import sign_in

    build(db_url)
    sign_in(client, "coordinator")
    query = "from=2026-03-01&to=2026-03-31"
    response = client.get(f"/reports/kpi.xlsx?{query}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "kpi_2026-03-01_2026-03-31.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(BytesIO(response.data), read_only=True)
    assert book.sheetnames == ["Summary", "Definitions", "Data"]
    printed = client.get(f"/reports/kpi.json?{query}&customer=C2").get_json()
    assert printed["filters"] == {"customer": "C2"} and printed["kpis"]["perfect_order"] == 1.0
    bad = client.get("/reports/kpi.json?from=2026-03-31&to=2026-03-01")
    assert bad.status_code == 400 and "From must be on or before To" in bad.get_json()["error"]
    assert "KPIs" in client.get("/reports").get_data(as_text=True)
