"""Run run.py's main in a subprocess with the test job registered: python -m tests.cli_entry ..."""

from __future__ import annotations

import sys

from tests.sync_jobs import fake_jobs

if __name__ == "__main__":
    fake_jobs.install()
    import run

    sys.exit(run.main(sys.argv[1:]))
