from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError, StatementError

from core.store import get_engine, session_scope, upgrade
from core.store.migrate import current_revision, head_revision
from core.store.models import Base, JobRun, PriceListEntry


def test_migrations_create_every_model_table(db_url):
    tables = set(inspect(get_engine(db_url)).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert current_revision(db_url) is not None


def test_migrations_match_the_models(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with get_engine(db_url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_upgrade_twice_is_harmless(db_url):
    upgrade(db_url)
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()
    assert head_revision() and head_revision().isdigit()


def test_datetimes_come_back_aware_utc(db_url):
    at = datetime(2026, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with session_scope(db_url) as session:
        session.add(JobRun(job_id="x", scheduled_at=at))
    with session_scope(db_url) as session:
        run = session.scalars(select(JobRun)).one()
    assert run.scheduled_at == at
    assert run.scheduled_at.tzinfo is not None


def test_naive_datetimes_are_refused(db_url):
    with pytest.raises(StatementError), session_scope(db_url) as session:
        session.add(JobRun(job_id="x", scheduled_at=datetime(2026, 5, 1)))
        session.flush()


def test_money_round_trips_exactly(db_url):
    with session_scope(db_url) as session:
        session.add(
            PriceListEntry(
                sku="00042",
                price_level="Base",
                currency="USD",
                unit_price=Decimal("19.9900"),
                source_system="netsuite",
                source_key="1",
            )
        )
    with session_scope(db_url) as session:
        entry = session.scalars(select(PriceListEntry)).one()
    assert entry.unit_price == Decimal("19.99")
    assert entry.sku == "00042"


def test_one_run_per_job_and_scheduled_time(db_url):
    at = datetime(2026, 5, 1, tzinfo=timezone.utc)
    with session_scope(db_url) as session:
        session.add(JobRun(job_id="x", scheduled_at=at))
    with pytest.raises(IntegrityError), session_scope(db_url) as session:
        session.add(JobRun(job_id="x", scheduled_at=at))


def test_upgrade_requeues_records_rejected_for_a_transient_failure(tmp_path):
    """Before 0006 an outage of five runs rejected a record for good; the upgrade puts it back
    in line, and leaves a record refused for its own fault where it is."""
    from core.store.models import RecordError, WorkItem

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0005")
    with session_scope(url) as session:
        for key, status, error_class in (
            ("SO-1", "rejected", "connection"),
            ("SO-2", "rejected", "parse"),
            ("SO-3", "rejected", "value"),
            ("SO-4", "done", "connection"),
        ):
            session.add(WorkItem(job_id="sync_orders", business_key=key, status=status, attempts=5))
            session.add(
                RecordError(
                    job_id="sync_orders", business_key=key, error_class=error_class, message="x"
                )
            )
    upgrade(url)
    with session_scope(url) as session:
        items = {w.business_key: (w.status, w.attempts) for w in session.scalars(select(WorkItem))}
        still_open = {
            e.business_key for e in session.scalars(select(RecordError)) if e.status == "open"
        }
    assert items == {
        "SO-1": ("pending", 0),
        "SO-2": ("pending", 0),
        "SO-3": ("rejected", 5),
        "SO-4": ("done", 5),
    }
    assert still_open == {"SO-1", "SO-2", "SO-3", "SO-4"}  # each resolves when it goes through


def test_upgrade_hands_scheduled_price_postings_to_their_own_job(tmp_path):
    """From 0009 post_scheduled_prices posts a price on its day: the items apply_uploads kept
    for that (any status, so none is posted twice) and their queue entries move to it."""
    from core.store.models import RecordError, WorkItem

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0008")
    posting = {"upload_id": 1, "row_id": 2, "change": {"set": {"unit_price": "9"}}}
    scheduled = {"upload_id": 1, "row_id": 3, "effective": "2026-03-01"}
    with session_scope(url) as session:
        for key, status, payload in (
            ("price_list:A/1", "done", posting),
            ("price_list:A/2", "rejected", scheduled),
            ("price_list:A/3", "done", {**scheduled, "row_id": 4}),
        ):
            session.add(
                WorkItem(job_id="apply_uploads", business_key=key, status=status, payload=payload)
            )
        session.add(
            RecordError(
                job_id="apply_uploads", business_key="price_list:A/2", error_class="value",
                message="refused", payload=scheduled,
            )
        )  # fmt: skip
    upgrade(url)
    with session_scope(url) as session:
        items = {w.business_key: w.job_id for w in session.scalars(select(WorkItem))}
        errors = {e.business_key: e.job_id for e in session.scalars(select(RecordError))}
    assert items == {
        "price_list:A/1": "apply_uploads",
        "price_list:A/2": "post_scheduled_prices",
        "price_list:A/3": "post_scheduled_prices",
    }
    assert errors == {"price_list:A/2": "post_scheduled_prices"}
