"""One real browser: Debian's chromium, driven by Playwright, signs in and opens Jobs."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.web.helpers import add_job, add_run

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]


@pytest.fixture
def served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def test_admin_signs_in_and_sees_the_job_on_the_jobs_page(served, db_url):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    add_job(db_url, "sync_orders_browser")
    add_run(db_url, "sync_orders_browser", status="failed", error="Timeout talking to the ERP")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            page = browser.new_page()
            page.goto(served + "/")
            assert page.url.startswith(served + "/login")
            page.fill("#username", "admin")
            page.fill("#password", "demo")
            page.click("button[type=submit]")
            page.wait_for_url(served + "/")
            page.click("nav >> text=Jobs")
            page.wait_for_url(served + "/jobs")
            assert page.locator("#job-sync_orders_browser").is_visible()
            page.click("text=sync_orders_browser")
            page.wait_for_url(served + "/jobs/sync_orders_browser")
            assert page.locator("summary", has_text="Timeout talking to the ERP").is_visible()
            page.click("button:has-text('Run now')")
            assert page.locator(".flash", has_text="run requested").is_visible()
        finally:
            browser.close()


def test_a_coordinator_opens_the_dashboard_and_its_charts_draw(served, db_url):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from tests.web.test_dashboard import orders

    orders(db_url)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            page = browser.new_page()
            refused, failed = [], []
            page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
            page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
            page.goto(served + "/login")
            page.fill("#username", "coordinator")
            page.fill("#password", "demo")
            page.click("button[type=submit]")
            page.wait_for_url(served + "/")
            page.click("nav >> text=Dashboard")
            page.wait_for_url(served + "/dashboard")
            tile = page.locator("#kpi-otd_line_promised")
            assert "50.0%" in tile.locator(".count").inner_text()
            chart = tile.locator("img")
            chart.scroll_into_view_if_needed()
            page.wait_for_function("img => img.complete", arg=chart.element_handle())
            assert chart.evaluate("img => img.naturalWidth") == 360  # the SVG loaded and drew
            assert page.locator("#weekly tbody tr").count() == 8
            assert [url for url in failed if not url.endswith("/favicon.ico")] == []
            # nothing refused by the page's security policy (a missing favicon aside)
            assert [text for text in refused if "404" not in text] == []
        finally:
            browser.close()
