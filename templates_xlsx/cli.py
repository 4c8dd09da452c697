"""What run.py's templates, upload, export and audit verbs call."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from templates_xlsx import KINDS
from templates_xlsx.check import check_upload
from templates_xlsx.export import export_workbook
from templates_xlsx.sampling import draw_sample
from templates_xlsx.template import save_template


def build_templates(out_dir: Path) -> list[Path]:
    return [save_template(kind, out_dir / f"{name}.xlsx") for name, kind in KINDS.items()]


def upload_check(settings: Any, kind: str, path: Path, as_json: bool) -> tuple[str, int]:
    result = check_upload(settings, kind, path)
    if as_json:
        return json.dumps(result.to_json(), ensure_ascii=False), result.exit_code
    lines = [f"{result.status}: {result.message}"]
    lines += [
        f"  {e.sheet}!{e.column_letter}{e.row} ({e.column}) {e.code}: {e.message}"
        for e in result.errors
    ]
    return "\n".join(lines), result.exit_code


def export(settings: Any, kind: str, out: Path, customer: str | None, item: str | None) -> str:
    count = export_workbook(settings, kind, out, customer=customer, item=item)
    return f"{count} row(s) of {kind} written to {out}"


def audit_sample(
    settings: Any,
    population: str,
    date_from: date,
    date_to: date,
    size: int,
    seed: int,
    stratify: str | None,
    out: Path,
) -> str:
    sample = draw_sample(settings, population, date_from, date_to, size, seed, stratify, out=out)
    return (
        f"sample {sample.id}: {len(sample.records)} {population} drawn with seed {seed} "
        f"(digest {sample.digest[:12]}), review workbook {out}"
    )
