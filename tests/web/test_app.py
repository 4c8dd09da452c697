"""The app as a whole: error pages without tracebacks, headers, and no job code imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.web.helpers import add_job, sign_in

ROOT = Path(__file__).resolve().parents[2]


def _boom():
    raise RuntimeError("internal detail that must stay in the log")


def test_an_unexpected_error_shows_our_500_page_without_a_traceback(app, admin):
    app.view_functions["home.index"] = _boom
    response = admin.get("/")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in text and "Orderbridge" in text
    assert "Traceback" not in text and "internal detail" not in text


def test_api_errors_are_json(app, admin):
    app.view_functions["api.jobs"] = _boom
    response = admin.get("/api/jobs")
    assert response.status_code == 500
    assert response.get_json() == {
        "error": "Something went wrong on our side. The error has been logged.",
        "status": 500,
    }


def test_403_and_404_pages_share_the_look(client):
    sign_in(client, "steward")
    forbidden = client.get("/jobs")
    assert forbidden.status_code == 403
    assert "Your role does not give access" in forbidden.get_data(as_text=True)
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and 'class="bar"' in missing.get_data(as_text=True)


def test_pages_carry_security_headers(admin):
    response = admin.get("/jobs")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_the_portal_never_imports_connectors_or_jobs(app, db_url, tmp_path):
    add_job(db_url)
    script = textwrap.dedent(
        """
        import json, re, sys
        from web import create_app

        app = create_app()
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        client.post("/login", data={"username": "admin", "password": "demo", "csrf_token": token})
        codes = [client.get(p).status_code for p in ("/", "/jobs", "/jobs/sync_orders",
                 "/api/jobs", "/healthz", "/metrics", "/account/tokens", "/edi", "/api/edi")]
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("connectors", "sync_jobs"))
        print(json.dumps({"codes": codes, "loaded": loaded}))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERBRIDGE")}
    env.update(ORDERBRIDGE__DATA_DIR=str(tmp_path / "var"), ORDERBRIDGE__DATABASE_URL=db_url)
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"codes": [200] * 9, "loaded": []}
