"""The SAP SOAP simulator's WSGI app: WSDL at the endpoint, Basic logon, one reply per call.

Write operations keep the MessageHeader UUIDs they processed (in the state's meta) and answer a
resend with the original reply, creating nothing twice, as SAP's idempotent services do.
Protocol faults it applies itself (set with `state.set_fault("sap", kind, **params)`, each
optionally limited to `operation=<name>` and `times=N`):

- logon_failed                  HTTP 401 with the ICM's HTML logon page
- session_expired               soap-env:Server fault (the SRT session is gone; retry helps)
- partial     keys=[...]        the write of a matching order (PURCH_NO_C, document or
                                MessageHeader ID) is refused with BAPI RETURN type E
- warning     message=...       a type W message is added to every matching write
- doctype | external_entity (target=file:///...) | truncated | html_200
              after=true        a hostile reply; with after=true the call is carried out
                                first (the reply is "lost"), else nothing is written
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from typing import Any

from sandbox.sap import data, ops, soap
from sandbox.sap.wsdl import PATH, render
from sandbox.state import SandboxState

SYSTEM = "sap"
# The sandbox's published test credentials (the same as the embedded default settings).
CREDENTIALS = {"username": "SANDBOX_USER", "password": "sandbox-password"}
HOSTILE = ("doctype", "external_entity", "truncated", "html_200")
WRITES = ("BAPI_SALESORDER_CREATEFROMDAT2", "BAPI_SALESORDER_CHANGE")


def _send(
    start_response: Callable,
    status: str,
    body: bytes,
    content_type: str,
    headers: list | None = None,
) -> list[bytes]:
    start_response(
        status,
        [("Content-Type", content_type), ("Content-Length", str(len(body)))] + (headers or []),
    )
    return [body]


def _authorised(state: SandboxState, environ: dict[str, Any]) -> bool:
    header = environ.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    expected = state.meta_get(SYSTEM, "credentials", CREDENTIALS)
    return user == expected["username"] and password == expected["password"]


def _logon_failed(start_response: Callable) -> list[bytes]:
    realm = [("WWW-Authenticate", 'Basic realm="SAP NetWeaver Application Server [S4H/100]"')]
    return _send(start_response, "401 Unauthorized", soap.logon_page(), "text/html", realm)


def _record_key(operation: str, params: dict[str, Any]) -> set[str]:
    header = params.get("MessageHeader") or {}
    keys = {header.get("ID", "")}
    if operation == "BAPI_SALESORDER_CHANGE":
        keys.add(params.get("SALESDOCUMENT", ""))
    else:
        keys.add((params.get("ORDER_HEADER_IN") or {}).get("PURCH_NO_C", ""))
    return keys - {""}


class SapApp:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO") or "/"
        if path != PATH:
            self.state.count_call(SYSTEM, f"{method} {path}")
            page = b"<html><body><h1>404 Resource not found</h1></body></html>"
            return _send(start_response, "404 Not Found", page, "text/html")
        if method == "GET" and "wsdl" in environ.get("QUERY_STRING", "").lower():
            self.state.count_call(SYSTEM, "GET wsdl")
            if not _authorised(self.state, environ):
                return _logon_failed(start_response)
            host = environ.get("HTTP_HOST", "localhost")
            # On loopback the frame mounts us under /sap: the address must say so.
            base = f"{environ['wsgi.url_scheme']}://{host}{environ.get('SCRIPT_NAME', '')}"
            return _send(start_response, "200 OK", render(base).encode(), "text/xml; charset=utf-8")
        if method != "POST":
            return _send(start_response, "405 Method Not Allowed", b"", "text/plain")
        return self._post(environ, start_response)

    def _faults(self, operation: str) -> list[tuple[str, dict[str, Any]]]:
        active = []
        for fault in self.state.get_faults(SYSTEM):
            params = fault["params"]
            if params.get("operation") not in (None, operation):
                continue
            active.append((fault["id"], fault["kind"], params))
        return active

    def _take(self, operation: str, kinds: Iterable[str]) -> tuple[str, dict[str, Any]] | None:
        for fault_id, kind, params in self._faults(operation):
            if kind in kinds and self.state.consume_fault(fault_id):
                self.state.count_call(SYSTEM, f"fault:{kind}")
                return kind, params
        return None

    def _post(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        if not _authorised(self.state, environ):
            self.state.count_call(SYSTEM, "POST logon_failed")
            return _logon_failed(start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            operation, params = soap.parse_request(environ["wsgi.input"].read(length))
        except soap.BadRequestError as exc:
            self.state.count_call(SYSTEM, "POST bad_request")
            body = soap.fault("Client", f"Deserialization failed: {exc}")
            return _send(start_response, "500 Internal Server Error", body, "text/xml")
        self.state.count_call(SYSTEM, operation)
        if self._take(operation, ("logon_failed",)):
            return _logon_failed(start_response)
        if self._take(operation, ("session_expired",)):
            body = soap.fault("Server", "SRT Framework exception: the session has expired")
            return _send(start_response, "500 Internal Server Error", body, "text/xml")
        hostile = self._take(operation, HOSTILE)
        if hostile and not hostile[1].get("after"):
            empty = soap.response(operation, {})
            return _send(start_response, *soap.hostile(hostile[0], empty, hostile[1]))
        reply = self._answer(operation, params)
        if hostile:
            return _send(start_response, *soap.hostile(hostile[0], reply, hostile[1]))
        return _send(start_response, "200 OK", reply, "text/xml; charset=utf-8")

    def _answer(self, operation: str, params: dict[str, Any]) -> bytes:
        if operation not in WRITES:
            return soap.response(operation, ops.read(self.state, operation, params))
        testing = params.get("TESTRUN") == "X" or params.get("SIMULATION") == "X"
        uuid = (params.get("MessageHeader") or {}).get("UUID", "")
        if uuid and not testing:
            kept = self.state.meta_get(SYSTEM, f"uuid:{uuid.lower()}")
            if kept is not None:
                self.state.count_call(SYSTEM, "idempotent_replay")
                return kept.encode()
        reply = soap.response(operation, self._write(operation, params))
        if uuid and not testing:
            self.state.meta_set(SYSTEM, f"uuid:{uuid.lower()}", reply.decode())
        return reply

    def _write(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        partial = next(
            (
                p
                for fid, kind, p in self._faults(operation)
                if kind == "partial"
                and (not p.get("keys") or set(p["keys"]) & _record_key(operation, params))
                and self.state.consume_fault(fid)
            ),
            None,
        )
        if partial is not None:
            self.state.count_call(SYSTEM, "fault:partial")
            text = partial.get("message", "Order refused by the sandbox (partial batch fault)")
            return {
                "MessageHeader": params.get("MessageHeader"),
                "RETURN": [ops.message("E", "V4", "219", text)],
            }
        warning = self._take(operation, ("warning",))
        if operation == "BAPI_SALESORDER_CREATEFROMDAT2":
            values = ops.create(self.state, params)
        else:
            values = ops.change(self.state, params)
        if warning:
            text = warning[1].get("message", "Requested delivery date cannot be met")
            values["RETURN"].append(ops.message("W", "V1", "555", text))
        values["MessageHeader"] = params.get("MessageHeader")
        return values


def make_app(state: SandboxState) -> SapApp:
    return SapApp(state)


def on_reset(state: SandboxState) -> None:
    data.seed(state)
