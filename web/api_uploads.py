"""The uploads part of the JSON API: what a steward or coordinator does on the Uploads pages,
for scripts. Same authentication and permission table as web/api.py, and the same rules as
the pages (web/upload_actions.py); refusals answer {"error": why, "status": code}.

Its own blueprint under /api/uploads, so the area's routes read together and the general
API module stays small.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from core.store.models import Upload
from web import upload_actions as actions
from web import upload_store as store
from web.queues import ActionRefusedError
from web.store import db, settings
from web.uploads import (
    current_filters,
    current_name,
    person,
    results_file,
    simulation_file,
    workbook,
)

bp = Blueprint("api_uploads", __name__, url_prefix="/api/uploads")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def summary_json(upload: Upload) -> dict[str, Any]:
    """An upload as the list shows it."""
    return {
        "id": upload.id,
        "kind": upload.kind,
        "filename": upload.filename,
        "status": upload.status,
        "awaiting": store.awaiting(upload),
        "rows": upload.rows,
        "uploaded_by": upload.uploaded_by,
        "uploaded_at": _iso(upload.uploaded_at),
        "approved_by": upload.approved_by,
        "approved_at": _iso(upload.approved_at),
        "url": url_for("api_uploads.detail", upload_id=upload.id),
    }


def row_json(row: store.RowView) -> dict[str, Any]:
    return {
        "row": row.row,
        "key": row.key,
        "new": row.new,
        "status": row.status,
        "message": row.message,
        "fields": [{"column": h, "current": old, "new": new} for h, old, new in row.fields],
    }


def simulation_json(upload: Upload, view: store.UploadView) -> dict[str, Any]:
    """The latest simulation: its state (none / void / queued / running / done) and per row
    would_post or would_refuse with why."""
    found = view.simulation or {}
    state = found.get("state") or ("void" if view.simulation_void else "none")
    return {
        "state": state,
        "requested_by": found.get("requested_by"),
        "requested_at": found.get("requested_at"),
        "finished_at": found.get("finished_at"),
        "counts": found.get("counts"),
        "rows": [
            {"row": r.row, "key": r.key, **(r.simulation or {"outcome": None, "message": ""})}
            for r in view.rows
        ],
        "workbook_url": url_for("api_uploads.simulation_workbook", upload_id=upload.id)
        if found.get("workbook")
        else None,
    }


def upload_json(session: Session, upload: Upload) -> dict[str, Any]:
    """An upload as its page shows it: status, counts, progress, check errors and the diff."""
    view = store.upload_view(session, upload)
    meta = upload.errors or {}
    check = meta.get("check") or {}
    refusal = store.may_approve(upload, current_user.username, current_user.role)
    return {
        **summary_json(upload),
        "approval_needed": meta.get("approval"),
        "may_approve": refusal is None,
        "approve_refusal": refusal,
        "revert_of": meta.get("revert_of"),
        "reverted_by": meta.get("reverted_by"),
        "check": {"reason": check.get("reason"), "message": check.get("message") or ""},
        "counts": view.counts,
        "progress": {"rows": dict(view.progress), "settled_percent": view.settled_share},
        "errors": view.errors,
        "changes": [row_json(row) for row in view.rows],
        "simulation": simulation_json(upload, view),
        "results_url": url_for("api_uploads.results", upload_id=upload.id)
        if upload.result_path
        else None,
    }


def _refused(refused: ActionRefusedError):
    abort(refused.status, refused.message)


def _find(session, upload_id: int):
    try:
        return actions.find(session, upload_id, current_user.role)
    except ActionRefusedError as refused:
        _refused(refused)


def _kind(kind: str):
    try:
        return actions.kind_for(kind, current_user.role)
    except ActionRefusedError as refused:
        _refused(refused)


@bp.get("")
def index():
    """?kind= narrows the list to one kind."""
    wanted = request.args.get("kind")
    kinds = [_kind(wanted).name] if wanted else store.visible_kinds(current_user.role)
    with db() as session:
        uploads = store.list_uploads(session, kinds)
        return jsonify({"uploads": [summary_json(u) for u in uploads]})


@bp.get("/<int:upload_id>")
def detail(upload_id: int):
    with db() as session:
        return jsonify(upload_json(session, _find(session, upload_id)))


# An upload's outcome: the status it answers, and whether the body names an error.
OUTCOMES = {"invalid": 422, "refused": 422}


@bp.post("/<kind>")
def upload(kind: str):
    """multipart/form-data with the workbook as `file`: checked, previewed and recorded as on
    the page. 201 with the upload; 200 with the earlier upload when the same rows were
    uploaded already; 422 when the workbook is invalid (errors by cell) or refused (reason)."""
    try:
        with db() as session:
            checked = actions.receive(
                settings(), session, kind, request.files.get("file"), person()
            )
            found = session.get(Upload, checked.upload_id)
            body = {**upload_json(session, found), "already_uploaded": checked.twin}
    except ActionRefusedError as refused:
        _refused(refused)
    status = 200 if checked.twin else OUTCOMES.get(body["status"], 201)
    if status == 422:
        body["error"] = body["check"]["message"]
    headers = {"Location": body["url"]} if status == 201 else {}
    return jsonify(body), status, headers


def _act(upload_id: int, action, status: int = 200):
    """One action on one upload; the upload it names as JSON with what happened, or why not."""
    try:
        with db() as session:
            message, shown = action(session, actions.find(session, upload_id, current_user.role))
            session.flush()
            body = {**upload_json(session, shown), "message": message}
    except ActionRefusedError as refused:
        _refused(refused)
    return jsonify(body), status


@bp.post("/<int:upload_id>/submit")
def submit(upload_id: int):
    return _act(upload_id, lambda s, u: (actions.submit(s, u, person()), u))


@bp.post("/<int:upload_id>/simulate")
def simulate(upload_id: int):
    """202: the simulation is queued for apply_uploads; GET .../simulation follows it."""
    try:
        with db() as session:
            found = actions.find(session, upload_id, current_user.role)
            message = actions.simulate(session, found, person())
            session.flush()
            body = {**simulation_json(found, store.upload_view(session, found)), "message": message}
    except ActionRefusedError as refused:
        _refused(refused)
    location = url_for("api_uploads.simulation", upload_id=upload_id)
    return jsonify(body), 202, {"Location": location}


@bp.get("/<int:upload_id>/simulation")
def simulation(upload_id: int):
    with db() as session:
        found = _find(session, upload_id)
        return jsonify(simulation_json(found, store.upload_view(session, found)))


@bp.get("/<int:upload_id>/simulation.xlsx")
def simulation_workbook(upload_id: int):
    with db() as session:
        found = _find(session, upload_id)
        path = store.simulation_workbook(found, store.rows_of(session, found))
        filename = found.filename
    return simulation_file(path, filename)


@bp.post("/<int:upload_id>/approve")
def approve(upload_id: int):
    return _act(upload_id, lambda s, u: (actions.approve_upload(s, u, person()), u))


@bp.post("/<int:upload_id>/reject")
def reject(upload_id: int):
    """Reject (an approver) or withdraw (the uploader), with an optional {"comment": ...}."""
    body = request.get_json(silent=True)
    comment = str((body if isinstance(body, dict) else request.form).get("comment") or "")
    return _act(upload_id, lambda s, u: (actions.reject(s, u, person(), comment), u))


@bp.post("/<int:upload_id>/revert")
def revert(upload_id: int):
    """201 with the new upload that undoes this one; it waits for submit or approval."""
    return _act(upload_id, lambda s, u: actions.revert(s, u, person(), settings()), 201)


@bp.get("/<int:upload_id>/results")
def results(upload_id: int):
    with db() as session:
        found = _find(session, upload_id)
        path, filename = found.result_path, found.filename
    return results_file(path, filename)


@bp.get("/templates/<kind>")
def template(kind: str):
    return workbook(_kind(kind), name=f"{kind}.xlsx")


@bp.get("/current/<kind>")
def current_data(kind: str):
    """?item= and ?customer= narrow the rows, as on the page."""
    found, filters = _kind(kind), current_filters()
    with db() as session:
        rows = actions.export_current(session, found, filters, current_user.username)
    return workbook(found, rows, current_name(kind, filters))
