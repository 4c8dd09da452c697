"""The WSDL of the SAP service the simulator serves, written out from a compact declaration.

It follows what SOAMANAGER generates for RFC function modules (see the reference WSDL of a
Z wrapper of BAPI_SALESORDER_CREATEFROMDAT2): target namespace
urn:sap-com:document:sap:rfc:functions, simple types named after the ABAP type (char4,
numeric6, date10, quantum13.3, cuky5, curr11.2), structures named after their DDIC name with
their fields in DDIC order, TABLES parameters as TABLE_OF_<structure> holding `item` rows,
parameters in alphabetical order, a document/literal SOAP 1.1 and a SOAP 1.2 binding, input
part "parameters" and output part "parameter", and soapAction
`<namespace>:<service>:<operation>Request`. Write operations carry SAP's idempotency header
(`MessageHeader` with `UUID`, GDT BusinessDocumentMessageHeader) as the first child, as SAP's
guide for idempotent synchronous services asks. Only fields the project uses are declared.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

NS = "urn:sap-com:document:sap:rfc:functions"
HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"
SERVICE = "ZOB_SD_ORDERBRIDGE"
BINDING = "ZOB_SD_ORDERBRIDGE_BINDING"
PATH = "/sap/bc/srt/rfc/sap/zob_sd_orderbridge/100/zob_sd_orderbridge/zob_sd_orderbridge_binding"

# name -> (xsd base, facets); the names the reference WSDL also defines carry its facets.
SIMPLE_TYPES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "char1": ("xsd:string", (("maxLength", "1"),)),
    "char10": ("xsd:string", (("maxLength", "10"),)),
    "char18": ("xsd:string", (("maxLength", "18"),)),
    "char2": ("xsd:string", (("maxLength", "2"),)),
    "char20": ("xsd:string", (("maxLength", "20"),)),
    "char220": ("xsd:string", (("maxLength", "220"),)),
    "char30": ("xsd:string", (("maxLength", "30"),)),
    "char32": ("xsd:string", (("maxLength", "32"),)),
    "char35": ("xsd:string", (("maxLength", "35"),)),
    "char4": ("xsd:string", (("maxLength", "4"),)),
    "char40": ("xsd:string", (("maxLength", "40"),)),
    "char50": ("xsd:string", (("maxLength", "50"),)),
    "cuky5": ("xsd:string", (("maxLength", "5"),)),
    "curr11.2": ("xsd:decimal", (("totalDigits", "11"), ("fractionDigits", "2"))),
    "curr15.2": ("xsd:decimal", (("totalDigits", "15"), ("fractionDigits", "2"))),
    "date10": ("xsd:string", (("maxLength", "10"), ("pattern", r"\d\d\d\d-\d\d-\d\d"))),
    "decimal15.0": ("xsd:decimal", (("totalDigits", "15"), ("fractionDigits", "0"))),
    "decimal28.9": ("xsd:decimal", (("totalDigits", "28"), ("fractionDigits", "9"))),
    "numeric3": ("xsd:string", (("maxLength", "3"), ("pattern", r"\d*"))),
    "numeric4": ("xsd:string", (("maxLength", "4"), ("pattern", r"\d*"))),
    "numeric6": ("xsd:string", (("maxLength", "6"), ("pattern", r"\d*"))),
    "quantum13.3": ("xsd:decimal", (("totalDigits", "13"), ("fractionDigits", "3"))),
    "unit3": ("xsd:string", (("maxLength", "3"),)),
    "UUID": (
        "xsd:token",
        (
            ("length", "36"),
            (
                "pattern",
                "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
            ),
        ),
    ),
}

# Structures: fields in DDIC order (a subset of the real structure, never reordered).
STRUCTURES: dict[str, tuple[tuple[str, str], ...]] = {
    "BusinessDocumentMessageHeader": (("ID", "char35?"), ("UUID", "UUID?")),
    "BAPISDHD1": (
        ("DOC_TYPE", "char4"),
        ("SALES_ORG", "char4"),
        ("DISTR_CHAN", "char2"),
        ("DIVISION", "char2"),
        ("PURCH_DATE", "date10"),
        ("PMNTTRMS", "char4"),
        ("DLV_BLOCK", "char2"),
        ("PURCH_NO_C", "char35"),
        ("SHIP_COND", "char2"),
        ("CURRENCY", "cuky5"),
    ),
    "BAPISDH1": (("PMNTTRMS", "char4"), ("DLV_BLOCK", "char2"), ("SHIP_COND", "char2")),
    "BAPISDH1X": (
        ("UPDATEFLAG", "char1"),
        ("PMNTTRMS", "char1"),
        ("DLV_BLOCK", "char1"),
        ("SHIP_COND", "char1"),
    ),
    "BAPISDITM": (
        ("ITM_NUMBER", "numeric6"),
        ("MATERIAL", "char18"),
        ("REASON_REJ", "char2"),
        ("PLANT", "char4"),
        ("TARGET_QTY", "quantum13.3"),
        ("TARGET_QU", "unit3"),
    ),
    "BAPISDITMX": (
        ("ITM_NUMBER", "numeric6"),
        ("UPDATEFLAG", "char1"),
        ("MATERIAL", "char1"),
        ("REASON_REJ", "char1"),
        ("PLANT", "char1"),
        ("TARGET_QTY", "char1"),
        ("TARGET_QU", "char1"),
    ),
    "BAPISCHDL": (
        ("ITM_NUMBER", "numeric6"),
        ("SCHED_LINE", "numeric4"),
        ("REQ_DATE", "date10"),
        ("REQ_QTY", "quantum13.3"),
    ),
    "BAPISCHDLX": (
        ("ITM_NUMBER", "numeric6"),
        ("SCHED_LINE", "numeric4"),
        ("UPDATEFLAG", "char1"),
        ("REQ_DATE", "char1"),
        ("REQ_QTY", "char1"),
    ),
    "BAPIPARNR": (("PARTN_ROLE", "char2"), ("PARTN_NUMB", "char10"), ("ITM_NUMBER", "numeric6")),
    "BAPICOND": (
        ("ITM_NUMBER", "numeric6"),
        ("COND_TYPE", "char4"),
        ("COND_VALUE", "decimal28.9"),
        ("CURRENCY", "cuky5"),
    ),
    "BAPIRET2": (
        ("TYPE", "char1"),
        ("ID", "char20"),
        ("NUMBER", "numeric3"),
        ("MESSAGE", "char220"),
        ("LOG_NO", "char20"),
        ("LOG_MSG_NO", "numeric6"),
        ("MESSAGE_V1", "char50"),
        ("MESSAGE_V2", "char50"),
        ("MESSAGE_V3", "char50"),
        ("MESSAGE_V4", "char50"),
        ("PARAMETER", "char32"),
        ("ROW", "xsd:int"),
        ("FIELD", "char30"),
        ("SYSTEM", "char10"),
    ),
    # The project's own read function modules (ZOB_*): flat rows named after the SAP tables.
    "ZOB_S_KEY": (("KEY", "char35"),),
    "ZOB_S_SO_HEADER": (
        ("VBELN", "char10"),
        ("AUART", "char4"),
        ("BSTNK", "char35"),
        ("KUNNR", "char10"),
        ("KUNWE", "char10"),
        ("AUDAT", "date10"),
        ("WAERK", "cuky5"),
        ("ZTERM", "char4"),
        ("VSBED", "char2"),
        ("LIFSK", "char2"),
        ("GBSTK", "char1"),
        ("CHANGED_AT", "decimal15.0"),
    ),
    "ZOB_S_SO_ITEM": (
        ("VBELN", "char10"),
        ("POSNR", "numeric6"),
        ("MATNR", "char18"),
        ("KWMENG", "quantum13.3"),
        ("VRKME", "unit3"),
        ("NETPR", "curr11.2"),
        ("EDATU", "date10"),
        ("WERKS", "char4"),
        ("ABGRU", "char2"),
        ("LFIMG", "quantum13.3"),
        ("FKIMG", "quantum13.3"),
    ),
    "ZOB_S_DLV_HEADER": (
        ("VBELN", "char10"),
        ("VGBEL", "char10"),
        ("WADAT_IST", "date10"),
        ("LFDAT", "date10"),
        ("VSBED", "char2"),
        ("TDLNR", "char10"),
        ("BOLNR", "char35"),
        ("WBSTK", "char1"),
        ("CHANGED_AT", "decimal15.0"),
    ),
    "ZOB_S_DLV_ITEM": (
        ("VBELN", "char10"),
        ("POSNR", "numeric6"),
        ("VGPOS", "numeric6"),
        ("MATNR", "char18"),
        ("LFIMG", "quantum13.3"),
        ("VRKME", "unit3"),
    ),
    "ZOB_S_BIL_HEADER": (
        ("VBELN", "char10"),
        ("AUBEL", "char10"),
        ("KUNRG", "char10"),
        ("FKDAT", "date10"),
        ("WAERK", "cuky5"),
        ("MWSBK", "curr15.2"),
        ("FRACHT", "curr15.2"),
        ("FKSTO", "char1"),
        ("RFBSK", "char1"),
        ("CHANGED_AT", "decimal15.0"),
    ),
    "ZOB_S_BIL_ITEM": (
        ("VBELN", "char10"),
        ("POSNR", "numeric6"),
        ("AUPOS", "numeric6"),
        ("MATNR", "char18"),
        ("FKIMG", "quantum13.3"),
        ("VRKME", "unit3"),
        ("NETPR", "curr11.2"),
    ),
    "ZOB_S_CUSTOMER": (
        ("KUNNR", "char10"),
        ("NAME1", "char35"),
        ("WAERS", "cuky5"),
        ("PLTYP", "char2"),
        ("ZTERM", "char4"),
        ("AUFSD", "char2"),
        ("CHANGED_AT", "decimal15.0"),
    ),
    "ZOB_S_MATERIAL": (
        ("MATNR", "char18"),
        ("MAKTX", "char40"),
        ("MEINS", "unit3"),
        ("VMSTA", "char2"),
        ("CHANGED_AT", "decimal15.0"),
    ),
    "ZOB_S_PRICE": (
        ("KNUMH", "char10"),
        ("MATNR", "char18"),
        ("PLTYP", "char2"),
        ("KBETR", "curr11.2"),
        ("KONWA", "cuky5"),
        ("KSTBM", "quantum13.3"),
        ("DATAB", "date10"),
        ("DATBI", "date10"),
        ("CHANGED_AT", "decimal15.0"),
    ),
    "ZOB_S_AVAILABILITY": (
        ("MATNR", "char18"),
        ("WERKS", "char4"),
        ("LABST", "quantum13.3"),
        ("RESERVED", "quantum13.3"),
        ("AVAILABLE", "quantum13.3"),
        ("CHANGED_AT", "decimal15.0"),
    ),
}

# Table types: name -> row structure.
TABLES: dict[str, str] = {
    "TABLE_OF_BAPICOND": "BAPICOND",
    "TABLE_OF_BAPIPARNR": "BAPIPARNR",
    "TABLE_OF_BAPIRET2": "BAPIRET2",
    "TABLE_OF_BAPISCHDL": "BAPISCHDL",
    "TABLE_OF_BAPISCHDLX": "BAPISCHDLX",
    "TABLE_OF_BAPISDITM": "BAPISDITM",
    "TABLE_OF_BAPISDITMX": "BAPISDITMX",
    "ZOB_T_KEY": "ZOB_S_KEY",
    "ZOB_T_SO_HEADER": "ZOB_S_SO_HEADER",
    "ZOB_T_SO_ITEM": "ZOB_S_SO_ITEM",
    "ZOB_T_DLV_HEADER": "ZOB_S_DLV_HEADER",
    "ZOB_T_DLV_ITEM": "ZOB_S_DLV_ITEM",
    "ZOB_T_BIL_HEADER": "ZOB_S_BIL_HEADER",
    "ZOB_T_BIL_ITEM": "ZOB_S_BIL_ITEM",
    "ZOB_T_CUSTOMER": "ZOB_S_CUSTOMER",
    "ZOB_T_MATERIAL": "ZOB_S_MATERIAL",
    "ZOB_T_PRICE": "ZOB_S_PRICE",
    "ZOB_T_AVAILABILITY": "ZOB_S_AVAILABILITY",
}

_HEADER = ("MessageHeader", "BusinessDocumentMessageHeader?")
_READ_IN = (
    ("CHANGED_FROM", "decimal15.0?"),
    ("CHANGED_TO", "decimal15.0?"),
    ("KEYS", "ZOB_T_KEY?"),
    ("MAX_ROWS", "xsd:int?"),
    ("SKIP_ROWS", "xsd:int?"),
)


def _read(*tables: tuple[str, str]) -> tuple[tuple, tuple]:
    return _READ_IN, (*tables, ("MORE", "char1"), ("RETURN", "TABLE_OF_BAPIRET2"))


# Operation -> (request parameters, response parameters); "?" marks minOccurs="0".
OPERATIONS: dict[str, tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]] = {
    "BAPI_SALESORDER_CREATEFROMDAT2": (
        (
            _HEADER,
            ("ORDER_CONDITIONS_IN", "TABLE_OF_BAPICOND?"),
            ("ORDER_HEADER_IN", "BAPISDHD1"),
            ("ORDER_ITEMS_IN", "TABLE_OF_BAPISDITM?"),
            ("ORDER_PARTNERS", "TABLE_OF_BAPIPARNR"),
            ("ORDER_SCHEDULES_IN", "TABLE_OF_BAPISCHDL?"),
            ("RETURN", "TABLE_OF_BAPIRET2?"),
            ("TESTRUN", "char1?"),
        ),
        (_HEADER, ("RETURN", "TABLE_OF_BAPIRET2"), ("SALESDOCUMENT", "char10")),
    ),
    "BAPI_SALESORDER_CHANGE": (
        (
            _HEADER,
            ("ORDER_HEADER_IN", "BAPISDH1?"),
            ("ORDER_HEADER_INX", "BAPISDH1X"),
            ("ORDER_ITEM_IN", "TABLE_OF_BAPISDITM?"),
            ("ORDER_ITEM_INX", "TABLE_OF_BAPISDITMX?"),
            ("RETURN", "TABLE_OF_BAPIRET2?"),
            ("SALESDOCUMENT", "char10"),
            ("SCHEDULE_LINES", "TABLE_OF_BAPISCHDL?"),
            ("SCHEDULE_LINESX", "TABLE_OF_BAPISCHDLX?"),
            ("SIMULATION", "char1?"),
        ),
        (_HEADER, ("RETURN", "TABLE_OF_BAPIRET2")),
    ),
    "ZOB_SALESORDER_GETLIST": _read(("HEADERS", "ZOB_T_SO_HEADER"), ("ITEMS", "ZOB_T_SO_ITEM")),
    "ZOB_DELIVERY_GETLIST": _read(("HEADERS", "ZOB_T_DLV_HEADER"), ("ITEMS", "ZOB_T_DLV_ITEM")),
    "ZOB_BILLINGDOC_GETLIST": _read(("HEADERS", "ZOB_T_BIL_HEADER"), ("ITEMS", "ZOB_T_BIL_ITEM")),
    "ZOB_CUSTOMER_GETLIST": _read(
        ("ENTRIES", "ZOB_T_CUSTOMER"),
    ),
    "ZOB_MATERIAL_GETLIST": _read(
        ("ENTRIES", "ZOB_T_MATERIAL"),
    ),
    "ZOB_PRICE_GETLIST": _read(
        ("ENTRIES", "ZOB_T_PRICE"),
    ),
    "ZOB_AVAILABILITY_GETLIST": _read(
        ("ENTRIES", "ZOB_T_AVAILABILITY"),
    ),
}


def _type_ref(spec: str) -> tuple[str, str]:
    optional = spec.endswith("?")
    name = spec.rstrip("?")
    ref = name if name.startswith("xsd:") else f"tns:{name}"
    return ref, ' minOccurs="0"' if optional else ""


def _element(name: str, spec: str, indent: str) -> str:
    ref, occurs = _type_ref(spec)
    return f"{indent}<xsd:element name={quoteattr(name)} type={quoteattr(ref)}{occurs}/>"


def _schema() -> list[str]:
    out = [f'    <xsd:schema attributeFormDefault="qualified" targetNamespace="{NS}">']
    for name, (base, facets) in SIMPLE_TYPES.items():
        out.append(f"      <xsd:simpleType name={quoteattr(name)}>")
        out.append(f'        <xsd:restriction base="{base}">')
        out += [f"          <xsd:{k} value={quoteattr(v)}/>" for k, v in facets]
        out += ["        </xsd:restriction>", "      </xsd:simpleType>"]
    for name, fields in STRUCTURES.items():
        out += [f"      <xsd:complexType name={quoteattr(name)}>", "        <xsd:sequence>"]
        out += [_element(field, spec, "          ") for field, spec in fields]
        out += ["        </xsd:sequence>", "      </xsd:complexType>"]
    for name, row in TABLES.items():
        out += [f"      <xsd:complexType name={quoteattr(name)}>", "        <xsd:sequence>"]
        out.append(
            f'          <xsd:element name="item" type="tns:{row}" minOccurs="0"'
            ' maxOccurs="unbounded"/>'
        )
        out += ["        </xsd:sequence>", "      </xsd:complexType>"]
    for operation, (request, response) in OPERATIONS.items():
        for element, params in ((operation, request), (f"{operation}Response", response)):
            out += [
                f"      <xsd:element name={quoteattr(element)}>",
                "        <xsd:complexType>",
                "          <xsd:sequence>",
            ]
            out += [_element(name, spec, "            ") for name, spec in params]
            out += [
                "          </xsd:sequence>",
                "        </xsd:complexType>",
                "      </xsd:element>",
            ]
    out.append("    </xsd:schema>")
    return out


def _policies() -> list[str]:
    # What SOAMANAGER says about the endpoint: HTTP Basic authentication over HTTPS, no session.
    return [
        '  <wsp:UsingPolicy wsdl:required="true"/>',
        f'  <wsp:Policy wsu:Id="BN__{BINDING}">',
        "    <wsp:ExactlyOne>",
        "      <wsp:All>",
        '        <sp:TransportBinding xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702">',
        "          <wsp:Policy>",
        "            <sp:TransportToken>",
        "              <wsp:Policy>",
        "                <sp:HttpsToken>",
        "                  <wsp:Policy>",
        "                    <sp:HttpBasicAuthentication/>",
        "                  </wsp:Policy>",
        "                </sp:HttpsToken>",
        "              </wsp:Policy>",
        "            </sp:TransportToken>",
        "          </wsp:Policy>",
        "        </sp:TransportBinding>",
        "      </wsp:All>",
        "    </wsp:ExactlyOne>",
        "  </wsp:Policy>",
        f'  <wsp:Policy wsu:Id="IF__{SERVICE}">',
        "    <wsp:ExactlyOne>",
        "      <wsp:All>",
        '        <sapsession:Session xmlns:sapsession="http://www.sap.com/webas/630/soap/features/session/">',
        "          <sapsession:enableSession>false</sapsession:enableSession>",
        "        </sapsession:Session>",
        "      </wsp:All>",
        "    </wsp:ExactlyOne>",
        "  </wsp:Policy>",
    ]


def _binding(suffix: str, prefix: str) -> list[str]:
    out = [
        f'  <wsdl:binding name="{BINDING}{suffix}" type="tns:{SERVICE}">',
        "    <wsp:Policy>",
        f'      <wsp:PolicyReference URI="#BN__{BINDING}"/>',
        "    </wsp:Policy>",
        f'    <{prefix}:binding transport="{HTTP_TRANSPORT}" style="document"/>',
    ]
    for operation in OPERATIONS:
        action = f"{NS}:{SERVICE}:{operation}Request"
        out += [
            f'    <wsdl:operation name="{operation}">',
            f'      <{prefix}:operation soapAction="{action}" style="document"/>',
            f'      <wsdl:input>\n        <{prefix}:body use="literal"/>\n      </wsdl:input>',
            f'      <wsdl:output>\n        <{prefix}:body use="literal"/>\n      </wsdl:output>',
            "    </wsdl:operation>",
        ]
    out.append("  </wsdl:binding>")
    return out


def render(base_url: str) -> str:
    """The WSDL text, its endpoint addresses at base_url (scheme and host, no slash)."""
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<wsdl:definitions targetNamespace="{NS}"'
        ' xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"'
        ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
        ' xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"'
        ' xmlns:wsoap12="http://schemas.xmlsoap.org/wsdl/soap12/"'
        f' xmlns:tns="{NS}"'
        ' xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"'
        ' xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/'
        'oasis-200401-wss-wssecurity-utility-1.0.xsd">',
        *_policies(),
        "  <wsdl:types>",
        *_schema(),
        "  </wsdl:types>",
    ]
    for operation in OPERATIONS:
        out += [
            f'  <wsdl:message name="{operation}">',
            f'    <wsdl:part name="parameters" element="tns:{operation}"/>',
            "  </wsdl:message>",
            f'  <wsdl:message name="{operation}Response">',
            f'    <wsdl:part name="parameter" element="tns:{operation}Response"/>',
            "  </wsdl:message>",
        ]
    out += [
        f'  <wsdl:portType name="{SERVICE}">',
        f'    <wsp:Policy>\n      <wsp:PolicyReference URI="#IF__{SERVICE}"/>\n    </wsp:Policy>',
    ]
    for operation in OPERATIONS:
        out += [
            f'    <wsdl:operation name="{operation}">',
            f'      <wsdl:input message="tns:{operation}"/>',
            f'      <wsdl:output message="tns:{operation}Response"/>',
            "    </wsdl:operation>",
        ]
    out.append("  </wsdl:portType>")
    out += _binding("", "soap") + _binding("_soap12", "wsoap12")
    location = quoteattr(base_url.rstrip("/") + PATH)
    out += [
        f'  <wsdl:service name="{SERVICE}">',
        f'    <wsdl:port name="{BINDING}" binding="tns:{BINDING}">',
        f"      <soap:address location={location}/>",
        "    </wsdl:port>",
        f'    <wsdl:port name="{BINDING}_soap12" binding="tns:{BINDING}_soap12">',
        f"      <wsoap12:address location={location}/>",
        "    </wsdl:port>",
        "  </wsdl:service>",
        "</wsdl:definitions>",
        "",
    ]
    return "\n".join(out)
