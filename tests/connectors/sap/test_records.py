"""Pure SAP mapping: MessageHeader UUIDs, BAPI parameters, RETURN messages, SAP's quirks."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from connectors.sap import records
from core.records import Money, Order, OrderLine, Quantity

DEFAULTS = records.OrderDefaults()


def order(**changes) -> Order:
    base = Order(
        source_system="salesforce",
        source_key="SO-1",
        external_id="OB-1",
        customer_number="C00124",
        ship_to_code="C00124-01",
        order_date=date(2026, 3, 1),
        currency="USD",
        terms="NT30",
        lines=[
            OrderLine(
                1,
                "00302",
                Quantity(Decimal("5")),
                Money(Decimal("10.00"), "USD"),
                requested_date=date(2026, 3, 9),
            ),
            OrderLine(2, "00849", Quantity(Decimal("2")), Money(Decimal("3.50"), "USD")),
        ],
    )
    return dataclasses.replace(base, **changes)


def test_message_uuid_is_a_stable_rfc4122_uuid_per_business_key():
    first = records.message_uuid("create", "OB-1")
    assert first == records.message_uuid("create", "OB-1")
    assert uuid.UUID(first).version == 5
    assert first != records.message_uuid("create", "OB-2")
    assert records.message_uuid("change", "OB-1", {"a": 1}) != records.message_uuid(
        "change", "OB-1", {"a": 2}
    )


def test_create_parameters_follow_the_bapi():
    params = records.build_order_create(order(), DEFAULTS)
    assert params["MessageHeader"]["UUID"] == records.message_uuid("create", "OB-1")
    header = params["ORDER_HEADER_IN"]
    assert header["PURCH_NO_C"] == "OB-1" and header["DOC_TYPE"] == "OR"
    assert header["PURCH_DATE"] == "2026-03-01"
    roles = {p["PARTN_ROLE"]: p["PARTN_NUMB"] for p in params["ORDER_PARTNERS"]["item"]}
    assert roles == {"AG": "C00124", "WE": "C00124-01"}
    items = params["ORDER_ITEMS_IN"]["item"]
    assert [i["ITM_NUMBER"] for i in items] == ["000010", "000020"]
    schedules = params["ORDER_SCHEDULES_IN"]["item"]
    assert [s["REQ_DATE"] for s in schedules] == ["2026-03-09", "0000-00-00"]
    assert params["ORDER_CONDITIONS_IN"]["item"][0]["COND_VALUE"] == Decimal("10.00")
    assert "TESTRUN" not in params
    assert records.build_order_create(order(), DEFAULTS, test_run=True)["TESTRUN"] == "X"


def test_a_value_longer_than_the_sap_field_is_refused():
    with pytest.raises(records.FieldTooLongError) as raised:
        records.build_order_create(order(ship_method="UPS Ground"), DEFAULTS)
    assert raised.value.field_name == "ship_method"


def test_change_is_none_when_nothing_differs():
    current = order(source_system="sap", number="0010000001")
    assert records.build_order_change(order(), current, DEFAULTS) is None


def test_change_flags_only_what_differs():
    current = order(source_system="sap", number="0010000001")
    wanted = order(on_hold=True)
    wanted.lines[0] = dataclasses.replace(wanted.lines[0], quantity=Quantity(Decimal("7")))
    wanted.lines.append(dataclasses.replace(wanted.lines[1], line_no=3))
    params = records.build_order_change(wanted, current, DEFAULTS, test_run=True)
    assert params["SALESDOCUMENT"] == "0010000001" and params["SIMULATION"] == "X"
    assert params["ORDER_HEADER_INX"] == {
        "UPDATEFLAG": "U",
        "PMNTTRMS": "",
        "DLV_BLOCK": "X",
        "SHIP_COND": "",
    }
    flags = {x["ITM_NUMBER"]: x for x in params["ORDER_ITEM_INX"]["item"]}
    assert set(flags) == {"000010", "000030"}
    assert flags["000010"]["UPDATEFLAG"] == "U" and flags["000010"]["TARGET_QTY"] == "X"
    assert flags["000010"]["PLANT"] == ""
    assert flags["000030"]["UPDATEFLAG"] == "I"
    sched_x = {x["ITM_NUMBER"]: x for x in params["SCHEDULE_LINESX"]["item"]}
    assert sched_x["000010"]["REQ_QTY"] == "X" and sched_x["000010"]["REQ_DATE"] == ""


def test_return_messages_by_type():
    messages = records.parse_return(
        [
            {"TYPE": "S", "ID": "V1", "NUMBER": "311", "MESSAGE": "Saved"},
            {"TYPE": "W", "ID": "V1", "NUMBER": "555", "MESSAGE": "Date moved"},
            {"TYPE": "E", "ID": "V1", "NUMBER": "392", "MESSAGE": "No material", "FIELD": "MAT"},
            {"TYPE": "A", "ID": "V4", "NUMBER": "219", "MESSAGE": "Not changed"},
        ]
    )
    assert messages.failed and messages.first_error_code == "V1/392"
    assert messages.first_error_field == "MAT"
    assert messages.errors == ["No material [V1/392]", "Not changed [V4/219]"]
    assert messages.warnings == ["Date moved [V1/555]"]
    assert not records.parse_return([{"TYPE": "W", "MESSAGE": "careful"}]).failed


def test_sap_dates_and_timestamps():
    assert records.parse_sap_date("0000-00-00") is None
    assert records.parse_sap_date("2026-03-01") == date(2026, 3, 1)
    moment = datetime(2026, 3, 1, 12, 30, 5, tzinfo=timezone.utc)
    assert records.sap_timestamp(moment) == Decimal("20260301123005")
    assert records.parse_sap_timestamp(Decimal("20260301123005")) == moment
    assert records.item_number(1) == "000010" and records.line_number("000020") == 2


def test_parse_order_reads_sap_rows():
    parsed = records.parse_orders(
        {
            "HEADERS": {
                "item": [
                    {
                        "VBELN": "42",
                        "BSTNK": "OB-9",
                        "KUNNR": "C1",
                        "WAERK": "EUR",
                        "GBSTK": "B",
                        "LIFSK": "01",
                        "AUDAT": "2026-03-01",
                        "CHANGED_AT": Decimal("20260301120000"),
                    }
                ]
            },
            "ITEMS": {
                "item": [
                    {
                        "VBELN": "42",
                        "POSNR": "000010",
                        "MATNR": "00302",
                        "KWMENG": Decimal("5"),
                        "VRKME": "EA",
                        "NETPR": Decimal("1.5"),
                        "EDATU": "0000-00-00",
                        "ABGRU": "Z1",
                        "LFIMG": Decimal("2"),
                    }
                ]
            },
        }
    )
    [sales_order] = parsed
    assert sales_order.external_id == "OB-9" and sales_order.on_hold
    assert sales_order.status == "in_progress" and sales_order.modified_at.tzinfo
    [line] = sales_order.lines
    assert line.line_no == 1 and line.status == "cancelled" and line.requested_date is None
    assert line.unit_price == Money(Decimal("1.5"), "EUR")


def test_price_list_codes_read_as_price_levels():
    entry = records.parse_price(
        {
            "KNUMH": "1",
            "MATNR": "A",
            "PLTYP": "02",
            "KBETR": "2.00",
            "KONWA": "USD",
            "DATBI": "9999-12-31",
        }
    )
    assert entry.price_level == "Wholesale" and entry.unit_price.amount == Decimal("2.00")
