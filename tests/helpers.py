"""Helpers for tests that run Orderbridge's command line in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def cli_env(settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERBRIDGE")}
    env.update(
        {
            "ORDERBRIDGE__DATA_DIR": str(settings.data_path),
            "ORDERBRIDGE__DATABASE_URL": settings.database_url,
            "ORDERBRIDGE__JOBS__CHECK_CONNECTIONS__PAUSED": "true",
            "PYTHONPATH": str(PROJECT),
        }
    )
    env.update(extra)
    return env


def cli(settings, *args: str, stdin: str | None = None, **extra: str):
    """run.py with the test job registered; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "tests.cli_entry", *args],
        cwd=PROJECT,
        env=cli_env(settings, **extra),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def cli_popen(settings, *args: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.cli_entry", *args],
        cwd=PROJECT,
        env=cli_env(settings, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
