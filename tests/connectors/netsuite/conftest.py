"""NetSuite connector fixtures: the WSDL bundle served over `responses`, reference replies, and
validation of every request body against the real NetSuite XSDs when ../shared/reference has them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses
from lxml import etree

from connectors.netsuite.connector import NetSuiteConnector, NetSuiteSettings
from core import http
from core.retry import RetryPolicy, breaker_for
from sandbox.netsuite import schema
from tests.conftest import REFERENCE

VERSION = "2023_2"  # the version of the reference XSDs, so request bodies can be validated
ENDPOINT = re.compile(r"https://123456-sb1\.suitetalk\.api\.netsuite\.com/services/NetSuitePort_.*")
REPLIES = REFERENCE / "netsuite" / "soap-responses-netsweet"
REAL_XSD = REFERENCE / "netsuite" / "wsdl-v2023_2" / "xsd"
SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"
_validator: etree.XMLSchema | None = None


def serve_bundle(mock: responses.RequestsMock, version: str = VERSION) -> None:
    mock.get(schema.wsdl_url(version), body=schema.render_wsdl(version))
    for prefix in schema.schemas():
        mock.get(schema.xsd_url(prefix, version), body=schema.render_xsd(prefix, version))


def real_validator() -> etree.XMLSchema | None:
    """One schema importing the real XSDs we send elements of (loaded once, ~1 s)."""
    global _validator
    if _validator is None and REAL_XSD.is_dir():
        files = ("platform.messages", "platform.common", "transactions.sales",
                 "transactions.customers", "lists.relationships", "lists.accounting")  # fmt: skip
        paths = [REAL_XSD / f"{f}.xsd" for f in files]
        imports = "".join(
            f'<xsd:import namespace="{etree.parse(str(p)).getroot().get("targetNamespace")}" '
            f'schemaLocation="{p.as_uri()}"/>'
            for p in paths
        )
        wrapper = f'<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">{imports}</xsd:schema>'
        _validator = etree.XMLSchema(etree.fromstring(wrapper.encode()))
    return _validator


def validate_request(body: bytes) -> None:
    """Every header and the body element of a SOAP request, each against the real XSDs."""
    validator = real_validator()
    assert validator is not None
    envelope = etree.fromstring(body)
    parts = list(envelope.find(f"{SOAP}Header")) + list(envelope.find(f"{SOAP}Body"))
    for part in parts:
        document = etree.ElementTree(etree.fromstring(etree.tostring(part)))
        if not validator.validate(document):
            raise AssertionError(f"{etree.QName(part).localname}: {validator.error_log}")


@pytest.fixture
def sent() -> Iterator[list[bytes]]:
    """Every SOAP request body sent during the test; validated against the real XSDs after it."""
    bodies: list[bytes] = []

    def hook(session, system):
        def on_response(response, *args, **kwargs):
            if system == "netsuite" and response.request.method == "POST":
                body = response.request.body
                bodies.append(body if isinstance(body, bytes) else body.encode())

        session.hooks["response"].append(on_response)

    http.add_session_hook(hook)
    yield bodies
    http.clear_session_hooks()
    if real_validator() is not None:
        for body in bodies:
            if b"_2023_2." in body:
                validate_request(body)


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as requests_mock:
        serve_bundle(requests_mock)
        yield requests_mock


@pytest.fixture
def make_connector(make_settings, sent):
    def make(**overrides) -> NetSuiteConnector:
        values = {"netsuite__wsdl_version": VERSION}
        values.update({f"connections__netsuite__{k}": v for k, v in overrides.items()})
        config = NetSuiteSettings.from_settings(make_settings(**values))
        breaker_for("netsuite").record_success()
        return NetSuiteConnector(config, retry=RetryPolicy(attempts=3), sleep=lambda s: None)

    return make


def reply(name: str) -> bytes:
    path = REPLIES / name
    if not path.exists():
        pytest.skip(f"reference reply {name} not found under {REPLIES}")
    return path.read_bytes()


def envelope(body: str, version: str = VERSION) -> bytes:
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
        f"{body}</soapenv:Body></soapenv:Envelope>"
    ).encode()


@pytest.fixture
def replies_dir(reference: Path) -> Path:
    return reference / "netsuite" / "soap-responses-netsweet"


def search_reply(records_xml: str, *, page: int = 1, pages: int = 1, total: int = 1,
                 version: str = VERSION, response: str = "searchResponse") -> bytes:  # fmt: skip
    return envelope(
        f'<{response} xmlns="urn:messages_{version}.platform.webservices.netsuite.com">'
        f'<c:searchResult xmlns:c="urn:core_{version}.platform.webservices.netsuite.com">'
        f'<c:status isSuccess="true"/><c:totalRecords>{total}</c:totalRecords>'
        f"<c:pageSize>2</c:pageSize><c:totalPages>{pages}</c:totalPages>"
        f"<c:pageIndex>{page}</c:pageIndex><c:searchId>SID-1</c:searchId>"
        f"<c:recordList>{records_xml}</c:recordList></c:searchResult></{response}>"
    )


def sales_order_xml(internal_id: str, number: str, version: str = VERSION) -> str:
    return (
        f'<c:record xmlns:s="urn:sales_{version}.transactions.webservices.netsuite.com" '
        f'internalId="{internal_id}" externalId="{number}" xsi:type="s:SalesOrder">'
        f'<s:entity internalId="7" externalId="C0001"><c:name>C0001</c:name></s:entity>'
        f'<s:currency internalId="1"><c:name>USD</c:name></s:currency>'
        f"<s:tranDate>2026-03-02T00:00:00.000-08:00</s:tranDate><s:tranId>{number}</s:tranId>"
        f"<s:orderStatus>_pendingFulfillment</s:orderStatus>"
        f'<s:shipAddressList internalId="11"><c:name>C0001-01</c:name></s:shipAddressList>'
        f'<s:shipMethod internalId="4"><c:name>UPS Ground</c:name></s:shipMethod>'
        f"<s:lastModifiedDate>2026-03-02T10:00:00.000-08:00</s:lastModifiedDate>"
        f'<s:terms internalId="2"><c:name>Net 30</c:name></s:terms>'
        f'<s:itemList><s:item><s:item internalId="99"><c:name>SKU-001</c:name></s:item>'
        f"<s:quantity>3.0</s:quantity><s:rate>12.50</s:rate><s:line>1</s:line>"
        f"<s:quantityFulfilled>1.0</s:quantityFulfilled></s:item></s:itemList></c:record>"
    )


def upsert_reply(outcomes: list[tuple[str, bool, str]], version: str = VERSION) -> bytes:
    """(externalId, success, code) per record."""
    items = []
    for external_id, ok, code in outcomes:
        detail = (
            ""
            if ok
            else f'<c:statusDetail type="ERROR"><c:code>{code}</c:code>'
            f"<c:message>{code} for {external_id}</c:message></c:statusDetail>"
        )
        items.append(
            f'<writeResponse><c:status isSuccess="{str(ok).lower()}">{detail}</c:status>'
            f'<baseRef internalId="{"9" if ok else ""}" externalId="{external_id}" '
            f'type="salesOrder" xsi:type="c:RecordRef"/></writeResponse>'
        )
    return envelope(
        f'<upsertListResponse xmlns="urn:messages_{version}.platform.webservices.netsuite.com" '
        f'xmlns:c="urn:core_{version}.platform.webservices.netsuite.com">'
        f"<writeResponseList>{''.join(items)}</writeResponseList></upsertListResponse>"
    )


def fault(kind: str, code: str, message: str = "fault") -> bytes:
    return envelope(
        "<soapenv:Fault><faultcode>soapenv:Server.userException</faultcode>"
        f"<faultstring>{message}</faultstring><detail>"
        f'<f:{kind} xmlns:f="urn:faults_{VERSION}.platform.webservices.netsuite.com">'
        f"<f:code>{code}</f:code><f:message>{message}</f:message></f:{kind}>"
        "</detail></soapenv:Fault>"
    )
