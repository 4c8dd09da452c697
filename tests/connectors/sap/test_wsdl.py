"""Our SAP WSDL says what the real SOAMANAGER one says for every element both use, and every
request we send is valid against it, with the real WSDL's type definitions swapped in."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from lxml import etree
from zeep import Client, Settings

from connectors.sap import records
from sandbox.sap import wsdl
from tests.connectors.sap.test_records import order

XSD = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
NS = {
    "xsd": XSD,
    "wsdl": WSDL,
    "soap": "http://schemas.xmlsoap.org/wsdl/soap/",
    "soap12": "http://schemas.xmlsoap.org/wsdl/soap12/",
}
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@pytest.fixture
def real(reference) -> etree._Element:
    path = reference / "sap" / "soap" / "zws_bapi_salesorder_create_binding.xml"
    return etree.parse(str(path), PARSER).getroot()


@pytest.fixture
def ours() -> etree._Element:
    return etree.fromstring(wsdl.render("https://my300000-api.s4hana.cloud.sap").encode(), PARSER)


def simple_types(root: etree._Element) -> dict[str, tuple]:
    out = {}
    for node in root.iterfind(".//xsd:schema/xsd:simpleType", NS):
        restriction = node.find("xsd:restriction", NS)
        facets = tuple((etree.QName(f).localname, f.get("value")) for f in restriction)
        out[node.get("name")] = (restriction.get("base"), facets)
    return out


def test_same_namespace_and_schema_form(real, ours):
    assert ours.get("targetNamespace") == real.get("targetNamespace") == wsdl.NS
    real_schema, our_schema = real.find(".//xsd:schema", NS), ours.find(".//xsd:schema", NS)
    assert our_schema.get("targetNamespace") == real_schema.get("targetNamespace")
    assert our_schema.attrib == real_schema.attrib  # children unqualified, as SAP writes them


def test_shared_simple_types_match_the_real_ones(real, ours):
    theirs, mine = simple_types(real), simple_types(ours)
    shared = set(theirs) & set(mine)
    assert {"char1", "char10", "char35", "date10", "numeric6", "cuky5", "curr11.2"} <= shared
    for name in shared:
        assert mine[name] == theirs[name], name


def test_tables_messages_and_bindings_follow_soamanager(real, ours):
    for root in (real, ours):
        tables = [
            t
            for t in root.iterfind(".//xsd:schema/xsd:complexType", NS)
            if t.find("xsd:sequence/xsd:element[@name='item']", NS) is not None
        ]
        assert tables
        for table in tables:
            [item] = table.find("xsd:sequence", NS)
            assert (item.get("minOccurs"), item.get("maxOccurs")) == ("0", "unbounded")
        parts = {
            m.get("name").endswith("Response"): m.find("wsdl:part", NS).get("name")
            for m in root.iterfind("wsdl:message", NS)
        }
        assert parts == {False: "parameters", True: "parameter"}
        service = root.find("wsdl:portType", NS).get("name")
        for binding in root.iterfind("wsdl:binding", NS):
            soap_ns = next(
                p for p in ("soap", "soap12") if binding.find(f"{p}:binding", NS) is not None
            )
            assert binding.find(f"{soap_ns}:binding", NS).get("style") == "document"
            for operation in binding.iterfind("wsdl:operation", NS):
                action = operation.find(f"{soap_ns}:operation", NS).get("soapAction")
                assert action == f"{wsdl.NS}:{service}:{operation.get('name')}Request"
        for address in root.iterfind(".//wsdl:service/wsdl:port/*", NS):
            path = address.get("location").split("/", 3)[3]
            assert path.startswith("sap/bc/srt/rfc/sap/")
        assert root.find(".//{*}HttpBasicAuthentication") is not None


def schema_with_real_types(ours: etree._Element, real: etree._Element) -> etree.XMLSchema:
    source = ours.find(".//xsd:schema", NS)
    # A standalone copy needs the tns prefix its type references use declared on its root.
    schema = etree.Element(source.tag, dict(source.attrib), nsmap={"xsd": XSD, "tns": wsdl.NS})
    schema.extend(copy.deepcopy(child) for child in source)
    real_types = {t.get("name"): t for t in real.iterfind(".//xsd:schema/xsd:simpleType", NS)}
    for node in list(schema.iterfind("xsd:simpleType", NS)):
        if node.get("name") in real_types:
            schema.replace(node, copy.deepcopy(real_types[node.get("name")]))
    return etree.XMLSchema(schema)


def requests_we_send(tmp_path: Path) -> list[etree._Element]:
    path = tmp_path / "sap.wsdl"
    path.write_text(wsdl.render("https://my300000-api.s4hana.cloud.sap"))
    client = Client(
        str(path),
        settings=Settings(strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True),
    )
    defaults = records.OrderDefaults()
    current = order(source_system="sap", number="0010000001", on_hold=True)
    wanted = order()
    wanted.lines.append(wanted.lines[0].__class__(**{**wanted.lines[0].__dict__, "line_no": 3}))
    calls = [
        ("BAPI_SALESORDER_CREATEFROMDAT2", records.build_order_create(order(), defaults)),
        (
            "BAPI_SALESORDER_CREATEFROMDAT2",
            records.build_order_create(order(), defaults, test_run=True),
        ),
        ("BAPI_SALESORDER_CHANGE", records.build_order_change(wanted, current, defaults)),
        (
            "ZOB_SALESORDER_GETLIST",
            {"KEYS": {"item": [{"KEY": "OB-1"}]}, "MAX_ROWS": 500, "SKIP_ROWS": 0},
        ),
        (
            "ZOB_PRICE_GETLIST",
            {
                "CHANGED_FROM": 20260101000000,
                "CHANGED_TO": 20260102000000,
                "MAX_ROWS": 500,
                "SKIP_ROWS": 0,
            },
        ),
    ]
    bodies = []
    for operation, params in calls:
        envelope = client.create_message(client.service, operation, **params)
        bodies.append(envelope.find("{*}Body")[0])
    return bodies


def test_request_bodies_are_valid_with_the_real_type_definitions(real, ours, tmp_path):
    schema = schema_with_real_types(ours, real)
    for body in requests_we_send(tmp_path):
        schema.assertValid(etree.fromstring(etree.tostring(body)))


def test_the_schema_check_catches_a_value_sap_would_refuse(real, ours, tmp_path):
    schema = schema_with_real_types(ours, real)
    body = etree.fromstring(etree.tostring(requests_we_send(tmp_path)[0]))
    body.find("ORDER_HEADER_IN/PURCH_DATE").text = "01.03.2026"
    assert not schema.validate(body)
