#!/usr/bin/env python3
"""Orderbridge's one command line: serve, scheduler, worker, job, db, users, sandbox, connector,
templates, upload, export, audit.

Global options come before the verb (`run.py --trace DIR job run X`). Logs go to stderr,
results to stdout. Bad input gives one line and a non-zero exit: 64 for usage, 78 for
settings, 1 for a failed run; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

EX_USAGE, EX_CONFIG, EX_RUNNING = 64, 78, 3
# core.users.ROLES (a test keeps them equal), spelled out so parsing imports no store code.
ROLES = ("coordinator", "steward", "finance", "auditor", "admin")
log = logging.getLogger("orderbridge")


class UsageError(Exception):
    """Bad input on the command line."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


# --- start-up -------------------------------------------------------------------------


def load(args: argparse.Namespace) -> Any:
    from config import load_settings

    overrides = {"trace_dir": args.trace} if args.trace else None
    settings = load_settings(overrides=overrides)
    from core.trace import install_tracing

    install_tracing(settings.trace_dir)
    if settings.sandbox.enabled:
        install_sandbox(settings)
    return settings


def require_schema(settings: Any) -> None:
    """A store that was never migrated gets one line saying what to run, not a SQL error."""
    from core.errors import ConfigError
    from core.store.migrate import current_revision, head_revision

    if current_revision(settings.database_url) != head_revision():
        raise ConfigError(
            "the store is not up to date", key="database_url", hint="run: python run.py db upgrade"
        )


def install_sandbox(settings: Any) -> None:
    """Route the external systems' host names to the in-process simulators."""
    from core import http
    from sandbox.cli import state_path
    from sandbox.frame import SandboxAdapter
    from sandbox.state import SandboxState

    http.set_transport(SandboxAdapter(SandboxState(state_path(settings.data_path))))


def prepare_embedded(settings: Any) -> None:
    """First start of the embedded default: migrate, demo users, seed the sandbox."""
    from core.store import session_scope, upgrade
    from core.users import ensure_demo_users

    upgrade(settings.database_url)
    if settings.mode == "embedded":
        with session_scope(settings.database_url) as session:
            ensure_demo_users(session)
    if settings.sandbox.enabled:
        from sandbox import cli as sandbox_cli

        if not sandbox_cli.is_seeded(settings.data_path):
            sandbox_cli.reset(settings.data_path, int(settings.sandbox.seed))


# --- verbs ----------------------------------------------------------------------------


def check_port_free(host: str, port: int) -> None:
    """Refuse to start when the portal's address is taken, before anything else starts.

    Binds each address waitress would listen on (SO_REUSEADDR as waitress sets it, so a port
    in TIME_WAIT passes) and lets go at once; the web server binds it again a moment later."""
    import errno
    import socket

    from core.errors import ConfigError

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


def cmd_serve(args: argparse.Namespace, settings: Any) -> int:
    port = args.port or int(settings.web.port)
    check_port_free(settings.web.host, port)
    if settings.mode == "production":
        from core.users import refuse_demo_users_in_production

        refuse_demo_users_in_production(settings.database_url, settings.mode)
        return serve_web(settings, port)
    prepare_embedded(settings)
    children = [_child(["web", "--port", str(port)], args), _child(["scheduler"], args)]
    print(f"Orderbridge is running at http://{settings.web.host}:{port}/")
    print("Demo sign-ins (password demo): coordinator, steward, finance, auditor, admin")
    print("Stop with Ctrl-C.", flush=True)
    return supervise(children)


def _child(verb: list[str], args: argparse.Namespace) -> subprocess.Popen:
    globals_ = ["--trace", args.trace] if args.trace else []
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), *globals_, *verb])


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


def cmd_web(args: argparse.Namespace, settings: Any) -> int:
    port = args.port or int(settings.web.port)
    check_port_free(settings.web.host, port)
    from core.users import refuse_demo_users_in_production

    refuse_demo_users_in_production(settings.database_url, settings.mode)
    return serve_web(settings, port)


def serve_web(settings: Any, port: int) -> int:
    import waitress

    from web import create_app

    app = create_app(settings)
    waitress.serve(
        app,
        host=settings.web.host,
        port=port,
        threads=int(settings.web.threads),
        ident="Orderbridge",
        _quiet=True,
    )
    return 0


def _stop_on_signal(stop: Callable[[], None]) -> None:
    def handler(_signum: int, _frame: Any) -> None:
        stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def cmd_scheduler(args: argparse.Namespace, settings: Any) -> int:
    from core.users import refuse_demo_users_in_production
    from sync_jobs.scheduler import SchedulerService

    refuse_demo_users_in_production(settings.database_url, settings.mode)
    service = SchedulerService(settings, workers=args.workers)
    _stop_on_signal(service.stop)
    service.run()
    return 0


def cmd_worker(args: argparse.Namespace, settings: Any) -> int:
    import threading

    from core.users import refuse_demo_users_in_production
    from sync_jobs.worker import Worker

    refuse_demo_users_in_production(settings.database_url, settings.mode)
    stop = threading.Event()
    _stop_on_signal(stop.set)
    workers = [Worker(settings, stop, name=f"worker-{n}") for n in range(args.threads)]
    for worker in workers:
        worker.start()
    while not stop.wait(1.0):
        pass
    return 0


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
    from sync_jobs.runner import run_history

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


def cmd_db_upgrade(args: argparse.Namespace, settings: Any) -> int:
    from core.store import session_scope, upgrade
    from core.users import ensure_demo_users

    upgrade(settings.database_url)
    created: list[str] = []
    if settings.mode == "embedded":
        with session_scope(settings.database_url) as session:
            created = ensure_demo_users(session)
    print(
        "database is up to date"
        + (f"; demo users created: {', '.join(created)}" if created else "")
    )
    return 0


def read_password(name: str, confirm: bool = False) -> str:
    """From a prompt that never echoes (asked twice when confirm), or one line of stdin."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass(f"Password for {name}: ")
    if confirm and getpass.getpass("Again: ") != password:
        raise UsageError("users passwd: the two passwords differ; nothing changed")
    return password


def find_user_or_fail(session: Any, name: str) -> Any:
    from core.users import find_user

    user = find_user(session, name)
    if user is None:
        raise UsageError(f"no user named {name!r} (see: run.py users list)")
    return user


def cmd_users_add(args: argparse.Namespace, settings: Any) -> int:
    from core.store import session_scope
    from core.users import create_user

    password = read_password(args.name)
    with session_scope(settings.database_url) as session:
        create_user(session, args.name, args.role, password, actor="cli")
    print(f"user {args.name} added with role {args.role}")
    return 0


def cmd_users_list(args: argparse.Namespace, settings: Any) -> int:
    from core.store import session_scope
    from core.users import list_users

    with session_scope(settings.database_url) as session:
        for user in list_users(session):
            demo = " (demo)" if user.is_demo else ""
            print(f"{user.username:24} {user.role:12}{demo}")
    return 0


def cmd_users_passwd(args: argparse.Namespace, settings: Any) -> int:
    from core.store import session_scope
    from core.users import set_password

    with session_scope(settings.database_url) as session:
        user = find_user_or_fail(session, args.name)
        set_password(session, user, read_password(args.name, confirm=True), actor="cli")
    print(f"password of {args.name} changed; every session of theirs was signed out")
    return 0


def cmd_users_set_role(args: argparse.Namespace, settings: Any) -> int:
    from core.store import session_scope
    from core.users import set_role

    with session_scope(settings.database_url) as session:
        changed = set_role(session, find_user_or_fail(session, args.name), args.role, actor="cli")
    if not changed:
        print(f"{args.name} already has the role {args.role}")
        return 0
    print(f"{args.name} is now {args.role}; every session of theirs was signed out")
    return 0


def cmd_users_sign_out(args: argparse.Namespace, settings: Any) -> int:
    from core.store import session_scope
    from core.users import sign_out_everywhere

    with session_scope(settings.database_url) as session:
        sign_out_everywhere(session, find_user_or_fail(session, args.name), actor="cli")
    print(f"every session of {args.name} was signed out; their API tokens still work")
    return 0


def cmd_sandbox_reset(args: argparse.Namespace, settings: Any) -> int:
    from sandbox import cli as sandbox_cli

    counts = sandbox_cli.reset(settings.data_path, args.seed)
    print(
        f"sandbox reset with seed {args.seed}: "
        + ", ".join(f"{n} {name}" for name, n in counts.items())
    )
    return 0


def cmd_sandbox_stats(args: argparse.Namespace, settings: Any) -> int:
    from sandbox import cli as sandbox_cli

    stats = sandbox_cli.stats(settings.data_path)
    if args.json:
        print(json.dumps(stats, indent=2, sort_keys=True))
        return 0
    for system, data in sorted(stats["systems"].items()):
        calls = sum(data.get("calls", {}).values())
        records = sum(data.get("records", {}).values())
        dupes = sum(data.get("duplicates", {}).values())
        print(f"{system:12} calls {calls:>6}  records {records:>6}  duplicates {dupes:>4}")
    return 0


def cmd_sandbox_serve(args: argparse.Namespace, settings: Any) -> int:
    from sandbox import cli as sandbox_cli

    if not sandbox_cli.is_seeded(settings.data_path):
        sandbox_cli.reset(settings.data_path, int(settings.sandbox.seed))
    sandbox_cli.serve(settings.data_path, args.port)
    return 0


def cmd_connector_check(args: argparse.Namespace, settings: Any) -> int:
    from sync_jobs.check_connections import check_system

    if args.system not in settings.connections:
        raise UsageError(
            f"connector check: no connection named {args.system!r} "
            f"(one of {', '.join(sorted(settings.connections))})"
        )
    result = check_system(args.system, settings)
    if result.ok:
        print(f"{args.system}: OK in {result.latency_ms} ms ({result.message})")
        return 0
    hint = f" ({result.hint})" if result.hint else ""
    print(f"{args.system}: {result.message}{hint}")
    return 1


def cmd_connector_fetch_wsdl(args: argparse.Namespace, settings: Any) -> int:
    from connectors.netsuite.connector import fetch_wsdl

    path = fetch_wsdl(settings)
    print(f"netsuite WSDL {settings.netsuite.wsdl_version} saved with its XSDs at {path}")
    return 0


def cmd_track(args: argparse.Namespace, settings: Any) -> int:
    from connectors import get_connector
    from connectors.carriers import guess_carrier

    carrier = args.carrier or guess_carrier(args.number)
    if carrier is None:
        raise UsageError(f"track: cannot tell the carrier of {args.number!r}; give --carrier")
    (result,) = get_connector(carrier, settings).track([args.number])
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        from connectors.carriers import format_tracking

        print(format_tracking(result))
    return 0 if result.found else 1


def _kind(name: str) -> str:
    from templates_xlsx import KINDS

    if name not in KINDS:
        raise UsageError(f"no spreadsheet kind {name!r} (one of {', '.join(KINDS)})")
    return name


def _iso_date(text: str) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date as YYYY-MM-DD: {text!r}") from None


def cmd_templates_build(args: argparse.Namespace, settings: Any) -> int:
    from templates_xlsx.cli import build_templates

    for path in build_templates(Path(args.out)):
        print(path)
    return 0


def cmd_upload_check(args: argparse.Namespace, settings: Any) -> int:
    from templates_xlsx.cli import upload_check

    if not Path(args.file).is_file():
        raise UsageError(f"upload check: no such file {args.file!r}")
    text, code = upload_check(settings, _kind(args.kind), Path(args.file), args.json)
    print(text)
    return code


def cmd_export(args: argparse.Namespace, settings: Any) -> int:
    from templates_xlsx.cli import export

    print(export(settings, _kind(args.kind), Path(args.out), args.customer, args.item))
    return 0


def cmd_audit_sample(args: argparse.Namespace, settings: Any) -> int:
    from templates_xlsx.cli import audit_sample

    if args.size < 1 or args.date_to < args.date_from:
        raise UsageError("audit sample: --size must be at least 1 and --to not before --from")
    print(
        audit_sample(
            settings,
            args.population,
            args.date_from,
            args.date_to,
            args.size,
            args.seed,
            args.stratify,
            Path(args.out),
        )
    )
    return 0


def cmd_report_reconciliation(args: argparse.Namespace, settings: Any) -> int:
    from reports.reconciliation import build_reconciliation, write_workbook

    date_from, date_to = args.date_from, args.date_to
    if date_from > date_to:
        raise UsageError("report reconciliation: --from is after --to")
    if not args.out.lower().endswith(".xlsx"):
        raise UsageError("report reconciliation: --out must name an .xlsx file")
    reconciliation = build_reconciliation(settings.database_url, date_from, date_to, settings)
    path = write_workbook(reconciliation, args.out)
    found = ", ".join(f"{name} {len(rows)}" for name, rows in reconciliation.classes.items())
    print(f"{path}: {len(reconciliation.lines)} line(s); {found}")
    return 0


# --- the parser -----------------------------------------------------------------------


def build_parser() -> Parser:
    parser = Parser(prog="run.py", description=__doc__.split("\n")[0])
    parser.add_argument("--trace", metavar="DIR", help="write every external call to DIR")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=Parser)
    verbs.required = True

    serve = verbs.add_parser("serve", help="the portal; embedded: with scheduler and workers")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_serve, needs_schema=False)
    web = verbs.add_parser("web", help="the portal alone")
    web.add_argument("--port", type=int)
    web.set_defaults(func=cmd_web)
    scheduler = verbs.add_parser("scheduler", help="the scheduler and its worker pool")
    scheduler.add_argument("--workers", type=int, help="worker threads (default from settings)")
    scheduler.set_defaults(func=cmd_scheduler)
    worker = verbs.add_parser("worker", help="an extra worker that carries out queued runs")
    worker.add_argument("--threads", type=int, default=1)
    worker.set_defaults(func=cmd_worker)

    job = verbs.add_parser("job", help="list, run and inspect jobs").add_subparsers(
        dest="action", metavar="ACTION", parser_class=Parser, required=True
    )
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

    db = verbs.add_parser("db", help="the store").add_subparsers(
        dest="action", metavar="ACTION", parser_class=Parser, required=True
    )
    db.add_parser("upgrade", help="apply migrations; embedded: create demo users").set_defaults(
        func=cmd_db_upgrade, needs_schema=False
    )

    users = verbs.add_parser("users", help="sign-ins").add_subparsers(
        dest="action", metavar="ACTION", parser_class=Parser, required=True
    )
    add = users.add_parser("add", help="add a user; the password is read from a prompt or stdin")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.set_defaults(func=cmd_users_add)
    users.add_parser("list", help="every user and role").set_defaults(func=cmd_users_list)
    passwd = users.add_parser(
        "passwd", help="set a password (prompt or stdin); ends the user's sessions"
    )
    passwd.add_argument("name")
    passwd.set_defaults(func=cmd_users_passwd)
    set_role = users.add_parser("set-role", help="change a role; ends the user's sessions")
    set_role.add_argument("name")
    set_role.add_argument("--role", required=True, choices=ROLES)
    set_role.set_defaults(func=cmd_users_set_role)
    sign_out = users.add_parser("sign-out", help="end every session of a user (not API tokens)")
    sign_out.add_argument("name")
    sign_out.set_defaults(func=cmd_users_sign_out)

    sandbox = verbs.add_parser("sandbox", help="the simulators").add_subparsers(
        dest="action", metavar="ACTION", parser_class=Parser, required=True
    )
    reset = sandbox.add_parser("reset", help="reseed the simulated world deterministically")
    reset.add_argument("--seed", type=int, default=1)
    reset.set_defaults(func=cmd_sandbox_reset, needs_schema=False)
    stats = sandbox.add_parser("stats", help="calls, batches, records and duplicates per system")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(func=cmd_sandbox_stats, needs_schema=False)
    sserve = sandbox.add_parser("serve", help="serve the simulators on loopback over HTTPS")
    sserve.add_argument("--port", type=int, default=8443)
    sserve.set_defaults(func=cmd_sandbox_serve, needs_schema=False)

    connector = verbs.add_parser("connector", help="external systems").add_subparsers(
        dest="action", metavar="ACTION", parser_class=Parser, required=True
    )
    check = connector.add_parser("check", help="check one system's connection")
    check.add_argument("system")
    check.set_defaults(func=cmd_connector_check)
    fetch = connector.add_parser("fetch-wsdl", help="download the ERP's WSDL bundle once")
    fetch.add_argument("system", choices=("netsuite",))
    fetch.set_defaults(func=cmd_connector_fetch_wsdl, needs_schema=False)

    report = verbs.add_parser("report", help="finance workbooks from the store").add_subparsers(
        dest="action", metavar="ACTION", parser_class=Parser, required=True
    )
    recon = report.add_parser(
        "reconciliation", help="order vs shipment vs invoice workbook for a period"
    )
    recon.add_argument("--from", dest="date_from", required=True, metavar="DATE", type=_iso_date)
    recon.add_argument("--to", dest="date_to", required=True, metavar="DATE", type=_iso_date)
    recon.add_argument("--out", required=True, metavar="FILE.xlsx")
    recon.set_defaults(func=cmd_report_reconciliation)

    track = verbs.add_parser("track", help="ask the carrier now for a tracking number")
    track.add_argument("number")
    track.add_argument("--carrier", choices=("ups", "fedex", "dhl"))
    track.add_argument("--json", action="store_true")
    track.set_defaults(func=cmd_track, needs_schema=False)
    _spreadsheet_verbs(verbs)
    return parser


def _spreadsheet_verbs(verbs: Any) -> None:
    templates = verbs.add_parser("templates", help="spreadsheet templates").add_subparsers(
        dest="action", metavar="ACTION", parser_class=Parser, required=True
    )
    build = templates.add_parser("build", help="write DIR/<kind>.xlsx for every kind")
    build.add_argument("--out", required=True, metavar="DIR")
    build.set_defaults(func=cmd_templates_build, needs_schema=False)

    upload = verbs.add_parser("upload", help="spreadsheet uploads").add_subparsers(
        dest="action", metavar="ACTION", parser_class=Parser, required=True
    )
    check = upload.add_parser("check", help="check a workbook; exit 0 valid, 1 invalid, 2 refused")
    check.add_argument("--kind", required=True)
    check.add_argument("file")
    check.add_argument("--json", action="store_true", help="print only the result as JSON")
    check.set_defaults(func=cmd_upload_check)

    export = verbs.add_parser("export", help="a kind's template filled with current data")
    export.add_argument("kind")
    export.add_argument("--out", required=True, metavar="FILE")
    export.add_argument("--customer")
    export.add_argument("--item")
    export.set_defaults(func=cmd_export)

    audit = verbs.add_parser("audit", help="audit sampling").add_subparsers(
        dest="action", metavar="ACTION", parser_class=Parser, required=True
    )
    sample = audit.add_parser("sample", help="draw a reproducible sample and its review workbook")
    sample.add_argument("--population", required=True, choices=("orders", "shipments", "invoices"))
    sample.add_argument("--from", dest="date_from", required=True, type=_iso_date)
    sample.add_argument("--to", dest="date_to", required=True, type=_iso_date)
    sample.add_argument("--size", required=True, type=int)
    sample.add_argument("--seed", required=True, type=int)
    sample.add_argument("--stratify", choices=("customer", "value"))
    sample.add_argument("--out", required=True, metavar="FILE.xlsx")
    sample.set_defaults(func=cmd_audit_sample)


def main(argv: list[str] | None = None) -> int:
    from config import log_level

    logging.basicConfig(
        level=log_level(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from core.errors import ConfigError, OrderbridgeError

    try:
        args = build_parser().parse_args(argv)
        settings = load(args)
        if getattr(args, "needs_schema", True):
            require_schema(settings)
        return args.func(args, settings)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EX_USAGE
    except ConfigError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return EX_USAGE if exc.key == "job" else EX_CONFIG
    except OrderbridgeError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - never a traceback on the terminal
        log.debug("unexpected error", exc_info=True)
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
