"""The NetSuite SuiteTalk SOAP simulator: WSDL and XSDs at the real paths, tokenPassport
checks, paged searches, getList, upsertList answered per record, getItemAvailability, and the
real fault shapes, at whatever endpoint version the URL asks for.

Protocol faults (state.set_fault("netsuite", kind, ...)): `concurrency`, `request_blocked`,
`session`, `invalid_login`, `permission` (each a SOAP fault), `partial_batch` (external_ids=[...]
rejected with code=USER_ERROR), `hostile` (shape = doctype | entity | truncated | html). Each
also takes `operation`. The account allows `concurrency_limit` requests at once (meta, default
5); beyond it a request gets WS_CONCUR_SESSION_DISALLWD, as NetSuite answers. Item fulfilments
written here are billed into invoices when invoices are searched or read (`billing`).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from lxml import etree

from sandbox.netsuite import billing, nodes, orders, schema
from sandbox.netsuite.seed import CORE, REL, SYSTEM, load_world, ref_name, stamp
from sandbox.registry import Simulator

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
# The sandbox account's published test credentials (config/default.yaml carries the same).
ACCOUNT = "123456_SB1"
CONSUMERS = {"sandbox-consumer-key": "sandbox-consumer-secret"}
TOKENS = {"sandbox-token-id": "sandbox-token-secret"}
MAX_UPSERT = 200
SEARCH_TYPES = {
    "TransactionSearchBasic": ("salesOrder", "itemFulfillment", "invoice", "returnAuthorization"),
    "CustomerSearchBasic": ("customer",),
    "ItemSearchBasic": ("inventoryItem",),
}
TRANSACTION_TYPES = {
    "_salesOrder": "salesOrder",
    "_itemFulfillment": "itemFulfillment",
    "_invoice": "invoice",
    "_returnAuthorization": "returnAuthorization",
    "_inventoryItem": "inventoryItem",
}
# Reference fields -> the record type their externalId names.
REF_TYPES = {
    "entity": "customer",
    "item": "inventoryItem",
    "createdFrom": "salesOrder",
    "currency": "currency",
    "terms": "term",
    "priceLevel": "priceLevel",
    "shipMethod": "shipItem",
    "shipAddressList": "addressbook",
    "location": "location",
    "units": "unitsType",
    "saleUnit": "unitsType",
    "stockUnit": "unitsType",
}
# Setup records getList answers (their name only), as NetSuite reads them by externalId.
SETUP_READS = {"currency": "Currency", "priceLevel": "PriceLevel"}
_PATH_WSDL = re.compile(r"^/wsdl/v(\d{1,4}_\d)_0/netsuite\.wsdl$")
_PATH_XSD = re.compile(r"^/xsd/([A-Za-z]+)/v(\d{1,4}_\d)_0/([A-Za-z]+)\.xsd$")
_PATH_SOAP = re.compile(r"^/services/NetSuitePort_(\d{1,4}_\d)$")
_parser = threading.local()


class SoapFault(Exception):  # noqa: N818 - it is the reply, not a failure of ours
    def __init__(self, kind: str, code: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.code, self.message = kind, code, message


class Reply:
    """What the app sends back: status, content type and bytes."""

    def __init__(
        self, body: bytes, status: str = "200 OK", content_type: str = "text/xml; charset=utf-8"
    ):
        self.body, self.status, self.content_type = body, status, content_type


def _safe_parser() -> etree.XMLParser:
    if not hasattr(_parser, "p"):
        _parser.p = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return _parser.p


def _base_url(environ: dict[str, Any]) -> str:
    scheme = environ.get("wsgi.url_scheme", "https")
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", schema.HOST)
    return f"{scheme}://{host}{environ.get('SCRIPT_NAME', '')}"


# ---- envelopes ---------------------------------------------------------------------------------


def _envelope(
    version: str, payload: etree._Element | None, fault: SoapFault | None = None
) -> bytes:
    env = etree.Element(
        f"{{{SOAP_ENV}}}Envelope",
        nsmap={"soapenv": SOAP_ENV, "xsi": XSI, "xsd": "http://www.w3.org/2001/XMLSchema"},
    )
    if fault is None:
        header = etree.SubElement(env, f"{{{SOAP_ENV}}}Header")
        msgs = schema.namespace("platformMsgs", version)
        info = etree.SubElement(header, f"{{{msgs}}}documentInfo", nsmap={"platformMsgs": msgs})
        etree.SubElement(info, f"{{{msgs}}}nsId").text = f"WEBSERVICES_{ACCOUNT}_{uuid.uuid4().hex}"
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    if fault is not None:
        element = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
        etree.SubElement(element, "faultcode").text = "soapenv:Server.userException"
        etree.SubElement(element, "faultstring").text = fault.message
        detail = etree.SubElement(element, "detail")
        faults = schema.namespace("platformFaults", version)
        kind = etree.SubElement(
            detail, f"{{{faults}}}{fault.kind}", nsmap={"platformFaults": faults}
        )
        etree.SubElement(kind, f"{{{faults}}}code").text = fault.code
        etree.SubElement(kind, f"{{{faults}}}message").text = fault.message
        host = etree.SubElement(
            detail,
            "{http://xml.apache.org/axis/}hostname",
            nsmap={"ns1": "http://xml.apache.org/axis/"},
        )
        host.text = "partners-sandbox.orderbridge.local"
    else:
        body.append(payload)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


class Builder:
    """Elements of one version's namespaces."""

    def __init__(self, version: str) -> None:
        self.version = version

    def el(self, prefix: str, name: str, text: Any = None, **attrs: Any) -> etree._Element:
        uri = schema.namespace(prefix, self.version)
        element = etree.Element(f"{{{uri}}}{name}", nsmap={prefix: uri})
        for key, value in attrs.items():
            if value is not None:
                element.set(key, str(value))
        if text is not None:
            element.text = str(text)
        return element

    def status(self, ok: bool, details: Iterable[tuple[str, str]] = ()) -> etree._Element:
        element = self.el("platformCore", "status", isSuccess=str(ok).lower())
        for code, message in details:
            detail = etree.SubElement(
                element, element.tag.replace("status", "statusDetail"), type="ERROR"
            )
            core = schema.namespace("platformCore", self.version)
            etree.SubElement(detail, f"{{{core}}}code").text = code
            etree.SubElement(detail, f"{{{core}}}message").text = message
        return element


# ---- passport ----------------------------------------------------------------------------------


def _signature(account: str, key: str, token: str, nonce: str, timestamp: str) -> str:
    base = "&".join((account, key, token, nonce, timestamp))
    secret = f"{CONSUMERS[key]}&{TOKENS[token]}"
    return base64.b64encode(
        hmac.new(secret.encode(), base.encode(), hashlib.sha256).digest()
    ).decode()


def check_passport(header: etree._Element | None, host: str) -> None:
    passport = next(
        (
            h
            for h in (header if header is not None else ())
            if nodes.local(h.tag) == "tokenPassport"
        ),
        None,
    )
    if passport is None:
        raise SoapFault(
            "invalidSessionFault",
            "SESSION_TIMED_OUT",
            "Your connection has timed out. Please log in again.",
        )
    fields = {nodes.local(c.tag): c for c in passport}
    values = {k: (v.text or "").strip() for k, v in fields.items()}
    host_account = host.split(".", 1)[0].upper().replace("-", "_")
    if host_account != ACCOUNT or values.get("account") != ACCOUNT:
        raise SoapFault("invalidAccountFault", "INVALID_ACCT", "Invalid account number.")
    key, token = values.get("consumerKey", ""), values.get("token", "")
    signature = fields.get("signature")
    ok = (
        key in CONSUMERS
        and token in TOKENS
        and signature is not None
        and signature.get("algorithm") == "HMAC-SHA256"
        and abs(time.time() - float(values.get("timestamp") or 0)) < 300
        and 6 <= len(values.get("nonce", "")) <= 64
        and hmac.compare_digest(
            _signature(ACCOUNT, key, token, values["nonce"], values["timestamp"]),
            values["signature"],
        )
    )
    if not ok:
        # NetSuite says no more than this, whichever part was wrong.
        raise SoapFault("invalidCredentialsFault", "USER_ERROR", "Invalid login attempt.")


# ---- the app -----------------------------------------------------------------------------------


FAULT_SHAPES = {
    "concurrency": (
        "exceededConcurrentRequestLimitFault",
        "WS_CONCUR_SESSION_DISALLWD",
        "Only one request may be made against a session at a time",
    ),
    "request_blocked": (
        "exceededRequestLimitFault",
        "WS_REQUEST_BLOCKED",
        "The request could not be processed: too many concurrent requests",
    ),
    "session": (
        "invalidSessionFault",
        "SESSION_TIMED_OUT",
        "Your connection has timed out. Please log in again.",
    ),
    "invalid_login": ("invalidCredentialsFault", "USER_ERROR", "Invalid login attempt."),
    "permission": (
        "insufficientPermissionFault",
        "INSUFFICIENT_PERMISSION",
        "Permission Violation: you need the 'Sales Order' permission",
    ),
}
_OPEN = (
    b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
)
_CLOSE = b"</soapenv:Body></soapenv:Envelope>"


def hostile_reply(shape: str, path: str = "/etc/passwd") -> bytes:
    """A reply meant to hurt the client: entity expansion, external entity, an HTML page."""
    if shape == "doctype":
        dtd = b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        return b'<?xml version="1.0"?>\n' + dtd + _OPEN + b"&lol2;" + _CLOSE
    if shape == "entity":
        dtd = b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://' + path.encode() + b'">]>'
        return b'<?xml version="1.0"?>\n' + dtd + _OPEN + b"&xxe;" + _CLOSE
    return (
        b"<!DOCTYPE html><html><head><title>NetSuite is down for maintenance</title></head>"
        b"<body><h1>Scheduled maintenance</h1></body></html>"
    )


class NetSuiteApp:
    def __init__(self, state: Any) -> None:
        self.state = state

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        reply = self.route(environ)
        start_response(
            reply.status,
            [("Content-Type", reply.content_type), ("Content-Length", str(len(reply.body)))],
        )
        return [reply.body]

    def route(self, environ: dict[str, Any]) -> Reply:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO") or "/"
        base = _base_url(environ)
        if method == "GET" and (match := _PATH_WSDL.match(path)):
            self.state.count_call(SYSTEM, "GET wsdl")
            return Reply(schema.render_wsdl(match[1], base).encode())
        if method == "GET" and (match := _PATH_XSD.match(path)):
            prefix = schema.find_schema(match[1], match[3])
            if prefix is not None:
                self.state.count_call(SYSTEM, "GET xsd")
                return Reply(schema.render_xsd(prefix, match[2], base).encode())
        if method == "POST" and (match := _PATH_SOAP.match(path)):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            return self.soap(match[1], environ["wsgi.input"].read(length), environ)
        return Reply(b"<html><body>404 Not Found</body></html>", "404 Not Found", "text/html")

    def _take_fault(self, operation: str) -> dict | None:
        for fault in self.state.get_faults(SYSTEM):
            wanted = fault["params"].get("operation")
            if fault["kind"] in (*FAULT_SHAPES, "partial_batch", "hostile") and wanted in (
                None,
                operation,
            ):
                if self.state.consume_fault(fault["id"]):
                    return fault
        return None

    def soap(self, version: str, body: bytes, environ: dict[str, Any]) -> Reply:
        if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
            return Reply(
                _envelope(
                    version,
                    None,
                    SoapFault("unexpectedErrorFault", "UNEXPECTED_ERROR", "DTD is not allowed"),
                ),
                "500 Internal Server Error",
            )
        try:
            envelope = etree.fromstring(body, _safe_parser())
        except etree.XMLSyntaxError:
            return Reply(
                _envelope(
                    version,
                    None,
                    SoapFault("unexpectedErrorFault", "UNEXPECTED_ERROR", "Invalid XML"),
                ),
                "500 Internal Server Error",
            )
        header = next((c for c in envelope if nodes.local(c.tag) == "Header"), None)
        soap_body = next((c for c in envelope if nodes.local(c.tag) == "Body"), None)
        request = next(iter(soap_body), None) if soap_body is not None else None
        operation = nodes.local(request.tag) if request is not None else ""
        host = (environ.get("HTTP_HOST") or "").split(":")[0]
        handler = getattr(self, f"op_{operation}", None)
        if handler is None:
            return Reply(
                _envelope(
                    version,
                    None,
                    SoapFault(
                        "unexpectedErrorFault", "UNEXPECTED_ERROR", f"unknown operation {operation}"
                    ),
                ),
                "500 Internal Server Error",
            )
        entered = False
        try:
            check_passport(header, host)
            fault = self._take_fault(operation)
            if fault is not None and fault["kind"] == "hostile":
                self.state.count_call(SYSTEM, "fault:hostile")
                return self._hostile(version, fault["params"])
            if fault is not None and fault["kind"] in FAULT_SHAPES:
                self.state.count_call(SYSTEM, f"fault:{fault['kind']}")
                raise SoapFault(*FAULT_SHAPES[fault["kind"]])
            entered = self._enter()
            payload = handler(Builder(version), request, header, fault)
            return Reply(_envelope(version, payload))
        except SoapFault as exc:
            return Reply(_envelope(version, None, exc), "500 Internal Server Error")
        finally:
            if entered:
                self._leave()

    def _hostile(self, version: str, params: dict) -> Reply:
        shape = params.get("shape", "truncated")
        if shape == "truncated":
            whole = _envelope(version, Builder(version).el("platformMsgs", "searchResponse"))
            return Reply(whole[: len(whole) // 2])
        body = hostile_reply(shape, params.get("path", "/etc/passwd"))
        # An error page that still says 200, as proxies and maintenance pages do.
        return Reply(body, content_type="text/html" if shape == "html" else "text/xml")

    # In-flight requests per account, kept in the state so every process sees them.
    def _enter(self) -> bool:
        with self.state.transaction():
            limit = int(self.state.meta_get(SYSTEM, "concurrency_limit", 5))
            busy = int(self.state.meta_get(SYSTEM, "in_flight", 0))
            if busy >= limit:
                self.state.count_call(SYSTEM, "fault:concurrency")
                raise SoapFault(*FAULT_SHAPES["concurrency"])
            self.state.meta_set(SYSTEM, "in_flight", busy + 1)
            if busy + 1 > int(self.state.meta_get(SYSTEM, "max_in_flight", 0)):
                self.state.meta_set(SYSTEM, "max_in_flight", busy + 1)
        return True

    def _leave(self) -> None:
        with self.state.transaction():
            busy = int(self.state.meta_get(SYSTEM, "in_flight", 1))
            self.state.meta_set(SYSTEM, "in_flight", max(0, busy - 1))

    # ---- operations --------------------------------------------------------------------------

    def op_getServerTime(self, b: Builder, request, header, fault) -> etree._Element:  # noqa: N802
        self.state.count_call(SYSTEM, "getServerTime")
        response = b.el("platformMsgs", "getServerTimeResponse")
        result = b.el("platformCore", "getServerTimeResult")
        result.append(b.status(True))
        result.append(
            b.el(
                "platformCore",
                "serverTime",
                datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            )
        )
        response.append(result)
        return response

    def _render_record(
        self,
        b: Builder,
        record: dict,
        rtype: str,
        tag: etree._Element | None = None,
        body_only: bool = False,
    ) -> etree._Element:
        item = record["node"]
        type_name = nodes.RECORD_TYPES[rtype]
        modified = nodes.node(
            "lastModifiedDate", item[1], stamp(datetime.fromisoformat(record["modified_at"]))
        )
        nodes.set_child(item, type_name, modified)
        if body_only:
            item[4] = [c for c in item[4] if not c[0].endswith("List") and c[0] != "pricingMatrix"]
        element = nodes.render(item, b.version)
        if tag is not None:
            element.tag = tag.tag
        prefix, name = type_name.split(":")
        uri = schema.namespace(prefix, b.version)
        element.set(f"{{{XSI}}}type", f"{prefix}:{name}")
        element.set("internalId", record["internal_id"])
        if record.get("external_id"):
            element.set("externalId", record["external_id"])
        # the xsi:type prefix must be declared on the element itself
        wrapper = etree.Element(element.tag, nsmap={prefix: uri, "xsi": XSI})
        wrapper.attrib.update(element.attrib)
        wrapper.text = element.text
        wrapper.extend(list(element))
        return wrapper

    def op_search(self, b: Builder, request, header, fault) -> etree._Element:
        self.state.count_call(SYSTEM, "search")
        record = next(iter(request))
        search_type = (record.get(f"{{{XSI}}}type") or "").rpartition(":")[2]
        rtypes = SEARCH_TYPES.get(search_type)
        if rtypes is None:
            raise SoapFault(
                "unexpectedErrorFault", "UNEXPECTED_ERROR", f"unsupported search {search_type}"
            )
        criteria = {nodes.local(c.tag): c for c in record}
        if "type" in criteria:
            wanted = {TRANSACTION_TYPES.get((v.text or "").strip()) for v in criteria["type"]}
            rtypes = tuple(r for r in rtypes if r in wanted)
        if "invoice" in rtypes:
            billing.bill_due(self.state)
        since = until = None
        if "lastModifiedDate" in criteria:
            field = criteria["lastModifiedDate"]
            values = [datetime.fromisoformat(v.text.strip().replace("Z", "+00:00")) for v in field]
            operator = field.get("operator", "within")
            if operator in ("within", "onOrAfter", "after") and values:
                since = values[0]
            if operator == "within" and len(values) > 1:
                until = values[1]
            if operator in ("before", "onOrBefore") and values:
                until = values[0]
        ids = []
        for rtype in rtypes:
            for found in self.state.find_records(SYSTEM, rtype, modified_since=since):
                if until is None or datetime.fromisoformat(found["modified_at"]) <= until:
                    ids.append([rtype, found["internal_id"]])
        preferences = {
            nodes.local(c.tag): (c.text or "").strip()
            for h in (header if header is not None else ())
            if nodes.local(h.tag) == "searchPreferences"
            for c in h
        }
        page_size = min(1000, max(5, int(preferences.get("pageSize") or 1000)))
        body_only = preferences.get("bodyFieldsOnly", "true") != "false"
        search_id = f"WEBSERVICES_{ACCOUNT}_{uuid.uuid4().hex}"
        self.state.meta_set(
            SYSTEM,
            f"search:{search_id}",
            {"ids": ids, "page_size": page_size, "body_only": body_only},
        )
        return self._page(b, "searchResponse", search_id, ids, page_size, 1, body_only)

    def op_searchMoreWithId(self, b: Builder, request, header, fault) -> etree._Element:  # noqa: N802
        self.state.count_call(SYSTEM, "searchMoreWithId")
        fields = {nodes.local(c.tag): (c.text or "").strip() for c in request}
        saved = self.state.meta_get(SYSTEM, f"search:{fields.get('searchId')}")
        response = b.el("platformMsgs", "searchMoreWithIdResponse")
        if saved is None:
            result = b.el("platformCore", "searchResult")
            result.append(
                b.status(False, [("INVALID_SEARCH_MORE", "Invalid or expired search id.")])
            )
            response.append(result)
            return response
        index = int(fields.get("pageIndex") or 1)
        return self._page(
            b,
            "searchMoreWithIdResponse",
            fields["searchId"],
            saved["ids"],
            saved["page_size"],
            index,
            saved["body_only"],
        )

    def _page(
        self, b, response_name, search_id, ids, page_size, index, body_only
    ) -> etree._Element:
        response = b.el("platformMsgs", response_name)
        result = b.el("platformCore", "searchResult")
        response.append(result)
        pages = max(1, -(-len(ids) // page_size))
        if not 1 <= index <= pages:
            result.append(
                b.status(
                    False,
                    [("INVALID_SEARCH_PAGE_INDEX", f"Page {index} is not between 1 and {pages}.")],
                )
            )
            return response
        result.append(b.status(True))
        for name, value in (
            ("totalRecords", len(ids)),
            ("pageSize", page_size),
            ("totalPages", pages),
            ("pageIndex", index),
            ("searchId", search_id),
        ):
            result.append(b.el("platformCore", name, value))
        records = b.el("platformCore", "recordList")
        tag = b.el("platformCore", "record")
        for rtype, internal_id in ids[(index - 1) * page_size : index * page_size]:
            found = self.state.get_record(SYSTEM, rtype, internal_id)
            if found is not None:
                records.append(self._render_record(b, found, rtype, tag, body_only))
        result.append(records)
        return response

    def op_getList(self, b: Builder, request, header, fault) -> etree._Element:  # noqa: N802
        refs = list(request)
        self.state.count_call(SYSTEM, "getList", batch_size=len(refs))
        if any(ref.get("type") == "invoice" for ref in refs):
            billing.bill_due(self.state)
        response = b.el("platformMsgs", "getListResponse")
        container = b.el("platformMsgs", "readResponseList")
        container.append(b.status(True))
        for ref in refs:
            rtype = ref.get("type", "")
            key = ref.get("internalId") or ref.get("externalId") or ""
            known = rtype in nodes.RECORD_TYPES or rtype in SETUP_READS
            found = self.state.get_record(SYSTEM, rtype, key) if known else None
            read = b.el("platformMsgs", "readResponse")
            if found is None:
                read.append(
                    b.status(
                        False, [("RCRD_DSNT_EXIST", f"That record does not exist. {rtype} {key}")]
                    )
                )
            elif rtype in SETUP_READS:
                read.append(b.status(True))
                read.append(_setup_record(b, found, SETUP_READS[rtype]))
            else:
                read.append(b.status(True))
                read.append(self._render_record(b, found, rtype, b.el("platformMsgs", "record")))
            container.append(read)
        response.append(container)
        return response

    def op_upsertList(self, b: Builder, request, header, fault) -> etree._Element:  # noqa: N802
        records = list(request)
        self.state.count_call(SYSTEM, "upsertList", batch_size=len(records))
        if len(records) > MAX_UPSERT:
            raise SoapFault(
                "exceededRecordCountFault",
                "MAX_RCRDS_EXCEEDED",
                f"The maximum number of records for upsertList is {MAX_UPSERT}.",
            )
        failing = (
            set((fault or {}).get("params", {}).get("external_ids", ()))
            if fault and fault["kind"] == "partial_batch"
            else set()
        )
        response = b.el("platformMsgs", "upsertListResponse")
        container = b.el("platformMsgs", "writeResponseList")
        for record in records:
            container.append(self._upsert_one(b, record, failing, fault))
        response.append(container)
        return response

    def _upsert_one(
        self, b: Builder, record: etree._Element, failing: set, fault: dict | None
    ) -> etree._Element:
        write = b.el("platformMsgs", "writeResponse")
        type_name = (record.get(f"{{{XSI}}}type") or "").rpartition(":")[2]
        rtype = nodes.RTYPE_OF.get(type_name, "")
        external_id = record.get("externalId")
        problems = []
        if not rtype:
            problems.append(("INVALID_RCRD_TYPE", f"upsertList does not take {type_name}"))
        elif not external_id:
            problems.append(("USER_ERROR", "You must specify an externalId for upsert."))
        elif external_id in failing:
            code = (fault or {}).get("params", {}).get("code", "USER_ERROR")
            problems.append((code, f"Please enter value(s) for: {external_id}"))
        incoming = nodes.from_xml(record) if not problems else None
        if incoming is not None:
            problems += self._resolve(incoming)
        ref_attrs = {"externalId": external_id, "type": rtype or None}
        if problems:
            write.append(b.status(False, problems))
            write.append(self._base_ref(b, ref_attrs))
            return write
        stored = self.state.get_record(SYSTEM, rtype, external_id)
        old = stored["node"] if stored else None
        merged = _merge(copy.deepcopy(old), incoming, nodes.RECORD_TYPES[rtype])
        merged[0], merged[2] = "record", {"externalId": external_id}
        if rtype == "salesOrder":
            orders.keep_computed(old, merged)
            problem = orders.ship_to(self.state, merged)
            if problem:
                write.append(b.status(False, [problem]))
                write.append(self._base_ref(b, ref_attrs))
                return write
        if rtype == "customer":
            self._number_address_book(external_id, merged)
        display = (
            nodes.text_of(merged, "entityId")
            or nodes.text_of(merged, "itemId")
            or nodes.text_of(merged, "tranId")
            or external_id
        )
        internal_id = self.state.put_record(
            SYSTEM, rtype, external_id, {"node": merged, "display": display}
        )
        if rtype == "itemFulfillment":
            source = nodes.child(merged, "createdFrom")
            orders.refresh(self.state, source[2].get("internalId") if source else None)
        write.append(b.status(True))
        write.append(self._base_ref(b, {"internalId": internal_id, **ref_attrs}))
        return write

    def _number_address_book(self, customer: str, item: nodes.Node) -> None:
        """A new address book entry gets its internalId, as NetSuite gives it, so a sales
        order can name it as its ship-to (shipAddressList)."""
        book = nodes.child(item, "addressbookList")
        for entry in book[4] if book else []:
            label = nodes.text_of(entry, "label")
            if entry[0] != "addressbook" or nodes.text_of(entry, "internalId"):
                continue
            internal_id = self.state.put_record(
                SYSTEM, "addressbook", f"{customer}/{label}", {"customer": customer, "name": label}
            )
            nodes.set_child(
                entry, "listRel:CustomerAddressbook", nodes.node("internalId", REL, internal_id)
            )

    def _base_ref(self, b: Builder, attrs: dict) -> etree._Element:
        core = schema.namespace("platformCore", b.version)
        element = b.el("platformMsgs", "baseRef", **attrs)
        element = etree.Element(
            element.tag,
            nsmap={"platformCore": core, "xsi": XSI},
            attrib={k: v for k, v in attrs.items() if v},
        )
        element.set(f"{{{XSI}}}type", "platformCore:RecordRef")
        return element

    def _resolve(self, item: nodes.Node) -> list[tuple[str, str]]:
        """Fill internalId and name of every reference given by externalId; list the unknown."""
        problems = []
        for kid in item[4]:
            rtype = REF_TYPES.get(kid[0])
            attrs = kid[2]
            if rtype and ("externalId" in attrs or "internalId" in attrs) and not kid[4]:
                found = self.state.get_record(
                    SYSTEM, rtype, attrs.get("internalId") or attrs["externalId"]
                )
                if found is None:
                    key = attrs.get("externalId") or attrs.get("internalId")
                    problems.append(
                        ("INVALID_KEY_OR_REF", f"Invalid {kid[0]} reference key {key}.")
                    )
                    continue
                attrs["internalId"] = found["internal_id"]
                kid[4] = [nodes.node("name", CORE, ref_name(rtype, found))]
            elif kid[4]:
                problems += self._resolve(kid)
        return problems

    def op_getItemAvailability(self, b: Builder, request, header, fault) -> etree._Element:  # noqa: N802
        self.state.count_call(SYSTEM, "getItemAvailability")
        filter_ = next(iter(request))
        fields = {nodes.local(c.tag): c for c in filter_}
        ids = [r.get("internalId") for r in fields["item"]] if "item" in fields else []
        since = None
        if "lastQtyAvailableChange" in fields and fields["lastQtyAvailableChange"].text:
            since = datetime.fromisoformat(
                fields["lastQtyAvailableChange"].text.strip().replace("Z", "+00:00")
            )
        world = self.state.world
        changed = datetime.combine(world.today, datetime.min.time(), tzinfo=timezone.utc)
        response = b.el("platformMsgs", "getItemAvailabilityResponse")
        result = b.el("platformCore", "getItemAvailabilityResult")
        result.append(b.status(True))
        rows = b.el("platformCore", "itemAvailabilityList")
        for internal_id in ids:
            found = self.state.get_record(SYSTEM, "inventoryItem", internal_id or "")
            if found is None or (since is not None and changed < since):
                continue
            sku = found["external_id"]
            for level in (s for s in world.inventory if s.sku == sku):
                location = self.state.get_record(SYSTEM, "location", level.warehouse)
                row = b.el("platformCore", "itemAvailability")
                item = b.el("platformCore", "item", internalId=internal_id, type="inventoryItem")
                item.append(b.el("platformCore", "name", sku))
                row.append(item)
                row.append(b.el("platformCore", "lastQtyAvailableChange", stamp(changed)))
                loc = b.el(
                    "platformCore",
                    "locationId",
                    internalId=location["internal_id"] if location else None,
                    type="location",
                )
                loc.append(b.el("platformCore", "name", level.warehouse))
                row.append(loc)
                for name, value in (
                    ("quantityOnHand", level.on_hand),
                    ("reorderPoint", level.reorder_point),
                    ("quantityCommitted", level.allocated),
                    ("quantityAvailable", level.on_hand - level.allocated),
                ):
                    row.append(b.el("platformCore", name, f"{value}.0"))
                rows.append(row)
        if len(rows):
            result.append(rows)
        response.append(result)
        return response


def _setup_record(b: Builder, found: dict, type_name: str) -> etree._Element:
    """A setup record (currency, price level) as getList returns it: its name, active."""
    acct = schema.namespace("listAcct", b.version)
    tag = b.el("platformMsgs", "record").tag
    element = etree.Element(tag, nsmap={"listAcct": acct, "xsi": XSI})
    element.set(f"{{{XSI}}}type", f"listAcct:{type_name}")
    element.set("internalId", found["internal_id"])
    element.set("externalId", found.get("external_id") or "")
    etree.SubElement(element, f"{{{acct}}}name").text = ref_name("", found)
    etree.SubElement(element, f"{{{acct}}}isInactive").text = "false"
    return element


def _merge(old: nodes.Node | None, new: nodes.Node, type_name: str) -> nodes.Node:
    """An upsert: sent fields replace stored ones; sublists sent with replaceAll="false" merge
    by their key (address book label, pricing currency and level)."""
    if old is None:
        return nodes.ordered(type_name, new)
    kept = {c[0]: c for c in old[4]}
    for kid in new[4]:
        if kid[2].get("replaceAll") == "false" and kid[0] in kept:
            merged = {_line_key(line): line for line in kept[kid[0]][4]}
            merged.update({_line_key(line): line for line in kid[4]})
            kid = [kid[0], kid[1], {}, None, list(merged.values())]
        kept[kid[0]] = kid
    new[4] = list(kept.values())
    return nodes.ordered(type_name, new)


def _line_key(line: nodes.Node) -> str:
    label = nodes.text_of(line, "label")
    if label:
        return label
    parts = [nodes.child(line, n) for n in ("currency", "priceLevel")]
    return "|".join(
        (p[2].get("externalId") or p[2].get("internalId", "")) if p else "" for p in parts
    )


def make_app(state: Any) -> NetSuiteApp:
    return NetSuiteApp(state)


def on_reset(state: Any) -> None:
    load_world(state)
    billing.on_reset(state)


SIMULATOR = Simulator(
    system=SYSTEM,
    hosts=(".suitetalk.api.netsuite.com", schema.HOST),
    make_app=make_app,
    on_reset=on_reset,
)
