"""What a person does with uploads, for the pages and the JSON API alike: receive and check a
workbook, simulate against the ERP, submit, approve, reject or withdraw, revert, export the
current data. Each returns
what happened or raises ActionRefusedError saying why (with the HTTP status the API answers);
the pages flash that sentence, the API returns it as JSON. Every change is audited.

Nothing here talks to an ERP: approved rows wait in the store for the apply_uploads job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, NoReturn

from sqlalchemy.orm import Session

from core.audit import record_audit
from core.store.models import Upload
from templates_xlsx import get_kind, simulation, taken_by
from templates_xlsx.kind import SheetKind
from templates_xlsx.preview import ApprovalError, approve, preview, record_revert, record_upload
from templates_xlsx.writeback import write_results
from web import job_store
from web import upload_store as store
from web.queues import ActionRefusedError

APPLY_JOB = "apply_uploads"


class UnknownKindError(ActionRefusedError):
    """There is no spreadsheet kind of that name (404, on a page as in the API)."""


@dataclass(frozen=True)
class Person:
    """Who acts: their name and role."""

    username: str
    role: str


@dataclass(frozen=True)
class Checked:
    """A received workbook's upload; `twin` when the same rows were already uploaded as it."""

    upload_id: int
    twin: bool = False


def kind_for(kind: str, role: str, *, upload: bool = False) -> SheetKind:
    """The kind, if this role works with it (uploads it, when `upload`); refused otherwise.

    A kind outside the role's scope answers 404, as uploads of it do: the API's object-level
    scopes are 404s, the permission table's role checks 403s."""
    if kind not in store.OWNERS:
        raise UnknownKindError(f"There is no spreadsheet kind {kind!r}.", 404)
    allowed = store.kinds_for(role) if upload else store.visible_kinds(role)
    if kind not in allowed:
        owner = store.OWNERS[kind]
        raise ActionRefusedError(
            f"{get_kind(kind).title} workbooks are uploaded by a {owner}.", 404
        )
    return get_kind(kind)


def receive(settings: Any, session: Session, kind_name: str, sent: Any, who: Person) -> Checked:
    """Keep a sent file (a werkzeug FileStorage or None), check it and record the outcome."""
    kind = kind_for(kind_name, who.role, upload=True)
    if kind_name not in taken_by(settings.erp):
        raise ActionRefusedError(
            f"{settings.erp} keeps {kind.title.lower()} itself; change them there.", 409
        )
    if sent is None or not sent.filename:
        raise ActionRefusedError("Choose a workbook (.xlsx) to upload.", 400)
    stream: IO[bytes] = sent.stream
    try:
        path = store.save_upload(stream, settings.data_path, int(settings.uploads.max_bytes))
    except store.TooLargeError as exc:
        raise ActionRefusedError(f"The workbook is too large: {exc}.", 413) from exc
    return check(settings, session, kind, path, sent.filename, who.username)


def check(
    settings: Any, session: Session, kind: SheetKind, path: Path, filename: str, who: str
) -> Checked:
    """Check and preview the stored file; record it, or the reason nothing was recorded."""
    shown = preview(settings, kind.name, path, session=session)
    result = shown.check
    if result.status == "valid" and shown.changes:
        twin = store.same_upload(session, kind.name, result.sha256 or "", shown.idempotency_key)
        if twin is not None:
            path.unlink(missing_ok=True)
            return Checked(twin.id, twin=True)
        recorded = record_upload(
            session, shown, settings, actor=who, filename=filename, stored_path=str(path)
        )
        recorded.errors = {
            **recorded.errors,
            "sheet": result.sheet,
            "template": result.template,
            "check": {"message": result.message, "errors": []},
        }
        return Checked(recorded.id)
    status = {"valid": "unchanged", "invalid": "invalid"}.get(result.status, "refused")
    if status == "refused":
        path.unlink(missing_ok=True)  # a refused file is not kept, nor opened again
    checked = Upload(
        kind=kind.name,
        filename=filename[:255],
        sha256=result.sha256 or "",
        status=status,
        uploaded_by=who,
        rows=result.rows,
        errors={"check": result.to_json(), "sheet": result.sheet, "template": result.template},
        stored_path=str(path) if status != "refused" else None,
    )
    session.add(checked)
    session.flush()
    if status == "invalid":
        out = store.check_results_path(settings.data_path, checked.id)
        checked.result_path = str(write_results(path, result, out))
    record_audit(session, who, f"upload.{status}", kind.name, str(checked.id),
                 after={"rows": result.rows, "errors": len(result.errors)})  # fmt: skip
    return Checked(checked.id)


def find(session: Session, upload_id: int, role: str) -> Upload:
    """The upload, if this role sees its kind; 404 otherwise (its existence is not told)."""
    found = session.get(Upload, upload_id)
    if found is None or found.kind not in store.visible_kinds(role):
        raise ActionRefusedError(f"There is no upload {upload_id}.", 404)
    return found


def export_current(session: Session, kind: SheetKind, filters: dict, who: str) -> list[dict]:
    """The kind's current data in the store, as rows of its template; audited."""
    rows = kind.export_rows(session, filters)
    record_audit(session, who, "upload.export", kind.name, "", after=filters)
    return rows


def _refuse(found: Upload, verb: str, why: str, status: int = 409) -> NoReturn:
    """409: the upload's state does not allow it; 403: this person may not do it."""
    raise ActionRefusedError(f"Upload {found.id} was not {verb}: {why}.", status)


def _approve(session: Session, found: Upload, who: Person, verb: str) -> None:
    refused = simulation.refused_rows(found, store.rows_of(session, found))
    if refused:
        _refuse(
            found, verb,
            f"the simulation found the ERP would refuse row(s) {', '.join(map(str, refused))}; "
            "fix them in the ERP and simulate again, or upload a corrected workbook",
        )  # fmt: skip
    try:
        approve(session, found, who.username)
    except ApprovalError as exc:
        _refuse(found, verb, exc.message + (f" ({exc.hint})" if exc.hint else ""))
    job_store.request_run(session, APPLY_JOB, who.username)


def submit(session: Session, found: Upload, who: Person) -> str:
    """The uploader sends a checked upload that needs no second person."""
    if found.status != "ready":
        _refuse(found, "submitted", f"it is {found.status.replace('_', ' ')}, not ready")
    if found.uploaded_by != who.username:
        _refuse(found, "submitted", f"only its uploader, {found.uploaded_by}, submits it", 403)
    _approve(session, found, who, "submitted")
    return f"Upload {found.id} submitted; its rows are being posted."


def simulate(session: Session, found: Upload, who: Person) -> str:
    """Ask apply_uploads to check a waiting upload's rows against the ERP, writing nothing
    there; a new simulation replaces the last one."""
    if found.kind not in store.kinds_for(who.role):
        _refuse(found, "simulated", f"a {store.OWNERS[found.kind]} simulates it", 403)
    if found.status not in store.WAITING:
        _refuse(found, "simulated", f"it is {found.status.replace('_', ' ')}, not waiting")
    rows = store.rows_of(session, found)
    simulation.request(found, rows, who.username, datetime.now(timezone.utc))
    job_store.request_run(session, APPLY_JOB, who.username)
    record_audit(session, who.username, "upload.simulate", found.kind, str(found.id))
    return f"Upload {found.id} is being simulated against the ERP; nothing is posted."


def approve_upload(session: Session, found: Upload, who: Person) -> str:
    """A second person approves an upload whose rule asks for one."""
    refusal = store.may_approve(found, who.username, who.role)
    if refusal:
        _refuse(found, "approved", refusal, 409 if found.status != "pending_approval" else 403)
    _approve(session, found, who, "approved")
    return f"Upload {found.id} approved; its rows are being posted."


def reject(session: Session, found: Upload, who: Person, comment: str = "") -> str:
    """The approver rejects; the uploader withdraws. Nothing is posted either way."""
    own = found.uploaded_by == who.username
    if found.status not in store.WAITING:
        _refuse(found, "stopped", f"it is {found.status.replace('_', ' ')}")
    if not own and store.may_approve(found, who.username, who.role):
        _refuse(found, "stopped", "only its uploader or an approver can stop it", 403)
    found.status = "withdrawn" if own else "rejected"
    record_audit(session, who.username, f"upload.{found.status}", found.kind, str(found.id),
                 after={"comment": (comment or "").strip()[:500]})  # fmt: skip
    return f"Upload {found.id} {found.status}; nothing was posted."


def revert(session: Session, found: Upload, who: Person, settings: Any) -> tuple[str, Upload]:
    """Record the upload that undoes this one's posted rows, under the same approval rule."""
    if found.kind not in store.kinds_for(who.role):
        _refuse(found, "reverted", f"a {store.OWNERS[found.kind]} reverts it", 403)
    if (found.errors or {}).get("reverted_by"):
        _refuse(found, "reverted", f"it was reverted by upload {found.errors['reverted_by']}")
    try:
        undo = record_revert(session, found, settings, actor=who.username)
    except ApprovalError as exc:
        _refuse(found, "reverted", exc.message)
    waits = "waits for a second approval" if undo.status == "pending_approval" else "is ready"
    return f"Revert of upload {found.id} recorded as upload {undo.id}; it {waits}.", undo
