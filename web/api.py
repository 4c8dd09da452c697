"""The JSON API beside the pages: the signed-in session with an X-CSRFToken header, or a
personal API token (Authorization: Bearer ...). Roles come from the same permission table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user

from core.store.models import JobDefinition, JobRun
from web import job_store
from web.store import db

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
