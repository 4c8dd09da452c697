"""`serve` in the embedded default: the port check, the web server and scheduler as child
processes, and stopping them all together."""

from __future__ import annotations

import argparse
import errno
import logging
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from core.errors import ConfigError

RUN_PY = Path(__file__).resolve().parent.parent / "run.py"
log = logging.getLogger("orderbridge")  # the name its lines have always carried


def check_port_free(host: str, port: int) -> None:
    """Refuse to start when the portal's address is taken, before anything else starts.

    Binds each address waitress would listen on (SO_REUSEADDR as waitress sets it, so a port
    in TIME_WAIT passes) and lets go at once; the web server binds it again a moment later."""
    where = f"{host}:{port}"
    try:
        addresses = socket.getaddrinfo(
            host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, socket.IPPROTO_TCP, socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise ConfigError(
            f"cannot listen on {where}: {exc.strerror}", key="web.host", hint="set a local address"
        ) from exc
    for family, kind, proto, _name, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise ConfigError(
                        f"{where} is already in use by another program",
                        key="web.port",
                        hint="stop that program, or choose a free port with --port N "
                        "or ORDERBRIDGE__WEB__PORT",
                    ) from exc
                raise ConfigError(
                    f"cannot listen on {where}: {exc.strerror}",
                    key="web.port",
                    hint="choose a port above 1023 and an address of this machine (web.host)",
                ) from exc


def run_embedded(args: argparse.Namespace, host: str, port: int) -> int:
    """The web server and the scheduler (with its workers) as children, until one stops."""
    children = [_child(["web", "--port", str(port)], args), _child(["scheduler"], args)]
    print(f"Orderbridge is running at http://{host}:{port}/")
    print("Demo sign-ins (password demo): coordinator, steward, finance, auditor, admin")
    print("Stop with Ctrl-C.", flush=True)
    return supervise(children)


def _child(verb: list[str], args: argparse.Namespace) -> subprocess.Popen:
    globals_ = ["--trace", args.trace] if args.trace else []
    return subprocess.Popen([sys.executable, str(RUN_PY), *globals_, *verb])


def supervise(children: list[subprocess.Popen]) -> int:
    """Run until Ctrl-C, SIGTERM or a child's death; then stop all children together."""
    stopping = []

    def stop(_signum: int, _frame: Any) -> None:
        stopping.append(True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    while not stopping:
        dead = [child for child in children if child.poll() is not None]
        if dead:
            code = dead[0].returncode or 1
            log.error("a child process stopped (exit %s); stopping the others", code)
            break
        time.sleep(0.5)
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
    return code
