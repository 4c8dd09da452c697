"""The Salesforce simulator's WSGI app: login, REST API (SOQL, upserts, Collections), Bulk 2.0.

Every authenticated reply carries `Sforce-Limit-Info: api-usage=<used>/<max>` (meta
api_usage, api_max; default max 15000). Once usage reaches max, calls get Salesforce's quota
answer, HTTP 403 REQUEST_LIMIT_EXCEEDED. Protocol faults set with state.set_fault:

- session_expiry                   the token of the next call is revoked: 401 INVALID_SESSION_ID
- quota_exceeded                   403 REQUEST_LIMIT_EXCEEDED, as if the daily quota were spent
- partial_failure  external_ids=[] or every=N [code=STATUS message=TEXT]
                                   those records (or every Nth of a batch) fail alone with
                                   FIELD_CUSTOM_VALIDATION_EXCEPTION (or code, e.g.
                                   UNABLE_TO_LOCK_ROW, a lock held by another writer);
                                   Collections and Bulk jobs
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from sandbox.salesforce import auth
from sandbox.salesforce.bulk import RESULT_SETS, Bulk, BulkError, Planted, planted_error
from sandbox.salesforce.schema import INSTANCE_HOST, SYSTEM, record_id
from sandbox.salesforce.soql import Runner, parse
from sandbox.salesforce.store import Outcome, RequestError, Store, error
from sandbox.state import SandboxState

DEFAULT_API_MAX = 15000
MAX_COLLECTION = 200
_DATA = re.compile(r"^/services/data/v(\d+\.\d)/(.*?)/?$")
_BATCH = re.compile(r"batchSize=(\d+)")

Reply = tuple[int, Any, list[tuple[str, str]]]


def _reply(start_response: Callable[..., Any], status: int, body: Any, headers: list) -> list:
    if isinstance(body, bytes | str):
        data = body.encode() if isinstance(body, str) else body
        kind = "text/xml; charset=UTF-8" if data.startswith(b"<?xml") else "text/csv"
    else:
        data, kind = (b"", "") if body is None else (json.dumps(body).encode(), "application/json")
    base = [("Content-Length", str(len(data)))] + ([("Content-Type", kind)] if kind else [])
    start_response(f"{status} {HTTPStatus(status).phrase}", base + headers)
    return [data]


class SalesforceApp:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.store = Store(state)
        self.bulk = Bulk(state, self.store)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable:
        status, body, headers = self.handle(environ)
        return _reply(start_response, status, body, headers)

    def count(self, operation: str, batch_size: int | None = None) -> None:
        self.state.count_call(SYSTEM, operation, batch_size)

    # ------------------------------------------------------------ dispatch

    def handle(self, environ: dict[str, Any]) -> Reply:
        path = environ.get("PATH_INFO") or "/"
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if path.startswith("/services/Soap/u/"):
            return self.soap_login(body, path.rsplit("/", 1)[-1])
        if path == "/services/oauth2/token":
            return self.oauth(environ, body)
        if path == "/" and environ["REQUEST_METHOD"] == "GET":
            return 200, {"system": SYSTEM, "status": "ok"}, []  # the frame's liveness probe
        match = _DATA.match(path)
        if match is None or environ.get("SERVER_NAME") != INSTANCE_HOST:
            return (
                404,
                [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}],
                [],
            )
        refused = self.gate(environ)
        if refused is not None:
            return refused
        version, rest = match.groups()
        try:
            status, reply = self.route(environ, version, rest, body)
        except (RequestError, BulkError) as exc:
            status, reply = exc.status, exc.body()
        return status, reply, [("Sforce-Limit-Info", self.limit_info())]

    def gate(self, environ: dict[str, Any]) -> Reply | None:
        """Token and quota checks every REST call passes before it does anything."""
        token = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
        expiry = self.take_fault("session_expiry")
        if expiry is not None:
            auth.revoke(self.state, token)
        if not auth.token_valid(self.state, token):
            self.count("rejected:invalid_session")
            return (
                401,
                [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
                [],
            )
        used, limit = self.usage()
        if self.take_fault("quota_exceeded") is not None or used >= limit:
            self.count("rejected:request_limit")
            body = [
                {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
            ]
            return 403, body, [("Sforce-Limit-Info", self.limit_info())]
        self.state.meta_set(SYSTEM, "api_usage", used + 1)
        return None

    def route(
        self, environ: dict[str, Any], version: str, rest: str, body: bytes
    ) -> tuple[int, Any]:
        method = environ["REQUEST_METHOD"]
        parts = rest.split("/")
        if method == "GET" and parts[0] == "query":
            if len(parts) == 1:
                query = parse_qs(environ.get("QUERY_STRING", "")).get("q", [""])[0]
                return 200, self.query(environ, version, query)
            return 200, self.query_more(version, parts[1])
        if method == "GET" and rest == "limits":
            self.count("limits")
            used, limit = self.usage()
            return 200, {"DailyApiRequests": {"Max": limit, "Remaining": max(0, limit - used)}}
        if method == "PATCH" and parts[:2] == ["composite", "sobjects"]:
            return self.collection(parts[2:], _json(body))
        if method == "PATCH" and parts[0] == "sobjects" and len(parts) == 4:
            return self.single_upsert(parts[1], parts[2], parts[3], _json(body))
        if parts[:2] == ["jobs", "ingest"]:
            return self.ingest(method, version, parts[2:], body)
        raise RequestError(404, "NOT_FOUND", "The requested resource does not exist")

    # ------------------------------------------------------------ auth and limits

    def soap_login(self, body: bytes, version: str) -> Reply:
        self.count("auth:soap_login")
        try:
            return 200, auth.soap_login(self.state, body, version), []
        except auth.AuthError as exc:
            return 500, auth.soap_fault(exc), []

    def oauth(self, environ: dict[str, Any], body: bytes) -> Reply:
        self.count("auth:oauth_token")
        try:
            return 200, auth.oauth_token(self.state, environ, body), []
        except auth.AuthError as exc:
            return 400, {"error": exc.code, "error_description": exc.message}, []

    def usage(self) -> tuple[int, int]:
        used = int(self.state.meta_get(SYSTEM, "api_usage", 0))
        return used, int(self.state.meta_get(SYSTEM, "api_max", DEFAULT_API_MAX))

    def limit_info(self) -> str:
        used, limit = self.usage()
        return f"api-usage={used}/{limit}"

    def take_fault(self, kind: str) -> dict[str, Any] | None:
        for fault in self.state.get_faults(SYSTEM):
            if fault["kind"] == kind and self.state.consume_fault(fault["id"]):
                self.count(f"fault:{kind}")
                return fault
        return None

    def planted(self) -> Planted | None:
        fault = self.take_fault("partial_failure")
        if fault is None:
            return None
        params = fault["params"]
        keys = set(params.get("external_ids") or [])
        every = int(params.get("every") or 0)
        code = params.get("code")
        planted = error(code, params.get("message") or code) if code else planted_error()

        def rule(position: int, key: str) -> dict[str, Any] | None:
            hit = key in keys or (every > 0 and (position + 1) % every == 0)
            return planted if hit else None

        return rule

    # ------------------------------------------------------------ SOQL

    def query(self, environ: dict[str, Any], version: str, text: str) -> dict[str, Any]:
        self.count("query")
        query = parse(text)
        runner = Runner(self.store, version)
        records = runner.matching(query)
        match = _BATCH.search(environ.get("HTTP_SFORCE_QUERY_OPTIONS", ""))
        batch = min(2000, max(200, int(match.group(1)))) if match else 2000
        locator = ""
        if len(records) > batch:
            number = int(self.state.meta_get(SYSTEM, "query_seq", 0)) + 1
            self.state.meta_set(SYSTEM, "query_seq", number)
            locator = f"01g{number:012d}AAA"
            ids = [r["internal_id"] for r in records]
            self.state.meta_set(SYSTEM, f"query:{locator}", {"q": text, "ids": ids, "batch": batch})
        return self._page(runner, query, records[:batch], len(records), locator, batch, version)

    def query_more(self, version: str, token: str) -> dict[str, Any]:
        self.count("query_more")
        locator, _, offset_text = token.partition("-")
        cursor = self.state.meta_get(SYSTEM, f"query:{locator}")
        if cursor is None or not offset_text.isdigit():
            raise RequestError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        offset, batch = int(offset_text), cursor["batch"]
        query = parse(cursor["q"])
        runner = Runner(self.store, version)
        records = []
        for internal in cursor["ids"][offset : offset + batch]:
            found = self.store.by_id(_sf_id(query.sobject, internal))
            if found is not None:
                records.append(found[1])
        total = len(cursor["ids"])
        return self._page(runner, query, records, total, locator, offset + batch, version)

    @staticmethod
    def _page(runner, query, records, total, locator, next_offset, version) -> dict[str, Any]:
        page: dict[str, Any] = {
            "totalSize": total,
            "done": next_offset >= total,
            "records": [runner.row(query, r) for r in records],
        }
        if not page["done"]:
            page["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{next_offset}"
        return page

    # ------------------------------------------------------------ REST writes

    def collection(self, target: list[str], body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise RequestError(400, "JSON_PARSER_ERROR", "expected {allOrNone, records}")
        records = body["records"]
        upsert = len(target) == 2
        self.count("collections_upsert" if upsert else "collections_update", len(records))
        if len(records) > MAX_COLLECTION:
            raise RequestError(
                400,
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than {MAX_COLLECTION} records "
                "into this call",
            )
        if upsert:
            self.store.check_external_field(target[0], target[1])
        planted = self.planted()
        outcomes = []
        for position, record in enumerate(records):
            if not isinstance(record, dict):
                raise RequestError(400, "JSON_PARSER_ERROR", "each record must be an object")
            kind = (record.get("attributes") or {}).get("type")
            if upsert and kind != target[0]:
                raise RequestError(
                    400, "INVALID_FIELD", "each record needs attributes.type " + target[0]
                )
            key = str(record.get(target[1]) if upsert else record.get("Id"))
            problem = planted(position, key) if planted else None
            if problem is not None:
                outcomes.append(Outcome(False, errors=[problem]))
            elif upsert:
                outcomes.append(self.store.upsert(target[0], target[1], record))
            else:
                outcomes.append(self.store.update(record))
        return 200, [o.as_json() for o in outcomes]

    def single_upsert(self, sobject: str, ext_field: str, value: str, body: Any) -> tuple[int, Any]:
        self.count("sobject_upsert")
        if not isinstance(body, dict):
            raise RequestError(400, "JSON_PARSER_ERROR", "expected a JSON object")
        outcome = self.store.upsert(sobject, ext_field, {**body, ext_field: value})
        if not outcome.ok:
            first = outcome.errors[0]
            return 400, [
                {
                    "message": first["message"],
                    "errorCode": first["statusCode"],
                    "fields": first["fields"],
                }
            ]
        return (201 if outcome.created else 200), outcome.as_json()

    # ------------------------------------------------------------ Bulk API 2.0

    def ingest(self, method: str, version: str, parts: list[str], body: bytes) -> tuple[int, Any]:
        if method == "POST" and not parts:
            self.count("bulk_create")
            return 200, self.bulk.create(_json(body) or {}, version)
        job_id = parts[0] if parts else ""
        if method == "PUT" and parts[1:] == ["batches"]:
            rows = self.bulk.upload(job_id, body.decode("utf-8"))
            self.count("bulk_upload", rows)
            return 201, None
        if method == "PATCH" and len(parts) == 1:
            self.count("bulk_close")
            wanted = (_json(body) or {}).get("state", "")
            return 200, self.bulk.set_state(job_id, wanted, self.planted())
        if method == "GET" and len(parts) == 1:
            self.count("bulk_poll")
            return 200, self.bulk.info(job_id)
        if method == "GET" and len(parts) == 2 and parts[1] in RESULT_SETS:
            self.count(f"bulk_{parts[1]}")
            return 200, self.bulk.results(job_id, parts[1])
        raise RequestError(404, "NOT_FOUND", "The requested resource does not exist")


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        raise RequestError(400, "JSON_PARSER_ERROR", "the body is not JSON") from None


def _sf_id(sobject: str, internal: str) -> str:
    return record_id(sobject, internal)
