"""The dashboard: each role's KPI tiles computed from the store, charts as SVG documents
with their numbers in tables, the day's job runs for admins."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert

from core.store import models as m
from core.store import session_scope
from tests.web.helpers import add_run, now, sign_in

SRC = {"source_system": "test", "source_key": "x"}


def orders(db_url: str) -> None:
    """Two orders placed three days ago, both delivered yesterday: one by its promised date,
    one a day after it."""
    today = now().date()
    placed, delivered = today - timedelta(days=3), now() - timedelta(days=1)
    with session_scope(db_url) as session:
        session.execute(
            insert(m.Order),
            [{"number": n, "customer_number": "C1", "order_date": placed, **SRC} for n in "AB"],
        )
        session.execute(
            insert(m.OrderLine),
            [
                {"order_number": n, "line_no": 1, "sku": "S", "quantity": Decimal(4),
                 "unit_price": Decimal(1), "promised_date": promised,
                 "quantity_shipped": Decimal(4)}
                for n, promised in (("A", delivered.date()), ("B", today - timedelta(days=2)))
            ],
        )  # fmt: skip
        session.execute(
            insert(m.Shipment),
            [
                {"number": f"SH-{n}", "order_number": n, "ship_date": placed, "carrier": "ups",
                 "status": "delivered", "delivered_at": delivered, **SRC}
                for n in "AB"
            ],
        )  # fmt: skip
        session.execute(
            insert(m.ShipmentLine),
            [
                {"shipment_number": f"SH-{n}", "order_line_no": 1, "sku": "S",
                 "quantity": Decimal(4)}
                for n in "AB"
            ],
        )  # fmt: skip
        for kind in ("shipment_late", "invoice_price_mismatch"):
            session.add(
                m.OpsException(
                    kind=kind, business_key=kind, order_number="B", source_job="t",
                    message="x", opened_at=now() - timedelta(hours=30),
                )
            )  # fmt: skip


def page_of(client, role: str) -> str:
    assert sign_in(client, role).status_code == 302
    response = client.get("/dashboard")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_coordinator_sees_kpis_from_the_store_with_the_weekly_numbers(client, db_url):
    orders(db_url)
    page = page_of(client, "coordinator")
    tile = page.split('id="kpi-otd_line_promised"')[1].split("</section>")[0]
    assert '<span class="count">50.0%</span>' in tile  # A on time, B a day late
    assert "delivered lines that have a promised date" in tile  # its definition
    fill = page.split('id="kpi-line_fill"')[1].split("</section>")[0]
    assert '<span class="count">100.0%</span>' in fill
    weekly = page.split('id="weekly"')[1].split("</table>")[0]
    assert weekly.count("<tr>") == 1 + 8 and "50.0%" in weekly
    ages = page.split('id="exceptions-by-age"')[1].split("</section>")[0]
    assert "shipment late" in ages and "invoice price mismatch" in ages
    assert 'id="job-runs"' not in page  # admins only


def test_finance_sees_its_own_tiles_and_only_its_exceptions(client, db_url):
    orders(db_url)
    page = page_of(client, "finance")
    assert 'id="kpi-perfect_order"' in page and 'id="kpi-otd_line_promised"' not in page
    ages = page.split('id="exceptions-by-age"')[1].split("</section>")[0]
    assert "invoice price mismatch" in ages and "shipment late" not in ages


def test_charts_are_svg_documents_with_nothing_that_runs(client, db_url):
    orders(db_url)
    sign_in(client, "admin")
    add_run(db_url, "sync_orders", minutes_ago=30)
    add_run(db_url, "sync_orders", minutes_ago=20, status="failed")
    for name in ("otd_line_promised", "exceptions", "runs"):
        response = client.get(f"/dashboard/charts/{name}.svg")
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        body = response.get_data(as_text=True)
        assert "<svg" in body and "<script" not in body.lower()
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    runs = client.get("/dashboard").get_data(as_text=True).split('id="job-runs"')[1]
    row = runs.split("<code>sync_orders</code>")[1].split("</tr>")[0]
    assert row.count('<td class="num">1</td>') == 2  # one completed, one failed
    assert "50%" in client.get("/dashboard/charts/otd_line_promised.svg").get_data(as_text=True)


def test_a_chart_not_on_the_role_s_dashboard_does_not_exist(client, db_url):
    sign_in(client, "steward")
    assert client.get("/dashboard/charts/runs.svg").status_code == 404
    assert client.get("/dashboard/charts/perfect_order.svg").status_code == 404
    assert client.get("/dashboard/charts/line_fill.svg").status_code == 200


def test_the_dashboard_needs_a_sign_in(client, db_url):
    assert client.get("/dashboard").status_code == 302
    assert client.get("/dashboard/charts/runs.svg").status_code == 302


def test_the_open_order_aging_chart_counts_open_lines_by_age_and_channel(client, db_url):
    orders(db_url)  # A and B: shipped in full, so not open
    today = now().date()
    with session_scope(db_url) as session:
        for number, age, source in (("O1", 3, "salesforce"), ("O2", 20, "salesforce"),
                                    ("O3", 100, "netsuite")):  # fmt: skip
            session.add(
                m.Order(
                    number=number,
                    customer_number="C1",
                    source_key="x",
                    order_date=today - timedelta(days=age),
                    source_system=source,
                )
            )
            session.add(m.OrderLine(order_number=number, line_no=1, sku="S",
                                    quantity=Decimal(5), unit_price=Decimal(1)))  # fmt: skip
    page = page_of(client, "coordinator")
    aging = page.split('id="open-order-aging"')[1].split("</section>")[0]
    rows = {row.split("</td>")[0].split("<td>")[1]: row for row in aging.split("<tr>")[2:]}
    assert set(rows) == {"ERP", "Salesforce"}
    cells = lambda row: [c.split("<")[0] for c in row.split('<td class="num">')[1:]]  # noqa: E731
    assert cells(rows["Salesforce"]) == ["1", "0", "1", "0", "0", "0"]  # 0-7 and 15-30
    assert cells(rows["ERP"]) == ["0", "0", "0", "0", "0", "1"]  # 90+
    svg = client.get("/dashboard/charts/aging.svg")
    assert svg.status_code == 200 and "Open order lines by age" in svg.get_data(as_text=True)
    steward = client.application.test_client()
    sign_in(steward, "steward")
    assert steward.get("/dashboard/charts/aging.svg").status_code == 404
