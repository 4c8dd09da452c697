"""The mail folder in the portal: listed newest first, one message shown with its HTML part
sandboxed, names outside the listing refused, each role its own digests."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core import mail
from tests.web.helpers import sign_in


def put(app, role: str, day: int, html: str = "<p>figures</p>") -> str:
    settings = app.config["SETTINGS"]
    key = f"digest:{role}:2026-12-{day:02d}"
    message = mail.compose(
        sender="ob@example.com",
        to=[f"{role}@example.com"],
        subject=f"Digest for {role}, {day} Dec",
        text=f"plain figures for {role}",
        html=html,
        key=key,
        when=datetime(2026, 12, day, 7, 0, tzinfo=timezone.utc),
    )
    path = mail.send(settings, message, "digest", role, key).where
    return path.split("/outbox/", 1)[1]


@pytest.fixture
def mails(app) -> dict[str, str]:
    return {
        "admin": put(app, "admin", 6),
        "finance": put(app, "finance", 7, html='<p>due</p><script>alert("x")</script>'),
    }


def test_the_listing_shows_every_message_newest_first_to_an_admin(admin, mails):
    page = admin.get("/mail/").get_data(as_text=True)
    assert page.index("Digest for finance, 7 Dec") < page.index("Digest for admin, 6 Dec")
    assert "2026-12-07 07:00" in page and f'href="/mail/message/{mails["finance"]}"' in page


def test_a_message_shows_its_text_and_its_html_in_a_sandbox(admin, mails):
    page = admin.get(f"/mail/message/{mails['finance']}").get_data(as_text=True)
    assert "plain figures for finance" in page and "finance@example.com" in page
    assert f'<iframe class="mail" sandbox src="/mail/html/{mails["finance"]}"' in page
    assert "<script>alert" not in page
    html = admin.get(f"/mail/html/{mails['finance']}")
    assert html.status_code == 200 and "<p>due</p>" in html.get_data(as_text=True)
    policy = html.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy
    assert html.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_names_outside_the_listing_are_refused(admin, app, mails):
    outside = app.config["SETTINGS"].data_path / "secret.eml"
    outside.write_text("Subject: secret\n\nthe secret key\n")
    for name in (
        "../secret.eml",
        "%2e%2e/secret.eml",
        "digest/admin/../../../secret.eml",
        "digest%2F..%2F..%2Fsecret.eml",
        "digest/admin/nothing.eml",
    ):
        for route in ("message", "html"):
            response = admin.get(f"/mail/{route}/{name}")
            assert response.status_code == 404, (route, name)
            assert "the secret key" not in response.get_data(as_text=True)


def test_finance_reads_its_own_digests_only(client, mails):
    assert sign_in(client, "finance").status_code == 302
    page = client.get("/mail/").get_data(as_text=True)
    assert "Digest for finance" in page and "Digest for admin" not in page
    assert client.get(f"/mail/message/{mails['finance']}").status_code == 200
    assert client.get(f"/mail/message/{mails['admin']}").status_code == 404


@pytest.mark.parametrize("role", ["steward", "auditor"])
def test_a_role_without_mail_gets_403(client, mails, role):
    assert sign_in(client, role).status_code == 302
    assert client.get("/mail/").status_code == 403
    assert client.get(f"/mail/message/{mails['finance']}").status_code == 403
