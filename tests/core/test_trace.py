from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor

import requests
import responses

from core import http
from core.trace import Tracer, install_tracing, mask_xml


def _next(directory: str) -> int:
    return Tracer(directory).next_seq()


@responses.activate
def test_json_calls_are_traced_with_secrets_masked_keeping_shape(tmp_path):
    responses.post(
        "https://apis-sandbox.fedex.com/oauth/token",
        json={"access_token": "abc", "expires_in": 3599, "token_type": "bearer"},
    )
    install_tracing(tmp_path)
    try:
        session = http.new_session("fedex")
        session.post(
            "https://apis-sandbox.fedex.com/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "id", "client_secret": "s3cret"},
            headers={"Authorization": "Basic xyz"},
        )
    finally:
        http.clear_session_hooks()
    request = json.loads((tmp_path / "fedex-000001-request.json").read_text())
    response = json.loads((tmp_path / "fedex-000001-response.json").read_text())
    assert request["method"] == "POST"
    assert request["headers"]["authorization"] == "***"
    assert request["body"] == {
        "grant_type": "client_credentials",
        "client_id": "id",
        "client_secret": "***",
    }
    assert response["status"] == 200
    assert response["body"] == {"access_token": "***", "expires_in": 3599, "token_type": "bearer"}
    assert "s3cret" not in (tmp_path / "fedex-000001-request.json").read_text()


@responses.activate
def test_soap_calls_are_traced_as_xml_and_wsdl_downloads_are_not(tmp_path):
    url = "https://123456-sb1.suitetalk.api.netsuite.com/services/NetSuitePort_2025_2"
    responses.get(url + "?wsdl", body="<definitions/>")
    responses.post(url, body="<Envelope><ok/></Envelope>", content_type="text/xml")
    install_tracing(tmp_path)
    try:
        session = http.new_session("netsuite")
        session.get(url + "?wsdl")
        session.post(
            url,
            data=b"<tokenPassport><signature algorithm='HMAC-SHA256'>SIG"
            b"</signature><token>tok</token></tokenPassport>",
        )
    finally:
        http.clear_session_hooks()
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert names == [
        "netsuite-000001-meta.json",
        "netsuite-000001-request.xml",
        "netsuite-000001-response.xml",
    ]
    sent = (tmp_path / "netsuite-000001-request.xml").read_text()
    assert "SIG" not in sent and "tok<" not in sent and sent.count("***") == 2
    meta = json.loads((tmp_path / "netsuite-000001-meta.json").read_text())
    assert meta["status"] == 200 and meta["method"] == "POST"


def test_mask_xml_keeps_prefixed_elements_shape():
    text = '<ns1:password xmlns:ns1="urn:x">hunter2</ns1:password>'
    assert mask_xml(text) == '<ns1:password xmlns:ns1="urn:x">***</ns1:password>'


def test_sequence_numbers_are_unique_across_processes(tmp_path):
    with ProcessPoolExecutor(4) as pool:
        seqs = list(pool.map(_next, [str(tmp_path)] * 40))
    assert sorted(seqs) == list(range(1, 41))


def test_sessions_without_tracing_write_nothing(tmp_path):
    session = http.new_session("ups")
    assert isinstance(session, requests.Session)
    assert list(tmp_path.iterdir()) == []
