"""The simulations apply_uploads carries out: a row of a requested simulation is a work item,
durable and resumed like a posting, whose outcome is stored on the row, never sent to the ERP.

The portal records the request (templates_xlsx/simulation.py); the job plans one item per row
still without a result, and once every row has one the upload's simulation is done, with its
counts and the marked-up workbook. An item of a request superseded by a newer one is a no-op.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record_audit
from core.errors import RecordRejectedError, TransientError
from core.store import session_scope
from core.store.models import Upload, UploadRow
from sync_jobs.base import ItemSpec
from sync_jobs.erp_read_back import kept_lines
from sync_jobs.upload_rows import load, rows_of
from templates_xlsx import get_kind, simulation
from templates_xlsx.posting import conflict as conflict_of
from templates_xlsx.posting import in_effect
from templates_xlsx.preview import row_version
from templates_xlsx.simulation import WOULD_POST, WOULD_REFUSE

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
        waiting = [row for row in rows_of(session, upload) if row.simulation is None]
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


def carry_out(job: Any, payload: dict, today: date) -> None:
    """A row of a requested simulation: what posting it now would meet, nothing written.
    A system failure (TransientError) propagates: the row waits for the next run."""
    judged = _judge(job, payload, today)
    if judged is not None:
        record(job.url, job.settings.data_path, payload, *judged)


def _judge(job: Any, payload: dict, today: date) -> tuple[str, str] | None:
    """(outcome, message) for the row; None when its request was superseded."""
    with session_scope(job.url) as session:
        upload, row = load(session, payload)
        if not asked(upload, row, payload):
            return None
        try:
            change = job.change_of(session, upload, row, today)
        except RecordRejectedError as exc:
            return WOULD_REFUSE, exc.message
        if in_effect(row.payload, change.current):
            return WOULD_POST, "Already in effect; nothing would be sent."
        conflict = conflict_of(get_kind(upload.kind), row, change.current)
        key = row.business_key
    if conflict is not None:
        return WOULD_REFUSE, conflict
    try:
        records = (
            kept_lines(job.connector, job.settings.erp, change.removes)
            if change.removes
            else change.records
        )
    except RecordRejectedError as exc:
        return WOULD_REFUSE, exc.message
    results = job.connector.simulate(change.entity, records) if records else []
    return _verdict(job.settings.erp, key, results)


def _verdict(erp: str, key: str, results: list[Any]) -> tuple[str, str]:
    """What the ERP's answers in test mode say of the row; a system failure propagates."""
    passing = next((r for r in results if r.transient), None)
    if passing is not None:
        raise TransientError(passing.message, system=erp, key=key, error_class=passing.error_class)
    failed = [r for r in results if not r.ok]
    if failed:
        return WOULD_REFUSE, f"{erp} would refuse: " + "; ".join(r.message for r in failed)
    warnings = "; ".join(w for r in results for w in r.warnings)
    return WOULD_POST, f"Would post to {erp}" + (f" ({warnings})" if warnings else "")


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
    rows = rows_of(session, upload)
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
