"""Orderbridge's command line: the top parser, start-up, and one clear line for every error.

Each verb group's module registers its own sub-parsers next to its handlers; this package
asks each of them in turn, loads the settings once and turns errors into exit codes.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from cli import connectors, db, edi, jobs, reports, sandbox, serve, spreadsheets, track, users
from cli.common import EX_CONFIG, EX_USAGE, Parser, UsageError

# What --help has always said (the first line of run.py's docstring).
DESCRIPTION = (
    "Orderbridge's one command line: serve, scheduler, worker, job, db, users, sandbox, connector,"
)
# In the order --help lists them.
GROUPS = (serve, jobs, db, users, sandbox, connectors, reports, track, spreadsheets, edi)
log = logging.getLogger("orderbridge")


def build_parser() -> Parser:
    parser = Parser(prog="run.py", description=DESCRIPTION)
    parser.add_argument("--trace", metavar="DIR", help="write every external call to DIR")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=Parser)
    verbs.required = True
    for group in GROUPS:
        group.register(verbs)
    return parser


def load(args: argparse.Namespace) -> Any:
    from config import load_settings
    from core.trace import install_tracing

    overrides = {"trace_dir": args.trace} if args.trace else None
    settings = load_settings(overrides=overrides)
    install_tracing(settings.trace_dir)
    if settings.sandbox.enabled:
        sandbox.install_sandbox(settings)
    return settings


def require_schema(settings: Any) -> None:
    """A store that was never migrated gets one line saying what to run, not a SQL error."""
    from core.errors import ConfigError
    from core.store.migrate import current_revision, head_revision

    if current_revision(settings.database_url) != head_revision():
        raise ConfigError(
            "the store is not up to date", key="database_url", hint="run: python run.py db upgrade"
        )


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
