"""The JSON API beside the pages: the signed-in session with an X-CSRFToken header, or a
personal API token (Authorization: Bearer ...). Roles come from the same permission table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user

from core.store.models import JobDefinition, JobRun, OpsException, RecordError
from web import error_store, exception_store, job_store
from web.queues import ActionRefusedError
from web.store import db, utcnow

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_RUNS = 500


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def run_json(run: JobRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "status": run.status,
        "trigger": run.trigger,
        "requested_by": run.requested_by,
        "scheduled_at": _iso(run.scheduled_at),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "duration_seconds": job_store.duration_seconds(run),
        "read": run.read,
        "written": run.written,
        "failed": run.failed,
        "api_calls": run.api_calls,
        "summary": run.summary,
        "error": job_store.error_summary(run) or None,
    }


def job_json(job: job_store.JobView) -> dict[str, Any]:
    d = job.definition
    return {
        "job_id": d.job_id,
        "description": d.description,
        "trigger": d.trigger,
        "urgency": d.urgency,
        "paused": d.paused,
        "next_run_at": _iso(d.next_run_at),
        "last_run": run_json(job.last_run) if job.last_run else None,
        "failures_24h": job.failures_24h,
        "pending_commands": job.pending,
        "long_run": _long_run_json(job.long_run) if job.long_run else None,
    }


def _long_run_json(found) -> dict[str, Any]:
    """A running run far past the job's usual duration (see web/long_runs.py)."""
    return {
        "run_id": found.run.id,
        "running_seconds": round(found.elapsed, 1),
        "usual_seconds": round(found.usual, 1) if found.usual is not None else None,
        "flagged_after_seconds": round(found.limit, 1),
    }


def _job_or_404(store, job_id: str) -> JobDefinition:
    definition = store.get(JobDefinition, job_id)
    if definition is None:
        abort(404, f"there is no job {job_id!r}")
    return definition


@bp.get("/me")
def me():
    return jsonify(
        {
            "username": current_user.username,
            "role": current_user.role,
            "via_token": current_user.via_token,
        }
    )


@bp.get("/jobs")
def jobs():
    with db() as store:
        return jsonify({"jobs": [job_json(job) for job in job_store.list_jobs(store)]})


@bp.get("/jobs/<job_id>")
def job(job_id: str):
    with db() as store:
        _job_or_404(store, job_id)
        return jsonify(job_json(job_store.get_job(store, job_id)))


@bp.get("/jobs/<job_id>/runs")
def job_runs(job_id: str):
    limit = min(max(request.args.get("limit", 100, type=int), 1), MAX_RUNS)
    with db() as store:
        _job_or_404(store, job_id)
        runs = job_store.job_runs(store, job_id, limit)
        return jsonify({"job_id": job_id, "runs": [run_json(run) for run in runs]})


@bp.post("/jobs/<job_id>/run")
def run_now(job_id: str):
    with db() as store:
        _job_or_404(store, job_id)
        command, new = job_store.request_run(store, job_id, current_user.username)
        body = {
            "job_id": job_id,
            "command": "run_now",
            "command_id": command.id,
            "already_requested": not new,
        }
    return jsonify(body), 202


def _set_paused(job_id: str, paused: bool):
    with db() as store:
        definition = _job_or_404(store, job_id)
        command = job_store.set_paused(store, definition, paused, current_user.username)
        body = {"job_id": job_id, "paused": paused, "command_id": command.id}
    return jsonify(body)


@bp.post("/jobs/<job_id>/pause")
def pause(job_id: str):
    return _set_paused(job_id, True)


@bp.post("/jobs/<job_id>/resume")
def resume(job_id: str):
    return _set_paused(job_id, False)


# --- the error queue and the exception queue --------------------------------------------


def error_json(error: RecordError, waiting: bool, payload: bool = False) -> dict[str, Any]:
    body = {
        "id": error.id,
        "job_id": error.job_id,
        "run_id": error.run_id,
        "system": error.system,
        "business_key": error.business_key,
        "error_class": error.error_class,
        "code": error.code,
        "message": error.message,
        "hint": error.hint,
        "attempts": error.attempts,
        "status": error.status,
        "retry_waiting": waiting,
        "owner": error.owner,
        "comment": error.comment,
        "first_seen": _iso(error.first_seen),
        "last_seen": _iso(error.last_seen),
        "resolved_at": _iso(error.resolved_at),
        "resolved_by": error.resolved_by,
    }
    if payload:
        body["payload"] = error.payload
    return body


def exception_json(row: OpsException) -> dict[str, Any]:
    sla = exception_store.Sla.of(row, utcnow())
    return {
        "id": row.id,
        "kind": row.kind,
        "business_key": row.business_key,
        "order_number": row.order_number,
        "source_job": row.source_job,
        "system": row.system,
        "message": row.message,
        "hint": row.hint,
        "amount": None if row.amount is None else str(row.amount),
        "currency": row.currency,
        "details": row.details,
        "status": row.status,
        "owner": row.owner,
        "comment": row.comment,
        "opened_at": _iso(row.opened_at),
        "last_seen": _iso(row.last_seen),
        "sla_due_at": _iso(row.sla_due_at),
        "sla_state": sla.state,
        "sla_seconds_left": None
        if sla.seconds is None
        else round(-sla.seconds if sla.state == "overdue" else sla.seconds),
        "resolved_at": _iso(row.resolved_at),
        "resolved_by": row.resolved_by,
    }


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else request.form.to_dict()


def _page_number() -> int:
    return max(1, request.args.get("page", 1, type=int))


def _page_json(page, rows: list) -> dict[str, Any]:
    return {"total": page.total, "page": page.number, "pages": page.pages, "items": rows}


@bp.get("/errors")
def errors():
    filters = error_store.Filters.of(request.args)
    role, me = current_user.role, current_user.username
    with db() as store:
        page = error_store.list_errors(store, filters, role, me, _page_number())
        waiting = error_store.waiting_ids(store, page.rows)
        return jsonify(_page_json(page, [error_json(e, e.id in waiting) for e in page.rows]))


def _error_or_404(store, error_id: int) -> RecordError:
    error = error_store.get_error(store, error_id, current_user.role)
    if error is None:
        abort(404, f"there is no record error {error_id} in your queue")
    return error


def _error_answer(store, error: RecordError):
    waiting = bool(error_store.waiting_ids(store, [error]))
    return jsonify(error_json(error, waiting, payload=True))


@bp.get("/errors/<int:error_id>")
def error(error_id: int):
    with db() as store:
        return _error_answer(store, _error_or_404(store, error_id))


def _acted(find, action, answer):
    """One action on one row; the row as JSON after it, or the refusal with its status."""
    try:
        with db() as store:
            row = find(store)
            action(store, row)
            store.flush()
            return answer(store, row)
    except ActionRefusedError as refused:
        abort(refused.status, refused.message)


def _on_error(error_id: int, action):
    return _acted(lambda store: _error_or_404(store, error_id), action, _error_answer)


@bp.post("/errors/<int:error_id>/retry")
def error_retry(error_id: int):
    """Retry as it is, or with {"payload": ...} replacing the record's payload."""
    body = _body()
    payload = body["payload"] if "payload" in body else error_store.UNCHANGED
    return _on_error(
        error_id, lambda store, e: error_store.retry(store, e, current_user.username, payload)
    )


@bp.post("/errors/<int:error_id>/resolve")
def error_resolve(error_id: int):
    comment = str(_body().get("comment") or "")
    queue = error_store.QUEUE
    return _on_error(
        error_id, lambda store, e: queue.resolve(store, e, current_user.username, comment)
    )


@bp.post("/errors/<int:error_id>/assign")
def error_assign(error_id: int):
    owner = str(_body().get("owner") or "").strip()
    queue = error_store.QUEUE
    return _on_error(
        error_id, lambda store, e: queue.assign(store, e, current_user.username, owner)
    )


@bp.get("/exceptions")
def exceptions():
    filters = exception_store.Filters.of(request.args)
    role, me = current_user.role, current_user.username
    with db() as store:
        page = exception_store.list_exceptions(store, filters, role, (me, role), _page_number())
        return jsonify(_page_json(page, [exception_json(row) for row in page.rows]))


def _exception_or_404(store, exception_id: int) -> OpsException:
    row = exception_store.get_exception(store, exception_id, current_user.role)
    if row is None:
        abort(404, f"there is no exception {exception_id} in your queue")
    return row


@bp.get("/exceptions/<int:exception_id>")
def exception(exception_id: int):
    with db() as store:
        return jsonify(exception_json(_exception_or_404(store, exception_id)))


def _on_exception(exception_id: int, action):
    def find(store):
        return _exception_or_404(store, exception_id)

    return _acted(find, action, lambda store, row: jsonify(exception_json(row)))


@bp.post("/exceptions/<int:exception_id>/resolve")
def exception_resolve(exception_id: int):
    comment = str(_body().get("comment") or "")
    queue = exception_store.QUEUE
    return _on_exception(
        exception_id, lambda store, row: queue.resolve(store, row, current_user.username, comment)
    )


@bp.post("/exceptions/<int:exception_id>/assign")
def exception_assign(exception_id: int):
    owner = str(_body().get("owner") or "").strip()
    queue = exception_store.QUEUE
    return _on_exception(
        exception_id, lambda store, row: queue.assign(store, row, current_user.username, owner)
    )
