"""Audit sampling: draw a reproducible sample of orders, shipments or invoices, record it,
and write the review workbook the auditor fills in (kind audit_review).

Reproducible: the population is read in key order and drawn with random.Random(seed), so the
same seed over the same data gives the same sample. The sample is kept as an Upload of kind
"audit_sample" (parameters in its JSON, one UploadRow per record with the values drawn) and
a digest over both, which the review upload checks so an altered sample is noticed.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record_audit
from core.store import session_scope
from core.store.models import (
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Shipment,
    ShipmentLine,
    Upload,
    UploadRow,
)
from templates_xlsx.audit_review import KIND as REVIEW
from templates_xlsx.audit_review import SAMPLE_KIND, sample_digest
from templates_xlsx.kind import chunked, jsonable
from templates_xlsx.template import save_template

CENT = Decimal("0.01")
STRATA = ("customer", "value")


@dataclass
class Sample:
    id: int
    records: list[dict[str, Any]]
    path: Path | None
    digest: str


def _totals(
    session: Session, key: Any, numbers: list[str], amount: Callable[[Any], Decimal]
) -> dict[str, Decimal]:
    """Sum `amount(line)` per document over the lines whose `key` column is in numbers."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    model = key.class_
    for part in chunked(numbers):
        for line in session.scalars(select(model).where(key.in_(part))):
            totals[getattr(line, key.key)] += amount(line)
    return totals


def _orders(session: Session, start: date, end: date) -> list[dict[str, Any]]:
    heads = session.scalars(
        select(Order).where(Order.order_date >= start, Order.order_date <= end)
    ).all()
    totals = _totals(
        session,
        OrderLine.order_number,
        [h.number for h in heads],
        lambda x: x.quantity * x.unit_price,
    )
    return [
        _record("order", h.number, h.customer_number, h.order_date, totals[h.number]) for h in heads
    ]


def _shipments(session: Session, start: date, end: date) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Shipment, Order.customer_number)
        .join(Order, Order.number == Shipment.order_number, isouter=True)
        .where(Shipment.ship_date >= start, Shipment.ship_date <= end)
    ).all()
    units = _totals(
        session, ShipmentLine.shipment_number, [s.number for s, _ in rows], lambda x: x.quantity
    )
    return [
        _record("shipment", s.number, customer or "", s.ship_date, units[s.number])
        for s, customer in rows
    ]


def _invoices(session: Session, start: date, end: date) -> list[dict[str, Any]]:
    heads = session.scalars(
        select(Invoice).where(Invoice.invoice_date >= start, Invoice.invoice_date <= end)
    ).all()
    totals = _totals(
        session,
        InvoiceLine.invoice_number,
        [h.number for h in heads],
        lambda x: x.quantity * x.unit_price,
    )
    return [
        _record(
            "invoice",
            h.number,
            h.customer_number,
            h.invoice_date,
            totals[h.number] + h.tax + h.freight,
        )
        for h in heads
    ]


POPULATIONS: dict[str, Callable[[Session, date, date], list[dict[str, Any]]]] = {
    "orders": _orders,
    "shipments": _shipments,
    "invoices": _invoices,
}


def _record(kind: str, key: str, customer: str, when: date | None, value: Decimal) -> dict:
    return {
        "record_type": kind,
        "record": key,
        "customer": customer,
        "record_date": when,
        "value": Decimal(value).quantize(CENT),
    }


def choose(
    records: list[dict[str, Any]], size: int, seed: int, stratify: str | None = None
) -> list[dict[str, Any]]:
    """The sample, in record order: pure, so the same inputs give the same sample."""
    records = sorted(records, key=lambda r: r["record"])
    rng = random.Random(seed)
    if size >= len(records):
        return records
    if stratify is None:
        picked = rng.sample(records, size)
    else:
        strata = _strata(records, stratify)
        picked = []
        for name, share in _allocate(strata, size):
            picked += rng.sample(strata[name], share)
    return sorted(picked, key=lambda r: r["record"])


def _strata(records: list[dict[str, Any]], stratify: str) -> dict[str, list[dict]]:
    if stratify == "customer":
        groups: dict[str, list[dict]] = defaultdict(list)
        for record in records:
            groups[record["customer"]].append(record)
        return dict(groups)
    by_value = sorted(records, key=lambda r: (r["value"], r["record"]))
    quarter = -(-len(by_value) // 4)
    return {f"value-{n + 1}": by_value[n * quarter : (n + 1) * quarter] for n in range(4)}


def _allocate(strata: dict[str, list[dict]], size: int) -> list[tuple[str, int]]:
    """Proportional allocation, remainders to the largest fractions (ties by stratum name)."""
    total = sum(len(group) for group in strata.values())
    exact = {name: size * len(group) / total for name, group in strata.items()}
    shares = {name: int(value) for name, value in exact.items()}
    left = size - sum(shares.values())
    for name in sorted(exact, key=lambda n: (-(exact[n] - shares[n]), n))[:left]:
        shares[name] += 1
    return [(name, min(shares[name], len(strata[name]))) for name in sorted(strata)]


def draw_sample(
    settings: Any,
    population: str,
    date_from: date,
    date_to: date,
    size: int,
    seed: int,
    stratify: str | None = None,
    *,
    out: Path | None = None,
    actor: str = "cli",
) -> Sample:
    """Draw, record and (with `out`) write the review workbook; returns the sample."""
    params = {
        "population": population,
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        "size": size,
        "seed": seed,
        "stratify": stratify,
    }
    with session_scope(settings.database_url) as session:
        records = choose(POPULATIONS[population](session, date_from, date_to), size, seed, stratify)
        sample = _record_sample(session, params, records, actor, out)
    if out is not None:
        rows = [{"sample": str(sample.id), **record} for record in records]
        save_template(REVIEW, Path(out), rows=rows, marker={"sample": sample.id})
    return sample


def _record_sample(
    session: Session, params: dict, records: list[dict], actor: str, out: Path | None
) -> Sample:
    snapshots = {r["record"]: jsonable(r) for r in records}
    digest = sample_digest(params, snapshots)
    upload = Upload(
        kind=SAMPLE_KIND,
        filename=(out.name if out else "sample")[:255],
        sha256=digest,
        status="drawn",
        uploaded_by=actor,
        rows=len(records),
        errors={"params": params},
    )
    session.add(upload)
    session.flush()
    for number, record in enumerate(records, start=2):
        session.add(
            UploadRow(
                upload_id=upload.id,
                row_number=number,
                business_key=record["record"],
                payload=snapshots[record["record"]],
                status="drawn",
            )
        )
    record_audit(session, actor, "audit.sample", SAMPLE_KIND, str(upload.id), after=params)
    return Sample(upload.id, records, out, digest)
