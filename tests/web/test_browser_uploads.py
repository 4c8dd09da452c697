"""One real browser through the upload flow: download a template, fill it, upload, see the
errors, fix them, upload again, submit, and download the results workbook once posted."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from werkzeug.serving import make_server

from tests.sync_jobs.erp_world import CURRENCY, LEVEL, SKU, netsuite_prices, netsuite_world, run
from tests.web.test_browser import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]


@pytest.fixture
def world(settings):
    yield from netsuite_world(settings)


@pytest.fixture
def served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def fill(path: Path, price: object) -> Path:
    book = load_workbook(path)
    sheet = book["price_list"]
    for column, value in zip("ABCDE", (SKU, LEVEL, CURRENCY, price, Decimal(1)), strict=True):
        sheet[f"{column}2"] = value
    book.save(path)
    return path


def diff_laid_out_as_a_table(page) -> bool:
    """The field-by-field table renders as a table: its headers side by side on one line,
    the row under them (a grid rule meant for the queues' before/after pair once stacked
    the headers in a column on the left)."""
    table = page.locator("table.diff")
    assert table.evaluate("t => getComputedStyle(t).display") == "table"
    headers = [th.bounding_box() for th in table.locator("thead th").all()]
    cell = table.locator("tbody td.new").first.bounding_box()
    assert len({round(box["y"]) for box in headers}) == 1, headers
    assert headers[0]["x"] < headers[-1]["x"] and cell["y"] > headers[0]["y"]
    return True


def test_steward_uploads_sees_errors_fixes_them_and_downloads_the_results(
    served, world, settings, tmp_path
):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(served + "/login")
            page.fill("#username", "steward")
            page.fill("#password", "demo")
            page.click("button[type=submit]")
            page.click("nav >> text=Uploads")
            page.wait_for_url(served + "/uploads")
            page.screenshot(path=str(tmp_path / "1-uploads.png"), full_page=True)

            with page.expect_download() as template:
                page.click("#kind-price_list >> text=Download the empty template")
            filled = tmp_path / "prices.xlsx"
            template.value.save_as(filled)
            fill(filled, "lots")
            page.set_input_files("#file-price_list", str(filled))
            page.click("#kind-price_list >> text=Check and preview")
            page.wait_for_selector("text=Nothing was applied")
            assert page.locator("table.problems", has_text="Unit Price").is_visible()
            page.screenshot(path=str(tmp_path / "2-errors.png"), full_page=True)

            with page.expect_download() as marked:
                page.click("text=Download your workbook with the problems marked")
            fixed = tmp_path / "prices-fixed.xlsx"
            marked.value.save_as(fixed)
            assert load_workbook(fixed)["Errors"]["C2"].value == "Unit Price"
            fill(fixed, Decimal("124.00"))

            page.goto(served + "/uploads")
            page.set_input_files("#file-price_list", str(fixed))
            page.click("#kind-price_list >> text=Check and preview")
            page.wait_for_selector("text=Changes, field by field")
            assert page.locator("table.diff td.new", has_text="124").is_visible()
            assert diff_laid_out_as_a_table(page)
            page.screenshot(path=str(tmp_path / "3-preview.png"), full_page=True)
            page.click("button:has-text('Submit 1 change')")
            page.wait_for_selector("text=Posting to the ERP")

            assert run(settings).status == "completed"
            page.reload()
            page.wait_for_selector("text=Download the results workbook")
            page.screenshot(path=str(tmp_path / "4-posted.png"), full_page=True)
            with page.expect_download() as results:
                page.click("text=Download the results workbook")
            out = tmp_path / "results.xlsx"
            results.value.save_as(out)
        finally:
            browser.close()
    sheet = load_workbook(out)["price_list"]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=header.index("Status") + 1).value == "posted"
    assert netsuite_prices(world)[(CURRENCY, LEVEL, 1)] == Decimal("124.00")
