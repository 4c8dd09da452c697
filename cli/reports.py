"""The report verb: finance and KPI workbooks (or JSON) read from the store."""

from __future__ import annotations

import argparse
from typing import Any

from cli.common import UsageError, add_group, iso_date


def register(verbs: Any) -> None:
    report = add_group(verbs, "report", "finance workbooks from the store")
    recon = report.add_parser(
        "reconciliation", help="order vs shipment vs invoice workbook for a period"
    )
    recon.add_argument("--from", dest="date_from", required=True, metavar="DATE", type=iso_date)
    recon.add_argument("--to", dest="date_to", required=True, metavar="DATE", type=iso_date)
    recon.add_argument("--out", required=True, metavar="FILE.xlsx")
    recon.set_defaults(func=cmd_report_reconciliation)
    kpi = report.add_parser("kpi", help="the order-to-cash KPIs for a period (workbook or JSON)")
    kpi.add_argument("--from", dest="date_from", required=True, metavar="DATE", type=iso_date)
    kpi.add_argument("--to", dest="date_to", required=True, metavar="DATE", type=iso_date)
    out = kpi.add_mutually_exclusive_group(required=True)
    out.add_argument("--out", metavar="FILE.xlsx", help="write the KPI workbook")
    out.add_argument("--json", action="store_true", help="print the KPIs as JSON")
    for name in ("customer", "carrier", "warehouse", "item"):
        kpi.add_argument(f"--{name}", help=f"only this {name}'s order lines")
    kpi.set_defaults(func=cmd_report_kpi)
    for name, summary in (("aging", "open order lines by age bucket, customer, warehouse, "
                           "status, channel and currency"),
                          ("backorders", "backordered lines with value, age, priority and "
                           "their place in release_backorders' queue")):  # fmt: skip
        listed = report.add_parser(name, help=summary)
        listed.add_argument("--as-of", dest="as_of", metavar="DATE", type=iso_date,
                            help="the day ages are measured on (default today, UTC)")  # fmt: skip
        out = listed.add_mutually_exclusive_group(required=True)
        out.add_argument("--out", metavar="FILE.xlsx", help="write the report's workbook")
        out.add_argument("--json", action="store_true", help="print its rows as JSON")
        listed.set_defaults(func=cmd_report_listed, report=name)


def cmd_report_reconciliation(args: argparse.Namespace, settings: Any) -> int:
    from reports.reconciliation import build_reconciliation, write_workbook

    date_from, date_to = args.date_from, args.date_to
    _period(args, "reconciliation")
    reconciliation = build_reconciliation(settings.database_url, date_from, date_to, settings)
    path = write_workbook(reconciliation, args.out)
    found = ", ".join(f"{name} {len(rows)}" for name, rows in reconciliation.classes.items())
    print(f"{path}: {len(reconciliation.lines)} line(s); {found}")
    return 0


def _period(args: argparse.Namespace, verb: str) -> None:
    if args.date_from > args.date_to:
        raise UsageError(f"report {verb}: --from is after --to")
    if getattr(args, "out", None) and not args.out.lower().endswith(".xlsx"):
        raise UsageError(f"report {verb}: --out must name an .xlsx file")


def cmd_report_kpi(args: argparse.Namespace, settings: Any) -> int:
    import json

    from core.store import session_scope
    from reports import kpi
    from reports.kpi_workbook import write_workbook

    _period(args, "kpi")
    filters = {name: getattr(args, name) for name in ("customer", "carrier", "warehouse", "item")}
    with session_scope(settings.database_url) as session:
        lines, result = kpi.report_lines(session, args.date_from, args.date_to, **filters)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    path = write_workbook(lines, result, args.out)
    print(
        f"{path}: {result['counts']['lines']} order line(s), {result['counts']['orders']} order(s)"
    )
    return 0


def cmd_report_listed(args: argparse.Namespace, settings: Any) -> int:
    """`report aging` and `report backorders`: the registry's report, as rows or workbook."""
    import json
    from datetime import datetime, timezone

    from core.store import session_scope
    from reports.base import Options
    from reports.registry import REPORTS
    from reports.report_workbook import write_report

    now = datetime.now(timezone.utc)
    if args.out and not args.out.lower().endswith(".xlsx"):
        raise UsageError(f"report {args.report}: --out must name an .xlsx file")
    report = REPORTS[args.report]
    options = Options.from_settings(settings, args.as_of or now.date())
    with session_scope(settings.database_url) as session:
        rows = report.compute(session, options)
    if args.json:
        print(json.dumps({"report": report.name, "as_of": options.as_of.isoformat(),
                          "rows": rows}, indent=2, default=str))  # fmt: skip
        return 0
    path = write_report(report, rows, options, args.out, now)
    print(f"{path}: {len(rows)} row(s) of {report.title.lower()} as of {options.as_of}")
    return 0
