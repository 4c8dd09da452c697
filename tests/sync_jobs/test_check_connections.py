from __future__ import annotations

from sqlalchemy import select

from core.store import session_scope
from core.store.models import ConnectionCheck, JobRun
from sync_jobs.check_connections import check_reachable, endpoint_of
from sync_jobs.leases import utcnow
from sync_jobs.runner import Runner, create_run
from tests.helpers import cli


def test_check_connections_records_each_system_against_the_sandbox(settings):
    assert cli(settings, "sandbox", "reset", "--seed", "1").returncode == 0
    result = cli(settings, "job", "run", "check_connections")
    assert result.returncode == 0, result.stderr
    with session_scope(settings.database_url) as session:
        checks = {c.system: c for c in session.scalars(select(ConnectionCheck))}
        run = session.scalars(select(JobRun)).one()
    assert set(checks) == {"store", *settings.connections}
    assert all(check.ok for check in checks.values()), {s: c.message for s, c in checks.items()}
    assert all(check.latency_ms is not None for check in checks.values())
    assert run.api_calls == len(settings.connections)


def test_a_wrong_credential_is_recorded_with_its_hint(settings):
    cli(settings, "sandbox", "reset", "--seed", "1")
    result = cli(
        settings, "job", "run", "check_connections", ORDERBRIDGE__CONNECTIONS__DHL__API_KEY="wrong"
    )
    assert result.returncode == 0  # the run completed; the check says what is wrong
    with session_scope(settings.database_url) as session:
        dhl = session.scalars(select(ConnectionCheck).where(ConnectionCheck.system == "dhl")).one()
    assert not dhl.ok and "dhl" in result.stdout


def test_reachability_names_the_problem_when_nothing_answers():
    result = check_reachable("acme", {"url": "https://acme.invalid"})
    assert not result.ok and result.message.startswith("unreachable")
    assert endpoint_of("netsuite", {"account": "123456_SB1"}) == (
        "https://123456-sb1.suitetalk.api.netsuite.com"
    )


def test_the_store_check_runs_without_the_sandbox(settings):
    run_id = create_run(settings.database_url, "check_connections", utcnow())
    Runner(settings.replace(**{"connections": {}})).execute(run_id)
    with session_scope(settings.database_url) as session:
        checks = session.scalars(select(ConnectionCheck)).all()
    assert [(c.system, c.ok) for c in checks] == [("store", True)]
