"""The Jobs pages (admin): every job with its last and next run, history, run now, pause."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from core.store.models import JobDefinition
from web import job_store
from web.auth import safe_next
from web.charts import run_timeline
from web.store import db, utcnow

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.get("")
def index():
    with db() as store:
        jobs = job_store.list_jobs(store)
        scheduler = job_store.scheduler_view(store)
        checks = job_store.latest_connection_checks(store)
    return render_template(
        "jobs/index.html", jobs=jobs, scheduler=scheduler, checks=checks, now=utcnow()
    )


@bp.get("/<job_id>")
def detail(job_id: str):
    with db() as store:
        job = job_store.get_job(store, job_id)
        if job is None:
            abort(404, f"There is no job {job_id!r}.")
        runs = job_store.job_runs(store, job_id)
    return render_template(
        "jobs/detail.html",
        job=job,
        runs=runs,
        timeline=run_timeline(runs[:40]),
        error_summary=job_store.error_summary,
        duration=job_store.duration_seconds,
        now=utcnow(),
    )


def _back(job_id: str):
    return redirect(safe_next(request.form.get("next") or url_for("jobs.detail", job_id=job_id)))


def _definition(store, job_id: str) -> JobDefinition:
    definition = store.get(JobDefinition, job_id)
    if definition is None:
        abort(404, f"There is no job {job_id!r}.")
    return definition


@bp.post("/<job_id>/run")
def run_now(job_id: str):
    with db() as store:
        _definition(store, job_id)
        _, new = job_store.request_run(store, job_id, current_user.username)
    if new:
        flash(f"{job_id}: run requested; the scheduler starts it shortly.", "ok")
    else:
        flash(f"{job_id}: a run is already requested and waiting for the scheduler.", "info")
    return _back(job_id)


def _set_paused(job_id: str, paused: bool):
    with db() as store:
        definition = _definition(store, job_id)
        job_store.set_paused(store, definition, paused, current_user.username)
    flash(f"{job_id}: {'paused' if paused else 'resumed'}.", "ok")
    return _back(job_id)


@bp.post("/<job_id>/pause")
def pause(job_id: str):
    return _set_paused(job_id, True)


@bp.post("/<job_id>/resume")
def resume(job_id: str):
    return _set_paused(job_id, False)
