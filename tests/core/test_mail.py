"""The mail channel against a real SMTP server on loopback, and the mail folder."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest

from core import mail
from core.errors import ConfigError, RecordRejectedError, TransientError
from core.mail import folder
from core.mail.smtp import SmtpSettings
from tests.smtp_server import free_port, smtp_server  # noqa: F401

WHEN = datetime(2026, 12, 7, 7, 5, tzinfo=timezone.utc)


def message(to=("ops@example.com",), key="digest:admin:2026-12-07"):
    return mail.compose(
        sender="Orderbridge <orderbridge@example.com>",
        to=list(to),
        subject="Daily digest",
        text="3 failed runs",
        html="<p>3 <b>failed</b> runs</p>",
        key=key,
        when=WHEN,
    )


def smtp_settings(make_settings, server, **environ):
    return make_settings({**server.environ(), **environ})


def test_a_message_sent_over_smtp_arrives_with_both_parts(make_settings, smtp_server):  # noqa: F811
    settings = smtp_settings(make_settings, smtp_server)
    delivery = mail.send(settings, message(), "digest", "admin", "digest:admin:2026-12-07")
    assert delivery.refused == {}
    [arrived] = smtp_server.arrived
    assert arrived.recipients == ["ops@example.com"]
    got = arrived.message
    assert (got["From"], got["To"], got["Subject"]) == (
        "Orderbridge <orderbridge@example.com>",
        "ops@example.com",
        "Daily digest",
    )
    assert got.get_body(("plain",)).get_content().strip() == "3 failed runs"
    assert "<b>failed</b>" in got.get_body(("html",)).get_content()
    assert got["Message-ID"] == mail.message_id("digest:admin:2026-12-07")
    assert not (settings.data_path / "outbox").exists()


def test_a_login_on_loopback_goes_through_without_tls(make_settings, smtp_server):  # noqa: F811
    smtp_server.login = ("mailer", "s3cret")
    env = {"ORDERBRIDGE__MAIL__SMTP_USER": "mailer", "ORDERBRIDGE__MAIL__SMTP_PASSWORD": "s3cret"}
    settings = smtp_settings(make_settings, smtp_server, **env)
    mail.send(settings, message(), "digest", "admin", "k")
    assert len(smtp_server.arrived) == 1


def test_a_refused_login_is_a_config_error_without_the_password(make_settings, smtp_server):  # noqa: F811
    smtp_server.login = ("mailer", "right")
    env = {"ORDERBRIDGE__MAIL__SMTP_USER": "mailer", "ORDERBRIDGE__MAIL__SMTP_PASSWORD": "wrong"}
    settings = smtp_settings(make_settings, smtp_server, **env)
    with pytest.raises(ConfigError) as info:
        mail.send(settings, message(), "digest", "admin", "k")
    assert info.value.key == "mail.smtp_user" and "wrong" not in str(info.value)
    assert smtp_server.arrived == []


def test_credentials_are_never_sent_without_tls_to_another_host():
    config = SmtpSettings("mail.example.com", 25, starttls=False, user="u", password="p")
    with pytest.raises(ConfigError) as info:
        mail.smtp.send(config, message())
    assert info.value.key == "mail.smtp_starttls"


def test_a_server_that_is_down_is_a_transient_error():
    config = SmtpSettings("127.0.0.1", free_port(), starttls=False, timeout=5)
    with pytest.raises(TransientError):
        mail.smtp.send(config, message())


def test_a_recipient_refused_for_good_is_named_and_the_others_get_it(smtp_server):  # noqa: F811
    smtp_server.keeper.refuse["gone@example.com"] = "550 5.1.1 no such user"
    config = SmtpSettings(smtp_server.host, smtp_server.port, starttls=False)
    delivery = mail.smtp.send(config, message(to=("ops@example.com", "gone@example.com")))
    assert delivery.refused == {"gone@example.com": "550 5.1.1 no such user"}
    assert smtp_server.arrived[0].recipients == ["ops@example.com"]


def test_every_recipient_refused_names_each(smtp_server):  # noqa: F811
    smtp_server.keeper.refuse |= {"a@example.com": "550 no a", "b@example.com": "553 no b"}
    config = SmtpSettings(smtp_server.host, smtp_server.port, starttls=False)
    with pytest.raises(RecordRejectedError) as info:
        mail.smtp.send(config, message(to=("a@example.com", "b@example.com")))
    assert "a@example.com: 550 no a" in str(info.value)
    assert "b@example.com: 553 no b" in str(info.value)


def test_a_recipient_refused_for_now_is_transient(smtp_server):  # noqa: F811
    smtp_server.keeper.refuse["busy@example.com"] = "451 4.3.0 try later"
    config = SmtpSettings(smtp_server.host, smtp_server.port, starttls=False)
    with pytest.raises(TransientError):
        mail.smtp.send(config, message(to=("busy@example.com",)))


def test_the_folder_gets_one_whole_file_per_key(settings):
    first = mail.send(settings, message(), "digest", "admin", "digest:admin:2026-12-07")
    again = mail.send(settings, message(), "digest", "admin", "digest:admin:2026-12-07")
    root = settings.data_path / "outbox"
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert files == [first.where.removeprefix(str(root) + os.sep)] and again.where == first.where
    assert files[0].startswith("digest/admin/20261207T070500Z-")
    assert mail.already_sent(settings, "digest", "admin", "digest:admin:2026-12-07")
    assert not mail.already_sent(settings, "digest", "admin", "digest:admin:2026-12-08")


def test_the_listing_is_newest_first_and_reads_only_listed_names(tmp_path):
    folder.write(tmp_path, "digest", "admin", "a", message(key="a"))
    later = message(key="b")
    later.replace_header("Date", "Tue, 08 Dec 2026 07:00:00 +0000")
    folder.write(tmp_path, "notices", "C-001", "b", later)
    (tmp_path / "digest" / "admin" / ".tmp-half.eml").write_bytes(b"Subject: half")
    entries = folder.listing(tmp_path)
    assert [(e.channel, e.group) for e in entries] == [("notices", "C-001"), ("digest", "admin")]
    assert folder.read(tmp_path, entries[1].name).get_body(("plain",)).get_content()
    (tmp_path.parent / "secret.eml").write_bytes(b"Subject: secret\n\nno")
    for name in ("../secret.eml", "digest/../../secret.eml", "/etc/passwd", "digest/admin"):
        assert folder.read(tmp_path, name) is None


def test_a_group_name_cannot_leave_the_folder(tmp_path):
    path = folder.write(tmp_path / "outbox", "digest", "../../evil", "k", message())
    assert path.resolve().is_relative_to((tmp_path / "outbox").resolve())


def test_a_refused_sender_names_the_from_setting(smtp_server):  # noqa: F811
    smtp_server.keeper.refuse_sender = "553 5.7.1 not allowed to send as that"
    config = SmtpSettings(smtp_server.host, smtp_server.port, starttls=False)
    with pytest.raises(ConfigError) as info:
        mail.smtp.send(config, message())
    assert info.value.key == "mail.from" and "553" in str(info.value)


def test_starttls_asked_of_a_server_without_it_stops_before_anything_is_sent(smtp_server):  # noqa: F811
    config = SmtpSettings(smtp_server.host, smtp_server.port, starttls=True, user="u", password="p")
    with pytest.raises(ConfigError) as info:
        mail.smtp.send(config, message())
    assert info.value.key == "mail.smtp_starttls" and "p" not in info.value.message.split()
    assert smtp_server.arrived == []
