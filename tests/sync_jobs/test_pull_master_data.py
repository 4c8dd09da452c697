from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from connectors.base import CONNECTORS
from core import records as rec
from core.store import models as m
from core.store import session_scope
from core.store.models import RecordError, Watermark
from core.store.opcopy import upsert
from sync_jobs.leases import utcnow
from sync_jobs.runner import Runner, create_run

WHEN = datetime(2026, 11, 1, tzinfo=timezone.utc)


class FakeErp:
    """Stands in for the ERP connector: yields canonical records per entity."""

    instances: list = []
    reads = frozenset({"item", "price", "customer", "availability"})

    def __init__(self, settings) -> None:
        self.api_calls = 0
        self.windows = []
        FakeErp.instances.append(self)

    def read_changed(self, entity, since, until):
        self.api_calls += 1
        self.windows.append((entity, since, until))
        src = {"source_system": "netsuite", "modified_at": WHEN}
        if entity == "item":
            for n in range(450):
                yield rec.Item(source_key=str(n), sku=f"{n:05d}", description=f"Item {n}", **src)
        elif entity == "price":
            yield rec.PriceListEntry(
                source_key="p1",
                sku="00007",
                price_level="Base",
                unit_price=rec.Money(Decimal("12.50"), "USD"),
                effective_from=date(2026, 1, 1),
                **src,
            )
        elif entity == "customer":
            yield rec.Customer(source_key="c1", number="C00042", name="Acme", **src)
            yield rec.ShipTo(
                source_key="c1/1",
                customer_number="C00042",
                code="MAIN",
                address=rec.Address(
                    name="Acme",
                    lines=("1 Main St",),
                    city="Reno",
                    state="NV",
                    postal_code="89501",
                    country="US",
                ),
                default=True,
                **src,
            )
            # A ship-to whose country code is too long for the column is refused alone.
            yield rec.ShipTo(
                source_key="c1/2",
                customer_number="C00042",
                code="BAD",
                address=rec.Address(country="USA"),
                **src,
            )
        elif entity == "availability":
            yield rec.Availability(
                source_key="a1",
                sku="00007",
                location="WH1",
                on_hand=Decimal("10"),
                available=Decimal("8"),
                **src,
            )


@pytest.fixture
def fake_erp(monkeypatch):
    monkeypatch.setitem(CONNECTORS, "netsuite", f"{__name__}:FakeErp")
    FakeErp.instances.clear()
    return FakeErp


def run_job(settings):
    run_id = create_run(settings.database_url, "pull_master_data", utcnow(), trigger="cli")
    return Runner(settings).execute(run_id)


def count(url, model):
    with session_scope(url) as session:
        return len(session.scalars(select(model)).all())


def test_master_data_fills_the_store_in_batches(settings, fake_erp):
    outcome = run_job(settings)
    url = settings.database_url
    assert outcome.status == "completed", outcome.summary
    assert count(url, m.Item) == 450
    assert count(url, m.PriceListEntry) == 1 and count(url, m.Inventory) == 1
    assert count(url, m.Customer) == 1
    with session_scope(url) as session:
        ship_to = session.scalars(select(m.ShipTo)).one()
        item = session.scalars(select(m.Item).where(m.Item.sku == "00007")).one()
        price = session.scalars(select(m.PriceListEntry)).one()
    assert (ship_to.code, ship_to.postal_code, ship_to.is_default) == ("MAIN", "89501", True)
    assert item.description == "Item 7" and price.unit_price == Decimal("12.50")
    with session_scope(url) as session:
        run = session.scalars(select(m.JobRun)).one()
        error = session.scalars(select(RecordError)).one()
    assert (run.read, run.failed) == (455, 1)
    assert error.business_key == "ShipTo:C00042/BAD"
    assert run.api_calls == 4


def test_the_next_run_reads_from_the_watermark_minus_lookback(settings, fake_erp):
    run_job(settings)
    with session_scope(settings.database_url) as session:
        mark = session.get(Watermark, ("pull_master_data", "")).value
    run_job(settings)
    since = FakeErp.instances[-1].windows[0][1]
    assert (mark - since).total_seconds() == 600  # lookback 10m by default
    assert count(settings.database_url, m.Item) == 450  # upserted, not duplicated


def netsuite_price(amount: str) -> rec.PriceListEntry:
    """A price as NetSuite reports it: what is charged today, no dates."""
    return rec.PriceListEntry(
        source_system="netsuite",
        source_key="p",
        sku="00007",
        price_level="Base",
        unit_price=rec.Money(Decimal(amount), "USD"),
        modified_at=WHEN,
    )


def calendar(url, *entries: tuple[str, date | None, date | None]) -> list[tuple]:
    """Store these (price, from, to) entries, if any; the stored ones, by start."""
    with session_scope(url) as session:
        for amount, starts, ends in entries:
            session.add(
                m.PriceListEntry(
                    sku="00007", price_level="Base", currency="USD", min_quantity=Decimal(0),
                    unit_price=Decimal(amount), effective_from=starts, effective_to=ends,
                    source_system="netsuite", source_key="p",
                )
            )  # fmt: skip
    with session_scope(url) as session:
        stored = session.scalars(select(m.PriceListEntry))
        found = [(e.unit_price, e.effective_from, e.effective_to) for e in stored]
    return sorted(found, key=lambda e: e[1] or date.min)


def pull(url, amount: str, today: date) -> str:
    with session_scope(url) as session:
        return upsert(session, netsuite_price(amount), today)


def test_an_undated_price_in_a_gap_of_the_calendar_holds_from_today_to_the_next_entry(settings):
    url = settings.database_url
    april, july = date(2026, 4, 1), date(2026, 7, 1)
    calendar(url, ("10", None, date(2026, 3, 31)), ("12", april, date(2026, 5, 31)),
             ("14", july, None))  # fmt: skip

    assert pull(url, "13", date(2026, 6, 10)) == "inserted"

    assert calendar(url) == [
        (Decimal("10"), None, date(2026, 3, 31)),
        (Decimal("12"), april, date(2026, 5, 31)),
        (Decimal("13"), date(2026, 6, 10), date(2026, 6, 30)),
        (Decimal("14"), july, None),
    ]
    assert pull(url, "13", date(2026, 6, 11)) == "unchanged"


def test_an_undated_price_before_the_first_entry_is_undated_until_that_day(settings):
    url = settings.database_url
    calendar(url, ("12", date(2026, 4, 1), None))

    assert pull(url, "10", date(2026, 3, 2)) == "inserted"

    assert calendar(url)[0] == (Decimal("10"), None, date(2026, 3, 31))
    assert pull(url, "10", date(2026, 3, 2)) == "unchanged"
