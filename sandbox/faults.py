"""Generic faults the frame wraps around every simulator: latency, 429, 5xx and timeouts.

A fault is a row {kind, params, remaining} switched on with `state.set_fault(system, kind,
**params)`. The middleware applies these kinds (each optionally limited by `times=N`, and to
requests whose path starts with `path` or whose SOAP operation equals `operation`):

- latency       seconds=S          wait S seconds, then serve normally
- timeout       seconds=S          never answer in time (in-process: requests' ReadTimeout;
                                   on loopback the server waits S seconds, default 30, then 504)
- rate_limit    retry_after=N      HTTP 429 with Retry-After: N (default 1)
- server_error  status=5xx         that status (default 503)

Protocol faults (session expiry, concurrency, partial batch, hostile XML) are the simulators'
own: they read `state.get_faults(system)` and `state.consume_fault(id)` themselves. Every
faulted request is counted as the call "fault:<kind>".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from http.client import responses
from typing import Any

from sandbox.generic import json_response
from sandbox.registry import WSGIApp
from sandbox.state import SandboxState

KINDS = ("latency", "timeout", "rate_limit", "server_error")


class FaultTimeout(Exception):  # noqa: N818 - it is a signal to the transport, not an error
    """Raised by the middleware for a request that must not be answered in time."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"timeout fault, no answer for {seconds}s")
        self.seconds = seconds


def soap_operation(environ: dict[str, Any]) -> str:
    """The operation a SOAPAction header names ("urn:...#search", "search" -> "search")."""
    action = environ.get("HTTP_SOAPACTION", "")
    if not action:  # SOAP 1.2 carries it as the action parameter of the content type
        _, _, action = environ.get("CONTENT_TYPE", "").partition('action="')
    action = action.strip().strip('"').split('"')[0]
    for separator in ("#", "/", ":"):
        action = action.rsplit(separator, 1)[-1]
    return action


def matches(params: dict[str, Any], environ: dict[str, Any]) -> bool:
    path = params.get("path")
    if path and not (environ.get("PATH_INFO") or "/").startswith(path):
        return False
    operation = params.get("operation")
    return not operation or soap_operation(environ) == operation


class FaultMiddleware:
    """Applies the system's active faults before its app sees the request."""

    def __init__(self, app: WSGIApp, state: SandboxState, system: str) -> None:
        self.app, self.state, self.system = app, state, system

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        for fault in self.state.get_faults(self.system):
            kind, params = fault["kind"], fault["params"]
            if kind not in KINDS or not matches(params, environ):
                continue
            if not self.state.consume_fault(fault["id"]):
                continue  # used up by a concurrent request
            self.state.count_call(self.system, f"fault:{kind}")
            if kind == "latency":
                self._wait(float(params.get("seconds", 1)), environ)
            elif kind == "timeout":
                raise FaultTimeout(float(params.get("seconds", 30)))
            elif kind == "rate_limit":
                retry_after = str(params.get("retry_after", 1))
                body = {"system": self.system, "error": "rate_limited", "retry_after": retry_after}
                status_line = "429 Too Many Requests"
                return json_response(
                    start_response, status_line, body, [("Retry-After", retry_after)]
                )
            elif kind == "server_error":
                status = int(params.get("status", 503))
                body = {"system": self.system, "error": "server_error", "status": status}
                return json_response(
                    start_response, f"{status} {responses.get(status, 'Server Error')}", body
                )
        return self.app(environ, start_response)

    @staticmethod
    def _wait(seconds: float, environ: dict[str, Any]) -> None:
        """Wait out the latency, or only until the client's read timeout and then time out."""
        timeout = environ.get("sandbox.timeout")
        if timeout is not None and seconds > timeout:
            time.sleep(timeout)
            raise FaultTimeout(seconds)
        time.sleep(seconds)
