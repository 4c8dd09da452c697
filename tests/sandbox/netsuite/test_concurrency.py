"""The per-account concurrency cap holds across threads and processes."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime

import pytest

from connectors.netsuite.slots import AccountSlots
from core.errors import TransientError


def _try_slot(lock_dir: str) -> str:
    slots = AccountSlots("123456_SB1", 2, lock_dir=lock_dir, wait_seconds=0.2)
    try:
        with slots.hold() as slot:
            return f"got {slot}"
    except TransientError as exc:
        return exc.error_class


def test_a_third_process_waits_while_two_hold_the_slots(tmp_path):
    slots = AccountSlots("123456_SB1", 2, lock_dir=tmp_path)
    with slots.hold() as first, slots.hold() as second:
        assert {first, second} == {0, 1}
        with multiprocessing.get_context("fork").Pool(1) as pool:
            assert pool.apply(_try_slot, (str(tmp_path),)) == "rate_limit"
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply(_try_slot, (str(tmp_path),)) == "got 0"


def test_parallel_jobs_never_exceed_the_cap_at_the_simulator(make_connector, sandbox_state):
    sandbox_state.meta_set("netsuite", "concurrency_limit", 2)
    make_connector(concurrency=2).check()  # fetch the WSDL once
    errors = []

    def run() -> None:
        try:
            list(make_connector(concurrency=2, page_size=5).read_changed(
                "order", datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC)
            ))  # fmt: skip
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sandbox_state.meta_get("netsuite", "max_in_flight") <= 2
    assert "fault:concurrency" not in sandbox_state.stats()["systems"]["netsuite"]["calls"]


@pytest.mark.postgres
def test_advisory_locks_cap_across_connections(pg_url, tmp_path):
    slots = AccountSlots("123456_SB1", 1, lock_dir=tmp_path, database_url=pg_url, wait_seconds=0.2)
    other = AccountSlots("123456_SB1", 1, lock_dir=tmp_path, database_url=pg_url, wait_seconds=0.2)
    with slots.hold():
        with pytest.raises(TransientError):
            with other.hold():
                pass
    with other.hold() as slot:
        assert slot == 0
