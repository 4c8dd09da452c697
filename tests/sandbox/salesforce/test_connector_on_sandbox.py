"""The Salesforce connector end to end against the simulator, with the real simple-salesforce."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.salesforce import QuotaExhaustedError
from connectors.salesforce.connector import ENTITIES
from connectors.salesforce.records import OrderWriteBack
from core.errors import ConfigError
from core.records import Address, Customer, Item, Money, Order, OrderLine, Quantity, ShipTo

from .conftest import calls

SF = "salesforce"


def window() -> tuple[datetime, datetime]:
    now = datetime.now(timezone.utc)
    return now - timedelta(days=1), now + timedelta(minutes=5)


def customers(count: int, prefix: str = "N") -> list[Customer]:
    return [
        Customer(
            source_system="erp",
            source_key=f"{prefix}{n:05d}",
            number=f"{prefix}{n:05d}",
            name=f"New Customer {n}",
        )
        for n in range(count)
    ]


def items(count: int) -> list[Item]:
    return [
        Item(source_system="erp", source_key=f"B{n}", sku=f"BULK-{n:05d}", description=f"Item {n}")
        for n in range(count)
    ]


# ---------------------------------------------------------------- auth


def test_password_flow_logs_in_once_and_counts_logins_apart(make_sf, on_sandbox):
    connector = make_sf()
    assert connector.check().ok
    list(connector.read_changed("customer", *window()))
    assert calls(on_sandbox)["auth:soap_login"] == 1
    assert (connector.auth_calls, connector.api_calls) == (1, 2)


def test_wrong_password_fails_the_check_with_a_hint(make_sf):
    result = make_sf(password="wrong").check()
    assert not result.ok and "INVALID_LOGIN" in result.message and result.hint


def test_jwt_bearer_flow_with_a_verified_signature(make_sf, on_sandbox):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    on_sandbox.meta_set(SF, "jwt_public_key", public.decode())
    assert make_sf(auth="jwt", private_key=pem).check().ok
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wrong = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    refused = make_sf(auth="jwt", private_key=wrong).check()
    assert not refused.ok and "invalid_grant" in refused.message


def test_client_credentials_flow(make_sf, on_sandbox):
    assert make_sf(auth="client_credentials").check().ok
    assert not make_sf(auth="client_credentials", client_secret="nope").check().ok


# ---------------------------------------------------------------- reads


def test_orders_read_with_their_lines_from_the_shared_world(make_sf, on_sandbox):
    orders = list(make_sf().read_changed("order", *window()))
    world = {o.number: o for o in on_sandbox.world.orders + on_sandbox.world.incoming_orders}
    erp_only = on_sandbox.world.planted["recon_missing_in_system"]  # planted: not in Salesforce
    assert len(orders) == len(world) - len(erp_only)
    for order in orders:
        expected = world[order.number]
        assert order.customer_number == expected.customer_code
        assert [(x.sku, x.quantity.value) for x in order.lines] == [
            (x.sku, Decimal(x.quantity)) for x in expected.lines
        ]
        assert order.lines[0].unit_price.amount == expected.lines[0].unit_price


def test_reads_page_by_next_records_url(make_sf, on_sandbox):
    prices = list(make_sf(query_batch_size=200).read_changed("price", *window()))
    assert len(prices) == len(on_sandbox.world.price_entries)
    made = calls(on_sandbox)
    assert made["query"] == 1 and made["query_more"] == len(prices) // 200 - 1 + (
        len(prices) % 200 > 0
    )


def test_the_window_excludes_records_changed_after_it(make_sf):
    since, _ = window()
    assert list(make_sf().read_changed("item", since - timedelta(days=5), since)) == []


def test_token_expiry_mid_read_recovers_with_one_login(make_sf, on_sandbox):
    connector = make_sf(query_batch_size=200)
    pages = connector.read_changed("price", *window())
    first = [next(pages) for _ in range(250)]  # into the second page
    on_sandbox.set_fault(SF, "session_expiry", times=1)
    rest = list(pages)
    assert len(first) + len(rest) == len(on_sandbox.world.price_entries)
    assert connector.auth_calls == 2


# ---------------------------------------------------------------- writes


def test_collections_upsert_200_per_call_and_a_resend_writes_nothing_new(make_sf, on_sandbox):
    connector = make_sf()
    batch = customers(450)
    results = connector.upsert("customer", batch)
    assert all(r.ok for r in results) and len(results) == 450
    stats = on_sandbox.stats()["systems"][SF]
    assert stats["calls"]["collections_upsert"] == 3
    assert stats["max_batch"]["collections_upsert"] == 200
    again = connector.upsert("customer", batch)
    assert all(r.ok for r in again)
    assert on_sandbox.stats()["systems"][SF]["duplicates"]["Account"] == 450


def test_partial_collection_failure_marks_exactly_the_failed_records(make_sf, on_sandbox):
    on_sandbox.set_fault(SF, "partial_failure", external_ids=["N00003", "N00007"], times=1)
    results = make_sf().upsert("customer", customers(10))
    assert [r.external_id for r in results if not r.ok] == ["N00003", "N00007"]
    assert on_sandbox.get_record(SF, "Account", "N00003") is None
    assert on_sandbox.get_record(SF, "Account", "N00004") is not None


def test_a_ship_to_whose_customer_is_missing_is_rejected_alone(make_sf, on_sandbox):
    good = ShipTo(
        source_system="erp",
        source_key="1",
        customer_number="C00124",
        code="NEW-1",
        address=Address(name="Dock", city="Reno"),
    )
    bad = ShipTo(source_system="erp", source_key="2", customer_number="NOPE", code="NEW-2")
    results = make_sf().upsert("ship_to", [good, bad])
    assert results[0].ok
    assert not results[1].ok and results[1].error_class == "missing"
    assert "NOPE" in results[1].message


def test_bulk_above_the_threshold_gives_per_record_results(make_sf, on_sandbox, sleeps):
    on_sandbox.set_fault(SF, "partial_failure", every=1000, times=1)
    connector = make_sf(bulk_threshold=2000)
    seeded = on_sandbox.count_records(SF, "Product2")
    results = connector.upsert("item", items(2500))
    failed = [r.external_id for r in results if not r.ok]
    assert failed == ["BULK-00999", "BULK-01999"]
    assert results[0].their_id and results[0].their_id.startswith("01t")
    made = calls(on_sandbox)
    bulk_calls = {k: v for k, v in made.items() if k.startswith("bulk_")}
    assert bulk_calls == {
        "bulk_create": 1,
        "bulk_upload": 1,
        "bulk_close": 1,
        "bulk_poll": 1,
        "bulk_successfulResults": 1,
        "bulk_failedResults": 1,
    }
    assert sleeps == []
    assert on_sandbox.count_records(SF, "Product2") == seeded + 2498


def test_bulk_job_polls_with_a_growing_wait(make_sf, on_sandbox, sleeps):
    on_sandbox.meta_set(SF, "bulk_polls_to_complete", 3)
    results = make_sf(bulk_threshold=10).upsert("item", items(20))
    assert all(r.ok for r in results)
    assert sleeps == [0.5, 1.0]
    assert calls(on_sandbox)["bulk_poll"] == 3


def test_order_upsert_writes_header_then_lines(make_sf, on_sandbox):
    order = Order(
        source_system="erp",
        source_key="E1",
        external_id="EDI-1",
        customer_number="C00124",
        order_date=date(2026, 3, 1),
        lines=[
            OrderLine(1, "00302", Quantity(Decimal("2")), Money(Decimal("10.50"), "USD")),
            OrderLine(2, "NO-SUCH", Quantity(Decimal("1")), Money(Decimal("1"), "USD")),
        ],
    )
    [result] = make_sf().upsert("order", [order])
    assert not result.ok and "line 2" in result.message
    assert on_sandbox.get_record(SF, "OrderItem", "EDI-1:1")["Quantity"] == 2.0
    assert on_sandbox.get_record(SF, "Order", "EDI-1")["OrderNumber"]


def test_writeback_sets_erp_number_status_and_tracking_on_orders(make_sf, on_sandbox):
    connector = make_sf()
    orders = list(connector.read_changed("order", *window()))[:2]
    synced = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
    updates = [
        OrderWriteBack(orders[0].source_key, synced, "SO-1", "shipped", ("1Z999",)),
        OrderWriteBack(orders[1].source_key, synced, error="customer on credit hold"),
        OrderWriteBack("801999999999999AAA", synced, "SO-X"),
    ]
    results = connector.upsert("order_writeback", updates)
    assert [r.ok for r in results] == [True, True, False]
    first = on_sandbox.get_record(SF, "Order", str(int(orders[0].source_key[3:15])))
    assert first["ERP_Order_Number__c"] == "SO-1" and first["Tracking_Numbers__c"] == "1Z999"
    assert first["Last_Sync__c"] == "2026-03-02T12:00:00.000+0000"


# ---------------------------------------------------------------- limits and faults


def test_usage_comes_from_the_limits_header(make_sf, on_sandbox):
    on_sandbox.meta_set(SF, "api_max", 100)
    on_sandbox.meta_set(SF, "api_usage", 84)
    connector = make_sf()
    list(connector.read_changed("item", *window()))
    assert connector.usage == (85, 100)
    assert connector.should_pause() and not connector.should_pause("urgent")


def test_quota_403_parks_instead_of_retrying(make_sf, on_sandbox, sleeps):
    on_sandbox.meta_set(SF, "api_max", 100)
    on_sandbox.meta_set(SF, "api_usage", 100)
    with pytest.raises(QuotaExhaustedError) as caught:
        make_sf(quota_park_seconds=900).upsert("customer", customers(3))
    assert caught.value.retry_after == 900
    assert calls(on_sandbox)["rejected:request_limit"] == 1 and sleeps == []


def test_throttling_and_server_errors_from_the_frame_are_retried(make_sf, on_sandbox, sleeps):
    on_sandbox.set_fault(SF, "rate_limit", retry_after=2, times=1, path="/services/data")
    on_sandbox.set_fault(SF, "server_error", status=503, times=1, path="/services/data")
    results = make_sf().upsert("customer", customers(2))
    assert all(r.ok for r in results)
    assert 2 in sleeps and len(sleeps) == 2


def test_a_field_the_org_lacks_is_a_config_error(make_sf):
    with pytest.raises(ConfigError):
        make_sf(external_id_field="Legacy_Id__c").upsert("item", items(1))


def test_a_bulk_job_the_org_cannot_take_is_a_config_error(make_sf, monkeypatch):
    spec = ENTITIES["item"]

    def with_unknown_field(item, ext):
        return {**spec.build(item, ext), "Bogus__c": "x"}

    monkeypatch.setitem(ENTITIES, "item", replace(spec, build=with_unknown_field))
    with pytest.raises(ConfigError) as caught:
        make_sf(bulk_threshold=5).upsert("item", items(10))
    assert "Bogus__c" in caught.value.message


def test_an_order_without_a_date_is_rejected_naming_the_field(make_sf):
    order = Order(
        source_system="erp", source_key="E2", external_id="EDI-2", customer_number="C00124"
    )
    [result] = make_sf().upsert("order", [order])
    assert not result.ok and result.code == "REQUIRED_FIELD_MISSING"
    assert "EffectiveDate" in result.message and result.error_class == "missing"
