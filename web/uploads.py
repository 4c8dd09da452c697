"""The Uploads pages: templates and current data to download, the upload form, the preview with
its errors and field-level diff, submit, a second person's approval, progress while the
apply_uploads job posts the rows, the results workbook, and revert.

A waiting upload can be simulated against the ERP first: the apply_uploads job checks each row
there without writing, and the preview shows what each row would meet.

The rules live in web/upload_actions.py, shared with the JSON API; these routes flash what
happened or why not. Nothing here talks to an ERP: approved rows wait in the store for the job.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from core.store.models import Upload
from templates_xlsx import get_kind, taken_by
from templates_xlsx.template import build_workbook
from web import upload_actions as actions
from web import upload_store as store
from web.queues import ActionRefusedError
from web.store import db, settings

bp = Blueprint("uploads", __name__, url_prefix="/uploads")
log = logging.getLogger(__name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def person() -> actions.Person:
    return actions.Person(current_user.username, current_user.role)


def workbook(kind, rows=None, name: str = ""):
    """A generated workbook of the kind (its template, or filled with rows) as a download."""
    buffer = io.BytesIO()
    build_workbook(kind, rows=rows).save(buffer)
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=name)


def current_filters() -> dict[str, str | None]:
    return {name: (request.args.get(name) or "").strip() or None for name in ("customer", "item")}


def current_name(kind: str, filters: dict[str, str | None]) -> str:
    return f"{kind}-current{''.join(f'-{v}' for v in filters.values() if v)}.xlsx"


def results_file(path: str | None, filename: str):
    name = Path(filename).stem
    if not path or not Path(path).exists():
        abort(404, "This upload has no results workbook yet.")
    return send_file(path, mimetype=XLSX, as_attachment=True, download_name=f"{name}-results.xlsx")


def _refused(refused: ActionRefusedError):
    """Back to the list with why; a kind that does not exist at all is a 404 page."""
    if isinstance(refused, actions.UnknownKindError):
        abort(404, refused.message)
    flash(refused.message, "warn")
    return redirect(url_for("uploads.index"))


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
        erp_kinds=taken_by(settings().erp),
        uploads=uploads,
        awaiting=store.awaiting,
        max_mb=settings().uploads.max_bytes / 1_000_000,
    )


@bp.get("/templates/<kind>")
def template(kind: str):
    try:
        found = actions.kind_for(kind, current_user.role)
    except ActionRefusedError as refused:
        return _refused(refused)
    return workbook(found, name=f"{kind}.xlsx")


@bp.get("/current/<kind>")
def current_data(kind: str):
    filters = current_filters()
    try:
        found = actions.kind_for(kind, current_user.role)
    except ActionRefusedError as refused:
        return _refused(refused)
    with db() as session:
        rows = actions.export_current(session, found, filters, current_user.username)
    return workbook(found, rows, current_name(kind, filters))


@bp.post("/<kind>")
def upload(kind: str):
    try:
        with db() as session:
            checked = actions.receive(
                settings(), session, kind, request.files.get("file"), person()
            )
    except ActionRefusedError as refused:
        return _refused(refused)
    if checked.twin:
        flash(f"These rows were already uploaded as upload {checked.upload_id}.", "info")
    return redirect(url_for("uploads.detail", upload_id=checked.upload_id))


def _upload(session, upload_id: int) -> Upload:
    try:
        return actions.find(session, upload_id, current_user.role)
    except ActionRefusedError as refused:
        abort(refused.status, refused.message)


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
        awaiting=store.awaiting(view.upload),
        running=view.upload.status in store.RUNNING or view.simulating,
        viewer_kinds=store.kinds_for(current_user.role),
    )


def _act(upload_id: int, action):
    """Run one action on an upload in a transaction, flash what happened or why not, and show
    the upload the action names (its own, or the revert it recorded)."""
    shown = upload_id
    try:
        with db() as session:
            message, shown = action(session, _upload(session, upload_id))
        flash(message, "ok")
    except ActionRefusedError as refused:
        flash(refused.message, "warn")
    return redirect(url_for("uploads.detail", upload_id=shown))


@bp.post("/<int:upload_id>/submit")
def submit(upload_id: int):
    return _act(upload_id, lambda s, u: (actions.submit(s, u, person()), u.id))


@bp.post("/<int:upload_id>/simulate")
def simulate(upload_id: int):
    return _act(upload_id, lambda s, u: (actions.simulate(s, u, person()), u.id))


def simulation_file(path: str | None, filename: str):
    if not path:
        abort(404, "This upload has no simulation workbook; simulate it first.")
    name = f"{Path(filename).stem}-simulation.xlsx"
    return send_file(path, mimetype=XLSX, as_attachment=True, download_name=name)


@bp.get("/<int:upload_id>/simulation.xlsx")
def simulation_workbook(upload_id: int):
    with db() as session:
        found = _upload(session, upload_id)
        path = store.simulation_workbook(found, store.rows_of(session, found))
        filename = found.filename
    return simulation_file(path, filename)


@bp.post("/<int:upload_id>/approve")
def approve_upload(upload_id: int):
    return _act(upload_id, lambda s, u: (actions.approve_upload(s, u, person()), u.id))


@bp.post("/<int:upload_id>/reject")
def reject(upload_id: int):
    comment = request.form.get("comment") or ""
    return _act(upload_id, lambda s, u: (actions.reject(s, u, person(), comment), u.id))


@bp.post("/<int:upload_id>/revert")
def revert(upload_id: int):
    def action(session, found: Upload):
        message, undo = actions.revert(session, found, person(), settings())
        return message, undo.id

    return _act(upload_id, action)


@bp.get("/<int:upload_id>/results")
def results(upload_id: int):
    with db() as session:
        found = _upload(session, upload_id)
        path, filename = found.result_path, found.filename
    return results_file(path, filename)
