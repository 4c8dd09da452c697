"""What the simulated SAP does for each operation: the BAPI checks and writes, and the reads.

Message classes and numbers follow SAP's sales messages where we know them (V1 311 "... has
been saved", V4 219 "Sales document was not changed"); other texts are the simulator's own.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.sap import data
from sandbox.state import SandboxState

SYSTEM = "sap"
# operation -> (record type, header fields a KEYS entry may match, has items)
READS = {
    "ZOB_SALESORDER_GETLIST": ("sales_order", ("VBELN", "BSTNK"), True),
    "ZOB_DELIVERY_GETLIST": ("delivery", ("VBELN", "VGBEL"), True),
    "ZOB_BILLINGDOC_GETLIST": ("billing_document", ("VBELN", "AUBEL"), True),
    "ZOB_CUSTOMER_GETLIST": ("customer", ("KUNNR",), False),
    "ZOB_MATERIAL_GETLIST": ("material", ("MATNR",), False),
    "ZOB_PRICE_GETLIST": ("price", ("MATNR", "KNUMH"), False),
    "ZOB_AVAILABILITY_GETLIST": ("stock", ("MATNR",), False),
}


def message(kind: str, msg_id: str, number: str, text: str, field: str = "") -> dict[str, Any]:
    return {
        "TYPE": kind,
        "ID": msg_id,
        "NUMBER": number,
        "MESSAGE": text[:220],
        "LOG_NO": "",
        "LOG_MSG_NO": "000000",
        "MESSAGE_V1": "",
        "MESSAGE_V2": "",
        "MESSAGE_V3": "",
        "MESSAGE_V4": "",
        "PARAMETER": "",
        "ROW": 0,
        "FIELD": field,
        "SYSTEM": "S4HCLNT100",
    }


def _number(value: Any) -> Decimal:
    try:
        return Decimal(str(value or "0"))
    except InvalidOperation:
        return Decimal("-1")


# -- reads ---------------------------------------------------------------------------------


def _header_of(record: dict[str, Any], has_items: bool) -> dict[str, Any]:
    row = (
        dict(record["header"])
        if has_items
        else {
            k: v
            for k, v in record.items()
            if k not in ("internal_id", "external_id", "modified_at")
        }
    )
    row["CHANGED_AT"] = data.changed_at(record)
    return row


def read(state: SandboxState, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    rtype, key_fields, has_items = READS[operation]
    since = data.abap_timestamp(params.get("CHANGED_FROM"))
    until = data.abap_timestamp(params.get("CHANGED_TO"))
    keys = {row.get("KEY", "") for row in params.get("KEYS") or []}
    selected = []
    for record in state.find_records(SYSTEM, rtype, modified_since=since):
        if until and datetime.fromisoformat(record["modified_at"]) >= until:
            continue
        header = _header_of(record, has_items)
        if keys and not keys & {header.get(f, "") for f in key_fields}:
            continue
        selected.append((header, record))
    skip = int(params.get("SKIP_ROWS") or 0)
    limit = int(params.get("MAX_ROWS") or 0) or len(selected)
    page = selected[skip : skip + limit]
    more = "X" if skip + limit < len(selected) else ""
    headers = [header for header, _ in page]
    if not has_items:
        return {"ENTRIES": headers, "MORE": more, "RETURN": []}
    items = [
        {"VBELN": header["VBELN"], **item} for header, record in page for item in record["items"]
    ]
    return {"HEADERS": headers, "ITEMS": items, "MORE": more, "RETURN": []}


# -- checks shared by create and change ------------------------------------------------------


def _check_item(state: SandboxState, item: dict[str, Any], errors: list) -> None:
    material = item.get("MATERIAL", "")
    found = state.get_record(SYSTEM, "material", material) if material else None
    if found is None:
        errors.append(message("E", "V1", "392", f"Material {material} does not exist", "MATERIAL"))
    elif found.get("VMSTA"):
        errors.append(message("E", "V1", "393", f"Material {material} is blocked for sales"))


def _check_quantity(item_no: str, quantity: Any, errors: list) -> None:
    if _number(quantity) <= 0:
        errors.append(
            message("E", "V1", "394", f"Item {item_no}: enter a quantity above zero", "REQ_QTY")
        )


# -- create ----------------------------------------------------------------------------------


def _partners(state: SandboxState, params: dict[str, Any], errors: list) -> tuple[str, str]:
    roles = {p.get("PARTN_ROLE"): p.get("PARTN_NUMB", "") for p in params.get("ORDER_PARTNERS")}
    sold_to, ship_to = roles.get("AG", ""), roles.get("WE", "") or roles.get("AG", "")
    customer = state.get_record(SYSTEM, "customer", sold_to) if sold_to else None
    if customer is None:
        errors.append(message("E", "V1", "302", f"Sold-to party {sold_to} does not exist"))
    elif customer.get("AUFSD"):
        errors.append(message("E", "V1", "303", f"Sold-to party {sold_to} is blocked for orders"))
    known = state.get_record(SYSTEM, "ship_to", ship_to) or state.get_record(
        SYSTEM, "customer", ship_to
    )
    if ship_to and known is None:
        errors.append(message("E", "V1", "304", f"Ship-to party {ship_to} does not exist"))
    return sold_to, ship_to


def _new_items(params: dict[str, Any], errors: list, state: SandboxState) -> list[dict]:
    schedules = {s["ITM_NUMBER"]: s for s in params.get("ORDER_SCHEDULES_IN") or []}
    prices = {c["ITM_NUMBER"]: c for c in params.get("ORDER_CONDITIONS_IN") or []}
    items = []
    for item in params.get("ORDER_ITEMS_IN") or []:
        number = item.get("ITM_NUMBER", "")
        schedule = schedules.get(number, {})
        quantity = schedule.get("REQ_QTY") or item.get("TARGET_QTY")
        _check_item(state, item, errors)
        _check_quantity(number, quantity, errors)
        items.append(_vbap(item, schedule, prices.get(number, {}), quantity))
    if not items:
        errors.append(message("E", "V1", "395", "Enter at least one item"))
    return items


def _vbap(item: dict, schedule: dict, price: dict, quantity: Any) -> dict[str, Any]:
    return {
        "POSNR": item.get("ITM_NUMBER", ""),
        "MATNR": item.get("MATERIAL", ""),
        "KWMENG": str(_number(quantity)),
        "VRKME": item.get("TARGET_QU", "") or "EA",
        "NETPR": str(_number(price.get("COND_VALUE"))),
        "EDATU": schedule.get("REQ_DATE", "0000-00-00"),
        "WERKS": item.get("PLANT", ""),
        "ABGRU": item.get("REASON_REJ", ""),
        "LFIMG": "0",
        "FKIMG": "0",
    }


def _next_number(state: SandboxState) -> str:
    number = int(state.meta_get(SYSTEM, "next_sales_order", 10000000))
    state.meta_set(SYSTEM, "next_sales_order", number + 1)
    return f"{number:010d}"


def create(state: SandboxState, params: dict[str, Any]) -> dict[str, Any]:
    header = params.get("ORDER_HEADER_IN") or {}
    errors: list[dict[str, Any]] = []
    sold_to, ship_to = _partners(state, params, errors)
    items = _new_items(params, errors, state)
    if errors:
        errors.append(message("E", "V4", "219", "Sales document was not changed"))
        return {"RETURN": errors, "SALESDOCUMENT": ""}
    if params.get("TESTRUN") == "X":
        done = message("S", "V4", "233", "SALES_HEADER_IN has been processed successfully")
        return {"RETURN": [done], "SALESDOCUMENT": ""}
    number = _next_number(state)
    today = datetime.now(timezone.utc).date().isoformat()
    purchase_date = header.get("PURCH_DATE", "")
    vbak = {
        "VBELN": number,
        "AUART": header.get("DOC_TYPE", ""),
        "BSTNK": header.get("PURCH_NO_C", ""),
        "KUNNR": sold_to,
        "KUNWE": ship_to,
        "AUDAT": purchase_date if purchase_date not in ("", "0000-00-00") else today,
        "WAERK": header.get("CURRENCY", ""),
        "ZTERM": header.get("PMNTTRMS", ""),
        "VSBED": header.get("SHIP_COND", ""),
        "LIFSK": header.get("DLV_BLOCK", ""),
        "GBSTK": "A",
    }
    # Keyed by the purchase order number: a create that repeats one shows as a duplicate.
    state.put_record(
        SYSTEM,
        "sales_order",
        vbak["BSTNK"] or None,
        {"header": vbak, "items": items},
        internal_id=number,
    )
    saved = message("S", "V1", "311", f"Standard Order {number} has been saved")
    return {"RETURN": [saved], "SALESDOCUMENT": number}


# -- change ----------------------------------------------------------------------------------

_HEADER_FIELDS = {"PMNTTRMS": "ZTERM", "DLV_BLOCK": "LIFSK", "SHIP_COND": "VSBED"}
_ITEM_FIELDS = {"REASON_REJ": "ABGRU", "PLANT": "WERKS", "TARGET_QTY": "KWMENG"}


def _change_items(state: SandboxState, params: dict, items: list, errors: list) -> None:
    by_number = {item["POSNR"]: item for item in items}
    flags = {x["ITM_NUMBER"]: x for x in params.get("ORDER_ITEM_INX") or []}
    schedules = {s["ITM_NUMBER"]: s for s in params.get("SCHEDULE_LINES") or []}
    sched_flags = {x["ITM_NUMBER"]: x for x in params.get("SCHEDULE_LINESX") or []}
    for item in params.get("ORDER_ITEM_IN") or []:
        number = item.get("ITM_NUMBER", "")
        flag = flags.get(number, {})
        schedule, sflag = schedules.get(number, {}), sched_flags.get(number, {})
        if flag.get("UPDATEFLAG") == "I":
            if number in by_number:
                errors.append(message("E", "V1", "396", f"Item {number} already exists"))
                continue
            _check_item(state, item, errors)
            quantity = schedule.get("REQ_QTY") or item.get("TARGET_QTY")
            _check_quantity(number, quantity, errors)
            items.append(_vbap(item, schedule, {}, quantity))
            continue
        current = by_number.get(number)
        if current is None:
            errors.append(message("E", "V1", "397", f"Item {number} does not exist"))
            continue
        for field, column in _ITEM_FIELDS.items():
            if flag.get(field) == "X":
                current[column] = str(item.get(field, ""))
        if sflag.get("REQ_QTY") == "X":
            current["KWMENG"] = str(_number(schedule.get("REQ_QTY")))
        if sflag.get("REQ_DATE") == "X":
            current["EDATU"] = schedule.get("REQ_DATE", "0000-00-00")
        if _number(current["KWMENG"]) < _number(current["LFIMG"]):
            errors.append(
                message("E", "V1", "398", f"Item {number}: quantity is below the delivered one")
            )
        elif not current["ABGRU"]:
            _check_quantity(number, current["KWMENG"], errors)


def change(state: SandboxState, params: dict[str, Any]) -> dict[str, Any]:
    number = params.get("SALESDOCUMENT", "")
    record = state.get_record(SYSTEM, "sales_order", number)
    if record is None or record["internal_id"] != number:
        text = f"Sales document {number} is not in the database or has been archived"
        return {"RETURN": [message("E", "V1", "302", text)]}
    vbak, items = dict(record["header"]), [dict(item) for item in record["items"]]
    errors: list[dict[str, Any]] = []
    if vbak.get("GBSTK") == "C":
        errors.append(message("E", "V1", "399", f"Sales document {number} is fully processed"))
    header_in, header_x = params.get("ORDER_HEADER_IN") or {}, params.get("ORDER_HEADER_INX")
    for field, column in _HEADER_FIELDS.items():
        if (header_x or {}).get(field) == "X":
            vbak[column] = header_in.get(field, "")
    _change_items(state, params, items, errors)
    if errors:
        errors.append(message("E", "V4", "219", "Sales document was not changed"))
        return {"RETURN": errors}
    if params.get("SIMULATION") == "X":
        return {"RETURN": [message("S", "V4", "233", "ORDER_HEADER_IN has been checked")]}
    state.put_record(
        SYSTEM,
        "sales_order",
        record["external_id"],
        {"header": vbak, "items": items},
        internal_id=number,
    )
    return {"RETURN": [message("S", "V1", "311", f"Standard Order {number} has been saved")]}
