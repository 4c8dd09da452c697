"""The simulator's own WSDL and XSDs, declared here as data and rendered for any version.

It covers what Orderbridge uses (tokenPassport, search, searchMoreWithId, getList, upsertList,
getItemAvailability, getServerTime and the record types behind them). Every type it declares
has the namespace, name, base, and elements (names, types, occurrence, order) of the real
SuiteTalk schema; it leaves out elements we never send or read, all of them optional there,
so a message valid here is valid there. Enumerations list the values we use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

XSD = "http://www.w3.org/2001/XMLSchema"
HOST = "webservices.netsuite.com"

# prefix -> (namespace template, folder, file) as the real endpoint publishes them.
NAMESPACES: dict[str, tuple[str, str, str]] = {
    "platformCore": ("urn:core_{v}.platform.webservices.netsuite.com", "platform", "core"),
    "platformCoreTyp": (
        "urn:types.core_{v}.platform.webservices.netsuite.com",
        "platform",
        "coreTypes",
    ),
    "platformFaults": ("urn:faults_{v}.platform.webservices.netsuite.com", "platform", "faults"),
    "platformFaultTyp": (
        "urn:types.faults_{v}.platform.webservices.netsuite.com",
        "platform",
        "faultTypes",
    ),
    "platformMsgs": ("urn:messages_{v}.platform.webservices.netsuite.com", "platform", "messages"),
    "platformCommon": ("urn:common_{v}.platform.webservices.netsuite.com", "platform", "common"),
    "platformCommonTyp": (
        "urn:types.common_{v}.platform.webservices.netsuite.com",
        "platform",
        "commonTypes",
    ),
    "listRel": ("urn:relationships_{v}.lists.webservices.netsuite.com", "lists", "relationships"),
    "listAcct": ("urn:accounting_{v}.lists.webservices.netsuite.com", "lists", "accounting"),
    "tranSales": ("urn:sales_{v}.transactions.webservices.netsuite.com", "transactions", "sales"),
    "tranSalesTyp": (
        "urn:types.sales_{v}.transactions.webservices.netsuite.com",
        "transactions",
        "saleTypes",
    ),
    "tranCust": (
        "urn:customers_{v}.transactions.webservices.netsuite.com",
        "transactions",
        "customers",
    ),
    "tranCustTyp": (
        "urn:types.customers_{v}.transactions.webservices.netsuite.com",
        "transactions",
        "customerTypes",
    ),
}


@dataclass(frozen=True)
class E:
    """A local element (name, type) or, with ref=True, a reference to a global element."""

    name: str
    type: str = ""
    min: int = 0
    max: int | None = 1
    ref: bool = False


def R(name: str, min: int = 1, max: int | None = 1) -> E:  # noqa: N802
    return E(name, min=min, max=max, ref=True)


@dataclass(frozen=True)
class A:
    name: str
    type: str
    use: str = ""
    default: str = ""


@dataclass(frozen=True)
class Complex:
    name: str
    elements: tuple[E, ...] = ()
    base: str = ""
    attributes: tuple[A, ...] = ()
    abstract: bool = False
    simple_content: bool = False


@dataclass(frozen=True)
class Simple:
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Element:
    name: str
    type: str


@dataclass
class Schema:
    prefix: str
    imports: tuple[str, ...]
    items: list[Complex | Simple | Element] = field(default_factory=list)


S, D, L, DT, B, RR = (
    "xsd:string",
    "xsd:double",
    "xsd:long",
    "xsd:dateTime",
    "xsd:boolean",
    "platformCore:RecordRef",
)
IDS = (A("internalId", S), A("externalId", S))


def _opt(*pairs: tuple[str, str]) -> tuple[E, ...]:
    return tuple(E(name, type_) for name, type_ in pairs)


def _core() -> list:
    return [
        Complex("Record", (E("nullFieldList", "platformCore:NullField", 0, 1),), abstract=True),
        Complex("NullField", (E("name", S, 0, None),)),
        Complex("BaseRef", (E("name", S),), abstract=True),
        Complex(
            "RecordRef",
            base="platformCore:BaseRef",
            attributes=(
                A("internalId", S),
                A("externalId", S),
                A("type", "platformCoreTyp:RecordType"),
            ),
        ),
        Complex("RecordRefList", (E("recordRef", RR, 0, None),)),
        Complex(
            "TokenPassport",
            (
                E("account", S, 1),
                E("consumerKey", S, 1),
                E("token", S, 1),
                E("nonce", S, 1),
                E("timestamp", "xsd:long", 1),
                E("signature", "platformCore:TokenPassportSignature", 1),
            ),
        ),
        Complex(
            "TokenPassportSignature",
            base=S,
            simple_content=True,
            attributes=(A("algorithm", S, use="required"),),
        ),
        Complex(
            "Status",
            (E("statusDetail", "platformCore:StatusDetail", 0, None),),
            attributes=(A("isSuccess", B),),
        ),
        Element("status", "platformCore:Status"),
        Complex(
            "StatusDetail",
            (
                E("code", "platformFaultTyp:StatusDetailCodeType"),
                E("message", S),
                E("afterSubmitFailed", B),
            ),
            attributes=(A("type", "platformFaultTyp:StatusDetailType", default="ERROR"),),
        ),
        Complex("SearchRecord", abstract=True),
        Complex("SearchRecordBasic", base="platformCore:SearchRecord", abstract=True),
        Complex(
            "SearchResult",
            (
                R("platformCore:status"),
                E("totalRecords", "xsd:int"),
                E("pageSize", "xsd:int"),
                E("totalPages", "xsd:int"),
                E("pageIndex", "xsd:int"),
                E("searchId", S),
                R("platformCore:recordList", 0),
            ),
        ),
        Element("searchResult", "platformCore:SearchResult"),
        Complex("RecordList", (E("record", "platformCore:Record", 0, None),)),
        Element("recordList", "platformCore:RecordList"),
        Complex(
            "SearchDateField",
            (E("searchValue", DT), E("searchValue2", DT)),
            attributes=(A("operator", "platformCoreTyp:SearchDateFieldOperator"),),
        ),
        Complex(
            "SearchEnumMultiSelectField",
            (E("searchValue", S, 0, None),),
            attributes=(A("operator", "platformCoreTyp:SearchEnumMultiSelectFieldOperator"),),
        ),
        Complex(
            "SearchMultiSelectField",
            (E("searchValue", RR, 0, None),),
            attributes=(A("operator", "platformCoreTyp:SearchMultiSelectFieldOperator"),),
        ),
        Complex(
            "ItemAvailabilityFilter",
            (E("item", "platformCore:RecordRefList", 1, 1), E("lastQtyAvailableChange", DT, 0, 1)),
        ),
        Complex(
            "ItemAvailability",
            (E("item", RR, 1, 1), E("lastQtyAvailableChange", DT, 0, 1))
            + _opt(
                ("locationId", RR),
                ("quantityOnHand", D),
                ("onHandValueMli", D),
                ("reorderPoint", D),
                ("quantityOnOrder", D),
                ("quantityCommitted", D),
                ("quantityBackOrdered", D),
                ("quantityAvailable", D),
            ),
        ),
        Complex(
            "ItemAvailabilityList",
            (E("itemAvailability", "platformCore:ItemAvailability", 1, None),),
        ),
        Complex(
            "GetItemAvailabilityResult",
            (
                R("platformCore:status", 1, 1),
                E("itemAvailabilityList", "platformCore:ItemAvailabilityList", 0, 1),
            ),
        ),
        Element("getItemAvailabilityResult", "platformCore:GetItemAvailabilityResult"),
        Complex("GetServerTimeResult", (R("platformCore:status", 1, 1), E("serverTime", DT, 1, 1))),
        Element("getServerTimeResult", "platformCore:GetServerTimeResult"),
    ]


RECORD_TYPES = (
    "currency",
    "customer",
    "inventoryItem",
    "invoice",
    "itemFulfillment",
    "location",
    "priceLevel",
    "returnAuthorization",
    "salesOrder",
    "term",
    "unitsType",
)
FAULT_CODES = (
    "ACCT_TEMP_UNAVAILABLE",
    "INSUFFICIENT_PERMISSION",
    "INVALID_ACCT",
    "INVALID_LOGIN_CREDENTIALS",
    "INVALID_PAGE_INDEX",
    "INVALID_ROLE",
    "INVALID_WS_VERSION",
    "MAX_RCRDS_EXCEEDED",
    "SESSION_TIMED_OUT",
    "UNEXPECTED_ERROR",
    "USER_ERROR",
    "WS_CONCUR_SESSION_DISALLWD",
    "WS_PERMISSION_REQD",
    "WS_REQUEST_BLOCKED",
)
STATUS_CODES = (
    "INSUFFICIENT_PERMISSION",
    "INVALID_KEY_OR_REF",
    "INVALID_LOGIN_ATTEMPT",
    "INVALID_SEARCH_MORE",
    "INVALID_SEARCH_PAGE_INDEX",
    "RCRD_DSNT_EXIST",
    "UNEXPECTED_ERROR",
    "USER_ERROR",
    "WS_CONCUR_SESSION_DISALLWD",
    "WS_REQUEST_BLOCKED",
)
FAULT_KINDS = (
    "InsufficientPermissionFault",
    "InvalidAccountFault",
    "InvalidCredentialsFault",
    "InvalidSessionFault",
    "ExceededConcurrentRequestLimitFault",
    "ExceededRequestLimitFault",
    "ExceededUsageLimitFault",
    "ExceededRecordCountFault",
    "InvalidVersionFault",
    "UnexpectedErrorFault",
)


def _faults() -> list:
    items: list = [
        Complex("SoapFault", (E("code", "platformFaultTyp:FaultCodeType", 1), E("message", S, 1)))
    ]
    for kind in FAULT_KINDS:
        items.append(Complex(kind, base="platformFaults:SoapFault"))
        items.append(Element(kind[0].lower() + kind[1:], f"platformFaults:{kind}"))
    return items


def _messages() -> list:
    msg = "platformMsgs:"
    return [
        Complex(
            "SearchPreferences",
            (E("bodyFieldsOnly", B), E("returnSearchColumns", B), E("pageSize", "xsd:int")),
        ),
        Element("searchPreferences", msg + "SearchPreferences"),
        Complex("Preferences", (E("warningAsError", B), E("ignoreReadOnlyFields", B))),
        Element("preferences", msg + "Preferences"),
        Complex("DocumentInfo", (E("nsId", S, 1),)),
        Element("documentInfo", msg + "DocumentInfo"),
        Element("tokenPassport", "platformCore:TokenPassport"),
        Complex("SearchRequest", (E("searchRecord", "platformCore:SearchRecord", 1),)),
        Element("search", msg + "SearchRequest"),
        Complex("SearchResponse", (R("platformCore:searchResult"),)),
        Element("searchResponse", msg + "SearchResponse"),
        Complex("SearchMoreWithIdRequest", (E("searchId", S, 1), E("pageIndex", "xsd:int", 1))),
        Element("searchMoreWithId", msg + "SearchMoreWithIdRequest"),
        Complex("SearchMoreWithIdResponse", (R("platformCore:searchResult"),)),
        Element("searchMoreWithIdResponse", msg + "SearchMoreWithIdResponse"),
        Complex("GetListRequest", (E("baseRef", "platformCore:BaseRef", 1, None),)),
        Element("getList", msg + "GetListRequest"),
        Complex("GetListResponse", (R(msg + "readResponseList"),)),
        Element("getListResponse", msg + "GetListResponse"),
        Complex(
            "ReadResponseList",
            (R("platformCore:status", 0), E("readResponse", msg + "ReadResponse", 0, None)),
        ),
        Element("readResponseList", msg + "ReadResponseList"),
        Complex("ReadResponse", (R("platformCore:status"), E("record", "platformCore:Record", 0))),
        Complex("UpsertListRequest", (E("record", "platformCore:Record", 1, None),)),
        Element("upsertList", msg + "UpsertListRequest"),
        Complex("UpsertListResponse", (R(msg + "writeResponseList"),)),
        Element("upsertListResponse", msg + "UpsertListResponse"),
        Complex(
            "WriteResponseList",
            (R("platformCore:status", 0), E("writeResponse", msg + "WriteResponse", 1, None)),
        ),
        Element("writeResponseList", msg + "WriteResponseList"),
        Complex(
            "WriteResponse", (R("platformCore:status"), E("baseRef", "platformCore:BaseRef", 0))
        ),
        Complex(
            "GetItemAvailabilityRequest",
            (E("itemAvailabilityFilter", "platformCore:ItemAvailabilityFilter", 1, 1),),
        ),
        Element("getItemAvailability", msg + "GetItemAvailabilityRequest"),
        Complex("GetItemAvailabilityResponse", (R("platformCore:getItemAvailabilityResult"),)),
        Element("getItemAvailabilityResponse", msg + "GetItemAvailabilityResponse"),
        Complex("GetServerTimeRequest"),
        Element("getServerTime", msg + "GetServerTimeRequest"),
        Complex("GetServerTimeResponse", (R("platformCore:getServerTimeResult"),)),
        Element("getServerTimeResponse", msg + "GetServerTimeResponse"),
    ]


def _common() -> list:
    search = (
        ("externalId", "platformCore:SearchMultiSelectField"),
        ("internalId", "platformCore:SearchMultiSelectField"),
        ("lastModifiedDate", "platformCore:SearchDateField"),
    )
    kind = (("type", "platformCore:SearchEnumMultiSelectField"),)
    return [
        Complex(
            "Address",
            (E("internalId", S), E("country", "platformCommonTyp:Country"))
            + _opt(
                ("attention", S),
                ("addressee", S),
                ("addrPhone", S),
                ("addr1", S),
                ("addr2", S),
                ("addr3", S),
                ("city", S),
                ("state", S),
                ("zip", S),
                ("addrText", S),
                ("override", B),
            ),
            base="platformCore:Record",
        ),
        Complex(
            "TransactionSearchBasic", _opt(*search, *kind), base="platformCore:SearchRecordBasic"
        ),
        Complex("CustomerSearchBasic", _opt(*search), base="platformCore:SearchRecordBasic"),
        Complex("ItemSearchBasic", _opt(*search, *kind), base="platformCore:SearchRecordBasic"),
    ]


COUNTRY_VALUES = (
    "_australia",
    "_austria",
    "_belgium",
    "_canada",
    "_denmark",
    "_france",
    "_germany",
    "_ireland",
    "_italy",
    "_japan",
    "_mexico",
    "_netherlands",
    "_poland",
    "_spain",
    "_sweden",
    "_switzerland",
    "_unitedKingdom",
    "_unitedStates",
)


def _list(name: str, item: str, type_: str, replace_all: str = "true") -> Complex:
    # replaceAll defaults to true on every sublist but the pricing matrix.
    return Complex(
        name, (E(item, type_, 0, None),), attributes=(A("replaceAll", B, default=replace_all),)
    )


def _records() -> dict[str, list]:
    sales_line = _opt(
        ("item", RR),
        ("quantity", D),
        ("units", RR),
        ("description", S),
        ("rate", S),
        ("amount", D),
        ("location", RR),
        ("isClosed", B),
        ("line", L),
        ("quantityBackOrdered", D),
        ("quantityBilled", D),
        ("quantityFulfilled", D),
        ("expectedShipDate", DT),
        ("requestedDate", DT),
    )
    sales_order = _opt(
        ("createdDate", DT),
        ("entity", RR),
        ("currency", RR),
        ("tranDate", DT),
        ("tranId", S),
        ("orderStatus", "tranSalesTyp:SalesOrderOrderStatus"),
        ("otherRefNum", S),
        ("memo", S),
        ("shippingAddress", "platformCommon:Address"),
        ("shipAddressList", RR),
        ("shipDate", DT),
        ("shipMethod", RR),
        ("lastModifiedDate", DT),
        ("status", S),
        ("terms", RR),
        ("itemList", "tranSales:SalesOrderItemList"),
    )
    fulfillment = _opt(
        ("createdDate", DT),
        ("lastModifiedDate", DT),
        ("entity", RR),
        ("createdFrom", RR),
        ("shippedDate", DT),
        ("shipAddressList", RR),
        ("shipStatus", "tranSalesTyp:ItemFulfillmentShipStatus"),
        ("tranDate", DT),
        ("tranId", S),
        ("shipMethod", RR),
        ("packageList", "tranSales:ItemFulfillmentPackageList"),
        ("itemList", "tranSales:ItemFulfillmentItemList"),
    )
    fulfillment_line = _opt(
        ("itemReceive", B), ("location", RR), ("quantity", D), ("item", RR), ("orderLine", L)
    )
    package = _opt(("packageWeight", D), ("packageDescr", S), ("packageTrackingNumber", S))
    invoice = _opt(
        ("createdDate", DT),
        ("lastModifiedDate", DT),
        ("entity", RR),
        ("tranDate", DT),
        ("tranId", S),
        ("createdFrom", RR),
        ("terms", RR),
        ("currency", RR),
        ("shipMethod", RR),
        ("shippingCost", D),
        ("subTotal", D),
        ("taxTotal", D),
        ("total", D),
        ("status", S),
        ("itemList", "tranSales:InvoiceItemList"),
    )
    invoice_line = _opt(
        ("item", RR),
        ("line", L),
        ("amount", D),
        ("quantity", D),
        ("units", RR),
        ("rate", S),
        ("orderLine", L),
    )
    return_ = _opt(
        ("createdDate", DT),
        ("lastModifiedDate", DT),
        ("currency", RR),
        ("entity", RR),
        ("tranDate", DT),
        ("tranId", S),
        ("memo", S),
        ("createdFrom", RR),
        ("status", S),
        ("orderStatus", "tranCustTyp:ReturnAuthorizationOrderStatus"),
        ("itemList", "tranCust:ReturnAuthorizationItemList"),
    )
    return_line = _opt(
        ("item", RR),
        ("orderLine", L),
        ("line", L),
        ("quantity", D),
        ("units", RR),
        ("rate", S),
        ("amount", D),
        ("isClosed", B),
        ("location", RR),
    )
    customer = _opt(
        ("entityId", S),
        ("altName", S),
        ("companyName", S),
        ("email", S),
        ("isInactive", B),
        ("terms", RR),
        ("creditLimit", D),
        ("priceLevel", RR),
        ("currency", RR),
        ("defaultOrderPriority", D),
        ("lastModifiedDate", DT),
        ("addressbookList", "listRel:CustomerAddressbookList"),
    )
    addressbook = _opt(
        ("defaultShipping", B),
        ("defaultBilling", B),
        ("isResidential", B),
        ("label", S),
        ("addressbookAddress", "platformCommon:Address"),
        ("internalId", S),
    )
    item = _opt(
        ("createdDate", DT),
        ("lastModifiedDate", DT),
        ("salesDescription", S),
        ("weight", D),
        ("stockUnit", RR),
        ("saleUnit", RR),
        ("isDropShipItem", B),
        ("cost", D),
        ("itemId", S),
        ("displayName", S),
        ("isInactive", B),
        ("pricingMatrix", "listAcct:PricingMatrix"),
    )
    base = {"base": "platformCore:Record", "attributes": IDS}
    return {
        "tranSales": [
            Element("SalesOrder", "tranSales:SalesOrder"),
            Complex("SalesOrder", sales_order, **base),
            _list("SalesOrderItemList", "item", "tranSales:SalesOrderItem"),
            Complex("SalesOrderItem", sales_line),
            Element("ItemFulfillment", "tranSales:ItemFulfillment"),
            Complex("ItemFulfillment", fulfillment, **base),
            _list("ItemFulfillmentItemList", "item", "tranSales:ItemFulfillmentItem"),
            Complex("ItemFulfillmentItem", fulfillment_line),
            _list("ItemFulfillmentPackageList", "package", "tranSales:ItemFulfillmentPackage"),
            Complex("ItemFulfillmentPackage", package),
            Element("Invoice", "tranSales:Invoice"),
            Complex("Invoice", invoice, **base),
            _list("InvoiceItemList", "item", "tranSales:InvoiceItem"),
            Complex("InvoiceItem", invoice_line),
        ],
        "tranSalesTyp": [
            Simple(
                "SalesOrderOrderStatus",
                (
                    "_pendingApproval",
                    "_pendingFulfillment",
                    "_cancelled",
                    "_partiallyFulfilled",
                    "_pendingBillingPartFulfilled",
                    "_pendingBilling",
                    "_fullyBilled",
                    "_closed",
                    "_undefined",
                ),
            ),
            Simple("ItemFulfillmentShipStatus", ("_packed", "_picked", "_shipped")),
        ],
        "tranCust": [
            Element("ReturnAuthorization", "tranCust:ReturnAuthorization"),
            Complex("ReturnAuthorization", return_, **base),
            _list("ReturnAuthorizationItemList", "item", "tranCust:ReturnAuthorizationItem"),
            Complex("ReturnAuthorizationItem", return_line),
        ],
        "tranCustTyp": [
            Simple("ReturnAuthorizationOrderStatus", ("_pendingApproval", "_pendingReceipt")),
        ],
        "listRel": [
            Element("Customer", "listRel:Customer"),
            Complex("Customer", customer, **base),
            _list("CustomerAddressbookList", "addressbook", "listRel:CustomerAddressbook"),
            Complex("CustomerAddressbook", addressbook),
        ],
        "listAcct": [
            Element("InventoryItem", "listAcct:InventoryItem"),
            Complex("InventoryItem", item, **base),
            _list("PricingMatrix", "pricing", "listAcct:Pricing", "false"),
            Complex(
                "Pricing",
                _opt(
                    ("currency", RR),
                    ("priceLevel", RR),
                    ("discount", D),
                    ("priceList", "listAcct:PriceList"),
                ),
            ),
            Complex("PriceList", (E("price", "listAcct:Price", 0, None),)),
            Complex("Price", _opt(("value", D), ("quantity", D))),
            Complex("Currency", _opt(("name", S), ("isInactive", B)), **base),
            Complex("PriceLevel", _opt(("name", S), ("isInactive", B)), **base),
        ],
    }


def schemas() -> dict[str, Schema]:
    """Every schema of the bundle by prefix, with the prefixes it imports."""
    records = _records()
    found = {
        "platformCoreTyp": Schema(
            "platformCoreTyp",
            (),
            [
                Simple("RecordType", RECORD_TYPES),
                Simple(
                    "SearchDateFieldOperator",
                    (
                        "after",
                        "before",
                        "empty",
                        "notAfter",
                        "notBefore",
                        "notEmpty",
                        "notOn",
                        "notOnOrAfter",
                        "notOnOrBefore",
                        "notWithin",
                        "on",
                        "onOrAfter",
                        "onOrBefore",
                        "within",
                    ),
                ),
                Simple("SearchEnumMultiSelectFieldOperator", ("anyOf", "noneOf")),
                Simple("SearchMultiSelectFieldOperator", ("anyOf", "noneOf")),
            ],
        ),
        "platformFaultTyp": Schema(
            "platformFaultTyp",
            (),
            [
                Simple("StatusDetailType", ("ERROR", "WARN", "INFO")),
                Simple("StatusDetailCodeType", STATUS_CODES),
                Simple("FaultCodeType", FAULT_CODES),
            ],
        ),
        "platformCore": Schema("platformCore", ("platformCoreTyp", "platformFaultTyp"), _core()),
        "platformFaults": Schema("platformFaults", ("platformFaultTyp",), _faults()),
        "platformMsgs": Schema("platformMsgs", ("platformCore", "platformFaultTyp"), _messages()),
        "platformCommonTyp": Schema("platformCommonTyp", (), [Simple("Country", COUNTRY_VALUES)]),
        "platformCommon": Schema(
            "platformCommon", ("platformCore", "platformCommonTyp"), _common()
        ),
    }
    imports = {
        "tranSales": ("platformCore", "tranSalesTyp", "platformCommon"),
        "tranSalesTyp": (),
        "tranCust": ("platformCore", "tranCustTyp", "platformCommon"),
        "tranCustTyp": (),
        "listRel": ("platformCore", "platformCommon"),
        "listAcct": ("platformCore",),
    }
    for prefix, items in records.items():
        found[prefix] = Schema(prefix, imports[prefix], items)
    return found


def namespace(prefix: str, version: str) -> str:
    return NAMESPACES[prefix][0].format(v=version)


BASE = f"https://{HOST}"


def xsd_url(prefix: str, version: str, base: str = BASE) -> str:
    _, folder, name = NAMESPACES[prefix]
    return f"{base}/xsd/{folder}/v{version}_0/{name}.xsd"


def wsdl_url(version: str) -> str:
    return f"https://{HOST}/wsdl/v{version}_0/netsuite.wsdl"


def find_schema(folder: str, name: str) -> str | None:
    return next((p for p, (_, f, n) in NAMESPACES.items() if (f, n) == (folder, name)), None)


def _occurs(element: E) -> str:
    text = "" if element.min == 1 else f' minOccurs="{element.min}"'
    if element.max != 1:
        text += f' maxOccurs="{"unbounded" if element.max is None else element.max}"'
    return text


def _attribute(attribute: A) -> str:
    extra = f' use="{attribute.use}"' if attribute.use else ""
    extra += f' default="{attribute.default}"' if attribute.default else ""
    return f'<attribute name="{attribute.name}" type="{attribute.type}"{extra}/>'


def _render(item: Complex | Simple | Element) -> list[str]:
    if isinstance(item, Element):
        return [f'  <element name="{item.name}" type="{item.type}"/>']
    if isinstance(item, Simple):
        values = "".join(f'<enumeration value="{v}"/>' for v in item.values)
        return [
            f'  <simpleType name="{item.name}"><restriction base="xsd:string">{values}'
            "</restriction></simpleType>"
        ]
    abstract = ' abstract="true"' if item.abstract else ""
    lines = [f'  <complexType name="{item.name}"{abstract}>']
    attributes = [f"    {_attribute(a)}" for a in item.attributes]
    sequence = []
    for e in item.elements:
        what = f'ref="{e.name}"' if e.ref else f'name="{e.name}" type="{e.type}"'
        sequence.append(f"      <element {what}{_occurs(e)}/>")
    body = (["    <sequence>", *sequence, "    </sequence>"] if item.elements else []) + attributes
    if item.simple_content:
        lines += [
            f'   <simpleContent><extension base="{item.base}">',
            *attributes,
            "   </extension></simpleContent>",
        ]
    elif item.base:
        lines += [
            f'   <complexContent><extension base="{item.base}">',
            *body,
            "   </extension></complexContent>",
        ]
    else:
        lines += body
    return [*lines, "  </complexType>"]


def render_xsd(prefix: str, version: str, base: str = BASE) -> str:
    schema = schemas()[prefix]
    used = {prefix, *schema.imports}
    declarations = " ".join(f"xmlns:{p}={quoteattr(namespace(p, version))}" for p in sorted(used))
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<schema xmlns="{XSD}" xmlns:xsd="{XSD}" {declarations} '
        f'targetNamespace="{namespace(prefix, version)}" elementFormDefault="qualified" '
        'attributeFormDefault="unqualified">',
    ]
    for other in schema.imports:
        lines.append(
            f'  <import namespace="{namespace(other, version)}" '
            f'schemaLocation="{xsd_url(other, version, base)}"/>'
        )
    for item in schema.items:
        lines.extend(_render(item))
    lines.append("</schema>")
    return "\n".join(lines) + "\n"


OPERATIONS = {
    # operation -> request headers, as the real binding lists them (those we declare)
    "search": ("tokenPassport", "searchPreferences"),
    "searchMoreWithId": ("tokenPassport", "searchPreferences"),
    "getList": ("tokenPassport", "preferences"),
    "upsertList": ("tokenPassport", "preferences"),
    "getItemAvailability": ("tokenPassport", "preferences"),
    "getServerTime": ("tokenPassport",),
}
HEADER_PARTS = ("documentInfo", "preferences", "searchPreferences", "tokenPassport")
WSDL_FAULTS = (
    "InsufficientPermissionFault",
    "InvalidSessionFault",
    "InvalidCredentialsFault",
    "ExceededConcurrentRequestLimitFault",
    "ExceededRequestLimitFault",
    "ExceededUsageLimitFault",
    "UnexpectedErrorFault",
)


def render_wsdl(version: str, base: str = BASE) -> str:
    tns = f"urn:platform_{version}.webservices.netsuite.com"
    imports = "\n".join(
        f'      <xsd:import namespace="{namespace(p, version)}" '
        f'schemaLocation="{xsd_url(p, version, base)}"/>'
        for p in schemas()
    )
    messages = ['  <message name="headers">']
    messages += [f'    <part name="{p}" element="platformMsgs:{p}"/>' for p in HEADER_PARTS]
    messages.append("  </message>")
    port, binding = [], []
    for op, headers in OPERATIONS.items():
        messages += [
            f'  <message name="{op}Request"><part name="parameters" element="platformMsgs:{op}"/>'
            "</message>",
            f'  <message name="{op}Response"><part name="parameters" '
            f'element="platformMsgs:{op}Response"/></message>',
        ]
        faults = "".join(f'<fault name="{f}" message="tns:{f}"/>' for f in WSDL_FAULTS)
        port.append(
            f'    <operation name="{op}"><input name="{op}Request" message="tns:{op}Request"/>'
            f'<output name="{op}Response" message="tns:{op}Response"/>{faults}</operation>'
        )
        head = "".join(
            f'<soap:header message="tns:headers" part="{h}" use="literal"/>' for h in headers
        )
        soap_faults = "".join(
            f'<fault name="{f}"><soap:fault name="{f}" use="literal"/></fault>' for f in WSDL_FAULTS
        )
        binding.append(
            f'    <operation name="{op}"><soap:operation soapAction="{op}"/>'
            f'<input name="{op}Request">{head}<soap:body use="literal"/></input>'
            f'<output name="{op}Response"><soap:header message="tns:headers" part="documentInfo" '
            f'use="literal"/><soap:body use="literal"/></output>{soap_faults}</operation>'
        )
    for kind in WSDL_FAULTS:
        element = kind[0].lower() + kind[1:]
        messages.append(
            f'  <message name="{kind}"><part name="fault" element="platformFaults:{element}"/>'
            "</message>"
        )
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<definitions xmlns:tns="{tns}" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" '
            'xmlns="http://schemas.xmlsoap.org/wsdl/" '
            f'xmlns:platformMsgs="{namespace("platformMsgs", version)}" '
            f'xmlns:platformFaults="{namespace("platformFaults", version)}" '
            f'targetNamespace="{tns}">',
            "  <types>",
            f'    <xsd:schema xmlns:xsd="{XSD}" elementFormDefault="qualified">',
            imports,
            "    </xsd:schema>",
            "  </types>",
            *messages,
            '  <portType name="NetSuitePortType">',
            *port,
            "  </portType>",
            '  <binding name="NetSuiteBinding" type="tns:NetSuitePortType">',
            '    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>',
            *binding,
            "  </binding>",
            '  <service name="NetSuiteService">',
            '    <port name="NetSuitePort" binding="tns:NetSuiteBinding">',
            f'      <soap:address location="{base}/services/NetSuitePort_{version}"/>',
            "    </port>",
            "  </service>",
            "</definitions>",
        ]
    )
