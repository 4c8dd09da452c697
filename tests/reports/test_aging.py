"""Open-order aging: which lines are open, their buckets at the edges, and the grouping."""

from __future__ import annotations

from decimal import Decimal

import pytest

from config import load_settings
from core.errors import ConfigError
from core.store import session_scope
from reports import aging
from reports.base import Options
from tests.reports.store_data import AS_OF, add_customers, add_order

OPTIONS = Options(as_of=AS_OF)


def computed(url: str, options: Options = OPTIONS) -> list[dict]:
    with session_scope(url) as session:
        return aging.rows(session, options)


def by_bucket(rows: list[dict]) -> dict[str, int]:
    return {row["bucket"]: row["lines"] for row in rows}


def test_the_default_buckets_are_the_issues():
    assert aging.bucket_labels((7, 14, 30, 60, 90)) == [
        "0-7", "8-14", "15-30", "31-60", "61-90", "90+"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("age", "bucket"),
    [(0, "0-7"), (7, "0-7"), (8, "8-14"), (14, "8-14"), (15, "15-30"), (30, "15-30"),
     (31, "31-60"), (60, "31-60"), (61, "61-90"), (90, "61-90"), (91, "90+"), (400, "90+")],
)  # fmt: skip
def test_a_line_aged_exactly_an_edge_falls_in_the_bucket_that_ends_there(db_url, age, bucket):
    add_order(db_url, "SO-1", "C1", age, {})
    assert by_bucket(computed(db_url)) == {bucket: 1}


def test_the_buckets_follow_the_setting(db_url):
    add_order(db_url, "SO-1", "C1", 10, {})
    add_order(db_url, "SO-2", "C1", 11, {})
    rows = computed(db_url, Options(as_of=AS_OF, aging_buckets=(10, 20)))
    assert by_bucket(rows) == {"0-10": 1, "11-20": 1}


def test_cancelled_closed_and_fully_shipped_lines_are_not_open(db_url):
    add_order(
        db_url,
        "SO-1",
        "C1",
        3,
        {"status": "cancelled"},
        {"status": "closed"},
        {"status": "shipped", "quantity_shipped": Decimal(10)},
        {"status": "partially_shipped", "quantity_shipped": Decimal(4)},
        {"status": "backordered", "quantity_backordered": Decimal(10)},
    )
    add_order(db_url, "SO-2", "C1", 3, {}, status="cancelled")
    add_order(db_url, "SO-3", "C1", 3, {}, status="closed")
    rows = computed(db_url)
    assert {row["status"]: row["lines"] for row in rows} == {
        "partially_shipped": 1,
        "backordered": 1,
    }
    shipped_short = next(row for row in rows if row["status"] == "partially_shipped")
    assert shipped_short["open_quantity"] == 6 and shipped_short["open_value"] == Decimal("30.00")


def test_currencies_are_kept_apart(db_url):
    add_order(db_url, "SO-1", "C1", 3, {}, {"currency": "EUR", "unit_price": Decimal("2.50")})
    add_order(db_url, "SO-2", "C1", 4, {"currency": "EUR", "quantity": Decimal(1)})
    add_order(db_url, "SO-3", "C1", 5, {"currency": ""}, currency="GBP")
    values = {row["currency"]: (row["lines"], row["open_value"]) for row in computed(db_url)}
    assert values == {
        "USD": (1, Decimal("50.00")),
        "EUR": (2, Decimal("30.00")),
        "GBP": (1, Decimal("50.00")),  # a line without a currency takes its order's
    }


def test_lines_group_by_customer_warehouse_status_and_channel(db_url):
    add_customers(db_url, ("C1", "Acme", 1), ("C2", "Globex", 0))
    add_order(db_url, "SO-1", "C1", 1, {"location": "WH-NJ"}, {"location": "WH-NJ"},
              {"location": "WH-NV"}, {"status": "backordered"})  # fmt: skip
    add_order(db_url, "SO-2", "C1", 2, {"location": "WH-NJ"}, source="salesforce")
    add_order(db_url, "SO-3", "C2", 2, {"location": "WH-NJ"}, source="edi")
    keys = {
        (r["customer"], r["customer_name"], r["warehouse"], r["status"], r["channel"]): r["lines"]
        for r in computed(db_url)
    }
    assert keys == {
        ("C1", "Acme", "WH-NJ", "open", "ERP"): 2,
        ("C1", "Acme", "WH-NV", "open", "ERP"): 1,
        ("C1", "Acme", "not assigned", "backordered", "ERP"): 1,
        ("C1", "Acme", "WH-NJ", "open", "Salesforce"): 1,
        ("C2", "Globex", "WH-NJ", "open", "EDI"): 1,
    }


def test_age_is_measured_on_the_as_of_day_and_later_orders_are_left_out(db_url):
    add_order(db_url, "SO-1", "C1", 10, {})
    add_order(db_url, "SO-2", "C1", -1, {})  # dated the day after AS_OF
    add_order(db_url, "SO-3", "C1", None, {})
    assert by_bucket(computed(db_url)) == {"8-14": 1, aging.NO_DATE: 1}
    later = Options(as_of=AS_OF.replace(day=30))
    assert by_bucket(computed(db_url, later)) == {"31-60": 1, "15-30": 1, aging.NO_DATE: 1}


@pytest.mark.parametrize("value", [[7, 7, 30], [14, 7], [0, 7], ["x"], [], "7,,14", 7.5])
def test_bad_aging_buckets_are_refused_naming_the_key(tmp_path, value):
    env = {"ORDERBRIDGE__DATA_DIR": str(tmp_path)}
    with pytest.raises(ConfigError) as raised:
        load_settings(env, overrides={"reports": {"aging_buckets": value}})
    assert raised.value.key == "reports.aging_buckets"
    assert "reports.aging_buckets" in str(raised.value) and "days" in str(raised.value)


def test_aging_buckets_come_from_the_environment_as_a_list_of_days(tmp_path):
    env = {"ORDERBRIDGE__DATA_DIR": str(tmp_path), "ORDERBRIDGE__REPORTS__AGING_BUCKETS": "5,10"}
    assert Options.from_settings(load_settings(env), AS_OF).aging_buckets == (5, 10)
    default = load_settings({"ORDERBRIDGE__DATA_DIR": str(tmp_path)})
    assert Options.from_settings(default, AS_OF).aging_buckets == (7, 14, 30, 60, 90)


def test_report_aging_and_backorders_run_from_the_command_line(db_url, settings, tmp_path):
    import json

    from openpyxl import load_workbook

    from tests.helpers import cli

    add_customers(db_url, ("C1", "Acme", 1))
    add_order(db_url, "SO-1", "C1", 10, {}, {"quantity_backordered": Decimal(4)})
    done = cli(settings, "report", "aging", "--as-of", AS_OF.isoformat(), "--json")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["as_of"] == AS_OF.isoformat()
    assert [(r["bucket"], r["lines"]) for r in printed["rows"]] == [("8-14", 2)]
    out = tmp_path / "backorders.xlsx"
    done = cli(settings, "report", "backorders", "--as-of", AS_OF.isoformat(), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "1 row(s) of backorder list" in done.stdout
    sheet = load_workbook(out, read_only=True).worksheets[0]
    assert any("SO-1" in [str(v) for v in row] for row in sheet.iter_rows(values_only=True))
    bad = cli(settings, "report", "aging", "--out", str(tmp_path / "a.csv"))
    assert bad.returncode == 64 and "must name an .xlsx file" in bad.stderr
