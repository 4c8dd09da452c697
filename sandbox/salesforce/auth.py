"""Logging in to the simulated org: SOAP login() and the OAuth 2.0 token endpoint.

Flows: SOAP login with password + security token; OAuth password, JWT bearer (signature
checked against `meta jwt_public_key` when a test sets one, claims always) and client
credentials (My Domain host only, client id and secret in Basic auth). Issued access tokens
are kept in meta; the `session_expiry` fault invalidates the token of the next matching call.
"""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import parse_qs

import jwt
from defusedxml import ElementTree

from sandbox.salesforce.schema import INSTANCE_HOST, INSTANCE_URL, ORG_ID, SYSTEM
from sandbox.state import SandboxState

# The sandbox's published test credentials (the same as config/default.yaml); a test may
# replace them with meta "credentials".
CREDENTIALS = {
    "username": "integration@orderbridge.example",
    "password": "sandbox-password",
    "security_token": "sandbox-security-token",
    "client_id": "sandbox-client-id",
    "client_secret": "sandbox-client-secret",
}
USER_ID = "0055e000000SBOXAAA"
_NS = "{urn:partner.soap.sforce.com}"
AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com", INSTANCE_URL)


class AuthError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def credentials(state: SandboxState) -> dict[str, str]:
    return {**CREDENTIALS, **(state.meta_get(SYSTEM, "credentials") or {})}


def issue_token(state: SandboxState) -> str:
    number = int(state.meta_get(SYSTEM, "token_seq", 0)) + 1
    state.meta_set(SYSTEM, "token_seq", number)
    token = f"{ORG_ID[:15]}!SANDBOX.{number:08d}"
    tokens = state.meta_get(SYSTEM, "tokens", [])
    state.meta_set(SYSTEM, "tokens", [*tokens[-50:], token])
    return token


def token_valid(state: SandboxState, token: str) -> bool:
    return token in state.meta_get(SYSTEM, "tokens", [])


def revoke(state: SandboxState, token: str) -> None:
    tokens = state.meta_get(SYSTEM, "tokens", [])
    state.meta_set(SYSTEM, "tokens", [t for t in tokens if t != token])


def soap_login(state: SandboxState, body: bytes, version: str) -> str:
    """The loginResponse XML for a valid login() envelope; raises AuthError."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise AuthError("INVALID_LOGIN", f"unreadable envelope: {exc}") from None
    username = root.findtext(f".//{_NS}username") or ""
    password = root.findtext(f".//{_NS}password") or ""
    known = credentials(state)
    if username != known["username"] or password != known["password"] + known["security_token"]:
        raise AuthError(
            "INVALID_LOGIN", "Invalid username, password, security token; or user locked out."
        )
    token = issue_token(state)
    server = f"{INSTANCE_URL}/services/Soap/u/{version}/{ORG_ID[:15]}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns="urn:partner.soap.sforce.com"><soapenv:Body><loginResponse><result>'
        f"<metadataServerUrl>{INSTANCE_URL}/services/Soap/m/{version}/{ORG_ID[:15]}"
        "</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>true</sandbox>"
        f"<serverUrl>{server}</serverUrl><sessionId>{token}</sessionId>"
        f"<userId>{USER_ID}</userId></result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )


def soap_fault(error: AuthError) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>sf:{error.code}</faultcode><faultstring>{error.code}: {error.message}"
        f"</faultstring><detail><sf:LoginFault><sf:exceptionCode>{error.code}"
        f"</sf:exceptionCode><sf:exceptionMessage>{error.message}</sf:exceptionMessage>"
        "</sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )


def oauth_token(state: SandboxState, environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    """The token reply for a grant; raises AuthError with the OAuth error code."""
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8")).items()}
    grant = form.get("grant_type", "")
    known = credentials(state)
    if grant == "password":
        if (
            form.get("client_id") != known["client_id"]
            or form.get("client_secret") != known["client_secret"]
        ):
            raise AuthError("invalid_client_id", "client identifier invalid")
        if form.get("username") != known["username"] or form.get("password") not in (
            known["password"],
            known["password"] + known["security_token"],
        ):
            raise AuthError("invalid_grant", "authentication failure")
    elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
        _check_assertion(state, form.get("assertion", ""), known)
    elif grant == "client_credentials":
        if environ.get("SERVER_NAME") != INSTANCE_HOST:
            raise AuthError("invalid_grant", "request not supported on this domain")
        if _basic(environ) != (known["client_id"], known["client_secret"]):
            raise AuthError("invalid_client", "invalid client credentials")
    else:
        raise AuthError("unsupported_grant_type", "grant type not supported")
    return {
        "access_token": issue_token(state),
        "instance_url": INSTANCE_URL,
        "id": f"https://login.salesforce.com/id/{ORG_ID}/{USER_ID}",
        "token_type": "Bearer",
        "issued_at": str(int(time.time() * 1000)),
        "signature": "c2FuZGJveA==",
    }


def _basic(environ: dict[str, Any]) -> tuple[str, str] | None:
    header = environ.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Basic "):
        return None
    try:
        user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    return user, secret


def _check_assertion(state: SandboxState, assertion: str, known: dict[str, str]) -> None:
    public_key = state.meta_get(SYSTEM, "jwt_public_key")
    try:
        claims = jwt.decode(
            assertion,
            public_key or "",
            algorithms=["RS256"],
            audience=list(AUDIENCES),
            options={
                "verify_signature": bool(public_key),
                "verify_exp": True,
                "verify_aud": True,
                "require": ["exp", "iss", "sub"],
            },
        )
    except jwt.InvalidTokenError as exc:
        raise AuthError("invalid_grant", f"invalid assertion: {exc}") from None
    if claims.get("iss") != known["client_id"]:
        raise AuthError("invalid_client_id", "client identifier invalid")
    if claims.get("sub") != known["username"]:
        raise AuthError("invalid_grant", "user hasn't approved this consumer")
