"""Client and connector against recorded Salesforce replies (restforce fixtures), via responses."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from urllib.parse import parse_qs

import jwt
import pytest
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.salesforce import QuotaExhaustedError
from core.errors import ConfigError
from core.records import Customer

from .conftest import API, INSTANCE, LOGIN_FAULT, SOAP_LOGIN, soap_login_ok

NA1 = "https://na1.salesforce.com/services/data/v59.0"
SINCE = datetime(2026, 1, 1, tzinfo=timezone.utc)
UNTIL = datetime(2026, 1, 2, tzinfo=timezone.utc)


def _read(path) -> str:
    return path.read_text(encoding="utf-8")


def _customer(number: str) -> Customer:
    return Customer(source_system="erp", source_key=number, number=number, name=f"Name {number}")


@responses.activate
def test_password_login_is_a_soap_login_then_bearer_calls(make_connector):
    responses.post(SOAP_LOGIN, body=soap_login_ok(), content_type="text/xml")
    responses.get(f"{API}/limits/", json={"DailyApiRequests": {"Max": 15000, "Remaining": 14000}})
    connector = make_connector()
    result = connector.check()
    assert result.ok, result
    assert "1000/15000" in result.message
    login, limits = responses.calls
    assert "<n1:password>sandbox-passwordsandbox-security-token</n1:password>" in login.request.body
    assert limits.request.headers["Authorization"] == "Bearer 00D!SESSION-1"
    assert (connector.auth_calls, connector.api_calls) == (1, 1)


@responses.activate
def test_a_refused_soap_login_is_a_config_error_with_a_hint(make_connector):
    responses.post(SOAP_LOGIN, body=LOGIN_FAULT, status=500, content_type="text/xml")
    result = make_connector().check()
    assert not result.ok
    assert "INVALID_LOGIN" in result.message
    assert "security token" in result.hint
    assert len(responses.calls) == 1  # a wrong password is not retried


def _rsa_pem() -> tuple[str, object]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, key.public_key()


@responses.activate
def test_jwt_bearer_login_signs_an_assertion_for_the_user(make_connector, sf_ref):
    pem, public_key = _rsa_pem()
    responses.post(
        "https://test.salesforce.com/services/oauth2/token",
        body=_read(sf_ref / "auth_success_response.json"),
        content_type="application/json",
    )
    responses.get(f"{NA1}/limits/", json={})
    connector = make_connector(auth="jwt", private_key=pem)
    assert connector.check().ok
    form = parse_qs(responses.calls[0].request.body)
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    claims = jwt.decode(
        form["assertion"][0],
        public_key,
        algorithms=["RS256"],
        audience="https://test.salesforce.com",
    )
    assert claims["iss"] == "sandbox-client-id"
    assert claims["sub"] == "integration@orderbridge.example"
    assert responses.calls[1].request.headers["Authorization"].startswith("Bearer 00Dx0000000BV7z!")


@responses.activate
def test_client_credentials_login_goes_to_the_my_domain(make_connector):
    responses.post(
        f"{INSTANCE}/services/oauth2/token",
        json={"access_token": "cc-token", "instance_url": INSTANCE, "token_type": "Bearer"},
    )
    responses.get(f"{API}/limits/", json={})
    assert make_connector(auth="client_credentials").check().ok
    token_call = responses.calls[0].request
    expected = base64.b64encode(b"sandbox-client-id:sandbox-client-secret").decode()
    assert token_call.headers["Authorization"] == f"Basic {expected}"
    assert parse_qs(token_call.body) == {"grant_type": ["client_credentials"]}


@responses.activate
def test_oauth_invalid_grant_is_a_config_error(make_connector, sf_ref):
    responses.post(
        f"{INSTANCE}/services/oauth2/token",
        body=_read(sf_ref / "auth_error_response.json"),
        status=400,
        content_type="application/json",
    )
    result = make_connector(auth="client_credentials").check()
    assert not result.ok and "invalid_grant" in result.message
    assert "client_secret" in result.hint


def test_a_flow_without_its_credentials_names_the_missing_key(make_connector):
    with pytest.raises(ConfigError) as caught:
        make_connector(auth="jwt")
    assert caught.value.key == "connections.salesforce.private_key"


@responses.activate
def test_query_pages_follow_next_records_url_one_page_at_a_time(make_connector, sf_ref):
    pem, _ = _rsa_pem()
    responses.post(
        "https://test.salesforce.com/services/oauth2/token",
        body=_read(sf_ref / "auth_success_response.json"),
        content_type="application/json",
    )
    responses.get(
        f"{NA1}/query/",
        body=_read(sf_ref / "sobject/query_paginated_first_page_response.json"),
        content_type="application/json",
    )
    responses.get(
        "https://na1.salesforce.com/services/data/v26.0/query/01gD",
        body=_read(sf_ref / "sobject/query_paginated_last_page_response.json"),
        content_type="application/json",
    )
    client = make_connector(auth="jwt", private_key=pem).client
    pages = client.query_pages("SELECT Text_Label FROM Whizbang")
    first = next(pages)
    assert [row["Text_Label"] for row in first] == ["First Page"]
    assert len(responses.calls) == 2  # the second page is not fetched until asked for
    assert [row["Text_Label"] for row in next(pages)] == ["Last Page"]
    assert next(pages, None) is None
    assert responses.calls[1].request.headers["Sforce-Query-Options"] == "batchSize=2000"


@responses.activate
def test_read_changed_quotes_values_and_parses_rows(make_connector, sf_ref):
    responses.post(SOAP_LOGIN, body=soap_login_ok(), content_type="text/xml")
    responses.get(
        f"{API}/query/",
        json={
            "totalSize": 1,
            "done": True,
            "records": [
                {
                    "attributes": {"type": "Account", "url": "/x"},
                    "Id": "001A",
                    "Orderbridge_Id__c": "C-0001",
                    "AccountNumber": "0001",
                    "Name": "O'Brien & Sons",
                    "CurrencyIsoCode": "EUR",
                    "Priority__c": 2.0,
                    "SystemModstamp": "2026-01-01T10:00:00.000+0000",
                }
            ],
        },
    )
    connector = make_connector()
    [customer] = list(connector.read_changed("customer", SINCE, UNTIL))
    assert customer.number == "0001" and customer.name == "O'Brien & Sons"
    assert customer.currency == "EUR" and customer.priority == 2
    assert customer.modified_at == datetime(2026, 1, 1, 10, tzinfo=timezone.utc)
    soql = parse_qs(responses.calls[1].request.url.split("?", 1)[1])["q"][0]
    assert "WHERE Type = 'Customer' AND SystemModstamp >= 2025-12-31T23:59:00+00:00" in soql
    assert "SystemModstamp < 2026-01-02T00:00:00+00:00 ORDER BY SystemModstamp, Id" in soql


@responses.activate
def test_the_reference_query_reply_parses_with_nested_relationships(make_connector, sf_ref):
    responses.post(SOAP_LOGIN, body=soap_login_ok(), content_type="text/xml")
    responses.get(
        f"{API}/query/",
        body=_read(sf_ref / "sobject/query_success_response.json"),
        content_type="application/json",
    )
    [page] = list(make_connector().client.query_pages("SELECT Id FROM Whizbang"))
    row = page[0]
    assert row["ParentWhizbang__r"]["Name"] == "Parent Whizbang"
    assert row["Whizbangs__r"]["records"][0]["Name"] == "Child Whizbang"


@responses.activate
def test_a_query_the_org_cannot_answer_is_a_config_error(make_connector, sf_ref):
    responses.post(SOAP_LOGIN, body=soap_login_ok(), content_type="text/xml")
    responses.get(
        f"{API}/query/",
        body=_read(sf_ref / "sobject/query_error_response.json"),
        status=400,
        content_type="application/json",
    )
    with pytest.raises(ConfigError) as caught:
        list(make_connector().read_changed("item", SINCE, UNTIL))
    assert "INVALID_FIELD" in caught.value.message


@responses.activate
def test_token_expiry_reauthenticates_once_and_carries_on(make_connector, sf_ref):
    responses.post(SOAP_LOGIN, body=soap_login_ok("00D!FIRST"), content_type="text/xml")
    responses.post(SOAP_LOGIN, body=soap_login_ok("00D!SECOND"), content_type="text/xml")
    responses.get(
        f"{API}/limits/",
        body=_read(sf_ref / "expired_session_response.json"),
        status=401,
        content_type="application/json",
    )
    responses.get(f"{API}/limits/", json={"DailyApiRequests": {"Max": 10, "Remaining": 9}})
    connector = make_connector()
    assert connector.check().ok
    auths = [
        c.request.headers.get("Authorization") for c in responses.calls if "limits" in c.request.url
    ]
    assert auths == ["Bearer 00D!FIRST", "Bearer 00D!SECOND"]
    assert connector.auth_calls == 2


@responses.activate
def test_expiry_right_after_a_fresh_login_stops_with_a_config_error(make_connector, sf_ref):
    responses.post(SOAP_LOGIN, body=soap_login_ok(), content_type="text/xml")
    expired = _read(sf_ref / "expired_session_response.json")
    responses.get(f"{API}/limits/", body=expired, status=401, content_type="application/json")
    connector = make_connector()
    result = connector.check()
    assert not result.ok and "session settings" in result.hint
    assert connector.auth_calls == 2  # one re-authentication, not a loop


@responses.activate
def test_limit_info_is_read_from_every_reply_and_pauses_non_urgent_work(make_connector):
    responses.post(SOAP_LOGIN, body=soap_login_ok(), content_type="text/xml")
    responses.get(f"{API}/limits/", json={}, headers={"Sforce-Limit-Info": "api-usage=700/1000"})
    responses.get(f"{API}/limits/", json={}, headers={"Sforce-Limit-Info": "api-usage=850/1000"})
    connector = make_connector()
    assert connector.usage == (None, None) and not connector.should_pause()
    connector.check()
    assert connector.usage == (700, 1000) and not connector.should_pause()
    connector.check()
    assert connector.usage == (850, 1000)
    assert connector.should_pause("normal") and not connector.should_pause("urgent")


@responses.activate
def test_quota_403_parks_the_job_without_a_hot_retry(make_connector, sleeps):
    responses.post(SOAP_LOGIN, body=soap_login_ok(), content_type="text/xml")
    responses.get(
        f"{API}/query/",
        json=[{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
        status=403,
    )
    connector = make_connector(quota_park_seconds=1800)
    with pytest.raises(QuotaExhaustedError) as caught:
        list(connector.read_changed("customer", SINCE, UNTIL))
    assert caught.value.retry_after == 1800
    assert caught.value.error_class == "rate_limit"
    assert len(responses.calls) == 2 and sleeps == []  # login + the one refused call


@responses.activate
def test_a_real_permission_error_is_a_config_error_with_a_hint(make_connector):
    responses.post(SOAP_LOGIN, body=soap_login_ok(), content_type="text/xml")
    responses.get(
        f"{API}/limits/",
        json=[
            {
                "message": "API is not enabled for this Organization or Partner",
                "errorCode": "API_DISABLED_FOR_ORG",
            }
        ],
        status=403,
    )
    result = make_connector().check()
    assert not result.ok and "API_DISABLED_FOR_ORG" in result.message
    assert "API Enabled" in result.hint


@responses.activate
def test_throttling_and_server_errors_are_retried_honouring_retry_after(make_connector, sleeps):
    responses.post(SOAP_LOGIN, body=soap_login_ok(), content_type="text/xml")
    responses.get(f"{API}/limits/", status=429, headers={"Retry-After": "7"})
    responses.get(f"{API}/limits/", status=503)
    responses.get(f"{API}/limits/", json={})
    assert make_connector().check().ok
    assert sleeps[0] == 7 and len(sleeps) == 2


@responses.activate
def test_collections_upsert_marks_exactly_the_failed_records(make_connector):
    responses.post(SOAP_LOGIN, body=soap_login_ok(), content_type="text/xml")
    responses.patch(
        f"{API}/composite/sobjects/Account/Orderbridge_Id__c",
        json=[
            {"id": "001A", "success": True, "errors": [], "created": True},
            {
                "success": False,
                "errors": [
                    {
                        "statusCode": "REQUIRED_FIELD_MISSING",
                        "message": "Required fields are missing: [Name]",
                        "fields": ["Name"],
                    }
                ],
            },
            {"id": "001C", "success": True, "errors": [], "created": False},
        ],
    )
    results = make_connector().upsert("customer", [_customer(n) for n in ("1", "2", "3")])
    assert [(x.external_id, x.ok) for x in results] == [("1", True), ("2", False), ("3", True)]
    assert results[1].code == "REQUIRED_FIELD_MISSING" and results[1].error_class == "missing"
    assert "(Name)" in results[1].message
    body = json.loads(responses.calls[1].request.body)
    assert body["allOrNone"] is False
    assert body["records"][0]["attributes"] == {"type": "Account"}
    assert body["records"][0]["Orderbridge_Id__c"] == "1"


@responses.activate
def test_reference_collections_replies_parse(make_connector, sf_ref):
    responses.post(SOAP_LOGIN, body=soap_login_ok(), content_type="text/xml")
    url = f"{API}/composite/sobjects/Account/Orderbridge_Id__c"
    success = _read(sf_ref / "sobject/composite_sobjects_success_response.json")
    responses.patch(url, body=success, content_type="application/json")
    [result] = make_connector().upsert("customer", [_customer("1")])
    assert result.ok and result.their_id == "some_id"


@responses.activate
def test_a_call_refused_whole_is_halved_until_only_the_bad_record_is_rejected(
    make_connector, sf_ref
):
    responses.post(SOAP_LOGIN, body=soap_login_ok(), content_type="text/xml")
    refused = _read(sf_ref / "sobject/composite_sobjects_error_response.json")
    url = f"{API}/composite/sobjects/Account/Orderbridge_Id__c"

    def reply(request):
        records = json.loads(request.body)["records"]
        if any(r["Name"] == "Name BAD" for r in records):
            return 400, {}, refused
        return 200, {}, json.dumps([{"id": "x", "success": True, "errors": []} for _ in records])

    responses.add_callback(responses.PATCH, url, callback=reply, content_type="application/json")
    numbers = ["1", "2", "BAD", "4", "5"]
    results = make_connector().upsert("customer", [_customer(n) for n in numbers])
    assert [x.ok for x in results] == [True, True, False, True, True]
    assert results[2].code == "INVALID_FIELD" and "Json Deserialization" in results[2].message


@responses.activate
def test_a_field_missing_in_the_org_stops_the_write_as_config(make_connector, sf_ref):
    responses.post(SOAP_LOGIN, body=soap_login_ok(), content_type="text/xml")
    responses.patch(
        f"{API}/composite/sobjects/Product2/Orderbridge_Id__c",
        body=_read(sf_ref / "sobject/upsert_error_response.json"),
        status=404,
        content_type="application/json",
    )
    from core.records import Item

    with pytest.raises(ConfigError) as caught:
        make_connector().upsert("item", [Item(source_system="erp", source_key="A", sku="A")])
    assert "external ID field does not exist" in caught.value.message


@responses.activate
def test_bulk_job_with_reference_replies_gives_a_result_per_record(make_connector, sf_ref, sleeps):
    responses.post(SOAP_LOGIN, body=soap_login_ok(), content_type="text/xml")
    jobs = f"{API}/jobs/ingest"
    bulk = sf_ref / "bulk"
    created = json.loads(_read(bulk / "create_job_success_response.json"))
    job = created["id"]
    responses.post(jobs, json=created)
    responses.put(f"{jobs}/{job}/batches", body="", status=201)
    responses.patch(f"{jobs}/{job}", body=_read(bulk / "close_job_success_response.json"))
    responses.get(f"{jobs}/{job}", json={"id": job, "state": "InProgress"})
    status = json.loads(_read(bulk / "check_status_success_response.json"))
    responses.get(f"{jobs}/{job}", json={**status, "numberRecordsFailed": 2})
    responses.get(
        f"{jobs}/{job}/successfulResults",
        body=_read(bulk / "success_results_success_response.json"),
    )
    responses.get(
        f"{jobs}/{job}/failedResults", body=_read(bulk / "failed_results_success_response.json")
    )
    connector = make_connector()
    outcome = connector.client.bulk_ingest("Account", "insert", "Name\nFoo Bar\nBizz Buzz\n")
    from connectors.salesforce.records import parse_bulk_results

    results = parse_bulk_results(outcome.successful, outcome.failed, outcome.unprocessed, "Name")
    assert results["Foo Bar"].their_id == "0012f000007uKgsAAE"
    assert sleeps == [0.5]  # one short wait, only because the first poll saw InProgress
    create = json.loads(responses.calls[1].request.body)
    assert create["object"] == "Account" and create["contentType"] == "CSV"
    assert responses.calls[2].request.headers["Content-Type"].startswith("text/csv")


def test_reference_bulk_result_sets_mark_failed_records(sf_ref):
    from connectors.salesforce.records import parse_bulk_results

    bulk = sf_ref / "bulk"
    failed = parse_bulk_results(
        "", _read(bulk / "failed_results_success_response.json"), "", "Name"
    )
    assert {k: (v.ok, v.message) for k, v in failed.items()} == {
        "Foo Bar": (False, "Error Message"),
        "Bizz Buzz": (False, "Error Message"),
    }
    done = parse_bulk_results(_read(bulk / "success_results_success_response.json"), "", "", "Name")
    assert all(v.ok for v in done.values())
