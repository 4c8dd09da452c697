"""The spreadsheet verbs: templates build, upload check, export and audit sample."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cli.common import UsageError, add_group, iso_date


def register(verbs: Any) -> None:
    templates = add_group(verbs, "templates", "spreadsheet templates")
    build = templates.add_parser("build", help="write DIR/<kind>.xlsx for every kind")
    build.add_argument("--out", required=True, metavar="DIR")
    build.set_defaults(func=cmd_templates_build, needs_schema=False)

    upload = add_group(verbs, "upload", "spreadsheet uploads")
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

    audit = add_group(verbs, "audit", "audit sampling")
    sample = audit.add_parser("sample", help="draw a reproducible sample and its review workbook")
    sample.add_argument("--population", required=True, choices=("orders", "shipments", "invoices"))
    sample.add_argument("--from", dest="date_from", required=True, type=iso_date)
    sample.add_argument("--to", dest="date_to", required=True, type=iso_date)
    sample.add_argument("--size", required=True, type=int)
    sample.add_argument("--seed", required=True, type=int)
    sample.add_argument("--stratify", choices=("customer", "value"))
    sample.add_argument("--out", required=True, metavar="FILE.xlsx")
    sample.set_defaults(func=cmd_audit_sample)


def _kind(name: str) -> str:
    from templates_xlsx import KINDS

    if name not in KINDS:
        raise UsageError(f"no spreadsheet kind {name!r} (one of {', '.join(KINDS)})")
    return name


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
