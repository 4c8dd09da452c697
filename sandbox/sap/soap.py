"""SOAP 1.1 on the simulator's side: read a request safely, write replies and faults as SAP does.

Replies use SAP's prefixes (soap-env, n0), unqualified children, every declared field present
in declaration order, initial dates as 0000-00-00, and faults as HTTP 500 with faultcode
soap-env:Client or soap-env:Server. The hostile replies a test can ask for live here too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from sandbox.sap.wsdl import NS, OPERATIONS, STRUCTURES, TABLES

ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"


class BadRequestError(Exception):
    """The request cannot be read: answered with a soap-env:Client fault."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _spec(type_spec: str) -> str:
    return type_spec.rstrip("?").removeprefix("xsd:")


def _value(node: etree._Element, type_name: str) -> Any:
    if type_name in TABLES:
        row_type = TABLES[type_name]
        return [_value(child, row_type) for child in node if etree.QName(child).localname == "item"]
    if type_name in STRUCTURES:
        fields = dict(STRUCTURES[type_name])
        out = {}
        for child in node:
            name = etree.QName(child).localname
            if name not in fields:
                raise BadRequestError(f"element {name} is not part of {type_name}")
            out[name] = _value(child, _spec(fields[name]))
        return out
    return (node.text or "").strip()


def parse_request(body: bytes) -> tuple[str, dict[str, Any]]:
    """(operation, parameters) of a request envelope; BadRequestError when it is not one."""
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise BadRequestError("XML is not well-formed") from exc
    if root.getroottree().docinfo.doctype or root.getroottree().docinfo.internalDTD:
        raise BadRequestError("DTDs are not accepted")
    if root.tag not in (f"{{{ENV}}}Envelope", f"{{{SOAP12_ENV}}}Envelope"):
        raise BadRequestError("the root element is not a SOAP envelope")
    body_node = root.find(f"{{{etree.QName(root).namespace}}}Body")
    if body_node is None or len(body_node) == 0:
        raise BadRequestError("the SOAP body is empty")
    call = body_node[0]
    qname = etree.QName(call)
    if qname.namespace != NS or qname.localname not in OPERATIONS:
        raise BadRequestError(f"no operation {qname.localname} in this service")
    request_spec = dict(OPERATIONS[qname.localname][0])
    params: dict[str, Any] = {}
    for child in call:
        name = etree.QName(child).localname
        if name not in request_spec:
            raise BadRequestError(f"element {name} is not a parameter of {qname.localname}")
        params[name] = _value(child, _spec(request_spec[name]))
    return qname.localname, params


def _initial(type_name: str) -> str:
    if type_name == "date10":
        return "0000-00-00"
    if type_name.startswith(("quantum", "curr", "decimal")) or type_name == "int":
        return "0"
    return ""


def _text(value: Any, type_name: str) -> str:
    if value is None or value == "":
        return _initial(type_name)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _render(name: str, type_name: str, value: Any) -> str:
    if type_name in TABLES:
        row_type = TABLES[type_name]
        inner = "".join(_render("item", row_type, row) for row in value or [])
    elif type_name in STRUCTURES:
        value = value or {}
        inner = "".join(
            _render(field, _spec(spec), value.get(field))
            for field, spec in STRUCTURES[type_name]
            if not (spec.endswith("?") and value.get(field) is None)
        )
    else:
        inner = escape(_text(value, type_name))
    return f"<{name}>{inner}</{name}>" if inner else f"<{name}/>"


def envelope(inner: str) -> bytes:
    return (
        f'<soap-env:Envelope xmlns:soap-env="{ENV}"><soap-env:Header/>'
        f"<soap-env:Body>{inner}</soap-env:Body></soap-env:Envelope>"
    ).encode()


def response(operation: str, values: dict[str, Any]) -> bytes:
    """The operation's reply: every response parameter, optional ones only when given."""
    parts = []
    for name, spec in OPERATIONS[operation][1]:
        if spec.endswith("?") and values.get(name) is None:
            continue
        parts.append(_render(name, _spec(spec), values.get(name)))
    tag = f"n0:{operation}Response"
    return envelope(f'<{tag} xmlns:n0="{NS}">{"".join(parts)}</{tag}>')


def fault(code: str, message: str) -> bytes:
    return envelope(
        f"<soap-env:Fault><faultcode>soap-env:{code}</faultcode>"
        f'<faultstring xml:lang="en">{escape(message)}</faultstring><detail/></soap-env:Fault>'
    )


def logon_page() -> bytes:
    return (
        b"<html><head><title>Logon Error Message</title></head><body>"
        b"<h1>Anmeldung fehlgeschlagen / Logon failed</h1></body></html>"
    )


# -- hostile replies a test can ask for (never sent unless a fault says so) -------------------


def hostile(kind: str, good: bytes, params: dict[str, Any]) -> tuple[str, bytes, str]:
    """(status, body, content type) of a hostile reply standing in for `good`."""
    if kind == "doctype":
        body = b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]>' + good
        return "200 OK", body, "text/xml; charset=utf-8"
    if kind == "external_entity":
        target = params.get("target", "file:///etc/passwd")
        decl = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "{target}">]>'
        leaky = good.replace(b"<soap-env:Header/>", b"<soap-env:Header>&xxe;</soap-env:Header>")
        return "200 OK", decl.encode() + leaky, "text/xml; charset=utf-8"
    if kind == "truncated":
        return "200 OK", good[: max(1, len(good) // 2)], "text/xml; charset=utf-8"
    # html_200: a proxy's error page with status 200
    page = b"<html><body><h1>Service temporarily unavailable</h1><p>Try later.</p></body></html>"
    return "200 OK", page, "text/html; charset=utf-8"
