"""Sandbox state: records, duplicates, call counts, stats shape, persistence, concurrency."""

from __future__ import annotations

import json
import multiprocessing
from datetime import datetime, timedelta, timezone

from sandbox import SandboxState
from tests.sandbox.conftest import TODAY


def test_records_get_sequential_internal_ids_and_are_found_by_either_id(sandbox_state):
    first = sandbox_state.put_record("edi", "customer", "C00042", {"name": "Atlas"})
    second = sandbox_state.put_record("edi", "customer", "C00043", {"name": "Beacon"})
    assert (first, second) == ("1", "2")
    by_external = sandbox_state.get_record("edi", "customer", "C00042")
    by_internal = sandbox_state.get_record("edi", "customer", "1")
    assert by_external == by_internal
    assert by_external["name"] == "Atlas"
    assert by_external["external_id"] == "C00042"
    assert datetime.fromisoformat(by_external["modified_at"]).tzinfo is not None
    chosen = sandbox_state.put_record("salesforce", "Order", "00000101", {}, internal_id="801xx")
    assert chosen == "801xx"
    assert sandbox_state.get_record("edi", "customer", "C99999") is None


def test_duplicates_count_only_identical_rewrites(sandbox_state):
    put = sandbox_state.put_record
    put("edi", "salesOrder", "00000101", {"qty": 1})
    put("edi", "salesOrder", "00000101", {"qty": 2})  # an update
    put("edi", "salesOrder", "00000102", {"qty": 5})
    put("edi", "salesOrder", "00000102", {"qty": 5})  # a resend that changed nothing
    put("edi", "salesOrder", "00000102", {"qty": 5})  # the same record again
    systems = sandbox_state.stats()["systems"]
    assert systems["edi"]["records"]["salesOrder"] == 2
    assert systems["edi"]["duplicates"]["salesOrder"] == 1
    assert sandbox_state.get_record("edi", "salesOrder", "00000101")["qty"] == 2


def test_find_records_pages_in_id_order_and_filters_by_modified_since(tmp_path):
    now = [datetime(2026, 3, 1, 12, tzinfo=timezone.utc)]
    state = SandboxState(tmp_path / "state.db", clock=lambda: now[0])
    for n in range(5):
        now[0] += timedelta(minutes=1)
        state.put_record("threepl", "order", f"R{n}", {"n": n})
    assert [r["n"] for r in state.find_records("threepl", "order", limit=2, offset=1)] == [1, 2]
    since = datetime(2026, 3, 1, 12, 3, tzinfo=timezone.utc)
    assert [r["n"] for r in state.find_records("threepl", "order", modified_since=since)] == [
        2,
        3,
        4,
    ]
    assert state.count_records("threepl", "order") == 5
    assert state.delete_record("threepl", "order", "R0") is True
    assert state.delete_record("threepl", "order", "R0") is False
    assert state.count_records("threepl", "order") == 4


def test_calls_and_max_batch_are_counted(sandbox_state):
    sandbox_state.count_call("netsuite", "upsertList", batch_size=200)
    sandbox_state.count_call("netsuite", "upsertList", batch_size=17)
    sandbox_state.count_call("netsuite", "login")
    netsuite = sandbox_state.stats()["systems"]["netsuite"]
    assert netsuite["calls"] == {"login": 1, "upsertList": 2}
    assert netsuite["max_batch"] == {"upsertList": 200}


def test_stats_has_exactly_the_documented_shape(sandbox_state):
    sandbox_state.count_call("fedex", "track", batch_size=30)
    sandbox_state.put_record("fedex", "shipment", "794791341818", {"status": "DL"})
    stats = json.loads(json.dumps(sandbox_state.stats()))
    assert stats == sandbox_state.stats()
    assert set(stats) == {"systems", "tracking_numbers"}
    for system in stats["systems"].values():
        assert set(system) == {"calls", "max_batch", "records", "duplicates"}
        for counts in system.values():
            assert all(isinstance(k, str) and isinstance(v, int) for k, v in counts.items())
    assert stats["systems"]["fedex"] == {
        "calls": {"track": 1},
        "max_batch": {"track": 30},
        "records": {"shipment": 1},
        "duplicates": {"shipment": 0},
    }
    assert set(stats["tracking_numbers"]) == {"ups", "fedex", "dhl"}
    world_numbers = {s.tracking_number for s in sandbox_state.world.shipments}
    assert {n for ns in stats["tracking_numbers"].values() for n in ns} == world_numbers


def test_state_survives_reopening_the_file(sandbox_state):
    sandbox_state.put_record("sap", "SalesOrder", "UUID-1", {"net": "10.00"})
    sandbox_state.count_call("sap", "SalesOrderCreate")
    sandbox_state.set_fault("sap", "server_error", times=2)
    sandbox_state.meta_set("sap", "session", {"id": "abc"})
    before = sandbox_state.stats()
    sandbox_state.close()
    again = SandboxState(sandbox_state.path)
    assert again.stats() == before
    assert again.get_record("sap", "SalesOrder", "UUID-1")["net"] == "10.00"
    assert again.get_faults("sap")[0]["remaining"] == 2
    assert again.meta_get("sap", "session") == {"id": "abc"}
    assert (again.seed, again.today) == (1, TODAY)
    assert again.world == sandbox_state.world


def test_reset_wipes_everything_and_reseeds(sandbox_state):
    sandbox_state.put_record("ups", "label", "L1", {})
    sandbox_state.set_fault("ups", "latency", seconds=1)
    sandbox_state.meta_set("ups", "token", "t")
    world = sandbox_state.reset(2, TODAY)
    assert sandbox_state.stats()["systems"]["ups"] == {
        "calls": {},
        "max_batch": {},
        "records": {},
        "duplicates": {},
    }
    assert sandbox_state.get_faults("ups") == []
    assert sandbox_state.meta_get("ups", "token") is None
    assert world.seed == 2 and sandbox_state.world == world


def test_a_fault_with_times_is_used_up(sandbox_state):
    fault = sandbox_state.set_fault("dhl", "session_expiry", times=2, after=5)
    assert sandbox_state.get_faults("dhl") == [
        {"id": fault["id"], "kind": "session_expiry", "params": {"after": 5}, "remaining": 2}
    ]
    assert [sandbox_state.consume_fault(fault["id"]) for _ in range(3)] == [True, True, False]
    assert sandbox_state.get_faults("dhl") == []
    sandbox_state.set_fault("dhl", "rate_limit")
    sandbox_state.clear_faults("dhl")
    assert sandbox_state.get_faults("dhl") == []


def _write_many(path: str, tag: str, count: int) -> None:
    state = SandboxState(path)
    for n in range(count):
        state.put_record("threepl", "order", f"{tag}-{n:04d}", {"n": n})
        state.count_call("threepl", "createOrder", batch_size=1)


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = str(tmp_path / "state.db")
    SandboxState(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_many, args=(path, tag, 150)) for tag in "AB"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0, 0]
    state = SandboxState(path)
    assert state.count_records("threepl", "order") == 300
    assert state.stats()["systems"]["threepl"]["calls"] == {"createOrder": 300}
    ids = [r["internal_id"] for r in state.find_records("threepl", "order")]
    assert ids == [str(n) for n in range(1, 301)]
