"""The functions run.py calls, over a data folder."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import requests

from sandbox import cli
from tests.sandbox.conftest import TODAY

ROOT = Path(__file__).resolve().parents[2]


def test_reset_seeds_the_state_in_the_data_folder(tmp_path):
    data_dir = tmp_path / "var"
    assert cli.is_seeded(data_dir) is False
    summary = cli.reset(data_dir, 5, TODAY)
    assert cli.state_path(data_dir) == data_dir / "sandbox" / "state.db"
    assert cli.state_path(data_dir).exists()
    assert cli.is_seeded(data_dir) is True
    assert summary["seed"] == 5 and summary["today"] == "2026-03-02"
    assert summary["orders"] == 60 and summary["customers"] == 20
    assert cli.reset(data_dir, 5, TODAY) == summary


def test_stats_round_trips_through_json(tmp_path):
    cli.reset(tmp_path, 1, TODAY)
    cli.set_fault(tmp_path, "ups", "rate_limit", times=1)
    stats = cli.stats(tmp_path)
    assert json.loads(json.dumps(stats)) == stats
    assert set(stats) == {"systems", "tracking_numbers"}
    assert set(stats["tracking_numbers"]) == {"ups", "fedex", "dhl"}
    with pytest.raises(ValueError, match="unknown system"):
        cli.set_fault(tmp_path, "oracle", "latency")


def test_reset_without_today_anchors_on_the_current_day(tmp_path):
    summary = cli.reset(tmp_path, 1)
    assert abs((date.fromisoformat(summary["today"]) - date.today()).days) <= 1


def test_the_standalone_command_prints_stats_json(tmp_path):
    run = [sys.executable, "-m", "sandbox.cli", "--data-dir", str(tmp_path)]
    reset = [*run, "reset", "--seed", "3", "--today", "2026-03-02"]
    subprocess.run(reset, cwd=ROOT, check=True, capture_output=True)
    out = subprocess.run([*run, "stats", "--json"], cwd=ROOT, check=True, capture_output=True)
    stats = json.loads(out.stdout)
    assert all(len(n) == 12 for n in stats["tracking_numbers"]["fedex"])


@pytest.mark.slow
def test_serve_answers_and_stops_cleanly_on_sigterm(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cli.reset(tmp_path, 1, TODAY)
    command = [sys.executable, "-u", "-m", "sandbox.cli", "--data-dir", str(tmp_path)]
    server = subprocess.Popen(
        [*command, "serve", "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert "serving" in server.stdout.readline()
        ca = server.stdout.readline().split("certificate ")[1].split(" ")[0]
        assert Path(ca) == tmp_path / "sandbox" / "ca" / "ca.pem"
        response = requests.get(f"https://127.0.0.1:{port}/sap/", verify=ca, timeout=5)
        assert response.json() == {"system": "sap", "status": "ok"}
        server.send_signal(signal.SIGTERM)
        assert server.wait(10) == 0
        assert "stopped" in server.stdout.read()
    finally:
        server.kill()
        server.stdout.close()
