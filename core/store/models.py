"""The store's tables: people and audit, the job machinery, uploads, and the operational copy.

Every change goes through Alembic migrations (core/store/migrations); these models are the
source the migrations were written from and must match them (a test checks it).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.store.types import JsonText, Money, Qty, UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# --- people and audit -------------------------------------------------------------------


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Bumped to end every session of the user: a session signed in under another is refused.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditLog(Base):
    """Append-only: who did what, when, with the before and after image."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(80))
    entity: Mapped[str] = mapped_column(String(80))
    entity_key: Mapped[str] = mapped_column(String(255))
    before: Mapped[Any] = mapped_column(JsonText, nullable=True)
    after: Mapped[Any] = mapped_column(JsonText, nullable=True)


# --- jobs, work and scheduling ----------------------------------------------------------


class JobDefinition(Base):
    """Written by the scheduler, read by the portal: web never imports the job code."""

    __tablename__ = "job_definitions"
    job_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    trigger: Mapped[str] = mapped_column(String(120))
    urgency: Mapped[str] = mapped_column(String(20), default="normal")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set when a system's quota ran out: scheduled runs wait until then (run now still runs).
    parked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    parked_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class JobCommand(Base):
    """A person's request (run now, pause, resume) that the scheduler carries out."""

    __tablename__ = "job_commands"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(80))
    command: Mapped[str] = mapped_column(String(20))
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)


class SchedulerInstance(Base):
    __tablename__ = "scheduler_instances"
    instance_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class JobLease(Base):
    """Who runs a job now: one holder per job (max_instances=1 across every process)."""

    __tablename__ = "job_leases"
    job_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(255))
    run_id: Mapped[int | None] = mapped_column(Integer)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job_id", "scheduled_at"),
        Index("ix_job_runs_job_status", "job_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(80))
    scheduled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    trigger: Mapped[str] = mapped_column(String(20), default="schedule")
    requested_by: Mapped[str | None] = mapped_column(String(80))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    worker: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UtcDateTime)
    read: Mapped[int] = mapped_column(Integer, default=0)
    written: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)


class WorkItem(Base):
    __tablename__ = "work_items"
    __table_args__ = (
        UniqueConstraint("job_id", "business_key", "version"),
        Index("ix_work_items_job_status", "job_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(80))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("job_runs.id"))
    business_key: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(64), default="")
    payload: Mapped[Any] = mapped_column(JsonText, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Watermark(Base):
    __tablename__ = "watermarks"
    job_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    stream: Mapped[str] = mapped_column(String(80), primary_key=True, default="")
    value: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class IdMap(Base):
    """The binder: which record in which system is which of ours."""

    __tablename__ = "id_map"
    __table_args__ = (
        UniqueConstraint("entity", "system", "our_key"),
        UniqueConstraint("entity", "system", "their_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(40))
    system: Mapped[str] = mapped_column(String(40))
    our_key: Mapped[str] = mapped_column(String(255))
    their_id: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RecordError(Base):
    __tablename__ = "record_errors"
    __table_args__ = (Index("ix_record_errors_job_status", "job_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(80))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("job_runs.id"))
    system: Mapped[str | None] = mapped_column(String(40))
    business_key: Mapped[str] = mapped_column(String(255))
    error_class: Mapped[str] = mapped_column(String(20))
    code: Mapped[str | None] = mapped_column(String(80))
    message: Mapped[str] = mapped_column(Text)
    hint: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[Any] = mapped_column(JsonText, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default="open")
    owner: Mapped[str | None] = mapped_column(String(80))
    comment: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(80))


class Outbox(Base):
    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("topic", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(255))
    payload: Mapped[Any] = mapped_column(JsonText, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OpsException(Base):
    """An exception a person must chase: a late or lost shipment, an invoice discrepancy.

    One row per (kind, business key); a repeat refreshes it, and it closes when the cause
    goes away or a person resolves it. sla_due_at is when the owner must have acted.
    """

    __tablename__ = "exceptions"
    __table_args__ = (
        UniqueConstraint("kind", "business_key"),
        Index("ix_exceptions_status_due", "status", "sla_due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    business_key: Mapped[str] = mapped_column(String(255))
    order_number: Mapped[str | None] = mapped_column(String(80), index=True)
    source_job: Mapped[str] = mapped_column(String(80))
    system: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    hint: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    details: Mapped[Any] = mapped_column(JsonText, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    owner: Mapped[str | None] = mapped_column(String(80))
    comment: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sla_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(80))


class ConnectionCheck(Base):
    __tablename__ = "connection_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(40), index=True)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")


# --- uploads ----------------------------------------------------------------------------


class Upload(Base):
    __tablename__ = "uploads"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20), default="checking")
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(80))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[Any] = mapped_column(JsonText, nullable=True)
    stored_path: Mapped[str | None] = mapped_column(String(500))
    result_path: Mapped[str | None] = mapped_column(String(500))
    # The latest "simulate against the ERP": state, requested_by/at, finished_at, counts.
    simulation: Mapped[Any] = mapped_column(JsonText, nullable=True)


class UploadRow(Base):
    __tablename__ = "upload_rows"
    __table_args__ = (UniqueConstraint("upload_id", "row_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"))
    row_number: Mapped[int] = mapped_column(Integer)
    business_key: Mapped[str] = mapped_column(String(255), index=True)
    payload: Mapped[Any] = mapped_column(JsonText, nullable=True)
    before: Mapped[Any] = mapped_column(JsonText, nullable=True)
    # Indexed: apply_uploads looks for scheduled prices on every run.
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    message: Mapped[str | None] = mapped_column(Text)
    # What the latest simulation found: outcome (would_post / would_refuse) and message.
    simulation: Mapped[Any] = mapped_column(JsonText, nullable=True)


# --- the operational copy ---------------------------------------------------------------


class _Sourced:
    source_system: Mapped[str] = mapped_column(String(40))
    source_key: Mapped[str] = mapped_column(String(255))
    modified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Customer(_Sourced, Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    price_level: Mapped[str] = mapped_column(String(80), default="")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    terms: Mapped[str] = mapped_column(String(80), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ShipTo(_Sourced, Base):
    __tablename__ = "ship_tos"
    __table_args__ = (UniqueConstraint("customer_number", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_number: Mapped[str] = mapped_column(String(80))
    code: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(255), default="")
    line1: Mapped[str] = mapped_column(String(255), default="")
    line2: Mapped[str] = mapped_column(String(255), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    state: Mapped[str] = mapped_column(String(40), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    contact: Mapped[str] = mapped_column(String(120), default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class Item(_Sourced, Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    uom: Mapped[str] = mapped_column(String(10), default="EA")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    drop_ship: Mapped[bool] = mapped_column(Boolean, default=False)
    kit: Mapped[bool] = mapped_column(Boolean, default=False)


class PriceListEntry(_Sourced, Base):
    __tablename__ = "price_list_entries"
    __table_args__ = (
        UniqueConstraint("sku", "price_level", "currency", "min_quantity", "effective_from"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(80), index=True)
    price_level: Mapped[str] = mapped_column(String(80))
    currency: Mapped[str] = mapped_column(String(3))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    min_quantity: Mapped[Decimal] = mapped_column(Qty, default=Decimal("0"))
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)


class Inventory(_Sourced, Base):
    __tablename__ = "inventory"
    __table_args__ = (UniqueConstraint("sku", "location"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(80))
    location: Mapped[str] = mapped_column(String(80))
    on_hand: Mapped[Decimal] = mapped_column(Qty, default=Decimal("0"))
    allocated: Mapped[Decimal] = mapped_column(Qty, default=Decimal("0"))
    available: Mapped[Decimal] = mapped_column(Qty, default=Decimal("0"))


class Order(_Sourced, Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(80), unique=True)
    customer_number: Mapped[str] = mapped_column(String(80), index=True)
    ship_to_code: Mapped[str] = mapped_column(String(80), default="")
    order_date: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    status: Mapped[str] = mapped_column(String(40), default="open")
    ship_method: Mapped[str] = mapped_column(String(80), default="")
    terms: Mapped[str] = mapped_column(String(80), default="")
    on_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    erp_number: Mapped[str | None] = mapped_column(String(80))


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_number", "line_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_number: Mapped[str] = mapped_column(String(80))
    line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(80))
    quantity: Mapped[Decimal] = mapped_column(Qty)
    uom: Mapped[str] = mapped_column(String(10), default="EA")
    unit_price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    requested_date: Mapped[date | None] = mapped_column(Date)
    promised_date: Mapped[date | None] = mapped_column(Date)
    quantity_shipped: Mapped[Decimal] = mapped_column(Qty, default=Decimal("0"))
    quantity_invoiced: Mapped[Decimal] = mapped_column(Qty, default=Decimal("0"))
    quantity_backordered: Mapped[Decimal] = mapped_column(Qty, default=Decimal("0"))
    status: Mapped[str] = mapped_column(String(40), default="open")
    location: Mapped[str] = mapped_column(String(80), default="")


class Shipment(_Sourced, Base):
    __tablename__ = "shipments"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(80), unique=True)
    order_number: Mapped[str] = mapped_column(String(80), index=True)
    ship_date: Mapped[date | None] = mapped_column(Date)
    carrier: Mapped[str] = mapped_column(String(20), default="")
    service: Mapped[str] = mapped_column(String(80), default="")
    tracking_number: Mapped[str] = mapped_column(String(80), default="", index=True)
    status: Mapped[str] = mapped_column(String(40), default="pre_transit")
    promised_date: Mapped[date | None] = mapped_column(Date)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    pod_signed_by: Mapped[str | None] = mapped_column(String(120))
    pod_location: Mapped[str | None] = mapped_column(String(255))


class ShipmentLine(Base):
    __tablename__ = "shipment_lines"
    __table_args__ = (UniqueConstraint("shipment_number", "order_line_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_number: Mapped[str] = mapped_column(String(80))
    order_line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(80))
    quantity: Mapped[Decimal] = mapped_column(Qty)
    uom: Mapped[str] = mapped_column(String(10), default="EA")


class TrackingEvent(Base):
    """Append-only; the same event reported twice is stored once."""

    __tablename__ = "tracking_events"
    __table_args__ = (UniqueConstraint("tracking_number", "occurred_at", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(80))
    carrier: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(255), default="")
    reason_code: Mapped[str] = mapped_column(String(40), default="")
    on_whom: Mapped[str] = mapped_column(String(20), default="")


class Invoice(_Sourced, Base):
    __tablename__ = "invoices"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(80), unique=True)
    order_number: Mapped[str] = mapped_column(String(80), index=True)
    customer_number: Mapped[str] = mapped_column(String(80))
    invoice_date: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    tax: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    freight: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    status: Mapped[str] = mapped_column(String(40), default="open")


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (UniqueConstraint("invoice_number", "line_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_number: Mapped[str] = mapped_column(String(80))
    line_no: Mapped[int] = mapped_column(Integer)
    order_line_no: Mapped[int | None] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(80))
    quantity: Mapped[Decimal] = mapped_column(Qty)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="USD")


class ReturnAuthorization(_Sourced, Base):
    __tablename__ = "return_authorizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(80), unique=True)
    order_number: Mapped[str] = mapped_column(String(80), index=True)
    customer_number: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(40), default="pending")
    reason: Mapped[str] = mapped_column(Text, default="")
    lines: Mapped[Any] = mapped_column(JsonText, nullable=True)


class EdiControlNumber(Base):
    """The last control number used per trading partner and envelope level (isa, gs, st):
    taken by an atomic increment, so none is ever used twice, whoever builds at once."""

    __tablename__ = "edi_control_numbers"
    partner: Mapped[str] = mapped_column(String(80), primary_key=True)
    level: Mapped[str] = mapped_column(String(10), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class EdiInterchange(Base):
    """Every interchange received or sent, as it came or went. One per sender and ISA13 in
    each direction: one received twice is acknowledged again but not processed twice."""

    __tablename__ = "edi_interchanges"
    __table_args__ = (UniqueConstraint("direction", "sender", "isa_control"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(10))  # in, out
    partner: Mapped[str] = mapped_column(String(80), index=True)
    sender: Mapped[str] = mapped_column(String(40))  # ISA05/ISA06
    receiver: Mapped[str] = mapped_column(String(40))  # ISA07/ISA08
    isa_control: Mapped[str] = mapped_column(String(9))
    sets: Mapped[str] = mapped_column(String(255), default="")  # e.g. "850 850 860"
    po_numbers: Mapped[Any] = mapped_column(JsonText, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="received")
    raw: Mapped[str] = mapped_column(Text)
    encoding: Mapped[str] = mapped_column(String(20), default="utf-8")
    error: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ack_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Where it came from or went: "file:<name>" or "as2:<message id>".
    channel: Mapped[str | None] = mapped_column(String(255))
    # What a person reads on the EDI page: the sets' canonical content, as JSON.
    parsed: Mapped[Any] = mapped_column(JsonText, nullable=True)
    # The 997 we sent for this interchange received (the interchange row of that 997).
    ack_id: Mapped[int | None] = mapped_column(Integer)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class EdiDocument(Base):
    """One transaction set received or sent, by what it is about: a PO received (850, 860)
    and what became of it, or a set we sent (855, 856, 810, 997) and the 997 that answered it.

    `trigger` makes a set we send once per thing that causes it ("855:<order>",
    "856:<shipment>", "810:<invoice>"), whoever builds it and however often."""

    __tablename__ = "edi_documents"
    __table_args__ = (
        UniqueConstraint("partner", "trigger"),
        Index("ix_edi_documents_partner_gs_st", "partner", "direction", "gs_control", "st_control"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    interchange_id: Mapped[int] = mapped_column(ForeignKey("edi_interchanges.id"), index=True)
    partner: Mapped[str] = mapped_column(String(80))
    direction: Mapped[str] = mapped_column(String(10))  # in, out
    set_id: Mapped[str] = mapped_column(String(3))
    gs_control: Mapped[str] = mapped_column(String(9))
    st_control: Mapped[str] = mapped_column(String(9))
    po_number: Mapped[str | None] = mapped_column(String(80), index=True)
    order_number: Mapped[str | None] = mapped_column(String(80), index=True)
    trigger: Mapped[str | None] = mapped_column(String(120))
    # in: received, accepted, rejected, duplicate, changed; out: awaiting_997, acknowledged,
    # rejected, ack_late
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    # Earlier interchanges that carried the same PO number (a possible duplicate order).
    duplicate_of: Mapped[Any] = mapped_column(JsonText, nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ack_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ack_code: Mapped[str | None] = mapped_column(String(2))  # AK5: A, E, R
    # The 997 received that answered this set we sent.
    ack_interchange_id: Mapped[int | None] = mapped_column(Integer)


class As2Message(Base):
    """An AS2 message as the portal received it, raw: edi_inbound verifies, decrypts and
    processes it, then sends the MDN. The portal never opens it."""

    __tablename__ = "as2_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    as2_from: Mapped[str] = mapped_column(String(128))
    as2_to: Mapped[str] = mapped_column(String(128))
    headers: Mapped[Any] = mapped_column(JsonText)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="received")  # processed, failed
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    mdn_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
