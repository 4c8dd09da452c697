from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from connectors.base import CONNECTORS
from connectors.carriers import status as st
from connectors.carriers.base import TrackResult
from core.errors import TransientError
from core.records import ProofOfDelivery, TrackingEvent
from core.store import models as m
from core.store import session_scope
from sync_jobs.track_shipments import KINDS
from tests.sync_jobs.flows_in import count, open_cases, run_job, sandboxed  # noqa: F401

NOW = datetime.now(timezone.utc)


def orders_of(url: str, cases: dict[str, set[str]]) -> dict[str, set[str]]:
    with session_scope(url) as session:
        order_of = dict(session.execute(select(m.Shipment.number, m.Shipment.order_number)).all())
    return {kind: {order_of[key] for key in keys} for kind, keys in cases.items()}


def test_every_planted_shipment_exception_is_found_and_nothing_else(sandboxed):  # noqa: F811
    outcome = run_job(sandboxed.settings, "track_shipments")
    assert outcome.status == "completed", outcome.summary
    world = sandboxed.world
    assert count(sandboxed.url, m.Shipment) == len(world.shipments)
    found = orders_of(sandboxed.url, open_cases(sandboxed.url, ""))
    expected = {kind: set(world.planted[kind]) for kind in KINDS if world.planted[kind]}
    assert found == expected
    with session_scope(sandboxed.url) as session:
        late = session.scalars(select(m.OpsException).filter_by(kind="shipment_late")).first()
        assert late.owner == "coordinator"
        assert late.sla_due_at - late.opened_at == timedelta(hours=24)
        signed = session.scalars(select(m.Shipment).where(m.Shipment.pod_signed_by != "")).all()
    assert {s.number for s in signed} >= {
        s.number for s in world.shipments if s.story == "delivered_signed"
    }


def test_a_second_run_stores_each_event_once_and_refreshes_the_same_cases(sandboxed):  # noqa: F811
    run_job(sandboxed.settings, "track_shipments")
    events, cases = count(sandboxed.url, m.TrackingEvent), count(sandboxed.url, m.OpsException)
    outcome = run_job(sandboxed.settings, "track_shipments")
    assert outcome.status == "completed", outcome.summary
    assert count(sandboxed.url, m.TrackingEvent) == events
    assert count(sandboxed.url, m.OpsException) == cases
    # Delivered with proof, returned and cancelled shipments are not asked about again.
    world = sandboxed.world
    still_open = sum(
        1
        for s in world.shipments
        if s.status not in ("returned",) and not (s.status == "delivered" and s.pod_available)
    )
    assert f"read {still_open};" in outcome.summary


# ---- a fake carrier whose answers a test decides --------------------------------------------


class FakeCarrier:
    system = "fedex"
    batch_size = 30
    answers: dict[str, TrackResult] = {}
    calls: list[list[str]] = []
    fail = False

    def __init__(self, settings) -> None:
        self.api_calls = 0

    def track(self, numbers):
        numbers = list(numbers)
        if FakeCarrier.fail:
            raise TransientError("503 from the carrier", system="fedex")
        FakeCarrier.calls.append(numbers)
        self.api_calls += 1
        return [
            FakeCarrier.answers.get(n) or TrackResult(n, "fedex", found=False, message="not found")
            for n in numbers
        ]


@pytest.fixture
def fake_fedex(monkeypatch):
    monkeypatch.setitem(CONNECTORS, "fedex", f"{__name__}:FakeCarrier")
    FakeCarrier.answers, FakeCarrier.calls, FakeCarrier.fail = {}, [], False
    return FakeCarrier


def moving(number: str, *, days_ago: float = 1) -> TrackResult:
    event = TrackingEvent(NOW - timedelta(days=days_ago), st.IN_TRANSIT, "In transit", "Memphis")
    return TrackResult(number, "fedex", status=st.IN_TRANSIT, events=[event])


def delivered(number: str) -> TrackResult:
    when = NOW - timedelta(hours=2)
    events = [
        TrackingEvent(NOW - timedelta(days=1), st.IN_TRANSIT, "In transit", "Memphis"),
        TrackingEvent(when, st.DELIVERED, "Delivered", "Boston"),
    ]
    pod = ProofOfDelivery(when, "K. NGUYEN", "Front door")
    return TrackResult(number, "fedex", status=st.DELIVERED, events=events, pod=pod)


def store_shipments(url: str, n: int, promised: date) -> list[str]:
    with session_scope(url) as session:
        for i in range(n):
            session.add(
                m.Shipment(
                    number=f"SH-{i:04d}",
                    order_number=f"SO-{i:04d}",
                    carrier="fedex",
                    tracking_number=f"7700000{i:05d}",
                    status=st.IN_TRANSIT,
                    promised_date=promised,
                    source_system="netsuite",
                    source_key=str(i),
                )
            )
    return [f"7700000{i:05d}" for i in range(n)]


def test_fedex_is_asked_30_numbers_a_call(settings, fake_fedex):
    numbers = store_shipments(settings.database_url, 70, NOW.date() + timedelta(days=2))
    fake_fedex.answers = {n: moving(n) for n in numbers}
    outcome = run_job(settings, "track_shipments")
    assert outcome.status == "completed", outcome.summary
    assert [len(call) for call in fake_fedex.calls] == [30, 30, 10]
    assert count(settings.database_url, m.TrackingEvent) == 70


def test_a_late_shipment_that_is_delivered_resolves_its_exception(settings, fake_fedex):
    (number,) = store_shipments(settings.database_url, 1, NOW.date() - timedelta(days=2))
    fake_fedex.answers = {number: moving(number)}
    run_job(settings, "track_shipments")
    assert open_cases(settings.database_url) == {"shipment_late": {"SH-0000"}}
    fake_fedex.answers = {number: delivered(number)}
    run_job(settings, "track_shipments")
    assert open_cases(settings.database_url) == {}
    with session_scope(settings.database_url) as session:
        case = session.scalars(select(m.OpsException)).one()
        shipment = session.scalars(select(m.Shipment)).one()
    assert (case.status, case.resolved_by) == ("resolved", "system")
    assert (shipment.status, shipment.pod_signed_by) == (st.DELIVERED, "K. NGUYEN")


def test_no_movement_counts_days_per_carrier_setting(make_settings, fake_fedex):
    settings = make_settings(connections__fedex__no_movement_days=2)
    (number,) = store_shipments(settings.database_url, 1, NOW.date() + timedelta(days=5))
    fake_fedex.answers = {number: moving(number, days_ago=3)}
    run_job(settings, "track_shipments")
    assert open_cases(settings.database_url) == {"shipment_no_movement": {"SH-0000"}}


def test_owner_and_sla_follow_the_settings(make_settings, fake_fedex):
    settings = make_settings(
        exceptions__owners__shipment_late="dispatch.lead", exceptions__sla_hours__shipment_late=4
    )
    (number,) = store_shipments(settings.database_url, 1, NOW.date() - timedelta(days=1))
    fake_fedex.answers = {number: moving(number)}
    run_job(settings, "track_shipments")
    with session_scope(settings.database_url) as session:
        case = session.scalars(select(m.OpsException)).one()
    assert case.owner == "dispatch.lead"
    assert case.sla_due_at - case.opened_at == timedelta(hours=4)


def test_an_unknown_tracking_number_is_rejected_alone(settings, fake_fedex):
    numbers = store_shipments(settings.database_url, 3, NOW.date() + timedelta(days=2))
    fake_fedex.answers = {n: moving(n) for n in numbers[1:]}
    outcome = run_job(settings, "track_shipments")
    assert outcome.status == "completed"
    with session_scope(settings.database_url) as session:
        error = session.scalars(select(m.RecordError)).one()
    assert (error.business_key, error.error_class) == ("SH-0000", "missing")
    assert count(settings.database_url, m.TrackingEvent) == 2


def test_a_transient_failure_keeps_the_watermark(settings, fake_fedex):
    numbers = store_shipments(settings.database_url, 2, NOW.date() + timedelta(days=2))
    fake_fedex.answers = {n: moving(n) for n in numbers}
    fake_fedex.fail = True
    outcome = run_job(settings, "track_shipments")
    assert outcome.status == "failed"
    with session_scope(settings.database_url) as session:
        assert session.get(m.Watermark, ("track_shipments", "")) is None
    fake_fedex.fail = False
    outcome = run_job(settings, "track_shipments")
    assert outcome.status == "completed", outcome.summary
    with session_scope(settings.database_url) as session:
        assert session.get(m.Watermark, ("track_shipments", "")) is not None
    assert count(settings.database_url, m.TrackingEvent) == 2
