"""Sandbox fixtures: a seeded state in a temporary folder and a requests.Session over the adapter.

Simulator tests use `sandbox_state` and `sandbox_session`; `echo_simulator` is a test app that
reports back what it received, to check the adapter carries requests faithfully.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests

from sandbox import SandboxAdapter, SandboxState, Simulator, load_simulators

TODAY = date(2026, 3, 2)
ECHO_HOST = "echo.sandbox.test"


@pytest.fixture
def sandbox_state(tmp_path: Path) -> Iterator[SandboxState]:
    state = SandboxState(tmp_path / "var" / "sandbox" / "state.db")
    state.reset(1, TODAY)
    yield state
    state.close()


def echo_app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return (bytes([n % 256]) * 1000 for n in range(100))
    if path == "/gzip":
        data = gzip.compress(b"squeezed " * 100)
        start_response("200 OK", [("Content-Encoding", "gzip"), ("Content-Length", str(len(data)))])
        return [data]
    if path == "/login":
        start_response("204 No Content", [("Set-Cookie", "sid=abc123; Path=/")])
        return [b""]
    if path == "/redirect":
        start_response("302 Found", [("Location", "/landed")])
        return [b""]
    if path.startswith("/status/"):
        code = int(path.rsplit("/", 1)[1])
        start_response(f"{code} Whatever", [("Content-Type", "text/plain")])
        return [b"status body"]
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    headers = {k[5:]: v for k, v in environ.items() if k.startswith("HTTP_")}
    answer = {
        "method": environ["REQUEST_METHOD"],
        "path": path,
        "script_name": environ["SCRIPT_NAME"],
        "query": parse_qs(environ["QUERY_STRING"]),
        "headers": headers,
        "content_type": environ.get("CONTENT_TYPE", ""),
        "body": body.decode("utf-8"),
        "scheme": environ["wsgi.url_scheme"],
        "server_name": environ["SERVER_NAME"],
    }
    data = json.dumps(answer).encode()
    start_response("200 OK", [("Content-Type", "application/json; charset=utf-8")])
    return [data]


echo_simulator = Simulator(system="echo", hosts=(ECHO_HOST,), make_app=lambda state: echo_app)


def session_over(adapter: SandboxAdapter) -> requests.Session:
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


@pytest.fixture
def sandbox_session(sandbox_state: SandboxState) -> requests.Session:
    """A plain requests.Session whose every request goes to the simulators (plus echo)."""
    adapter = SandboxAdapter(sandbox_state, [echo_simulator, *load_simulators()])
    return session_over(adapter)
