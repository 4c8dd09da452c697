"""Read SuiteTalk SOAP replies with lxml, whatever namespace version they carry.

Elements are matched by local name only, so a reply of endpoint 2_5 reads like one of 2025_2.
The parser never loads a DTD, never resolves an entity and never touches the network, and a
reply that carries a DOCTYPE is refused before it is parsed. Anything that is not a whole SOAP
envelope (an HTML page, a cut-off body) raises ReplyError, never a partial result.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from connectors.netsuite.faults import Detail, Fault, ReplyError, fault_error, status_error

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
local_names: dict[str, str] = {}
_parsers = threading.local()


def local(tag: object) -> str:
    """The local name of an element's tag ('' for comments and processing instructions)."""
    if not isinstance(tag, str):
        return ""
    name = local_names.get(tag)
    if name is None:
        name = local_names[tag] = tag.rpartition("}")[2]
    return name


def safe_parser() -> etree.XMLParser:
    # lxml parsers are not shared between threads.
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
    return parser


class Slots:
    """Positions of known child names, looked up by qualified tag whatever the namespace version.

    `by_tag` maps each qualified tag seen to its position (-1 for names we do not read), so a
    hot loop pays one dict lookup per child and calls `learn` only for a tag it has not met.
    """

    # A hostile reply could invent endless tags: past this many we look them up uncached.
    LIMIT = 4096

    def __init__(self, *names: str) -> None:
        self.names = names
        self.position = {name: n for n, name in enumerate(names)}
        self.by_tag: dict[object, int] = {}

    def learn(self, tag: object) -> int:
        slot = self.position.get(local(tag), -1)
        if len(self.by_tag) < self.LIMIT:
            self.by_tag[tag] = slot
        return slot

    def pick(self, element: etree._Element) -> list[etree._Element | None]:
        """The element's children in our order of names (the last one wins, None if absent)."""
        found: list[etree._Element | None] = [None] * len(self.names)
        by_tag = self.by_tag
        for item in element:
            slot = by_tag.get(item.tag)
            if slot is None:
                slot = self.learn(item.tag)
            if slot >= 0:
                found[slot] = item
        return found


def children(element: etree._Element) -> dict[str, etree._Element]:
    """The element's children by local name (the last one wins for repeated names)."""
    return {local(child.tag): child for child in element}


def child(element: etree._Element | None, name: str) -> etree._Element | None:
    if element is None:
        return None
    for item in element:
        if local(item.tag) == name:
            return item
    return None


def each(element: etree._Element | None, name: str) -> Iterator[etree._Element]:
    if element is None:
        return
    for item in element:
        if local(item.tag) == name:
            yield item


def _looks_like_html(content: bytes, content_type: str) -> bool:
    head = content[:512].lstrip().lower()
    return "html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html"))


def parse_envelope(
    content: bytes, status: int = 200, content_type: str = "text/xml"
) -> etree._Element:
    """The first element inside soapenv:Body; raises our typed errors for faults and junk."""
    if not content or not content.strip():
        raise ReplyError(f"empty reply (HTTP {status})")
    if _looks_like_html(content, content_type):
        raise ReplyError(f"an HTML page instead of a SOAP envelope (HTTP {status})")
    # NetSuite never sends a DTD; one in a reply is an attack or a proxy's page (XXE).
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise ReplyError("the reply carries a DOCTYPE or entity declaration; refused unread")
    try:
        root = etree.fromstring(content, safe_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (0, 0)
        raise ReplyError(
            f"malformed or truncated XML at line {line}, column {column} (HTTP {status})"
        ) from None
    if root.getroottree().docinfo.doctype:
        raise ReplyError("the reply carries a DOCTYPE; refused")
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise ReplyError(f"not a SOAP 1.1 envelope but <{local(root.tag)}> (HTTP {status})")
    body = child(root, "Body")
    payload = next(iter(body), None) if body is not None else None
    if payload is None:
        raise ReplyError(f"SOAP envelope without a body (HTTP {status})")
    if local(payload.tag) == "Fault":
        raise fault_error(_read_fault(payload))
    return payload


def _read_fault(fault: etree._Element) -> Fault:
    parts = children(fault)
    text = (parts["faultstring"].text or "") if "faultstring" in parts else ""
    detail = parts.get("detail")
    for item in detail if detail is not None else ():
        fields = children(item)
        if "code" in fields:
            return Fault(
                local(item.tag),
                (fields["code"].text or "").strip(),
                (fields["message"].text or text) if "message" in fields else text,
            )
    faultcode = (parts["faultcode"].text or "") if "faultcode" in parts else ""
    return Fault("", faultcode.rpartition(":")[2], text)


@dataclass
class Status:
    ok: bool
    details: list[Detail] = field(default_factory=list)

    @property
    def errors(self) -> list[Detail]:
        return [d for d in self.details if d.type.upper() == "ERROR"]


def read_status(element: etree._Element | None) -> Status:
    """isSuccess is true only when it says "true"; a missing status is a failure."""
    if element is None:
        return Status(False, [Detail("MISSING_STATUS", "the reply has no status for this item")])
    details = []
    for item in each(element, "statusDetail"):
        fields = children(item)
        details.append(
            Detail(
                (fields["code"].text or "").strip() if "code" in fields else "",
                (fields["message"].text or "") if "message" in fields else "",
                item.get("type", "ERROR"),
            )
        )
    return Status(element.get("isSuccess", "").strip().lower() == "true", details)


def _require(status: Status, what: str) -> None:
    if not status.ok:
        raise status_error(status.errors or status.details, what)


@dataclass
class SearchPage:
    total_records: int
    page_size: int
    total_pages: int
    page_index: int
    search_id: str | None
    records: list[etree._Element]
    # Held so that the record elements are released before their document: freeing a
    # 10,000-record reply from inside the release of this list took ~100 ms against ~20 ms
    # once the list was gone first (lxml 6.1, libxml2 2.14; see bench_netsuite_search.py).
    payload: etree._Element | None = field(default=None, repr=False)


def _int(element: etree._Element | None, default: int = 0) -> int:
    return int(element.text) if element is not None and element.text else default


def read_search(payload: etree._Element) -> SearchPage:
    """searchResponse / searchMoreWithIdResponse -> one page of record elements."""
    result = child(payload, "searchResult")
    if result is None:
        raise ReplyError(f"<{local(payload.tag)}> without a searchResult")
    parts = children(result)
    _require(read_status(parts.get("status")), "search")
    records = parts.get("recordList")
    rows = parts.get("searchRowList")
    found = [r for r in (records if records is not None else rows if rows is not None else ())]
    search_id = parts.get("searchId")
    return SearchPage(
        total_records=_int(parts.get("totalRecords")),
        page_size=_int(parts.get("pageSize")),
        total_pages=_int(parts.get("totalPages")),
        page_index=_int(parts.get("pageIndex"), 1),
        search_id=search_id.text if search_id is not None else None,
        records=found,
        payload=payload,
    )


@dataclass
class WriteOutcome:
    status: Status
    internal_id: str | None
    external_id: str | None
    record_type: str | None


def read_writes(payload: etree._Element) -> list[WriteOutcome]:
    """upsertListResponse (or any *ListResponse of writes) -> one outcome per record, in order."""
    container = child(payload, "writeResponseList")
    if container is None:
        single = child(payload, "writeResponse")
        if single is None:
            raise ReplyError(f"<{local(payload.tag)}> without a writeResponseList")
        items = [single]
    else:
        list_status = child(container, "status")
        if list_status is not None:
            _require(read_status(list_status), "write list")
        items = list(each(container, "writeResponse"))
    outcomes = []
    for item in items:
        ref = child(item, "baseRef")
        outcomes.append(
            WriteOutcome(
                read_status(child(item, "status")),
                ref.get("internalId") if ref is not None else None,
                ref.get("externalId") if ref is not None else None,
                ref.get("type") if ref is not None else None,
            )
        )
    return outcomes


def read_reads(payload: etree._Element) -> list[tuple[Status, etree._Element | None]]:
    """getListResponse (or getResponse) -> (status, record element) per requested reference."""
    container = child(payload, "readResponseList")
    items = list(each(container, "readResponse")) if container is not None else []
    if container is None:
        single = child(payload, "readResponse")
        if single is None:
            raise ReplyError(f"<{local(payload.tag)}> without a readResponseList")
        items = [single]
    else:
        list_status = child(container, "status")
        if list_status is not None:
            _require(read_status(list_status), "read list")
    return [(read_status(child(i, "status")), child(i, "record")) for i in items]


def read_availability(payload: etree._Element) -> list[etree._Element]:
    result = child(payload, "getItemAvailabilityResult")
    if result is None:
        raise ReplyError(f"<{local(payload.tag)}> without a getItemAvailabilityResult")
    _require(read_status(child(result, "status")), "getItemAvailability")
    return list(each(child(result, "itemAvailabilityList"), "itemAvailability"))


def read_server_time(payload: etree._Element) -> str:
    result = child(payload, "getServerTimeResult")
    if result is None:
        raise ReplyError(f"<{local(payload.tag)}> without a getServerTimeResult")
    _require(read_status(child(result, "status")), "getServerTime")
    time = child(result, "serverTime")
    return (time.text or "") if time is not None else ""
