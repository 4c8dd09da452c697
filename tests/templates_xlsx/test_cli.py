"""run.py templates build, upload check, export and audit sample, in a subprocess."""

from __future__ import annotations

import json
from datetime import date

import pytest
from openpyxl import load_workbook

from templates_xlsx.template import MARKER_SHEET
from tests.helpers import cli
from tests.templates_xlsx.workbooks import ORDER_ROW, seed_store, workbook_bytes, write

# The CLI checks dates against the real today, so the sample change asks for a future date.
FUTURE_ROW = ORDER_ROW | {"requested_date": date(2099, 1, 4)}

pytestmark = pytest.mark.slow


@pytest.fixture
def seeded(settings, db_url):
    seed_store(db_url)
    return settings


def test_templates_build_writes_one_workbook_per_kind(settings, tmp_path):
    done = cli(settings, "templates", "build", "--out", str(tmp_path / "t"))
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "t").iterdir())
    assert names == ["audit_review.xlsx", "order_changes.xlsx", "price_list.xlsx", "ship_tos.xlsx"]
    book = load_workbook(tmp_path / "t" / "order_changes.xlsx")
    assert book.sheetnames[:2] == ["order_changes", "Instructions"]
    assert book[MARKER_SHEET].sheet_state == "veryHidden"


@pytest.mark.parametrize(
    ("data", "code", "status"),
    [
        (workbook_bytes("order_changes", [FUTURE_ROW]), 0, "valid"),
        (workbook_bytes("order_changes", [ORDER_ROW | {"order": "1"}]), 1, "invalid"),
        (workbook_bytes("order_changes", []), 1, "invalid"),
        (b"not a workbook", 2, "refused"),
    ],
)
def test_upload_check_prints_only_json_and_exits_by_status(seeded, tmp_path, data, code, status):
    path = write(tmp_path, "u.xlsx", data)
    done = cli(seeded, "upload", "check", "--kind", "order_changes", str(path), "--json")
    result = json.loads(done.stdout)
    assert done.returncode == code, done.stderr
    assert result["status"] == status
    assert set(result) == {"status", "reason", "message", "rows", "errors"}
    assert "Traceback" not in done.stderr


def test_upload_check_without_json_lists_the_cells(seeded, tmp_path):
    path = write(tmp_path, "u.xlsx", workbook_bytes("order_changes", [ORDER_ROW | {"line": 9}]))
    done = cli(seeded, "upload", "check", "--kind", "order_changes", str(path))
    assert done.returncode == 1
    assert "order_changes!B2 (Line) unknown_line" in done.stdout


def test_export_then_check_round_trips(seeded, tmp_path):
    out = tmp_path / "e.xlsx"
    done = cli(seeded, "export", "order_changes", "--out", str(out), "--customer", "C001")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("2 row(s) of order_changes")
    check = cli(seeded, "upload", "check", "--kind", "order_changes", str(out), "--json")
    assert json.loads(check.stdout)["status"] == "valid"


def test_audit_sample_is_reproducible(seeded, tmp_path):
    args = [
        "audit",
        "sample",
        "--population",
        "orders",
        "--from",
        "2020-01-01",
        "--to",
        "2030-12-31",
        "--size",
        "1",
        "--seed",
        "4",
    ]
    first = cli(seeded, *args, "--out", str(tmp_path / "a.xlsx"))
    second = cli(seeded, *args, "--out", str(tmp_path / "b.xlsx"))
    assert first.returncode == 0, first.stderr
    digest = [line.split("digest ")[1][:12] for line in (first.stdout, second.stdout)]
    assert digest[0] == digest[1]


@pytest.mark.parametrize(
    "args",
    [
        ["upload", "check", "--kind", "nope", "x.xlsx"],
        ["upload", "check", "--kind", "order_changes", "/no/such/file.xlsx"],
        ["export", "audit_review", "--out", "x.xlsx"],
        [
            "audit",
            "sample",
            "--population",
            "orders",
            "--from",
            "2026-02-30",
            "--to",
            "2026-03-01",
            "--size",
            "3",
            "--seed",
            "1",
            "--out",
            "x.xlsx",
        ],
        [
            "audit",
            "sample",
            "--population",
            "orders",
            "--from",
            "2026-03-01",
            "--to",
            "2026-01-01",
            "--size",
            "3",
            "--seed",
            "1",
            "--out",
            "x.xlsx",
        ],
        ["templates", "build"],
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(seeded, args):
    done = cli(seeded, *args)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
