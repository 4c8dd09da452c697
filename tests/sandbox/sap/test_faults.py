"""The SAP connector against the simulator's faults: each class gives its typed error, hostile
replies write nothing and leak nothing, and a resend never creates a second sales order."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

import pytest

from core.errors import ConfigError, TransientError
from core.trace import install_tracing

EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
CREATE = "BAPI_SALESORDER_CREATEFROMDAT2"


def later() -> datetime:
    return datetime.now(timezone.utc) + timedelta(minutes=5)


def sales_orders(state) -> int:
    return state.count_records("sap", "sales_order")


def calls(state, operation: str) -> int:
    return state.stats()["systems"]["sap"]["calls"].get(operation, 0)


# -- idempotency ---------------------------------------------------------------------------


def test_resend_with_the_same_business_key_creates_no_second_order(sap, sandbox_state, new_order):
    from connectors.sap import records

    before = sales_orders(sandbox_state)
    params = records.build_order_create(new_order("OB-3001"), sap.defaults)
    first = sap.client.call(CREATE, **params)
    second = sap.client.call(CREATE, **params)  # the same message again, as after a lost reply
    assert first["SALESDOCUMENT"] and second["SALESDOCUMENT"] == first["SALESDOCUMENT"]
    assert sales_orders(sandbox_state) == before + 1
    stats = sandbox_state.stats()["systems"]["sap"]
    assert stats["duplicates"]["sales_order"] == 0
    assert stats["calls"]["idempotent_replay"] == 1


def test_lost_reply_is_retried_safely_under_the_same_uuid(sap, sandbox_state, new_order):
    before = sales_orders(sandbox_state)
    sandbox_state.set_fault("sap", "truncated", operation=CREATE, after=True, times=1)
    [result] = sap.upsert("order", [new_order("OB-3002")])
    assert result.ok and result.their_id
    assert sales_orders(sandbox_state) == before + 1
    assert calls(sandbox_state, "idempotent_replay") == 1


def test_upserting_the_same_order_twice_posts_once(sap, sandbox_state, new_order):
    before = sales_orders(sandbox_state)
    sap.upsert("order", [new_order("OB-3003")])
    [again] = sap.upsert("order", [new_order("OB-3003")])
    assert again.ok and again.message == "unchanged"
    assert sales_orders(sandbox_state) == before + 1
    assert calls(sandbox_state, CREATE) == 1


# -- per-record results ----------------------------------------------------------------------


def test_partial_batch_failure_marks_exactly_the_failed_record(sap, sandbox_state, new_order):
    sandbox_state.set_fault("sap", "partial", keys=["OB-4002"])
    orders = [new_order("OB-4001"), new_order("OB-4002"), new_order("OB-4003", skus=("GONE",))]
    results = sap.upsert("order", orders)
    assert [r.ok for r in results] == [True, False, False]
    assert results[1].code == "V4/219"
    assert "Material GONE does not exist" in results[2].message
    assert results[2].code == "V1/392"


def test_warnings_are_kept_on_a_written_record(sap, sandbox_state, new_order):
    sandbox_state.set_fault("sap", "warning", message="Requested date cannot be met", times=1)
    [result] = sap.upsert("order", [new_order("OB-4004")])
    assert result.ok and any("Requested date cannot be met" in w for w in result.warnings)


def test_a_value_too_long_for_sap_rejects_only_that_record(sap, new_order):
    long_sku = new_order("OB-4005", skus=("X" * 19,))
    results = sap.upsert("order", [long_sku, new_order("OB-4006")])
    assert [r.ok for r in results] == [False, True]
    assert results[0].code == "too_long" and "18 characters" in results[0].message


# -- session and transport faults ----------------------------------------------------------------


def test_logon_failure_is_a_config_error_naming_the_setting(make_sap, new_order):
    sap = make_sap({"ORDERBRIDGE__CONNECTIONS__SAP__PASSWORD": "wrong"})
    check = sap.check()
    assert not check.ok and "401" in check.message
    assert "ORDERBRIDGE__CONNECTIONS__SAP__PASSWORD" in check.hint
    with pytest.raises(ConfigError) as raised:
        sap.upsert("order", [new_order()])
    assert "wrong" not in str(raised.value)


def test_logon_failure_mid_run_stops_the_job(sap, sandbox_state, new_order):
    sap.check()
    sandbox_state.set_fault("sap", "logon_failed", operation="ZOB_SALESORDER_GETLIST")
    with pytest.raises(ConfigError):
        sap.upsert("order", [new_order()])


def test_expired_session_is_retried(sap, sandbox_state):
    sandbox_state.set_fault("sap", "session_expired", times=1)
    assert len(list(sap.read_changed("customer", EPOCH, later()))) > 0
    assert calls(sandbox_state, "fault:session_expired") == 1


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("server_error", {"status": 503}),
        ("server_error", {"status": 500}),
        ("rate_limit", {"retry_after": 2}),
        ("timeout", {"seconds": 5}),
    ],
)
def test_transient_faults_are_retried_then_raised(sap, sandbox_state, kind, params):
    sap.check()  # WSDL fetched; the faults below hit operation calls
    waits: list[float] = []
    sap.sleep = waits.append
    sandbox_state.set_fault("sap", kind, times=1, **params)
    assert len(list(sap.read_changed("customer", EPOCH, later()))) > 0
    if kind == "rate_limit":
        assert waits == [2.0]
    sandbox_state.set_fault("sap", kind, **params)
    with pytest.raises(TransientError):
        list(sap.read_changed("customer", EPOCH, later()))


def test_slow_replies_within_the_timeout_still_answer(sap, sandbox_state):
    sandbox_state.set_fault("sap", "latency", seconds=0.05, times=1)
    check = sap.check()
    assert (check.ok, check.system) == (True, "sap") and check.latency_ms >= 50


# -- hostile replies -----------------------------------------------------------------------------

HOSTILE = ["doctype", "external_entity", "truncated", "html_200"]


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "local-secret.txt"
    path.write_text("TOP-SECRET-LOCAL-FILE-CONTENT")
    return path


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_reply_to_a_write_is_typed_and_writes_nothing(
    make_sap, sandbox_state, new_order, kind, secret_file, tmp_path, caplog
):
    trace_dir = tmp_path / "trace"
    install_tracing(trace_dir)
    sap = make_sap()
    before = sales_orders(sandbox_state)
    sandbox_state.set_fault("sap", kind, operation=CREATE, target=secret_file.as_uri())
    # The system's failure, not the record's outcome: raised, so the runner retries the record.
    with caplog.at_level(logging.DEBUG), pytest.raises(TransientError) as raised:
        sap.upsert("order", [new_order("OB-5001")])
    assert raised.value.error_class == "parse"
    assert sales_orders(sandbox_state) == before
    assert "TOP-SECRET" not in str(raised.value)
    assert "TOP-SECRET" not in caplog.text
    for path in trace_dir.iterdir():
        assert "TOP-SECRET" not in path.read_text(errors="replace")


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_reply_to_a_read_gives_no_partial_result(sap, sandbox_state, kind, secret_file):
    sap.check()
    sandbox_state.set_fault("sap", kind, target=secret_file.as_uri())
    seen = []
    with pytest.raises(TransientError) as raised:
        seen.extend(sap.read_changed("customer", EPOCH, later()))
    assert seen == [] and raised.value.error_class == "parse"
    assert "TOP-SECRET" not in str(raised.value)


# -- tracing -------------------------------------------------------------------------------------


def test_every_soap_call_is_traced_as_numbered_files_without_the_password(
    make_sap, new_order, tmp_path
):
    trace_dir = tmp_path / "trace"
    install_tracing(trace_dir)
    sap = make_sap()
    sap.upsert("order", [new_order("OB-6001")])
    names = sorted(p.name for p in trace_dir.iterdir() if not p.name.startswith("."))
    # one read (lookup by key) and one create; the WSDL download is not traced
    assert names == [
        "sap-000001-meta.json",
        "sap-000001-request.xml",
        "sap-000001-response.xml",
        "sap-000002-meta.json",
        "sap-000002-request.xml",
        "sap-000002-response.xml",
    ]
    create = (trace_dir / "sap-000002-request.xml").read_text()
    assert CREATE in create and "<UUID>" in create
    assert "SALESDOCUMENT" in (trace_dir / "sap-000002-response.xml").read_text()
    meta = json.loads((trace_dir / "sap-000002-meta.json").read_text())
    assert meta["status"] == 200 and meta["method"] == "POST"
    for path in trace_dir.iterdir():
        assert "sandbox-password" not in path.read_text()


def test_wsdl_is_fetched_once_into_the_data_folder(make_sap, sandbox_state, settings):
    make_sap().check()
    make_sap().check()
    assert calls(sandbox_state, "GET wsdl") == 1
    assert list((settings.data_path / "wsdl").glob("sap-*.wsdl"))
