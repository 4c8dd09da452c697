"""What the portal calls after a check: the preview with its field-level diff, the approval
rule, recording an upload (idempotent per file and per row), work items, and revert.

Flow: preview() -> needs_approval() -> record_upload() (rows, before-images, status
pending_approval or ready) -> approve() (a second person where the rule asks) ->
work_items() for the job that posts them; revert_rows() gives the inverse change set.
Every function but record_upload and approve is pure over its inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record_audit
from core.errors import OrderbridgeError
from core.store import session_scope
from core.store.models import Upload, UploadRow, utcnow
from templates_xlsx import get_kind
from templates_xlsx.check import CheckResult, check_upload
from templates_xlsx.kind import CellError, digest, jsonable


class ApprovalError(OrderbridgeError):
    """An approval the rules do not allow (the uploader approving their own risky change)."""


@dataclass
class RowChange:
    row: int  # Excel row number
    business_key: str
    fields: dict[str, tuple[Any, Any]]  # field -> (current value, new value)
    values: dict[str, Any]  # the row as validated
    before: dict[str, Any] | None  # the store's current record (None: a new one)

    @property
    def is_new(self) -> bool:
        return self.before is None


@dataclass
class Preview:
    kind: str
    check: CheckResult
    changes: list[RowChange] = field(default_factory=list)
    unchanged: int = 0

    @property
    def errors(self) -> list[CellError]:
        return self.check.errors

    @property
    def counts(self) -> dict[str, int]:
        bad = len({e.row for e in self.errors if e.row > 1})
        return {
            "rows": self.check.rows,
            "invalid": bad,
            "valid": self.check.rows - bad,
            "changed": len(self.changes),
            "new": sum(1 for c in self.changes if c.is_new),
            "unchanged": self.unchanged,
        }

    @property
    def idempotency_key(self) -> str:
        """sha256 of the file and of the rows it changes: the same upload twice is one."""
        rows = [(c.business_key, jsonable(c.fields)) for c in self.changes]
        return digest({"file": self.check.sha256, "rows": rows})


def preview(
    settings: Any,
    kind_name: str,
    path: Path,
    *,
    session: Session | None = None,
    today: date | None = None,
) -> Preview:
    """Counts, errors, and for each valid row the diff against the store's current values."""
    result = check_upload(settings, kind_name, path, session=session, today=today)
    shown = Preview(kind_name, result)
    if result.table is None:
        return shown
    kind = get_kind(kind_name)
    good = result.table.good_indexes()
    rows = [result.table.row(i) for i in good]
    if session is None:
        with session_scope(settings.database_url) as own:
            befores = kind.current(own, rows)
    else:
        befores = kind.current(session, rows)
    for index, row, before in zip(good, rows, befores, strict=True):
        fields = kind.changes(row, before)
        if not fields:
            shown.unchanged += 1
            continue
        number = result.table.row_numbers[index]
        shown.changes.append(RowChange(number, kind.business_key(row), fields, row, before))
    return shown


def needs_approval(preview: Preview, settings: Any) -> str | None:
    """Why a second person must approve this upload, or None."""
    return get_kind(preview.kind).needs_approval(preview, settings)


def row_version(business_key: str, payload: dict[str, Any]) -> str:
    """The work item version: the same change of the same record is posted once."""
    return digest({"key": business_key, "payload": payload})[:64]


def record_upload(
    session: Session,
    shown: Preview,
    settings: Any,
    *,
    actor: str,
    filename: str,
    stored_path: str | None = None,
) -> Upload:
    """Keep a valid upload and its changed rows with before-images; nothing if invalid."""
    if shown.check.status != "valid":
        raise ApprovalError("only a valid upload can be recorded", key=filename)
    reason = needs_approval(shown, settings)
    upload = Upload(
        kind=shown.kind,
        filename=filename[:255],
        sha256=shown.check.sha256 or "",
        status="pending_approval" if reason else "ready",
        uploaded_by=actor,
        rows=shown.check.rows,
        errors={"approval": reason, "idempotency_key": shown.idempotency_key},
        stored_path=stored_path,
    )
    session.add(upload)
    session.flush()
    kind = get_kind(shown.kind)
    for change in shown.changes:
        payload = kind.work_item(change.values, {k: new for k, (_, new) in change.fields.items()})
        session.add(
            UploadRow(
                upload_id=upload.id,
                row_number=change.row,
                business_key=change.business_key,
                payload=jsonable(payload),
                before=jsonable(change.before),
                status="pending",
            )
        )
    record_audit(session, actor, "upload.record", shown.kind, str(upload.id), after=upload.errors)
    return upload


def approve(session: Session, upload: Upload, actor: str) -> Upload:
    """Approve a recorded upload (or take its uploader's submission of one that needs no
    approval); one that needs approval needs someone other than its uploader."""
    if upload.status not in ("pending_approval", "ready"):
        raise ApprovalError(f"upload {upload.id} is {upload.status}", key=str(upload.id))
    if upload.status == "pending_approval" and actor == upload.uploaded_by:
        raise ApprovalError(
            "a second person must approve this upload",
            key=str(upload.id),
            hint=(upload.errors or {}).get("approval"),
        )
    # an upload no rule holds back is its uploader's to send: a submission, not an approval
    action = "upload.approve" if upload.status == "pending_approval" else "upload.submit"
    upload.status, upload.approved_by, upload.approved_at = "approved", actor, utcnow()
    record_audit(session, actor, action, upload.kind, str(upload.id))
    return upload


def upload_rows(session: Session, upload: Upload) -> list[UploadRow]:
    query = select(UploadRow).where(UploadRow.upload_id == upload.id)
    return list(session.scalars(query.order_by(UploadRow.row_number)))


def work_items(upload: Upload, rows: Sequence[UploadRow]) -> list[tuple[str, dict[str, Any]]]:
    """(business_key, payload) for each row of an approved upload; pure."""
    if upload.status != "approved":
        return []
    return [(row.business_key, row.payload) for row in rows]


def revert_rows(upload: Upload, rows: Sequence[UploadRow]) -> list[tuple[str, dict[str, Any]]]:
    """The inverse change set, from the before-images kept with each row; pure."""
    kind = get_kind(upload.kind)
    inverse = [(row.business_key, kind.inverse(row.payload, row.before)) for row in rows]
    return [(key, payload) for key, payload in inverse if payload is not None]


def _after_image(row: UploadRow) -> dict[str, Any] | None:
    """The record as the posted row left it, key included; None after a removal."""
    if row.payload.get("delete"):
        return None
    return {**(row.before or {}), **row.payload.get("set", {}), **(row.payload.get("key") or {})}


def record_revert(session: Session, upload: Upload, settings: Any, *, actor: str) -> Upload:
    """A new upload whose rows undo the posted rows of `upload`, under the same approval rule."""
    if upload.status not in ("applied", "partly_applied"):
        raise ApprovalError(f"upload {upload.id} is {upload.status}", key=str(upload.id))
    kind = get_kind(upload.kind)
    shown = Preview(upload.kind, CheckResult(upload.kind, "valid"))
    undo: list[tuple[UploadRow, dict[str, Any], dict[str, Any]]] = []
    for row in upload_rows(session, upload):
        # A scheduled price is in the store already (the ERP gets it on its day): undone too.
        posted = row.status in ("done", "scheduled")
        inverse = kind.inverse(row.payload, row.before) if posted else None
        if inverse is None:
            continue
        after = _after_image(row)
        was = after or {}
        fields = {name: (was.get(name), value) for name, value in inverse.get("set", {}).items()}
        shown.changes.append(RowChange(row.row_number, row.business_key, fields, was, after))
        undo.append((row, inverse, after))
    if not undo:
        raise ApprovalError(f"upload {upload.id} posted nothing to revert", key=str(upload.id))
    shown.check.rows = len(undo)
    reason = needs_approval(shown, settings)
    revert = Upload(
        kind=upload.kind,
        filename=f"revert of upload {upload.id}",
        sha256="",
        status="pending_approval" if reason else "ready",
        uploaded_by=actor,
        rows=len(undo),
        errors={"approval": reason, "revert_of": upload.id},
    )
    session.add(revert)
    session.flush()
    for row, inverse, after in undo:
        session.add(
            UploadRow(
                upload_id=revert.id,
                row_number=row.row_number,
                business_key=row.business_key,
                payload=inverse,
                before=jsonable(after),
                status="pending",
            )
        )
    upload.errors = {**(upload.errors or {}), "reverted_by": revert.id}
    record_audit(session, actor, "upload.revert", upload.kind, str(upload.id), after=revert.errors)
    return revert
