"""Pure mapping between Salesforce records and our canonical records, and write results.

`parse_<thing>` turns a SOQL row (a dict as the REST API returns it) into ours; `build_<thing>`
turns ours into the field map we upsert under the External ID field. Relationships are set by
the parent's External ID ({"Parent": {"Orderbridge_Id__c": "C-1"}}), so one call writes a
record whose parent was written in the same run without looking up Salesforce ids.

Where the data lives in Salesforce:
- customers are Accounts with Type 'Customer'; ship-to addresses are child Accounts (ParentId
  the customer) with Type 'Ship-To' and the address in the Shipping* fields;
- items are Product2 (ProductCode the SKU); prices are PricebookEntry, one Pricebook2 per
  price level;
- orders are Order with their OrderItem lines, entered in Salesforce; the ERP order number,
  ERP status, tracking numbers and the last sync time or error are written back onto the Order.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from connectors.base import WriteResult
from core.records import (
    Address,
    Customer,
    Item,
    Money,
    Order,
    OrderLine,
    PriceListEntry,
    Quantity,
    ShipTo,
)

SYSTEM = "salesforce"
CUSTOMER_TYPE = "Customer"
SHIP_TO_TYPE = "Ship-To"
# Bulk API 2.0 CSV: an empty cell leaves a field as it is; #N/A sets it to null.
BULK_NULL = "#N/A"

ORDER_STATUS_IN = {"Draft": "draft", "Activated": "open"}
ORDER_STATUS_OUT = {"draft": "Draft"}

# Salesforce error codes (API Developer Guide, "StatusCode") by what the person must do.
ERROR_CLASS = {
    "REQUIRED_FIELD_MISSING": "missing",
    "DUPLICATE_VALUE": "duplicate",
    "DUPLICATES_DETECTED": "duplicate",
    "DUPLICATE_EXTERNAL_ID": "duplicate",
    "UNABLE_TO_LOCK_ROW": "connection",
    "REQUEST_LIMIT_EXCEEDED": "rate_limit",
    "INSUFFICIENT_ACCESS": "config",
    "INSUFFICIENT_ACCESS_OR_READONLY": "config",
    "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY": "config",
    "API_DISABLED_FOR_ORG": "config",
}


def error_class_of(code: str | None, message: str = "") -> str:
    """Our error-queue class for a Salesforce status code (a missing parent is 'missing')."""
    if code == "INVALID_FIELD" and "not found" in message and "external id" in message.lower():
        return "missing"
    return ERROR_CLASS.get(code or "", "value")


# ---------------------------------------------------------------- field values


def parse_datetime(value: str | None) -> datetime | None:
    """'2011-07-07T00:37:00.000+0000' (or with Z) to an aware datetime."""
    if not value:
        return None
    text = value.replace("Z", "+00:00")
    for pattern in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return datetime.fromisoformat(text)


def format_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} cannot be sent to Salesforce")
    utc = value.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _decimal(value: Any, default: str = "0") -> Decimal:
    if value is None or value == "":
        return Decimal(default)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _related(row: Mapping[str, Any], relation: str, name: str) -> str:
    parent = row.get(relation)
    return _text(parent.get(name)) if isinstance(parent, Mapping) else ""


def _ref(ext_field: str, key: str) -> dict[str, str]:
    return {ext_field: key}


# ---------------------------------------------------------------- keys


def customer_key(customer: Customer) -> str:
    return customer.external_id or customer.number


def ship_to_key(ship_to: ShipTo) -> str:
    return ship_to.external_id or f"{ship_to.customer_number}:{ship_to.code}"


def item_key(item: Item) -> str:
    return item.external_id or item.sku


def price_key(entry: PriceListEntry) -> str:
    if entry.external_id:
        return entry.external_id
    key = f"{entry.price_level}:{entry.sku}:{entry.unit_price.currency}"
    if entry.min_quantity > 0:
        key += f":{format(entry.min_quantity.normalize(), 'f')}"
    return key


def order_key(order: Order) -> str:
    return order.external_id or order.number


def order_line_key(order: Order, line: OrderLine) -> str:
    return f"{order_key(order)}:{line.line_no}"


# ---------------------------------------------------------------- customers and ship-tos

CUSTOMER_FIELDS = (
    "Id",
    "{ext}",
    "AccountNumber",
    "Name",
    "CurrencyIsoCode",
    "Price_Level__c",
    "Priority__c",
    "Payment_Terms__c",
    "Active__c",
    "SystemModstamp",
)


def build_customer(customer: Customer, ext_field: str) -> dict[str, Any]:
    return {
        ext_field: customer_key(customer),
        "AccountNumber": customer.number,
        "Name": customer.name,
        "Type": CUSTOMER_TYPE,
        "CurrencyIsoCode": customer.currency,
        "Price_Level__c": customer.price_level,
        "Priority__c": customer.priority,
        "Payment_Terms__c": customer.terms,
        "Active__c": customer.active,
    }


def parse_customer(row: Mapping[str, Any], ext_field: str) -> Customer:
    return Customer(
        source_system=SYSTEM,
        source_key=row["Id"],
        external_id=row.get(ext_field) or None,
        modified_at=parse_datetime(row.get("SystemModstamp")),
        number=_text(row.get("AccountNumber")),
        name=_text(row.get("Name")),
        currency=row.get("CurrencyIsoCode") or "USD",
        price_level=_text(row.get("Price_Level__c")),
        priority=int(_decimal(row.get("Priority__c"))),
        terms=_text(row.get("Payment_Terms__c")),
        active=row.get("Active__c") is not False,
    )


SHIP_TO_FIELDS = (
    "Id",
    "{ext}",
    "Name",
    "Site",
    "Parent.AccountNumber",
    "ShippingStreet",
    "ShippingCity",
    "ShippingState",
    "ShippingPostalCode",
    "ShippingCountry",
    "Phone",
    "Ship_To_Contact__c",
    "Default_Ship_To__c",
    "SystemModstamp",
)


def build_ship_to(ship_to: ShipTo, ext_field: str) -> dict[str, Any]:
    address = ship_to.address
    return {
        ext_field: ship_to_key(ship_to),
        "Type": SHIP_TO_TYPE,
        "Parent": _ref(ext_field, ship_to.customer_number),
        "Name": address.name or ship_to.code,
        "Site": ship_to.code,
        "ShippingStreet": "\n".join(address.lines),
        "ShippingCity": address.city,
        "ShippingState": address.state,
        "ShippingPostalCode": address.postal_code,
        "ShippingCountry": address.country,
        "Phone": address.phone,
        "Ship_To_Contact__c": address.contact,
        "Default_Ship_To__c": ship_to.default,
    }


def parse_ship_to(row: Mapping[str, Any], ext_field: str) -> ShipTo:
    street = _text(row.get("ShippingStreet"))
    return ShipTo(
        source_system=SYSTEM,
        source_key=row["Id"],
        external_id=row.get(ext_field) or None,
        modified_at=parse_datetime(row.get("SystemModstamp")),
        customer_number=_related(row, "Parent", "AccountNumber"),
        code=_text(row.get("Site")),
        address=Address(
            name=_text(row.get("Name")),
            lines=tuple(line for line in street.splitlines() if line),
            city=_text(row.get("ShippingCity")),
            state=_text(row.get("ShippingState")),
            postal_code=_text(row.get("ShippingPostalCode")),
            country=_text(row.get("ShippingCountry")),
            contact=_text(row.get("Ship_To_Contact__c")),
            phone=_text(row.get("Phone")),
        ),
        default=bool(row.get("Default_Ship_To__c")),
    )


# ---------------------------------------------------------------- items and prices

ITEM_FIELDS = (
    "Id",
    "{ext}",
    "ProductCode",
    "Name",
    "Description",
    "QuantityUnitOfMeasure",
    "IsActive",
    "Drop_Ship__c",
    "Is_Kit__c",
    "SystemModstamp",
)


def build_item(item: Item, ext_field: str) -> dict[str, Any]:
    return {
        ext_field: item_key(item),
        "ProductCode": item.sku,
        "Name": item.description or item.sku,
        "Description": item.description,
        "QuantityUnitOfMeasure": item.uom,
        "IsActive": item.active,
        "Drop_Ship__c": item.drop_ship,
        "Is_Kit__c": item.kit,
    }


def parse_item(row: Mapping[str, Any], ext_field: str) -> Item:
    return Item(
        source_system=SYSTEM,
        source_key=row["Id"],
        external_id=row.get(ext_field) or None,
        modified_at=parse_datetime(row.get("SystemModstamp")),
        sku=_text(row.get("ProductCode")),
        description=_text(row.get("Description") or row.get("Name")),
        uom=row.get("QuantityUnitOfMeasure") or "EA",
        active=row.get("IsActive") is not False,
        drop_ship=bool(row.get("Drop_Ship__c")),
        kit=bool(row.get("Is_Kit__c")),
    )


PRICE_FIELDS = (
    "Id",
    "{ext}",
    "Product2.ProductCode",
    "Pricebook2.Name",
    "UnitPrice",
    "CurrencyIsoCode",
    "Min_Quantity__c",
    "Effective_From__c",
    "Effective_To__c",
    "IsActive",
    "SystemModstamp",
)


def build_price(entry: PriceListEntry, ext_field: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        ext_field: price_key(entry),
        "Product2": _ref(ext_field, entry.sku),
        "Pricebook2": _ref(ext_field, entry.price_level),
        "UnitPrice": entry.unit_price.amount,
        "CurrencyIsoCode": entry.unit_price.currency,
        "Min_Quantity__c": entry.min_quantity,
        "IsActive": True,
    }
    if entry.effective_from:
        row["Effective_From__c"] = entry.effective_from.isoformat()
    if entry.effective_to:
        row["Effective_To__c"] = entry.effective_to.isoformat()
    return row


def parse_price(row: Mapping[str, Any], ext_field: str) -> PriceListEntry:
    return PriceListEntry(
        source_system=SYSTEM,
        source_key=row["Id"],
        external_id=row.get(ext_field) or None,
        modified_at=parse_datetime(row.get("SystemModstamp")),
        sku=_related(row, "Product2", "ProductCode"),
        price_level=_related(row, "Pricebook2", "Name"),
        unit_price=Money(_decimal(row.get("UnitPrice")), row.get("CurrencyIsoCode") or "USD"),
        min_quantity=_decimal(row.get("Min_Quantity__c")),
        effective_from=parse_date(row.get("Effective_From__c")),
        effective_to=parse_date(row.get("Effective_To__c")),
    )


# ---------------------------------------------------------------- orders

ORDER_FIELDS = (
    "Id",
    "{ext}",
    "OrderNumber",
    "Account.AccountNumber",
    "Ship_To_Code__c",
    "EffectiveDate",
    "CurrencyIsoCode",
    "Status",
    "Shipping_Method__c",
    "Payment_Terms__c",
    "On_Hold__c",
    "SystemModstamp",
)
ORDER_ITEM_FIELDS = (
    "Id",
    "Line_Number__c",
    "Product2.ProductCode",
    "Quantity",
    "Quantity_UOM__c",
    "UnitPrice",
    "ServiceDate",
    "Promised_Date__c",
    "Quantity_Shipped__c",
    "Line_Status__c",
)
ORDER_ITEMS_RELATION = "OrderItems"


def build_order(order: Order, ext_field: str) -> dict[str, Any]:
    """The Order header; without an order date Salesforce rejects it (EffectiveDate is
    required), which names the missing field better than a date we made up."""
    row: dict[str, Any] = {
        ext_field: order_key(order),
        "Account": _ref(ext_field, order.customer_number),
        "Ship_To_Code__c": order.ship_to_code,
        "CurrencyIsoCode": order.currency,
        "Status": ORDER_STATUS_OUT.get(order.status, "Activated"),
        "Shipping_Method__c": order.ship_method,
        "Payment_Terms__c": order.terms,
        "On_Hold__c": order.on_hold,
    }
    if order.order_date:
        row["EffectiveDate"] = order.order_date.isoformat()
    return row


def build_order_item(order: Order, line: OrderLine, ext_field: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        ext_field: order_line_key(order, line),
        "Order": _ref(ext_field, order_key(order)),
        "Product2": _ref(ext_field, line.sku),
        "Line_Number__c": line.line_no,
        "Quantity": line.quantity.value,
        "Quantity_UOM__c": line.quantity.uom,
        "UnitPrice": line.unit_price.amount,
        "Quantity_Shipped__c": line.quantity_shipped,
        "Line_Status__c": line.status,
    }
    if line.requested_date:
        row["ServiceDate"] = line.requested_date.isoformat()
    if line.promised_date:
        row["Promised_Date__c"] = line.promised_date.isoformat()
    return row


def _child_rows(row: Mapping[str, Any], relation: str) -> list[Mapping[str, Any]]:
    children = row.get(relation)
    if not isinstance(children, Mapping):
        return []
    return list(children.get("records") or [])


def parse_order_line(row: Mapping[str, Any], position: int, currency: str) -> OrderLine:
    line_no = row.get("Line_Number__c")
    return OrderLine(
        line_no=int(_decimal(line_no)) if line_no not in (None, "") else position,
        sku=_related(row, "Product2", "ProductCode"),
        quantity=Quantity(_decimal(row.get("Quantity")), row.get("Quantity_UOM__c") or "EA"),
        unit_price=Money(_decimal(row.get("UnitPrice")), currency),
        requested_date=parse_date(row.get("ServiceDate")),
        promised_date=parse_date(row.get("Promised_Date__c")),
        quantity_shipped=_decimal(row.get("Quantity_Shipped__c")),
        status=row.get("Line_Status__c") or "open",
    )


def parse_order(row: Mapping[str, Any], ext_field: str) -> Order:
    """An Order row with its OrderItems subquery; lines sorted by line number."""
    currency = row.get("CurrencyIsoCode") or "USD"
    lines = [
        parse_order_line(child, position, currency)
        for position, child in enumerate(_child_rows(row, ORDER_ITEMS_RELATION), start=1)
    ]
    status = _text(row.get("Status"))
    return Order(
        source_system=SYSTEM,
        source_key=row["Id"],
        external_id=row.get(ext_field) or None,
        modified_at=parse_datetime(row.get("SystemModstamp")),
        number=_text(row.get("OrderNumber")),
        customer_number=_related(row, "Account", "AccountNumber"),
        ship_to_code=_text(row.get("Ship_To_Code__c")),
        order_date=parse_date(row.get("EffectiveDate")),
        currency=currency,
        status=ORDER_STATUS_IN.get(status, status.lower().replace(" ", "_")),
        ship_method=_text(row.get("Shipping_Method__c")),
        terms=_text(row.get("Payment_Terms__c")),
        on_hold=bool(row.get("On_Hold__c")),
        lines=sorted(lines, key=lambda line: line.line_no),
    )


@dataclass
class OrderWriteBack:
    """What the ERP made of a Salesforce order, written back onto the Order by its Id.

    `order_id` is the Salesforce Order Id (the canonical Order's source_key). On success set
    `erp_order_number` and `status` and leave `error` empty; on failure set `error`.
    """

    order_id: str
    synced_at: datetime
    erp_order_number: str = ""
    status: str = ""
    tracking_numbers: Sequence[str] = field(default_factory=tuple)
    error: str = ""


def build_order_writeback(update: OrderWriteBack) -> dict[str, Any]:
    return {
        "Id": update.order_id,
        "ERP_Order_Number__c": update.erp_order_number,
        "ERP_Status__c": update.status,
        "Tracking_Numbers__c": ", ".join(update.tracking_numbers),
        "Last_Sync__c": format_datetime(update.synced_at),
        "Sync_Error__c": update.error[:255],
    }


# ---------------------------------------------------------------- SOQL rows


# Templates for simple_salesforce's format_soql: {name} is quoted as a value, {name:literal}
# (field lists and object names from the declarations here, never input) goes in as it is.
SOQL_CHANGED = (
    "SELECT {select:literal} FROM {sobject:literal} "
    "WHERE SystemModstamp >= {since} AND SystemModstamp < {until} "
    "ORDER BY SystemModstamp, Id"
)
SOQL_CHANGED_OF_TYPE = (
    "SELECT {select:literal} FROM {sobject:literal} "
    "WHERE Type = {account_type} AND SystemModstamp >= {since} AND SystemModstamp < {until} "
    "ORDER BY SystemModstamp, Id"
)
SOQL_LINES = "(SELECT {fields:literal} FROM {relation:literal} ORDER BY Line_Number__c)"


def select_list(fields: Iterable[str], ext_field: str) -> list[str]:
    return [name.replace("{ext}", ext_field) for name in fields]


def strip_attributes(row: Any) -> Any:
    """A SOQL row without the `attributes` maps the API adds to every record."""
    if isinstance(row, Mapping):
        return {k: strip_attributes(v) for k, v in row.items() if k != "attributes"}
    if isinstance(row, list):
        return [strip_attributes(v) for v in row]
    return row


# ---------------------------------------------------------------- write results


def to_json(body: Any) -> str:
    """JSON for a request body. Decimals go as JSON numbers via float: Salesforce number and
    currency fields hold at most 18 digits and parse the number text themselves, and float's
    shortest repr gives back the same digits for every amount of up to 15 significant digits."""

    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return float(value)
        raise TypeError(f"cannot send {type(value).__name__} to Salesforce")

    return json.dumps(body, default=default)


def parse_collection_results(
    results: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> list[WriteResult]:
    """sObject Collections results (same order as the records sent) as our WriteResults."""
    out = []
    for key, result in zip(keys, results, strict=False):
        if result.get("success"):
            out.append(WriteResult(external_id=key, ok=True, their_id=result.get("id")))
            continue
        errors = result.get("errors") or [{}]
        first = errors[0]
        code = first.get("statusCode") or first.get("errorCode")
        message = "; ".join(_error_text(e) for e in errors)
        out.append(
            WriteResult(
                external_id=key,
                ok=False,
                their_id=result.get("id"),
                code=code,
                message=message,
                error_class=error_class_of(code, message),
            )
        )
    for key in keys[len(out) :]:
        out.append(_no_result(key))
    return out


def _error_text(error: Mapping[str, Any]) -> str:
    fields = error.get("fields") or []
    suffix = f" ({', '.join(fields)})" if fields else ""
    return f"{error.get('message', 'rejected')}{suffix}"


def _no_result(key: str) -> WriteResult:
    return WriteResult(
        external_id=key,
        ok=False,
        code="NO_RESULT",
        message="Salesforce returned no result for this record; it is sent again on retry",
        error_class="connection",
    )


def rejected_all(keys: Sequence[str], code: str | None, message: str) -> list[WriteResult]:
    """The same rejection for every record of a call the API refused as a whole."""
    error_class = error_class_of(code, message)
    return [
        WriteResult(external_id=k, ok=False, code=code, message=message, error_class=error_class)
        for k in keys
    ]


def flatten_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """{"Parent": {"F__c": "x"}} to {"Parent.F__c": "x"}, the Bulk API's CSV header form."""
    flat: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, Mapping):
            for sub, sub_value in value.items():
                flat[f"{name}.{sub}"] = sub_value
        else:
            flat[name] = value
    return flat


def _csv_cell(value: Any) -> str:
    if value is None:
        return BULK_NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def build_bulk_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """The CSV of one Bulk API 2.0 ingest job (comma, LF line endings, header first)."""
    flat = [flatten_row(row) for row in rows]
    columns: list[str] = []
    for row in flat:
        columns.extend(name for name in row if name not in columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in flat:
        writer.writerow([_csv_cell(row[c]) if c in row else "" for c in columns])
    return buffer.getvalue()


def read_csv(text: str) -> Iterator[dict[str, str]]:
    """Rows of a Bulk API result set. A body that is a JSON string (as recorded by some
    clients' fixtures) is decoded first."""
    if text.lstrip().startswith('"') and text.rstrip().endswith('"') and "\n" not in text.strip():
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, str):
            text = decoded
    yield from csv.DictReader(io.StringIO(text))


def _split_bulk_error(text: str) -> tuple[str, str]:
    """'REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --' to code, text."""
    code, sep, message = text.partition(":")
    if sep and code.isupper() and " " not in code:
        return code, message.strip()
    return "", text


def parse_bulk_results(
    successful: str, failed: str, unprocessed: str, key_column: str
) -> dict[str, WriteResult]:
    """Bulk API 2.0 result sets keyed by the External ID column of the uploaded CSV."""
    results: dict[str, WriteResult] = {}
    for row in read_csv(successful):
        key = row.get(key_column, "")
        results[key] = WriteResult(external_id=key, ok=True, their_id=row.get("sf__Id") or None)
    for row in read_csv(failed):
        key = row.get(key_column, "")
        code, message = _split_bulk_error(row.get("sf__Error", ""))
        results[key] = WriteResult(
            external_id=key,
            ok=False,
            their_id=row.get("sf__Id") or None,
            code=code or None,
            message=message,
            error_class=error_class_of(code, message),
        )
    for row in read_csv(unprocessed):
        key = row.get(key_column, "")
        results[key] = WriteResult(
            external_id=key,
            ok=False,
            code="UNPROCESSED",
            message="the bulk job ended before this record was processed; it is sent again",
            error_class="connection",
        )
    return results


def order_results(
    keys: Sequence[str], by_key: Mapping[str, WriteResult], job_error: str = ""
) -> list[WriteResult]:
    """One result per key sent, in order; a key Salesforce did not report is not written
    (with the job's own error message when the whole job failed)."""
    out = []
    for key in keys:
        result = by_key.get(key)
        if result is None and job_error:
            result = WriteResult(
                external_id=key, ok=False, code="BULK_JOB_FAILED", message=job_error
            )
        out.append(result or _no_result(key))
    return out
