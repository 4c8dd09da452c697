"""The connector verbs: check one system's connection, fetch the ERP's WSDL bundle."""

from __future__ import annotations

import argparse
from typing import Any

from cli.common import UsageError, add_group


def register(verbs: Any) -> None:
    connector = add_group(verbs, "connector", "external systems")
    check = connector.add_parser("check", help="check one system's connection")
    check.add_argument("system")
    check.set_defaults(func=cmd_connector_check)
    fetch = connector.add_parser("fetch-wsdl", help="download the ERP's WSDL bundle once")
    fetch.add_argument("system", choices=("netsuite",))
    fetch.set_defaults(func=cmd_connector_fetch_wsdl, needs_schema=False)


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
