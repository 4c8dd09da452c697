"""The long-running verbs: serve, web, scheduler and worker."""

from __future__ import annotations

import argparse
import signal
from collections.abc import Callable
from typing import Any


def register(verbs: Any) -> None:
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


def cmd_serve(args: argparse.Namespace, settings: Any) -> int:
    from cli.supervise import check_port_free, run_embedded

    if settings.mode == "production":
        return cmd_web(args, settings)
    port = args.port or int(settings.web.port)
    check_port_free(settings.web.host, port)
    prepare_embedded(settings)
    return run_embedded(args, settings.web.host, port)


def prepare_embedded(settings: Any) -> None:
    """First start of the embedded default: migrate, demo users, seed the sandbox."""
    from cli.db import upgrade_store
    from cli.sandbox import ensure_seeded

    upgrade_store(settings)
    if settings.sandbox.enabled:
        ensure_seeded(settings)


def cmd_web(args: argparse.Namespace, settings: Any) -> int:
    from cli.supervise import check_port_free
    from core.users import refuse_demo_users_in_production

    port = args.port or int(settings.web.port)
    check_port_free(settings.web.host, port)
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
