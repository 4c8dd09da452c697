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
