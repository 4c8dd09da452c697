"""The simulations apply_uploads carries out: a row of a requested simulation is a work item,
durable and resumed like a posting, whose outcome is stored on the row, never sent to the ERP.

The portal records the request (templates_xlsx/simulation.py); the job plans one item per row
still without a result, and once every row has one the upload's simulation is done, with its
counts and the marked-up workbook. An item of a request superseded by a newer one is a no-op.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record_audit
from core.store import session_scope
from core.store.models import Upload, UploadRow
from sync_jobs.base import ItemSpec
from templates_xlsx import simulation
from templates_xlsx.preview import row_version

log = logging.getLogger(__name__)
ACTOR = "apply_uploads"
# Uploads whose simulation may still be open: waiting, or submitted while it ran.
LIVE = ("ready", "pending_approval", "approved", "applying")


def plan(session: Session, data_path: Path) -> list[ItemSpec]:
    """An item per row of every open simulation that has no result yet."""
    specs = []
    uploads = session.scalars(
        select(Upload)
        .where(Upload.simulation.is_not(None), Upload.status.in_(LIVE))
        .order_by(Upload.id)
    )
    for upload in uploads:
        asked = upload.simulation or {}
        if asked.get("state") not in simulation.OPEN_STATES:
            continue
        waiting = [row for row in _rows(session, upload) if row.simulation is None]
        if not waiting:
            finish(session, upload, data_path)
            continue
        upload.simulation = {**asked, "state": "running"}
        for row in waiting:
            key = f"simulate:{upload.id}:{row.row_number}"
            payload = {"simulate": asked["requested_at"], "upload_id": upload.id, "row_id": row.id}
            version = row_version(key, {"request": asked["requested_at"]})
            specs.append(ItemSpec(key, payload, version))
    return specs


def asked(upload: Upload, row: UploadRow, payload: dict) -> bool:
    """Is this item's request still the upload's open simulation, its row without a result?"""
    found = upload.simulation or {}
    return (
        found.get("requested_at") == payload.get("simulate")
        and found.get("state") in simulation.OPEN_STATES
        and row.simulation is None
    )


def record(url: str, data_path: Path, payload: dict, outcome: str, message: str) -> None:
    """Store one row's outcome; the upload's simulation is done once every row has one."""
    with session_scope(url) as session:
        upload = session.get(Upload, payload["upload_id"])
        row = session.get(UploadRow, payload["row_id"])
        if upload is None or row is None or not asked(upload, row, payload):
            return
        row.simulation = {"outcome": outcome, "message": message[:2000]}
        finish(session, upload, data_path)


def finish(session: Session, upload: Upload, data_path: Path) -> None:
    session.flush()
    rows = _rows(session, upload)
    if any(row.simulation is None for row in rows):
        return
    counts = simulation.counts(rows)
    upload.simulation = {
        **(upload.simulation or {}),
        "state": "done",
        "finished_at": datetime.now(timezone.utc).isoformat(),
        "counts": counts,
        "workbook": _workbook(upload, rows, data_path),
    }
    record_audit(session, ACTOR, "upload.simulated", upload.kind, str(upload.id), after=counts)


def _workbook(upload: Upload, rows: list[UploadRow], data_path: Path) -> str | None:
    if not upload.stored_path or not Path(upload.stored_path).exists():
        return None
    out = simulation.workbook_path(data_path, upload.id)
    try:
        return str(simulation.write_workbook(upload, rows, out))
    except Exception:  # noqa: BLE001 - the outcomes stand on the page; the workbook is extra
        log.exception("simulation workbook of upload %s failed", upload.id)
        return None


def _rows(session: Session, upload: Upload) -> list[UploadRow]:
    query = select(UploadRow).where(UploadRow.upload_id == upload.id)
    return list(session.scalars(query.order_by(UploadRow.row_number)))
