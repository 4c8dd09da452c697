"""`run.py serve` (what `make run` starts): first start prepares everything; SIGTERM stops all."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
import urllib.error
import urllib.request

import pytest

from tests.helpers import cli_popen

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    if int(handle.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


def test_serve_prepares_a_fresh_data_folder_runs_jobs_and_stops_together(tmp_path, settings):
    port = free_port()
    fresh = f"sqlite:///{tmp_path / 'fresh' / 'orderbridge.db'}"
    serve = cli_popen(
        settings,
        "serve",
        "--port",
        str(port),
        ORDERBRIDGE__DATA_DIR=str(tmp_path / "fresh"),
        ORDERBRIDGE__DATABASE_URL=fresh,
        ORDERBRIDGE__JOBS__CHECK_CONNECTIONS__PAUSED="false",
        ORDERBRIDGE__JOBS__CHECK_CONNECTIONS__EVERY="2s",
    )
    try:
        health, deadline = {}, time.time() + 60
        while time.time() < deadline:
            try:
                health = get_json(f"http://127.0.0.1:{port}/healthz")
                last = health.get("last_runs", {}).get("check_connections") or {}
                if last.get("status") == "completed":
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.5)
        assert health["store"]["ok"] is True
        assert health["last_runs"]["check_connections"]["status"] == "completed"
        children = children_of(serve.pid)
        assert len(children) == 2  # the web server and the scheduler
        assert (tmp_path / "fresh" / "sandbox").is_dir()
    finally:
        serve.send_signal(signal.SIGTERM)
        out, _ = serve.communicate(timeout=30)
    assert serve.returncode == 0
    assert "Demo sign-ins (password demo): coordinator, steward, finance, auditor, admin" in out
    assert all(not os.path.exists(f"/proc/{pid}") for pid in children)
