"""Serve every simulator on loopback over HTTPS, for end-to-end tests and real clients.

One threaded server on 127.0.0.1:PORT. A request goes to the simulator whose host name its
Host header carries (for clients that resolve real host names to loopback); otherwise the
first path segment names the system: https://127.0.0.1:8443/ups/api/track/... reaches the ups
app with SCRIPT_NAME "/ups" and PATH_INFO "/api/track/...". GET / lists the systems.
"""

from __future__ import annotations

import logging
import signal
import socketserver
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from sandbox.ca import ensure_ca, issue_server_cert
from sandbox.faults import FaultMiddleware, FaultTimeout
from sandbox.generic import json_response
from sandbox.registry import Simulator, find_simulator, load_simulators
from sandbox.state import SandboxState

log = logging.getLogger(__name__)
DEFAULT_PORT = 8443


class Router:
    """Routes by simulated Host header, else by /<system>/ path prefix."""

    def __init__(self, state: SandboxState, simulators: Iterable[Simulator]) -> None:
        self.simulators = list(simulators)
        self.apps = {
            s.system: FaultMiddleware(s.make_app(state), state, s.system) for s in self.simulators
        }

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ["wsgi.url_scheme"] = "https"
        host = urlsplit("//" + environ.get("HTTP_HOST", "")).hostname or ""
        simulator = find_simulator(self.simulators, host)
        path = environ.get("PATH_INFO") or "/"
        if simulator is not None:
            system = simulator.system
        else:
            system, _, rest = path.lstrip("/").partition("/")
            if system not in self.apps:
                if path == "/":
                    return json_response(
                        start_response, "200 OK", {"systems": {s: f"/{s}/" for s in self.apps}}
                    )
                body = {"error": f"sandbox: no simulator serves host {host} or path {path}"}
                return json_response(start_response, "404 Not Found", body)
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + "/" + system
            environ["PATH_INFO"] = "/" + rest
        try:
            return self.apps[system](environ, start_response)
        except FaultTimeout as exc:  # hold the client past its timeout, then give up
            time.sleep(exc.seconds)
            return json_response(start_response, "504 Gateway Timeout", {"error": "timeout fault"})


class _ServerHandler(ServerHandler):
    os_environ: dict[str, str] = {}  # wsgiref would copy the process environment into environ

    def get_scheme(self) -> str:
        return "https"

    def log_exception(self, exc_info: Any) -> None:
        if isinstance(exc_info[1], OSError):  # the client left first, e.g. it timed out
            log.debug("sandbox: client gone: %s", exc_info[1])
        else:
            log.error("sandbox: a simulator failed", exc_info=exc_info)


class _RequestHandler(WSGIRequestHandler):
    timeout = 60  # idle keep-alive connections do not hold a thread forever

    def setup(self) -> None:
        super().setup()
        self.request.do_handshake()  # in this worker thread, not in the accepting one

    def handle(self) -> None:  # wsgiref's, with our handler class
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _ServerHandler(
            self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=True
        )
        handler.request_handler = self
        handler.run(self.server.get_app())

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        log.debug("sandbox %s " + format, self.address_string(), *args)


class SandboxServer(socketserver.ThreadingMixIn, WSGIServer):
    """The threaded HTTPS server; `serve_forever()` in a thread, `shutdown()` to stop."""

    daemon_threads = True  # a request held by a timeout fault must not block shutdown

    def __init__(self, address: tuple[str, int], context: ssl.SSLContext, ca_cert: Path) -> None:
        self.context, self.ca_cert = context, ca_cert
        super().__init__(address, _RequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would look up the host's full name; loopback needs none.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]
        self.setup_environ()

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        return self.context.wrap_socket(
            sock, server_side=True, do_handshake_on_connect=False
        ), address

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("sandbox: connection from %s failed", client_address, exc_info=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"https://{host}:{port}"


def make_server(
    state: SandboxState,
    ca_dir: Path,
    port: int = DEFAULT_PORT,
    host: str = "127.0.0.1",
    simulators: Iterable[Simulator] | None = None,
) -> SandboxServer:
    """A ready server on host:port (0 picks a free port); certificates from `ca_dir`."""
    simulators = list(simulators) if simulators is not None else load_simulators()
    ca_cert = ensure_ca(ca_dir)
    cert, key = issue_server_cert(ca_dir, [h for s in simulators for h in s.hosts])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    server = SandboxServer((host, port), context, ca_cert)
    server.set_app(Router(state, simulators))
    return server


def serve(state: SandboxState, ca_dir: Path, port: int = DEFAULT_PORT) -> None:
    """Serve until SIGTERM or Ctrl-C, then close cleanly."""
    server = make_server(state, ca_dir, port)
    print(f"sandbox: serving {', '.join(server.url + '/' + s for s in server.get_app().apps)}")
    print(f"sandbox: trust the CA certificate {server.ca_cert} (requests: verify=that path)")
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    worker = threading.Thread(target=server.serve_forever, name="sandbox-serve", daemon=True)
    worker.start()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.shutdown()
        server.server_close()
        print("sandbox: stopped")
