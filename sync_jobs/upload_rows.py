"""The rows of uploads as the posting jobs read and settle them (apply_uploads and
post_scheduled_prices): an item's upload and row, whether a row is in line already, a retry
that must not be posted any more, and the outcome a row keeps."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import RecordRejectedError
from core.store.models import Upload, UploadRow, WorkItem
from templates_xlsx import get_kind


def rows_of(session: Session, upload: Upload, status: str | None = None) -> list[UploadRow]:
    query = select(UploadRow).where(UploadRow.upload_id == upload.id)
    if status:
        query = query.where(UploadRow.status == status)
    return list(session.scalars(query.order_by(UploadRow.row_number)))


def load(session: Session, payload: dict) -> tuple[Upload, UploadRow]:
    upload = session.get(Upload, payload["upload_id"])
    row = session.get(UploadRow, payload["row_id"])
    if upload is None or row is None:
        raise RecordRejectedError("the upload row no longer exists", key=str(payload))
    return upload, row


def queued(session: Session, job_id: str, key: str, row_id: int) -> bool:
    """Is a work item of this row waiting or being carried out?"""
    items = session.scalars(
        select(WorkItem.payload).where(
            WorkItem.job_id == job_id,
            WorkItem.business_key == key,
            WorkItem.status.in_(("pending", "claimed")),
        )
    )
    return any((payload or {}).get("row_id") == row_id for payload in items)


def check_retry(upload: Upload, row: UploadRow, payload: dict) -> None:
    """Refuse a retried row that must not be posted any more (RecordRejectedError)."""
    if "retry" not in payload:
        return
    reverted = (upload.errors or {}).get("reverted_by")
    if reverted:
        raise RecordRejectedError(
            f"upload {upload.id} was reverted by upload {reverted}; the retried row was not sent",
            key=row.business_key,
            hint="upload the change again if it is still wanted",
        )
    if payload.get("change") != row.payload:
        # What a steward approved (and a revert undoes) is the upload row, not the queue's copy.
        raise RecordRejectedError(
            "an upload row's change cannot be edited in the error queue; nothing was sent",
            key=row.business_key,
            hint="retry it unchanged, or upload a corrected workbook",
        )


def already(session: Session, kind: str, prior: WorkItem) -> str:
    """What a row says when an earlier upload's row made the same change: posted, or kept in
    the store until its day (that one is posted then, this one never)."""
    first = (prior.payload or {}).get("upload_id")
    earlier = session.get(UploadRow, (prior.payload or {}).get("row_id") or 0)
    day = get_kind(kind).scheduled_on(earlier.payload, date.min) if earlier is not None else None
    if earlier is not None and earlier.status == "scheduled" and day is not None:
        return f"Already scheduled with upload {first} for {day.isoformat()}."
    return f"Already posted with upload {first}."


def settle(session: Session, row: UploadRow, status: str, message: str) -> None:
    row.status, row.message = status, message[:2000]
