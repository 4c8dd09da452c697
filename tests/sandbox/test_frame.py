"""The adapter carries real requests to in-process simulators and back, unmodified."""

from __future__ import annotations

import re

import pytest
import requests
from zeep import Client, Settings
from zeep.exceptions import TransportError
from zeep.transports import Transport

from sandbox import SandboxAdapter, Simulator
from tests.sandbox.conftest import ECHO_HOST, session_over

ECHO = f"https://{ECHO_HOST}"


def test_get_carries_path_query_and_headers(sandbox_session):
    response = sandbox_session.get(
        f"{ECHO}/v1/track/00731?locale=en_US&tag=a&tag=b", headers={"X-Trace": "t-1"}
    )
    seen = response.json()
    assert response.status_code == 200
    assert seen["method"] == "GET"
    assert seen["path"] == "/v1/track/00731"
    assert seen["query"] == {"locale": ["en_US"], "tag": ["a", "b"]}
    assert seen["headers"]["X_TRACE"] == "t-1"
    assert seen["headers"]["HOST"] == ECHO_HOST
    assert (seen["scheme"], seen["server_name"]) == ("https", ECHO_HOST)
    assert response.url == f"{ECHO}/v1/track/00731?locale=en_US&tag=a&tag=b"
    assert response.encoding == "utf-8"


def test_post_carries_json_and_form_bodies(sandbox_session):
    as_json = sandbox_session.post(f"{ECHO}/orders", json={"sku": "00731", "qty": 2}).json()
    assert as_json["content_type"] == "application/json"
    assert as_json["body"] == '{"sku": "00731", "qty": 2}'
    as_form = sandbox_session.post(f"{ECHO}/token", data={"grant_type": "client_credentials"})
    assert as_form.json()["content_type"] == "application/x-www-form-urlencoded"
    assert as_form.json()["body"] == "grant_type=client_credentials"


def test_streaming_and_content_encoding_work(sandbox_session):
    response = sandbox_session.get(f"{ECHO}/stream", stream=True)
    chunks = list(response.iter_content(chunk_size=4096))
    assert len(chunks) > 1
    assert b"".join(chunks) == b"".join(bytes([n % 256]) * 1000 for n in range(100))
    assert sandbox_session.get(f"{ECHO}/gzip").content == b"squeezed " * 100


def test_status_codes_cookies_and_redirects_reach_the_client(sandbox_session):
    teapot = sandbox_session.get(f"{ECHO}/status/418")
    assert (teapot.status_code, teapot.reason, teapot.text) == (418, "Whatever", "status body")
    with pytest.raises(requests.HTTPError):
        sandbox_session.get(f"{ECHO}/status/503").raise_for_status()
    sandbox_session.get(f"{ECHO}/login")
    assert sandbox_session.cookies.get("sid") == "abc123"
    assert "sid=abc123" in sandbox_session.get(f"{ECHO}/me").json()["headers"]["COOKIE"]
    landed = sandbox_session.get(f"{ECHO}/redirect")
    assert landed.json()["path"] == "/landed"
    assert landed.history[0].status_code == 302


def test_placeholders_answer_on_the_real_hosts(sandbox_session, sandbox_state):
    hosts = {
        "netsuite": "https://123456-sb1.suitetalk.api.netsuite.com/",
        "sap": "https://my300000-api.s4hana.cloud.sap/",
        "salesforce": "https://orderbridge-sandbox.my.salesforce.com/",
        "ups": "https://wwwcie.ups.com/",
        "fedex": "https://apis-sandbox.fedex.com/",
        "dhl": "https://api-test.dhl.com/",
        "threepl": "https://api.sandbox-3pl.example/",
    }
    for system, url in hosts.items():
        assert sandbox_session.get(url).json() == {"system": system, "status": "ok"}
    missing = sandbox_session.post("https://apis.fedex.com/track/v1/trackingnumbers")
    assert missing.status_code == 404
    calls = sandbox_state.stats()["systems"]["fedex"]["calls"]
    assert calls == {"GET /": 1, "POST /track/v1/trackingnumbers": 1}


@pytest.mark.parametrize(
    "url", ["https://example.com/", "https://suitetalk.api.netsuite.com.evil.example/"]
)
def test_an_unknown_host_is_refused_with_a_clear_error(sandbox_session, url):
    host = requests.utils.urlparse(url).hostname
    with pytest.raises(requests.ConnectionError, match=f"sandbox: no simulator serves host {host}"):
        sandbox_session.get(url)


def test_a_simulator_bug_is_a_500_not_a_crash(sandbox_state):
    def broken(environ, start_response):
        raise RuntimeError("bug")

    adapter = SandboxAdapter(
        sandbox_state, [Simulator("broken", ("broken.test",), lambda s: broken)]
    )
    response = session_over(adapter).get("https://broken.test/")
    assert response.status_code == 500


WSDL = """<?xml version="1.0"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:tns="urn:echo"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:echo">
  <types><xsd:schema targetNamespace="urn:echo" elementFormDefault="qualified">
    <xsd:element name="EchoRequest"><xsd:complexType><xsd:sequence>
      <xsd:element name="text" type="xsd:string"/></xsd:sequence></xsd:complexType></xsd:element>
    <xsd:element name="EchoResponse"><xsd:complexType><xsd:sequence>
      <xsd:element name="text" type="xsd:string"/></xsd:sequence></xsd:complexType></xsd:element>
  </xsd:schema></types>
  <message name="EchoIn"><part name="parameters" element="tns:EchoRequest"/></message>
  <message name="EchoOut"><part name="parameters" element="tns:EchoResponse"/></message>
  <portType name="EchoPort"><operation name="echo">
    <input message="tns:EchoIn"/><output message="tns:EchoOut"/></operation></portType>
  <binding name="EchoBinding" type="tns:EchoPort">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="echo"><soap:operation soapAction="urn:echo#echo"/>
      <input><soap:body use="literal"/></input><output><soap:body use="literal"/></output>
    </operation></binding>
  <service name="EchoService"><port name="EchoPort" binding="tns:EchoBinding">
    <soap:address location="https://soap.sandbox.test/echo"/></port></service>
</definitions>"""

ENVELOPE = """<?xml version="1.0"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<EchoResponse xmlns="urn:echo"><text>{}</text></EchoResponse></soap:Body></soap:Envelope>"""


def soap_app(environ, start_response):
    if environ["REQUEST_METHOD"] == "GET":
        start_response("200 OK", [("Content-Type", "text/xml")])
        return [WSDL.encode()]
    body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])).decode()
    text = re.search(r"<(?:\w+:)?text>(.*?)</(?:\w+:)?text>", body).group(1)
    start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
    return [ENVELOPE.format(text.upper()).encode()]


def test_zeep_runs_unmodified_over_the_adapter(sandbox_state):
    simulator = Simulator("soapecho", ("soap.sandbox.test",), lambda state: soap_app)
    session = session_over(SandboxAdapter(sandbox_state, [simulator]))
    settings = Settings(strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    client = Client(
        "https://soap.sandbox.test/echo?wsdl",
        transport=Transport(session=session, operation_timeout=5),
        settings=settings,
    )
    assert client.service.echo(text="hello") == "HELLO"

    sandbox_state.set_fault("soapecho", "server_error", operation="search")
    assert client.service.echo(text="still fine") == "STILL FINE"
    sandbox_state.set_fault("soapecho", "server_error", operation="echo", status=502)
    with pytest.raises(TransportError) as raised:
        client.service.echo(text="x")
    assert raised.value.status_code == 502
