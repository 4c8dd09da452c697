"""/healthz and /metrics, served without sign-in: operational state only, no business data."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from core.store.models import JobRun, RecordError
from web import job_store
from web.store import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def _scheduler_json(view: job_store.SchedulerView) -> dict:
    leader = view.leader
    return {
        "leader": leader is not None,
        "leader_heartbeat_age_seconds": round(view.age(leader), 1) if leader else None,
        "standby": len(view.standby),
        "heartbeat_age_seconds": (
            round(view.newest_age, 1) if view.newest_age is not None else None
        ),
    }


def _health() -> dict:
    with db() as store:
        store.execute(text("SELECT 1"))
        view = job_store.scheduler_view(store)
        latest = job_store.latest_runs(store)
    last_runs = {
        job_id: {
            "status": run.status,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        }
        for job_id, run in sorted(latest.items())
    }
    scheduler = _scheduler_json(view)
    return {
        "status": "ok" if scheduler["leader"] else "degraded",
        "store": {"ok": True},
        "scheduler": scheduler,
        "last_runs": last_runs,
    }


@bp.get("/healthz")
def healthz():
    try:
        return jsonify(_health())
    except SQLAlchemyError:
        log.warning("healthz: the store is not reachable", exc_info=True)
        body = {"status": "degraded", "store": {"ok": False}, "scheduler": None, "last_runs": {}}
        return jsonify(body), 503


class StoreCollector:
    """Reads job figures from the store at scrape time (the store, not this process, counts)."""

    def collect(self):
        try:
            with db() as store:
                families = list(_job_families(store))
            up = 1
        except SQLAlchemyError:
            log.warning("metrics: the store is not reachable", exc_info=True)
            families, up = [], 0
        yield GaugeMetricFamily("orderbridge_store_up", "1 when the store answered", value=up)
        yield from families


def _job_families(store):
    runs = GaugeMetricFamily(
        "orderbridge_job_runs", "Job runs in the store by status", labels=["job_id", "status"]
    )
    query = select(JobRun.job_id, JobRun.status, func.count()).group_by(
        JobRun.job_id, JobRun.status
    )
    for job_id, status, count in store.execute(query):
        runs.add_metric([job_id, status], count)
    yield runs
    yield from _last_run_families(store)
    yield from _scheduler_families(store)
    open_errors = store.scalar(
        select(func.count()).select_from(RecordError).where(RecordError.status == "open")
    )
    yield GaugeMetricFamily(
        "orderbridge_record_errors_open", "Records waiting in the error queue", value=open_errors
    )


def _last_run_families(store):
    duration = GaugeMetricFamily(
        "orderbridge_job_last_run_duration_seconds", "Duration of the last run", labels=["job_id"]
    )
    finished = GaugeMetricFamily(
        "orderbridge_job_last_run_finished_timestamp_seconds",
        "When the last run finished",
        labels=["job_id"],
    )
    failed = GaugeMetricFamily(
        "orderbridge_job_last_run_failed_records",
        "Records failed in the last run",
        labels=["job_id"],
    )
    jobs = job_store.list_jobs(store)
    for job in jobs:
        run = job.last_run
        seconds = job_store.duration_seconds(run)
        if seconds is not None:
            duration.add_metric([job.job_id], seconds)
        if run is not None and run.finished_at is not None:
            finished.add_metric([job.job_id], run.finished_at.timestamp())
        if run is not None:
            failed.add_metric([job.job_id], run.failed)
    failures = GaugeMetricFamily(
        "orderbridge_job_failures_24h", "Failed or abandoned runs in 24 hours", labels=["job_id"]
    )
    paused = GaugeMetricFamily("orderbridge_job_paused", "1 when paused", labels=["job_id"])
    for job in jobs:
        failures.add_metric([job.job_id], job.failures_24h)
        paused.add_metric([job.job_id], 1 if job.definition.paused else 0)
    yield from (duration, finished, failed, failures, paused)


def _scheduler_families(store):
    view = job_store.scheduler_view(store)
    age = GaugeMetricFamily(
        "orderbridge_scheduler_heartbeat_age_seconds",
        "Seconds since each scheduler's last heartbeat",
        labels=["instance_id", "role"],
    )
    for instance in view.instances:
        age.add_metric([instance.instance_id, instance.role], view.age(instance))
    yield age
    yield GaugeMetricFamily(
        "orderbridge_scheduler_leader_up",
        "1 when a leader heartbeat is under a minute old",
        value=1 if view.leader else 0,
    )


@bp.get("/metrics")
def metrics():
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector())
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
