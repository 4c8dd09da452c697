"""The Salesforce simulator's own protocol: SOQL subset, Collections limits, Bulk job failures."""

from __future__ import annotations

import pytest

from sandbox.salesforce.soql import parse
from sandbox.salesforce.store import RequestError

API = "https://orderbridge-sandbox.my.salesforce.com/services/data/v59.0"
LOGIN = "https://test.salesforce.com/services/Soap/u/59.0"
ENVELOPE = (
    '<?xml version="1.0"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">'
    '<env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com">'
    "<n1:username>integration@orderbridge.example</n1:username>"
    "<n1:password>sandbox-passwordsandbox-security-token</n1:password>"
    "</n1:login></env:Body></env:Envelope>"
)


@pytest.fixture
def api(sandbox_session):
    reply = sandbox_session.post(LOGIN, data=ENVELOPE, headers={"SOAPAction": "login"})
    token = reply.text.split("<sessionId>")[1].split("</sessionId>")[0]
    sandbox_session.headers["Authorization"] = f"Bearer {token}"
    return sandbox_session


def test_soql_subset_parses_quoted_values_subqueries_and_order():
    query = parse(
        "SELECT Id, Parent.AccountNumber, (SELECT Id FROM OrderItems ORDER BY Line_Number__c) "
        "FROM Order WHERE Type = 'O\\'Brien' AND SystemModstamp >= 2026-01-01T00:00:00+00:00 "
        "AND Quantity IN (1, 2.5) ORDER BY SystemModstamp DESC, Id LIMIT 5"
    )
    assert query.sobject == "Order" and query.limit == 5
    assert query.where[0] == ("Type", "=", "O'Brien")
    assert query.children[0].sobject == "OrderItems"
    assert query.order_by == [("SystemModstamp", True), ("Id", False)]
    with pytest.raises(RequestError):
        parse("SELECT Id FROM Account WHERE Name LIKE 'x%'")


def test_unknown_fields_and_no_token_are_refused_as_salesforce_does(api, sandbox_session):
    reply = api.get(f"{API}/query/", params={"q": "SELECT Nope__c FROM Account"})
    assert reply.status_code == 400 and reply.json()[0]["errorCode"] == "INVALID_FIELD"
    assert reply.headers["Sforce-Limit-Info"].startswith("api-usage=")
    del api.headers["Authorization"]
    reply = api.get(f"{API}/limits/")
    assert reply.status_code == 401 and reply.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_collections_refuse_more_than_200_records(api):
    records = [
        {"attributes": {"type": "Account"}, "Orderbridge_Id__c": f"X{n}", "Name": "x"}
        for n in range(201)
    ]
    reply = api.patch(
        f"{API}/composite/sobjects/Account/Orderbridge_Id__c",
        json={"allOrNone": False, "records": records},
    )
    assert reply.status_code == 400 and reply.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_single_upsert_by_external_id_creates_then_updates(api):
    url = f"{API}/sobjects/Product2/Orderbridge_Id__c/NEW-1"
    assert api.patch(url, json={"Name": "One"}).status_code == 201
    second = api.patch(url, json={"Name": "One, renamed"})
    assert second.status_code == 200 and second.json()["created"] is False


def test_a_bulk_job_with_an_unknown_column_fails_whole(api):
    job = api.post(
        f"{API}/jobs/ingest",
        json={
            "object": "Product2",
            "operation": "upsert",
            "externalIdFieldName": "Orderbridge_Id__c",
        },
    ).json()
    upload = api.put(
        f"{API}/jobs/ingest/{job['id']}/batches",
        data="Orderbridge_Id__c,Bogus__c\nA,1\n",
        headers={"Content-Type": "text/csv"},
    )
    assert upload.status_code == 201
    api.patch(f"{API}/jobs/ingest/{job['id']}", json={"state": "UploadComplete"})
    info = api.get(f"{API}/jobs/ingest/{job['id']}").json()
    assert info["state"] == "Failed" and "Bogus__c" in info["errorMessage"]
    rows = api.get(f"{API}/jobs/ingest/{job['id']}/unprocessedrecords").text.splitlines()
    assert rows == ['"Orderbridge_Id__c","Bogus__c"', '"A","1"']
