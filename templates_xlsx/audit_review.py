"""Audit review: the sample workbook an auditor filled in, one row per sampled record with
pass or fail, finding category, comment and reviewer. It must belong to a sample that was
drawn (templates_xlsx.sampling) and carry that sample's records unaltered."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import validate
from sqlalchemy import select

from core.store.models import Upload, UploadRow
from templates_xlsx.fields import Amount, Choice, Code, ExcelDate, Text
from templates_xlsx.kind import (
    CheckContext,
    RowProblem,
    RowRule,
    SheetKind,
    SheetSchema,
    Table,
    digest,
)

SAMPLE_KIND = "audit_sample"
RECORD_TYPES = ("order", "shipment", "invoice")
FINDINGS = (
    "none",
    "missing document",
    "price mismatch",
    "quantity mismatch",
    "late shipment",
    "wrong customer",
    "approval missing",
    "other",
)
SNAPSHOT = ("record_type", "customer", "record_date", "value")


class AuditReviewSchema(SheetSchema):
    sample = Code("Sample", required=True, key=True, help="The sample's number; do not change.")
    record_type = Choice("Record Type", required=True, choices=RECORD_TYPES, width=10)
    record = Code("Record", required=True, key=True, help="Order, shipment or invoice number.")
    customer = Code("Customer", help="As drawn; do not change.")
    record_date = ExcelDate("Date", help="As drawn; do not change.")
    value = Amount("Value", places=4, help="As drawn; do not change.")
    result = Choice("Result", required=True, choices=("pass", "fail"), width=8)
    finding = Choice(
        "Finding Category", choices=FINDINGS, help="Required when Result is fail.", width=18
    )
    comment = Text("Comment", multiline=True, validate=validate.Length(max=2000), width=40)
    reviewer = Text("Reviewer", required=True, validate=validate.Length(max=80))

    row_rules = (
        RowRule(
            "finding_required",
            "finding",
            ("result",),
            lambda r: r["result"] != "fail" or r.get("finding") is not None,
            lambda r: "Choose a finding category for a failed record.",
        ),
    )


class AuditReview(SheetKind):
    name = "audit_review"
    version = 1
    title = "Audit review"
    purpose = "Record the review of each sampled order, shipment or invoice."
    schema = AuditReviewSchema
    exportable = False
    marker_extras = ("sample",)

    def cross_check(self, table: Table, ctx: CheckContext) -> list[RowProblem]:
        cols, good = table.columns, table.good_indexes()
        if not good:
            return []
        samples = {cols["sample"][i] for i in good}
        if len(samples) > 1:
            return [
                RowProblem(i, "sample", "mixed_samples", "One workbook holds one sample.")
                for i in good
            ]
        sample_id = samples.pop()
        drawn = load_sample(ctx.session, sample_id)
        if drawn is None:
            message = f"Sample {sample_id} was never drawn; use the workbook the sample produced."
            return [RowProblem(i, "sample", "unknown_sample", message) for i in good]
        upload, records = drawn
        if sample_digest(upload_params(upload), records) != upload.sha256:
            message = f"Sample {sample_id} no longer matches what was drawn; draw it again."
            return [RowProblem(good[0], "sample", "sample_altered", message)]
        return _compare(table, good, records)


def _compare(table: Table, good: list[int], records: dict[str, dict]) -> list[RowProblem]:
    cols = table.columns
    problems: list[RowProblem] = []
    seen = set()
    for i in good:
        record = cols["record"][i]
        snapshot = records.get(record)
        if snapshot is None:
            message = f"{record} is not part of this sample."
            problems.append(RowProblem(i, "record", "not_in_sample", message))
            continue
        seen.add(record)
        for name in SNAPSHOT:
            if not _same(cols[name][i], snapshot.get(name)):
                message = f"Changed from the drawn value {snapshot.get(name)!r}; put it back."
                problems.append(RowProblem(i, name, "sample_altered", message))
    for record in sorted(set(records) - seen):
        message = f"Sampled record {record} is missing from the workbook."
        problems.append(RowProblem(-1, "record", "missing_record", message))
    return problems


def _same(cell: Any, drawn: Any) -> bool:
    if cell is None or drawn in (None, ""):
        return cell is None and drawn in (None, "")
    if isinstance(cell, Decimal):
        return cell == Decimal(str(drawn))
    return str(cell) == str(drawn)


def upload_params(upload: Upload) -> dict[str, Any]:
    return dict((upload.errors or {}).get("params") or {})


def sample_digest(params: dict[str, Any], records: dict[str, dict]) -> str:
    return digest({"params": params, "records": records})


def load_sample(session: Any, sample_id: Any) -> tuple[Upload, dict[str, dict]] | None:
    if not str(sample_id).isdigit():
        return None
    upload = session.get(Upload, int(sample_id))
    if upload is None or upload.kind != SAMPLE_KIND:
        return None
    rows = session.scalars(select(UploadRow).where(UploadRow.upload_id == upload.id))
    return upload, {row.business_key: row.payload for row in rows}


KIND = AuditReview()
