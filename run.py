#!/usr/bin/env python3
"""Orderbridge's one command line: serve, scheduler, worker, job, db, users, sandbox, connector,
templates, upload, export, audit, report, track.

Global options come before the verb (`run.py --trace DIR job run X`). Logs go to stderr,
results to stdout. Bad input gives one line and a non-zero exit: 64 for usage, 78 for
settings, 1 for a failed run; never a traceback. The verbs live in cli/, one module per group.
"""

from __future__ import annotations

import sys

from cli import main
from cli.common import ROLES

__all__ = ["ROLES", "main"]

if __name__ == "__main__":
    sys.exit(main())
