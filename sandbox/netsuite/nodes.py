"""Records as version-free nodes: read from a request of any version, rendered for any version.

A node is a JSON-friendly list [name, kind, attributes, text, children]; `kind` names the
namespace without its version ("sales.transactions"), so a record written at 2023_2 reads back
at 2025_2. Children are kept in the order the schema declares.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from lxml import etree

from sandbox.netsuite import schema

Node = list[Any]
XSI = "http://www.w3.org/2001/XMLSchema-instance"
_NS = re.compile(r"^urn:(types\.)?([A-Za-z]+)_[\d_]+?\.([A-Za-z]+)\.webservices\.netsuite\.com$")
# kind -> prefix, from the schema bundle's namespace table.
PREFIX = {
    re.sub(r"^urn:(types\.)?([A-Za-z]+)_\{v\}\.([A-Za-z]+)\..*$", r"\1\2.\3", uri): prefix
    for prefix, (uri, _, _) in schema.NAMESPACES.items()
}
RECORD_TYPES = {
    "salesOrder": "tranSales:SalesOrder",
    "itemFulfillment": "tranSales:ItemFulfillment",
    "invoice": "tranSales:Invoice",
    "returnAuthorization": "tranCust:ReturnAuthorization",
    "customer": "listRel:Customer",
    "inventoryItem": "listAcct:InventoryItem",
}
RTYPE_OF = {v.split(":")[1]: k for k, v in RECORD_TYPES.items()}


def kind_of(namespace: str | None) -> str:
    match = _NS.match(namespace or "")
    return f"{match[1] or ''}{match[2]}.{match[3]}" if match else ""


def local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def from_xml(element: etree._Element) -> Node:
    attributes = {k: v for k, v in element.attrib.items() if not k.startswith("{")}
    kids = [from_xml(c) for c in element if isinstance(c.tag, str)]
    text = element.text.strip() if element.text and not kids else None
    return [local(element.tag), kind_of(etree.QName(element).namespace), attributes, text, kids]


def node(
    name: str, kind: str, text: Any = None, children: list | None = None, **attrs: Any
) -> Node:
    values = {k: str(v) for k, v in attrs.items() if v is not None}
    return [name, kind, values, None if text is None else str(text), children or []]


def child(parent: Node, name: str) -> Node | None:
    return next((c for c in parent[4] if c[0] == name), None)


def text_of(parent: Node, name: str) -> str:
    found = child(parent, name)
    return (found[3] or "") if found else ""


@cache
def _types() -> dict[str, schema.Complex]:
    found = {}
    for prefix, item in schema.schemas().items():
        for declared in item.items:
            if isinstance(declared, schema.Complex):
                found[f"{prefix}:{declared.name}"] = declared
    return found


def field_types(type_name: str) -> list[tuple[str, str]]:
    """(element name, type) in schema order, base type's elements first."""
    declared = _types().get(type_name)
    if declared is None:
        return []
    fields = field_types(declared.base) if declared.base in _types() else []
    return fields + [(e.name, e.type) for e in declared.elements if not e.ref]


def ordered(type_name: str, item: Node) -> Node:
    """The node with its children in schema order, recursively; unknown children dropped."""
    fields = field_types(type_name)
    rank = {name: i for i, (name, _) in enumerate(fields)}
    types = dict(fields)
    kids = sorted((c for c in item[4] if c[0] in rank), key=lambda c: rank[c[0]])
    item[4] = [ordered(types[c[0]], c) if types[c[0]] in _types() else c for c in kids]
    return item


def render(item: Node, version: str, tag_kind: str | None = None) -> etree._Element:
    """An lxml element of the node, its namespaces for `version`."""
    kind = tag_kind or item[1]
    prefix = PREFIX.get(kind)
    uri = schema.namespace(prefix, version) if prefix else ""
    element = etree.Element(
        f"{{{uri}}}{item[0]}" if uri else item[0], nsmap={prefix: uri} if prefix else None
    )
    for key, value in item[2].items():
        element.set(key, value)
    if item[3] is not None:
        element.text = item[3]
    for kid in item[4]:
        element.append(render(kid, version))
    return element


def set_child(parent: Node, type_name: str, new: Node) -> None:
    parent[4] = [c for c in parent[4] if c[0] != new[0]] + [new]
    ordered(type_name, parent)
