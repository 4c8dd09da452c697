"""The Uploads pages: templates and current data to download, the upload form, the preview with
its errors and field-level diff, submit, a second person's approval, progress while the
apply_uploads job posts the rows, the results workbook, and revert. Every change is audited.

Nothing here talks to an ERP: approved rows wait in the store for the job.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from core.audit import record_audit
from core.store.models import Upload
from templates_xlsx import get_kind
from templates_xlsx.preview import ApprovalError, approve, preview, record_revert, record_upload
from templates_xlsx.template import build_workbook
from templates_xlsx.writeback import write_results
from web import job_store
from web import upload_store as store
from web.store import db, settings

bp = Blueprint("uploads", __name__, url_prefix="/uploads")
log = logging.getLogger(__name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
APPLY_JOB = "apply_uploads"


def _kind_or_refuse(kind: str, *, upload: bool = False):
    """The kind if this role works with it; otherwise back to the list with why."""
    role = current_user.role
    allowed = store.kinds_for(role) if upload else store.visible_kinds(role)
    if kind not in store.OWNERS:
        abort(404, f"There is no spreadsheet kind {kind!r} to upload.")
    if kind not in allowed:
        owner = store.OWNERS[kind]
        flash(f"{get_kind(kind).title} workbooks are uploaded by a {owner}.", "warn")
        return None
    return get_kind(kind)


def _workbook(kind, rows=None, name: str = ""):
    buffer = io.BytesIO()
    build_workbook(kind, rows=rows).save(buffer)
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=name)


@bp.get("")
def index():
    role = current_user.role
    kinds = [get_kind(k) for k in store.visible_kinds(role)]
    with db() as session:
        uploads = store.list_uploads(session, [k.name for k in kinds])
    return render_template(
        "uploads/index.html",
        kinds=kinds,
        mine=set(store.kinds_for(role)),
        erp=settings().erp,
        erp_kinds=store.ERP_KINDS.get(settings().erp, frozenset()),
        uploads=uploads,
        max_mb=settings().uploads.max_bytes / 1_000_000,
    )


@bp.get("/templates/<kind>")
def template(kind: str):
    found = _kind_or_refuse(kind)
    if found is None:
        return redirect(url_for("uploads.index"))
    return _workbook(found, name=f"{kind}.xlsx")


@bp.get("/current/<kind>")
def current_data(kind: str):
    found = _kind_or_refuse(kind)
    if found is None:
        return redirect(url_for("uploads.index"))
    filters = {
        name: (request.args.get(name) or "").strip() or None for name in ("customer", "item")
    }
    with db() as session:
        rows = found.export_rows(session, filters)
        record_audit(session, current_user.username, "upload.export", kind, "", after=filters)
    suffix = "".join(f"-{v}" for v in filters.values() if v)
    return _workbook(found, rows, f"{kind}-current{suffix}.xlsx")


@bp.post("/<kind>")
def upload(kind: str):
    found = _kind_or_refuse(kind, upload=True)
    if found is None:
        return redirect(url_for("uploads.index"))
    if kind not in store.ERP_KINDS.get(settings().erp, ()):
        flash(f"{settings().erp} keeps {found.title.lower()} itself; change them there.", "warn")
        return redirect(url_for("uploads.index"))
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        flash("Choose a workbook (.xlsx) to upload.", "warn")
        return redirect(url_for("uploads.index"))
    limit = int(settings().uploads.max_bytes)
    try:
        path = store.save_upload(sent.stream, settings().data_path, limit)
    except store.TooLargeError as exc:
        flash(f"The workbook is too large: {exc}.", "warn")
        return redirect(url_for("uploads.index"))
    return redirect(url_for("uploads.detail", upload_id=_check(found, path, sent.filename)))


def _check(kind, path: Path, filename: str) -> int:
    """Check and preview the stored file; record it, or the reason nothing was recorded."""
    who = current_user.username
    with db() as session:
        shown = preview(settings(), kind.name, path, session=session)
        result = shown.check
        if result.status == "valid" and shown.changes:
            twin = store.same_upload(session, kind.name, result.sha256 or "", shown.idempotency_key)
            if twin is not None:
                path.unlink(missing_ok=True)
                flash(f"These rows were already uploaded as upload {twin.id}.", "info")
                return twin.id
            recorded = record_upload(
                session, shown, settings(), actor=who, filename=filename, stored_path=str(path)
            )
            recorded.errors = {
                **recorded.errors,
                "sheet": result.sheet,
                "template": result.template,
                "check": {"message": result.message, "errors": []},
            }
            return recorded.id
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
            checked.result_path = str(_check_results(path, result, checked.id))
        record_audit(session, who, f"upload.{status}", kind.name, str(checked.id),
                     after={"rows": result.rows, "errors": len(result.errors)})  # fmt: skip
        return checked.id


def _check_results(path: Path, result, upload_id: int) -> Path:
    return write_results(path, result, store.check_results_path(settings().data_path, upload_id))


def _upload(session, upload_id: int) -> Upload:
    found = session.get(Upload, upload_id)
    if found is None or found.kind not in store.visible_kinds(current_user.role):
        abort(404, f"There is no upload {upload_id}.")
    return found


@bp.get("/<int:upload_id>")
def detail(upload_id: int):
    with db() as session:
        found = _upload(session, upload_id)
        view = store.upload_view(session, found)
        refusal = store.may_approve(found, current_user.username, current_user.role)
        reverted_by = (found.errors or {}).get("reverted_by")
        session.expunge_all()
    return render_template(
        "uploads/detail.html",
        view=view,
        upload=view.upload,
        kind=get_kind(view.upload.kind),
        meta=view.upload.errors or {},
        may_approve=refusal is None,
        approve_refusal=refusal,
        owner=store.OWNERS.get(view.upload.kind),
        reverted_by=reverted_by,
        running=view.upload.status in store.RUNNING,
        viewer_kinds=store.kinds_for(current_user.role),
    )


def _act(upload_id: int, action):
    """Run one state change on an upload in a transaction, then back to its page."""
    try:
        with db() as session:
            message = action(session, _upload(session, upload_id))
        flash(message, "ok")
    except ApprovalError as exc:
        flash(f"Not done: {exc.message}" + (f" ({exc.hint})" if exc.hint else ""), "warn")
    return redirect(url_for("uploads.detail", upload_id=upload_id))


def _queue_apply(session) -> None:
    job_store.request_run(session, APPLY_JOB, current_user.username)


@bp.post("/<int:upload_id>/submit")
def submit(upload_id: int):
    def action(session, found: Upload) -> str:
        if found.uploaded_by != current_user.username or found.status != "ready":
            raise ApprovalError("only the uploader submits a checked upload", key=str(found.id))
        approve(session, found, current_user.username)
        _queue_apply(session)
        return f"Upload {found.id} submitted; its rows are being posted."

    return _act(upload_id, action)


@bp.post("/<int:upload_id>/approve")
def approve_upload(upload_id: int):
    def action(session, found: Upload) -> str:
        refusal = store.may_approve(found, current_user.username, current_user.role)
        if refusal:
            raise ApprovalError(refusal, key=str(found.id))
        approve(session, found, current_user.username)
        _queue_apply(session)
        return f"Upload {found.id} approved; its rows are being posted."

    return _act(upload_id, action)


@bp.post("/<int:upload_id>/reject")
def reject(upload_id: int):
    """The approver rejects; the uploader withdraws. Nothing is posted either way."""

    def action(session, found: Upload) -> str:
        own = found.uploaded_by == current_user.username
        if found.status not in store.WAITING:
            raise ApprovalError(f"the upload is {found.status}", key=str(found.id))
        if not own and store.may_approve(found, current_user.username, current_user.role):
            raise ApprovalError("only its uploader or an approver can stop it", key=str(found.id))
        found.status = "withdrawn" if own else "rejected"
        comment = (request.form.get("comment") or "").strip()[:500]
        record_audit(session, current_user.username, f"upload.{found.status}", found.kind,
                     str(found.id), after={"comment": comment})  # fmt: skip
        return f"Upload {found.id} {found.status}; nothing was posted."

    return _act(upload_id, action)


@bp.post("/<int:upload_id>/revert")
def revert(upload_id: int):
    new: dict[str, int] = {}

    def action(session, found: Upload) -> str:
        if found.kind not in store.kinds_for(current_user.role):
            raise ApprovalError(f"a {store.OWNERS[found.kind]} reverts this", key=str(found.id))
        if (found.errors or {}).get("reverted_by"):
            raise ApprovalError("it was reverted already", key=str(found.id))
        undo = record_revert(session, found, settings(), actor=current_user.username)
        new["id"] = undo.id
        waits = "waits for a second approval" if undo.status == "pending_approval" else "is ready"
        return f"Revert of upload {found.id} recorded as upload {undo.id}; it {waits}."

    answer = _act(upload_id, action)
    return redirect(url_for("uploads.detail", upload_id=new["id"])) if new else answer


@bp.get("/<int:upload_id>/results")
def results(upload_id: int):
    with db() as session:
        found = _upload(session, upload_id)
        path, name = found.result_path, Path(found.filename).stem
    if not path or not Path(path).exists():
        abort(404, "This upload has no results workbook yet.")
    return send_file(path, mimetype=XLSX, as_attachment=True, download_name=f"{name}-results.xlsx")
