"""The report verb: finance workbooks read from the store."""

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
