"""Placeholder simulators: a system whose real simulator is not written yet still answers.

Each placeholder answers GET / with a small JSON 200 and anything else with a JSON 404, and
counts every call as the operation "<METHOD> <path>".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from sandbox.registry import Simulator, WSGIApp

if TYPE_CHECKING:
    from sandbox.state import SandboxState


def json_response(
    start_response: Callable[..., Any], status: str, body: Any, headers: list | None = None
) -> Iterable[bytes]:
    """Send `body` as a JSON response; a helper any simulator may use."""
    data = json.dumps(body).encode()
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        + list(headers or []),
    )
    return [data]


def placeholder(system: str, hosts: tuple[str, ...]) -> Simulator:
    def make_app(state: SandboxState) -> WSGIApp:
        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO") or "/"
            state.count_call(system, f"{method} {path}")
            if method == "GET" and path == "/":
                return json_response(start_response, "200 OK", {"system": system, "status": "ok"})
            body = {"system": system, "status": "not_found", "path": path}
            return json_response(start_response, "404 Not Found", body)

        return app

    return Simulator(system=system, hosts=hosts, make_app=make_app)


netsuite = placeholder("netsuite", (".suitetalk.api.netsuite.com", "webservices.netsuite.com"))
sap = placeholder("sap", ("my300000-api.s4hana.cloud.sap",))
salesforce = placeholder(
    "salesforce", ("login.salesforce.com", "test.salesforce.com", ".my.salesforce.com")
)
ups = placeholder("ups", ("wwwcie.ups.com", "onlinetools.ups.com"))
fedex = placeholder("fedex", ("apis-sandbox.fedex.com", "apis.fedex.com"))
dhl = placeholder("dhl", ("api-test.dhl.com", "api-eu.dhl.com"))
threepl = placeholder("threepl", ("api.sandbox-3pl.example",))
