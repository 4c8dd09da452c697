"""The simulated org's objects: their fields and types, relationships, ids and value formats.

Only what Orderbridge's org holds: Account (customers and their ship-to child accounts),
Product2, Pricebook2, PricebookEntry, Order and OrderItem, each with the custom External ID
field Orderbridge_Id__c. A field not listed here does not exist, as in a real org.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

SYSTEM = "salesforce"
EXTERNAL_ID = "Orderbridge_Id__c"
INSTANCE_HOST = "orderbridge-sandbox.my.salesforce.com"
INSTANCE_URL = f"https://{INSTANCE_HOST}"
ORG_ID = "00D5e000000SBOXEAW"


@dataclass(frozen=True)
class SObject:
    name: str
    prefix: str  # the three characters every record id of the object starts with
    fields: dict[str, str]  # writable field -> type: text, number, bool, date, datetime, id
    required: tuple[str, ...] = ()
    read_only: tuple[str, ...] = ()


def _fields(kind: str, *names: str) -> dict[str, str]:
    return dict.fromkeys(names, kind)


OBJECTS: dict[str, SObject] = {
    "Account": SObject(
        "Account",
        "001",
        {
            **_fields(
                "text",
                EXTERNAL_ID,
                "Name",
                "AccountNumber",
                "Type",
                "CurrencyIsoCode",
                "Price_Level__c",
                "Payment_Terms__c",
                "Site",
                "ShippingStreet",
                "ShippingCity",
                "ShippingState",
                "ShippingPostalCode",
                "ShippingCountry",
                "Phone",
                "Ship_To_Contact__c",
            ),
            **_fields("number", "Priority__c"),
            **_fields("bool", "Active__c", "Default_Ship_To__c"),
            "ParentId": "id",
        },
        required=("Name",),
    ),
    "Product2": SObject(
        "Product2",
        "01t",
        {
            **_fields(
                "text", EXTERNAL_ID, "Name", "ProductCode", "Description", "QuantityUnitOfMeasure"
            ),
            **_fields("bool", "IsActive", "Drop_Ship__c", "Is_Kit__c"),
        },
        required=("Name",),
    ),
    "Pricebook2": SObject(
        "Pricebook2",
        "01s",
        {**_fields("text", EXTERNAL_ID, "Name"), **_fields("bool", "IsActive")},
        required=("Name",),
    ),
    "PricebookEntry": SObject(
        "PricebookEntry",
        "01u",
        {
            **_fields("text", EXTERNAL_ID, "CurrencyIsoCode"),
            **_fields("number", "UnitPrice", "Min_Quantity__c"),
            **_fields("date", "Effective_From__c", "Effective_To__c"),
            **_fields("bool", "IsActive", "UseStandardPrice"),
            **_fields("id", "Product2Id", "Pricebook2Id"),
        },
        required=("Product2Id", "Pricebook2Id", "UnitPrice"),
    ),
    "Order": SObject(
        "Order",
        "801",
        {
            **_fields(
                "text",
                EXTERNAL_ID,
                "Ship_To_Code__c",
                "CurrencyIsoCode",
                "Status",
                "Shipping_Method__c",
                "Payment_Terms__c",
                "PoNumber",
                "ERP_Order_Number__c",
                "ERP_Status__c",
                "Tracking_Numbers__c",
                "Sync_Error__c",
            ),
            **_fields("date", "EffectiveDate"),
            **_fields("datetime", "Last_Sync__c"),
            **_fields("bool", "On_Hold__c"),
            "AccountId": "id",
        },
        required=("AccountId", "EffectiveDate", "Status"),
        read_only=("OrderNumber",),
    ),
    "OrderItem": SObject(
        "OrderItem",
        "802",
        {
            **_fields("text", EXTERNAL_ID, "Quantity_UOM__c", "Line_Status__c"),
            **_fields("number", "Line_Number__c", "Quantity", "UnitPrice", "Quantity_Shipped__c"),
            **_fields("date", "ServiceDate", "Promised_Date__c"),
            **_fields("id", "OrderId", "Product2Id"),
        },
        required=("OrderId", "Quantity", "UnitPrice"),
        read_only=("OrderItemNumber",),
    ),
}
SYSTEM_FIELDS = ("Id", "SystemModstamp", "CreatedDate", "LastModifiedDate")
# Lookup relationship name -> (the id field holding it, the object it points to).
RELATIONSHIPS = {
    "Parent": ("ParentId", "Account"),
    "Account": ("AccountId", "Account"),
    "Product2": ("Product2Id", "Product2"),
    "Pricebook2": ("Pricebook2Id", "Pricebook2"),
    "Order": ("OrderId", "Order"),
}
# Child relationship name on a parent object -> (child object, the child's lookup field).
CHILDREN = {("Order", "OrderItems"): ("OrderItem", "OrderId")}
PREFIXES = {o.prefix: o.name for o in OBJECTS.values()}


def record_id(sobject: str, internal_id: str) -> str:
    """An 18-character Salesforce-shaped id: key prefix, the sandbox number, a suffix."""
    return f"{OBJECTS[sobject].prefix}{int(internal_id):012d}AAA"


def internal_of(sf_id: str) -> tuple[str, str] | None:
    """(object, internal id) of a record id, or None when it is not one of ours."""
    sobject = PREFIXES.get(sf_id[:3])
    if sobject is None or len(sf_id) not in (15, 18) or not sf_id[3:15].isdigit():
        return None
    return sobject, str(int(sf_id[3:15]))


def sf_datetime(value: str | datetime) -> str:
    """'2026-03-02T10:00:00.000+0000', the REST API's datetime format."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime:
    text = text.strip().replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class BadValue(ValueError):
    """A value that does not fit its field's type."""


def coerce(kind: str, value: Any, *, from_text: bool) -> Any:
    """A value as stored for a field of `kind`. JSON values must already have the right JSON
    type; CSV text (Bulk API) is converted. Raises BadValue."""
    if value is None:
        return None
    try:
        if kind == "number":
            if from_text:
                return float(value)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BadValue(value)
            return value
        if kind == "bool":
            if from_text:
                if str(value).lower() not in ("true", "false", "1", "0"):
                    raise BadValue(value)
                return str(value).lower() in ("true", "1")
            if not isinstance(value, bool):
                raise BadValue(value)
            return value
        if kind == "date":
            return date.fromisoformat(str(value)).isoformat()
        if kind == "datetime":
            return sf_datetime(parse_datetime(str(value)))
    except (TypeError, ValueError) as exc:
        raise BadValue(value) from exc
    if not isinstance(value, str):
        if from_text or isinstance(value, dict | list):
            raise BadValue(value)
        return str(value)
    return value
