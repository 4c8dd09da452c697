"""Shared by the order-flow job tests: a seeded sandbox behind the settings' data folder, and
runs of a job in this process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from config import Settings
from core import http
from core.retry import breaker_for
from core.store import session_scope
from sandbox import SandboxAdapter, SandboxState
from sync_jobs.base import Clock
from sync_jobs.leases import utcnow
from sync_jobs.runner import Runner, RunOutcome, create_run

TODAY = date(2026, 3, 2)
SYSTEMS = ("netsuite", "sap", "salesforce", "threepl")


@dataclass
class Flows:
    settings: Settings
    state: SandboxState
    clock: Clock | None = None  # the runner's; the real one when None

    @property
    def world(self) -> Any:
        return self.state.world

    def run(self, job_id: str, **overrides: Any) -> RunOutcome:
        settings = self.settings
        run_id = create_run(settings.database_url, job_id, utcnow(), trigger="cli")
        return Runner(settings, clock=self.clock).execute(run_id)

    def stats(self, system: str) -> dict[str, Any]:
        return self.state.stats()["systems"][system]

    def rows(self, model: Any, **where: Any) -> list[Any]:
        with session_scope(self.settings.database_url) as session:
            found = session.scalars(select(model).filter_by(**where)).all()
            session.expunge_all()
            return list(found)

    def sf_order(self, number: str) -> dict[str, Any]:
        return next(
            r for r in self.state.find_records("salesforce", "Order") if r["OrderNumber"] == number
        )


def make_flows(make_settings, **overrides: Any) -> Iterator[Flows]:
    settings = make_settings(**overrides)
    state = SandboxState(settings.data_path / "sandbox" / "state.db")
    state.reset(1, TODAY)
    http.set_transport(SandboxAdapter(state))
    for system in SYSTEMS:  # another test's failures may have left a circuit open
        breaker_for(system).record_success()
    try:
        yield Flows(settings, state)
    finally:
        http.set_transport(None)
        state.close()
