"""The simulator's WSDL bundle says what the real SuiteTalk schema says for every element."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from sandbox.netsuite import schema

XS = "{http://www.w3.org/2001/XMLSchema}"
VERSION = "2023_2"


def _qname(node: etree._Element, value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    prefix, _, name = value.rpartition(":")
    return (node.nsmap.get(prefix or None, ""), name)


def _occurs(node: etree._Element) -> tuple[str, str]:
    return node.get("minOccurs", "1"), node.get("maxOccurs", "1")


def _describe(node: etree._Element) -> dict:
    """A type as comparable facts: base, abstract, elements in order, attributes, values."""
    extension = node.find(f".//{XS}extension")
    elements = []
    for item in node.iter(f"{XS}element"):
        key = (
            ("ref", _qname(item, item.get("ref")))
            if item.get("ref")
            else ("name", item.get("name"))
        )
        elements.append((key, _qname(item, item.get("type")), _occurs(item)))
    attributes = {
        a.get("name"): (_qname(a, a.get("type")), a.get("use"), a.get("default"))
        for a in node.iter(f"{XS}attribute")
    }
    return {
        "base": _qname(extension, extension.get("base")) if extension is not None else None,
        "abstract": node.get("abstract") == "true",
        "elements": elements,
        "attributes": attributes,
        "values": [e.get("value") for e in node.iter(f"{XS}enumeration")],
    }


def _is_subsequence(ours: list, theirs: list) -> bool:
    rest = iter(theirs)
    return all(any(item == other for other in rest) for item in ours)


def _declarations(root: etree._Element) -> dict[tuple[str, str], etree._Element]:
    return {(child.tag, child.get("name")): child for child in root if child.get("name")}


@pytest.mark.parametrize("prefix", sorted(schema.NAMESPACES))
def test_every_declared_type_matches_the_real_schema(reference: Path, prefix: str):
    _, folder, name = schema.NAMESPACES[prefix]
    real_file = reference / "netsuite" / "wsdl-v2023_2" / "xsd" / f"{folder}.{name}.xsd"
    real_root = etree.parse(str(real_file)).getroot()
    ours_root = etree.fromstring(schema.render_xsd(prefix, VERSION).encode())
    assert ours_root.get("targetNamespace") == real_root.get("targetNamespace")
    real = _declarations(real_root)
    problems = []
    for key, node in _declarations(ours_root).items():
        if key not in real:
            problems.append(f"{key[1]}: not in the real schema")
            continue
        ours, theirs = _describe(node), _describe(real[key])
        if key[0] == f"{XS}element":
            if _qname(node, node.get("type")) != _qname(real[key], real[key].get("type")):
                problems.append(f"element {key[1]}: type differs")
            continue
        for fact in ("base", "abstract"):
            if ours[fact] != theirs[fact]:
                problems.append(f"{key[1]}: {fact} {ours[fact]} != {theirs[fact]}")
        if not _is_subsequence(ours["elements"], theirs["elements"]):
            missing = [e for e in ours["elements"] if e not in theirs["elements"]]
            problems.append(f"{key[1]}: elements out of order or differing: {missing}")
        required = [e for e in theirs["elements"] if e[2][0] != "0" and e not in ours["elements"]]
        if required:
            problems.append(f"{key[1]}: leaves out required elements {required}")
        for attr, facts in ours["attributes"].items():
            if theirs["attributes"].get(attr) != facts:
                problems.append(f"{key[1]}@{attr}: {facts} != {theirs['attributes'].get(attr)}")
        if not set(ours["values"]) <= set(theirs["values"]):
            problems.append(f"{key[1]}: values {set(ours['values']) - set(theirs['values'])}")
    assert problems == []


def test_the_wsdl_declares_operations_like_the_real_one(reference: Path):
    real = etree.parse(str(reference / "netsuite" / "wsdl-v2023_2" / "netsuite.wsdl")).getroot()
    ours = etree.fromstring(schema.render_wsdl(VERSION).encode())
    wsdl = "{http://schemas.xmlsoap.org/wsdl/}"
    assert ours.get("targetNamespace") == real.get("targetNamespace")

    def operations(root):
        found = {}
        for op in root.find(f"{wsdl}binding").iter(f"{wsdl}operation"):
            action = op.find("{http://schemas.xmlsoap.org/wsdl/soap/}operation").get("soapAction")
            headers = [h.get("part") for h in op.find(f"{wsdl}input")]
            found[op.get("name")] = (action, headers)
        return found

    real_ops = operations(real)
    for name, (action, headers) in operations(ours).items():
        assert real_ops[name][0] == action
        assert _is_subsequence(headers, real_ops[name][1]), name

    def parts(root, message):
        node = root.find(f"{wsdl}message[@name='{message}']")
        return [(p.get("name"), _qname(p, p.get("element"))) for p in node]

    for message in ["headers"] + [
        f"{op}{d}" for op in schema.OPERATIONS for d in ("Request", "Response")
    ]:
        assert _is_subsequence(parts(ours, message), parts(real, message)), message


def test_the_bundle_renders_for_any_version():
    for version in ("2_5", "2023_2", "2025_2"):
        for prefix in schema.schemas():
            root = etree.fromstring(schema.render_xsd(prefix, version).encode())
            assert f"_{version}." in root.get("targetNamespace")
        assert f"NetSuitePort_{version}" in schema.render_wsdl(version)
