"""The aging and backorder pages and their workbooks: who may open them, what they show, and
outside text that never becomes a formula."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from core.users import ROLES
from tests.reports.store_data import AS_OF, add_customers, add_order
from tests.web.queue_helpers import as_role

HOSTILE = "=cmd|'/c calc'!A1"
ALLOWED = {"aging": {"coordinator", "finance", "admin"}, "backorders": {"coordinator", "admin"}}
QUERY = f"?as_of={AS_OF.isoformat()}"


def order_book(db_url: str) -> None:
    add_customers(db_url, ("C1", HOSTILE, 2), ("C2", "<b>Globex</b>", 0))
    add_order(db_url, "SO-1", "C1", 8, {"location": "WH-NJ"},
              {"quantity_backordered": Decimal(3), "status": "backordered"})  # fmt: skip
    add_order(db_url, "SO-2", "C2", 91, {"currency": "EUR", "unit_price": Decimal("1.25")})


def sheet_rows(response) -> list[tuple]:
    book = load_workbook(BytesIO(response.data))
    assert book.sheetnames[1] == "Definition"
    return list(book[book.sheetnames[0]].iter_rows(values_only=True))


@pytest.mark.parametrize("name", sorted(ALLOWED))
@pytest.mark.parametrize("role", ROLES)
def test_the_pages_and_downloads_open_to_their_roles_only(client, name, role):
    as_role(client, role)
    for url in (f"/reports/{name}", f"/reports/{name}.xlsx"):
        expected = 200 if role in ALLOWED[name] else 403
        assert client.get(url).status_code == expected, (url, role)


def test_the_reports_page_links_each_report_its_role_may_see(app):
    page = as_role(app.test_client(), "coordinator").get("/reports").get_data(as_text=True)
    assert 'href="/reports/aging"' in page and 'href="/reports/backorders.xlsx"' in page
    assert "reconciliation.xlsx" not in page  # finance's
    page = as_role(app.test_client(), "finance").get("/reports").get_data(as_text=True)
    assert 'href="/reports/aging.xlsx"' in page and "/reports/backorders" not in page


def test_the_aging_page_shows_its_definition_and_rows_escaped(client, db_url):
    order_book(db_url)
    page = as_role(client, "coordinator").get(f"/reports/aging{QUERY}").get_data(as_text=True)
    assert "A line is open when neither it nor its order is cancelled or closed" in page
    assert "&lt;b&gt;Globex&lt;/b&gt;" in page and "<b>Globex" not in page
    assert "8-14" in page and "90+" in page and "12.50" in page and "not assigned" in page


def test_a_bad_as_of_is_refused_with_what_to_enter(client):
    response = as_role(client, "admin").get("/reports/backorders?as_of=<script>")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "As of: enter a date as YYYY-MM-DD" in page
    assert "<script>" not in page
    assert client.get("/reports/aging.xlsx?as_of=1.1.2026").status_code == 400


def test_the_aging_workbook_holds_the_rows_and_neutralises_a_formula_name(client, db_url):
    order_book(db_url)
    response = as_role(client, "finance").get(f"/reports/aging.xlsx{QUERY}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=aging_2026-12-01.xlsx"
    heading, *rows = sheet_rows(response)
    assert heading[:6] == ("Customer", "Customer name", "Warehouse", "Line status", "Channel",
                           "Age (days)")  # fmt: skip
    assert rows == [
        ("C1", HOSTILE, "WH-NJ", "open", "ERP", "8-14", "USD", 1, 10, 50),
        ("C1", HOSTILE, "not assigned", "backordered", "ERP", "8-14", "USD", 1, 10, 50),
        ("C2", "<b>Globex</b>", "not assigned", "open", "ERP", "90+", "EUR", 1, 10, 12.5),
    ]
    book = load_workbook(BytesIO(response.data))
    name = book[book.sheetnames[0]]["B2"]
    assert name.data_type == "s" and name.quotePrefix  # text to Excel, never a formula


def test_the_backorder_workbook_holds_the_line_with_its_queue_place(client, db_url):
    order_book(db_url)
    response = as_role(client, "coordinator").get(f"/reports/backorders.xlsx{QUERY}")
    heading, *rows = sheet_rows(response)
    assert heading[0] == "Order" and heading[-1] == "Queue position"
    assert rows == [
        ("SO-1", 2, "C1", HOSTILE, 2, "A", 3, 15, "USD", "2026-11-23", 8, "not recorded",
         "not given", 1),
    ]  # fmt: skip
    book = load_workbook(BytesIO(response.data))
    assert book[book.sheetnames[0]]["D2"].quotePrefix
