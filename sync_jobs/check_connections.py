"""check_connections: the store and every configured external system, latency and outcome.

A system with a connector is asked through the connector's own check; until its connector
exists, reachability of its endpoint is checked through the same HTTP path connectors use.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import requests
from sqlalchemy import text

from connectors import REGISTRY, get_connector
from connectors.base import CheckResult
from core import http
from core.errors import OrderbridgeError
from core.store import get_engine, session_scope
from core.store.models import ConnectionCheck
from sync_jobs.base import ItemSpec, Job, RunContext


def endpoint_of(system: str, connection: Any) -> str | None:
    """The base URL a system is reached at, from its connection settings."""
    for key in ("url", "instance_url"):
        if connection.get(key):
            return str(connection[key])
    if system == "netsuite" and connection.get("account"):
        host = str(connection["account"]).lower().replace("_", "-")
        return f"https://{host}.suitetalk.api.netsuite.com"
    return None


def check_store(url: str) -> CheckResult:
    started = time.monotonic()
    try:
        with get_engine(url).connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure here is the answer
        return CheckResult("store", False, _ms(started), f"store unavailable: {exc}")
    return CheckResult("store", True, _ms(started), "OK")


def check_reachable(system: str, connection: Any) -> CheckResult:
    url = endpoint_of(system, connection)
    if not url:
        return CheckResult(
            system, False, 0, "no endpoint configured", hint=f"set connections.{system}.url"
        )
    started = time.monotonic()
    try:
        response = http.new_session(system, timeout=10).get(url)
    except requests.RequestException as exc:
        return CheckResult(
            system,
            False,
            _ms(started),
            f"unreachable: {exc}",
            hint="check the URL and the network path",
        )
    return CheckResult(system, True, _ms(started), f"reachable (HTTP {response.status_code})")


def check_system(system: str, settings: Any) -> CheckResult:
    """The connector's check when there is one, else plain reachability."""
    if system not in REGISTRY:
        return check_reachable(system, settings.connections[system])
    try:
        return get_connector(system, settings).check()
    except OrderbridgeError as exc:
        return CheckResult(system, False, 0, exc.message, hint=exc.hint or "")


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


class CheckConnections(Job):
    job_id = "check_connections"

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.calls = 0

    def plan(self, ctx: RunContext) -> Iterable[ItemSpec]:
        version = (ctx.scheduled_at or ctx.window_end).isoformat()
        yield ItemSpec("store", version=version)
        for system in self.settings.connections:
            yield ItemSpec(system, version=version)

    def perform(self, ctx: RunContext, business_key: str, payload: Any) -> str | None:
        if business_key == "store":
            result = check_store(self.settings.database_url)
        else:
            self.calls += 1
            result = check_system(business_key, self.settings)
        with session_scope(self.settings.database_url) as session:
            session.add(
                ConnectionCheck(
                    system=result.system,
                    ok=result.ok,
                    latency_ms=result.latency_ms,
                    message=_line(result),
                )
            )
        if not result.ok:
            ctx.notes.append(f"{result.system}: {_line(result)}")
        return None

    def api_calls(self) -> int:
        return self.calls


def _line(result: CheckResult) -> str:
    return f"{result.message} ({result.hint})" if result.hint else result.message
