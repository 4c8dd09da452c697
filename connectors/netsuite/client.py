"""SuiteTalk SOAP over zeep: the one module that imports zeep.

zeep loads the local WSDL bundle once per process (strict, no DTD, no entities, no external
fetches) and serialises every request; replies come back raw and `replies` reads them without
zeep, so any namespace version parses and large search pages skip zeep's per-object cost.
Every call holds one of the account's concurrency slots and carries a fresh tokenPassport.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
import zeep
from lxml import etree
from zeep.exceptions import Error as ZeepError
from zeep.transports import Transport

from connectors.netsuite import auth, replies
from connectors.netsuite.faults import SYSTEM, ReplyError
from connectors.netsuite.slots import AccountSlots
from core import http
from core.errors import ConfigError, TransientError

log = logging.getLogger(__name__)

ZEEP_SETTINGS = zeep.Settings(
    strict=True,
    forbid_dtd=True,
    forbid_entities=True,
    forbid_external=True,
    raw_response=True,
    xml_huge_tree=False,
)
# Record and search types by the namespace (NAMESPACES key) that declares them.
TYPE_NAMESPACE = {
    "SalesOrder": "sales", "ItemFulfillment": "sales", "Invoice": "sales",
    "ReturnAuthorization": "customers", "Customer": "relationships",
    "InventoryItem": "accounting", "TransactionSearchBasic": "common",
    "CustomerSearchBasic": "common", "ItemSearchBasic": "common", "RecordRef": "core",
}  # fmt: skip
NAMESPACES = {
    "core": "urn:core_{v}.platform.webservices.netsuite.com",
    "messages": "urn:messages_{v}.platform.webservices.netsuite.com",
    "common": "urn:common_{v}.platform.webservices.netsuite.com",
    "sales": "urn:sales_{v}.transactions.webservices.netsuite.com",
    "customers": "urn:customers_{v}.transactions.webservices.netsuite.com",
    "relationships": "urn:relationships_{v}.lists.webservices.netsuite.com",
    "accounting": "urn:accounting_{v}.lists.webservices.netsuite.com",
}
_documents: dict[str, zeep.wsdl.Document] = {}
_documents_lock = threading.Lock()


def endpoint(account: str, version: str) -> str:
    return f"https://{auth.host_label(account)}.suitetalk.api.netsuite.com/services/NetSuitePort_{version}"


def load_document(path: Path, timeout: float) -> zeep.wsdl.Document:
    """The parsed WSDL bundle, read from disk once per process."""
    key = str(Path(path).resolve())
    with _documents_lock:
        document = _documents.get(key)
        if document is None:
            transport = Transport(timeout=timeout, operation_timeout=timeout)
            try:
                document = zeep.wsdl.Document(key, transport, settings=ZEEP_SETTINGS)
            except (ZeepError, OSError, etree.XMLSyntaxError) as exc:
                raise ConfigError(
                    f"cannot load the WSDL bundle: {type(exc).__name__}: {exc}",
                    system=SYSTEM,
                    key="wsdl",
                    hint="run `run.py connector fetch-wsdl netsuite` to download it again",
                ) from None
            _documents[key] = document
    return document


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


class NetSuiteClient:
    """One account at one endpoint version; counts its calls."""

    def __init__(
        self,
        *,
        credentials: auth.Credentials,
        version: str,
        wsdl_path: Path,
        timeout: float,
        slots: AccountSlots,
        page_size: int = 1000,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = auth.new_nonce,
    ) -> None:
        self.credentials = credentials
        self.version = version
        self.url = endpoint(credentials.account, version)
        self.slots = slots
        self.page_size = page_size
        self.clock = clock
        self.nonce = nonce
        self.calls = 0
        self.session = http.new_session(SYSTEM, timeout)
        transport = Transport(session=self.session, timeout=timeout, operation_timeout=timeout)
        self.zeep = zeep.Client(
            wsdl=load_document(wsdl_path, timeout), transport=transport, settings=ZEEP_SETTINGS
        )
        binding = f"{{urn:platform_{version}.webservices.netsuite.com}}NetSuiteBinding"
        self.service = self.zeep.create_service(binding, self.url)

    # ---- building ---------------------------------------------------------------------------

    def qname(self, space: str, name: str) -> str:
        return f"{{{NAMESPACES[space].format(v=self.version)}}}{name}"

    def make(self, type_name: str, fields: dict[str, Any]) -> Any:
        """A zeep object of a record or search type, so it is sent with its xsi:type."""
        return self.zeep.get_type(self.qname(TYPE_NAMESPACE[type_name], type_name))(**fields)

    def _header(self, name: str, value: dict[str, Any]) -> Any:
        return self.zeep.get_element(self.qname("messages", name))(**value)

    def _passport(self) -> Any:
        fields = auth.passport(self.credentials, self.nonce(), int(self.clock()))
        return self._header("tokenPassport", fields)

    # ---- calling ----------------------------------------------------------------------------

    def call(self, operation: str, *, headers: Sequence[Any] = (), **body: Any) -> etree._Element:
        """Send one operation and return the payload element of its reply."""
        with self.slots.hold():
            self.calls += 1
            soap_headers = [self._passport(), *headers]
            try:
                response = getattr(self.service, operation)(**body, _soapheaders=soap_headers)
            except requests.Timeout:
                raise TransientError(
                    f"{operation} timed out",
                    system=SYSTEM,
                    key=operation,
                    hint="NetSuite answered too slowly; raise connections.netsuite.timeout_seconds "
                    "if this persists",
                ) from None
            except requests.ConnectionError as exc:
                raise TransientError(
                    f"cannot reach {self.url.split('/')[2]}: {type(exc).__name__}",
                    system=SYSTEM,
                    key=operation,
                    hint="check the network and connections.netsuite.account (it names the host)",
                ) from None
        return self._read(operation, response)

    def _read(self, operation: str, response: requests.Response) -> etree._Element:
        content_type = response.headers.get("Content-Type", "")
        status = response.status_code
        xml_like = "xml" in content_type.lower() or response.content.lstrip()[:1] == b"<"
        if status in (429, 502, 503, 504) and not _is_soap(response.content):
            raise TransientError(
                f"{operation}: HTTP {status}",
                system=SYSTEM,
                key=operation,
                retry_after=_retry_after(response.headers.get("Retry-After")),
                error_class="rate_limit" if status == 429 else "connection",
            )
        if status in (401, 403, 404) and not _is_soap(response.content):
            raise ConfigError(
                f"{operation}: HTTP {status} from {self.url}",
                system=SYSTEM,
                key=operation,
                hint="check connections.netsuite.account and netsuite.wsdl_version"
                " (they form the URL)",
            )
        if not xml_like and status >= 500:
            raise TransientError(f"{operation}: HTTP {status}", system=SYSTEM, key=operation)
        try:
            return replies.parse_envelope(response.content, status, content_type)
        except ReplyError as exc:
            exc.key = operation
            raise

    # ---- operations -------------------------------------------------------------------------

    def _search_preferences(self) -> Any:
        # bodyFieldsOnly defaults to true, which drops item lines and address books.
        return self._header(
            "searchPreferences",
            {"bodyFieldsOnly": False, "returnSearchColumns": False, "pageSize": self.page_size},
        )

    def search(self, type_name: str, fields: dict[str, Any]) -> replies.SearchPage:
        payload = self.call(
            "search",
            headers=[self._search_preferences()],
            searchRecord=self.make(type_name, fields),
        )
        return replies.read_search(payload)

    def search_more(self, search_id: str, page_index: int) -> replies.SearchPage:
        payload = self.call(
            "searchMoreWithId",
            headers=[self._search_preferences()],
            searchId=search_id,
            pageIndex=page_index,
        )
        return replies.read_search(payload)

    def get_list(self, refs: Sequence[dict[str, Any]]) -> list:
        payload = self.call("getList", baseRef=[self.make("RecordRef", r) for r in refs])
        return replies.read_reads(payload)

    def upsert_list(self, records: Sequence[Any]) -> list[replies.WriteOutcome]:
        payload = self.call("upsertList", record=list(records))
        return replies.read_writes(payload)

    def serialisable(self, operation: str, **body: Any) -> None:
        """Raise ValueError if zeep cannot serialise this body (used to find a bad record)."""
        try:
            self.zeep.create_message(self.service, operation, **body)
        except (ZeepError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"{type(exc).__name__}: {exc}") from None

    def record(self, type_name: str, fields: dict[str, Any]) -> Any:
        """A record object; ValueError when a field name or value does not fit the schema."""
        try:
            return self.make(type_name, fields)
        except (ZeepError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"{type(exc).__name__}: {exc}") from None

    def item_availability(
        self, internal_ids: Sequence[str], since: datetime | None
    ) -> list[etree._Element]:
        refs = {"recordRef": [{"internalId": i, "type": "inventoryItem"} for i in internal_ids]}
        payload = self.call(
            "getItemAvailability",
            itemAvailabilityFilter={"item": refs, "lastQtyAvailableChange": since},
        )
        return replies.read_availability(payload)

    def server_time(self) -> str:
        return replies.read_server_time(self.call("getServerTime"))


def _is_soap(content: bytes) -> bool:
    return b"Envelope" in content[:400]
