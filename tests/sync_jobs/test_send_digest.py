"""send_digest run for real: over SMTP to an aiosmtpd server on loopback, and into the mail
folder; the figures of each role's digest checked against a store seeded with known ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.errors import ConfigError
from core.store import models as m
from core.store import session_scope
from sync_jobs.base import Clock
from sync_jobs.send_digest import recipients
from tests.smtp_server import smtp_server  # noqa: F401
from tests.sync_jobs.digest_world import NOW, seed
from tests.sync_jobs.flows_in import run_job

TO = {
    "coordinator": "coord@example.com",
    "finance": "finance@example.com,controller@example.com",
    "admin": "ops@example.com",
}


class MovedClock(Clock):
    """The run's clock, set by the test (NOW unless moved)."""

    def __init__(self) -> None:
        self.value = NOW

    def now(self):
        return self.value


@pytest.fixture
def clock() -> MovedClock:
    return MovedClock()


def smtp_settings(make_settings, server):
    env = server.environ() | {"ORDERBRIDGE__MAIL__FROM": "Orderbridge <ob@example.com>"}
    env |= {f"ORDERBRIDGE__DIGEST__{role.upper()}__TO": to for role, to in TO.items()}
    return make_settings(env)


def by_role(arrived) -> dict:
    return {a.message["Subject"].split(" for ")[1].split(",")[0]: a for a in arrived}


def text_of(message) -> list[str]:
    return [line.rstrip() for line in message.get_body(("plain",)).get_content().splitlines()]


def items(url: str) -> dict[str, str]:
    with session_scope(url) as session:
        rows = session.scalars(select(m.WorkItem).filter_by(job_id="send_digest"))
        return {row.business_key: row.status for row in rows}


def test_each_role_gets_its_digest_over_smtp_with_its_figures(make_settings, smtp_server, clock):  # noqa: F811
    settings = smtp_settings(make_settings, smtp_server)
    seed(settings.database_url)
    assert run_job(settings, "send_digest", clock).status == "completed"
    arrived = by_role(smtp_server.arrived)
    assert sorted(arrived) == ["admin", "coordinator", "finance"]
    for role, got in arrived.items():
        message = got.message
        assert message["From"] == "Orderbridge <ob@example.com>"
        assert message["To"] == TO[role].replace(",", ", ")
        assert got.recipients == TO[role].split(",")
        assert message["Subject"] == f"Orderbridge daily digest for {role}, 07 Dec 2026"
        assert message.get_body(("html",)).get_content().startswith("<!DOCTYPE html>")

    coordinator = text_of(arrived["coordinator"].message)
    assert "0-7         3          3          +0" in coordinator
    assert "8-14        1          0          +1" in coordinator
    assert "90+         1          1          +0" in coordinator
    assert "shipment_late  2" in coordinator and "backorder      1" in coordinator
    assert "Backorders released in the last 24 hours: 1" in coordinator
    assert "O2/1        2026-12-07 03:00" in coordinator

    finance = text_of(arrived["finance"].message)
    assert "invoice_price_mismatch      2     15.00 USD" in finance
    assert "recon_shipped_not_invoiced  1     100.00 EUR" in finance
    assert "invoice_tax_mismatch" not in "\n".join(finance)
    assert "Delivered shipments with no invoice yet: 1" in finance
    assert "SH-1      O1     2026-12-05" in finance

    admin = text_of(arrived["admin"].message)
    assert "sync_orders  2     abandoned     ERP timed out" in admin
    assert "pull_master_data  2026-12-07 02:00" in admin
    assert "track_shipments  12     2" in admin

    html = arrived["finance"].message.get_body(("html",)).get_content()
    assert "15.00 USD</td>" in html and 'aria-hidden="true"' in html


def test_the_folder_gets_one_file_per_role_per_day_and_a_second_run_none(settings, clock):
    seed(settings.database_url)
    assert run_job(settings, "send_digest", clock).status == "completed"
    assert run_job(settings, "send_digest", clock).status == "completed"
    outbox = settings.data_path / "outbox"
    files = sorted(p.relative_to(outbox).parent.as_posix() for p in outbox.rglob("*.eml"))
    assert files == ["digest/admin", "digest/coordinator", "digest/finance"]
    clock.value = NOW + timedelta(days=1)
    assert run_job(settings, "send_digest", clock).status == "completed"
    assert len(list((outbox / "digest" / "admin").glob("*.eml"))) == 2
    assert set(items(settings.database_url).values()) == {"done"}


def test_nothing_goes_before_the_roles_time(make_settings, clock):
    settings = make_settings(digest__finance__at="09:30")
    clock.value = NOW.replace(hour=9, minute=29)
    run_job(settings, "send_digest", clock)
    assert sorted(items(settings.database_url)) == [
        "digest:admin:2026-12-07",
        "digest:coordinator:2026-12-07",
    ]
    clock.value = NOW.replace(hour=9, minute=30)
    run_job(settings, "send_digest", clock)
    assert "digest:finance:2026-12-07" in items(settings.database_url)


def test_smtp_down_keeps_the_digest_pending_until_the_server_is_back(
    make_settings,
    smtp_server,  # noqa: F811
    clock,
):
    settings = smtp_settings(make_settings, smtp_server)
    smtp_server.stop()
    outcome = run_job(settings, "send_digest", clock)
    assert outcome.status == "failed" and "will resume" in outcome.summary
    assert set(items(settings.database_url).values()) == {"pending"}
    smtp_server.start()
    assert run_job(settings, "send_digest", clock).status == "completed"
    assert len(smtp_server.arrived) == 3
    assert set(items(settings.database_url).values()) == {"done"}
    assert run_job(settings, "send_digest", clock).status == "completed"
    assert len(smtp_server.arrived) == 3


def test_over_smtp_a_role_without_addresses_gets_nothing(make_settings, smtp_server, clock):  # noqa: F811
    env = smtp_server.environ() | {"ORDERBRIDGE__DIGEST__ADMIN__TO": "ops@example.com"}
    outcome = run_job(make_settings(env), "send_digest", clock)
    assert outcome.status == "completed"
    assert "coordinator: no digest.coordinator.to" in outcome.summary
    assert [a.recipients for a in smtp_server.arrived] == [["ops@example.com"]]


def test_a_digest_for_a_role_that_has_none_is_a_config_error(make_settings):
    with pytest.raises(ConfigError) as info:
        recipients(make_settings(digest__steward__at="07:00"))
    assert info.value.key == "digest.steward"
