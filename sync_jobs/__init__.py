"""The job registry: SCHEDULE names every scheduled job, its trigger, urgency and defaults.

A job id is `<verb>_<noun>` and that one string is its id in the schedule, the database, the
logs, the portal and the CLI. Defaults here are overridden in settings as jobs.<id>.every,
jobs.<id>.cron, jobs.<id>.lookback and jobs.<id>.paused.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from config import Settings
from config.schema import parse_duration
from core.errors import ConfigError

URGENCIES = ("urgent", "normal", "background")


@dataclass(frozen=True)
class JobSpec:
    job_id: str
    target: str  # "module:Class" of the job, imported only when the job runs
    description: str
    every: str | None = None
    cron: str | None = None
    urgency: str = "normal"
    lookback: str = "0s"


SCHEDULE: dict[str, JobSpec] = {
    spec.job_id: spec
    for spec in (
        JobSpec(
            "check_connections",
            "sync_jobs.check_connections:CheckConnections",
            "Checks the store and every configured external system, recording latency.",
            every="1m",
            urgency="urgent",
        ),
        JobSpec(
            "pull_master_data",
            "sync_jobs.pull_master_data:PullMasterData",
            "Items, prices, customers, ship-tos and availability from the ERP into the store.",
            every="15m",
            urgency="normal",
            lookback="10m",
        ),
        JobSpec(
            "track_shipments",
            "sync_jobs.track_shipments:TrackShipments",
            "Tracking of every open shipment from the carriers; late, stalled, damaged, "
            "returned and unproven deliveries into the exceptions queue.",
            every="30m",
            urgency="normal",
        ),
        JobSpec(
            "sync_invoices",
            "sync_jobs.sync_invoices:SyncInvoices",
            "ERP invoices into the store, checked line by line against shipments, orders, the "
            "price list and the tax and freight rules; discrepancies into the exceptions queue.",
            every="15m",
            urgency="normal",
            lookback="10m",
        ),
        JobSpec(
            "reconcile_orders",
            "sync_jobs.reconcile_orders:ReconcileOrders",
            "Three-way match of orders, shipments and invoices across Salesforce, the ERP, the "
            "3PL and the carriers; discrepancies into the exceptions queue.",
            every="1h",
            urgency="background",
        ),
        JobSpec(
            "sync_orders",
            "sync_jobs.sync_orders:SyncOrders",
            "Activated Salesforce orders to ERP sales orders, checked against master data; the "
            "ERP's number, status and errors written back to Salesforce.",
            every="2m",
            urgency="normal",
            lookback="5m",
        ),
        JobSpec(
            "push_fulfillments",
            "sync_jobs.push_fulfillments:PushFulfillments",
            "ERP orders released for fulfilment to 3PL fulfilment orders, from the warehouse "
            "with the stock; short lines backordered, drop-ship and kit lines by item settings.",
            every="2m",
            urgency="normal",
            lookback="5m",
        ),
        JobSpec(
            "pull_shipments",
            "sync_jobs.pull_shipments:PullShipments",
            "3PL shipment confirmations to ERP item fulfilments and the store's shipments, "
            "packages and tracking numbers.",
            every="2m",
            urgency="normal",
            lookback="5m",
        ),
        JobSpec(
            "release_backorders",
            "sync_jobs.release_backorders:ReleaseBackorders",
            "Backordered lines released to the 3PL as stock appears, in priority order.",
            every="5m",
            urgency="background",
        ),
        JobSpec(
            "apply_uploads",
            "sync_jobs.apply_uploads:ApplyUploads",
            "Posts the approved rows of spreadsheet uploads to the ERP and writes their results.",
            every="10s",
            urgency="urgent",
        ),
        JobSpec(
            "post_scheduled_prices",
            "sync_jobs.post_scheduled_prices:PostScheduledPrices",
            "Sends the ERP each uploaded price effective from a later day, once, on that day.",
            every="1m",
            urgency="normal",
        ),
        JobSpec(
            "edi_inbound",
            "sync_jobs.edi_inbound:EdiInbound",
            "X12 from trading partners (file drop and AS2): 997s back, POs through the order "
            "checks into the ERP, PO changes to the order-change path, 997s matched to what we "
            "sent.",
            every="2m",
            urgency="normal",
        ),
        JobSpec(
            "edi_outbound",
            "sync_jobs.edi_outbound:EdiOutbound",
            "855s, 856s and 810s to trading partners as orders are accepted, shipped and "
            "invoiced; sets unanswered by a 997 in time into the exceptions queue.",
            every="2m",
            urgency="normal",
        ),
        JobSpec(
            "send_digest",
            "sync_jobs.send_digest:SendDigest",
            "Each role's daily digest by e-mail (the mail folder, or SMTP when set), once a day "
            "after the role's digest.<role>.at.",
            every="5m",
            urgency="background",
        ),
    )
}


def register(spec: JobSpec) -> None:
    """Add a job to the schedule (one row per job; tests register their own)."""
    SCHEDULE[spec.job_id] = spec


@dataclass(frozen=True)
class Trigger:
    """A job's effective schedule after settings: an interval in seconds or a crontab line."""

    every_seconds: int | None
    cron: str | None
    lookback_seconds: int
    paused: bool

    def describe(self) -> str:
        return f"cron {self.cron}" if self.cron else f"every {_human(self.every_seconds or 0)}"

    @property
    def grace_seconds(self) -> int:
        # Misfire grace equals the interval; five minutes for cron schedules.
        return self.every_seconds or 300


def _human(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def get_spec(job_id: str) -> JobSpec:
    spec = SCHEDULE.get(job_id)
    if spec is None:
        raise ConfigError(
            f"no job named {job_id!r}", key="job", hint="one of " + ", ".join(sorted(SCHEDULE))
        )
    return spec


def trigger_for(spec: JobSpec, settings: Settings) -> Trigger:
    job = settings.get_path(f"jobs.{spec.job_id}") or {}
    every, cron = job.get("every"), job.get("cron")
    if not every and not cron:
        every, cron = spec.every, spec.cron
    return Trigger(
        every_seconds=parse_duration(every) if every else None,
        cron=cron,
        lookback_seconds=parse_duration(job.get("lookback") or spec.lookback)
        if (job.get("lookback") or spec.lookback) != "0s"
        else 0,
        paused=bool(job.get("paused", False)),
    )


def validate_jobs(settings: Settings) -> None:
    """Every jobs.<id> in settings names a job in SCHEDULE."""
    for job_id in settings.get_path("jobs") or {}:
        if job_id not in SCHEDULE:
            raise ConfigError(
                "unknown job", key=f"jobs.{job_id}", hint="one of " + ", ".join(sorted(SCHEDULE))
            )


def load_job(spec: JobSpec, settings: Settings) -> Any:
    module_name, _, attribute = spec.target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)(settings)
