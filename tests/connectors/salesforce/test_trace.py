"""Every Salesforce call, logins included, is traced with its secrets masked."""

from __future__ import annotations

import json

import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from core import http
from core.trace import install_tracing

from .conftest import API, SOAP_LOGIN, soap_login_ok


def _texts(folder) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir()) if not p.name.startswith(".")}


@responses.activate
def test_soap_login_and_api_calls_are_traced_without_secrets(tmp_path, make_connector):
    responses.post(SOAP_LOGIN, body=soap_login_ok("00D!SECRET-SESSION"), content_type="text/xml")
    responses.get(f"{API}/limits/", json={}, headers={"Sforce-Limit-Info": "api-usage=5/100"})
    install_tracing(tmp_path / "trace")
    try:
        make_connector().check()
    finally:
        http.clear_session_hooks()
    files = _texts(tmp_path / "trace")
    assert sorted(files) == [
        "salesforce-000001-request.json",
        "salesforce-000001-response.json",
        "salesforce-000002-request.json",
        "salesforce-000002-response.json",
    ]
    everything = "".join(files.values())
    for secret in ("sandbox-password", "sandbox-security-token", "00D!SECRET-SESSION"):
        assert secret not in everything
    login = json.loads(files["salesforce-000001-request.json"])
    assert "<n1:password>***</n1:password>" in login["body"]
    call = json.loads(files["salesforce-000002-request.json"])
    assert call["headers"]["authorization"] == "***"
    reply = json.loads(files["salesforce-000002-response.json"])
    assert reply["headers"]["sforce-limit-info"] == "api-usage=5/100"


@responses.activate
def test_jwt_assertion_and_access_token_are_masked(tmp_path, make_connector):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    responses.post(
        "https://test.salesforce.com/services/oauth2/token",
        json={"access_token": "00D!JWT-TOKEN", "instance_url": "https://x.my.salesforce.com"},
    )
    responses.get("https://x.my.salesforce.com/services/data/v59.0/limits/", json={})
    install_tracing(tmp_path / "trace")
    try:
        make_connector(auth="jwt", private_key=pem).check()
    finally:
        http.clear_session_hooks()
    files = _texts(tmp_path / "trace")
    request = json.loads(files["salesforce-000001-request.json"])
    assert request["body"]["assertion"] == "***"
    assert request["body"]["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert "00D!JWT-TOKEN" not in "".join(files.values())
    assert "PRIVATE KEY" not in "".join(files.values())
