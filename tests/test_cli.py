"""run.py as a person uses it: every verb has --help; bad input is one line, no traceback."""

from __future__ import annotations

import json
import socket

import pytest
from sqlalchemy import func, select

import run
from core.store import session_scope
from core.store.models import JobRun
from sync_jobs import SCHEDULE
from tests.helpers import cli
from tests.sync_jobs import fake_jobs

VERBS = [
    ["serve"],
    ["web"],
    ["scheduler"],
    ["worker"],
    ["job"],
    ["job", "list"],
    ["job", "run"],
    ["job", "history"],
    ["db"],
    ["db", "upgrade"],
    ["users"],
    ["users", "add"],
    ["users", "list"],
    ["users", "passwd"],
    ["users", "set-role"],
    ["users", "sign-out"],
    ["sandbox"],
    ["sandbox", "reset"],
    ["sandbox", "stats"],
    ["sandbox", "serve"],
    ["connector"],
    ["connector", "check"],
    ["edi"],
    ["edi", "parse"],
    ["edi", "ack"],
]


@pytest.fixture(autouse=True)
def fake_job():
    fake_jobs.install()
    yield
    SCHEDULE.pop("fake_job", None)


@pytest.mark.parametrize("verb", VERBS, ids=" ".join)
def test_every_verb_has_help(verb, capsys):
    with pytest.raises(SystemExit) as info:
        run.main([*verb, "--help"])
    assert info.value.code == 0
    assert "usage:" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["nonsense"], "invalid choice"),
        (["job", "run"], "required"),
        (["users", "add", "x", "--role", "king"], "invalid choice"),
        (["sandbox", "reset", "--seed", "abc"], "invalid int"),
        (["job", "history", "fake_job", "--limit", "x"], "invalid int"),
    ],
)
def test_usage_errors_exit_64_with_one_line(argv, needle, capsys, settings):
    assert run.main(argv) == 64
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]


def test_an_unknown_job_is_a_usage_error(settings):
    result = cli(settings, "job", "run", "no_such_job")
    assert result.returncode == 64
    assert "no job named 'no_such_job'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_setting_names_its_key_and_exits_78(settings):
    result = cli(settings, "job", "list", ORDERBRIDGE__WEB__PORT="many")
    assert result.returncode == 78
    assert (
        result.stderr.strip()
        == "error: web.port: expected a whole number from 1 to 65535, got 'many'"
    )


@pytest.fixture
def taken_port():
    """A port another program listens on, for as long as the test runs."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


@pytest.mark.parametrize("verb", ["serve", "web"])
def test_a_port_in_use_is_one_line_and_exit_78_before_anything_starts(verb, taken_port, settings):
    result = cli(settings, verb, ORDERBRIDGE__WEB__PORT=str(taken_port))
    assert result.returncode == 78
    assert result.stderr.splitlines() == [
        f"error: web.port: 127.0.0.1:{taken_port} is already in use by another program "
        "(stop that program, or choose a free port with --port N or ORDERBRIDGE__WEB__PORT)"
    ]
    assert result.stdout == ""  # no banner, no demo sign-ins
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(func.count()).select_from(JobRun)) == 0


def test_a_port_in_use_given_with_port_is_named_too(taken_port, settings):
    result = cli(settings, "serve", "--port", str(taken_port))
    assert result.returncode == 78
    assert f"127.0.0.1:{taken_port} is already in use" in result.stderr
    assert "Orderbridge is running" not in result.stdout


def test_an_unmigrated_store_says_what_to_run(tmp_path, settings):
    result = cli(
        settings,
        "job",
        "run",
        "fake_job",
        ORDERBRIDGE__DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}",
    )
    assert result.returncode == 78
    assert "run: python run.py db upgrade" in result.stderr and "Traceback" not in result.stderr


def test_job_run_then_history_as_json(settings):
    fake_jobs.configure(settings.data_path, items=3, reject=["k002"])
    result = cli(settings, "job", "run", "fake_job")
    assert result.returncode == 0, result.stderr
    assert "completed" in result.stdout and "rejected 1 (k002)" in result.stdout
    history = cli(settings, "job", "history", "fake_job", "--json")
    rows = json.loads(history.stdout)
    assert [row["status"] for row in rows] == ["completed"]
    row = rows[0]
    assert set(row) == {
        "scheduled_at",
        "started_at",
        "finished_at",
        "status",
        "read",
        "written",
        "failed",
        "api_calls",
        "summary",
    }
    assert (row["read"], row["written"], row["failed"]) == (3, 2, 1)
    assert row["finished_at"].endswith("+00:00")


def test_a_failed_run_exits_1(settings):
    fake_jobs.configure(settings.data_path, items=1, transient=["k000"])
    result = cli(settings, "job", "run", "fake_job")
    assert result.returncode == 1
    assert "transient" in result.stdout


def test_dry_run_plans_without_writing(settings):
    fake_jobs.configure(settings.data_path, items=2)
    result = cli(settings, "job", "run", "fake_job", "--dry-run")
    assert result.returncode == 0 and "2 item(s) would be carried out" in result.stdout
    assert fake_jobs.written(settings.data_path) == []


def test_db_upgrade_creates_demo_users_and_users_add_reads_stdin(settings):
    result = cli(settings, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    added = cli(settings, "users", "add", "maria", "--role", "steward", stdin="a-long-password-1\n")
    assert added.returncode == 0, added.stderr
    listing = cli(settings, "users", "list").stdout
    for role in ("coordinator", "steward", "finance", "auditor", "admin"):
        assert f"{role}" in listing
    assert "maria" in listing and "steward" in listing


def test_production_refuses_to_start_while_a_demo_user_exists(settings):
    cli(settings, "db", "upgrade")
    result = cli(
        settings, "worker", ORDERBRIDGE__MODE="production", ORDERBRIDGE__SECRET_KEY="x" * 40
    )
    assert result.returncode == 78
    assert "demo users exist" in result.stderr


def test_connector_check_of_an_unknown_system_is_a_usage_error(settings):
    result = cli(settings, "connector", "check", "oracle")
    assert result.returncode == 64 and "no connection named 'oracle'" in result.stderr


def test_db_upgrade_on_a_fresh_data_folder(tmp_path, settings):
    fresh = f"sqlite:///{tmp_path / 'fresh' / 'orderbridge.db'}"
    result = cli(settings, "db", "upgrade", ORDERBRIDGE__DATABASE_URL=fresh)
    assert result.returncode == 0, result.stderr
    assert "demo users created: coordinator, steward, finance, auditor, admin" in result.stdout
    again = cli(settings, "db", "upgrade", ORDERBRIDGE__DATABASE_URL=fresh)
    assert again.returncode == 0 and "demo users created" not in again.stdout


def test_sandbox_reset_and_stats_json_shape(settings):
    assert cli(settings, "sandbox", "reset", "--seed", "1").returncode == 0
    result = cli(settings, "sandbox", "stats", "--json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert set(stats) == {"systems", "tracking_numbers"}
    assert set(stats["tracking_numbers"]) == {"ups", "fedex", "dhl"}
    for system, data in stats["systems"].items():
        assert set(data) == {"calls", "max_batch", "records", "duplicates"}, system
        assert all(isinstance(n, int) for part in data.values() for n in part.values())
    assert sum(stats["systems"]["netsuite"]["records"].values()) > 0


def test_track_guesses_the_carrier_and_says_when_a_number_is_unknown(settings):
    cli(settings, "sandbox", "reset", "--seed", "1")
    stats = json.loads(cli(settings, "sandbox", "stats", "--json").stdout)
    for carrier, numbers in stats["tracking_numbers"].items():
        result = cli(settings, "track", numbers[0], "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["carrier"] == carrier
    unknown = cli(settings, "track", "999999999999")
    assert unknown.returncode == 1 and "not found" in unknown.stdout


def _signed_in_cookie(settings, username: str):
    """The portal app on this store and a saved session cookie of the user."""
    from tests.web.helpers import sign_in
    from web import create_app

    app = create_app(settings)
    client = app.test_client()
    assert sign_in(client, username).status_code == 302
    return app, client.get_cookie("orderbridge_session").value


def _replayed_me(app, cookie: str):
    copy = app.test_client()
    copy.set_cookie("orderbridge_session", cookie)
    return copy.get("/api/me")


def _user(settings, name: str):
    from core.store import session_scope
    from core.users import find_user

    with session_scope(settings.database_url) as session:
        user = find_user(session, name)
        session.expunge(user)
        return user


def test_users_passwd_sets_the_password_and_ends_the_sessions(settings):
    cli(settings, "db", "upgrade")
    app, cookie = _signed_in_cookie(settings, "steward")
    result = cli(settings, "users", "passwd", "steward", stdin="a-long-password-2\n")
    assert result.returncode == 0, result.stderr
    assert "a-long-password-2" not in result.stdout + result.stderr
    assert _user(settings, "steward").session_generation == 1
    assert _replayed_me(app, cookie).status_code == 401
    from tests.web.helpers import sign_in

    assert sign_in(app.test_client(), "steward", "a-long-password-2").status_code == 302


def test_users_set_role_changes_the_role_and_ends_the_sessions(settings):
    cli(settings, "db", "upgrade")
    app, cookie = _signed_in_cookie(settings, "steward")
    result = cli(settings, "users", "set-role", "steward", "--role", "finance")
    assert result.returncode == 0, result.stderr
    assert "steward is now finance" in result.stdout
    user = _user(settings, "steward")
    assert (user.role, user.session_generation) == ("finance", 1)
    assert _replayed_me(app, cookie).status_code == 401


def test_users_sign_out_ends_every_session_of_the_user_only(settings):
    cli(settings, "db", "upgrade")
    app, cookie = _signed_in_cookie(settings, "coordinator")
    _, other = _signed_in_cookie(settings, "finance")
    result = cli(settings, "users", "sign-out", "coordinator")
    assert result.returncode == 0, result.stderr
    assert _user(settings, "coordinator").session_generation == 1
    assert _replayed_me(app, cookie).status_code == 401
    assert _replayed_me(app, other).status_code == 200


def test_users_verbs_name_an_unknown_user_and_keep_the_last_admin(settings):
    cli(settings, "db", "upgrade")
    unknown = cli(settings, "users", "sign-out", "nobody")
    assert unknown.returncode == 64 and "no user named 'nobody'" in unknown.stderr
    last = cli(settings, "users", "set-role", "admin", "--role", "steward")
    assert last.returncode == 78 and "admin is the last admin" in last.stderr
    assert _user(settings, "admin").role == "admin"


def test_the_cli_offers_the_roles_of_core():
    from core.users import ROLES

    assert run.ROLES == ROLES
