"""The Salesforce wire protocol through simple-salesforce: login, SOQL pages, writes, Bulk 2.0.

The only module that imports simple_salesforce (and requests) for Salesforce. Every call goes
through `call`, which logs in when needed, re-authenticates once on INVALID_SESSION_ID, retries
classified transient failures with the shared policy, and turns library errors into ours.

A response hook on the session sees every reply, login included: it counts calls (logins
apart), reads Sforce-Limit-Info, and classifies throttling and server failures before the
library maps them to its own exceptions (it raises a quota 403 like a permission error).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import requests
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.bulk2 import _Bulk2Client
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceOperationError,
    SalesforceRefusedRequest,
)
from simple_salesforce.format import format_soql

from connectors.salesforce.errors import QuotaExhaustedError
from connectors.salesforce.limits import ApiUsage
from connectors.salesforce.options import KEY, SalesforceOptions
from connectors.salesforce.records import to_json
from core.errors import ConfigError, RecordRejectedError, TransientError
from core.retry import CircuitBreaker, RetryPolicy, breaker_for, call_with_retry

log = logging.getLogger(__name__)
SYSTEM = "salesforce"
T = TypeVar("T")

AUTH_PATHS = ("/services/oauth2/token", "/services/Soap/u/")
TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})
BULK_DONE = frozenset({"JobComplete", "Failed", "Aborted"})
BULK_POLL_CAP_SECONDS = 10.0

AUTH_HINTS = {
    "password": "check the username, password and security token (reset it in Salesforce "
    "under My Settings > Reset My Security Token)",
    "jwt": "check client_id (the connected app's consumer key), that the app holds the "
    "certificate of private_key, and that the user is pre-authorized for the app",
    "client_credentials": "check client_id and client_secret and that the connected app has "
    "the client credentials flow enabled with a Run As user",
}


class _QuotaHit(Exception):
    """The daily quota is spent. Not a TransientError, so call_with_retry lets it pass."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _SessionExpired(Exception):
    """A call got 401 INVALID_SESSION_ID."""


def _error_body(response: requests.Response) -> tuple[str, str]:
    """(errorCode, message) of a REST error reply: a list of {message, errorCode}."""
    try:
        body = response.json()
    except ValueError:
        return "", response.text[:300]
    first = body[0] if isinstance(body, list) and body else body
    if isinstance(first, dict):
        return str(first.get("errorCode") or first.get("error") or ""), str(
            first.get("message") or first.get("error_description") or ""
        )
    return "", str(body)[:300]


def _content_error(exc: SalesforceError) -> tuple[str, str]:
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode", "")), str(content[0].get("message", ""))
    if isinstance(content, dict):
        return str(content.get("errorCode", "")), str(content.get("message", ""))
    return "", str(content)[:300]


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value else None
    except ValueError:
        return None


@dataclass
class BulkOutcome:
    """A finished Bulk API 2.0 ingest job: its final info and its three result sets."""

    job: dict[str, Any]
    successful: str
    failed: str
    unprocessed: str


class SalesforceClient:
    """One authenticated conversation with one org, on a session from core.http."""

    def __init__(
        self,
        options: SalesforceOptions,
        session: requests.Session,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        policy: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.options = options
        self.session = session
        self.usage = ApiUsage(pause_share=options.quota_pause_share)
        self.api_calls = 0
        self.auth_calls = 0
        self._sleep = sleep
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._breaker = breaker or breaker_for(SYSTEM)
        self._sf: Salesforce | None = None
        session.hooks["response"].append(self._on_response)

    # ------------------------------------------------------------ every reply

    def _on_response(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        url = response.request.url or ""
        if any(path in url for path in AUTH_PATHS):
            self.auth_calls += 1
        else:
            self.api_calls += 1
        self.usage.observe(response.headers.get("Sforce-Limit-Info"))
        status = response.status_code
        if status == 403:
            code, message = _error_body(response)
            if code == "REQUEST_LIMIT_EXCEEDED":
                self._raise_limit(message, response)
        if status in TRANSIENT_STATUS and not self._is_soap_fault(response):
            raise TransientError(
                f"HTTP {status} from {response.request.method} {response.request.path_url}",
                system=SYSTEM,
                retry_after=_retry_after(response),
                error_class="rate_limit" if status == 429 else "connection",
            )

    def _raise_limit(self, message: str, response: requests.Response) -> None:
        if "TotalRequests" in message or not message:
            park = _retry_after(response) or self.options.quota_park_seconds
            raise _QuotaHit(message or "TotalRequests Limit exceeded.", park)
        # ConcurrentRequests and the like: too many long calls right now, not the daily quota.
        raise TransientError(
            f"REQUEST_LIMIT_EXCEEDED: {message}",
            system=SYSTEM,
            retry_after=_retry_after(response),
            error_class="rate_limit",
        )

    @staticmethod
    def _is_soap_fault(response: requests.Response) -> bool:
        # A failed SOAP login answers HTTP 500 with a fault naming why (INVALID_LOGIN, ...).
        return "xml" in response.headers.get("Content-Type", "") and b"faultcode" in (
            response.content or b""
        )

    # ------------------------------------------------------------ calls

    def call(self, fn: Callable[[Salesforce], T], what: str) -> T:
        """Run fn(sf) with login, one re-auth on expiry, retries, and our errors."""
        try:
            return call_with_retry(
                lambda: self._attempt(fn, what),
                system=SYSTEM,
                policy=self._policy,
                breaker=self._breaker,
                sleep=self._sleep,
                clock=self._clock,
            )
        except _QuotaHit as hit:
            raise QuotaExhaustedError(
                f"API quota exhausted during {what}: {hit}",
                key=f"{KEY}.quota_park_seconds",
                retry_after=hit.retry_after,
            ) from None

    def _attempt(self, fn: Callable[[Salesforce], T], what: str) -> T:
        sf = self._connected()
        try:
            return self._translated(fn, sf, what)
        except _SessionExpired:
            log.info("salesforce session expired during %s; logging in again", what)
            self._sf = None
            try:
                return self._translated(fn, self._connected(), what)
            except _SessionExpired:
                raise ConfigError(
                    "the session was refused right after a fresh login",
                    system=SYSTEM,
                    key=f"{KEY}.username",
                    hint="check the integration user's session settings (lock sessions to "
                    "IP, timeout) and login IP ranges",
                ) from None

    def _translated(self, fn: Callable[[Salesforce], T], sf: Salesforce, what: str) -> T:
        try:
            return fn(sf)
        except SalesforceExpiredSession as exc:
            code, message = _content_error(exc)
            if code == "INVALID_SESSION_ID" or not code:
                raise _SessionExpired(message) from None
            raise ConfigError(message or str(exc), system=SYSTEM, key=what) from None
        except SalesforceRefusedRequest as exc:
            code, message = _content_error(exc)
            raise ConfigError(
                f"{code or 'refused'}: {message}",
                system=SYSTEM,
                key=what,
                hint="grant the integration user's profile or permission set 'API Enabled' "
                "and read/edit access to the object and its fields",
            ) from None
        except SalesforceAuthenticationFailed as exc:
            raise self._auth_error(exc) from None
        except SalesforceOperationError as exc:
            raise TransientError(str(exc), system=SYSTEM, key=what) from None
        except SalesforceError as exc:
            code, message = _content_error(exc)
            if exc.status in TRANSIENT_STATUS:
                raise TransientError(message, system=SYSTEM, key=what) from None
            raise RecordRejectedError(
                f"{code or exc.status}: {message}", code=code or str(exc.status), system=SYSTEM
            ) from None
        except requests.RequestException as exc:
            raise TransientError(
                f"{type(exc).__name__} during {what}", system=SYSTEM, key=what
            ) from None

    def _auth_error(self, exc: SalesforceAuthenticationFailed) -> Exception:
        if isinstance(exc.code, int) and exc.code in TRANSIENT_STATUS:
            return TransientError(f"login failed with HTTP {exc.code}", system=SYSTEM)
        return ConfigError(
            f"login refused ({exc.code}): {exc.auth_message}",
            system=SYSTEM,
            key=f"{KEY}.auth",
            hint=AUTH_HINTS[self.options.auth],
        )

    # ------------------------------------------------------------ login

    def _connected(self) -> Salesforce:
        if self._sf is None:
            self._sf = self.login()
        return self._sf

    def login(self) -> Salesforce:
        """Log in by the configured flow; a fresh session id for every call after."""
        o = self.options
        try:
            if o.auth == "password":
                session_id, instance = SalesforceLogin(
                    username=o.username,
                    password=o.password,
                    security_token=o.security_token,
                    domain=o.domain,
                    sf_version=o.api_version,
                    session=self.session,
                )
            elif o.auth == "jwt":
                session_id, instance = SalesforceLogin(
                    username=o.username,
                    consumer_key=o.client_id,
                    privatekey=o.private_key,
                    domain=o.domain,
                    session=self.session,
                )
            else:
                session_id, instance = SalesforceLogin(
                    consumer_key=o.client_id,
                    consumer_secret=o.client_secret,
                    domain=o.my_domain,
                    session=self.session,
                )
        except SalesforceAuthenticationFailed as exc:
            raise self._auth_error(exc) from None
        except requests.RequestException as exc:
            raise TransientError(f"{type(exc).__name__} during login", system=SYSTEM) from None
        except ValueError as exc:  # an unreadable private key
            raise ConfigError(
                f"cannot sign the JWT: {exc}",
                system=SYSTEM,
                key=f"{KEY}.private_key",
                hint="set it to the PEM text of the connected app's RSA private key",
            ) from None
        return Salesforce(
            session_id=session_id,
            instance=instance,
            session=self.session,
            version=o.api_version,
            parse_float=Decimal,
        )

    # ------------------------------------------------------------ reads

    @staticmethod
    def soql(template: str, *args: Any, **kwargs: Any) -> str:
        """A SOQL statement with every value quoted by the library ({:literal} for names)."""
        return format_soql(template, *args, **kwargs)

    def query_pages(self, soql: str) -> Iterator[list[dict[str, Any]]]:
        """The pages of a query, fetched one at a time by nextRecordsUrl."""
        headers = {"Sforce-Query-Options": f"batchSize={self.options.query_batch_size}"}
        page = self._read(lambda sf: sf.query(soql, headers=headers), "query")
        while True:
            yield page.get("records") or []
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                return
            page = self.query_more(page["nextRecordsUrl"])

    def query_more(self, next_url: str) -> dict[str, Any]:
        headers = {"Sforce-Query-Options": f"batchSize={self.options.query_batch_size}"}
        return self._read(
            lambda sf: sf.query_more(next_url, identifier_is_url=True, headers=headers),
            "query_more",
        )

    def _read(self, fn: Callable[[Salesforce], T], what: str) -> T:
        try:
            return self.call(fn, what)
        except RecordRejectedError as exc:
            raise ConfigError(
                exc.message,
                system=SYSTEM,
                key=what,
                hint="the org lacks a field or object this query reads; see the Salesforce "
                "section of the README for the fields Orderbridge expects",
            ) from None

    def limits(self) -> dict[str, Any]:
        return self.call(lambda sf: sf.limits(), "limits")

    # ------------------------------------------------------------ writes

    def collection_upsert(
        self, sobject: str, ext_field: str, rows: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Upsert up to 200 rows by External ID, allOrNone false: a result per row."""
        body = to_json({"allOrNone": False, "records": [_typed(sobject, r) for r in rows]})
        path = f"composite/sobjects/{sobject}/{ext_field}"
        return self.call(lambda sf: sf.restful(path, method="PATCH", data=body), "collections")

    def collection_update(self, sobject: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Update up to 200 rows by their Salesforce Id, allOrNone false."""
        body = to_json({"allOrNone": False, "records": [_typed(sobject, r) for r in rows]})
        return self.call(
            lambda sf: sf.restful("composite/sobjects", method="PATCH", data=body), "collections"
        )

    def bulk_ingest(
        self, sobject: str, operation: str, csv_text: str, ext_field: str | None = None
    ) -> BulkOutcome:
        """Create, upload, close, poll and read back one Bulk API 2.0 ingest job."""
        job = self.call(
            lambda sf: _bulk(sf, sobject).create_job(operation, external_id_field=ext_field),
            "bulk create",
        )
        job_id = job["id"]
        try:
            self.call(lambda sf: _bulk(sf, sobject).upload_job_data(job_id, csv_text), "upload")
            self.call(lambda sf: _bulk(sf, sobject).close_job(job_id), "bulk close")
        except Exception:
            self._abort_quietly(sobject, job_id)
            raise
        info = self._wait_for_job(sobject, job_id)
        outcome = BulkOutcome(info, self._results(sobject, job_id, "successfulResults"), "", "")
        if int(info.get("numberRecordsFailed") or 0) or info.get("state") != "JobComplete":
            outcome.failed = self._results(sobject, job_id, "failedResults")
        if info.get("state") != "JobComplete":
            outcome.unprocessed = self._results(sobject, job_id, "unprocessedrecords")
        return outcome

    def _results(self, sobject: str, job_id: str, kind: str) -> str:
        return self.call(lambda sf: _bulk(sf, sobject).get_ingest_results(job_id, kind), kind)

    def _wait_for_job(self, sobject: str, job_id: str) -> dict[str, Any]:
        """Poll the job with a doubling delay; no wait before the first poll."""
        deadline = self._clock() + self.options.bulk_timeout_seconds
        delay = self.options.bulk_poll_seconds
        while True:
            info = self.call(lambda sf: _bulk(sf, sobject).get_job(job_id, False), "bulk poll")
            if info.get("state") in BULK_DONE:
                return info
            if self._clock() + delay > deadline:
                raise TransientError(
                    f"bulk job {job_id} still {info.get('state')} after "
                    f"{self.options.bulk_timeout_seconds:.0f}s",
                    system=SYSTEM,
                    key=f"{KEY}.bulk_timeout_seconds",
                    hint="the job keeps running in Salesforce; the next run writes again",
                )
            self._sleep(delay)
            delay = min(delay * 2, BULK_POLL_CAP_SECONDS)

    def _abort_quietly(self, sobject: str, job_id: str) -> None:
        try:
            self.call(lambda sf: _bulk(sf, sobject).abort_job(job_id, False), "bulk abort")
        except (TransientError, ConfigError, RecordRejectedError):
            log.warning("could not abort bulk job %s", job_id)


def _typed(sobject: str, row: dict[str, Any]) -> dict[str, Any]:
    return {"attributes": {"type": sobject}, **row}


def _bulk(sf: Salesforce, sobject: str) -> _Bulk2Client:
    # simple-salesforce (pinned 1.12.10) exposes Bulk 2.0 ingest only as one call that sleeps
    # between polls; its job client gives the separate steps, so we poll on our own schedule.
    return _Bulk2Client(sobject, sf.bulk2_url, dict(sf.headers), sf.session)
