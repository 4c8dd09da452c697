"""The requests transport adapter: real host names go to in-process simulator apps, no socket.

Mounted on a requests.Session (core.http.set_transport does that for every connector), it
turns each PreparedRequest into a WSGI environ, calls the simulator serving the host (wrapped
in its faults), and hands back a real requests.Response, so requests, zeep and
simple-salesforce run unmodified. Any host no simulator serves is refused.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
import time
from collections.abc import Iterable
from datetime import timedelta
from http.client import HTTPMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.cookies import extract_cookies_to_jar
from requests.utils import get_encoding_from_headers
from urllib3 import HTTPHeaderDict, HTTPResponse

from sandbox.faults import FaultMiddleware, FaultTimeout
from sandbox.registry import Simulator, WSGIApp, find_simulator, load_simulators
from sandbox.state import SandboxState

log = logging.getLogger(__name__)


def read_timeout(timeout: Any) -> float | None:
    """The read part of a requests timeout (a number, a (connect, read) pair or None)."""
    if isinstance(timeout, tuple):
        timeout = timeout[1]
    read = getattr(timeout, "read_timeout", timeout)  # a urllib3 Timeout
    return float(read) if isinstance(read, int | float) else None


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else data
    return b"".join(c.encode("utf-8") if isinstance(c, str) else c for c in body)


def build_environ(request: requests.PreparedRequest, timeout: Any = None) -> dict[str, Any]:
    """The WSGI environ of a prepared request, as a front server would build it."""
    url = urlsplit(request.url)
    body = _body_bytes(request.body)
    port = url.port or (443 if url.scheme == "https" else 80)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        # PEP 3333: PATH_INFO is decoded and carried as latin-1 text.
        "PATH_INFO": unquote(url.path or "/", encoding="latin-1"),
        "QUERY_STRING": url.query,
        "SERVER_NAME": url.hostname or "",
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "sandbox.timeout": read_timeout(timeout),
    }
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif key != "CONTENT_LENGTH":
            environ[f"HTTP_{key}"] = value
    environ.setdefault("HTTP_HOST", url.netloc)
    return environ


def call_app(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run a WSGI app to completion: (status line, headers, body)."""
    started: dict[str, Any] = {}
    written: list[bytes] = []

    def start_response(status: str, headers: list, exc_info: Any = None) -> Any:
        if exc_info and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started.update(status=status, headers=list(headers))
        return written.append

    result = app(environ, start_response)
    try:
        chunks: Iterable[bytes] = list(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return started["status"], started["headers"], b"".join(written) + b"".join(chunks)


class _Original:
    """What urllib3 and requests read from the http.client response beneath a urllib3 one:
    the header message (cookies are extracted from it) and the request method."""

    def __init__(self, message: HTTPMessage, method: str) -> None:
        self.msg, self._method = message, method

    def close(self) -> None:
        """There is no connection to close."""

    def isclosed(self) -> bool:
        return True


class SandboxAdapter(BaseAdapter):
    """Serves every request from the simulator of its host; see the module docstring."""

    def __init__(self, state: SandboxState, simulators: Iterable[Simulator] | None = None):
        super().__init__()
        self.state = state
        self.simulators = list(simulators) if simulators is not None else load_simulators()
        self._apps: dict[str, WSGIApp] = {}
        self._lock = threading.Lock()

    def app_for(self, simulator: Simulator) -> WSGIApp:
        """The simulator's app wrapped in its faults, built once per adapter."""
        with self._lock:
            if simulator.system not in self._apps:
                app = simulator.make_app(self.state)
                self._apps[simulator.system] = FaultMiddleware(app, self.state, simulator.system)
            return self._apps[simulator.system]

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        host = urlsplit(request.url).hostname or ""
        simulator = find_simulator(self.simulators, host)
        if simulator is None:
            raise requests.exceptions.ConnectionError(
                f"sandbox: no simulator serves host {host}", request=request
            )
        environ = build_environ(request, timeout)
        started = time.perf_counter()
        try:
            status, headers, body = call_app(self.app_for(simulator), environ)
        except FaultTimeout as exc:
            raise requests.exceptions.ReadTimeout(
                f"sandbox: {host} did not answer within {environ['sandbox.timeout']}s ({exc})",
                request=request,
            ) from None
        except Exception:  # a simulator bug reaches the client as a real server's 500 would
            log.exception("sandbox: the %s simulator failed on %s", simulator.system, request.url)
            status, headers, body = "500 Internal Server Error", [], b"sandbox simulator error"
        return self._response(request, status, headers, body, time.perf_counter() - started)

    def _response(
        self,
        request: requests.PreparedRequest,
        status: str,
        headers: list[tuple[str, str]],
        body: bytes,
        elapsed: float,
    ) -> requests.Response:
        code, _, reason = status.partition(" ")
        header_dict = HTTPHeaderDict()
        message = HTTPMessage()
        for name, value in headers:
            header_dict.add(name, value)
            message[name] = value
        raw = HTTPResponse(
            body=io.BytesIO(body),
            headers=header_dict,
            status=int(code),
            reason=reason,
            version=11,
            version_string="HTTP/1.1",
            preload_content=False,
            decode_content=True,
            original_response=_Original(message, request.method or "GET"),
            request_method=request.method,
            request_url=request.url,
        )
        response = requests.Response()
        response.status_code = int(code)
        response.headers = requests.structures.CaseInsensitiveDict(header_dict)
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = raw
        response.reason = reason
        response.url = request.url
        response.request = request
        response.connection = self
        response.elapsed = timedelta(seconds=elapsed)
        extract_cookies_to_jar(response.cookies, request, raw)
        return response

    def close(self) -> None:
        """Nothing to release: there is no socket."""
