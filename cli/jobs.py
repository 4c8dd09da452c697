"""The job verbs: list, run now, history."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cli.common import EX_RUNNING, add_group


def register(verbs: Any) -> None:
    job = add_group(verbs, "job", "list, run and inspect jobs")
    job.add_parser("list", help="every job and its schedule").set_defaults(
        func=cmd_job_list, needs_schema=False
    )
    run = job.add_parser("run", help="run a job now in this process until its window is done")
    run.add_argument("name")
    run.add_argument("--dry-run", action="store_true", help="plan only; write nothing")
    run.set_defaults(func=cmd_job_run)
    history = job.add_parser("history", help="a job's runs, newest first")
    history.add_argument("name")
    history.add_argument("--json", action="store_true")
    history.add_argument("--limit", type=int, default=50)
    history.set_defaults(func=cmd_job_history)


def cmd_job_list(args: argparse.Namespace, settings: Any) -> int:
    from sync_jobs import SCHEDULE, trigger_for

    for job_id, spec in sorted(SCHEDULE.items()):
        trigger = trigger_for(spec, settings)
        paused = " (paused)" if trigger.paused else ""
        print(f"{job_id:24} {trigger.describe():16} {spec.urgency:10} {spec.description}{paused}")
    return 0


def cmd_job_run(args: argparse.Namespace, settings: Any) -> int:
    from config import os_user
    from sync_jobs import get_spec, leases
    from sync_jobs.runner import Runner, create_run

    get_spec(args.name)
    holder = leases.live_holder(settings.database_url, args.name)
    if holder is not None:
        print(f"{args.name} is running now in {holder}", file=sys.stderr)
        return EX_RUNNING
    run_id = create_run(
        settings.database_url,
        args.name,
        leases.utcnow(),
        trigger="cli",
        requested_by=os_user(),
        dry_run=args.dry_run,
    )
    outcome = Runner(settings).execute(run_id)
    if outcome.status == "busy":
        print(f"{args.name} is running now in another process", file=sys.stderr)
        return EX_RUNNING
    print(f"{args.name} run {run_id}: {outcome.status}: {outcome.summary}")
    return 0 if outcome.status == "completed" else 1


def cmd_job_history(args: argparse.Namespace, settings: Any) -> int:
    from sync_jobs import get_spec
    from sync_jobs.run_ledger import run_history

    get_spec(args.name)
    runs = run_history(settings.database_url, args.name, args.limit)
    rows = [_run_row(run) for run in runs]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        print(
            f"{row['scheduled_at']}  {row['status']:11} read {row['read']:>5}  "
            f"written {row['written']:>5}  failed {row['failed']:>4}  "
            f"calls {row['api_calls']:>4}  {row['summary']}"
        )
    return 0


def _run_row(run: Any) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    summary = run.summary or ""
    if run.error:
        summary = f"{summary}; error: {run.error}" if summary else f"error: {run.error}"
    return {
        "scheduled_at": iso(run.scheduled_at),
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "status": run.status,
        "read": run.read,
        "written": run.written,
        "failed": run.failed,
        "api_calls": run.api_calls,
        "summary": summary,
    }
